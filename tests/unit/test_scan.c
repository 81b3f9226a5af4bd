// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_scan.c - listening-port discovery: both parsers, and the agent's
 *		 scan end to end in a network namespace of its own
 *
 * DOC: Theory of Operation
 *
 * "auto" forwards trust what the agent reports, and the agent trusts two
 * parsers of kernel output (nsagent/scan_parse.c).  This test proves:
 *
 * - scan_parse_proc() reads real /proc/net/tcp and tcp6 text (captured
 *   from a running kernel, trailing padding included) and counts exactly
 *   the LISTEN (0A) lines with a non-zero port; it rejects, as a whole and
 *   without touching the caller's bitmap, a text without its header, an
 *   empty one, a truncated one (every prefix that does not end at a line
 *   end), a line of any other shape, mixed address widths and an oversized
 *   text;
 * - scan_parse_diag() reads netlink buffers built here: inet_diag_msg
 *   entries of the family asked for and in TCP_LISTEN count, others do
 *   not; NLMSG_DONE and an ACK end the dump; NLMSG_ERROR gives its errno;
 *   a length shorter than a header, longer than the buffer, or too short
 *   for the payload, a trailing partial header, an unknown type or an
 *   interrupted dump reject the buffer, again without touching the bitmap;
 *   a buffer at an odd address parses the same;
 * - agent_scan_open() and agent_scan_tick() (nsagent/scan.c), run in a
 *   forked child in a fresh network namespace (a user namespace too when
 *   not root) with a socketpair as the supervisor's channel, send PORTS
 *   messages that pass ipc_recv()'s checks: a first report even when
 *   empty, nothing while nothing changes, ports that appear (split at
 *   PORTS_MAX, PORTS_F_LAST on the last message only) and go away, never
 *   a port the agent listens on itself (in either family) or a socket
 *   that is bound but not listening; the same through the /proc fallback
 *   with the sock_diag socket closed; and nothing at all when no source
 *   is left or scanning is off.  All of it under the spawner's seccomp
 *   filter (which every child inherits) and, from the first scan on, the agent's Landlock layer and
 *   filter, in the order the agent loads them: a system call the scan
 *   needs and a filter forbids kills the child (SIGSYS).
 *
 * Each failing case prints one line; the last line is "N passed, N
 * failed" and the exit status is 0 only if nothing failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "nsagent/agent.h"
#include "nsagent/scan_parse.h"
#include "seccomp/sandbox.h"
#include "unit.h"

/* PATTERN - filler of a bitmap that an error must leave as it is */
#define PATTERN		0xa5

/* NLBUF_MAX - bytes of a netlink buffer built by a test */
#define NLBUF_MAX	(SCAN_DIAG_BUF + 64U)

/* DIAG_ENTRIES - inet_diag_msg entries nl_listeners() writes */
#define DIAG_ENTRIES	5U

/* E2E_TIMEOUT_SEC - the end-to-end child is killed after this, seconds */
#define E2E_TIMEOUT_SEC	60

/* MSGS_MAX - most PORTS messages one tick of the test may send */
#define MSGS_MAX	16

/* E2E_* - ports of the end-to-end test (in its own namespace) */
#define E2E_V4_FIRST	20001	/* 30 IPv4 listeners: two messages */
#define E2E_V4_COUNT	30
#define E2E_V6		20100	/* one IPv6 listener */
#define E2E_OWN		20200	/* agent's own IPv4, a service's IPv6 */
#define E2E_BOUND	20300	/* bound, not listening */
#define E2E_NEW		20050	/* opened later */

/**
 * bitmap_is() - does a bitmap hold exactly these ports
 * @bm:		bitmap
 * @ports:	expected ports
 * @n:		their number
 *
 * Return: true if every listed port is set and no other bit
 */
static bool bitmap_is(const uint8_t *bm, const uint16_t *ports, size_t n)
{
	uint8_t want[PORTSET_BYTES];
	size_t i;

	memset(want, 0, sizeof(want));
	for (i = 0; i < n; i++)
		portset_add(want, ports[i]);
	return !memcmp(want, bm, sizeof(want));
}

/**
 * bitmap_untouched() - is a bitmap still all PATTERN
 * @bm:		bitmap
 *
 * Return: true if so
 */
static bool bitmap_untouched(const uint8_t *bm)
{
	size_t i;

	for (i = 0; i < PORTSET_BYTES; i++)
		if (bm[i] != PATTERN)
			return false;
	return true;
}

/**
 * bitmap_subset() - is every bit of @a also in @b
 * @a:		bitmap
 * @b:		bitmap
 *
 * Return: true if so
 */
static bool bitmap_subset(const uint8_t *a, const uint8_t *b)
{
	size_t i;

	for (i = 0; i < PORTSET_BYTES; i++)
		if (a[i] & ~b[i])
			return false;
	return true;
}

/* Header and lines of /proc/net/tcp as a 6.x kernel prints them */
#define TCP_HDR "  sl  local_address rem_address   st tx_queue rx_queue tr " \
	"tm->when retrnsmt   uid  timeout inode                            " \
	"                         \n"
#define TCP_TAIL " 00000000:00000000 00:00000000 00000000     0        0 " \
	"14291658 1 00000000a1c4b71d 100 0 0 10 0                  \n"

/* proc_v4 - captured /proc/net/tcp: three listeners, one TIME_WAIT */
static const char proc_v4[] =
	TCP_HDR
	"   0: 0100007F:5209 00000000:0000 0A" TCP_TAIL
	"   1: 0100007F:520A 00000000:0000 0A" TCP_TAIL
	"   2: 00000000:07E8 00000000:0000 0A" TCP_TAIL
	"   3: 0100007F:8C18 0100007F:520A 06 00000000:00000000 03:000008CF "
	"00000000     0        0 0 3 00000000e5b30616                        "
	"              \n";

/* proc_v6 - captured /proc/net/tcp6: two listeners on ::1, one client */
static const char proc_v6[] =
	"  sl  local_address                         remote_address         "
	"               st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode\n"
	"   0: 00000000000000000000000001000000:520A 00000000000000000000000"
	"000000000:0000 0A 00000000:00000000 00:00000000 00000000     0     "
	"   0 14291661 1 00000000a48116de 100 0 0 10 0\n"
	"   1: 00000000000000000000000001000000:5209 00000000000000000000000"
	"000000000:0000 0A 00000000:00000000 00:00000000 00000000     0     "
	"   0 14291660 1 0000000054ab1aef 100 0 0 10 0\n"
	"   2: 00000000000000000000000001000000:D3B6 00000000000000000000000"
	"001000000:5209 01 00000000:00000000 00:00000000 00000000     0     "
	"   0 14291700 1 0000000054ab1aef 20 4 30 10 -1\n";

/**
 * struct proc_case - one /proc text and what it must give
 * @name:	case name
 * @text:	the text (NUL-terminated here; the NUL is not passed)
 * @rc:		expected return value
 * @ports:	expected ports when @rc >= 0, 0-terminated
 * @len:	bytes of @text, 0 for strlen() (set for a text with a NUL)
 */
struct proc_case {
	const char *name;
	const char *text;
	int rc;
	uint16_t ports[4];
	size_t len;
};

/* NUL_TEXT - a text with a NUL byte inside an address */
#define NUL_TEXT TCP_HDR "   0: 0100\0007F:1F90 00000000:0000 0A" TCP_TAIL

static const struct proc_case proc_cases[] = {
	{ "captured tcp", proc_v4, 3, { 21001, 21002, 2024 }, 0 },
	{ "captured tcp6", proc_v6, 2, { 21001, 21002 }, 0 },
	{ "header only", TCP_HDR, 0, { 0 }, 0 },
	{ "empty", "", -EBADMSG, { 0 }, 0 },
	{ "no header",
	  "   0: 0100007F:5209 00000000:0000 0A" TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "header without newline", "  sl  local_address", -EBADMSG, { 0 }, 0 },
	{ "last line without newline", TCP_HDR
	  "   0: 0100007F:5209 00000000:0000 0A 0000", -EBADMSG, { 0 }, 0 },
	{ "mixed widths", TCP_HDR
	  "   0: 0100007F:5209 00000000:0000 0A" TCP_TAIL
	  "   1: 00000000000000000000000001000000:5209 000000000000000000000"
	  "00000000000:0000 0A" TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "remote wider than local", TCP_HDR
	  "   0: 0100007F:5209 00000000000000000000000000000000:0000 0A"
	  TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "binary garbage", TCP_HDR "\x01\xff\x80garbage\n", -EBADMSG,
	  { 0 }, 0 },
	{ "empty line", TCP_HDR "\n", -EBADMSG, { 0 }, 0 },
	{ "listening on port 0", TCP_HDR
	  "   0: 0100007F:0000 00000000:0000 0A" TCP_TAIL, 0, { 0 }, 0 },
	{ "lower-case hex", TCP_HDR
	  "   0: 0100007f:1f90 00000000:0000 0a" TCP_TAIL, 1, { 8080 }, 0 },
	{ "five-digit port", TCP_HDR
	  "   0: 0100007F:1F900 00000000:0000 0A" TCP_TAIL, -EBADMSG,
	  { 0 }, 0 },
	{ "seven-digit address", TCP_HDR
	  "   0: 100007F:1F90 00000000:0000 0A" TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "one-digit state", TCP_HDR
	  "   0: 0100007F:1F90 00000000:0000 A" TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "nothing after the state", TCP_HDR
	  "   0: 0100007F:1F90 00000000:0000 0A\n", -EBADMSG, { 0 }, 0 },
	{ "slot of 11 digits", TCP_HDR
	  "12345678901: 0100007F:1F90 00000000:0000 0A" TCP_TAIL, -EBADMSG,
	  { 0 }, 0 },
	{ "slot of 5 digits, no indent", TCP_HDR
	  "10000: 0100007F:1F90 00000000:0000 0A" TCP_TAIL, 1, { 8080 }, 0 },
	{ "no slot", TCP_HDR
	  "   : 0100007F:1F90 00000000:0000 0A" TCP_TAIL, -EBADMSG, { 0 }, 0 },
	{ "tab instead of space", TCP_HDR
	  "   0:\t0100007F:1F90 00000000:0000 0A" TCP_TAIL, -EBADMSG,
	  { 0 }, 0 },
	{ "NUL inside the address", NUL_TEXT, -EBADMSG, { 0 },
	  sizeof(NUL_TEXT) - 1 },
};

/**
 * count_ports() - entries of a 0-terminated port list
 * @ports:	list
 * @max:	its capacity
 *
 * Return: entries before the first 0
 */
static size_t count_ports(const uint16_t *ports, size_t max)
{
	size_t n = 0;

	while (n < max && ports[n])
		n++;
	return n;
}

/**
 * proc_case_run() - one table case, bitmap prefilled on error cases
 * @c:		case
 */
static void proc_case_run(const struct proc_case *c)
{
	uint8_t bm[PORTSET_BYTES];
	size_t len = c->len ? c->len : strlen(c->text);
	int rc;

	memset(bm, c->rc < 0 ? PATTERN : 0, sizeof(bm));
	rc = scan_parse_proc(c->text, len, bm);
	report(rc == c->rc, "proc", "%s: returned %d, expected %d", c->name,
	       rc, c->rc);
	if (c->rc < 0)
		report(bitmap_untouched(bm), "proc",
		       "%s: bitmap changed on an error", c->name);
	else
		report(bitmap_is(bm, c->ports, count_ports(c->ports, 4)),
		       "proc", "%s: wrong ports", c->name);
}

/**
 * proc_prefixes() - every prefix of the captured text
 * @text:	text
 * @name:	for messages
 *
 * A prefix is accepted only if it ends right after a newline (and holds
 * the header), and then gives a subset of the full result; any other is
 * refused with the bitmap untouched.
 */
static void proc_prefixes(const char *text, const char *name)
{
	uint8_t full[PORTSET_BYTES], bm[PORTSET_BYTES];
	size_t len = strlen(text), i, bad = 0;
	const char *nl = strchr(text, '\n');
	bool line_end;
	int rc;

	memset(full, 0, sizeof(full));
	scan_parse_proc(text, len, full);
	for (i = 0; i < len; i++) {
		line_end = i && text[i - 1] == '\n' && text + i > nl;
		memset(bm, line_end ? 0 : PATTERN, sizeof(bm));
		rc = scan_parse_proc(text, i, bm);
		if (line_end ? rc < 0 || !bitmap_subset(bm, full)
			     : rc != -EBADMSG || !bitmap_untouched(bm))
			bad++;
	}
	report(!bad, "proc", "%s: %zu of %zu prefixes handled wrongly", name,
	       bad, len);
}

/**
 * proc_too_long() - a text over SCAN_PROC_MAX is refused as too big
 */
static void proc_too_long(void)
{
	uint8_t bm[PORTSET_BYTES];
	size_t len = SCAN_PROC_MAX + 1U;
	char *big = malloc(len);
	int rc;

	if (!big)
		die("malloc");
	memset(big, ' ', len);
	memcpy(big, TCP_HDR, strlen(TCP_HDR));
	big[len - 1] = '\n';
	memset(bm, PATTERN, sizeof(bm));
	rc = scan_parse_proc(big, len, bm);
	report(rc == -EFBIG && bitmap_untouched(bm), "proc",
	       "text of SCAN_PROC_MAX + 1 bytes: returned %d", rc);
	free(big);
}

/**
 * struct nlbuf - a netlink buffer under construction
 * @b:		bytes
 * @len:	used
 */
struct nlbuf {
	uint8_t b[NLBUF_MAX];
	size_t len;
};

/**
 * nl_put() - append a message with any nlmsg_len
 * @nb:		buffer
 * @nlmsg_len:	header length field, 0 for the true length
 * @type:	nlmsg_type
 * @flags:	nlmsg_flags
 * @payload:	payload, or NULL
 * @plen:	payload bytes
 * @pad:	pad to NLMSG_ALIGNTO after it
 */
static void nl_put(struct nlbuf *nb, uint32_t nlmsg_len, uint16_t type,
		   uint16_t flags, const void *payload, size_t plen, bool pad)
{
	struct nlmsghdr h = { 0 };

	if (nb->len + NLMSG_HDRLEN + plen + NLMSG_ALIGNTO > sizeof(nb->b))
		die("test buffer too small");
	h.nlmsg_len = nlmsg_len ? nlmsg_len : (uint32_t)(NLMSG_HDRLEN + plen);
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = 1;
	memcpy(nb->b + nb->len, &h, sizeof(h));
	if (payload)
		memcpy(nb->b + nb->len + NLMSG_HDRLEN, payload, plen);
	nb->len += NLMSG_HDRLEN + plen;
	while (pad && nb->len % NLMSG_ALIGNTO)
		nb->b[nb->len++] = 0;
}

/**
 * nl_diag() - append one inet_diag_msg
 * @nb:		buffer
 * @family:	idiag_family
 * @state:	idiag_state
 * @port:	source port, host order
 */
static void nl_diag(struct nlbuf *nb, uint8_t family, uint8_t state,
		    uint16_t port)
{
	struct inet_diag_msg d;

	memset(&d, 0, sizeof(d));
	d.idiag_family = family;
	d.idiag_state = state;
	d.id.idiag_sport = htons(port);
	d.idiag_inode = 4242;
	nl_put(nb, 0, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &d, sizeof(d), true);
}

/**
 * nl_diag_unpadded() - append an IPv4 listener one byte longer than
 * struct inet_diag_msg, as the last message, its padding not sent
 * @nb:		buffer
 * @port:	source port
 */
static void nl_diag_unpadded(struct nlbuf *nb, uint16_t port)
{
	uint8_t payload[sizeof(struct inet_diag_msg) + 1];
	struct inet_diag_msg d;

	memset(&d, 0, sizeof(d));
	memset(payload, 0, sizeof(payload));
	d.idiag_family = AF_INET;
	d.idiag_state = TCP_LISTEN;
	d.id.idiag_sport = htons(port);
	memcpy(payload, &d, sizeof(d));
	nl_put(nb, 0, SOCK_DIAG_BY_FAMILY, 0, payload, sizeof(payload), false);
}

/**
 * nl_set_len() - overwrite the nlmsg_len of the message at an offset
 * @nb:		buffer
 * @off:	offset of the message
 * @len:	new nlmsg_len
 */
static void nl_set_len(struct nlbuf *nb, size_t off, uint32_t len)
{
	memcpy(nb->b + off + offsetof(struct nlmsghdr, nlmsg_len), &len,
	       sizeof(len));
}

/**
 * nl_error() - append an NLMSG_ERROR
 * @nb:		buffer
 * @error:	the error field
 * @plen:	payload bytes (sizeof(struct nlmsgerr) for a well formed one)
 */
static void nl_error(struct nlbuf *nb, int error, size_t plen)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = error;
	nl_put(nb, 0, NLMSG_ERROR, 0, &e, plen, true);
}

/**
 * nl_done() - append NLMSG_DONE as the kernel sends it (an int payload)
 * @nb:		buffer
 */
static void nl_done(struct nlbuf *nb)
{
	int zero = 0;

	nl_put(nb, 0, NLMSG_DONE, NLM_F_MULTI, &zero, sizeof(zero), true);
}

/**
 * nl_listeners() - the usual start: IPv4 80 and 443 listening, IPv4 22
 * established, IPv6 8080 listening, IPv4 port 0 listening
 * @nb:		buffer, emptied first
 */
static void nl_listeners(struct nlbuf *nb)
{
	nb->len = 0;
	nl_diag(nb, AF_INET, TCP_LISTEN, 80);
	nl_diag(nb, AF_INET, TCP_ESTABLISHED, 22);
	nl_diag(nb, AF_INET6, TCP_LISTEN, 8080);
	nl_diag(nb, AF_INET, TCP_LISTEN, 443);
	nl_diag(nb, AF_INET, TCP_LISTEN, 0);
}

/**
 * diag_expect() - parse a buffer and check the outcome
 * @what:	case name
 * @nb:		buffer
 * @family:	family asked for
 * @rc_want:	expected return value
 * @done_want:	expected *done
 * @ports:	expected ports when @rc_want >= 0
 * @n:		their number
 */
static void diag_expect(const char *what, const struct nlbuf *nb, int family,
			int rc_want, bool done_want, const uint16_t *ports,
			size_t n)
{
	uint8_t bm[PORTSET_BYTES];
	bool done = !done_want;
	int rc;

	memset(bm, rc_want < 0 ? PATTERN : 0, sizeof(bm));
	rc = scan_parse_diag(nb->b, nb->len, family, bm, &done);
	report(rc == rc_want && done == done_want, "diag",
	       "%s: returned %d done %d, expected %d done %d", what, rc, done,
	       rc_want, done_want);
	if (rc_want < 0)
		report(bitmap_untouched(bm), "diag",
		       "%s: bitmap changed on an error", what);
	else
		report(bitmap_is(bm, ports, n), "diag", "%s: wrong ports",
		       what);
}

/**
 * diag_good_cases() - well formed dumps
 */
static void diag_good_cases(void)
{
	static const uint16_t v4[] = { 80, 443 }, v6[] = { 8080 };
	static struct nlbuf nb;

	nl_listeners(&nb);
	nl_done(&nb);
	diag_expect("IPv4 dump", &nb, AF_INET, 2, true, v4, 2);
	diag_expect("IPv6 dump", &nb, AF_INET6, 1, true, v6, 1);
	nl_listeners(&nb);
	diag_expect("first part, no DONE", &nb, AF_INET, 2, false, v4, 2);
	nl_done(&nb);
	nb.b[nb.len++] = 0xff;		/* not looked at after DONE */
	diag_expect("bytes after DONE", &nb, AF_INET, 2, true, v4, 2);
	nl_listeners(&nb);
	nl_error(&nb, 0, sizeof(struct nlmsgerr));
	diag_expect("ACK ends the dump", &nb, AF_INET, 2, true, v4, 2);
	nl_listeners(&nb);
	nl_put(&nb, 0, NLMSG_NOOP, 0, NULL, 0, true);
	diag_expect("NOOP is skipped", &nb, AF_INET, 2, false, v4, 2);
	nb.len = 0;
	diag_expect("empty buffer", &nb, AF_INET, 0, false, NULL, 0);
	nl_listeners(&nb);
	nl_diag_unpadded(&nb, 443);
	diag_expect("last message without padding", &nb, AF_INET, 3, false,
		    v4, 2);
}

/**
 * diag_bad_cases() - malformed buffers and errors
 */
static void diag_bad_cases(void)
{
	static struct nlbuf nb;
	struct inet_diag_msg d = { 0 };

	nl_listeners(&nb);
	nl_error(&nb, -ENOENT, sizeof(struct nlmsgerr));
	diag_expect("NLMSG_ERROR ENOENT", &nb, AF_INET, -ENOENT, false, NULL,
		    0);
	nl_listeners(&nb);
	nl_error(&nb, 5, sizeof(struct nlmsgerr));
	diag_expect("positive error", &nb, AF_INET, -EBADMSG, false, NULL, 0);
	nl_listeners(&nb);
	nl_error(&nb, -5000, sizeof(struct nlmsgerr));
	diag_expect("error beyond MAX_ERRNO", &nb, AF_INET, -EBADMSG, false,
		    NULL, 0);
	nl_listeners(&nb);
	nl_error(&nb, -ENOENT, sizeof(int));
	diag_expect("short NLMSG_ERROR", &nb, AF_INET, -EBADMSG, false, NULL,
		    0);
	nl_listeners(&nb);
	nl_put(&nb, 8, SOCK_DIAG_BY_FAMILY, 0, &d, sizeof(d), true);
	diag_expect("nlmsg_len below the header", &nb, AF_INET, -EBADMSG,
		    false, NULL, 0);
	nl_listeners(&nb);
	nl_put(&nb, 0, NLMSG_DONE, 0, NULL, 0, true);
	nl_set_len(&nb, nb.len - NLMSG_HDRLEN, 0);
	diag_expect("nlmsg_len 0", &nb, AF_INET, -EBADMSG, false, NULL, 0);
	nl_listeners(&nb);
	nl_put(&nb, 4096, SOCK_DIAG_BY_FAMILY, 0, &d, sizeof(d), true);
	diag_expect("nlmsg_len past the buffer", &nb, AF_INET, -EBADMSG,
		    false, NULL, 0);
	nl_listeners(&nb);
	nl_put(&nb, 0, SOCK_DIAG_BY_FAMILY, 0, &d, 10, true);
	diag_expect("payload too short", &nb, AF_INET, -EBADMSG, false, NULL,
		    0);
	nl_listeners(&nb);
	nl_put(&nb, 0, 0x30, 0, &d, sizeof(d), true);
	diag_expect("unknown type", &nb, AF_INET, -EBADMSG, false, NULL, 0);
	nl_listeners(&nb);
	nl_put(&nb, 0, NLMSG_OVERRUN, 0, NULL, 0, true);
	diag_expect("NLMSG_OVERRUN", &nb, AF_INET, -EBADMSG, false, NULL, 0);
	nl_listeners(&nb);
	nl_put(&nb, 0, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP_INTR, &d, sizeof(d),
	       true);
	diag_expect("interrupted dump", &nb, AF_INET, -EINTR, false, NULL, 0);
	nl_listeners(&nb);
	memset(nb.b + nb.len, 0, 5);
	nb.len += 5;
	diag_expect("trailing partial header", &nb, AF_INET, -EBADMSG, false,
		    NULL, 0);
	nl_listeners(&nb);
	diag_expect("family AF_UNIX", &nb, AF_UNIX, -EINVAL, false, NULL, 0);
	nb.len = SCAN_DIAG_BUF + 1U;
	diag_expect("buffer over SCAN_DIAG_BUF", &nb, AF_INET, -EMSGSIZE,
		    false, NULL, 0);
}

/**
 * diag_unaligned() - the same dump at an odd address parses the same
 */
static void diag_unaligned(void)
{
	static const uint16_t v4[] = { 80, 443 };
	static struct nlbuf nb;
	static uint8_t odd[NLBUF_MAX + 1];
	uint8_t bm[PORTSET_BYTES];
	bool done = false;
	int rc;

	nl_listeners(&nb);
	nl_done(&nb);
	memcpy(odd + 1, nb.b, nb.len);
	memset(bm, 0, sizeof(bm));
	rc = scan_parse_diag(odd + 1, nb.len, AF_INET, bm, &done);
	report(rc == 2 && done && bitmap_is(bm, v4, 2), "diag",
	       "buffer at an odd address: returned %d done %d", rc, done);
}

/**
 * diag_prefixes() - every prefix of a dump of five entries and DONE
 *
 * A prefix that ends between two entries is a valid first part (not
 * done, a subset of the ports); any other is refused, bitmap untouched.
 */
static void diag_prefixes(void)
{
	const size_t entry = NLMSG_HDRLEN + sizeof(struct inet_diag_msg);
	uint8_t full[PORTSET_BYTES], bm[PORTSET_BYTES];
	static struct nlbuf nb;
	size_t i, bad = 0;
	bool done, whole;
	int rc;

	nl_listeners(&nb);
	nl_done(&nb);
	memset(full, 0, sizeof(full));
	scan_parse_diag(nb.b, nb.len, AF_INET, full, &done);
	for (i = 0; i < nb.len; i++) {
		whole = i % entry == 0 && i <= DIAG_ENTRIES * entry;
		memset(bm, whole ? 0 : PATTERN, sizeof(bm));
		rc = scan_parse_diag(nb.b, i, AF_INET, bm, &done);
		if (done || (whole ? rc < 0 || !bitmap_subset(bm, full)
				   : rc != -EBADMSG || !bitmap_untouched(bm)))
			bad++;
	}
	report(!bad, "diag", "%zu of %zu prefixes handled wrongly", bad,
	       nb.len);
}

/**
 * struct e2e - the end-to-end child's state
 * @a:		agent under test
 * @sup:	the supervisor's end of the channel
 * @v4:		IPv4 listeners E2E_V4_FIRST.., -1 once closed
 * @v6:		IPv6 listener E2E_V6
 * @own:	the agent's own listener and the IPv6 service on E2E_OWN
 * @bound:	socket bound to E2E_BOUND, not listening
 * @fresh:	listener opened later on E2E_NEW
 * @listener:	the agent's record of @own[0]
 * @proc:	/proc fds taken from the agent while sock_diag runs alone
 */
struct e2e {
	struct agent a;
	struct ipc_chan sup;
	int v4[E2E_V4_COUNT];
	int v6;
	int own[2];
	int bound;
	int fresh;
	struct agent_listener listener;
	int proc[2];
};

/**
 * struct exp_msg - one PORTS message a tick must send
 * @family:	AF_INET or AF_INET6
 * @flags:	PORTS_F_*
 * @first:	first port of a run
 * @count:	ports in the run (consecutive), 0 for an empty message
 * @extra:	one more port after the run, 0 for none
 */
struct exp_msg {
	uint8_t family;
	uint8_t flags;
	uint16_t first;
	uint16_t count;
	uint16_t extra;
};

/**
 * lo_up() - bring the namespace's loopback up
 */
static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket for lo");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS lo");
	close(fd);
}

/**
 * tcp_socket() - a TCP socket bound to loopback, listening or not
 * @af:		AF_INET or AF_INET6 (IPV6_V6ONLY)
 * @port:	port
 * @listening:	call listen()
 *
 * Return: the socket; dies on failure
 */
static int tcp_socket(int af, uint16_t port, bool listening)
{
	union sockaddr_inany sa;
	socklen_t len;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (af == AF_INET6) {
		sa.sin6.sin6_family = AF_INET6;
		sa.sin6.sin6_port = htons(port);
		sa.sin6.sin6_addr = in6addr_loopback;
		len = sizeof(sa.sin6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		sa.sin.sin_family = AF_INET;
		sa.sin.sin_port = htons(port);
		sa.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sa.sin);
	}
	if (bind(fd, &sa.sa, len) || (listening && listen(fd, 1)))
		die("bind/listen");
	return fd;
}

/**
 * tick_expect() - run one tick and compare the PORTS messages sent
 * @t:		state
 * @what:	case name
 * @exp:	expected messages, in order
 * @n:		their number
 */
static void tick_expect(struct e2e *t, const char *what,
			const struct exp_msg *exp, unsigned n)
{
	struct ipc_msg m[MSGS_MAX];
	const struct msg_ports *p;
	const char *why = "";
	unsigned got = 0, i, j;
	bool ok = true;
	int rc = 0;

	agent_scan_tick(&t->a);
	while (got < MSGS_MAX &&
	       (rc = ipc_recv(&t->sup, &m[got], &why)) == 1)
		got++;
	report(got < MSGS_MAX && rc == IPC_AGAIN, "e2e",
	       "%s: receive ended with %d (%s)", what, rc, why);
	for (i = 0; ok && i < got && i < n; i++) {
		p = &m[i].u.ports;
		ok = m[i].type == MSG_PORTS && p->family == exp[i].family &&
		     p->flags == exp[i].flags &&
		     p->count == exp[i].count + !!exp[i].extra;
		for (j = 0; ok && j < exp[i].count; j++)
			ok = p->port[j] == exp[i].first + j;
		if (ok && exp[i].extra)
			ok = p->port[j] == exp[i].extra;
		if (!ok)
			unit_out("  %s: message %u: family %u flags %#x count %u "
			    "first %u\n", what, i, p->family, p->flags,
			    p->count, p->count ? p->port[0] : 0);
	}
	report(ok && got == n, "e2e", "%s: %u messages, expected %u", what,
	       got, n);
}

/**
 * e2e_open() - the namespace's sockets and the agent under test
 * @t:		state, filled
 */
static void e2e_open(struct e2e *t)
{
	int sv[2];
	unsigned i;

	memset(t, 0, sizeof(*t));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	t->a.sup = (struct ipc_chan){ sv[0], ROLE_AGENT, ROLE_SUPERVISOR,
				      "supervisor" };
	t->a.relay = (struct ipc_chan){ -1, ROLE_AGENT, ROLE_RELAY, "relay" };
	t->sup = (struct ipc_chan){ sv[1], ROLE_SUPERVISOR, ROLE_AGENT,
				    "agent" };
	for (i = 0; i < E2E_V4_COUNT; i++)
		t->v4[i] = -1;
	agent_scan_open(&t->a);
	report(t->a.scan.diag_fd >= 0, "e2e", "no sock_diag socket");
	report(t->a.scan.proc_fd[0] >= 0 && t->a.scan.proc_fd[1] >= 0, "e2e",
	       "/proc/net/tcp or tcp6 not open");
	t->a.scan.on = true;
	/* sock_diag alone first: its results must not come from /proc */
	memcpy(t->proc, t->a.scan.proc_fd, sizeof(t->proc));
	t->a.scan.proc_fd[0] = -1;
	t->a.scan.proc_fd[1] = -1;
}

/**
 * e2e_listen() - open the listeners of the first report with ports
 * @t:		state
 */
static void e2e_listen(struct e2e *t)
{
	unsigned i;

	for (i = 0; i < E2E_V4_COUNT; i++)
		t->v4[i] = tcp_socket(AF_INET, (uint16_t)(E2E_V4_FIRST + i),
				      true);
	t->v6 = tcp_socket(AF_INET6, E2E_V6, true);
	t->own[0] = tcp_socket(AF_INET, E2E_OWN, true);
	t->own[1] = tcp_socket(AF_INET6, E2E_OWN, true);
	t->bound = tcp_socket(AF_INET, E2E_BOUND, false);
	t->listener = (struct agent_listener){ .id = 1, .fd = t->own[0],
					       .family = AF_INET,
					       .port = E2E_OWN };
	t->a.listeners = &t->listener;
	t->a.nlisteners = 1;
}

/**
 * e2e_diag() - first report, appear, steady, change, by sock_diag alone
 * @t:		state
 */
static void e2e_diag(struct e2e *t)
{
	const struct exp_msg empty[] = { { AF_INET, PORTS_F_LAST, 0, 0, 0 } };
	const struct exp_msg appear[] = {
		{ AF_INET, PORTS_F_LISTENING, E2E_V4_FIRST, PORTS_MAX, 0 },
		{ AF_INET, PORTS_F_LISTENING, E2E_V4_FIRST + PORTS_MAX,
		  E2E_V4_COUNT - PORTS_MAX, 0 },
		{ AF_INET6, PORTS_F_LISTENING | PORTS_F_LAST, E2E_V6, 1, 0 },
	};
	const struct exp_msg change[] = {
		{ AF_INET, PORTS_F_LISTENING, E2E_NEW, 1, 0 },
		{ AF_INET, 0, E2E_V4_FIRST, 1, 0 },
		{ AF_INET6, PORTS_F_LAST, E2E_V6, 1, 0 },
	};

	tick_expect(t, "first report, nothing listening", empty, 1);
	tick_expect(t, "nothing changed", NULL, 0);
	e2e_listen(t);
	tick_expect(t, "listeners appear", appear, 3);
	tick_expect(t, "nothing changed again", NULL, 0);
	close(t->v4[0]);
	t->v4[0] = -1;
	close(t->v6);
	t->fresh = tcp_socket(AF_INET, E2E_NEW, true);
	tick_expect(t, "one new, two gone", change, 3);
}

/**
 * e2e_proc() - the /proc fallback, then no source, then scanning off
 * @t:		state
 */
static void e2e_proc(struct e2e *t)
{
	const struct exp_msg gone[] = {
		{ AF_INET, PORTS_F_LAST, E2E_V4_FIRST + 1, 1, 0 },
	};
	const struct exp_msg again[] = {
		{ AF_INET, PORTS_F_LISTENING, E2E_V4_FIRST + 2, PORTS_MAX, 0 },
		{ AF_INET, PORTS_F_LISTENING | PORTS_F_LAST,
		  E2E_V4_FIRST + 2 + PORTS_MAX, E2E_V4_COUNT - 2 - PORTS_MAX,
		  E2E_NEW },
	};

	close(t->a.scan.diag_fd);
	t->a.scan.diag_fd = -1;
	memcpy(t->a.scan.proc_fd, t->proc, sizeof(t->proc));
	tick_expect(t, "/proc: same ports as sock_diag", NULL, 0);
	close(t->v4[1]);
	t->v4[1] = -1;
	tick_expect(t, "/proc: one gone", gone, 1);
	memset(t->a.scan.sent, 0, sizeof(t->a.scan.sent));
	t->a.scan.reported = false;
	tick_expect(t, "/proc: full first report", again, 2);
	close(t->a.scan.proc_fd[1]);
	t->a.scan.proc_fd[1] = -1;
	close(t->v4[2]);
	tick_expect(t, "no IPv6 source: nothing reported", NULL, 0);
	t->a.scan.on = false;
	tick_expect(t, "scanning off", NULL, 0);
}

/**
 * e2e_spawner_filter() - load the spawner's filter, which every agent
 * inherits and runs under from its first instruction
 */
static void e2e_spawner_filter(void)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
	rc = filter_load(seccomp_spawner_filter(SANDBOX_ENFORCE));
	if (rc) {
		errno = -rc;
		die("loading the spawner's seccomp filter");
	}
}

/**
 * e2e_child() - the end-to-end test in a fresh network namespace
 *
 * In the agent's order: enter the namespace (here: a new one, its
 * loopback brought up while that is still allowed), the spawner's
 * filter (inherited at exec), agent_scan_open(), then Landlock and the
 * agents' filter (sandbox_agent_enter(), kill on violation), and only then the scans:
 * a system call the scan needs and the filters forbid ends the child
 * with SIGSYS.
 *
 * Return: exit status for the parent
 */
static int e2e_child(void)
{
	static struct e2e t;
	int flags = CLONE_NEWNET;

	n_pass = 0;		/* counted here, reported to the parent */
	n_fail = 0;
	alarm(E2E_TIMEOUT_SEC);
	if (geteuid())
		flags |= CLONE_NEWUSER;	/* root in it: lo can go up */
	if (unshare(flags))
		die("unshare of a network namespace");
	lo_up();
	unit_out_fd = STDERR_FILENO;
	e2e_spawner_filter();
	e2e_open(&t);
	sandbox_agent_enter();
	e2e_diag(&t);
	e2e_proc(&t);
	return unit_summary("end to end");
}

/**
 * e2e_run() - fork the end-to-end child and count its outcome
 */
static void e2e_run(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid)
		_exit(e2e_child());
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	report(WIFEXITED(status) && !WEXITSTATUS(status), "e2e",
	       "child ended with status %#x%s", (unsigned)status,
	       !WIFSIGNALED(status) ? "" :
	       WTERMSIG(status) == SIGALRM ? " (timed out)" :
	       WTERMSIG(status) == SIGSYS ? " (killed by seccomp)" : "");
}

/**
 * main() - run every case
 *
 * Return: 0 if all passed
 */
int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(proc_cases) / sizeof(proc_cases[0]); i++)
		proc_case_run(&proc_cases[i]);
	proc_prefixes(proc_v4, "captured tcp");
	proc_prefixes(proc_v6, "captured tcp6");
	proc_too_long();
	diag_good_cases();
	diag_bad_cases();
	diag_unaligned();
	diag_prefixes();
	e2e_run();
	return unit_summary(NULL);
}
