// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_proc_net_tcp.c - fuzz target: the text of /proc/net/tcp and tcp6
 *
 * DOC: Theory of Operation
 *
 * scan_parse_proc() (nsagent/scan_parse.c) is the "auto" scan's fallback
 * when the kernel has no sock_diag for TCP: it reads the whole text of
 * /proc/net/tcp or tcp6.  The input is that text, exactly (no NUL added:
 * the parser must stop at the length, and the buffer ends where
 * libFuzzer's allocation ends, so a read past it is a sanitizer report).
 *
 * Properties:
 *
 * - the result is a count >= 0, -EBADMSG, or -EFBIG exactly when the
 *   text is longer than SCAN_PROC_MAX;
 * - all or nothing: on an error the caller's bitmap is untouched (a
 *   bitmap prefilled with a pattern still holds it); on success bits are
 *   only added;
 * - an accepted text ends with a newline, holds at least one line more
 *   than it counted sockets, and at most as many ports as it counted;
 *   port 0 is never set, and every port found is in the text as
 *   ":PPPP " (four hex digits, either case, then a space);
 * - a prefix of an accepted text that ends right after a line (the
 *   header included) is accepted too, with a subset of the ports;
 * - round trip: the ports found, written back in the kernel's own format
 *   (tcp6 width if the text's first address is 32 digits wide) with one
 *   listening line each and a non-listening line among them, give the same
 *   ports and a count equal to their number.
 *
 * Seeds (corpus/proc_net_tcp/): /proc/net/tcp and tcp6 captured from a
 * running kernel (cut to whole lines), and texts for each rejection of
 * the unit test (tests/unit/test_scan.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nsagent/scan_parse.h"
#include "tests/fuzz/fuzz.h"

/* PATTERN - filler of a bitmap that an error must leave as it is */
#define PATTERN		0xc3

/* LINE_MAX_LEN - bytes of one canonical line, tcp6 width, newline */
#define LINE_MAX_LEN	192

/* ADDR6_HEX - hex digits of a tcp6 address */
#define ADDR6_HEX	32

/* CANON_MAX - canonical text of every port, header and one extra line */
#define CANON_MAX	((PORTSET_PORTS + 2U) * LINE_MAX_LEN)

/* NEEDLE_LEN - ":PPPP " */
#define NEEDLE_LEN	6

/* TCP_HEADER - the kernel's header line of /proc/net/tcp */
#define TCP_HEADER	"  sl  local_address rem_address   st tx_queue " \
			"rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* canon, lower - round-trip text; the input in lower case */
static char canon[CANON_MAX];
static char lower[SCAN_PROC_MAX];

/**
 * popcount() - ports set in a bitmap
 * @bm:		bitmap
 *
 * Return: number of bits set
 */
static unsigned popcount(const uint8_t *bm)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < PORTSET_BYTES; i++)
		n += (unsigned)__builtin_popcount(bm[i]);
	return n;
}

/**
 * wide() - does the text's first socket line use tcp6 addresses
 * @text:	accepted text
 * @len:	its bytes
 *
 * Return: true if the first address after the header is 32 digits
 */
static bool wide(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	const char *colon, *end = text + len;

	if (!nl || !(colon = memchr(nl, ':', (size_t)(end - nl))))
		return false;
	/* "N: ADDR:PORT": the address starts two bytes after the colon */
	return colon + 2 + ADDR6_HEX < end && colon[2 + ADDR6_HEX] == ':';
}

/**
 * canon_line() - one socket line in the kernel's format
 * @buf:	output, LINE_MAX_LEN bytes
 * @slot:	slot number
 * @six:	tcp6 width
 * @port:	local port
 * @state:	TCP state
 *
 * Return: bytes written
 */
static size_t canon_line(char *buf, unsigned slot, bool six, unsigned port,
			 unsigned state)
{
	const char *addr = six ? "00000000000000000000000001000000"
			       : "0100007F";
	const char *zero = six ? "00000000000000000000000000000000"
			       : "00000000";

	return (size_t)snprintf(buf, LINE_MAX_LEN, "%4u: %s:%04X %s:0000 %02X"
				" 00000000:00000000 00:00000000 00000000     "
				"0        0 1234 1 0000000000000000 100 0 0 "
				"10 0\n", slot, addr, port, zero, state);
}

/**
 * round_trip() - the ports found, in the kernel's format, parse the same
 * @bm:		ports found
 * @six:	write tcp6 addresses
 */
static void round_trip(const uint8_t *bm, bool six)
{
	uint8_t again[PORTSET_BYTES];
	size_t len = strlen(TCP_HEADER);
	unsigned p, slot = 0;
	int rc;

	memcpy(canon, TCP_HEADER, len);
	/* A TIME_WAIT socket first: it must not count */
	len += canon_line(canon + len, slot++, six, 0x1F90, 0x06);
	for (p = 1; p < PORTSET_PORTS; p++)
		if (portset_has(bm, (uint16_t)p))
			len += canon_line(canon + len, slot++, six, p, 0x0A);
	if (len > SCAN_PROC_MAX)
		return;		/* more ports than the parser takes */
	memset(again, 0, sizeof(again));
	rc = scan_parse_proc(canon, len, again);
	FUZZ_CHECK(rc >= 0 && (unsigned)rc == popcount(bm),
		   "canonical text of the result not parsed whole");
	FUZZ_CHECK(!memcmp(again, bm, sizeof(again)),
		   "canonical text of the result gives other ports");
}

/**
 * check_ports_in_text() - every port found is in the text as ":pppp "
 * @text:	accepted text
 * @len:	its bytes
 * @bm:		ports found
 */
static void check_ports_in_text(const char *text, size_t len,
				const uint8_t *bm)
{
	char needle[NEEDLE_LEN + 1];
	size_t i;
	unsigned p;

	for (i = 0; i < len; i++)
		lower[i] = text[i] >= 'A' && text[i] <= 'F' ?
			   (char)(text[i] - 'A' + 'a') : text[i];
	for (p = 1; p < PORTSET_PORTS; p++) {
		if (!portset_has(bm, (uint16_t)p))
			continue;
		snprintf(needle, sizeof(needle), ":%04x ", p);
		FUZZ_CHECK(memmem(lower, len, needle, NEEDLE_LEN),
			   "a port found is not in the text");
	}
}

/**
 * check_prefix() - the longest accepted prefix of the text's first half
 * @text:	accepted text
 * @len:	its bytes
 * @bm:		ports of the whole text
 */
static void check_prefix(const char *text, size_t len, const uint8_t *bm)
{
	uint8_t part[PORTSET_BYTES];
	const char *nl = memrchr(text, '\n', len / 2);
	size_t i;
	int rc;

	if (!nl)
		return;
	memset(part, 0, sizeof(part));
	rc = scan_parse_proc(text, (size_t)(nl + 1 - text), part);
	FUZZ_CHECK(rc >= 0, "prefix of whole lines refused");
	for (i = 0; i < sizeof(part); i++)
		FUZZ_CHECK(!(part[i] & ~bm[i]),
			   "prefix has a port the whole text has not");
}

/**
 * check_accepted() - properties of an accepted text
 * @text:	text
 * @len:	its bytes
 * @rc:		count returned
 * @bm:		ports found
 */
static void check_accepted(const char *text, size_t len, int rc,
			   const uint8_t *bm)
{
	size_t lines = 0, i;

	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	FUZZ_CHECK(len && text[len - 1] == '\n',
		   "accepted text does not end with a newline");
	FUZZ_CHECK((size_t)rc < lines, "more sockets than lines");
	FUZZ_CHECK(popcount(bm) <= (unsigned)rc, "more ports than sockets");
	FUZZ_CHECK(!portset_has(bm, 0), "port 0 set");
	check_ports_in_text(text, len, bm);
	check_prefix(text, len, bm);
	round_trip(bm, wide(text, len));
}

/**
 * LLVMFuzzerTestOneInput() - parse one text and check every property
 * @data:	the text
 * @size:	its bytes
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	uint8_t bm[PORTSET_BYTES], pat[PORTSET_BYTES];
	size_t i;
	int rc;

	memset(bm, 0, sizeof(bm));
	rc = scan_parse_proc(text, size, bm);
	FUZZ_CHECK(rc >= 0 || rc == -EBADMSG || rc == -EFBIG,
		   "unexpected return value");
	FUZZ_CHECK((rc == -EFBIG) == (size > SCAN_PROC_MAX),
		   "-EFBIG not exactly for an oversized text");
	memset(pat, PATTERN, sizeof(pat));
	FUZZ_CHECK(scan_parse_proc(text, size, pat) == rc,
		   "same text, other result");
	for (i = 0; i < sizeof(pat); i++)
		FUZZ_CHECK(pat[i] == (rc < 0 ? PATTERN : (PATTERN | bm[i])),
			   "bitmap changed on an error, or bits cleared");
	if (rc >= 0)
		check_accepted(text, size, rc, bm);
	return 0;
}
