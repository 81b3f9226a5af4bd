// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_proxyv2.c - unit tests of the PROXY protocol v2 encoder
 *
 * DOC: Theory of Operation
 *
 * pp2_encode() (relay/proxyv2.c) is checked byte for byte against headers
 * written out by hand from HAProxy's doc/proxy-protocol.txt, section 2.2:
 * the connections of the specification's own examples (section 2.1,
 * "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443" and the TCP6 one with
 * every address and port bit set) in their binary form, and a header
 * HAProxy itself wrote (TCP4 172.19.0.1:42578 -> 172.19.0.3:80, from a
 * packet capture).  Then the properties a receiver relies on: the length
 * field counts exactly the bytes after the 16-byte header, an unknown
 * family gives UNSPEC with no address block, and a buffer one byte too
 * short gives 0 and writes nothing.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "relay/proxyv2.h"
#include "unit.h"

/* SIG - the signature as the specification prints it */
#define SIG	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, \
		0x54, 0x0a

/* spec_tcp4 - "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443" as v2 */
static const uint8_t spec_tcp4[] = {
	SIG, 0x21, 0x11, 0x00, 0x0c,
	192, 168, 0, 1,		192, 168, 0, 11,
	0xdc, 0x04,		0x01, 0xbb,
};

/* spec_tcp6 - "PROXY TCP6 ffff:...:ffff ffff:...:ffff 65535 65535" as v2 */
static const uint8_t spec_tcp6[] = {
	SIG, 0x21, 0x21, 0x00, 0x24,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff,		0xff, 0xff,
};

/* haproxy_tcp4 - the first 28 bytes HAProxy sent for 172.19.0.1:42578 to
 * 172.19.0.3:80 with "send-proxy-v2" */
static const uint8_t haproxy_tcp4[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
	0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
	0xac, 0x13, 0x00, 0x01, 0xac, 0x13, 0x00, 0x03,
	0xa6, 0x52, 0x00, 0x50,
};

/* spec_unspec - PROXY command, UNSPEC family, no address block */
static const uint8_t spec_unspec[] = { SIG, 0x21, 0x00, 0x00, 0x00 };

/* GUARD - byte the output buffer is filled with before encoding */
#define GUARD	0xa5

/**
 * ends() - connection ends from text
 * @af:		family
 * @src:	client address
 * @sport:	client port
 * @dst:	destination address
 * @dport:	destination port
 *
 * Return: the ends
 */
static struct pp2_ends ends(int af, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport)
{
	struct pp2_ends e = { .af = af, .sport = sport, .dport = dport };

	if (inet_pton(af, src, &e.src) != 1 || inet_pton(af, dst, &e.dst) != 1)
		die("inet_pton");
	return e;
}

/**
 * check_bytes() - encode and compare with an expected header
 * @name:	case name
 * @e:		connection ends
 * @want:	expected bytes
 * @len:	their number
 */
static void check_bytes(const char *name, const struct pp2_ends *e,
			const uint8_t *want, size_t len)
{
	uint8_t buf[PP2_MAX_LEN + 8];
	size_t n, i;

	memset(buf, GUARD, sizeof(buf));
	n = pp2_encode(buf, sizeof(buf), e);
	report(n == len, name, "length %zu, expected %zu", n, len);
	for (i = 0; n == len && i < len; i++)
		if (buf[i] != want[i])
			break;
	report(n == len && i == len, name, "byte %zu is 0x%02x, expected "
	       "0x%02x", i, i < sizeof(buf) ? buf[i] : 0,
	       i < len ? want[i] : 0);
	report(buf[len] == GUARD, name, "wrote past the header");
	if (len >= PP2_HDR_LEN)
		report((size_t)((buf[14] << 8) | buf[15]) == len - PP2_HDR_LEN,
		       name, "length field does not count the address block");
}

/**
 * check_short() - a buffer too small gives 0 and stays untouched
 * @name:	case name
 * @e:		connection ends
 * @len:	the header's real length
 */
static void check_short(const char *name, const struct pp2_ends *e,
			size_t len)
{
	uint8_t buf[PP2_MAX_LEN];
	size_t i;

	memset(buf, GUARD, sizeof(buf));
	report(pp2_encode(buf, len - 1, e) == 0, name, "short buffer accepted");
	for (i = 0; i < sizeof(buf) && buf[i] == GUARD; i++)
		;
	report(i == sizeof(buf), name, "short buffer written to");
}

int main(void)
{
	struct pp2_ends e4 = ends(AF_INET, "192.168.0.1", 56324,
				  "192.168.0.11", 443);
	struct pp2_ends e6 = ends(AF_INET6,
				  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				  65535,
				  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				  65535);
	struct pp2_ends eh = ends(AF_INET, "172.19.0.1", 42578, "172.19.0.3",
				  80);
	struct pp2_ends eu = { .af = AF_UNSPEC };
	struct pp2_ends ex = e4;
	int fds = fd_count();

	check_bytes("spec TCP4", &e4, spec_tcp4, sizeof(spec_tcp4));
	check_bytes("spec TCP6", &e6, spec_tcp6, sizeof(spec_tcp6));
	check_bytes("HAProxy TCP4", &eh, haproxy_tcp4, sizeof(haproxy_tcp4));
	check_bytes("UNSPEC", &eu, spec_unspec, sizeof(spec_unspec));
	ex.af = AF_UNIX;
	check_bytes("unknown family is UNSPEC", &ex, spec_unspec,
		    sizeof(spec_unspec));
	check_short("spec TCP4", &e4, sizeof(spec_tcp4));
	check_short("spec TCP6", &e6, sizeof(spec_tcp6));
	check_short("UNSPEC", &eu, sizeof(spec_unspec));
	report(sizeof(spec_tcp6) == PP2_MAX_LEN, "PP2_MAX_LEN",
	       "%u, the TCP6 header is %zu", (unsigned)PP2_MAX_LEN,
	       sizeof(spec_tcp6));
	report(fd_count() == fds, "descriptors", "the encoder opened some");
	return unit_summary(NULL);
}
