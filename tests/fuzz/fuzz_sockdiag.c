// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_sockdiag.c - fuzz target: one sock_diag recv() buffer of a dump
 *
 * DOC: Theory of Operation
 *
 * scan_parse_diag() (nsagent/scan_parse.c) reads what the kernel answers
 * to the "auto" scan's inet_diag dump: netlink messages, each a length
 * field that must be believed only after it is checked.
 *
 * Input layout: byte 0 picks the family asked for (bit 0: AF_INET6, else
 * AF_INET) and the state that counts (bit 1: TCP_CLOSE, the UDP scan's
 * bound sockets without a peer, through scan_parse_diag_state(); else
 * TCP_LISTEN through scan_parse_diag()); the rest is the buffer, passed where it lies (at an odd
 * address, and ending where libFuzzer's allocation ends, so a read past
 * it or an unaligned access is a sanitizer report).
 *
 * Properties:
 *
 * - the result is a count >= 0 or a negative errno (1..4095); a buffer
 *   longer than SCAN_DIAG_BUF gives -EMSGSIZE;
 * - all or nothing: on an error the caller's bitmap is untouched (a
 *   bitmap prefilled with a pattern still holds it) and *done is false;
 *   on success bits are only added;
 * - it agrees with an independent walk written here with the kernel's own
 *   NLMSG_OK()/NLMSG_NEXT() macros over an aligned copy: same count, same
 *   *done, same ports; port 0 is never set and no port counts twice more
 *   than its messages;
 * - round trip: the ports found, written back as a canonical dump (one
 *   listening entry each, then NLMSG_DONE), give the same bitmap, a count
 *   equal to the number of ports, and *done.
 *
 * Seeds (corpus/sockdiag/): dumps captured from a running kernel with
 * the request nsagent/scan.c sends (family byte, then one recv() buffer),
 * and built ones for NLMSG_ERROR, an ACK, an empty dump and an
 * interrupted one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "nsagent/scan_parse.h"
#include "tests/fuzz/fuzz.h"

/* PATTERN - filler of a bitmap that an error must leave as it is */
#define PATTERN			0x5a

/* ERRNO_MAX - largest errno an NLMSG_ERROR may carry (MAX_ERRNO) */
#define ERRNO_MAX		4095

/* ENTRY_LEN - bytes of one canonical listening entry */
#define ENTRY_LEN	NLMSG_SPACE(sizeof(struct inet_diag_msg))

/* DONE_LEN - bytes of the canonical NLMSG_DONE (an int payload) */
#define DONE_LEN	NLMSG_SPACE(sizeof(int))

/* aligned, canon - the reference walk's copy, the round trip's dump */
static uint8_t aligned[SCAN_DIAG_BUF] __attribute__((aligned(8)));
static uint8_t canon[PORTSET_PORTS * ENTRY_LEN + DONE_LEN]
	__attribute__((aligned(8)));

/**
 * struct ref - what the reference walk found
 * @rc:		expected return value
 * @done:	expected *done
 * @bm:		expected ports
 */
struct ref {
	int rc;
	bool done;
	uint8_t bm[PORTSET_BYTES];
};

/* ref_state - the socket state the input asked to count */
static unsigned ref_state = TCP_LISTEN;

/**
 * ref_message() - one message of the reference walk
 * @h:		message, nlmsg_len checked by NLMSG_OK()
 * @family:	family asked for
 * @r:		result so far
 *
 * Return: true to go on with the next message
 */
static bool ref_message(const struct nlmsghdr *h, int family, struct ref *r)
{
	const void *data = (const uint8_t *)h + NLMSG_HDRLEN;
	const struct nlmsgerr *e = data;
	const struct inet_diag_msg *d = data;
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;

	if (h->nlmsg_type == NLMSG_NOOP)
		return true;
	if (h->nlmsg_type == NLMSG_DONE) {
		r->done = true;
		return false;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		if (plen < sizeof(*e) || e->error > 0 || e->error < -ERRNO_MAX)
			r->rc = -EBADMSG;
		else if (e->error)
			r->rc = e->error;
		else
			r->done = true;
		return false;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
		r->rc = -EBADMSG;
		return false;
	}
	if (h->nlmsg_flags & NLM_F_DUMP_INTR || plen < sizeof(*d)) {
		r->rc = (h->nlmsg_flags & NLM_F_DUMP_INTR) ? -EINTR : -EBADMSG;
		return false;
	}
	if (d->idiag_family == family && d->idiag_state == ref_state &&
	    d->id.idiag_sport) {
		portset_add(r->bm, ntohs(d->id.idiag_sport));
		r->rc++;
	}
	return true;
}

/**
 * parse() - the parser under test, for the state in ref_state
 * @buf:	buffer
 * @len:	its bytes
 * @family:	family asked for
 * @bm:		bitmap
 * @done:	end of dump
 *
 * Return: what the parser returned
 */
static int parse(const uint8_t *buf, size_t len, int family, uint8_t *bm,
		 bool *done)
{
	if (ref_state == TCP_LISTEN)
		return scan_parse_diag(buf, len, family, bm, done);
	return scan_parse_diag_state(buf, len, family, ref_state, bm, done);
}

/* NLMSG_OK() compares the unsigned nlmsg_len with an int length by
 * design (NLMSG_NEXT() may drive it negative): clang warns inside it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"

/**
 * ref_walk() - the expected result, by the kernel's macros
 * @buf:	buffer
 * @len:	its bytes, at most SCAN_DIAG_BUF
 * @family:	family asked for
 * @r:		filled
 */
static void ref_walk(const uint8_t *buf, size_t len, int family,
		     struct ref *r)
{
	struct nlmsghdr *h = (void *)aligned;
	int left = (int)len;

	memset(r, 0, sizeof(*r));
	memcpy(aligned, buf, len);
	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		if (!ref_message(h, family, r))
			break;
	/* A loop that ran out with bytes left stopped at a bad header */
	if (r->rc >= 0 && !r->done && left > 0 && !NLMSG_OK(h, left))
		r->rc = -EBADMSG;
	if (r->rc < 0) {
		r->done = false;
		memset(r->bm, 0, sizeof(r->bm));
	}
}

#pragma GCC diagnostic pop

/**
 * canon_dump() - one listening entry per port of @bm, then NLMSG_DONE
 * @bm:		ports
 * @family:	family of the entries
 * @n:		set to the number of ports
 *
 * Return: bytes written to canon[]
 */
static size_t canon_dump(const uint8_t *bm, int family, unsigned *n)
{
	struct nlmsghdr *h;
	struct inet_diag_msg *d;
	size_t off = 0;
	unsigned p;

	for (*n = 0, p = 1; p < PORTSET_PORTS; p++) {
		if (!portset_has(bm, (uint16_t)p))
			continue;
		memset(canon + off, 0, ENTRY_LEN);
		h = (void *)(canon + off);
		h->nlmsg_len = NLMSG_LENGTH(sizeof(*d));
		h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		h->nlmsg_flags = NLM_F_MULTI;
		d = NLMSG_DATA(h);
		d->idiag_family = (uint8_t)family;
		d->idiag_state = TCP_LISTEN;
		d->id.idiag_sport = htons((uint16_t)p);
		off += ENTRY_LEN;
		(*n)++;
	}
	memset(canon + off, 0, DONE_LEN);
	h = (void *)(canon + off);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	h->nlmsg_type = NLMSG_DONE;
	return off + DONE_LEN;
}

/**
 * round_trip() - the ports found, as a canonical dump, parse the same
 * @bm:		ports found
 * @family:	family
 */
static void round_trip(const uint8_t *bm, int family)
{
	uint8_t again[PORTSET_BYTES];
	size_t len, off;
	unsigned n;
	bool done;
	int rc;

	len = canon_dump(bm, family, &n);
	memset(again, 0, sizeof(again));
	/* Parts of at most SCAN_DIAG_BUF, cut between messages, as the
	 * kernel sends them */
	for (off = 0, rc = 0, done = false; off < len && rc >= 0;) {
		size_t part = len - off;
		int got;

		if (part > SCAN_DIAG_BUF)
			part = SCAN_DIAG_BUF / ENTRY_LEN * ENTRY_LEN;
		got = scan_parse_diag(canon + off, part, family, again, &done);
		rc = got < 0 ? got : rc + got;
		off += part;
	}
	FUZZ_CHECK(rc >= 0 && (unsigned)rc == n && done,
		   "canonical dump of the result not parsed whole");
	FUZZ_CHECK(!memcmp(again, bm, sizeof(again)),
		   "canonical dump of the result gives other ports");
}

/**
 * check_rc() - the return value is one of the documented ones
 * @rc:		return value
 * @len:	buffer bytes
 */
static void check_rc(int rc, size_t len)
{
	FUZZ_CHECK(len <= SCAN_DIAG_BUF || rc == -EMSGSIZE,
		   "oversized buffer not refused with -EMSGSIZE");
	FUZZ_CHECK(rc >= -ERRNO_MAX, "return value is no errno");
}

/**
 * LLVMFuzzerTestOneInput() - parse one buffer and check every property
 * @data:	input, layout in the theory of operation above
 * @size:	bytes in @data
 *
 * Return: 0, or -1 for an input without the family byte
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref ref;
	uint8_t bm[PORTSET_BYTES], pat[PORTSET_BYTES];
	int family, rc, rc2;
	bool done, done2;
	size_t i, len;

	if (!size)
		return -1;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	ref_state = data[0] & 2 ? TCP_CLOSE : TCP_LISTEN;
	len = size - 1;
	memset(bm, 0, sizeof(bm));
	rc = parse(data + 1, len, family, bm, &done);
	check_rc(rc, len);
	memset(pat, PATTERN, sizeof(pat));
	rc2 = parse(data + 1, len, family, pat, &done2);
	FUZZ_CHECK(rc == rc2 && done == done2, "same input, other result");
	for (i = 0; i < sizeof(pat); i++)
		FUZZ_CHECK(pat[i] == (rc < 0 ? PATTERN : (PATTERN | bm[i])),
			   "bitmap changed on an error, or bits cleared");
	FUZZ_CHECK(rc >= 0 || !done, "done set with an error");
	FUZZ_CHECK(!portset_has(bm, 0), "port 0 set");
	if (len > SCAN_DIAG_BUF)
		return 0;
	ref_walk(data + 1, len, family, &ref);
	FUZZ_CHECK(rc == ref.rc && done == ref.done,
		   "return value or done differs from the NLMSG_OK() walk");
	FUZZ_CHECK(!memcmp(bm, ref.bm, sizeof(bm)),
		   "ports differ from the NLMSG_OK() walk");
	if (rc >= 0 && ref_state == TCP_LISTEN)
		round_trip(bm, family);
	return 0;
}
