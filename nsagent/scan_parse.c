// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_parse.c - parse sock_diag dumps and /proc/net/tcp* text into ports
 *
 * DOC: Theory of Operation
 *
 * See scan_parse.h for what the two parsers are for.  Both work the same
 * way: they collect into a bitmap of their own, on the stack, and OR it
 * into the caller's only once the whole input was accepted, so an error
 * anywhere leaves the caller's bitmap untouched.
 *
 * sock_diag (scan_parse_diag()): a recv() buffer holds whole netlink
 * messages, each a struct nlmsghdr whose nlmsg_len covers header and
 * payload, padded to NLMSG_ALIGNTO.  A header that does not fit, a length
 * shorter than the header or longer than what is left, a payload too short
 * for its type, or a type a TCP dump never sends makes the whole buffer
 * invalid (-EBADMSG).  NLMSG_DONE, or an NLMSG_ERROR carrying 0 (an ACK),
 * ends the dump: *done is set and anything after it is not looked at.  An
 * NLMSG_ERROR with an errno is returned as that (negative) errno.  Only an
 * inet_diag_msg of the family asked for, in state TCP_LISTEN, with a
 * non-zero source port counts.  The padding of the last message may be
 * missing from the buffer.
 *
 * /proc/net/tcp and tcp6 (scan_parse_proc()): a header line starting with
 * "sl", then one line per socket, as the kernel prints it:
 *
 *	"%4d: %08X:%04X %08X:%04X %02X ..."	(tcp6: 32 hex digits each
 *						address instead of 8)
 *
 * Strict, and consistent about it: a line that does not have exactly this
 * shape (slot number, colon, space, local address of 8 or 32 hex digits,
 * colon, 4-digit port, space, remote address of the same width, colon,
 * port, space, 2-digit state, space), a line whose address width differs
 * from the first line's, or a last line without its newline (a truncated
 * read) rejects the whole text.  What follows the state is not looked at.
 * Hex digits may be either case; the kernel prints upper case.  State 0A
 * is TCP_LISTEN.
 *
 * No system calls: these run under any filter, in the fuzzers, anywhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "nsagent/scan_parse.h"

/* DIAG_ALIGN - netlink messages start at multiples of this, bytes */
#define DIAG_ALIGN		((size_t)NLMSG_ALIGNTO)

/* DIAG_ERRNO_MAX - largest errno an NLMSG_ERROR can carry (MAX_ERRNO) */
#define DIAG_ERRNO_MAX		4095

/* PROC_SLOT_DIGITS_MAX - digits of the slot number that starts a line */
#define PROC_SLOT_DIGITS_MAX	10

/* PROC_ADDR4_HEX, PROC_ADDR6_HEX - hex digits of an address in tcp, tcp6 */
#define PROC_ADDR4_HEX		8U
#define PROC_ADDR6_HEX		32U

/* PROC_PORT_HEX, PROC_STATE_HEX - hex digits of a port and of a state */
#define PROC_PORT_HEX		4U
#define PROC_STATE_HEX		2U

/**
 * diag_error() - the errno an NLMSG_ERROR carries
 * @p:		payload
 * @plen:	payload bytes
 *
 * Return: 0 for an ACK, a negative errno, or -EBADMSG if the payload is
 * too short or the value is no errno
 */
static int diag_error(const uint8_t *p, size_t plen)
{
	struct nlmsgerr e;

	if (plen < sizeof(e))
		return -EBADMSG;
	memcpy(&e, p, sizeof(e));
	if (e.error > 0 || e.error < -DIAG_ERRNO_MAX)
		return -EBADMSG;
	return e.error;
}

/**
 * diag_entry() - one inet_diag_msg
 * @p:		payload
 * @plen:	payload bytes
 * @family:	AF_INET or AF_INET6, the family asked for
 * @state:	the state that counts: TCP_LISTEN (TCP), TCP_CLOSE (a bound,
 *		unconnected UDP socket)
 * @found:	bitmap to set the port in
 *
 * Return: 1 if a listening port was set, 0 if the socket does not count,
 * -EBADMSG if the payload is too short
 */
static int diag_entry(const uint8_t *p, size_t plen, int family,
		      unsigned state, uint8_t *found)
{
	struct inet_diag_msg d;
	uint16_t port;

	if (plen < sizeof(d))
		return -EBADMSG;
	memcpy(&d, p, sizeof(d));
	if (d.idiag_family != family || d.idiag_state != state)
		return 0;
	port = ntohs(d.id.idiag_sport);
	if (!port)
		return 0;
	portset_add(found, port);
	return 1;
}

/**
 * diag_one() - one netlink message of a dump
 * @h:		its header, length already checked against the buffer
 * @p:		payload
 * @family:	family asked for
 * @found:	bitmap to set ports in
 * @done:	set when the message ends the dump
 *
 * Return: listening ports counted (0 or 1), or a negative errno
 */
static int diag_one(const struct nlmsghdr *h, const uint8_t *p, int family,
		    unsigned state, uint8_t *found, bool *done)
{
	size_t plen = h->nlmsg_len - sizeof(*h);
	int rc;

	switch (h->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_DONE:
		*done = true;
		return 0;
	case NLMSG_ERROR:
		rc = diag_error(p, plen);
		*done = !rc;
		return rc;
	case SOCK_DIAG_BY_FAMILY:
		/* The socket table changed under the dump: the list may miss
		 * a port that never went away. */
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		return diag_entry(p, plen, family, state, found);
	default:
		return -EBADMSG;
	}
}

/**
 * scan_parse_diag() - listening TCP ports in one sock_diag recv() buffer
 * @buf:	received bytes, any alignment
 * @len:	their number, at most SCAN_DIAG_BUF
 * @family:	AF_INET or AF_INET6, the family the dump asked for
 * @bitmap:	as for scan_parse_diag_state()
 * @done:	as for scan_parse_diag_state()
 *
 * Return: as scan_parse_diag_state() with TCP_LISTEN
 */
int scan_parse_diag(const void *buf, size_t len, int family, uint8_t *bitmap,
		    bool *done)
{
	return scan_parse_diag_state(buf, len, family, TCP_LISTEN, bitmap,
				     done);
}

/**
 * scan_parse_diag_state() - ports of sockets in one state, one buffer
 * @buf:	received bytes, any alignment
 * @len:	their number, at most SCAN_DIAG_BUF
 * @family:	AF_INET or AF_INET6, the family the dump asked for
 * @state:	TCP_LISTEN for TCP listeners, TCP_CLOSE for bound UDP
 *		sockets without a peer (what a UDP server is)
 * @bitmap:	PORTSET_BYTES; bits of the ports found are set, only if the
 *		whole buffer is valid
 * @done:	set to true if the buffer ends the dump, else false
 *
 * Return: number of listening sockets counted (a port can count more
 * than once), -EINVAL for a bad @family, -EMSGSIZE for a too long buffer,
 * -EBADMSG for a malformed one, -EINTR for an inconsistent dump, or the
 * negative errno of an NLMSG_ERROR
 */
int scan_parse_diag_state(const void *buf, size_t len, int family,
			  unsigned state, uint8_t *bitmap, bool *done)
{
	uint8_t found[PORTSET_BYTES];
	const uint8_t *p = buf;
	struct nlmsghdr h;
	size_t off, step;
	int n = 0, rc;

	*done = false;
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if (len > SCAN_DIAG_BUF)
		return -EMSGSIZE;
	memset(found, 0, sizeof(found));
	for (off = 0; off < len && !*done; off += step) {
		if (len - off < sizeof(h))
			return -EBADMSG;
		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EBADMSG;
		rc = diag_one(&h, p + off + sizeof(h), family, state, found,
			      done);
		if (rc < 0) {
			*done = false;
			return rc;
		}
		n += rc;
		step = (h.nlmsg_len + DIAG_ALIGN - 1) & ~(DIAG_ALIGN - 1);
		if (step > len - off)
			step = len - off;	/* last message, padding cut */
	}
	portset_or(bitmap, found);
	return n;
}

/**
 * struct cursor - read position in one line of /proc text
 * @p:		next character
 * @end:	end of the line (its newline, not included)
 */
struct cursor {
	const char *p;
	const char *end;
};

/**
 * hex_value() - value of a hex digit
 * @ch:		character
 *
 * Return: 0..15, or -1 if @ch is not a hex digit
 */
static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/**
 * cur_char() - take one expected character
 * @c:		cursor
 * @ch:		the character
 *
 * Return: true if it was there
 */
static bool cur_char(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/**
 * cur_spaces() - skip spaces
 * @c:		cursor
 */
static void cur_spaces(struct cursor *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/**
 * cur_digits() - take 1 to @max decimal digits
 * @c:		cursor
 * @max:	most digits
 *
 * Return: true if there were 1..@max of them, followed by a non-digit
 */
static bool cur_digits(struct cursor *c, unsigned max)
{
	unsigned n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n <= max) {
		c->p++;
		n++;
	}
	return n && n <= max;
}

/**
 * cur_hex_run() - count the hex digits ahead, without taking them
 * @c:		cursor
 *
 * Return: number of consecutive hex digits at the cursor
 */
static size_t cur_hex_run(const struct cursor *c)
{
	const char *q = c->p;

	while (q < c->end && hex_value(*q) >= 0)
		q++;
	return (size_t)(q - c->p);
}

/**
 * cur_hex() - take exactly @digits hex digits
 * @c:		cursor
 * @digits:	how many, at most 4
 * @v:		set to their value
 *
 * Return: true if exactly @digits hex digits were there
 */
static bool cur_hex(struct cursor *c, unsigned digits, unsigned *v)
{
	unsigned i;

	if (cur_hex_run(c) != digits)
		return false;
	for (*v = 0, i = 0; i < digits; i++)
		*v = *v * 16U + (unsigned)hex_value(*c->p++);
	return true;
}

/**
 * cur_endpoint() - take "ADDRESS:PORT"
 * @c:		cursor
 * @width:	address width of the text, 0 until the first address
 * @port:	set to the port
 *
 * Return: true if well formed and as wide as every address before
 */
static bool cur_endpoint(struct cursor *c, size_t *width, unsigned *port)
{
	size_t n = cur_hex_run(c);

	if (n != PROC_ADDR4_HEX && n != PROC_ADDR6_HEX)
		return false;
	if (*width && n != *width)
		return false;
	*width = n;
	c->p += n;
	return cur_char(c, ':') && cur_hex(c, PROC_PORT_HEX, port);
}

/**
 * proc_header() - is this the header line
 * @p:		line
 * @end:	its newline
 *
 * Return: true if it starts, after spaces, with "sl "
 */
static bool proc_header(const char *p, const char *end)
{
	struct cursor c = { p, end };

	cur_spaces(&c);
	return cur_char(&c, 's') && cur_char(&c, 'l') && cur_char(&c, ' ');
}

/**
 * proc_line() - one socket line
 * @p:		line
 * @end:	its newline
 * @width:	address width of the text, 0 until the first line
 * @port:	set to the local port
 * @state:	set to the TCP state
 *
 * Return: true if the line is well formed
 */
static bool proc_line(const char *p, const char *end, size_t *width,
		      unsigned *port, unsigned *state)
{
	struct cursor c = { p, end };
	unsigned rport;

	cur_spaces(&c);
	return cur_digits(&c, PROC_SLOT_DIGITS_MAX) && cur_char(&c, ':') &&
	       cur_char(&c, ' ') && cur_endpoint(&c, width, port) &&
	       cur_char(&c, ' ') && cur_endpoint(&c, width, &rport) &&
	       cur_char(&c, ' ') && cur_hex(&c, PROC_STATE_HEX, state) &&
	       cur_char(&c, ' ');
}

/**
 * scan_parse_proc() - listening ports in the text of /proc/net/tcp[6]
 * @text:	the whole file, not NUL-terminated
 * @len:	its bytes, at most SCAN_PROC_MAX
 * @bitmap:	PORTSET_BYTES; bits of the ports found are set, only if
 *		the whole text is valid
 *
 * Return: number of listening sockets counted (a port can count more
 * than once), -EFBIG for a too long text, -EBADMSG for a malformed one
 */
int scan_parse_proc(const char *text, size_t len, uint8_t *bitmap)
{
	uint8_t found[PORTSET_BYTES];
	const char *p, *nl, *end;
	unsigned port, state;
	size_t width = 0;
	int n = 0;

	if (len > SCAN_PROC_MAX)
		return -EFBIG;
	if (!len)
		return -EBADMSG;
	end = text + len;
	nl = memchr(text, '\n', len);
	if (!nl || !proc_header(text, nl))
		return -EBADMSG;
	memset(found, 0, sizeof(found));
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || !proc_line(p, nl, &width, &port, &state))
			return -EBADMSG;
		if (state != TCP_LISTEN || !port)
			continue;
		portset_add(found, (uint16_t)port);
		n++;
	}
	portset_or(bitmap, found);
	return n;
}
