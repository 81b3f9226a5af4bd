// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent.c - the agents' seccomp allowlist
 *
 * DOC: Theory of Operation
 *
 * An agent holds the listening sockets of its side and creates the
 * unconnected sockets the relay connects.  It may not read or write a
 * payload byte, keep capabilities it does not need, or be ptraced.  The
 * filter is loaded after the agent entered its namespace and dropped its
 * capabilities (nsagent/agent.c), so from then on it cannot: exec, setns
 * (it can never leave its namespace), unshare, mount, ptrace, kill, fork,
 * open a file, accept or connect (it never holds a connection), splice.
 *
 * Restricted by argument:
 *  - socket() only for TCP/UDP over IPv4 and IPv6, and rtnetlink for
 *    getifaddrs(); an AF_UNIX socket fails with EAFNOSUPPORT, which makes
 *    glibc's if_nametoindex() fall back to an AF_INET socket instead of
 *    reaching the namespace's abstract unix sockets;
 *  - setsockopt() only for the options listeners and pool sockets get;
 *  - ioctl() only SIOCGIFINDEX (if_nametoindex() for ADDR%IFACE): no
 *    TIOCSTI, whatever descriptor it might find;
 *  - sendmsg(), the only call that can pass descriptors, only on its two
 *    channels (3: supervisor, 4: relay); neither sendmsg() nor sendto()
 *    ever with MSG_FASTOPEN (a TCP connect in disguise): an agent never
 *    connects.  dup3() may only replace descriptor 4 (the relay channel),
 *    so an agent can put any socket it holds there; the flag rule is what
 *    keeps a TCP socket moved onto 4 from connecting through sendmsg().
 *    No dup(), dup2(), sendmmsg(), accept(), io_uring, and no
 *    setsockopt(TCP_FASTOPEN_CONNECT) or TCP_REPAIR: no other way to a
 *    connection is listed.  connect() is, for the UDP sockets of UDP
 *    flows (nsagent/udp.c); a Landlock layer handling TCP connect with no
 *    port allowed (seccomp/sandbox.c) keeps TCP connect() out wherever
 *    the kernel has Landlock network rules (ABI 4, Linux 6.7); on older
 *    kernels an agent could connect() TCP within its own namespace.  What stays possible by design: UDP datagrams
 *    and netlink requests to any address of its namespace (sendto());
 *  - write() only to the log pipe (descriptor 2);
 *  - fcntl() commands, mmap()/mprotect() without PROT_EXEC (filter.c).
 *
 * No file is opened after the filter: the "auto" scan (nsagent/scan.c)
 * opens its NETLINK_SOCK_DIAG socket and /proc/net/tcp, tcp6 before it,
 * so here it needs only sendto()/recvmsg() on that socket and pread64()
 * (on anything else an agent holds, a socket or the timer, pread64()
 * fails with ESPIPE or EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "seccomp/seccomp.h"

/* agent_sockets - listeners, pool sockets, address discovery */
static const int agent_sockets[] = {
	SCMP_SYS(bind),			/* listeners; netlink (getifaddrs) */
	SCMP_SYS(listen),
	SCMP_SYS(connect),		/* UDP flow sockets to their target
					 * (nsagent/udp.c): what the agent
					 * reaches, its namespace reaches */
	SCMP_SYS(getsockname),		/* getifaddrs; inherited listeners */
	SCMP_SYS(getsockopt),		/* checks of a new relay channel and
					 * of inherited listeners: reads only */
	SCMP_SYS(recvmsg),		/* channels, netlink answers */
	SCMP_SYS(recvfrom),
	SCMP_SYS(close),
};

/* agent_loop - its poll loop and timer */
static const int agent_loop[] = {
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(read),			/* timerfd ticks */
	SCMP_SYS(pread64),		/* /proc/net/tcp*, opened before */
	SCMP_SYS(clock_gettime),	/* rate-limited logs, if no vDSO */
	SCMP_SYS(getpid),
};

/**
 * agent_socket_calls() - which sockets an agent may create
 * @ctx:	filter
 */
static void agent_socket_calls(scmp_filter_ctx ctx)
{
	filter_add_inet_sockets(ctx);
	ALLOW_IF(ctx, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK),
		 SCMP_A1_32(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_RAW),
		 SCMP_A2_32(SCMP_CMP_EQ, NETLINK_ROUTE));
	FAIL_IF(ctx, EAFNOSUPPORT, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX));
}

/**
 * agent_sockopts() - the socket options listeners and pool sockets get
 * @ctx:	filter
 */
static void agent_sockopts(scmp_filter_ctx ctx)
{
	static const struct { int level, opt; } opts[] = {
		{ SOL_SOCKET, SO_REUSEADDR },
		{ SOL_SOCKET, SO_BINDTODEVICE },	/* ADDR%IFACE */
		{ IPPROTO_IPV6, IPV6_V6ONLY },
		{ IPPROTO_TCP, TCP_NODELAY },
		{ SOL_SOCKET, SO_KEEPALIVE },		/* --keepalive */
		{ IPPROTO_TCP, TCP_KEEPIDLE },
		{ IPPROTO_TCP, TCP_KEEPINTVL },
		{ IPPROTO_TCP, TCP_KEEPCNT },
		{ IPPROTO_TCP, TCP_CONGESTION },	/* loopback listeners */
		{ IPPROTO_IP, IP_PKTINFO },		/* wildcard UDP */
		{ IPPROTO_IPV6, IPV6_RECVPKTINFO },	/* listeners */
		{ SOL_SOCKET, SO_RXQ_OVFL },		/* UDP listeners */
		{ SOL_SOCKET, SO_LINGER },		/* listener repair */
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(opts); i++)
		ALLOW_IF(ctx, setsockopt,
			 SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)opts[i].level),
			 SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)opts[i].opt));
}

/**
 * seccomp_agent_filter() - build the agents' filter
 * @mode:	enum sandbox_mode
 *
 * Return: the filter, not loaded
 */
scmp_filter_ctx seccomp_agent_filter(enum sandbox_mode mode)
{
	scmp_filter_ctx ctx = filter_new(mode);
	uint32_t fd;

	filter_allow_list(ctx, agent_sockets, ARRAY_LEN(agent_sockets));
	filter_allow_list(ctx, agent_loop, ARRAY_LEN(agent_loop));
	agent_socket_calls(ctx);
	agent_sockopts(ctx);
	/* Descriptors leave only on the channels: 3 supervisor, 4 relay;
	 * never with MSG_FASTOPEN, whatever socket sits on 4 (below). */
	for (fd = SECCOMP_CHAN_FD_MIN; fd < SECCOMP_CHAN_FD_MAX; fd++)
		ALLOW_IF(ctx, sendmsg, SCMP_A0_32(SCMP_CMP_EQ, fd),
			 SCMP_A2_32(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, 0));
	/* A new relay's channel (RELAY_CHAN) is moved onto descriptor 4, so
	 * the rule above still holds: dup3() may target nothing else, and
	 * only as nsagent/agent.c calls it. */
	ALLOW_IF(ctx, dup3, SCMP_A1_32(SCMP_CMP_EQ, SECCOMP_CHAN_FD_MAX - 1),
		 SCMP_A2_32(SCMP_CMP_EQ, O_CLOEXEC));
	/* send() on channels, netlink requests; MSG_FASTOPEN would let
	 * sendto() open a TCP connection, which an agent never does. */
	ALLOW_IF(ctx, sendto, SCMP_A3_32(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, 0));
	ALLOW_IF(ctx, write, SCMP_A0_32(SCMP_CMP_EQ, SECCOMP_LOG_FD));
	ALLOW_IF(ctx, ioctl, SCMP_A1_32(SCMP_CMP_EQ, SIOCGIFINDEX));
	filter_add_fcntl(ctx);
	filter_add_memory(ctx);
	filter_add_exit(ctx);
	filter_add_sanitizer(ctx, SECCOMP_AGENT);
	return ctx;
}
