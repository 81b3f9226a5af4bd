// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * addrs.c - tell the relay this namespace's external addresses
 *
 * DOC: Theory of Operation
 *
 * A client that is not on the listening side's loopback must never be
 * connected to the other side's loopback (CVE-2021-20199 class): the relay
 * sends it to the other side's external address instead.  The agent of
 * each side finds that address - the first IPv4 and the first IPv6 address
 * that is up, global in scope, not loopback and not link-local - and sends
 * it (NS_ADDRS) whenever it changes, checked on every timer tick, because
 * containers often get their addresses after nsplice starts.
 *
 * Syscalls: getifaddrs (socket, bind, sendto, recvmsg on netlink), send.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "ipc/log.h"
#include "nsagent/agent.h"

/**
 * usable() - can this interface address serve non-loopback clients
 * @ifa:	interface address from getifaddrs()
 *
 * Return: true for an up, non-loopback, global IPv4 or IPv6 address
 */
static bool usable(const struct ifaddrs *ifa)
{
	const struct sockaddr_in6 *s6;

	if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) ||
	    (ifa->ifa_flags & IFF_LOOPBACK))
		return false;
	if (ifa->ifa_addr->sa_family == AF_INET)
		return true;
	if (ifa->ifa_addr->sa_family != AF_INET6)
		return false;
	s6 = (const struct sockaddr_in6 *)(const void *)ifa->ifa_addr;
	return !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
	       !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) &&
	       !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
}

/**
 * collect() - the first usable address of each family
 * @m:		filled, with flags saying which are valid
 *
 * Return: 0, or -1 if getifaddrs() failed
 */
static int collect(struct msg_ns_addrs *m)
{
	struct ifaddrs *list, *ifa;
	union sockaddr_inany sa;
	uint16_t port;
	int af;

	memset(m, 0, sizeof(*m));
	if (getifaddrs(&list))
		return -1;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!usable(ifa))
			continue;
		memcpy(&sa, ifa->ifa_addr, ifa->ifa_addr->sa_family ==
		       AF_INET ? sizeof(sa.sin) : sizeof(sa.sin6));
		if (sa.sa.sa_family == AF_INET && !(m->flags & NS_ADDR_F_V4)) {
			sockaddr_to_inany(&sa, sizeof(sa.sin), &af, &m->addr4,
					  &port);
			m->flags |= NS_ADDR_F_V4;
		} else if (sa.sa.sa_family == AF_INET6 &&
			   !(m->flags & NS_ADDR_F_V6)) {
			sockaddr_to_inany(&sa, sizeof(sa.sin6), &af,
					  &m->addr6, &port);
			m->flags |= NS_ADDR_F_V6;
		}
	}
	freeifaddrs(list);
	return 0;
}

/**
 * agent_addrs_refresh() - send NS_ADDRS if the addresses changed
 * @a:		agent state
 */
void agent_addrs_refresh(struct agent *a)
{
	char b4[INANY_STRLEN], b6[INANY_STRLEN];
	struct msg_ns_addrs m;

	if (collect(&m))
		return;
	/* msg_ns_addrs has no implicit padding (pad[], three 16-byte union
	 * members) and collect() zeroes it, so equal bytes mean equal values */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
	if (a->addrs_sent && !memcmp(&m, &a->addrs, sizeof(m)))
		return;
	agent_send(&a->relay, MSG_NS_ADDRS, &m, NULL, 0);
	a->addrs = m;
	a->addrs_sent = true;
	ndebug("external addresses: %s, %s",
	       m.flags & NS_ADDR_F_V4 ?
	       inany_ntop(AF_INET, &m.addr4, b4, sizeof(b4)) : "no IPv4",
	       m.flags & NS_ADDR_F_V6 ?
	       inany_ntop(AF_INET6, &m.addr6, b6, sizeof(b6)) : "no IPv6");
}
