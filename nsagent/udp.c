// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - the agent's part of UDP forwards: bound and connected sockets
 *
 * DOC: Theory of Operation
 *
 * Listening side: a UDP forward's socket is bound by agent_bind()
 * (listen.c), with the same address rules as a TCP listener, and handed to
 * the relay as LISTENER; there is no listen().
 *
 * Connecting side: the supervisor tells this agent which UDP forwards it
 * serves (UDP_TARGET, the forward itself; UDP_TARGET_DEL when it goes).
 * The relay asks for sockets by forward id and kind only (UDP_POOL_REQ),
 * and this agent decides where they point: the forward's explicit target
 * address, else for UDP_KIND_LOCAL this namespace's loopback and for
 * UDP_KIND_EXTERNAL its first external address of the family (the one it
 * reports as NS_ADDRS; none for a forward listening on a loopback
 * address, which has no other clients), checked with
 * inany_loopback_safe() - so a client
 * that is not on the other side's loopback never reaches a service that
 * listens only on this side's loopback unless the target names it.  Each
 * socket is created here and connect()ed here, then passed over
 * SCM_RIGHTS; the relay only ever sends on it without an address.  Every
 * request is answered by exactly one UDP_POOL_FDS, with no socket when
 * the forward is unknown (removed meanwhile), there is no external
 * address, or socket() failed.
 *
 * Why connected sockets and not one socket per forward: the target must
 * see one source address and port per client (request/response protocols
 * and DNS servers answer to the source), and a connected socket receives
 * only its peer's datagrams, so the relay needs no address checks on
 * replies.
 *
 * Why a socket bound for a loopback peer is bound to the loopback address
 * first, explicitly: it fences a compromised relay.  The relay needs
 * connect() for its TCP pool sockets and seccomp cannot tell that call
 * from one that re-aims a UDP socket, so it could disconnect (AF_UNSPEC)
 * and re-connect a flow socket anywhere.  An unbound socket takes its
 * source from connect() and loses it on disconnect; an explicitly bound
 * one keeps 127.0.0.1 or ::1 (SOCK_BINDADDR_LOCK), and the kernel routes
 * a loopback source to no address but this namespace's own (IPv4 fails
 * with EINVAL, IPv6 drops it).  The relay cannot bind, so it cannot undo
 * this.  Sockets for the external address keep the kernel's choice: a
 * loopback source there would make a remote client look local to the
 * target, and that source could reach other machines anyway.
 *
 * Syscalls: socket, bind, connect, close, sendmsg (channel).
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/log.h"
#include "nsagent/agent.h"

static struct log_ratelimit udp_fail_rl;

/**
 * agent_udp_target() - UDP_TARGET: a UDP forward this side connects for
 * @a:		agent state
 * @f:		validated forward (FWD_F_UDP checked by ipc.c)
 *
 * Replaces what an earlier UDP_TARGET said for the same id (the
 * supervisor re-sends them after a relay or agent restart).
 */
void agent_udp_target(struct agent *a, const struct msg_forward *f)
{
	struct msg_forward *t;

	if (f->listen_side == a->side)
		fatal("UDP_TARGET for a forward this side listens on (%u)",
		      f->id);
	if (!a->udp_targets) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		a->udp_targets = calloc(FWD_ID_MAX, sizeof(*a->udp_targets));
		if (!a->udp_targets)
			fatal("out of memory for UDP targets");
	}
	t = a->udp_targets[f->id];
	if (!t && !(t = malloc(sizeof(*t))))
		fatal("out of memory for UDP target %u", f->id);
	*t = *f;
	a->udp_targets[f->id] = t;
	ntrace("UDP forward %u: connecting to port %u", f->id, f->target_port);
}

/**
 * agent_udp_target_del() - UDP_TARGET_DEL: stop serving a UDP forward
 * @a:		agent state
 * @id:		forward id, < FWD_ID_MAX (ipc.c)
 */
void agent_udp_target_del(struct agent *a, uint32_t id)
{
	if (!a->udp_targets)
		return;
	free(a->udp_targets[id]);
	a->udp_targets[id] = NULL;
}

/**
 * udp_peer() - where the sockets of a forward and kind are connected
 * @a:		agent state
 * @t:		the forward
 * @kind:	enum udp_kind
 * @sa:		filled with the peer
 * @lo:		filled with the loopback address (port 0) to bind to first
 *		if the peer is on loopback
 * @lolen:	set to @lo's length, 0 if the peer is not on loopback
 *
 * Return: @sa's length, or 0 if there is none (no external address)
 */
static socklen_t udp_peer(const struct agent *a, const struct msg_forward *t,
			  unsigned kind, union sockaddr_inany *sa,
			  union sockaddr_inany *lo, socklen_t *lolen)
{
	int af = t->flags & FWD_F_TARGET_ADDR ? t->target_family : t->family;
	const union inany *ext = af == AF_INET ? &a->addrs.addr4
					       : &a->addrs.addr6;
	unsigned flag = af == AF_INET ? NS_ADDR_F_V4 : NS_ADDR_F_V6;
	union inany addr;

	if (t->flags & FWD_F_TARGET_ADDR) {
		addr = t->target_addr;
	} else if (kind == UDP_KIND_LOCAL) {
		inany_loopback(af, &addr);
	} else {
		/* A listener on a loopback address has loopback clients only
		 * (UDP_KIND_LOCAL): a relay that asks for an external socket
		 * there wants one it may re-aim anywhere, as the fenced
		 * loopback-bound ones cannot be (see the top of this file) */
		if (inany_is_loopback(t->family, &t->listen_addr)) {
			log_ratelimited(&udp_fail_rl, LOG_LVL_WARN, "UDP "
					"forward %u listens on loopback: the "
					"relay's request for sockets to the "
					"external address refused", t->id);
			return 0;
		}
		/* Loopback safety: only a checked external address */
		if (!a->addrs_sent || !(a->addrs.flags & flag) ||
		    !inany_loopback_safe(af, ext, INANY_USE_EXTERNAL))
			return 0;
		addr = *ext;
	}
	*lolen = 0;
	if (inany_is_loopback(af, &addr)) {
		union inany any_lo;

		inany_loopback(af, &any_lo);
		*lolen = sockaddr_from_inany(lo, af, &any_lo, 0, 0);
	}
	return sockaddr_from_inany(sa, af, &addr, t->target_port, 0);
}

/**
 * udp_connected_socket() - a new UDP socket connected to @sa
 * @sa:		peer
 * @len:	its length
 * @lo:		if not NULL, bind to this loopback address (port 0) first:
 *		see "Why a socket bound for a loopback peer" above
 * @lolen:	its length
 *
 * Return: the socket, or -1 with errno set
 */
static int udp_connected_socket(const union sockaddr_inany *sa, socklen_t len,
				const union sockaddr_inany *lo, socklen_t lolen)
{
	int fd = socket(sa->sa.sa_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	int e;

	if (fd < 0)
		return -1;
	if ((!lo || !bind(fd, &lo->sa, lolen)) && !connect(fd, &sa->sa, len))
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/**
 * agent_answer_udp_pool_req() - UDP_POOL_REQ: connected sockets, if we can
 * @a:		agent state
 * @r:		validated request
 *
 * Why this is safe to answer for any id: the peer comes from the
 * supervisor's UDP_TARGET and this agent's own addresses, never from the
 * relay, and at most IPC_FDS_MAX sockets go out per request.  The kind is
 * the relay's word, so it is believed only where a well-behaved relay can
 * mean it (udp_peer()).
 */
void agent_answer_udp_pool_req(struct agent *a, const struct msg_udp_pool_req *r)
{
	struct msg_udp_pool_fds m = { r->id, r->kind, 0 };
	const struct msg_forward *t;
	union sockaddr_inany sa, lo;
	socklen_t len = 0, lolen = 0;
	int fds[IPC_FDS_MAX];
	unsigned i;

	t = a->udp_targets ? a->udp_targets[r->id] : NULL;
	if (t)
		len = udp_peer(a, t, r->kind, &sa, &lo, &lolen);
	while (len && m.count < r->count && m.count < IPC_FDS_MAX) {
		int fd = udp_connected_socket(&sa, len, lolen ? &lo : NULL,
					      lolen);

		if (fd < 0) {
			log_ratelimited(&udp_fail_rl, LOG_LVL_WARN, "UDP "
					"forward %u: %s", r->id,
					strerror(errno));
			break;
		}
		fds[m.count++] = fd;
	}
	agent_send(&a->relay, MSG_UDP_POOL_FDS, &m, m.count ? fds : NULL,
		   m.count);
	for (i = 0; i < m.count; i++)
		close(fds[i]);
}
