// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctlproto.c - the control socket's request parser, shared by both ends
 *
 * DOC: Theory of Operation
 *
 * See ctlproto.h for the protocol.  ctl_req_parse() reads one request
 * line from a client nsplice does not trust (any local user who can reach
 * the socket, or a fuzzer), and the same function checks a line before
 * `nsplice ctl` (cmd/ctl.c) sends it, so a request the server would
 * refuse is refused at the client with the same words.  It checks the
 * length and every byte before it looks at a word, splits on single
 * spaces or tabs, and fills the struct only once the whole line is
 * valid, so a refused line leaves it all zeroes.  Messages quote what was
 * typed only after every byte is known to be printable ASCII.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipc/log.h"
#include "supervisor/ctlproto.h"

/* CTL_WORDS_MAX - words in the longest request,
 * "add -t SPEC --proxy-protocol" */
#define CTL_WORDS_MAX		4

/* CTL_WORD_SHOW_MAX - bytes of a word quoted in an error message */
#define CTL_WORD_SHOW_MAX	40

/**
 * struct ctl_words - a request line split into words
 * @w:		start of each word, in the line
 * @len:	length of each word, bytes
 * @n:		number of words
 */
struct ctl_words {
	const char *w[CTL_WORDS_MAX];
	size_t len[CTL_WORDS_MAX];
	unsigned n;
};

/**
 * word_is() - compare a word with a string
 * @w:		words
 * @i:		index of the word, < @w->n
 * @s:		string
 *
 * Return: true if word @i is exactly @s
 */
static bool word_is(const struct ctl_words *w, unsigned i, const char *s)
{
	return w->len[i] == strlen(s) && !memcmp(w->w[i], s, w->len[i]);
}

/**
 * word_show_len() - how much of a word an error message quotes
 * @w:		words
 * @i:		index of the word
 *
 * Return: length to pass to "%.*s", at most CTL_WORD_SHOW_MAX
 */
static int word_show_len(const struct ctl_words *w, unsigned i)
{
	return (int)(w->len[i] < CTL_WORD_SHOW_MAX ? w->len[i]
						   : CTL_WORD_SHOW_MAX);
}

/**
 * line_check_bytes() - every byte of a line is printable ASCII or a tab
 * @line:	the line, without its newline
 * @len:	its length
 * @err:	error buffer
 * @errlen:	its size
 *
 * Checked before anything is quoted back, so a message can never carry a
 * control byte into a terminal or a log.
 *
 * Return: 0, or -1 naming the first bad byte and its offset
 */
static int line_check_bytes(const char *line, size_t len, char *err,
			    size_t errlen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\t' || (c >= ' ' && c <= '~'))
			continue;
		if (c == '\n')
			return errfmt(err, errlen, "newline at offset %zu "
				      "before the end of the line: one request "
				      "per connection", i);
		if (c >= 0x80)
			return errfmt(err, errlen, "non-ASCII byte 0x%02x at "
				      "offset %zu: requests are printable "
				      "ASCII", c, i);
		return errfmt(err, errlen, "NUL or control byte 0x%02x at "
			      "offset %zu", c, i);
	}
	return 0;
}

/**
 * words_split() - split a checked line into words
 * @line:	the line, without its newline, bytes already checked
 * @len:	its length, non-zero
 * @w:		words, filled
 * @err:	error buffer
 * @errlen:	its size
 *
 * Strict on purpose: exactly one space or tab between words and none at
 * either end, so "add  -t 80" is an error that says where, rather than a
 * guess.
 *
 * Return: 0, or -1 for an empty word or too many words
 */
static int words_split(const char *line, size_t len, struct ctl_words *w,
		       char *err, size_t errlen)
{
	size_t i = 0, start;

	w->n = 0;
	for (;;) {
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i == start)
			return errfmt(err, errlen, "empty word at offset %zu: "
				      "separate words with one space or tab, "
				      "none at the start or end", start);
		if (w->n == CTL_WORDS_MAX)
			return errfmt(err, errlen, "unexpected word \"%.*s\" "
				      "at offset %zu: a request has at most "
				      "%d words", (int)(i - start <
				      CTL_WORD_SHOW_MAX ? i - start :
				      CTL_WORD_SHOW_MAX), line + start, start,
				      CTL_WORDS_MAX);
		w->w[w->n] = line + start;
		w->len[w->n++] = i - start;
		if (i == len)
			return 0;
		i++;
	}
}

/**
 * parse_status() - "status" or "status json"
 * @w:		words, the first one "status"
 * @r:		request, filled on success
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int parse_status(const struct ctl_words *w, struct ctl_req *r,
			char *err, size_t errlen)
{
	if (w->n >= 2 && !word_is(w, 1, "json"))
		return errfmt(err, errlen, "status: unknown format \"%.*s\": "
			      "expected json or nothing", word_show_len(w, 1),
			      w->w[1]);
	if (w->n > 2)
		return errfmt(err, errlen, "status json: unexpected word "
			      "\"%.*s\"", word_show_len(w, 2), w->w[2]);
	r->op = CTL_STATUS;
	r->json = w->n == 2;
	return 0;
}

/**
 * parse_opt() - the option word of add and remove
 * @w:		words
 * @i:		index of the option word
 *
 * Return: 't', 'T', 'u' or 'U', or 0 if the word is no such option
 */
static char parse_opt(const struct ctl_words *w, unsigned i)
{
	if (word_is(w, i, "-u") || word_is(w, i, "--udp-ports"))
		return 'u';
	if (word_is(w, i, "-U") || word_is(w, i, "--udp-ns-ports"))
		return 'U';
	if (word_is(w, i, "-t") || word_is(w, i, "--tcp-ports"))
		return 't';
	if (word_is(w, i, "-T") || word_is(w, i, "--tcp-ns-ports"))
		return 'T';
	return 0;
}

/**
 * parse_proxy() - the optional word after an add's SPEC
 * @w:		words
 * @op:		CTL_ADD or CTL_REMOVE
 * @r:		request, @proxy set on success
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1 (a word that is not "--proxy-protocol" after an add, or
 * any word after a remove's SPEC, or --proxy-protocol on a UDP forward)
 */
static int parse_proxy(const struct ctl_words *w, enum ctl_op op,
		       struct ctl_req *r, char *err, size_t errlen)
{
	if (w->n < 4)
		return 0;
	if (op != CTL_ADD || w->n > 4 || !word_is(w, 3, "--proxy-protocol"))
		return errfmt(err, errlen, "%s -%c SPEC: unexpected word "
			      "\"%.*s\": expected %s", op == CTL_ADD ? "add" :
			      "remove", r->opt, word_show_len(w, 3), w->w[3],
			      op == CTL_ADD ? "nothing or --proxy-protocol"
					    : "nothing");
	/* a usage error here, so `nsplice ctl` exits 2 before sending */
	if (r->opt == 'u' || r->opt == 'U')
		return errfmt(err, errlen, "add -%c SPEC --proxy-protocol: "
			      "the PROXY header is for TCP forwards (-t, -T), "
			      "not UDP", r->opt);
	r->proxy = true;
	return 0;
}

/**
 * parse_change() - "add -t|-T|-u|-U SPEC [--proxy-protocol]",
 *		    "remove -t|-T|-u|-U SPEC"
 * @w:		words, the first one "add" or "remove"
 * @op:		CTL_ADD or CTL_REMOVE
 * @r:		request, filled on success
 * @err:	error buffer
 * @errlen:	its size
 *
 * The SPEC itself is the port spec parser's business (config_change()):
 * here it is one word of printable ASCII, shorter than a line.
 *
 * Return: 0 or -1
 */
static int parse_change(const struct ctl_words *w, enum ctl_op op,
			struct ctl_req *r, char *err, size_t errlen)
{
	const char *name = op == CTL_ADD ? "add" : "remove";
	char opt;

	if (w->n < 2)
		return errfmt(err, errlen, "%s: missing option: expected -t, "
			      "-T, -u or -U and a SPEC", name);
	opt = parse_opt(w, 1);
	if (!opt)
		return errfmt(err, errlen, "%s: unknown option \"%.*s\": "
			      "expected -t, -T, -u or -U", name,
			      word_show_len(w, 1),
			      w->w[1]);
	if (w->n < 3)
		return errfmt(err, errlen, "%s -%c: missing SPEC", name, opt);
	if (w->len[2] >= sizeof(r->spec))
		return errfmt(err, errlen, "%s -%c: SPEC too long", name, opt);
	r->op = op;
	r->opt = opt;
	memcpy(r->spec, w->w[2], w->len[2]);
	r->spec[w->len[2]] = '\0';
	return parse_proxy(w, op, r, err, errlen);
}

/**
 * ctl_req_parse() - parse one request line of the control socket
 * @line:	the bytes received, not NUL-terminated, may hold NULs
 * @len:	their number
 * @r:		request, filled on success, all zeroes on failure
 * @err:	error buffer, set on failure, "" on success
 * @errlen:	its size
 *
 * One line: words separated by one space or tab, an optional trailing
 * newline and nothing after it, at most CTL_LINE_MAX bytes with the
 * newline, printable ASCII only.
 *
 * Return: 0, or -1 with a message naming what is wrong and where
 */
int ctl_req_parse(const char *line, size_t len, struct ctl_req *r,
		  char *err, size_t errlen)
{
	struct ctl_words w = { 0 };
	int ret;

	memset(r, 0, sizeof(*r));
	if (errlen)
		err[0] = '\0';
	if (len && line[len - 1] == '\n')
		len--;
	if (len > CTL_LINE_MAX - 1)
		return errfmt(err, errlen, "line too long: %zu bytes, at most "
			      "%d with the newline", len, CTL_LINE_MAX);
	if (!len)
		return errfmt(err, errlen, "empty request: expected status, "
			      "add or remove");
	if (line_check_bytes(line, len, err, errlen) ||
	    words_split(line, len, &w, err, errlen))
		return -1;
	if (word_is(&w, 0, "status"))
		ret = parse_status(&w, r, err, errlen);
	else if (word_is(&w, 0, "add"))
		ret = parse_change(&w, CTL_ADD, r, err, errlen);
	else if (word_is(&w, 0, "remove"))
		ret = parse_change(&w, CTL_REMOVE, r, err, errlen);
	else
		ret = errfmt(err, errlen, "unknown request \"%.*s\": expected "
			     "status, add or remove", word_show_len(&w, 0),
			     w.w[0]);
	if (ret)
		memset(r, 0, sizeof(*r));
	return ret;
}
