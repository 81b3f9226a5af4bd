// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chan.c - the relay's control channels: supervisor and both agents
 *
 * DOC: Theory of Operation
 *
 * ipc_recv() has already checked everything about a message's shape
 * (length, type, direction, descriptor count, field ranges); this file
 * checks what it means in the relay's state, and any violation is fatal:
 * the relay exits, naming the channel and the reason, and the supervisor
 * sees it go.  End of file from an agent is fatal for the same reason; end
 * of file from the supervisor is the normal way to stop.
 *
 * Supervisor -> relay, in order: RELAY_LIMITS once (the flow table is sized
 * from it), then batches of FORWARD x n + CONFIG_DONE {n}; each batch is
 * answered with RELAY_READY {n}.  Only then does the supervisor ask the
 * agents to bind, so a LISTENER for an id the relay does not know yet can
 * only mean that its FORWARD is still unread on the supervisor channel
 * (epoll may report the agent channel first): the supervisor channel is
 * drained before the id is declared unknown.
 *
 * Agent -> relay: LISTENER + fd (listener.c), POOL_FDS + fds (pool.c),
 * NS_ADDRS.  The side of an agent is the channel it speaks on, never a
 * field of the message.
 *
 * Each wake-up reads at most CHAN_MSGS_MAX messages, so a chatty channel
 * cannot starve the flows (the epoll is level-triggered: the rest comes
 * on the next round).
 *
 * The relay's only requests, POOL_REQ, go out on non-blocking channels.
 * One that finds the channel full is retried by chan_pool_retry() once the
 * channel polls writable.
 *
 * Syscalls: recvmsg (ipc_recv), send (ipc_send, never with descriptors),
 * epoll_ctl.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "relay/relay_int.h"
#include "relay/target.h"

/* CHAN_MSGS_MAX - messages handled per channel wake-up */
#define CHAN_MSGS_MAX		64

/**
 * sup_forward() - record one FORWARD
 * @r:		relay
 * @fwd:	validated forward
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *sup_forward(struct relay *r, const struct msg_forward *fwd)
{
	struct listener *l;
	int taf = target_family(fwd);

	if (!r->have_limits)
		return "FORWARD before RELAY_LIMITS";
	if (r->listeners[fwd->id])
		return "duplicate listener id";
	/* connect() to 0.0.0.0 or :: (or ::ffff:0.0.0.0) reaches loopback */
	if ((fwd->flags & FWD_F_TARGET_ADDR) &&
	    (inany_is_any(taf, &fwd->target_addr) ||
	     (taf == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&fwd->target_addr.a6) &&
	      !fwd->target_addr.a6.s6_addr32[3])))
		return "unspecified target address";
	l = calloc(1, sizeof(*l));
	if (!l)
		fatal("out of memory for listener %u", fwd->id);
	l->fwd = *fwd;
	l->fd = -1;
	l->next_disarmed = LISTENER_NONE;
	r->listeners[fwd->id] = l;
	r->nforwards++;
	r->batch++;
	r->pools[!fwd->listen_side][pool_fam_index(taf)].needed = true;
	ndebug("forward %u: port %u on the %s side -> port %u%s", fwd->id,
	       fwd->listen_port, fwd->listen_side == SIDE_HOST ? "host"
							      : "target",
	       fwd->target_port,
	       fwd->flags & FWD_F_TARGET_ADDR ? " (explicit address)" : "");
	return NULL;
}

/**
 * sup_config_done() - end of a FORWARD batch: fill pools, say ready
 * @r:		relay
 * @done:	CONFIG_DONE with the supervisor's count
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *sup_config_done(struct relay *r,
				   const struct msg_config_done *done)
{
	struct msg_config_done ready = { .count = done->count };
	unsigned s, fam;

	if (!r->have_limits)
		return "CONFIG_DONE before RELAY_LIMITS";
	if (done->count != r->batch)
		return "CONFIG_DONE count differs from FORWARDs sent";
	for (s = 0; s < SIDE_COUNT; s++)
		for (fam = 0; fam < POOL_FAMILIES; fam++)
			pool_refill(&r->pools[s][fam], &r->chan[CHAN_AGENT(s)],
				    pool_fam_af(fam));
	if (ipc_send(&r->chan[CHAN_SUPERVISOR], MSG_RELAY_READY, &ready,
		     NULL, 0)) {
		int err = errno;

		fatal("supervisor: sending RELAY_READY: %s", strerror(err));
	}
	ninfo("configuration: %u forwards in this batch, %u in total; ready",
	      r->batch, r->nforwards);
	r->batch = 0;
	return NULL;
}

/**
 * sup_limits() - RELAY_LIMITS: size the flow table and the pipe budget
 * @r:		relay
 * @l:		validated limits
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *sup_limits(struct relay *r,
			      const struct msg_relay_limits *l)
{
	if (r->have_limits)
		return "RELAY_LIMITS sent twice";
	r->limits = *l;
	r->have_limits = true;
	pipes_set_limits(&r->pipes, l);
	return relay_table_init(r) ? "cannot size the flow table" : NULL;
}

/**
 * sup_handle() - act on one message from the supervisor
 * @r:		relay
 * @m:		validated message
 */
static void sup_handle(struct relay *r, struct ipc_msg *m)
{
	const char *why;

	switch (m->type) {
	case MSG_RELAY_LIMITS:
		why = sup_limits(r, &m->u.limits);
		break;
	case MSG_FORWARD:
		why = sup_forward(r, &m->u.forward);
		break;
	case MSG_CONFIG_DONE:
		why = sup_config_done(r, &m->u.done);
		break;
	default:
		why = "unexpected message";
		break;
	}
	if (why)
		fatal("supervisor: protocol violation: %s (%s)", why,
		      ipc_type_name(m->type));
}

/**
 * sup_drain() - handle what the supervisor sent
 * @r:		relay
 * @max:	most messages to handle
 *
 * Sets r->stop when the supervisor closed its channel.
 */
static void sup_drain(struct relay *r, unsigned max)
{
	struct ipc_chan *c = &r->chan[CHAN_SUPERVISOR];
	struct ipc_msg m;
	const char *why;
	unsigned i;

	for (i = 0; i < max && !r->stop; i++) {
		int rc = ipc_recv(c, &m, &why);

		if (rc == IPC_AGAIN)
			return;
		if (rc == IPC_EOF) {
			ninfo("supervisor closed its channel: stopping");
			r->stop = true;
			return;
		}
		if (rc < 0)
			fatal("%s: %s", c->name, why ? why : "receive failed");
		sup_handle(r, &m);
	}
}

/**
 * agent_listener() - LISTENER: register a listening socket
 * @r:		relay
 * @side:	side of the agent
 * @m:		message with one descriptor
 *
 * Return: NULL on success or when stopping, else the protocol violation
 */
static const char *agent_listener(struct relay *r, unsigned side,
				  struct ipc_msg *m)
{
	if (!r->listeners[m->u.listener.id]) {
		/* Its FORWARD may still be queued on the supervisor channel */
		ndebug("listener %u: unknown yet, reading the supervisor first",
		       m->u.listener.id);
		sup_drain(r, UINT_MAX);
		if (r->stop) {
			ipc_close_fds(m);
			return NULL;
		}
	}
	return listener_add(r, side, m);
}

/**
 * agent_pool_fds() - POOL_FDS: add sockets to a pool
 * @r:		relay
 * @side:	side of the agent
 * @m:		message with its sockets
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *agent_pool_fds(struct relay *r, unsigned side,
				  struct ipc_msg *m)
{
	int af = (int)m->u.pool_fds.family;
	const char *why;

	why = pool_receive(&r->pools[side][pool_fam_index(af)], m);
	if (!why)
		r->rearm = true;
	return why;
}

/**
 * agent_ns_addrs() - NS_ADDRS: the side's external addresses changed
 * @r:		relay
 * @side:	side of the agent
 * @a:		validated addresses
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *agent_ns_addrs(struct relay *r, unsigned side,
				  const struct msg_ns_addrs *a)
{
	char b4[INANY_STRLEN], b6[INANY_STRLEN];

	/* ipc.c rejects loopback; unspecified would reach loopback too */
	if ((a->flags & NS_ADDR_F_V4) && inany_is_any(AF_INET, &a->addr4))
		return "unspecified IPv4 address";
	if ((a->flags & NS_ADDR_F_V6) &&
	    (inany_is_any(AF_INET6, &a->addr6) ||
	     IN6_IS_ADDR_V4MAPPED(&a->addr6.a6)))
		return "unspecified or IPv4-mapped IPv6 address";
	r->ns_addrs[side] = *a;
	ninfo("%s side: external addresses %s, %s",
	      side == SIDE_HOST ? "host" : "target",
	      a->flags & NS_ADDR_F_V4 ? inany_ntop(AF_INET, &a->addr4, b4,
						   sizeof(b4)) : "no IPv4",
	      a->flags & NS_ADDR_F_V6 ? inany_ntop(AF_INET6, &a->addr6, b6,
						   sizeof(b6)) : "no IPv6");
	return NULL;
}

/**
 * agent_handle() - act on one message from an agent
 * @r:		relay
 * @side:	side of the agent
 * @m:		validated message
 */
static void agent_handle(struct relay *r, unsigned side, struct ipc_msg *m)
{
	const char *why;

	switch (m->type) {
	case MSG_LISTENER:
		why = agent_listener(r, side, m);
		break;
	case MSG_POOL_FDS:
		why = agent_pool_fds(r, side, m);
		break;
	case MSG_NS_ADDRS:
		why = agent_ns_addrs(r, side, &m->u.ns_addrs);
		break;
	default:
		why = "unexpected message";
		break;
	}
	if (!why)
		return;
	ipc_close_fds(m);
	fatal("%s: protocol violation: %s (%s)", r->chan[CHAN_AGENT(side)].name,
	      why, ipc_type_name(m->type));
}

/**
 * agent_drain() - handle what an agent sent
 * @r:		relay
 * @side:	side of the agent
 * @max:	most messages to handle
 */
static void agent_drain(struct relay *r, unsigned side, unsigned max)
{
	struct ipc_chan *c = &r->chan[CHAN_AGENT(side)];
	struct ipc_msg m;
	const char *why;
	unsigned i;

	for (i = 0; i < max && !r->stop; i++) {
		int rc = ipc_recv(c, &m, &why);

		if (rc == IPC_AGAIN)
			return;
		if (rc == IPC_EOF)
			fatal("%s: channel closed", c->name);
		if (rc < 0)
			fatal("%s: %s", c->name, why ? why : "receive failed");
		agent_handle(r, side, &m);
	}
}

/**
 * chan_pool_retry() - resend POOL_REQs that found an agent channel full
 * @r:		relay
 *
 * Called from the main loop after every batch of events.  While a request
 * is still pending, the agent channel is also polled for EPOLLOUT, so the
 * retry happens even if nothing else wakes the relay (its listeners may
 * all be disarmed waiting for exactly these sockets).
 */
void chan_pool_retry(struct relay *r)
{
	unsigned s, fam;

	for (s = 0; s < SIDE_COUNT; s++) {
		unsigned ch = CHAN_AGENT(s);
		bool pending = false;

		for (fam = 0; fam < POOL_FAMILIES; fam++) {
			struct sock_pool *p = &r->pools[s][fam];

			if (p->retry)
				pool_refill(p, &r->chan[ch], pool_fam_af(fam));
			pending |= p->retry;
		}
		if (pending == r->chan_out[ch])
			continue;
		if (!relay_ep_ctl(r, EPOLL_CTL_MOD, r->chan[ch].fd,
				  EPOLLIN | (pending ? EPOLLOUT : 0),
				  ev_encode(EV_CHAN, ch, 0, 0)))
			r->chan_out[ch] = pending;
	}
}

/**
 * chan_event() - a control channel is readable (or hung up)
 * @r:		relay
 * @ch:		CHAN_*
 * @events:	epoll events
 */
void chan_event(struct relay *r, unsigned ch, uint32_t events)
{
	ntrace("%s: events 0x%x", r->chan[ch].name, events);
	if (ch == CHAN_SUPERVISOR)
		sup_drain(r, CHAN_MSGS_MAX);
	else
		agent_drain(r, ch - CHAN_AGENT(0), CHAN_MSGS_MAX);
}
