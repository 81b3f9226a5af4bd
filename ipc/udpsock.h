/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udpsock.h - the receive options of a UDP forward's listening socket
 *
 * DOC: Theory of Operation
 *
 * See udpsock.c.  The agents call udp_listen_opts() on the UDP sockets
 * they bind, the supervisor on the ones it inherits (socket activation,
 * docker-proxy's fd 4), so the relay finds the same ancillary data on
 * every datagram whoever made the socket.
 */
#ifndef NSPLICE_UDPSOCK_H
#define NSPLICE_UDPSOCK_H

#include "ipc/inany.h"

int udp_listen_opts(int fd, int af, const union inany *addr);

#endif /* NSPLICE_UDPSOCK_H */
