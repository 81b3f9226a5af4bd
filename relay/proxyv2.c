// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proxyv2.c - encode a PROXY protocol version 2 header
 *
 * DOC: Theory of Operation
 *
 * A forward with FWD_F_PROXY starts every connection to its target with
 * the binary header of HAProxy's PROXY protocol, version 2
 * (doc/proxy-protocol.txt in HAProxy's sources, section 2.2), so the
 * service learns the client's address although the connection comes from
 * nsplice.  Layout, all multi-byte fields in network byte order:
 *
 *   12 bytes	signature \r\n\r\n\0\r\nQUIT\n
 *    1 byte	0x21: version 2, command PROXY
 *    1 byte	0x11 TCP over IPv4, 0x21 TCP over IPv6, 0x00 unspecified
 *    2 bytes	length of what follows: 12 (IPv4), 36 (IPv6), 0
 *   then	source address, destination address, source port,
 *		destination port
 *
 * No TLV is added, so the header is 28 bytes for IPv4 and 52 for IPv6.
 * When the client's address is unknown, or not of the listener's family
 * (which the agents' IPV6_V6ONLY listeners rule out), the family is
 * UNSPEC with no address block: the specification tells the receiver to
 * use the connection's own addresses then.  The relay writes the header
 * (relay/splice.c); nothing here parses outside input.
 */
#include <string.h>
#include <sys/socket.h>

#include "relay/proxyv2.h"

const uint8_t pp2_sig[PP2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/**
 * put16() - store a 16-bit value in network byte order
 * @p:		destination, two bytes
 * @v:		value, host byte order
 */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * pp2_addrs() - write the address block of one family
 * @p:		destination, room for @alen bytes
 * @e:		connection ends
 * @alen:	bytes of one address: 4 or 16
 *
 * Return: bytes written
 */
static size_t pp2_addrs(uint8_t *p, const struct pp2_ends *e, size_t alen)
{
	memcpy(p, e->src.b, alen);
	memcpy(p + alen, e->dst.b, alen);
	put16(p + 2 * alen, e->sport);
	put16(p + 2 * alen + 2, e->dport);
	return 2 * alen + 4;
}

/**
 * pp2_encode() - build the header for one connection
 * @buf:	output
 * @len:	its size, at least PP2_MAX_LEN to be sure
 * @e:		connection ends; AF_UNSPEC or any other family gives an
 *		UNSPEC header without addresses
 *
 * Return: header length in bytes, 0 if @len is too small
 */
size_t pp2_encode(uint8_t *buf, size_t len, const struct pp2_ends *e)
{
	size_t alen = e->af == AF_INET ? PP2_ADDR4_LEN :
		      e->af == AF_INET6 ? PP2_ADDR6_LEN : 0;

	if (len < PP2_HDR_LEN + alen)
		return 0;
	memcpy(buf, pp2_sig, PP2_SIG_LEN);
	buf[12] = PP2_VER_CMD_PROXY;
	buf[13] = e->af == AF_INET ? PP2_FAM_TCP4 :
		  e->af == AF_INET6 ? PP2_FAM_TCP6 : PP2_FAM_UNSPEC;
	put16(buf + 14, (uint16_t)alen);
	if (alen)
		pp2_addrs(buf + PP2_HDR_LEN, e,
			  e->af == AF_INET ? sizeof(struct in_addr)
					   : sizeof(struct in6_addr));
	return PP2_HDR_LEN + alen;
}
