// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * localcc.c - a congestion control that does not pace, for local legs
 *
 * DOC: Theory of Operation
 *
 * A spliced connection is two TCP connections, and on a loopback leg the
 * choice of congestion control decides its throughput.  Where the system
 * default is BBR (net.ipv4.tcp_congestion_control=bbr, as on the
 * benchmark machine), every socket paces: its segments leave from the
 * pacing timer, on whichever CPU the timer fires, as well as from the
 * process.  Loopback queues a segment on the backlog of the CPU that sent
 * it, so segments of one connection sent from two CPUs arrive out of
 * order; the receiver answers with duplicate ACKs and SACKs, the sender
 * retransmits what was never lost (nstat: TcpRetransSegs in the hundreds of
 * thousands and TcpExtDelayedACKLost as many in a 4-second iperf3), and
 * BBR's bandwidth estimate, taken from that ACK stream, collapses (ss:
 * pacing_rate of a few hundred Mbit/s on a 17 Gbit/s transfer).  With the
 * relay's two legs on cubic, which does not pace, tests/bench/run.sh
 * measured a single stream at 0.96x direct client to server and 0.92x
 * server to client, side by side with the code before at 0.72x and 0.73x.
 *
 * So the sockets whose peer is this host's loopback get "cubic", or "reno"
 * where cubic is not available or not allowed (reno is built into every
 * kernel and always allowed): a listener bound to a loopback address,
 * whose accepted sockets inherit it, and a pool socket about to be
 * connected to a target in the other namespace itself - its loopback, or
 * its own external address, which the local routing table also sends over
 * lo (relay/target.c, target_is_local()).  It must be set before the
 * connection exists: a socket already set up by BBR keeps pacing after a
 * switch (measured: cubic set on accepted sockets after accept() left
 * server-to-client at 0.72x direct, no better than BBR's 0.68x, against
 * 1.03x with cubic on the listener; 6 paired rounds).  Sockets that may
 * face another machine (a wildcard or external listener, an explicit
 * target that is not loopback) keep the system's choice, which was made
 * for real networks.
 *
 * Unprivileged processes may choose any algorithm listed in
 * net.ipv4.tcp_allowed_congestion_control, and loading a module takes
 * CAP_NET_ADMIN, which no role that calls this has.
 *
 * Syscalls: setsockopt(IPPROTO_TCP, TCP_CONGESTION).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "ipc/localcc.h"
#include "ipc/log.h"

/* local_cc_names - in order of preference; both are loss-based, no pacing */
static const char *const local_cc_names[] = { "cubic", "reno" };

/**
 * local_cc_set() - give a socket with a local peer a non-pacing congestion
 *		    control
 * @fd:		TCP socket, not connected yet (or a listener, before listen())
 *
 * Remembers which name worked, so later calls cost one setsockopt(), and
 * stops trying once none does.  A failure costs only throughput: it is
 * logged once per process, and the socket keeps the system's default.
 */
void local_cc_set(int fd)
{
	static size_t first;	/* names before it failed for good */
	static bool told;
	int err = ENOENT;
	size_t i;

	for (i = first; i < sizeof(local_cc_names) / sizeof(*local_cc_names);
	     i++) {
		const char *n = local_cc_names[i];

		if (!setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, n,
				(socklen_t)strlen(n)))
			return;
		err = errno;
		if (err != ENOENT && err != EPERM)
			break;	/* this socket's problem, not the name's */
		first = i + 1;
	}
	if (!told) {
		told = true;
		nnotice("loopback sockets keep the default congestion control: "
			"cubic and reno refused (%s)", strerror(err));
	}
}
