// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listener.c - listening sockets: registration, accepting, back-pressure
 *
 * DOC: Theory of Operation
 *
 * Each forward (FORWARD from the supervisor) becomes a struct listener,
 * indexed by its id; its listening socket arrives later from the agent of
 * the listening side (LISTENER), is checked, and is polled for EPOLLIN.
 *
 * On EPOLLIN the relay accepts up to ACCEPT_BATCH connections, stopping at
 * EAGAIN, and uses the peer address accept4() returns (no getpeername()).
 * Before each accept4() it checks that the new flow can be served: a free
 * flow slot within the descriptor budget, and a socket in the pool of the
 * side and family the forward connects to.  If not, the listener is
 * disarmed - taken out of the epoll set, so a level-triggered epoll does
 * not spin on it - and put on the disarmed list; clients wait in the
 * kernel's accept backlog meanwhile, instead of being accepted and reset.
 * The same happens when accept4() fails with EMFILE or ENFILE (after
 * closing idle pipes has not helped).  Whatever frees the resource (a flow
 * closing, pool sockets arriving) sets relay.rearm, and listener_rearm()
 * runs from the main loop, re-arming at most as many listeners as there
 * are free slots and pool sockets, so one freed slot does not wake
 * thousands of listeners to find nothing.
 *
 * Shares: when forwards listen on more than one port, the flows of one
 * port (its port group: the listeners of every family and address of one
 * "-t P" or "-T P") may fill at most 1/FWD_SHARE_DEN of the flow limit.
 * A forwarding loop - this relay's connections coming back to one of its
 * own listeners, directly or through another nsplice - accepts as fast as
 * it connects, and without a share it took every slot in seconds, so that
 * every other forward hung.  A port at its share is disarmed like one at
 * the limit (LWAIT_SHARE: no accept-and-reset, no spinning: its clients
 * wait in the backlog) and re-armed when one of its flows ends; the first
 * time in an episode it is logged as a warning naming the forward, and
 * the episode ends when its flows fall to half the share.  A loop is not
 * recognised as such: telling an accepted client apart from the relay's
 * own outgoing sockets would take a getsockname() per flow, which the
 * relay's seccomp filter does not allow, and the share contains it
 * anyway (two forwards looping into each other in one relay can fill the
 * table between them, which the share does not prevent).
 *
 * Syscalls: accept4, epoll_ctl, getsockopt and fcntl (via sock_check()),
 * close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "relay/relay_int.h"
#include "relay/target.h"
#include "relay/udp.h"

/* ACCEPT_BATCH - most connections accepted per listener wake-up */
#define ACCEPT_BATCH		16

/* SHARE_WARN_SEC - at most one "share reached" line per this many seconds,
 * whichever port reached it */
#define SHARE_WARN_SEC		1

static const char *const lwait_name[] = {
	[LWAIT_NONE] = "armed",
	[LWAIT_SLOT] = "flow limit reached",
	[LWAIT_POOL] = "socket pool empty",
	[LWAIT_FD] = "out of descriptors",
	[LWAIT_SHARE] = "its port's share of the flows reached",
};

/**
 * listener_pool() - pool the connections of a listener are made from
 * @r:		relay
 * @l:		listener
 *
 * Return: the pool of the side opposite the listening one, in the
 * forward's target family
 */
struct sock_pool *listener_pool(struct relay *r, const struct listener *l)
{
	unsigned side = !l->fwd.listen_side;

	return &r->pools[side][pool_fam_index(target_family(&l->fwd))];
}

/**
 * listener_group() - the port group of a listener
 * @r:		relay
 * @l:		listener
 *
 * Return: the group of its listening side and port
 */
static struct port_group *listener_group(struct relay *r,
					 const struct listener *l)
{
	return &r->groups[port_group_index(&l->fwd)];
}

/**
 * listener_share() - most flows one port group may hold now
 * @r:		relay
 *
 * Return: 1/FWD_SHARE_DEN of the flow limit (at least one flow) while
 * forwards listen on more than one port, else the whole limit
 */
static uint32_t listener_share(const struct relay *r)
{
	return port_share(r->flow_limit, r->nports);
}

/**
 * listener_over_share() - has a listener's port group its share
 * @r:		relay
 * @l:		listener
 *
 * Return: true if no more flows may be accepted on its port now
 */
static bool listener_over_share(struct relay *r, const struct listener *l)
{
	return listener_group(r, l)->open >= listener_share(r);
}

/**
 * fwd_name() - a forward as the user wrote it, with its socket, for log
 *		lines
 * @fwd:	the forward
 * @buf:	output, at least FWD_NAME_LEN bytes
 *
 * The option and ports alone do not tell apart the IPv4 and IPv6
 * listeners of one port, or a wildcard from a loopback one: the listening
 * address says which socket a line is about.
 *
 * Return: @buf, e.g. "-T 6379 ([::1]:6379, target side)" or
 * "-u 53:5353 (0.0.0.0:53, host side)"
 */
const char *fwd_name(const struct msg_forward *fwd, char *buf)
{
	static const char opts[2][SIDE_COUNT] = { { 't', 'T' }, { 'u', 'U' } };
	char a[INANY_STRLEN], t[sizeof(":65535")] = "";
	bool v6 = fwd->family == AF_INET6;

	if (fwd->target_port != fwd->listen_port)
		snprintf(t, sizeof(t), ":%u", fwd->target_port);
	snprintf(buf, FWD_NAME_LEN, "-%c %u%s (%s%s%s:%u, %s side)",
		 opts[!!(fwd->flags & FWD_F_UDP)][fwd->listen_side == SIDE_HOST
						  ? 0 : 1],
		 fwd->listen_port, t, v6 ? "[" : "",
		 inany_ntop(fwd->family, &fwd->listen_addr, a, sizeof(a)),
		 v6 ? "]" : "", fwd->listen_port,
		 fwd->listen_side == SIDE_HOST ? "host" : "target");
	return buf;
}

/**
 * listener_share_warn() - say once per episode that a port hit its share
 * @r:		relay
 * @l:		listener of the port
 *
 * The line is what tells a user about a forwarding loop, so it names the
 * forward; a line suppressed by the rate limit is tried again at the
 * port's next disarm, so no port's episode goes unreported.
 */
static void listener_share_warn(struct relay *r, const struct listener *l)
{
	static struct log_ratelimit rl;
	struct port_group *g = listener_group(r, l);
	char name[FWD_NAME_LEN];

	if (g->capped || !log_due(&rl, LOG_LVL_WARN, SHARE_WARN_SEC))
		return;
	g->capped = true;
	nwarn("forward %s: %u connections open, its share of the %u the "
	      "relay takes: new ones wait in the listen backlog until one "
	      "closes (a forwarding loop?)", fwd_name(&l->fwd, name),
	      g->open, r->flow_limit);
}

/**
 * listener_blocked() - why a listener cannot take a connection now
 * @r:		relay
 * @l:		listener
 *
 * Return: enum listener_wait, LWAIT_NONE if a connection can be served
 */
static unsigned listener_blocked(struct relay *r, const struct listener *l)
{
	if (r->fd_pressure)
		return LWAIT_FD;
	if (r->flows.used >= r->flow_limit)
		return LWAIT_SLOT;
	if (listener_over_share(r, l))
		return LWAIT_SHARE;
	if (!listener_pool(r, l)->avail)
		return LWAIT_POOL;
	return LWAIT_NONE;
}

/**
 * listener_arm() - poll a listener
 * @r:		relay
 * @l:		listener with a socket, not polled
 *
 * Return: 0 on success, -1 if epoll_ctl() failed
 */
static int listener_arm(struct relay *r, struct listener *l)
{
	if (relay_ep_ctl(r, EPOLL_CTL_ADD, l->fd, EPOLLIN,
			 ev_encode(EV_LISTENER, l->fwd.id, 0, l->gen)))
		return -1;
	l->wait = LWAIT_NONE;
	return 0;
}

/**
 * listener_queue() - append a listener to the disarmed list
 * @r:		relay
 * @l:		listener, not on the list
 */
static void listener_queue(struct relay *r, struct listener *l)
{
	l->next_disarmed = LISTENER_NONE;
	if (r->disarmed_tail == LISTENER_NONE)
		r->disarmed_head = l->fwd.id;
	else
		r->listeners[r->disarmed_tail]->next_disarmed = l->fwd.id;
	r->disarmed_tail = l->fwd.id;
}

/**
 * listener_disarm() - stop polling a listener until @why is resolved
 * @r:		relay
 * @l:		listener
 * @why:	enum listener_wait
 *
 * @l must be polled now, or have a fresh socket that never was.
 */
static void listener_disarm(struct relay *r, struct listener *l, unsigned why)
{
	static struct log_ratelimit rl;

	if (why == LWAIT_SLOT &&
	    log_due(&rl, LOG_LVL_WARN, LOG_CONDITION_SEC))
		nwarn("%u connections open, the limit: new ones wait in the "
		      "listen backlog", r->flows.used);
	if (why == LWAIT_SHARE)
		listener_share_warn(r, l);
	if (l->wait == LWAIT_NONE)
		relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
	l->wait = why;
	listener_queue(r, l);
	ntrace("listener %u disarmed: %s", l->fwd.id, lwait_name[why]);
}

/**
 * listener_drop() - give up a listener whose socket is broken
 * @r:		relay
 * @l:		listener, polled now
 * @err:	errno of accept4()
 */
static void listener_drop(struct relay *r, struct listener *l, int err)
{
	nerr("listener %u (port %u): accept: %s; no longer listening",
	     l->fwd.id, l->fwd.listen_port, strerror(err));
	relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
	close(l->fd);
	l->fd = -1;
	r->nlisteners--;
	relay_flow_limit(r);
}

/**
 * listener_accept_failed() - deal with an accept4() error
 * @r:		relay
 * @l:		listener
 * @err:	errno of accept4()
 *
 * Return: true to stop accepting on this listener for this wake-up
 */
static bool listener_accept_failed(struct relay *r, struct listener *l,
				   int err)
{
	static struct log_ratelimit rl_fd, rl_mem;

	switch (err) {
	case EAGAIN:
		return true;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:		/* refused by a firewall (accept(2)) */
	/* accept(2): "already-pending network errors" of the new connection,
	 * to be treated like EAGAIN by retrying: not the listener's fault */
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return false;
	case EMFILE:
	case ENFILE:
		relay_nofile_refresh(r);
		if (pipes_trim(&r->pipes))
			return true;	/* descriptors freed: epoll retries */
		if (log_due(&rl_fd, LOG_LVL_WARN, LOG_CONDITION_SEC))
			nwarn("listener %u: accept: %s; pausing listeners "
			      "until a connection closes", l->fwd.id,
			      strerror(err));
		r->fd_pressure = true;
		listener_disarm(r, l, LWAIT_FD);
		return true;
	case ENOBUFS:
	case ENOMEM:
		log_ratelimited(&rl_mem, LOG_LVL_WARN,
				"listener %u: accept: %s",
				l->fwd.id, strerror(err));
		return true;
	default:
		listener_drop(r, l, err);
		return true;
	}
}

/**
 * listener_event() - accept what a listener has, as far as we can serve it
 * @r:		relay
 * @l:		polled listener
 * @events:	epoll events (EPOLLIN; errors show up in accept4())
 */
void listener_event(struct relay *r, struct listener *l, uint32_t events)
{
	union sockaddr_inany sa;
	unsigned i;

	ntrace("listener %u: events 0x%x", l->fwd.id, events);
	for (i = 0; i < ACCEPT_BATCH; i++) {
		unsigned why = listener_blocked(r, l);
		socklen_t salen = sizeof(sa);
		int fd;

		if (why) {
			listener_disarm(r, l, why);
			return;
		}
		fd = accept4(l->fd, &sa.sa, &salen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (listener_accept_failed(r, l, errno))
				return;
			continue;
		}
		l->cnt.accepted++;
		r->cnt.accepted++;
		splice_open(r, l, fd, &sa, salen);
	}
}

/**
 * listener_rearm() - poll disarmed listeners again, as far as the freed
 *		      resources go
 * @r:		relay
 *
 * Each listener re-armed takes one free slot and one socket of its pool
 * from a local budget; the rest stay on the list, in order, and so do
 * listeners whose port still has its share.
 */
void listener_rearm(struct relay *r)
{
	unsigned left[SIDE_COUNT][POOL_FAMILIES], s, fam;
	struct sock_pool *p;
	uint32_t id = r->disarmed_head, slots;

	r->rearm = false;
	if (r->fd_pressure || r->flows.used >= r->flow_limit)
		return;
	slots = r->flow_limit - r->flows.used;
	pool_foreach(r, s, fam, p)
		left[s][fam] = p->avail;
	r->disarmed_head = r->disarmed_tail = LISTENER_NONE;
	while (id != LISTENER_NONE) {
		struct listener *l = r->listeners[id];
		unsigned *pl = &left[!l->fwd.listen_side]
				    [pool_fam_index(target_family(&l->fwd))];

		id = l->next_disarmed;
		if (slots && *pl && !listener_over_share(r, l) &&
		    !listener_arm(r, l)) {
			slots--;
			(*pl)--;
			continue;
		}
		listener_queue(r, l);
	}
}

/**
 * listener_add() - take the listening socket of a LISTENER message
 * @r:		relay
 * @side:	enum nsp_side of the agent that sent it
 * @m:		LISTENER with one descriptor, taken on success
 *
 * Return: NULL on success, else the protocol violation (the caller closes
 * the descriptor)
 */
const char *listener_add(struct relay *r, unsigned side, struct ipc_msg *m)
{
	struct listener *l = r->listeners[m->u.listener.id];
	char name[FWD_NAME_LEN];
	const char *why;
	unsigned wait;

	if (!l || l->removed) {
		/* Removed at run time while the agent was sending it (after
		 * a restart it re-sends everything it holds): not an attack
		 * surface, the socket is simply closed by the caller. */
		ndebug("listener %u: removed, dropping its socket",
		       m->u.listener.id);
		ipc_close_fds(m);
		return NULL;
	}
	if (l->fwd.listen_side != side)
		return "listener from the wrong side";
	if (l->fd >= 0)
		return "listener id already has a socket";
	if (l->fwd.flags & FWD_F_UDP)
		return udp_listener_add(r, l, m);
	if ((why = sock_check(m->fds[0], l->fwd.family, true)))
		return why;
	l->fd = m->fds[0];
	m->fds[0] = -1;
	m->nfds = 0;
	l->gen = ++r->lgen;
	r->nlisteners++;
	relay_flow_limit(r);
	wait = listener_blocked(r, l);
	if (!wait && listener_arm(r, l))
		wait = LWAIT_FD;	/* epoll_ctl() failed: retry later */
	if (wait) {
		l->wait = wait;
		listener_queue(r, l);
	}
	ndebug("listener %u: %s, %s", l->fwd.id, fwd_name(&l->fwd, name),
	       lwait_name[l->wait]);
	return NULL;
}

/**
 * listener_close_all() - close every listener and free the table
 * @r:		relay
 */
void listener_close_all(struct relay *r)
{
	uint32_t id;

	if (!r->listeners)
		return;
	for (id = 0; id < FWD_ID_MAX; id++) {
		struct listener *l = r->listeners[id];

		if (!l)
			continue;
		if (l->fd >= 0) {
			relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
			close(l->fd);
		}
		free(l);
	}
	free(r->listeners);
	r->listeners = NULL;
	free(r->groups);
	r->groups = NULL;
}

/**
 * listener_unqueue() - take a listener off the disarmed list
 * @r:		relay
 * @l:		listener, disarmed (on the list)
 *
 * The list is singly linked by id; removals are rare (a forward going
 * away), so a walk is fine.
 */
static void listener_unqueue(struct relay *r, struct listener *l)
{
	uint32_t id = r->disarmed_head, prev = LISTENER_NONE;

	while (id != LISTENER_NONE && id != l->fwd.id) {
		prev = id;
		id = r->listeners[id]->next_disarmed;
	}
	if (id == LISTENER_NONE)
		return;
	if (prev == LISTENER_NONE)
		r->disarmed_head = l->next_disarmed;
	else
		r->listeners[prev]->next_disarmed = l->next_disarmed;
	if (r->disarmed_tail == l->fwd.id)
		r->disarmed_tail = prev;
	l->next_disarmed = LISTENER_NONE;
}

/**
 * listener_release() - free a removed listener whose last flow has ended
 * @r:		relay
 * @l:		listener
 *
 * A draining relay keeps it until it exits: the supervisor counts what
 * that relay's flows moved from its reports, and the last one, sent
 * after the last flow ended (chan_stats_last()), must still have it.
 */
static void listener_release(struct relay *r, struct listener *l)
{
	if (!l->removed || l->open || r->draining)
		return;
	r->listeners[l->fwd.id] = NULL;
	free(l);
}

/**
 * listener_remove() - FORWARD_DEL: stop listening, let its flows finish
 * @r:		relay
 * @id:		listener id, < FWD_ID_MAX
 *
 * The relay's copy of the socket is closed (the agent closes its own on
 * UNBIND); flows accepted on it are not touched.  The struct stays, marked
 * removed, until the last of them ends, so their counters still add up.
 */
void listener_remove(struct relay *r, uint32_t id)
{
	struct listener *l = r->listeners[id];

	if (!l || l->removed)
		return;
	if (l->fwd.flags & FWD_F_UDP)
		udp_forward_del(r, l);
	if (l->fd >= 0) {
		if (l->wait == LWAIT_NONE)
			relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
		else
			listener_unqueue(r, l);
		close(l->fd);
		l->fd = -1;
		r->nlisteners--;
		relay_flow_limit(r);
	}
	l->removed = true;
	r->nforwards--;
	/* UDP forwards share their own table (udp.c): not TCP's groups */
	if (!(l->fwd.flags & FWD_F_UDP) && !--listener_group(r, l)->forwards)
		r->nports--;
	r->rearm = true;	/* the other ports' share may have grown */
	ndebug("forward %u: port %u removed, %u flow%s still open", id,
	       l->fwd.listen_port, l->open, l->open == 1 ? "" : "s");
	listener_release(r, l);
}

/**
 * listener_flow_gone() - a flow accepted on a listener has ended
 * @r:		relay
 * @id:		the flow's listener id
 *
 * Frees a removed listener with its last flow.
 */
void listener_flow_gone(struct relay *r, uint32_t id)
{
	struct listener *l = id < FWD_ID_MAX ? r->listeners[id] : NULL;
	char name[FWD_NAME_LEN];
	struct port_group *g;

	if (!l)
		return;
	g = listener_group(r, l);
	if (l->open)
		l->open--;
	if (g->open)
		g->open--;
	if (g->capped && g->open <= listener_share(r) / 2) {
		g->capped = false;
		nnotice("forward %s: %u connections open, under its share "
			"again", fwd_name(&l->fwd, name), g->open);
	}
	listener_release(r, l);
}

/**
 * listener_flow_added() - a flow was accepted on a listener
 * @r:		relay
 * @l:		the listener
 */
void listener_flow_added(struct relay *r, struct listener *l)
{
	l->open++;
	listener_group(r, l)->open++;
}

/**
 * listener_group_join() - count a new forward in its port group
 * @r:		relay
 * @l:		new listener, @l->open carried over from @old
 * @old:	removed listener whose id @l reuses, NULL if none: its open
 *		flows now count for @l (chan_sup_forward()), so they move to
 *		@l's group
 *
 * A UDP forward joins no TCP group: its flows live in UDP's own table,
 * with its own per-port share (udp.c).  Counted here, "-t 8080 -u 53"
 * made two TCP ports and halved what port 8080 may hold.
 */
void listener_group_join(struct relay *r, struct listener *l,
			 const struct listener *old)
{
	struct port_group *g = listener_group(r, l);

	if (old) {
		struct port_group *og = listener_group(r, old);

		og->open -= old->open < og->open ? old->open : og->open;
	}
	if (l->fwd.flags & FWD_F_UDP)
		return;
	g->open += l->open;
	if (!g->forwards++)
		r->nports++;
}

/**
 * listener_live_bytes() - sum the bytes of open flows per listener
 * @r:		relay
 *
 * Flows add their bytes to the listener's counters when they close; a
 * STATS report also counts what open flows have moved, so the numbers a
 * user sees match the traffic so far.
 */
void listener_live_bytes(struct relay *r)
{
	uint32_t id, i;
	unsigned d;

	for (id = 0; id < FWD_ID_MAX; id++)
		if (r->listeners[id])
			memset(r->listeners[id]->live, 0,
			       sizeof(r->listeners[id]->live));
	for (i = 0; i < r->flows.size; i++) {
		const struct flow *f = &r->flows.slot[i];
		struct listener *l;

		if (!(f->flags & FLOW_F_USED) || f->listener >= FWD_ID_MAX)
			continue;
		l = r->listeners[f->listener];
		for (d = 0; l && d < FSIDES; d++)
			l->live[d] += f->bytes[d];
	}
}
