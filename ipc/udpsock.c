// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpsock.c - the receive options of a UDP forward's listening socket
 *
 * DOC: Theory of Operation
 *
 * The relay reads two things from each datagram's ancillary data
 * (relay/udp.c):
 *  - SO_RXQ_OVFL: the socket's running count of datagrams dropped at its
 *    full receive buffer, so those drops are counted too;
 *  - on a wildcard socket, IP_PKTINFO or IPV6_RECVPKTINFO: the local
 *    address the client sent to, which replies must come from (a client
 *    that sent to 127.0.0.2 or to a secondary address ignores an answer
 *    from any other), and the device the datagram came in on, without
 *    which an IPv4-mapped loopback source (::ffff:127.0.0.1) cannot be
 *    told from one spoofed from outside (udp_source_bogus()).
 * A socket bound to one address needs no PKTINFO: its local address is
 * known, and it never carries an IPv4 client of a dual-stack socket.
 *
 * Syscalls: setsockopt.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "ipc/udpsock.h"

/**
 * udp_listen_opts() - ask a UDP listening socket for the ancillary data
 *		       the relay reads
 * @fd:		socket
 * @af:		its family
 * @addr:	the address it is bound to
 *
 * Return: 0, or -1 with errno set
 */
int udp_listen_opts(int fd, int af, const union inany *addr)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)))
		return -1;
	if (!inany_is_any(af, addr))
		return 0;
	return af == AF_INET6 ?
	       setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
			  sizeof(on)) :
	       setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
}
