// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ctl.c - fuzz target: the control socket's request parser and the
 *		status report's escaping
 *
 * DOC: Theory of Operation
 *
 * The input is the bytes a client sent, exactly as the server hands them
 * to ctl_req_parse(): not terminated, NULs and all.  Then:
 *
 * - the result is 0 or -1;
 * - a refused line leaves the struct all zeroes and one message:
 *   non-empty, terminated, printable ASCII only (it may quote the line, so
 *   this is what keeps a client from writing control bytes into a log);
 * - an accepted line gives no message, was at most CTL_LINE_MAX bytes of
 *   printable ASCII and tabs (a newline only at its end), and a
 *   consistent struct: status has no option and no SPEC; add and remove
 *   have 't', 'T', 'u' or 'U' and a SPEC of printable ASCII without blanks; the
 *   canonical spelling of the request ("add -t SPEC\n") parses to the
 *   same struct, byte for byte;
 * - a message buffer of 1..MSG_SHORT_MOD bytes (picked from the input
 *   length) gives the same result, a terminated message and no write past
 *   its end;
 * - the input, cut at its first NUL, also becomes the target description
 *   and a process name of a one-forward status report, the forward's
 *   fields taken from the input's first bytes: the text report holds only
 *   printable ASCII and newlines, and the JSON report is well formed as
 *   far as a small scanner can tell (strings escaped, valid UTF-8,
 *   brackets balanced, one object and a newline).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/msg.h"
#include "ipc/text.h"
#include "supervisor/ctlproto.h"
#include "tests/fuzz/fuzz.h"

/* ERR_MAX - message buffer, bytes */
#define ERR_MAX			512

/* MSG_SHORT_MOD - short message buffers tried are 1..MSG_SHORT_MOD bytes */
#define MSG_SHORT_MOD		16

/* CANARY - bytes after a short message buffer that must stay untouched */
#define CANARY			8

/* CANON_EXTRA - room past CTL_LINE_MAX for "remove -T " in a buffer */
#define CANON_EXTRA		16

/* NAME_MAX_FUZZ - longest target string built from the input, bytes */
#define NAME_MAX_FUZZ		256

/* JSON_DEPTH_MAX - deepest nesting a status report has */
#define JSON_DEPTH_MAX		4

/**
 * all_zero() - tell whether a buffer is all zero bytes
 * @p:		buffer
 * @len:	its size
 *
 * Return: true if every byte is zero
 */
static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/**
 * check_message() - a refusal's message is one short printable line
 * @err:	message buffer
 * @size:	its size
 */
static void check_message(const char *err, size_t size)
{
	size_t len = strnlen(err, size), i;

	FUZZ_CHECK(len < size, "message not terminated");
	for (i = 0; i < len; i++)
		FUZZ_CHECK(err[i] >= ' ' && err[i] <= '~',
			   "message has a byte that is not printable ASCII");
}

/**
 * check_line_bytes() - an accepted line was printable ASCII and tabs
 * @data:	line
 * @size:	its length
 */
static void check_line_bytes(const uint8_t *data, size_t size)
{
	size_t i;

	FUZZ_CHECK(size <= CTL_LINE_MAX, "line longer than CTL_LINE_MAX");
	for (i = 0; i < size; i++) {
		if (data[i] == '\n') {
			FUZZ_CHECK(i == size - 1, "newline inside a line");
			continue;
		}
		FUZZ_CHECK(data[i] == '\t' || (data[i] >= ' ' &&
					       data[i] <= '~'),
			   "accepted a line with a control or 8-bit byte");
	}
}

/**
 * check_request() - an accepted request is consistent and round-trips
 * @r:		the request
 */
static void check_request(const struct ctl_req *r)
{
	char line[CTL_LINE_MAX + CANON_EXTRA], err[ERR_MAX];
	size_t len = strnlen(r->spec, sizeof(r->spec)), i;
	struct ctl_req again;

	FUZZ_CHECK(len < sizeof(r->spec), "SPEC not terminated");
	if (r->op == CTL_STATUS) {
		FUZZ_CHECK(!r->opt && all_zero(r->spec, sizeof(r->spec)),
			   "status with an option or a SPEC");
		strcpy(line, r->json ? "status json\n" : "status\n");
	} else {
		FUZZ_CHECK(r->op == CTL_ADD || r->op == CTL_REMOVE,
			   "unknown op");
		FUZZ_CHECK((r->opt == 't' || r->opt == 'T' || r->opt == 'u' ||
			    r->opt == 'U') && !r->json && len,
			   "add/remove without option or SPEC, or with json");
		for (i = 0; i < len; i++)
			FUZZ_CHECK(r->spec[i] > ' ' && r->spec[i] <= '~',
				   "SPEC with a blank or unprintable byte");
		snprintf(line, sizeof(line), "%s -%c %s\n", r->op == CTL_ADD ?
			 "add" : "remove", r->opt, r->spec);
	}
	FUZZ_CHECK(strlen(line) <= CTL_LINE_MAX,
		   "canonical spelling longer than the line it came from");
	FUZZ_CHECK(!ctl_req_parse(line, strlen(line), &again, err,
				  sizeof(err)),
		   "canonical spelling of an accepted request refused");
	FUZZ_CHECK(!memcmp(r, &again, sizeof(again)),
		   "canonical spelling parses to another struct");
}

/**
 * check_short_err() - a short message buffer gives the same answer
 * @data:	line
 * @size:	its length
 * @rc:		result with a full buffer
 */
static void check_short_err(const uint8_t *data, size_t size, int rc)
{
	size_t len = 1 + size % MSG_SHORT_MOD, i;
	char err[MSG_SHORT_MOD + CANARY];
	struct ctl_req r;

	memset(err, 'X', sizeof(err));
	FUZZ_CHECK(ctl_req_parse((const char *)data, size, &r, err, len) ==
		   rc, "result depends on the message buffer's size");
	FUZZ_CHECK(memchr(err, '\0', len) != NULL,
		   "short message not terminated");
	for (i = len; i < sizeof(err); i++)
		FUZZ_CHECK(err[i] == 'X', "message written past its buffer");
}

/**
 * utf8_len() - length of a valid UTF-8 sequence (RFC 3629)
 * @s:		bytes
 * @left:	bytes available at @s, at least one
 *
 * Return: 1 to 4, or 0 if invalid
 */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : lo;
	hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : hi;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/**
 * json_string() - scan one string literal
 * @s:		JSON text
 * @len:	its length
 * @i:		index of the opening quote; set past the closing one
 */
static void json_string(const unsigned char *s, size_t len, size_t *i)
{
	size_t j = *i + 1, n;

	while (j < len && s[j] != '"') {
		FUZZ_CHECK(s[j] >= 0x20, "raw control byte in a JSON string");
		if (s[j] == '\\') {
			FUZZ_CHECK(j + 1 < len && strchr("\"\\/bfnrtu",
							 s[j + 1]) &&
				   s[j + 1], "bad escape in a JSON string");
			if (s[j + 1] == 'u')
				for (n = 2; n < 6; n++)
					FUZZ_CHECK(j + n < len &&
						   strchr("0123456789abcdefABCDEF",
							  s[j + n]) && s[j + n],
						   "bad \\u escape");
			j += s[j + 1] == 'u' ? 6 : 2;
			continue;
		}
		FUZZ_CHECK((n = utf8_len(s + j, len - j)) > 0,
			   "invalid UTF-8 in a JSON string");
		j += n;
	}
	FUZZ_CHECK(j < len, "unterminated JSON string");
	*i = j + 1;
}

/**
 * check_json() - the JSON report is well formed, as far as a scanner sees
 * @s:		report
 * @len:	its length
 */
static void check_json(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char stack[JSON_DEPTH_MAX];
	unsigned depth = 0;
	size_t i = 0;

	FUZZ_CHECK(len >= 3 && s[0] == '{' && !memcmp(s + len - 2, "}\n", 2),
		   "JSON report is not one object and a newline");
	while (i < len - 1) {
		if (u[i] == '"') {
			json_string(u, len - 1, &i);
			continue;
		}
		if (u[i] == '{' || u[i] == '[') {
			FUZZ_CHECK(depth < JSON_DEPTH_MAX, "JSON too deep");
			stack[depth++] = (char)(u[i] == '{' ? '}' : ']');
		} else if (u[i] == '}' || u[i] == ']') {
			FUZZ_CHECK(depth && stack[--depth] == (char)u[i],
				   "unbalanced JSON brackets");
			FUZZ_CHECK(depth || i == len - 2,
				   "text after the JSON object");
		} else {
			FUZZ_CHECK(strchr(",:-0123456789truefalsn", u[i]) &&
				   u[i], "stray byte outside JSON strings");
		}
		i++;
	}
	FUZZ_CHECK(!depth, "unclosed JSON object");
}

/**
 * build_status() - a one-forward report whose strings come from the input
 * @data:	input
 * @size:	its length
 * @st:		report, filled
 * @f:		its forward, filled
 * @name:	storage for the string, NAME_MAX_FUZZ + 1 bytes
 */
static void build_status(const uint8_t *data, size_t size,
			 struct ctl_status *st, struct ctl_fwd_status *f,
			 char *name)
{
	size_t n = size < NAME_MAX_FUZZ ? size : NAME_MAX_FUZZ;
	size_t k = size < sizeof(f->m) ? size : sizeof(f->m);

	memcpy(name, data, n);
	name[n] = '\0';
	memset(f, 0, sizeof(*f));
	memset(st, 0, sizeof(*st));
	memcpy(&f->m, data, k);
	f->opt = size ? (char)data[0] : 0;
	f->src = size > 1 ? data[1] : 0;
	f->bound = size > 2 && (data[2] & 1);
	f->c.bytes[1] = UINT64_MAX;
	st->version = name;
	st->target = name;
	st->fwd = f;
	st->nfwd = 1;
	st->proc[0] = (struct ctl_proc_status){ name, -1, name, ~0U };
	st->proc[1] = (struct ctl_proc_status){ NULL, 0, NULL, 0 };
	st->nproc = 2;
}

/**
 * check_format() - both reports of a hostile status are safe
 * @data:	input
 * @size:	its length
 */
static void check_format(const uint8_t *data, size_t size)
{
	char name[NAME_MAX_FUZZ + 1], *out, *safe;
	struct ctl_fwd_status f;
	struct ctl_status st;
	size_t len;

	build_status(data, size, &st, &f, name);
	FUZZ_CHECK(!ctl_format(&st, false, &out, &len) && strlen(out) == len,
		   "text report failed or has a NUL");
	/* terminal-safe (ipc/text.h): cleaning it again changes nothing */
	safe = malloc(len + 1);
	FUZZ_CHECK(safe != NULL, "out of memory");
	FUZZ_CHECK(text_safe(safe, out, len, TEXT_KEEP_NL, NULL) == len &&
		   !memcmp(safe, out, len),
		   "text report has a byte a terminal acts on");
	free(safe);
	free(out);
	FUZZ_CHECK(!ctl_format(&st, true, &out, &len) && strlen(out) == len,
		   "JSON report failed or has a NUL");
	check_json(out, len);
	free(out);
}

/**
 * LLVMFuzzerTestOneInput() - parse one request and check every property
 * @data:	bytes a client sent, not terminated
 * @size:	bytes in @data
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_MAX];
	struct ctl_req r;
	int rc;

	memset(err, 'X', sizeof(err));
	rc = ctl_req_parse((const char *)data, size, &r, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "parse returned neither 0 nor -1");
	if (rc) {
		FUZZ_CHECK(all_zero(&r, sizeof(r)),
			   "refused line left the struct filled");
		FUZZ_CHECK(err[0], "refused line without a message");
		check_message(err, sizeof(err));
	} else {
		FUZZ_CHECK(!err[0], "accepted line with a message");
		check_line_bytes(data, size);
		check_request(&r);
	}
	check_short_err(data, size, rc);
	check_format(data, size);
	return 0;
}
