// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listen.c - open the listening sockets the supervisor asks for
 *
 * DOC: Theory of Operation
 *
 * For each BIND the agent creates a non-blocking TCP socket in its own
 * namespace, binds and listens, hands a copy to the relay (LISTENER + fd)
 * and reports the result to the supervisor (BOUND).  The relay is told
 * first, so once the supervisor has seen every BOUND, the relay has every
 * listener queued on its channel.
 *
 * IPv6 listeners are IPV6_V6ONLY: families are forwarded separately, and
 * a v4-mapped client must not slip past the IPv4 rules.  TCP_NODELAY is set
 * on the listener because accepted sockets inherit it, which saves the
 * relay a setsockopt() per connection.  The agent keeps its copy of every
 * listener, so a port is never unbound while the relay changes: a new
 * relay gets every listener again (agent_resend_listeners()), repaired
 * first of whatever the relay before it may have done to the shared
 * socket (listener_repair()).  UNBIND
 * closes the agent's copy of one listener, FORWARD_DEL the relay's.
 *
 * A BIND may carry a socket inherited through socket activation; it is
 * checked (listening, family, port) and used instead of a new one, and
 * like every listener it is never shut down, only closed.
 *
 * Syscalls: socket, setsockopt, getsockopt, getsockname, bind, listen,
 * sendmsg, close; for a repair also fcntl(F_SETFL), poll, connect.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/localcc.h"
#include "ipc/log.h"
#include "ipc/udpsock.h"
#include "nsagent/agent.h"

/* LISTEN_BACKLOG - connections the kernel queues per listener */
#define LISTEN_BACKLOG	SOMAXCONN

/**
 * set_int_opt() - setsockopt() for an int option
 * @fd:		socket
 * @level:	protocol level
 * @opt:	option
 * @v:		value
 *
 * Return: 0 or -1
 */
static int set_int_opt(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/**
 * agent_bind() - create and bind the socket of a forward on this side
 * @f:		forward, validated by the catalogue
 * @type:	SOCK_STREAM (a TCP listener: also TCP_NODELAY, which accepted
 *		sockets inherit, and listen()) or SOCK_DGRAM (a UDP forward)
 * @fdp:	set to the socket on success
 *
 * One place for the address rules of both protocols: SO_REUSEADDR for TCP
 * only (a restarted agent binds over its predecessor's TIME-WAIT),
 * IPV6_V6ONLY (the IPv4 listener of the same port is a forward of its
 * own) and SO_BINDTODEVICE for an address with an interface.  A TCP
 * listener on a loopback address also gets a non-pacing congestion
 * control (ipc/localcc.c).
 *
 * Never SO_REUSEADDR on a UDP socket: UDP has no TIME-WAIT to step over,
 * and on Linux the option lets any other socket that sets it bind the
 * same address and port, whatever its owner - another local user then
 * receives the forward's datagrams and answers the clients from the
 * forwarded port (found by an audit: 3 of 3 datagrams taken, forged
 * replies accepted).  Without it, bind() fails with EADDRINUSE if anyone
 * holds the port, and nobody can bind it while we do.
 *
 * A UDP socket bound to the wildcard address also gets IP_PKTINFO or
 * IPV6_RECVPKTINFO: each datagram then tells the relay which local
 * address the client sent to, and the relay answers from that address
 * (relay/udp.c), not from whichever one the kernel would pick for the
 * route back - a client that sent to 127.0.0.2, to a secondary address,
 * or to a stable IPv6 address beside a temporary one must get its reply
 * from the address it asked, or a connected client (dig) never sees it.
 * Every UDP listener gets SO_RXQ_OVFL: the kernel then tells, with each
 * datagram, how many it dropped at this socket's full receive buffer, so
 * that those drops are counted too (relay/udp.c).  Both come from
 * udp_listen_opts() (ipc/udpsock.c), which the supervisor's inherited
 * UDP sockets get too.
 *
 * Return: 0, or the errno that socket(), setsockopt(), bind() or listen()
 * failed with
 */
int agent_bind(const struct msg_forward *f, int type, int *fdp)
{
	bool tcp = type == SOCK_STREAM;
	union sockaddr_inany sa = { 0 };
	uint32_t scope = 0;
	socklen_t len;
	int fd, e;

	fd = socket(f->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    tcp ? IPPROTO_TCP : IPPROTO_UDP);
	if (fd < 0)
		return errno;
	if (f->ifname[0])
		scope = if_nametoindex(f->ifname);
	if ((tcp && set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1)) ||
	    (!tcp && udp_listen_opts(fd, f->family, &f->listen_addr)) ||
	    (f->family == AF_INET6 &&
	     set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) ||
	    (tcp && set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1)) ||
	    (f->ifname[0] &&
	     setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, f->ifname,
			(socklen_t)strlen(f->ifname))))
		goto fail;
	if (tcp && inany_is_loopback(f->family, &f->listen_addr))
		local_cc_set(fd);
	len = sockaddr_from_inany(&sa, f->family, &f->listen_addr,
				  f->listen_port, scope);
	if (bind(fd, &sa.sa, len) || (tcp && listen(fd, LISTEN_BACKLOG)))
		goto fail;
	*fdp = fd;
	return 0;
fail:
	e = errno;
	close(fd);
	return e;
}

/**
 * agent_set_keepalive() - TCP keepalive as AGENT_CONF asked, if at all
 * @a:		agent state
 * @fd:		listener (accepted sockets inherit it) or pool socket
 *
 * Failures are logged, not fatal: keepalive is a courtesy to idle peers,
 * and a kernel refusing it must not stop forwarding.
 */
void agent_set_keepalive(const struct agent *a, int fd)
{
	const struct msg_agent_conf *c = &a->conf;

	if (!c->ka_idle)
		return;
	if (set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, 1) ||
	    set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, (int)c->ka_idle) ||
	    set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, (int)c->ka_intvl) ||
	    set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, (int)c->ka_cnt))
		nwarn("keepalive: %s", strerror(errno));
}

/**
 * keep_listener() - remember a listener for the agent's lifetime
 * @a:		agent state
 * @f:		its forward
 * @fd:		listening socket
 *
 * Return: 0, or -1 if out of memory (the socket is then closed)
 */
static int keep_listener(struct agent *a, const struct msg_forward *f, int fd,
			 bool inherited)
{
	struct agent_listener *n = reallocarray(a->listeners,
						a->nlisteners + 1,
						sizeof(*n));
	socklen_t len;

	if (!n) {
		close(fd);
		return -1;
	}
	a->listeners = n;
	n = &a->listeners[a->nlisteners++];
	*n = (struct agent_listener){ f->id, fd, f->family, f->listen_port,
				      *f, inherited, "" };
	len = sizeof(n->cc) - 1;
	if ((f->flags & FWD_F_UDP) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, n->cc, &len))
		n->cc[0] = '\0';
	return 0;
}

/**
 * inherited_listener() - check a socket-activation socket for a BIND
 * @f:		listener description
 * @fd:		the descriptor that came with the BIND
 *
 * The supervisor matched it by address and port already; the agent checks
 * again what it is about to hand to the relay, as it would for its own.
 *
 * Return: 0 or an errno value
 */
static int inherited_listener(const struct msg_forward *f, int fd)
{
	union sockaddr_inany sa = { 0 };
	socklen_t len = sizeof(sa);
	int v = 0;
	socklen_t vl = sizeof(v);

	if (f->flags & FWD_F_UDP) {
		/* ListenDatagram=: a UDP socket, never a listener */
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) ||
		    v != SOCK_DGRAM)
			return EINVAL;
	} else if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) || !v) {
		return EINVAL;
	}
	vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl) || v != f->family)
		return EAFNOSUPPORT;
	if (getsockname(fd, &sa.sa, &len))
		return errno;
	if (ntohs(f->family == AF_INET ? sa.sin.sin_port
				       : sa.sin6.sin6_port) != f->listen_port)
		return EADDRNOTAVAIL;
	return 0;
}

/**
 * agent_answer_bind() - handle one BIND from the supervisor
 * @a:		agent state
 * @m:		BIND: the listener to open (the catalogue checked family,
 *		ports, id), and possibly an inherited listening socket
 *
 * Safe to answer: the supervisor is the only sender on this channel, and
 * the listener is created in this agent's namespace only, on the address
 * and port it names, so the request cannot reach another namespace.
 */
void agent_answer_bind(struct agent *a, struct ipc_msg *m)
{
	const struct msg_forward *f = &m->u.forward;
	struct msg_listener l = { f->id };
	struct msg_bound b = { f->id, 0 };
	bool inherited = m->nfds > 0;
	int fd = -1;

	a->batch++;
	if (f->listen_side != a->side)
		fatal("BIND for the other side's listener %u", f->id);
	if (inherited) {
		b.error = inherited_listener(f, m->fds[0]);
		if (!b.error) {
			fd = m->fds[0];
			m->fds[0] = -1;
			m->nfds = 0;
		}
	} else if (f->flags & FWD_F_UDP) {
		b.error = agent_bind(f, SOCK_DGRAM, &fd);
	} else {
		b.error = agent_bind(f, SOCK_STREAM, &fd);
	}
	if (!b.error) {
		if (!(f->flags & FWD_F_UDP))
			agent_set_keepalive(a, fd);
		agent_send(&a->relay, MSG_LISTENER, &l, &fd, 1);
		if (keep_listener(a, f, fd, inherited))
			fatal("out of memory");
	}
	agent_send(&a->sup, MSG_BOUND, &b, NULL, 0);
	ntrace("listener %u on port %u: %s", f->id, f->listen_port,
	       b.error ? strerror(b.error) : "ok");
}

/**
 * agent_answer_unbind() - UNBIND: close the agent's copy of a listener
 * @a:		agent state
 * @id:		listener id
 *
 * The relay closes its copy on FORWARD_DEL; once both are closed the
 * port is free.  An id the agent does not hold (its bind failed and was
 * tolerated) is answered all the same.
 */
void agent_answer_unbind(struct agent *a, uint32_t id)
{
	struct msg_id u = { id };
	unsigned i;

	for (i = 0; i < a->nlisteners; i++) {
		if (a->listeners[i].id != id)
			continue;
		if (a->listeners[i].fd >= 0)
			close(a->listeners[i].fd);
		a->listeners[i] = a->listeners[--a->nlisteners];
		break;
	}
	agent_send(&a->sup, MSG_UNBOUND, &u, NULL, 0);
}

/**
 * listener_rebind() - replace a listener the old relay spoiled for good
 * @l:		held listener, not inherited
 *
 * The agent's copy is closed first: the port is free once the relay that
 * spoiled it is gone (a relay still draining keeps it bound, and then the
 * forward stays down, logged).
 *
 * Return: 0 with @l->fd replaced, or an errno value (@l->fd is then -1)
 */
static int listener_rebind(struct agent_listener *l)
{
	int fd = -1, e;

	close(l->fd);
	l->fd = -1;
	e = agent_bind(&l->fwd, l->fwd.flags & FWD_F_UDP ? SOCK_DGRAM
							  : SOCK_STREAM, &fd);
	if (!e)
		l->fd = fd;
	return e;
}

/**
 * listener_repair() - undo what a relay may have done to a shared listener
 * @a:		agent state
 * @l:		held listener
 *
 * The relay shares each listener's open file with this agent, and its
 * filter lets it connect(), shutdown(), clear O_NONBLOCK (F_SETFL) and
 * set SO_LINGER or TCP_CONGESTION on any socket it holds - the listeners
 * too.  A compromised relay that did so before it was killed left the
 * forward dead, for good: connect(AF_UNSPEC) or shutdown() stops a TCP
 * listener, a connected UDP socket serves only its peer, and the next
 * relay refused the blocking or dead socket as the agent's fault, so
 * the agent was restarted without its copies and nobody bound the port
 * again while the status said it listened.  So before a new relay gets
 * them: O_NONBLOCK again (and nothing else, O_ASYNC neither); for TCP,
 * no linger (accepted sockets inherit it, and linger {1, 0} turns every
 * close into a reset that loses unsent bytes), the congestion control it
 * was made with, and listen() again, which a disconnected or shut-down
 * listener takes (a listener that still listens only gets its backlog
 * set again); for UDP, connect(AF_UNSPEC), which keeps the bound address
 * and port.  A socket that cannot be repaired - a TCP one connected
 * somewhere, a UDP one whose reading side was shut down (it reads as
 * readable for ever, and nothing clears that) - is bound anew, unless
 * socket activation gave it, and then it is kept as it is.
 *
 * Return: true if @l may go to the relay
 */
static bool listener_repair(struct agent *a, struct agent_listener *l)
{
	static const struct linger off = { 0, 0 };
	static const struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct pollfd p = { l->fd, POLLRDHUP, 0 };
	bool udp = l->fwd.flags & FWD_F_UDP, bad;
	int e;

	(void)fcntl(l->fd, F_SETFL, O_NONBLOCK);
	if (udp) {
		bad = poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP);
		if (!bad)
			(void)connect(l->fd, &unspec, sizeof(unspec));
	} else {
		(void)setsockopt(l->fd, SOL_SOCKET, SO_LINGER, &off,
				 sizeof(off));
		if (l->cc[0])
			(void)setsockopt(l->fd, IPPROTO_TCP, TCP_CONGESTION,
					 l->cc, (socklen_t)strlen(l->cc));
		bad = listen(l->fd, LISTEN_BACKLOG) != 0;
	}
	if (!bad)
		return true;
	if (l->inherited) {
		nwarn("%s port %u: the socket-activation socket no longer "
		      "listens, and cannot be bound again here", udp ? "UDP"
		      : "TCP", l->port);
		return true;
	}
	e = listener_rebind(l);
	if (e) {
		nerr("%s port %u: the relay left its socket unusable, and "
		     "binding it again failed: %s; the forward stays down "
		     "until it is removed and added", udp ? "UDP" : "TCP",
		     l->port, strerror(e));
		return false;
	}
	if (!udp)
		agent_set_keepalive(a, l->fd);
	nwarn("%s port %u: the relay left its socket unusable; bound again",
	      udp ? "UDP" : "TCP", l->port);
	return true;
}

/**
 * agent_resend_listeners() - give a new relay every listener held
 * @a:		agent state, with the new relay channel in place
 *
 * Each is repaired first (listener_repair()); one that cannot be is
 * left out, and the relay serves the rest.
 */
void agent_resend_listeners(struct agent *a)
{
	unsigned i;

	for (i = 0; i < a->nlisteners; i++) {
		struct msg_listener l = { a->listeners[i].id };

		if (a->listeners[i].fd < 0 ||
		    !listener_repair(a, &a->listeners[i]))
			continue;
		agent_send(&a->relay, MSG_LISTENER, &l, &a->listeners[i].fd,
			   1);
	}
	ndebug("sent %u listener%s to the new relay", a->nlisteners,
	       a->nlisteners == 1 ? "" : "s");
}
