// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - the control socket: request parser, status formatter, server
 *
 * DOC: Theory of Operation
 *
 * See control.h for the protocol.  Three parts live here, in this order:
 *
 * - ctl_req_parse(): one request line, from a client nsplice does not
 *   trust (any local user who can reach the socket, or a fuzzer).  It
 *   checks the length and every byte before it looks at a word, splits on
 *   single spaces or tabs, and fills the struct only once the whole line
 *   is valid, so a refused line leaves it all zeroes.  Messages quote what
 *   was typed only after every byte is known to be printable ASCII.
 *
 * - ctl_format(): the status report as text for people, or as one JSON
 *   object for programs.  Strings in the report (the target description,
 *   process names) go through an escaper: text goes through text_safe()
 *   (controls, C1 and invalid UTF-8 become '?'), so a namespace path
 *   cannot move a terminal's cursor; JSON escapes what it must and keeps valid UTF-8, replacing
 *   invalid bytes with U+FFFD, so any JSON parser accepts the output.
 *
 * - the server: control_open() creates the socket before the supervisor's
 *   sandbox (which forbids socket(AF_UNIX)); everything after it uses only
 *   accept4, recvfrom, sendto, getsockopt, close, unlink, clock_gettime and
 *   the caller's poll().  Every client socket is non-blocking, every read
 *   is bounded by CTL_LINE_MAX, every client by a CTL_TIMEOUT_SEC deadline
 *   from accept to the end of its answer, and the number of clients by
 *   CTL_CLIENTS_MAX: beyond it the listener is left out of the poll set and
 *   connections wait in the kernel's backlog.  So a client can delay
 *   nobody but itself, and never block the supervisor.
 *
 * Answers are reference-counted buffers: a status report is formatted once
 * per format however many clients wait for it, and each client keeps its
 * own write offset.
 *
 * Who may connect: the peer's uid (SO_PEERCRED, fixed at connect()) must
 * be the supervisor's or root's; the socket's mode 0600 already says so,
 * the check holds even if someone loosens the mode or the directory.  A
 * uid is not enough: COMMAND runs as the caller's uid (rootless) or as
 * root (root mode) and shares the mount namespace, so it can reach the
 * socket.  It always runs in a user namespace of its own, though
 * (supervisor/target.c), so the peer's user namespace must also be the
 * supervisor's (compared by device and inode with /proc/self/ns/user,
 * read in control_new()).  The peer is pinned as of connect() by
 * SO_PEERPIDFD (Linux 6.5) and its namespace read with ioctl(pidfd,
 * PIDFD_GET_USER_NAMESPACE) (6.11); before 6.11, /proc/PID/ns/user with
 * the pidfd checked alive afterwards, so the pid named that process;
 * before 6.5, /proc/PID/ns/user of SO_PEERCRED's pid, which a peer that
 * exits before the accept could have handed over to another process.
 * The kernel shows a process's namespace only to who could ptrace-read
 * it; the supervisor holds every capability in COMMAND's user namespace
 * (it made it), so COMMAND is never hidden.  A hidden peer is one with
 * privileges the supervisor lacks: root, which is let in as before, or a
 * process of the caller's uid that is not, so it is refused.
 *
 * The socket file: bound with umask CTL_SOCK_UMASK, so it is 0600 from
 * the moment it exists (unix_bind() applies the umask itself, so a
 * default ACL of the directory can only narrow it); nothing is done to it
 * by path after bind(), so a path swapped for a symlink in between
 * cannot redirect a chmod().  A directory others may write to without the
 * sticky bit is refused: anyone there could replace the socket with one
 * of their own and answer `nsplice ctl` in nsplice's place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../cmd/config.h"
#include "../ipc/inany.h"
#include "../ipc/log.h"
#include "../ipc/text.h"
#include "../seccomp/seccomp.h"
#include "control.h"

/* SO_PEERPIDFD - asm-generic/socket.h of Linux 6.5, if the headers lack it */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD		77
#endif

/* CTL_WORDS_MAX - words in the longest request,
 * "add -t SPEC --proxy-protocol" */
#define CTL_WORDS_MAX		4

/* CTL_WORD_SHOW_MAX - bytes of a word quoted in an error message */
#define CTL_WORD_SHOW_MAX	40

/* CTL_ERR_MAX - one error message of the server, bytes */
#define CTL_ERR_MAX		512

/* CTL_SUN_PATH_MAX - size of sun_path, bytes with the NUL */
#define CTL_SUN_PATH_MAX	sizeof(((struct sockaddr_un *)NULL)->sun_path)

/* CTL_BUF_MIN - first allocation of a report buffer, bytes */
#define CTL_BUF_MIN		4096

/* CTL_SOCK_MODE - mode of the socket file: owner read and write only */
#define CTL_SOCK_MODE		0600

/* CTL_SOCK_UMASK - umask while binding, so the file is never wider */
#define CTL_SOCK_UMASK		(0777 & ~CTL_SOCK_MODE)

/* CTL_DIR_SHARED - directory mode bits that let others replace entries */
#define CTL_DIR_SHARED		(S_IWGRP | S_IWOTH)

/* CTL_SELF_USERNS - the supervisor's user namespace */
#define CTL_SELF_USERNS		"/proc/self/ns/user"

/* CTL_PROC_PATH_MAX - bytes of "/proc/PID/ns/user" with the NUL */
#define CTL_PROC_PATH_MAX	48

/* MS_PER_SEC, NS_PER_MS - time unit conversions */
#define MS_PER_SEC		1000ULL
#define NS_PER_MS		1000000ULL

/* CTL_TIMEOUT_MS - CTL_TIMEOUT_SEC in milliseconds */
#define CTL_TIMEOUT_MS		(CTL_TIMEOUT_SEC * MS_PER_SEC)

/* Answers the server writes itself (the status report is formatted) */
#define CTL_ANS_OK		"ok\n"
#define CTL_ANS_DENIED		"error: permission denied\n"
#define CTL_ANS_DENIED_NS	"error: permission denied: "

/* ------------------------------------------------------------------ */
/* Request parser                                                      */
/* ------------------------------------------------------------------ */

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
 * line_split() - split a checked line into words
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
static int line_split(const char *line, size_t len, struct ctl_words *w,
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
 * any word after a remove's SPEC)
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
	r->proxy = true;
	return 0;
}

/**
 * parse_change() - "add -t|-T SPEC [--proxy-protocol]",
 *		    "remove -t|-T SPEC"
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
		return errfmt(err, errlen, "%s: missing option: expected -t "
			      "SPEC or -T SPEC", name);
	opt = parse_opt(w, 1);
	if (!opt)
		return errfmt(err, errlen, "%s: unknown option \"%.*s\": "
			      "expected -t or -T", name, word_show_len(w, 1),
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
	    line_split(line, len, &w, err, errlen))
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

/* ------------------------------------------------------------------ */
/* Status formatter                                                    */
/* ------------------------------------------------------------------ */

/**
 * struct ctl_buf - a growing output buffer
 * @p:		text, NUL-terminated while @failed is false
 * @len:	bytes in @p without the NUL
 * @cap:	bytes allocated
 * @failed:	an allocation failed or CTL_ANSWER_MAX was reached: the
 *		text is incomplete
 */
struct ctl_buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

/**
 * buf_reserve() - make room for more bytes
 * @b:		buffer
 * @more:	bytes needed after @b->len, the NUL included
 *
 * Return: 0, or -1 (and @b->failed set) if memory or CTL_ANSWER_MAX runs
 * out
 */
static int buf_reserve(struct ctl_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : CTL_BUF_MIN;
	char *p;

	if (b->failed || more > CTL_ANSWER_MAX - b->len)
		goto fail;
	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = true;
	return -1;
}

/**
 * buf_printf() - append formatted text
 * @b:		buffer
 * @fmt:	printf format
 */
static void __attribute__((format(printf, 2, 3)))
buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/**
 * buf_putc() - append one byte
 * @b:		buffer
 * @c:		byte
 */
static void buf_putc(struct ctl_buf *b, char c)
{
	if (buf_reserve(b, 2))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/**
 * utf8_seq_len() - length of a valid UTF-8 sequence starting a string
 * @s:		NUL-terminated string, @s[0] >= 0x80
 *
 * Overlong forms, surrogates and code points above U+10FFFF are invalid
 * (RFC 3629).  Stops at the first byte out of range, so it never reads
 * past the NUL.
 *
 * Return: 2, 3 or 4, or 0 if the bytes are not valid UTF-8
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : lo;
		hi = c == 0xed ? 0x9f : hi;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/**
 * json_str() - append a string as a JSON string literal
 * @b:		buffer
 * @s:		string, or NULL for a JSON null
 */
static void json_str(struct ctl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s) {
		buf_printf(b, "null");
		return;
	}
	buf_putc(b, '"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			buf_putc(b, (char)*p++);
		} else if ((n = utf8_seq_len(p))) {
			while (n--)
				buf_putc(b, (char)*p++);
		} else {
			buf_printf(b, "\\ufffd");
			p++;
		}
	}
	buf_putc(b, '"');
}

/**
 * text_str() - append a string for a terminal
 * @b:		buffer
 * @s:		string, or NULL, shown as "-"
 */
static void text_str(struct ctl_buf *b, const char *s)
{
	size_t len;

	if (!s)
		s = "-";
	len = strlen(s);
	if (buf_reserve(b, len + 1))
		return;
	/* text_safe() never writes more than it reads */
	b->len += text_safe(b->p + b->len, s, len, 0, NULL);
	b->p[b->len] = '\0';
}

/**
 * src_name() - name of a CONFIG_SRC_* value
 * @src:	CONFIG_SRC_*
 *
 * Return: "args", "file", "ctl", "auto" or "unknown"
 */
static const char *src_name(int src)
{
	switch (src) {
	case CONFIG_SRC_ARGS:	return "args";
	case CONFIG_SRC_FILE:	return "file";
	case CONFIG_SRC_CTL:	return "ctl";
	case CONFIG_SRC_AUTO:	return "auto";
	default:		return "unknown";
	}
}

/**
 * side_name() - name of the listening side
 * @side:	enum nsp_side
 *
 * Return: "host", "namespace" or "unknown"
 */
static const char *side_name(unsigned side)
{
	if (side == SIDE_HOST)
		return "host";
	return side == SIDE_TARGET ? "namespace" : "unknown";
}

/**
 * opt_char() - the option letter of a forward, safe to print
 * @opt:	't', 'T', 'u' or 'U'
 *
 * Return: @opt, or '?' for anything else
 */
static char opt_char(char opt)
{
	return (char)(opt == 't' || opt == 'T' || opt == 'u' || opt == 'U' ?
		      opt : '?');
}

/**
 * fwd_ifname() - the interface name of a forward, terminated
 * @m:		forward
 * @buf:	output, IF_NAMESIZE + 1 bytes
 *
 * Return: @buf
 */
static const char *fwd_ifname(const struct msg_forward *m, char *buf)
{
	size_t n = strnlen(m->ifname, IF_NAMESIZE);

	memcpy(buf, m->ifname, n);
	buf[n] = '\0';
	return buf;
}

/**
 * text_addr_port() - append "ADDR[%IF]:PORT", IPv6 in brackets
 * @b:		buffer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 * @ifname:	interface, "" for none
 * @port:	port
 */
static void text_addr_port(struct ctl_buf *b, int af, const union inany *a,
			   const char *ifname, unsigned port)
{
	char addr[INANY_STRLEN];
	bool v6 = af == AF_INET6;

	inany_ntop(af, a, addr, sizeof(addr));
	buf_printf(b, "%s%s", v6 ? "[" : "", addr);
	if (*ifname) {
		buf_putc(b, '%');
		text_str(b, ifname);
	}
	buf_printf(b, "%s:%u", v6 ? "]" : "", port);
}

/* udp_drop_names - enum stats_drop, as status reports name them */
static const char *const udp_drop_names[STATS_DROPS] = {
	"no_socket", "flow_limit", "buffer_full", "refused", "truncated",
};

/**
 * text_udp() - append a UDP forward's datagram counters, indented
 * @b:		buffer
 * @f:		forward, FWD_F_UDP
 *
 * For UDP, "accepted" counts flows, "refused" dropped datagrams and
 * "errors" ICMP errors; this line adds datagrams and drops by reason.
 */
static void text_udp(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	unsigned i;

	buf_printf(b, "      udp  datagrams c->s %" PRIu64 " s->c %" PRIu64
		   "  drops", f->dgrams[0], f->dgrams[1]);
	for (i = 0; i < STATS_DROPS; i++)
		buf_printf(b, " %s %" PRIu64, udp_drop_names[i], f->drops[i]);
	buf_printf(b, "\n");
}

/**
 * json_udp() - append a UDP forward's counters as JSON members
 * @b:		buffer
 * @f:		forward; nothing is added for a TCP one
 */
static void json_udp(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	unsigned i;

	if (!(f->m.flags & FWD_F_UDP))
		return;		/* TCP objects keep their shape */
	buf_printf(b, ",\"protocol\":\"udp\",\"datagrams_to_server\":%" PRIu64
		   ",\"datagrams_to_client\":%" PRIu64 ",\"drops\":{",
		   f->dgrams[0], f->dgrams[1]);
	for (i = 0; i < STATS_DROPS; i++)
		buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "",
			   udp_drop_names[i], f->drops[i]);
	buf_printf(b, "}");
}

/**
 * text_fwd() - append one forward's line of the text report
 * @b:		buffer
 * @f:		forward
 */
static void text_fwd(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	const struct msg_forward *m = &f->m;
	char ifname[IF_NAMESIZE + 1];

	buf_printf(b, "  -%c ", opt_char(f->opt));
	text_addr_port(b, m->family, &m->listen_addr, fwd_ifname(m, ifname),
		       m->listen_port);
	buf_printf(b, " -> ");
	if (m->flags & FWD_F_TARGET_ADDR)
		text_addr_port(b, m->target_family, &m->target_addr, "",
			       m->target_port);
	else
		buf_printf(b, "%u", m->target_port);
	buf_printf(b, "  side %s  source %s  bound %s  open %" PRIu32
		   "  accepted %" PRIu64 "  refused %" PRIu64 "  errors %"
		   PRIu64 "  bytes c->s %" PRIu64 " s->c %" PRIu64 "%s\n",
		   side_name(m->listen_side), src_name(f->src),
		   f->bound ? "yes" : "no", f->open, f->accepted, f->refused,
		   f->errors, f->bytes[0], f->bytes[1],
		   m->flags & FWD_F_PROXY ? "  proxy-protocol v2" : "");
	if (m->flags & FWD_F_UDP)
		text_udp(b, f);
}

/**
 * text_report() - the whole report as text
 * @b:		buffer
 * @st:		report
 */
static void text_report(struct ctl_buf *b, const struct ctl_status *st)
{
	const struct ctl_proc_status *p;
	unsigned i;

	buf_printf(b, "nsplice ");
	text_str(b, st->version);
	buf_printf(b, "  target ");
	text_str(b, st->target);
	buf_printf(b, "\nflows %" PRIu32 " of %" PRIu32 "  listeners waiting %"
		   PRIu32 "  counters %" PRIu64 " ms old\nforwards %u\n",
		   st->flows, st->flow_limit, st->waiting, st->stats_age_ms,
		   st->nfwd);
	for (i = 0; i < st->nfwd; i++)
		text_fwd(b, &st->fwd[i]);
	buf_printf(b, "processes %u\n", st->nproc);
	for (i = 0; i < st->nproc && i < CTL_PROCS_MAX; i++) {
		p = &st->proc[i];
		buf_printf(b, "  ");
		text_str(b, p->name);
		buf_printf(b, "  pid %ld  ", (long)p->pid);
		text_str(b, p->state);
		buf_printf(b, "  restarts %u\n", p->restarts);
	}
}

/**
 * json_addr() - append an address as a JSON string
 * @b:		buffer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 */
static void json_addr(struct ctl_buf *b, int af, const union inany *a)
{
	char addr[INANY_STRLEN];

	json_str(b, inany_ntop(af, a, addr, sizeof(addr)));
}

/**
 * json_fwd() - append one forward as a JSON object
 * @b:		buffer
 * @f:		forward
 */
static void json_fwd(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	const struct msg_forward *m = &f->m;
	char ifname[IF_NAMESIZE + 1];
	char opt[2] = { opt_char(f->opt), '\0' };

	buf_printf(b, "{\"opt\":");
	json_str(b, opt);
	buf_printf(b, ",\"side\":\"%s\",\"family\":\"%s\",\"listen_address\":",
		   side_name(m->listen_side), m->family == AF_INET ? "ipv4" :
		   m->family == AF_INET6 ? "ipv6" : "unknown");
	json_addr(b, m->family, &m->listen_addr);
	buf_printf(b, ",\"listen_port\":%u,\"interface\":", m->listen_port);
	json_str(b, fwd_ifname(m, ifname));
	buf_printf(b, ",\"target_address\":");
	if (m->flags & FWD_F_TARGET_ADDR)
		json_addr(b, m->target_family, &m->target_addr);
	else
		json_str(b, NULL);
	buf_printf(b, ",\"target_port\":%u,\"source\":\"%s\",\"bound\":%s,"
		   "\"open\":%" PRIu32 ",\"accepted\":%" PRIu64 ",\"refused\":%"
		   PRIu64 ",\"errors\":%" PRIu64 ",\"bytes_to_server\":%" PRIu64
		   ",\"bytes_to_client\":%" PRIu64, m->target_port,
		   src_name(f->src), f->bound ? "true" : "false", f->open,
		   f->accepted, f->refused, f->errors, f->bytes[0],
		   f->bytes[1]);
	json_udp(b, f);
	buf_printf(b, ",\"proxy_protocol\":%s}",
		   m->flags & FWD_F_PROXY ? "true" : "false");
}

/**
 * json_proc() - append one process as a JSON object
 * @b:		buffer
 * @p:		process
 */
static void json_proc(struct ctl_buf *b, const struct ctl_proc_status *p)
{
	buf_printf(b, "{\"name\":");
	json_str(b, p->name);
	buf_printf(b, ",\"pid\":%ld,\"state\":", (long)p->pid);
	json_str(b, p->state);
	buf_printf(b, ",\"restarts\":%u}", p->restarts);
}

/**
 * json_report() - the whole report as one JSON object and a newline
 * @b:		buffer
 * @st:		report
 */
static void json_report(struct ctl_buf *b, const struct ctl_status *st)
{
	unsigned i;

	buf_printf(b, "{\"version\":");
	json_str(b, st->version);
	buf_printf(b, ",\"target\":");
	json_str(b, st->target);
	buf_printf(b, ",\"flows\":%" PRIu32 ",\"flow_limit\":%" PRIu32
		   ",\"waiting\":%" PRIu32 ",\"stats_age_ms\":%" PRIu64
		   ",\"forwards\":[", st->flows, st->flow_limit, st->waiting,
		   st->stats_age_ms);
	for (i = 0; i < st->nfwd; i++) {
		if (i)
			buf_putc(b, ',');
		json_fwd(b, &st->fwd[i]);
	}
	buf_printf(b, "],\"processes\":[");
	for (i = 0; i < st->nproc && i < CTL_PROCS_MAX; i++) {
		if (i)
			buf_putc(b, ',');
		json_proc(b, &st->proc[i]);
	}
	buf_printf(b, "]}\n");
}

/**
 * ctl_format() - format a status report
 * @st:		report
 * @json:	one JSON object instead of text
 * @out:	set to the report, NUL-terminated, malloc'd: the caller frees
 *		it; NULL on failure
 * @len:	set to its length without the NUL
 *
 * Return: 0, or -1 if memory ran out or the report would be longer than
 * CTL_ANSWER_MAX
 */
int ctl_format(const struct ctl_status *st, bool json, char **out,
	       size_t *len)
{
	struct ctl_buf b = { 0 };

	*out = NULL;
	*len = 0;
	if (buf_reserve(&b, 1))
		return -1;
	b.p[0] = '\0';
	if (json)
		json_report(&b, st);
	else
		text_report(&b, st);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

/**
 * struct ctl_answer - bytes to send, shared by the clients sending them
 * @refs:	holders: each client writing it, and its maker while it
 *		hands it out
 * @len:	bytes in @data
 * @data:	the answer
 */
struct ctl_answer {
	unsigned refs;
	size_t len;
	char data[];
};

/**
 * enum ctl_client_state - where a client is
 * @CL_FREE:	slot unused
 * @CL_READ:	reading its request line
 * @CL_WAIT:	waiting for control_status_ready()
 * @CL_WRITE:	writing its answer; closed once it is out
 */
enum ctl_client_state {
	CL_FREE = 0,
	CL_READ,
	CL_WAIT,
	CL_WRITE,
};

/**
 * struct ctl_client - one connection
 * @fd:		its socket, non-blocking
 * @state:	enum ctl_client_state
 * @json:	CL_WAIT: wants the JSON report
 * @deadline:	CLOCK_MONOTONIC millisecond it is dropped at
 * @uid:	peer's uid, for log lines
 * @inlen:	bytes in @in
 * @in:		request bytes so far
 * @ans:	CL_WRITE: the answer
 * @off:	CL_WRITE: bytes of @ans already sent
 */
struct ctl_client {
	int fd;
	int state;
	bool json;
	uint64_t deadline;
	uid_t uid;
	size_t inlen;
	char in[CTL_LINE_MAX];
	struct ctl_answer *ans;
	size_t off;
};

/**
 * struct control - the control socket server
 * @fd:		listening socket
 * @owner:	uid allowed besides root
 * @userns:	the supervisor's user namespace: a peer must be in it
 * @no_userns:	the kernel has no user namespaces (no /proc/self/ns/user)
 * @ops:	what it asks of the supervisor
 * @ctx:	argument to @ops
 * @asked:	@ops->status was called and control_status_ready() not yet
 * @asked_at:	CLOCK_MONOTONIC millisecond of that call
 * @ncl:	clients in use
 * @cl:		clients
 * @path:	socket path, unlinked by control_free()
 * @rl_denied:	rate limit of "refused a client" lines
 * @rl_accept:	rate limit of accept() failure lines
 */
struct control {
	int fd;
	uid_t owner;
	struct stat userns;
	bool no_userns;
	const struct ctl_ops *ops;
	void *ctx;
	bool asked;
	uint64_t asked_at;
	unsigned ncl;
	struct ctl_client cl[CTL_CLIENTS_MAX];
	char path[CTL_SUN_PATH_MAX];
	struct log_ratelimit rl_denied;
	struct log_ratelimit rl_accept;
};

/**
 * now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: milliseconds since an arbitrary start
 */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MS_PER_SEC +
	       (uint64_t)ts.tv_nsec / NS_PER_MS;
}

/**
 * sun_from_path() - build a unix socket address
 * @sun:	output
 * @path:	path, checked to fit
 *
 * Return: its length for bind() and connect()
 */
static socklen_t sun_from_path(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	return (socklen_t)sizeof(*sun);
}

/**
 * path_clear() - make room for the socket at @path
 * @path:	socket path
 * @err:	error buffer
 * @errlen:	its size
 *
 * Only a socket nobody listens on (connect() says ECONNREFUSED: a
 * supervisor that died without unlinking it) is replaced.  Anything else
 * there is an error: a live socket means another nsplice owns the path, a
 * file or a directory is nothing of ours to delete.
 *
 * Return: 0 if nothing is at @path (any more), -1 otherwise
 */
static int path_clear(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 :
		       errfmt(err, errlen, "control socket %s: %s", path,
			      strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errfmt(err, errlen, "control socket %s: exists and is "
			      "not a socket, not replacing it", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errfmt(err, errlen, "control socket %s: socket: %s",
			      path, strerror(errno));
	ret = connect(fd, (struct sockaddr *)&sun, sun_from_path(&sun, path));
	if (!ret)
		errfmt(err, errlen, "control socket %s: in use by a running "
		       "process", path);
	else if (errno != ECONNREFUSED)
		errfmt(err, errlen, "control socket %s: cannot tell whether "
		       "it is in use: %s", path, strerror(errno));
	else if (unlink(path) && errno != ENOENT)
		errfmt(err, errlen, "control socket %s: removing the stale "
		       "socket: %s", path, strerror(errno));
	else
		ret = 1;
	close(fd);
	return ret == 1 ? 0 : -1;
}

/**
 * dir_check() - refuse a directory where others could replace the socket
 * @path:	socket path
 * @err:	error buffer
 * @errlen:	its size
 *
 * The directory must belong to the supervisor's user or root, and be
 * writable by nobody else unless it is sticky (as /tmp is): there, only
 * the socket's owner may unlink or rename it.
 *
 * Return: 0, or -1 with @err set
 */
static int dir_check(const char *path, char *err, size_t errlen)
{
	char dir[CTL_SUN_PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st))
		return errfmt(err, errlen, "control socket %s: directory %s: "
			      "%s", path, dir, strerror(errno));
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & CTL_DIR_SHARED) && !(st.st_mode & S_ISVTX)))
		return errfmt(err, errlen, "control socket %s: directory %s "
			      "(owner uid %u, mode %04o) lets others replace the "
			      "socket: use a directory only you (or root) can "
			      "write to, or a sticky one", path, dir,
			      (unsigned)st.st_uid,
			      (unsigned)(st.st_mode & 07777));
	return 0;
}

/**
 * sock_bind() - bind and listen at @path with mode 0600
 * @fd:		socket
 * @path:	path, free
 * @err:	error buffer
 * @errlen:	its size
 *
 * The umask makes the file 0600 from the moment it exists: unix_bind()
 * applies it before the file system sees the mode, and a default ACL can
 * only take permissions away from that.  Nothing touches @path after
 * bind() (no chmod(), which would follow a symlink put there meanwhile).
 *
 * Return: 0, or -1 with nothing left at @path
 */
static int sock_bind(int fd, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	socklen_t len = sun_from_path(&sun, path);
	mode_t old;
	int ret;

	old = umask(CTL_SOCK_UMASK);
	ret = bind(fd, (struct sockaddr *)&sun, len);
	umask(old);
	if (ret)
		return errfmt(err, errlen, "control socket %s: bind: %s", path,
			      strerror(errno));
	if (listen(fd, CTL_CLIENTS_MAX)) {
		errfmt(err, errlen, "control socket %s: %s", path,
		       strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/**
 * control_open() - create the listening control socket
 * @path:	socket path (--control)
 * @err:	error buffer
 * @errlen:	its size
 *
 * Runs before the sandbox: socket() and bind() are not allowed after it.
 * A stale socket at @path is replaced, nothing else is; a directory that
 * others may write to is refused (dir_check()).
 *
 * Return: listening socket (non-blocking, close-on-exec), or -1 with a
 * message and nothing created
 */
int control_open(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	int fd;

	if (!len)
		return errfmt(err, errlen, "control socket path is empty");
	if (len >= CTL_SUN_PATH_MAX)
		return errfmt(err, errlen, "control socket %.60s...: path too "
			      "long: %zu bytes, at most %zu", path, len,
			      CTL_SUN_PATH_MAX - 1);
	if (dir_check(path, err, errlen) || path_clear(path, err, errlen))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errfmt(err, errlen, "control socket %s: socket: %s",
			      path, strerror(errno));
	if (sock_bind(fd, path, err, errlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * control_new() - set up the server on a socket from control_open()
 * @listen_fd:	listening socket; owned by the server from now on
 * @path:	its path, unlinked by control_free()
 * @owner:	uid allowed to use it besides root (the supervisor's euid)
 * @ops:	callbacks into the supervisor
 * @ctx:	their argument
 *
 * Runs before the sandbox, like control_open(): it notes the supervisor's
 * user namespace, which every client must share.
 *
 * Return: the server, or NULL if memory ran out, @path does not fit or
 * the supervisor's user namespace cannot be read (@listen_fd is then
 * still the caller's)
 */
struct control *control_new(int listen_fd, const char *path, uid_t owner,
			    const struct ctl_ops *ops, void *ctx)
{
	struct control *c;
	unsigned i;

	if (strlen(path) >= CTL_SUN_PATH_MAX || !(c = calloc(1, sizeof(*c))))
		return NULL;
	if (stat(CTL_SELF_USERNS, &c->userns)) {
		if (errno != ENOENT) {
			nerr("control socket: %s: %s", CTL_SELF_USERNS,
			     strerror(errno));
			free(c);
			return NULL;
		}
		c->no_userns = true;
	}
	c->fd = listen_fd;
	c->owner = owner;
	c->ops = ops;
	c->ctx = ctx;
	snprintf(c->path, sizeof(c->path), "%s", path);
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		c->cl[i].fd = -1;
	return c;
}

/**
 * answer_new() - an answer of one or two parts
 * @head:	first part
 * @body:	second part, or NULL
 * @blen:	its length
 *
 * Return: the answer with one reference, or NULL if memory ran out
 */
static struct ctl_answer *answer_new(const char *head, const char *body,
				     size_t blen)
{
	size_t hlen = strlen(head);
	struct ctl_answer *a;

	if (!(a = malloc(sizeof(*a) + hlen + blen)))
		return NULL;
	a->refs = 1;
	a->len = hlen + blen;
	memcpy(a->data, head, hlen);
	if (blen)
		memcpy(a->data + hlen, body, blen);
	return a;
}

/**
 * answer_put() - drop one reference to an answer
 * @a:		answer, or NULL
 */
static void answer_put(struct ctl_answer *a)
{
	if (a && !--a->refs)
		free(a);
}

/**
 * client_drop() - close a client and free its slot
 * @c:		server
 * @cl:		client in use
 */
static void client_drop(struct control *c, struct ctl_client *cl)
{
	close(cl->fd);
	answer_put(cl->ans);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	c->ncl--;
}

/**
 * client_write() - send what the socket takes of a client's answer
 * @c:		server
 * @cl:		client in CL_WRITE
 *
 * MSG_NOSIGNAL: a client that went away must not kill the supervisor
 * with SIGPIPE.  The client is closed once everything is out, or on any
 * error; on EAGAIN it stays and is polled for POLLOUT.
 */
static void client_write(struct control *c, struct ctl_client *cl)
{
	const struct ctl_answer *a = cl->ans;
	ssize_t n;

	while (cl->off < a->len) {
		n = send(cl->fd, a->data + cl->off, a->len - cl->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			ndebug("control: client of uid %u went away: %s",
			       (unsigned)cl->uid, strerror(errno));
			break;
		}
		cl->off += (size_t)n;
	}
	client_drop(c, cl);
}

/**
 * client_answer() - start writing an answer to a client
 * @c:		server
 * @cl:		client
 * @a:		answer, or NULL if making it ran out of memory; the client
 *		takes a reference of its own
 */
static void client_answer(struct control *c, struct ctl_client *cl,
			  struct ctl_answer *a)
{
	if (!a) {
		nwarn("control: out of memory for an answer");
		client_drop(c, cl);
		return;
	}
	a->refs++;
	cl->ans = a;
	cl->off = 0;
	cl->state = CL_WRITE;
	client_write(c, cl);
}

/**
 * client_say() - answer a client with a short fixed or formatted line
 * @c:		server
 * @cl:		client
 * @head:	"ok\n", or "error: " followed by @msg and a newline
 * @msg:	message for an error, or NULL; made terminal-safe with
 *		text_safe() (controls, C1 included, become '?') so the
 *		answer stays one line
 */
static void client_say(struct control *c, struct ctl_client *cl,
		       const char *head, const char *msg)
{
	char line[CTL_ERR_MAX + sizeof("error: \n")];
	struct ctl_answer *a;
	int n;

	if (msg) {
		n = snprintf(line, sizeof(line) - 1, "%s%s", head,
			     *msg ? msg : "failed");
		n = n < 0 ? 0 : n;
		n = (size_t)n < sizeof(line) - 2 ? n : (int)sizeof(line) - 2;
		n = (int)text_safe(line, line, (size_t)n, 0, NULL);
		line[n++] = '\n';
		line[n] = '\0';
		head = line;
	}
	a = answer_new(head, NULL, 0);
	client_answer(c, cl, a);
	answer_put(a);
}

/**
 * status_request() - make a client wait for the next status report
 * @c:		server
 * @cl:		client
 * @json:	it wants JSON
 *
 * The supervisor is asked once however many clients wait; if it has not
 * answered within CTL_TIMEOUT_SEC (a report lost to a restarting relay),
 * the next client asks again rather than waiting for an answer that may
 * never come.
 */
static void status_request(struct control *c, struct ctl_client *cl,
			   bool json)
{
	uint64_t now = now_ms();

	cl->state = CL_WAIT;
	cl->json = json;
	if (c->asked && now - c->asked_at < CTL_TIMEOUT_MS)
		return;
	c->asked = true;
	c->asked_at = now;
	c->ops->status(c->ctx);
}

/**
 * client_request() - act on a complete request line
 * @c:		server
 * @cl:		client in CL_READ, @cl->in holds the line
 */
static void client_request(struct control *c, struct ctl_client *cl)
{
	char err[CTL_ERR_MAX];
	struct ctl_req r;

	if (ctl_req_parse(cl->in, cl->inlen, &r, err, sizeof(err))) {
		ndebug("control: uid %u: bad request: %s", (unsigned)cl->uid,
		       err);
		client_say(c, cl, "error: ", err);
		return;
	}
	if (r.op == CTL_STATUS) {
		status_request(c, cl, r.json);
		return;
	}
	ninfo("control: uid %u: %s -%c %s", (unsigned)cl->uid,
	      r.op == CTL_ADD ? "add" : "remove", r.opt, r.spec);
	err[0] = '\0';
	if (c->ops->change(c->ctx, &r, err, sizeof(err))) {
		err[sizeof(err) - 1] = '\0';
		client_say(c, cl, "error: ", err);
	} else {
		client_say(c, cl, CTL_ANS_OK, NULL);
	}
}

/**
 * client_read() - read what a client sent of its request
 * @c:		server
 * @cl:		client in CL_READ
 *
 * The line is complete at its newline or at end of file; a buffer full
 * without a newline is a line longer than CTL_LINE_MAX.
 */
static void client_read(struct control *c, struct ctl_client *cl)
{
	char err[CTL_ERR_MAX];
	ssize_t n;

	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_drop(c, cl);
		return;
	}
	cl->inlen += (size_t)n;
	if (!n || memchr(cl->in + cl->inlen - (size_t)n, '\n', (size_t)n)) {
		client_request(c, cl);
	} else if (cl->inlen == sizeof(cl->in)) {
		snprintf(err, sizeof(err), "request longer than %d bytes",
			 CTL_LINE_MAX);
		client_say(c, cl, "error: ", err);
	}
}

/**
 * peer_cred() - the pid and uid of a client, from SO_PEERCRED
 * @fd:		connected socket
 * @cred:	set on success
 *
 * Return: 0, or -1 if the kernel would not say
 */
static int peer_cred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) ||
	    len != sizeof(*cred))
		return -1;
	return 0;
}

/**
 * enum peer_ns - a client's user namespace, as the supervisor sees it
 * @PEER_NS_SAME:	the supervisor's own
 * @PEER_NS_OTHER:	another one: COMMAND's, a container's
 * @PEER_NS_HIDDEN:	the kernel will not show it (EACCES): the peer holds
 *			privileges over the supervisor's that it lacks
 * @PEER_NS_GONE:	the peer exited first, or the kernel could not tell
 */
enum peer_ns {
	PEER_NS_SAME,
	PEER_NS_OTHER,
	PEER_NS_HIDDEN,
	PEER_NS_GONE,
};

/**
 * ns_compare() - compare a user namespace with the supervisor's
 * @c:		server
 * @nsfd:	namespace descriptor, closed here
 *
 * Return: PEER_NS_SAME, PEER_NS_OTHER, or PEER_NS_GONE if fstat() failed
 */
static enum peer_ns ns_compare(const struct control *c, int nsfd)
{
	enum peer_ns r = PEER_NS_GONE;
	struct stat st;

	if (!fstat(nsfd, &st))
		r = st.st_dev == c->userns.st_dev &&
		    st.st_ino == c->userns.st_ino ? PEER_NS_SAME :
						    PEER_NS_OTHER;
	close(nsfd);
	return r;
}

/**
 * ns_by_proc() - a process's user namespace through /proc/PID/ns/user
 * @c:		server
 * @pid:	process
 *
 * Return: enum peer_ns
 */
static enum peer_ns ns_by_proc(const struct control *c, pid_t pid)
{
	char path[CTL_PROC_PATH_MAX];
	int nsfd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return errno == EACCES || errno == EPERM ? PEER_NS_HIDDEN :
							   PEER_NS_GONE;
	return ns_compare(c, nsfd);
}

/**
 * ns_by_pidfd() - the user namespace of the process a pidfd pins
 * @c:		server
 * @pidfd:	the peer as of connect() (SO_PEERPIDFD)
 * @pid:	its pid
 *
 * Before Linux 6.11 the ioctl is unknown (ENOTTY): /proc/PID/ns/user is
 * read instead, and the pidfd checked afterwards to still name a live
 * process, so the pid was not reused in between.
 *
 * Return: enum peer_ns
 */
static enum peer_ns ns_by_pidfd(const struct control *c, int pidfd,
				pid_t pid)
{
	int nsfd = ioctl(pidfd, SECCOMP_PIDFD_GET_USERNS, 0);
	enum peer_ns r;

	if (nsfd >= 0)
		return ns_compare(c, nsfd);
	if (errno == EACCES || errno == EPERM)
		return PEER_NS_HIDDEN;
	if (errno != ENOTTY && errno != EINVAL)
		return PEER_NS_GONE;	/* ESRCH: it exited */
	r = ns_by_proc(c, pid);
	if (pidfd_send_signal(pidfd, 0, NULL, 0))
		return PEER_NS_GONE;
	return r;
}

/**
 * peer_ns() - the user namespace of a client
 * @c:		server
 * @fd:		connected socket
 * @pid:	the client's pid (SO_PEERCRED)
 *
 * Return: enum peer_ns; PEER_NS_SAME when the kernel has no user
 * namespaces at all
 */
static enum peer_ns peer_ns(const struct control *c, int fd, pid_t pid)
{
	socklen_t len = sizeof(int);
	int pidfd = -1;
	enum peer_ns r;

	if (c->no_userns)
		return PEER_NS_SAME;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len))
		return errno == ENOPROTOOPT ? ns_by_proc(c, pid) :
					      PEER_NS_GONE;
	if (len != sizeof(int) || pidfd < 0)
		return PEER_NS_GONE;
	r = ns_by_pidfd(c, pidfd, pid);
	close(pidfd);
	return r;
}

/**
 * peer_refusal() - why a client of an allowed uid may not connect
 * @c:		server
 * @fd:		connected socket
 * @cred:	its SO_PEERCRED
 *
 * Only a peer in the supervisor's user namespace passes; a hidden one
 * only if it is root (see the theory of operation: COMMAND's processes
 * are never hidden, a root process with capabilities the supervisor
 * dropped is).
 *
 * Return: NULL if it may, else the reason, for the log and the answer
 */
static const char *peer_refusal(const struct control *c, int fd,
				const struct ucred *cred)
{
	switch (peer_ns(c, fd, cred->pid)) {
	case PEER_NS_SAME:
		return NULL;
	case PEER_NS_OTHER:
		return "not in nsplice's user namespace";
	case PEER_NS_HIDDEN:
		return cred->uid == 0 ? NULL : "its user namespace cannot be "
		       "checked";
	default:
		return "it exited before its user namespace was checked";
	}
}

/**
 * client_add() - take a new connection into a free slot
 * @c:		server, with fewer than CTL_CLIENTS_MAX clients
 * @fd:		accepted socket, non-blocking
 *
 * A peer that is neither the owner nor root, or is not in the
 * supervisor's user namespace, is told so and closed; it gets no further
 * than this.
 */
static void client_add(struct control *c, int fd)
{
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	struct ctl_client *cl = c->cl;
	const char *why;

	while (cl < c->cl + CTL_CLIENTS_MAX - 1 && cl->state != CL_FREE)
		cl++;
	if (cl->state != CL_FREE) {
		close(fd);	/* callers check the limit: not reached */
		return;
	}
	cl->fd = fd;
	cl->state = CL_READ;
	cl->deadline = now_ms() + CTL_TIMEOUT_MS;
	c->ncl++;
	cl->uid = cred.uid;
	if (peer_cred(fd, &cred) || (cred.uid != c->owner && cred.uid != 0)) {
		log_ratelimited(&c->rl_denied, LOG_LVL_WARN, "control: "
				"refused a client of uid %d: only uid %u and "
				"root may connect", (int)cred.uid,
				(unsigned)c->owner);
		client_say(c, cl, CTL_ANS_DENIED, NULL);
		return;
	}
	cl->uid = cred.uid;
	why = peer_refusal(c, fd, &cred);
	if (why) {
		log_ratelimited(&c->rl_denied, LOG_LVL_WARN, "control: "
				"refused pid %d (uid %u): %s", (int)cred.pid,
				(unsigned)cred.uid, why);
		client_say(c, cl, CTL_ANS_DENIED_NS, why);
	}
}

/**
 * accept_ready() - accept the connections waiting, up to the client limit
 * @c:		server
 */
static void accept_ready(struct control *c)
{
	int fd;

	while (c->ncl < CTL_CLIENTS_MAX) {
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			client_add(c, fd);
			continue;
		}
		if (errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EINTR)
			log_ratelimited(&c->rl_accept, LOG_LVL_WARN,
					"control: accept: %s",
					strerror(errno));
		return;
	}
}

/**
 * client_by_fd() - find the client using a descriptor
 * @c:		server
 * @fd:		descriptor
 *
 * Return: the client, or NULL
 */
static struct ctl_client *client_by_fd(struct control *c, int fd)
{
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].state != CL_FREE && c->cl[i].fd == fd)
			return &c->cl[i];
	return NULL;
}

/**
 * control_pollfds() - what the server waits for
 * @c:		server
 * @p:		entries to fill
 * @max:	room in @p; 1 + CTL_CLIENTS_MAX is always enough
 *
 * The listener comes first, and only while there is room for a client;
 * then clients reading (POLLIN) or writing (POLLOUT).  Clients waiting
 * for a status report are not polled: control_tick() bounds their wait.
 *
 * Return: entries filled
 */
unsigned control_pollfds(const struct control *c, struct pollfd *p,
			 unsigned max)
{
	const struct ctl_client *cl;
	unsigned n = 0, i;

	if (n < max && c->ncl < CTL_CLIENTS_MAX)
		p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (i = 0; i < CTL_CLIENTS_MAX && n < max; i++) {
		cl = &c->cl[i];
		if (cl->state == CL_READ)
			p[n++] = (struct pollfd){ .fd = cl->fd,
						  .events = POLLIN };
		else if (cl->state == CL_WRITE)
			p[n++] = (struct pollfd){ .fd = cl->fd,
						  .events = POLLOUT };
	}
	return n;
}

/**
 * control_events() - act on what poll() reported
 * @c:		server
 * @p:		the entries control_pollfds() filled, after poll()
 * @n:		their number
 *
 * A client is found by its descriptor and acted on only in the state the
 * entry was made for; everything is non-blocking, so an entry gone stale
 * (its client closed meanwhile, the number reused) costs one EAGAIN.
 */
void control_events(struct control *c, const struct pollfd *p, unsigned n)
{
	const short ready_in = POLLIN | POLLHUP | POLLERR;
	const short ready_out = POLLOUT | POLLHUP | POLLERR;
	struct ctl_client *cl;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == c->fd) {
			accept_ready(c);
			continue;
		}
		if (!(cl = client_by_fd(c, p[i].fd)))
			continue;
		if (cl->state == CL_READ && (p[i].revents & ready_in))
			client_read(c, cl);
		else if (cl->state == CL_WRITE && (p[i].revents & ready_out))
			client_write(c, cl);
	}
}

/**
 * report_answer() - the answer to every client waiting for one format
 * @st:		report, or NULL if the supervisor has none
 * @json:	JSON or text
 *
 * Return: the answer, "ok" and the report, or an error line; NULL if
 * memory ran out
 */
static struct ctl_answer *report_answer(const struct ctl_status *st,
					bool json)
{
	struct ctl_answer *a;
	size_t len;
	char *text;

	if (!st)
		return answer_new("error: status not available\n", NULL, 0);
	if (ctl_format(st, json, &text, &len))
		return answer_new("error: status report too large or out of "
				  "memory\n", NULL, 0);
	a = answer_new(CTL_ANS_OK, text, len);
	free(text);
	return a;
}

/**
 * control_status_ready() - answer every client waiting for a report
 * @c:		server
 * @st:		report, or NULL if none could be gathered (they get an
 *		error)
 *
 * Each format is built once, only if someone waits for it.
 */
void control_status_ready(struct control *c, const struct ctl_status *st)
{
	struct ctl_answer *ans[2] = { NULL, NULL };
	bool made[2] = { false, false };
	struct ctl_client *cl;
	unsigned i;

	c->asked = false;
	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		cl = &c->cl[i];
		if (cl->state != CL_WAIT)
			continue;
		if (!made[cl->json]) {
			ans[cl->json] = report_answer(st, cl->json);
			made[cl->json] = true;
		}
		client_answer(c, cl, ans[cl->json]);
	}
	answer_put(ans[0]);
	answer_put(ans[1]);
}

/**
 * control_tick() - drop clients past their deadline
 * @c:		server
 *
 * Called every 200 ms or so.  A client still sending or waiting is told
 * why, if its socket takes the line at once; one that does not read its
 * answer is just closed.
 */
void control_tick(struct control *c)
{
	char msg[CTL_ERR_MAX];
	struct ctl_client *cl;
	uint64_t now = now_ms();
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		cl = &c->cl[i];
		if (cl->state == CL_FREE || now < cl->deadline)
			continue;
		ndebug("control: client of uid %u timed out",
		       (unsigned)cl->uid);
		if (cl->state != CL_WRITE) {
			int n = snprintf(msg, sizeof(msg), "error: timed out "
					 "after %d s\n", CTL_TIMEOUT_SEC);

			if (send(cl->fd, msg, (size_t)n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* Best effort: it is dropped either way. */
			}
		}
		client_drop(c, cl);
	}
}

/**
 * control_free() - close every connection, the listener, and unlink it
 * @c:		server, or NULL
 */
void control_free(struct control *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].state != CL_FREE)
			client_drop(c, &c->cl[i]);
	close(c->fd);
	if (unlink(c->path) && errno != ENOENT)
		nwarn("control: removing %s: %s", c->path, strerror(errno));
	free(c);
}
