/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * portset.h - a set of 16-bit port numbers, one bit per port
 *
 * DOC: Theory of Operation
 *
 * Every role keeps sets of ports: the ports a rule allows, the ports the
 * relay may connect to, the ports already listening or already reported,
 * the ports a PROXY header goes to.  Each is a plain byte array of
 * PORTSET_BYTES, bit (port % 8) of byte (port / 8), so that a set can be
 * an array member, a static, or one calloc() of PORTSET_BYTES, and the
 * layout is the one the IPC messages and /proc scans already use.  The
 * helpers take the array as a pointer; a port is always below
 * PORTSET_PORTS because it is a uint16_t.
 *
 * Syscalls: none.
 */
#ifndef NSPLICE_PORTSET_H
#define NSPLICE_PORTSET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* PORTSET_PORTS - port numbers in a set: every 16-bit value */
#define PORTSET_PORTS		65536U
/* PORTSET_BYTES - size of a set, bytes */
#define PORTSET_BYTES		(PORTSET_PORTS / CHAR_BIT)

/**
 * portset_bit() - the bit of @port within its byte
 * @port:	port number
 *
 * Return: mask of one bit
 */
static inline uint8_t portset_bit(uint16_t port)
{
	return (uint8_t)(1U << (port % CHAR_BIT));
}

/**
 * portset_has() - is @port in @set
 * @set:	PORTSET_BYTES
 * @port:	port number
 *
 * Return: true if it is
 */
static inline bool portset_has(const uint8_t *set, uint16_t port)
{
	return set[port / CHAR_BIT] & portset_bit(port);
}

/**
 * portset_add() - put @port in @set
 * @set:	PORTSET_BYTES
 * @port:	port number
 */
static inline void portset_add(uint8_t *set, uint16_t port)
{
	set[port / CHAR_BIT] |= portset_bit(port);
}

/**
 * portset_del() - take @port out of @set
 * @set:	PORTSET_BYTES
 * @port:	port number
 */
static inline void portset_del(uint8_t *set, uint16_t port)
{
	set[port / CHAR_BIT] &= (uint8_t)~portset_bit(port);
}

/**
 * portset_or() - add every port of @src to @dst
 * @dst:	PORTSET_BYTES
 * @src:	PORTSET_BYTES
 */
static inline void portset_or(uint8_t *dst, const uint8_t *src)
{
	size_t i;

	for (i = 0; i < PORTSET_BYTES; i++)
		dst[i] |= src[i];
}

/**
 * portset_clear() - empty @set
 * @set:	PORTSET_BYTES
 */
static inline void portset_clear(uint8_t *set)
{
	memset(set, 0, PORTSET_BYTES);
}

#endif /* NSPLICE_PORTSET_H */
