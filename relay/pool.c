// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pool.c - pools of fresh sockets handed over by the agents
 *
 * DOC: Theory of Operation
 *
 * The relay cannot create sockets, so every connection to the other
 * namespace uses an unconnected socket that the agent of that namespace
 * created for it and passed over SCM_RIGHTS: a socket belongs to the
 * network namespace it was created in, whichever process later calls
 * connect() on it.  One pool exists per (side, family) that some listener
 * needs as a target, and only such a pool is ever asked for (@needed):
 * an agent hands out only the families the supervisor's POOL_ALLOW names,
 * the families of the forwards this relay was sent, and treats any other
 * request as a protocol violation that ends this relay.  A pool stays
 * needed, and filled, after its last forward is removed: the supervisor
 * keeps allowing it until the next relay (see supervisor/fwdtab.c).
 *
 * The pool is kept near POOL_FILL_GOAL sockets without a timer: whenever a
 * socket is taken, or sockets arrive, and the available plus outstanding
 * (asked for, not yet received) count falls below POOL_REFILL_BELOW, the
 * relay asks the agent for the difference to POOL_FILL_GOAL with one
 * POOL_REQ.  Counting outstanding sockets means a slow agent is never asked
 * twice for the same sockets, and it is what lets pool_receive() treat any
 * socket beyond what was asked for as a protocol violation.  Refilling is
 * asynchronous: a new connection only finds the pool empty when sockets are
 * taken faster than one agent round trip can replace 16 of them; then the
 * listener is disarmed until the sockets arrive (see listener.c).
 *
 * Received sockets are checked before use: an agent is trusted code, but
 * a wrong socket is caught at the door.  The first socket of each POOL_FDS
 * gets the full sock_check() (family, TCP, not listening, non-blocking:
 * four getsockopt() and one fcntl()); the others only the fcntl().  Being
 * non-blocking is the one property whose absence would hurt more than the
 * connection using the socket: a blocking connect() or splice() freezes
 * every flow of the relay.  Anything else wrong (another family or
 * protocol, a listener, not a socket at all) makes that socket's connect()
 * or first splice() fail, a refused connection, which is no more than the
 * agent could do by not sending sockets at all; and whatever a socket of
 * the agent's namespace can reach, the agent reaches itself.  This cuts
 * the relay's system calls per connection from about 28 to 24 (measured
 * with strace -c, tests/bench/README.md).
 *
 * Syscalls: send (POOL_REQ, via ipc_send), getsockopt, fcntl(F_GETFL),
 * close.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/log.h"
#include "relay/pool.h"

/**
 * pool_fam_index() - pool index of an address family
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 for AF_INET, 1 for AF_INET6
 */
int pool_fam_index(int af)
{
	return af == AF_INET6;
}

/**
 * pool_fam_af() - address family of a pool index
 * @i:		0 or 1
 *
 * Return: AF_INET or AF_INET6
 */
int pool_fam_af(unsigned i)
{
	return i ? AF_INET6 : AF_INET;
}

/**
 * pool_init() - empty pool
 * @p:		pool
 */
void pool_init(struct sock_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->goal = POOL_FILL_GOAL;
}

/**
 * pool_refill() - ask the agent for sockets if the pool runs low
 * @p:		pool
 * @c:		channel to the agent of the pool's side
 * @af:		family of the pool
 *
 * A send that fails with EAGAIN (channel buffer full) sets @p->retry, and
 * the main loop tries again once the channel is writable (chan.c).  EPIPE
 * or ECONNRESET means the agent has just ended: its channel's hang-up,
 * served in the same loop, closes the channel and the request goes to
 * its successor (chan_agent_lost()) - ending the relay here took every
 * flow with it whenever an agent died while a pool ran low.  Any other
 * failure is the relay's own fault, and fatal.
 */
void pool_refill(struct sock_pool *p, const struct ipc_chan *c, int af)
{
	struct msg_pool_req req;
	unsigned have = p->avail + p->outstanding;

	if (!p->needed ||
	    have >= (p->goal * POOL_REFILL_BELOW) / POOL_FILL_GOAL) {
		/* Nothing to ask for: a pending retry is moot, and left set
		 * it would keep the channel polled for EPOLLOUT - a spin */
		p->retry = false;
		return;
	}
	if (c->fd < 0) {
		/* The agent is being restarted: ask its successor */
		p->retry = true;
		return;
	}
	req.family = (uint32_t)af;
	req.count = p->goal - have;
	if (ipc_send(c, MSG_POOL_REQ, &req, NULL, 0)) {
		int err = errno;

		if (err != EAGAIN && !ipc_peer_gone(err))
			fatal("%s: sending POOL_REQ: %s", c->name,
			      strerror(err));
		p->retry = true;
		return;
	}
	p->retry = false;
	p->outstanding += req.count;
	ntrace("%s: asked for %u sockets of family %d", c->name, req.count, af);
}

/**
 * pool_take() - take a socket for a new connection, and refill
 * @p:		pool
 * @c:		channel to the agent of the pool's side
 * @af:		family of the pool
 *
 * Return: an unconnected non-blocking socket, or -1 if the pool is empty
 */
int pool_take(struct sock_pool *p, const struct ipc_chan *c, int af)
{
	int fd;

	if (!p->avail)
		return -1;
	fd = p->fd[--p->avail];
	pool_refill(p, c, af);
	return fd;
}

/**
 * sock_opt_get() - read an integer socket option
 * @fd:		socket
 * @level:	option level
 * @name:	option name
 * @val:	set to the value
 *
 * Return: 0 on success, -1 if @fd is not a socket or lacks the option
 */
static int sock_opt_get(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	if (getsockopt(fd, level, name, val, &len) || len != sizeof(*val))
		return -1;
	return 0;
}

/**
 * sock_check_nonblock() - verify that a received descriptor is non-blocking
 * @fd:		descriptor
 *
 * Return: NULL if it is, else what is wrong with it
 */
static const char *sock_check_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || !(fl & O_NONBLOCK))
		return "blocking socket";
	return NULL;
}

/**
 * sock_check() - verify a socket received from an agent
 * @fd:		descriptor
 * @af:		family it must have
 * @listening:	true for a listener, false for an unconnected pool socket
 *
 * Return: NULL if @fd is a non-blocking TCP socket of @af in the expected
 * listening state, else what is wrong with it
 */
const char *sock_check(int fd, int af, bool listening)
{
	int v;

	if (sock_opt_get(fd, SOL_SOCKET, SO_DOMAIN, &v))
		return "not a socket";
	if (v != af)
		return "wrong address family";
	if (sock_opt_get(fd, SOL_SOCKET, SO_TYPE, &v) || v != SOCK_STREAM)
		return "not a stream socket";
	if (sock_opt_get(fd, SOL_SOCKET, SO_PROTOCOL, &v) || v != IPPROTO_TCP)
		return "not a TCP socket";
	if (sock_opt_get(fd, SOL_SOCKET, SO_ACCEPTCONN, &v) ||
	    !!v != listening)
		return listening ? "not listening" : "listening";
	return sock_check_nonblock(fd);
}

/**
 * pool_receive() - add the sockets of a POOL_FDS message to its pool
 * @p:		pool of the message's side and family
 * @m:		validated POOL_FDS; its descriptors are taken or closed
 *
 * Return: NULL on success, else the protocol violation (all descriptors of
 * @m are closed then)
 */
const char *pool_receive(struct sock_pool *p, struct ipc_msg *m)
{
	int af = (int)m->u.pool_fds.family;
	unsigned i;

	if (m->nfds > p->outstanding || p->avail + m->nfds > POOL_FILL_GOAL) {
		ipc_close_fds(m);
		return "more sockets than asked for";
	}
	for (i = 0; i < m->nfds; i++) {
		const char *why = i ? sock_check_nonblock(m->fds[i])
				    : sock_check(m->fds[i], af, false);

		if (why) {
			ipc_close_fds(m);
			return why;
		}
	}
	for (i = 0; i < m->nfds; i++) {
		p->fd[p->avail++] = m->fds[i];
		m->fds[i] = -1;
	}
	p->outstanding -= m->nfds;
	m->nfds = 0;
	return NULL;
}

/**
 * pool_fini() - close every available socket
 * @p:		pool
 */
void pool_fini(struct sock_pool *p)
{
	while (p->avail)
		close(p->fd[--p->avail]);
}

/**
 * pool_set_goal() - change how many sockets a pool keeps
 * @p:		pool
 * @goal:	1..POOL_FILL_GOAL
 *
 * Sockets beyond a lowered goal are closed at once: they are what the
 * relay can give back when its descriptor limit is cut from outside.
 */
void pool_set_goal(struct sock_pool *p, unsigned goal)
{
	p->goal = goal;
	/* avail + outstanding stays within the array (POOL_FILL_GOAL) */
	while (p->avail && (p->avail > goal ||
			    p->avail + p->outstanding > POOL_FILL_GOAL))
		close(p->fd[--p->avail]);
}
