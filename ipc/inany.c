// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * inany.c - address helpers shared by every role
 *
 * DOC: Theory of Operation
 *
 * See inany.h.  Nothing here allocates, logs or makes a system call, so the
 * relay may use it under its tightest seccomp filter.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ipc/inany.h"

/**
 * inany_af_valid() - tell whether @af is an address family nsplice forwards
 * @af:		address family
 *
 * Return: true for AF_INET and AF_INET6
 */
bool inany_af_valid(int af)
{
	return af == AF_INET || af == AF_INET6;
}

/**
 * inany_loopback() - store the loopback address of a family
 * @af:		AF_INET or AF_INET6
 * @a:		where to store 127.0.0.1 or ::1
 */
void inany_loopback(int af, union inany *a)
{
	memset(a, 0, sizeof(*a));
	if (af == AF_INET)
		a->a4.s_addr = htonl(INADDR_LOOPBACK);
	else
		a->a6 = in6addr_loopback;
}

/**
 * inany_any() - store the unspecified ("any") address of a family
 * @af:		AF_INET or AF_INET6 (unused: both are all zeroes)
 * @a:		where to store 0.0.0.0 or ::
 */
void inany_any(int af, union inany *a)
{
	(void)af;
	memset(a, 0, sizeof(*a));
}

/**
 * inany_is_loopback() - tell whether an address is on the loopback network
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * Any 127.0.0.0/8 address counts, and so does an IPv4-mapped one: a client
 * reaching an IPv6 socket from 127.0.0.1 is still a local client.
 *
 * Return: true if @a is a loopback address
 */
bool inany_is_loopback(int af, const union inany *a)
{
	if (af == AF_INET)
		return (ntohl(a->a4.s_addr) >> 24) == IN_LOOPBACKNET;
	if (IN6_IS_ADDR_V4MAPPED(&a->a6))
		return a->b[12] == IN_LOOPBACKNET;
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

/**
 * inany_is_any() - tell whether an address is the unspecified address
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * Return: true for 0.0.0.0, :: or ::ffff:0.0.0.0
 */
bool inany_is_any(int af, const union inany *a)
{
	if (af == AF_INET)
		return a->a4.s_addr == htonl(INADDR_ANY);
	/* ::ffff:0.0.0.0 connects to the local host just like :: does */
	return IN6_IS_ADDR_UNSPECIFIED(&a->a6) ||
	       (IN6_IS_ADDR_V4MAPPED(&a->a6) && !a->b[12] && !a->b[13] &&
		!a->b[14] && !a->b[15]);
}

/**
 * inany_equal() - compare two addresses of the same family
 * @af:		AF_INET or AF_INET6
 * @a:		first address
 * @b:		second address
 *
 * Return: true if equal
 */
bool inany_equal(int af, const union inany *a, const union inany *b)
{
	return !memcmp(a->b, b->b, af == AF_INET ? 4 : 16);
}

/**
 * inany_binds_meet() - would sockets bound to two addresses take the same
 *			traffic of a port
 * @af_a:	family of @a
 * @a:		address
 * @af_b:	family of @b
 * @b:		address
 *
 * Return: true for one family and either address the wildcard, or both
 * equal
 */
bool inany_binds_meet(int af_a, const union inany *a, int af_b,
		      const union inany *b)
{
	return af_a == af_b &&
	       (inany_is_any(af_a, a) || inany_is_any(af_b, b) ||
		inany_equal(af_a, a, b));
}

/**
 * inany_external_unicast() - a usable external address, loopback aside
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * A relay connects clients there: a multicast or broadcast address, an
 * IPv6 link-local one (no scope travels with it) or an IPv4-mapped one in
 * the IPv6 slot (which connects over IPv4) is not an address of the side.
 *
 * Return: true if @a can stand for a side's external address
 */
static bool inany_external_unicast(int af, const union inany *a)
{
	if (af == AF_INET)
		return !IN_MULTICAST(ntohl(a->a4.s_addr)) &&
		       a->a4.s_addr != htonl(INADDR_BROADCAST);
	return !IN6_IS_ADDR_MULTICAST(&a->a6) &&
	       !IN6_IS_ADDR_LINKLOCAL(&a->a6) &&
	       !IN6_IS_ADDR_V4MAPPED(&a->a6);
}

/**
 * inany_loopback_safe() - the loopback-safety rule for one address
 * @af:		AF_INET or AF_INET6 (the caller checked it)
 * @a:		address another process sent
 * @use:	enum inany_use
 *
 * The one place that says which addresses reach a service listening only
 * on a namespace's loopback (README.md, "Addresses and loopback safety"):
 * 127/8, ::1 and ::ffff:127/8 by name, and 0.0.0.0, :: and ::ffff:0.0.0.0
 * because connect() takes them for the local host.  An explicit target may
 * name loopback (the user's opt-in) but not reach it unnamed; an external
 * address may do neither.  The supervisor's and agents' messages are
 * checked with it in ipc.c, and the relay applies it again where it
 * stores and uses them (chan.c, target.c), so a gap in one place is not a
 * way in.
 *
 * Return: true if @a may be used for @use
 */
bool inany_loopback_safe(int af, const union inany *a, unsigned use)
{
	if (inany_is_any(af, a))
		return false;
	if (use == INANY_USE_TARGET)
		return true;
	return !inany_is_loopback(af, a) && inany_external_unicast(af, a);
}

/**
 * inany_parse() - parse a numeric IPv4 or IPv6 address
 * @s:		text, without brackets or scope
 * @af:		set to the family found
 * @a:		set to the address
 *
 * Return: 0 on success, -1 if @s is not a numeric address
 */
int inany_parse(const char *s, int *af, union inany *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->a4) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->a6) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -1;
}

/**
 * inany_ntop() - format an address for log lines
 * @af:		AF_INET or AF_INET6
 * @a:		address
 * @buf:	output buffer
 * @len:	size of @buf, at least INANY_STRLEN
 *
 * Return: @buf, which holds "?" if the address cannot be printed
 */
const char *inany_ntop(int af, const union inany *a, char *buf, size_t len)
{
	if (!inet_ntop(af == AF_INET ? AF_INET : AF_INET6, a, buf,
		       (socklen_t)len) && len > 1) {
		buf[0] = '?';
		buf[1] = '\0';
	}
	return buf;
}

/**
 * sockaddr_from_inany() - build a socket address
 * @sa:		output
 * @af:		AF_INET or AF_INET6
 * @a:		address
 * @port:	port, host byte order
 * @scope_id:	IPv6 scope (interface index), 0 if none
 *
 * Return: length of the socket address for bind() or connect()
 */
socklen_t sockaddr_from_inany(union sockaddr_inany *sa, int af,
			      const union inany *a, uint16_t port,
			      uint32_t scope_id)
{
	memset(sa, 0, sizeof(*sa));
	if (af == AF_INET) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_port = htons(port);
		sa->sin.sin_addr = a->a4;
		return sizeof(sa->sin);
	}
	sa->sin6.sin6_family = AF_INET6;
	sa->sin6.sin6_port = htons(port);
	sa->sin6.sin6_addr = a->a6;
	sa->sin6.sin6_scope_id = scope_id;
	return sizeof(sa->sin6);
}

/**
 * sockaddr_to_inany() - split a socket address into family, address, port
 * @sa:		socket address as returned by accept4() or getsockname()
 * @len:	its length
 * @af:		set to the family
 * @a:		set to the address
 * @port:	set to the port, host byte order
 *
 * Return: 0 on success, -1 for another family or a short address
 */
int sockaddr_to_inany(const union sockaddr_inany *sa, socklen_t len, int *af,
		      union inany *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa.sa_family == AF_INET && len >= sizeof(sa->sin)) {
		*af = AF_INET;
		a->a4 = sa->sin.sin_addr;
		*port = ntohs(sa->sin.sin_port);
		return 0;
	}
	if (sa->sa.sa_family == AF_INET6 && len >= sizeof(sa->sin6)) {
		*af = AF_INET6;
		a->a6 = sa->sin6.sin6_addr;
		*port = ntohs(sa->sin6.sin6_port);
		return 0;
	}
	return -1;
}
