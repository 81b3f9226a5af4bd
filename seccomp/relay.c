// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.c - the relay's seccomp allowlist
 *
 * DOC: Theory of Operation
 *
 * The relay holds the accepted and pooled sockets it was given and its
 * pipes; it may not create a socket, open a file, exec, fork, or gain any
 * privilege: it is the process a hostile peer reaches first.  Its list is
 * the data path and nothing else:
 * accept4, connect, splice, shutdown, pipe2, epoll.
 *
 * Absent on purpose, each an escape the relay must not have: socket,
 * socketpair, bind, listen, sendmsg (it could pass a descriptor out),
 * open/openat/creat, execve/execveat, clone/clone3/fork/vfork, kill/tgkill,
 * ptrace, setns, unshare, mount, pivot_root, bpf, io_uring_*, ioctl
 * (TIOCSTI on an inherited terminal), memfd_create, userfaultfd.
 *
 * Restricted by argument:
 *  - write() only to descriptor 2, the supervisor's log pipe;
 *  - send() (sendto() with no address) and recvmsg() only on the three
 *    channels, descriptors 3 to 5;
 *  - sendmmsg() (UDP forwards, relay/udp.c) only on descriptors above the
 *    channels: the relay holds no AF_UNIX socket there but, for the time
 *    of one handler, a restarted agent's channel before dup3() moves it
 *    onto 4 or 5 - the same agent the channel leads to anyway - so no
 *    descriptor can be passed to anyone new.  On a UDP socket sendmmsg()
 *    can name a destination: see SECURITY.md for what that allows;
 *  - send() on the sockets it holds beyond those, with no address and no
 *    flag but MSG_NOSIGNAL and MSG_DONTWAIT: the PROXY protocol header
 *    of a forward that asks for it (relay/splice.c).  sendto() was there
 *    already; what this adds is bytes from the relay's own memory to a
 *    peer a socket is already connected to.  No address, so it reaches
 *    nobody new; no MSG_FASTOPEN, so it connects nothing; and a
 *    compromised relay could already put any bytes it likes on those
 *    connections by splicing them from a client socket it controls;
 *  - setsockopt() only for the options the data path sets, getsockopt()
 *    only for those it reads: SO_PEERPIDFD, for one, would install a
 *    pidfd of its peer (the supervisor on fd 3, an agent on 4 and 5) as
 *    a new descriptor;
 *  - sendmmsg() only with MSG_DONTWAIT, as relay/udp.c calls it;
 *  - fcntl() commands, mmap()/mprotect() without PROT_EXEC (filter.c);
 *  - prlimit64() on itself only;
 *  - landlock_add_rule() for TCP ports only: the relay restricts its own
 *    connect() once it knows the target ports (sandbox.c).  Landlock can
 *    only ever take rights away, so allowing it gives nothing.
 */
#include <linux/landlock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "seccomp/landlock.h"
#include "seccomp/seccomp.h"

/* relay_data_path - moving bytes between the sockets it holds */
static const int relay_data_path[] = {
	SCMP_SYS(accept4),		/* clients on the listeners */
	SCMP_SYS(connect),		/* pool sockets to their target */
	SCMP_SYS(shutdown),		/* half-close propagation */
	SCMP_SYS(splice),		/* socket -> pipe -> socket */
	SCMP_SYS(pipe2),		/* the only descriptors it creates */
	SCMP_SYS(close),
	SCMP_SYS(epoll_create1),	/* once, at start */
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),		/* some libc versions */
};

/* relay_udp - UDP forwards: datagrams, batched (relay/udp.c) */
static const int relay_udp[] = {
	SCMP_SYS(recvmmsg),		/* receives only: any descriptor */
};

/* relay_misc - process bookkeeping */
static const int relay_misc[] = {
	SCMP_SYS(getpid),		/* HELLO carries it */
	SCMP_SYS(clock_gettime),	/* rate-limited logs, if no vDSO */
	SCMP_SYS(landlock_create_ruleset), /* connect rules, see header */
	SCMP_SYS(landlock_restrict_self),
};

/**
 * relay_sockopts() - the socket options the data path sets
 * @ctx:	filter
 *
 * SO_LINGER {1, 0} to reset a peer (relay/splice.c) and TCP_CONGESTION on
 * a pool socket about to connect to a loopback target (ipc/localcc.c: an
 * unprivileged process may only pick an algorithm the administrator
 * allowed, and cannot load one), nothing else: the
 * agents set TCP_NODELAY on listeners and pool sockets (accepted sockets
 * inherit it), and SO_RCVLOWAT and TCP_QUICKACK were measured and gained
 * nothing on loopback, so they are not used.  Not SO_ATTACH_* (BPF), TCP_ULP (kernel TLS and
 * friends), SO_BINDTODEVICE, IP_*.
 */
static void relay_sockopts(scmp_filter_ctx ctx)
{
	static const struct { int level, opt; } opts[] = {
		{ SOL_SOCKET, SO_LINGER },
		{ IPPROTO_TCP, TCP_CONGESTION },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(opts); i++)
		ALLOW_IF(ctx, setsockopt,
			 SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)opts[i].level),
			 SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)opts[i].opt));
}

/**
 * relay_getsockopts() - the socket options the relay reads
 * @ctx:	filter
 *
 * SO_ERROR (a connect's result, splice.c), SO_DOMAIN, SO_TYPE,
 * SO_PROTOCOL and SO_ACCEPTCONN (checks of every socket an agent sends,
 * pool.c and udp.c, and of a new agent channel, ipc.c), SO_MEMINFO (a
 * UDP listener's drops, udp.c).  Not SO_PEERPIDFD, which makes a new
 * descriptor, nor SO_PEERCRED, SO_PEERSEC or anything about other
 * processes.
 */
static void relay_getsockopts(scmp_filter_ctx ctx)
{
	static const int opts[] = {
		SO_ERROR, SO_DOMAIN, SO_TYPE, SO_PROTOCOL, SO_ACCEPTCONN,
		SO_MEMINFO,
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(opts); i++)
		ALLOW_IF(ctx, getsockopt,
			 SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)SOL_SOCKET),
			 SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)opts[i]));
}

/**
 * relay_channels() - its log and control channels, and nothing else
 * @ctx:	filter
 *
 * Descriptors are received (recvmsg) but never sent: sendmsg() is absent,
 * and sendto() may not name an address.
 */
static void relay_channels(scmp_filter_ctx ctx)
{
	uint32_t fd;

	ALLOW_IF(ctx, write, SCMP_A0_32(SCMP_CMP_EQ, SECCOMP_LOG_FD));
	for (fd = SECCOMP_CHAN_FD_MIN; fd <= SECCOMP_CHAN_FD_MAX; fd++) {
		ALLOW_IF(ctx, recvmsg, SCMP_A0_32(SCMP_CMP_EQ, fd));
		ALLOW_IF(ctx, sendto, SCMP_A0_32(SCMP_CMP_EQ, fd),
			 SCMP_A4(SCMP_CMP_EQ, 0));
	}
	/* A restarted agent's channel (AGENT_CHAN) is moved onto its fixed
	 * number, 4 or 5, so the rules above keep naming every channel. */
	for (fd = SECCOMP_CHAN_FD_MIN + 1; fd <= SECCOMP_CHAN_FD_MAX; fd++)
		ALLOW_IF(ctx, dup3, SCMP_A1_32(SCMP_CMP_EQ, fd));
}

/* RELAY_FLOW_SEND_FLAGS - the only flags send() may pass on a flow socket */
#define RELAY_FLOW_SEND_FLAGS	((uint32_t)(MSG_NOSIGNAL | MSG_DONTWAIT))

/**
 * relay_proxy_header() - send() on flow sockets, for the PROXY header
 * @ctx:	filter
 *
 * Any descriptor above the channels: flow sockets are numbered by the
 * kernel.  The address must be NULL and the flags within
 * RELAY_FLOW_SEND_FLAGS (so never MSG_FASTOPEN or MSG_OOB).
 */
static void relay_proxy_header(scmp_filter_ctx ctx)
{
	ALLOW_IF(ctx, sendto, SCMP_A0_32(SCMP_CMP_GT, SECCOMP_CHAN_FD_MAX),
		 SCMP_A3_32(SCMP_CMP_MASKED_EQ, ~RELAY_FLOW_SEND_FLAGS, 0),
		 SCMP_A4(SCMP_CMP_EQ, 0));
}

/**
 * seccomp_relay_filter() - build the relay's filter
 * @mode:	enum sandbox_mode
 *
 * Return: the filter, not loaded
 */
scmp_filter_ctx seccomp_relay_filter(enum sandbox_mode mode)
{
	scmp_filter_ctx ctx = filter_new(mode);

	filter_allow_list(ctx, relay_data_path, ARRAY_LEN(relay_data_path));
	filter_allow_list(ctx, relay_misc, ARRAY_LEN(relay_misc));
	filter_allow_list(ctx, relay_udp, ARRAY_LEN(relay_udp));
	ALLOW_IF(ctx, sendmmsg,
		 SCMP_A0_32(SCMP_CMP_GT, SECCOMP_CHAN_FD_MAX),
		 SCMP_A3_32(SCMP_CMP_MASKED_EQ, ~(uint32_t)MSG_DONTWAIT, 0));
	relay_sockopts(ctx);
	relay_getsockopts(ctx);
	relay_channels(ctx);
	relay_proxy_header(ctx);
	filter_add_fcntl(ctx);
	filter_add_memory(ctx);
	filter_add_exit(ctx);
	/* setrlimit(RLIMIT_NOFILE) on itself; hard limits only go down */
	ALLOW_IF(ctx, prlimit64, SCMP_A0_32(SCMP_CMP_EQ, 0));
	ALLOW_IF(ctx, landlock_add_rule,
		 SCMP_A1_32(SCMP_CMP_EQ, LL_RULE_NET_PORT));
	filter_add_sanitizer(ctx, SECCOMP_RELAY);
	return ctx;
}
