/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inany.h - one address type for IPv4 and IPv6, and socket address helpers
 *
 * DOC: Theory of Operation
 *
 * Every address that crosses a process boundary (port specs, IPC messages,
 * flow targets) is a family plus a 16-byte buffer: IPv4 addresses use the
 * first four bytes.  Keeping one fixed-size representation lets IPC payloads
 * stay fixed-size and lets the relay build a sockaddr for connect() without
 * any parsing.  All helpers here are pure functions, safe in every role.
 */
#ifndef NSPLICE_INANY_H
#define NSPLICE_INANY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* INANY_STRLEN - longest printable address including a %scope, plus NUL */
#define INANY_STRLEN (INET6_ADDRSTRLEN + 1)

/**
 * union inany - raw IPv4 or IPv6 address, network byte order
 * @a4:		IPv4 address (first four bytes)
 * @a6:		IPv6 address
 * @b:		raw bytes, for copying and comparing
 */
union inany {
	struct in_addr a4;
	struct in6_addr a6;
	uint8_t b[16];
};

/**
 * union sockaddr_inany - storage for a socket address of either family
 * @sa:		generic view
 * @sin:	IPv4 view
 * @sin6:	IPv6 view
 */
union sockaddr_inany {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/**
 * enum inany_use - what an address from another process is used for
 * @INANY_USE_TARGET:	a forward's explicit target address: naming the
 *			other side's loopback there is the user's opt-in,
 *			an unspecified address (which connect() takes for
 *			loopback) is not
 * @INANY_USE_EXTERNAL:	a side's external address, where clients that are
 *			not on loopback are connected: nothing that reaches
 *			loopback, and only a unicast address of its own
 *			family
 */
enum inany_use {
	INANY_USE_TARGET = 0,
	INANY_USE_EXTERNAL,
};

bool inany_af_valid(int af);
void inany_loopback(int af, union inany *a);
void inany_any(int af, union inany *a);
bool inany_is_loopback(int af, const union inany *a);
bool inany_is_any(int af, const union inany *a);
bool inany_equal(int af, const union inany *a, const union inany *b);
bool inany_binds_meet(int af_a, const union inany *a, int af_b,
		      const union inany *b);
bool inany_loopback_safe(int af, const union inany *a, unsigned use);
int inany_parse(const char *s, int *af, union inany *a);
const char *inany_ntop(int af, const union inany *a, char *buf, size_t len);
socklen_t sockaddr_from_inany(union sockaddr_inany *sa, int af,
			      const union inany *a, uint16_t port,
			      uint32_t scope_id);
int sockaddr_to_inany(const union sockaddr_inany *sa, socklen_t len, int *af,
		      union inany *a, uint16_t *port);

#endif /* NSPLICE_INANY_H */
