/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxyv2.h - PROXY protocol version 2 header, as nsplice writes it
 *
 * DOC: Theory of Operation
 *
 * See proxyv2.c.  A pure encoder: no system calls, so the unit test checks
 * it byte by byte against the specification.
 */
#ifndef NSPLICE_RELAY_PROXYV2_H
#define NSPLICE_RELAY_PROXYV2_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/inany.h"

/* PP2_SIG_LEN - bytes of the fixed signature that opens every header */
#define PP2_SIG_LEN		12

/* PP2_HDR_LEN - signature, version/command, family, length: bytes */
#define PP2_HDR_LEN		16

/* PP2_ADDR4_LEN, PP2_ADDR6_LEN - address block of TCP4 and TCP6, bytes */
#define PP2_ADDR4_LEN		12
#define PP2_ADDR6_LEN		36

/* PP2_MAX_LEN - largest header nsplice writes (TCP6, no TLV), bytes */
#define PP2_MAX_LEN		(PP2_HDR_LEN + PP2_ADDR6_LEN)

/* PP2_VER_CMD_PROXY - version 2 (high nibble), command PROXY (low) */
#define PP2_VER_CMD_PROXY	0x21

/* PP2_FAM_* - address family (high nibble) and transport (low) */
#define PP2_FAM_UNSPEC		0x00
#define PP2_FAM_TCP4		0x11
#define PP2_FAM_TCP6		0x21

extern const uint8_t pp2_sig[PP2_SIG_LEN];

/**
 * struct pp2_ends - the two ends of a connection as the listener saw them
 * @af:		AF_INET or AF_INET6 of both addresses, AF_UNSPEC if unknown
 * @src:	client address
 * @dst:	address the client connected to
 * @sport:	client port, host byte order
 * @dport:	port the client connected to, host byte order
 */
struct pp2_ends {
	int af;
	union inany src;
	union inany dst;
	uint16_t sport;
	uint16_t dport;
};

size_t pp2_encode(uint8_t *buf, size_t len, const struct pp2_ends *e);

#endif /* NSPLICE_RELAY_PROXYV2_H */
