// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chan.c - the relay's control channels: supervisor and both agents
 *
 * DOC: Theory of Operation
 *
 * ipc_recv() has already checked everything about a message's shape
 * (length, type, direction, descriptor count, field ranges); this file
 * checks what it means in the relay's state.  A violation by the
 * supervisor is fatal: the relay exits, naming the reason, and the
 * supervisor sees it go.  A violation by an agent costs only what that
 * agent concerns, as a violation costs a child of OpenSSH's monitor its
 * session and nothing else (chan_agent_violation()): its channel is closed,
 * the pool sockets it sent are closed, and the supervisor is told
 * (AGENT_BAD) so it kills and restarts that agent, whose successor's
 * channel comes as AGENT_CHAN.  Established flows, the listeners (the
 * relay's own copies of sockets that belong to the namespace) and the
 * other agent are not touched.  End of file from an agent is its end, and
 * the supervisor restarts it; end of file from the supervisor is the
 * normal way to stop.
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
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "relay/relay_int.h"
#include "relay/target.h"
#include "relay/udp.h"
#include "seccomp/sandbox.h"

/* CHAN_MSGS_MAX - messages handled per channel wake-up */
#define CHAN_MSGS_MAX		64

/**
 * chan_sup_forward_update() - FORWARD for a live listener: new PROXY flag or
 *			  target
 * @l:		the listener the id names, not removed
 * @fwd:	validated forward with the same id
 *
 * Only FWD_F_PROXY and, for a TCP forward, the target port and (with
 * FWD_F_TARGET_ADDR) the target address within its family may differ
 * (msg.h): the same pool serves it.  The supervisor sends a port only
 * within the Landlock rules it started this relay with; any other is
 * refused by connect() (EACCES, counted and logged as for a target that
 * does not listen).  Both apply to connections accepted from now on,
 * flows already open keep what they started with.  Not part of a batch:
 * @r->batch is not counted.
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_forward_update(struct listener *l,
					   const struct msg_forward *fwd)
{
	struct msg_forward same = *fwd;
	bool tcp = !(fwd->flags & FWD_F_UDP);
	bool addr = tcp && (fwd->flags & FWD_F_TARGET_ADDR);

	same.flags = (uint8_t)((fwd->flags & ~FWD_F_PROXY) |
			       (l->fwd.flags & FWD_F_PROXY));
	if (addr)
		same.target_addr = l->fwd.target_addr;
	if (tcp)
		same.target_port = l->fwd.target_port;
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison): no padding */
	if (memcmp(&same, &l->fwd, sizeof(same)))
		return "duplicate listener id";
	if (addr && !inany_loopback_safe(target_family(fwd), &fwd->target_addr,
					 INANY_USE_TARGET))
		return "unspecified target address";
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison): no padding */
	if ((addr && memcmp(&fwd->target_addr, &l->fwd.target_addr,
			    sizeof(fwd->target_addr))) ||
	    fwd->target_port != l->fwd.target_port) {
		char ip[INANY_STRLEN] = "";

		if (addr)
			inany_ntop(target_family(fwd), &fwd->target_addr, ip,
				   sizeof(ip));
		ninfo("forward %u: new connections go to %s%sport %u", fwd->id,
		      ip, ip[0] ? " " : "", fwd->target_port);
	}
	if ((fwd->flags ^ l->fwd.flags) & FWD_F_PROXY)
		ninfo("forward %u: PROXY header %s for new connections",
		      fwd->id, fwd->flags & FWD_F_PROXY ? "on" : "off");
	l->fwd = *fwd;
	return NULL;
}

/**
 * chan_sup_forward() - record one FORWARD
 * @r:		relay
 * @fwd:	validated forward
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_forward(struct relay *r,
				    const struct msg_forward *fwd)
{
	char name[FWD_NAME_LEN];
	struct listener *l, *old;
	int taf = target_family(fwd);

	if (!r->have_limits)
		return "FORWARD before RELAY_LIMITS";
	if (r->draining)
		return "FORWARD while draining";
	old = r->listeners[fwd->id];
	if (old && !old->removed)
		return chan_sup_forward_update(old, fwd);
	/* Checked by ipc.c already; again here, where it is stored */
	if ((fwd->flags & FWD_F_TARGET_ADDR) &&
	    !inany_loopback_safe(taf, &fwd->target_addr, INANY_USE_TARGET))
		return "unspecified target address";
	l = calloc(1, sizeof(*l));
	if (!l)
		fatal("out of memory for listener %u", fwd->id);
	l->fwd = *fwd;
	l->fd = -1;
	/* An id reused while flows of its removed forward are still open:
	 * they now count towards the new one, which is wrong only in
	 * statistics and only until they end. */
	l->open = old ? old->open : 0;
	l->next_disarmed = LISTENER_NONE;
	listener_group_join(r, l, old);
	free(old);
	r->listeners[fwd->id] = l;
	r->nforwards++;
	r->batch++;
	/* A UDP forward's sockets come connected, from its own pools */
	if (!(fwd->flags & FWD_F_UDP))
		r->pools[!fwd->listen_side][pool_fam_index(taf)].needed = true;
	ndebug("forward %u: %s%s", fwd->id, fwd_name(fwd, name),
	       fwd->flags & FWD_F_TARGET_ADDR ? ", to an explicit address"
					      : "");
	return NULL;
}

/**
 * chan_sup_config_done() - end of a FORWARD batch: fill pools, say ready
 * @r:		relay
 * @done:	CONFIG_DONE with the supervisor's count
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_config_done(struct relay *r,
					const struct msg_config_done *done)
{
	struct msg_config_done ready = { .count = done->count };
	unsigned s, fam;
	struct sock_pool *p;

	if (!r->have_limits)
		return "CONFIG_DONE before RELAY_LIMITS";
	if (done->count != r->batch)
		return "CONFIG_DONE count differs from FORWARDs sent";
	pool_foreach(r, s, fam, p)
		pool_refill(p, &r->chan[CHAN_AGENT(s)], pool_fam_af(fam));
	if (ipc_send(&r->chan[CHAN_SUPERVISOR], MSG_RELAY_READY, &ready,
		     NULL, 0)) {
		int err = errno;

		/* The supervisor left first: nsplice is stopping, quietly */
		if (err == EPIPE || err == ECONNRESET) {
			r->stop = true;
			return NULL;
		}
		fatal("supervisor: sending RELAY_READY: %s", strerror(err));
	}
	ninfo("configuration: %u forwards in this batch, %u in total; ready",
	      r->batch, r->nforwards);
	r->batch = 0;
	r->configured = true;
	return NULL;
}

/**
 * chan_sup_limits() - RELAY_LIMITS: size the flow table and the pipe budget
 * @r:		relay
 * @l:		validated limits
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_limits(struct relay *r,
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
 * chan_sup_forward_del() - FORWARD_DEL: stop listening on one forward
 * @r:		relay
 * @id:		listener id
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_forward_del(struct relay *r, uint32_t id)
{
	if (!r->listeners[id] || r->listeners[id]->removed)
		return "unknown listener id";
	listener_remove(r, id);
	return NULL;
}

/**
 * chan_agent_close() - close an agent's channel, keep its number taken
 * @r:		relay
 * @side:	the agent's side, channel open
 */
static void chan_agent_close(struct relay *r, unsigned side)
{
	unsigned ch = CHAN_AGENT(side), fam;
	struct sock_pool *p;

	ipc_chan_close(&r->chan[ch]);	/* close() leaves the epoll set */
	/* Keep the channel's fixed number taken (by a placeholder), so
	 * accept4() cannot put a client there before AGENT_CHAN moves the
	 * new channel onto it (the seccomp filter names channels by
	 * number). */
	if (dup3(IPC_FD_SUPERVISOR, (int)(IPC_FD_AGENT_HOST + side),
		 O_CLOEXEC) < 0)
		fatal("dup3: %s", strerror(errno));
	r->chan_out[ch] = false;
	side_pool_foreach(r, side, fam, p)
		p->outstanding = 0;
	udp_agent_lost(r, side);
}

/**
 * chan_agent_lost() - an agent closed its channel: it ended
 * @r:		relay
 * @side:	its side
 *
 * Not fatal: the supervisor restarts the agent and hands the relay a new
 * channel (AGENT_CHAN).  Until then the pools of that side are not
 * refilled; the sockets in them stay usable, they belong to the
 * namespace, not to the agent.
 */
static void chan_agent_lost(struct relay *r, unsigned side)
{
	unsigned ch = CHAN_AGENT(side);

	if (r->chan[ch].fd < 0)
		return;
	/* The supervisor reports the agent's end, with its cause. */
	if (!r->draining)
		ninfo("%s closed its channel: waiting for its successor",
		      r->chan[ch].name);
	chan_agent_close(r, side);
}

/**
 * chan_agent_report_bad() - tell the supervisor an agent broke the protocol
 * @r:		relay
 * @side:	the agent's side
 *
 * The supervisor kills and restarts it (the relay cannot: it signals no
 * process).  A report that finds the supervisor channel full stays
 * pending and is tried again after every round of events
 * (chan_report_retry()).
 */
static void chan_agent_report_bad(struct relay *r, unsigned side)
{
	struct msg_chan bad = { .side = side };

	r->report_bad &= ~(1U << side);
	if (!ipc_send(&r->chan[CHAN_SUPERVISOR], MSG_AGENT_BAD, &bad, NULL,
		      0))
		return;
	if (errno == EAGAIN)
		r->report_bad |= 1U << side;
	else
		nwarn("supervisor: sending AGENT_BAD: %s", strerror(errno));
}

/**
 * chan_report_retry() - send AGENT_BAD reports that found the channel full
 * @r:		relay
 */
void chan_report_retry(struct relay *r)
{
	unsigned side;

	for (side = 0; side < SIDE_COUNT; side++)
		if (r->report_bad & (1U << side))
			chan_agent_report_bad(r, side);
}

/**
 * chan_agent_cut_off() - stop trusting one agent's channel, and only that
 * @r:		relay
 * @side:	its side
 *
 * The channel is closed and so are the pool sockets the agent sent: they
 * came from a process the relay no longer trusts, and its successor sends
 * fresh ones.  Listeners are kept: their sockets are the relay's own
 * copies, already checked, and the supervisor does not bind them again.
 * Flows go on.  Until the successor's AGENT_CHAN, forwards that connect
 * through this side wait in their listen backlog (LWAIT_POOL).  The
 * supervisor is told (AGENT_BAD) so that it replaces the agent.
 */
static void chan_agent_cut_off(struct relay *r, unsigned side)
{
	unsigned fam;
	struct sock_pool *p;

	chan_agent_close(r, side);
	side_pool_foreach(r, side, fam, p)
		pool_fini(p);
	chan_agent_report_bad(r, side);
}

/**
 * chan_agent_violation() - an agent broke the protocol: cut it off, alone
 * @r:		relay
 * @side:	its side
 * @why:	the violation
 * @type:	type of the offending message, 0 if none was read
 */
static void chan_agent_violation(struct relay *r, unsigned side,
				 const char *why, unsigned type)
{
	nerr("%s: protocol violation: %s%s%s%s; closing its channel, flows go "
	     "on", r->chan[CHAN_AGENT(side)].name, why, type ? " (" : "",
	     type ? ipc_type_name(type) : "", type ? ")" : "");
	chan_agent_cut_off(r, side);
}

/**
 * chan_agent_failed() - reading an agent's channel failed: cut it off
 * @r:		relay
 * @side:	its side
 * @err:	errno of the failed recvmsg()
 *
 * Not a violation (the kernel said no, not the agent), but a channel that
 * lost or may have lost a message cannot be trusted to be in step, so it
 * ends the same way.
 */
static void chan_agent_failed(struct relay *r, unsigned side, int err)
{
	nerr("%s: receive failed: %s; closing its channel, flows go on",
	     r->chan[CHAN_AGENT(side)].name, strerror(err));
	chan_agent_cut_off(r, side);
}

/**
 * chan_sup_agent_chan() - AGENT_CHAN: the channel to a restarted agent
 * @r:		relay
 * @m:		message with one descriptor, taken on success
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_agent_chan(struct relay *r, struct ipc_msg *m)
{
	unsigned side = m->u.chan.side, ch = CHAN_AGENT(side), fam;
	struct sock_pool *p;
	struct ipc_chan *c = &r->chan[ch];
	const char *why;
	int fd = m->fds[0], fl;

	if (r->draining)
		return "AGENT_CHAN while draining";
	if ((why = ipc_chan_check(fd)))
		return why;
	if (c->fd >= 0)
		chan_agent_lost(r, side);	/* its EOF is still queued */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return "cannot make the new channel non-blocking";
	if (dup3(fd, (int)(IPC_FD_AGENT_HOST + side), O_CLOEXEC) < 0)
		return "cannot move the new channel to its number";
	close(fd);
	m->fds[0] = -1;
	m->nfds = 0;
	fd = (int)(IPC_FD_AGENT_HOST + side);
	if (relay_ep_ctl(r, EPOLL_CTL_ADD, fd, EPOLLIN,
			 ev_encode(EV_CHAN, ch, 0, 0)))
		return "cannot poll the new channel";
	c->fd = fd;
	ninfo("%s: new channel", c->name);
	side_pool_foreach(r, side, fam, p)
		pool_refill(p, c, pool_fam_af(fam));
	udp_agent_back(r, side);
	return NULL;
}

/**
 * chan_sup_drain() - DRAIN: hand over to a new relay, finish the flows
 * @r:		relay
 *
 * Listeners and agent channels are closed (the new relay has its own
 * copies and channels), pool sockets too; flows go on, and the loop ends
 * once the last one does.  A UDP forward's replies can only go out of
 * its listening socket: one with flows keeps it, unpolled, for a grace
 * in which replies in flight still reach their clients (udp.c, "Drain").
 * Draining is set first: from here on no listener is freed, so the
 * supervisor, which counts what a draining relay still moves, gets every
 * forward's counters in the reports to come and in the last one.
 */
static void chan_sup_drain(struct relay *r)
{
	uint32_t id;
	unsigned s, fam;
	struct sock_pool *p;

	if (r->draining)
		return;
	r->draining = true;
	for (id = 0; id < FWD_ID_MAX; id++)
		if (r->listeners[id] && !r->listeners[id]->removed &&
		    !udp_forward_drain(r, r->listeners[id]))
			listener_remove(r, id);
	for (s = 0; s < SIDE_COUNT; s++) {
		chan_agent_lost(r, s);
		side_pool_foreach(r, s, fam, p) {
			pool_fini(p);
			pool_init(p);
		}
	}
	ninfo("draining: %u connection%s and %u UDP flow%s still open",
	      r->flows.used, r->flows.used == 1 ? "" : "s",
	      udp_flows_open(r), udp_flows_open(r) == 1 ? "" : "s");
}

/**
 * stats_start() - start a report, or restart the one under way
 * @r:		relay
 * @seq:	sequence number its STATS_DONE echoes
 * @listeners:	one STATS per listener first
 */
static void stats_start(struct relay *r, uint32_t seq, bool listeners)
{
	r->stats.active = true;
	r->stats.seq = seq;
	r->stats.listeners = listeners;
	r->stats.cursor = 0;
	if (listeners)
		listener_live_bytes(r);
}

/**
 * chan_sup_stats_req() - STATS_REQ: start a report
 * @r:		relay
 * @q:		request
 *
 * Return: NULL (a request during a report restarts it)
 */
static const char *chan_sup_stats_req(struct relay *r,
				      const struct msg_stats_req *q)
{
	stats_start(r, q->seq, q->flags & STATS_F_LISTENERS);
	return NULL;
}

/**
 * chan_stats_last() - a draining relay without flows: may it exit
 * @r:		relay
 *
 * What its flows moved since the supervisor last asked would end with it,
 * so its last report goes out first, unasked: every listener (removed
 * ones too, they are kept while draining) and a STATS_DONE with the
 * sequence number of a request under way, else 0, which answers nothing.
 * It is sent as any report, the rest when the channel polls writable.
 *
 * Return: true once that report is sent (or the supervisor is gone)
 */
bool chan_stats_last(struct relay *r)
{
	if (!r->draining || r->flows.used || udp_flows_open(r))
		return false;
	if (!r->stats.last) {
		r->stats.last = true;
		stats_start(r, r->stats.active ? r->stats.seq : 0, true);
		chan_stats_pump(r);
	}
	return !r->stats.active || r->stop;
}

/**
 * chan_sup_connect_allow() - CONNECT_ALLOW: more ports to allow connect() to
 * @r:		relay
 * @a:		validated range
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_sup_connect_allow(struct relay *r,
					  const struct msg_connect_allow *a)
{
	unsigned p;

	if (!sandbox_relay_connect_pending())
		return "CONNECT_ALLOW after the connect rules are fixed";
	if (!r->connect_ports) {
		r->connect_ports = calloc(PORTSET_BYTES, 1);
		if (!r->connect_ports)
			fatal("out of memory for the connect ports");
	}
	for (p = a->first; p <= a->last; p++)
		portset_add(r->connect_ports, (uint16_t)p);
	return NULL;
}

/**
 * chan_sup_handle() - act on one message from the supervisor
 * @r:		relay
 * @m:		validated message
 */
static void chan_sup_handle(struct relay *r, struct ipc_msg *m)
{
	const char *why;

	switch (m->type) {
	case MSG_RELAY_LIMITS:
		why = chan_sup_limits(r, &m->u.limits);
		break;
	case MSG_FORWARD:
		why = chan_sup_forward(r, &m->u.forward);
		break;
	case MSG_CONFIG_DONE:
		why = chan_sup_config_done(r, &m->u.done);
		break;
	case MSG_FORWARD_DEL:
		why = chan_sup_forward_del(r, m->u.id.id);
		break;
	case MSG_AGENT_CHAN:
		why = chan_sup_agent_chan(r, m);
		break;
	case MSG_DRAIN:
		chan_sup_drain(r);
		why = NULL;
		break;
	case MSG_STATS_REQ:
		why = chan_sup_stats_req(r, &m->u.stats_req);
		break;
	case MSG_CONNECT_ALLOW:
		why = chan_sup_connect_allow(r, &m->u.allow);
		break;
	default:
		why = "unexpected message";
		break;
	}
	ipc_close_fds(m);
	if (why)
		fatal("supervisor: protocol violation: %s (%s)", why,
		      ipc_type_name(m->type));
}

/**
 * chan_sup_read() - handle what the supervisor sent
 * @r:		relay
 * @max:	most messages to handle
 *
 * Sets r->stop when the supervisor closed its channel.
 */
static void chan_sup_read(struct relay *r, unsigned max)
{
	struct ipc_chan *c = &r->chan[CHAN_SUPERVISOR];
	struct ipc_msg m;
	const char *why;
	unsigned i;

	for (i = 0; i < max && !r->stop; i++) {
		int rc = ipc_recv(c, &m, &why);

		if (rc == IPC_AGAIN)
			return;
		/* ECONNRESET: it closed with our HELLO unread; the same */
		if (rc == IPC_EOF ||
		    (rc == IPC_ERR_IO && errno == ECONNRESET)) {
			ninfo("supervisor closed its channel: stopping");
			r->stop = true;
			return;
		}
		if (rc < 0)
			fatal("%s: %s", c->name, why ? why : "receive failed");
		chan_sup_handle(r, &m);
	}
}

/**
 * chan_agent_listener() - LISTENER: register a listening socket
 * @r:		relay
 * @side:	side of the agent
 * @m:		message with one descriptor
 *
 * Return: NULL on success or when stopping, else the protocol violation
 */
static const char *chan_agent_listener(struct relay *r, unsigned side,
				       struct ipc_msg *m)
{
	if (!r->listeners[m->u.listener.id]) {
		/* Its FORWARD may still be queued on the supervisor channel */
		ndebug("listener %u: unknown yet, reading the supervisor first",
		       m->u.listener.id);
		chan_sup_read(r, UINT_MAX);
		if (r->stop) {
			ipc_close_fds(m);
			return NULL;
		}
	}
	return listener_add(r, side, m);
}

/**
 * chan_agent_pool_fds() - POOL_FDS: add sockets to a pool
 * @r:		relay
 * @side:	side of the agent
 * @m:		message with its sockets
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_agent_pool_fds(struct relay *r, unsigned side,
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
 * chan_agent_ns_addrs() - NS_ADDRS: the side's external addresses changed
 * @r:		relay
 * @side:	side of the agent
 * @a:		validated addresses
 *
 * Return: NULL on success, else the protocol violation
 */
static const char *chan_agent_ns_addrs(struct relay *r, unsigned side,
				       const struct msg_ns_addrs *a)
{
	char b4[INANY_STRLEN], b6[INANY_STRLEN];

	/* Checked by ipc.c already; again here, where it is stored */
	if ((a->flags & NS_ADDR_F_V4) &&
	    !inany_loopback_safe(AF_INET, &a->addr4, INANY_USE_EXTERNAL))
		return "IPv4 address reaches loopback or is not unicast";
	if ((a->flags & NS_ADDR_F_V6) &&
	    !inany_loopback_safe(AF_INET6, &a->addr6, INANY_USE_EXTERNAL))
		return "IPv6 address reaches loopback or is not unicast";
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison): no padding */
	if (!memcmp(&r->ns_addrs[side], a, sizeof(*a)))
		return NULL;	/* a chatty agent gets no log line for it */
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
 * chan_agent_handle() - act on one message from an agent
 * @r:		relay
 * @side:	side of the agent
 * @m:		validated message
 */
static void chan_agent_handle(struct relay *r, unsigned side, struct ipc_msg *m)
{
	const char *why;

	switch (m->type) {
	case MSG_LISTENER:
		why = chan_agent_listener(r, side, m);
		break;
	case MSG_POOL_FDS:
		why = chan_agent_pool_fds(r, side, m);
		break;
	case MSG_UDP_POOL_FDS:
		why = udp_pool_fds(r, side, m);
		break;
	case MSG_NS_ADDRS:
		why = chan_agent_ns_addrs(r, side, &m->u.ns_addrs);
		break;
	default:
		why = "unexpected message";
		break;
	}
	if (!why)
		return;
	ipc_close_fds(m);
	chan_agent_violation(r, side, why, m->type);
}

/**
 * chan_agent_fds_truncated() - descriptors of an agent's message were lost
 * @r:		relay
 * @side:	side of the agent
 *
 * @m:		what the message said (type 0 if not even that is known)
 *
 * recvmsg() drops what it cannot install when the relay is at its
 * descriptor limit (an RLIMIT_NOFILE lowered under it, say).  Nothing
 * leaked - the kernel closed them - so a POOL_FDS or LISTENER losing its
 * descriptors is not treated as an attack: the pool forgets the sockets
 * it will never receive and asks again, and the listeners pause until a
 * flow closes or the next retry.  Anything else is still a violation.
 */
static void chan_agent_fds_truncated(struct relay *r, unsigned side,
				     const struct ipc_msg *m)
{
	static struct log_ratelimit rl;
	const char *name = r->chan[CHAN_AGENT(side)].name;
	struct sock_pool *p;
	int af;

	if (m->type == MSG_LISTENER) {
		/* Rare (descriptors ran out exactly during a hand-over):
		 * the agent keeps the port bound; a relay restart serves
		 * it again. */
		nerr("%s: listener %u lost to the descriptor limit", name,
		     m->u.listener.id);
	} else if (m->type == MSG_UDP_POOL_FDS) {
		udp_pool_lost(r, &m->u.udp_fds);
	} else if (m->type != MSG_POOL_FDS) {
		chan_agent_violation(r, side, "descriptors truncated", m->type);
		return;
	}
	if (log_due(&rl, LOG_LVL_WARN, LOG_CONDITION_SEC))
		nwarn("%s: descriptors dropped by the kernel (descriptor "
		      "limit reached); pausing listeners", name);
	af = (int)m->u.pool_fds.family;
	if (m->type == MSG_POOL_FDS && inany_af_valid(af)) {
		p = &r->pools[side][pool_fam_index(af)];
		/* Those sockets will never come: stop waiting for them */
		p->outstanding -= m->u.pool_fds.count < p->outstanding ?
				  m->u.pool_fds.count : p->outstanding;
		p->retry = true;
	}
	r->fd_pressure = true;
}

/**
 * chan_agent_read() - handle what an agent sent
 * @r:		relay
 * @side:	side of the agent
 * @max:	most messages to handle
 */
static void chan_agent_read(struct relay *r, unsigned side, unsigned max)
{
	struct ipc_chan *c = &r->chan[CHAN_AGENT(side)];
	struct ipc_msg m;
	const char *why;
	unsigned i;

	/* c->fd: a violation closes the channel in the middle */
	for (i = 0; i < max && !r->stop && c->fd >= 0; i++) {
		int rc = ipc_recv(c, &m, &why);

		if (rc == IPC_AGAIN)
			return;
		if (rc == IPC_EOF ||
		    (rc == IPC_ERR_IO && errno == ECONNRESET)) {
			chan_agent_lost(r, side);
			return;
		}
		if (rc == IPC_ERR_PROTO && why == ipc_why_ctrunc) {
			chan_agent_fds_truncated(r, side, &m);
			continue;
		}
		if (rc == IPC_ERR_IO) {
			chan_agent_failed(r, side, errno);
			return;
		}
		if (rc < 0) {
			chan_agent_violation(r, side,
					     why ? why : "bad message", 0);
			return;
		}
		chan_agent_handle(r, side, &m);
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
	struct sock_pool *p;

	for (s = 0; s < SIDE_COUNT; s++) {
		unsigned ch = CHAN_AGENT(s);
		bool pending = false;

		side_pool_foreach(r, s, fam, p) {
			/* Out of descriptors, sockets asked for would only be
			 * dropped on arrival: wait until some are free. */
			if (p->retry && !r->fd_pressure)
				pool_refill(p, &r->chan[ch], pool_fam_af(fam));
			pending |= p->retry && !r->fd_pressure;
		}
		if (pending == r->chan_out[ch] || r->chan[ch].fd < 0)
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
	if (r->chan[ch].fd < 0)
		return;		/* closed earlier in this round of events */
	if (ch == CHAN_SUPERVISOR)
		chan_sup_read(r, CHAN_MSGS_MAX);
	else
		chan_agent_read(r, ch - CHAN_AGENT(0), CHAN_MSGS_MAX);
}

/**
 * stats_send() - send one message of a report without blocking
 * @r:		relay
 * @type:	MSG_STATS or MSG_STATS_DONE
 * @payload:	typed payload
 *
 * Return: 0 if sent, -1 if the channel is full (try again when writable)
 */
static int stats_send(struct relay *r, unsigned type, const void *payload)
{
	struct ipc_chan *c = &r->chan[CHAN_SUPERVISOR];

	if (!ipc_send(c, type, payload, NULL, 0))
		return 0;
	if (errno == EAGAIN)
		return -1;
	if (errno == EPIPE || errno == ECONNRESET) {
		r->stop = true;		/* nsplice is stopping */
		return 0;
	}
	fatal("supervisor: sending %s: %s", ipc_type_name(type),
	      strerror(errno));
}

/**
 * stats_one() - the STATS record of one listener
 * @l:		listener
 * @st:		filled
 */
static void stats_one(const struct listener *l, struct msg_stats *st)
{
	unsigned d;

	memset(st, 0, sizeof(*st));
	st->id = l->fwd.id;
	st->open = l->open;
	st->accepted = l->cnt.accepted;
	st->refused = l->cnt.refused;
	st->errors = l->cnt.errors;
	for (d = 0; d < FSIDES; d++)
		st->bytes[d] = l->cnt.bytes[d] + l->live[d];
}

/**
 * stats_waiting() - listeners disarmed right now
 * @r:		relay
 *
 * Return: length of the disarmed list
 */
static uint32_t stats_waiting(const struct relay *r)
{
	uint32_t id = r->disarmed_head, n = 0;

	while (id != LISTENER_NONE && n < FWD_ID_MAX) {
		n++;
		id = r->listeners[id]->next_disarmed;
	}
	return n;
}

/**
 * chan_stats_pump() - send as much of a STATS report as the channel takes
 * @r:		relay
 *
 * Called after every round of events.  A report of many listeners can
 * fill the supervisor channel; the rest goes when it polls writable, so
 * the relay never blocks on its supervisor.
 */
void chan_stats_pump(struct relay *r)
{
	struct msg_stats_done done;
	struct msg_stats st;
	bool full = false;

	while (r->stats.active && r->stats.listeners &&
	       r->stats.cursor < FWD_ID_MAX && !full) {
		struct listener *l = r->listeners[r->stats.cursor];

		/* a draining relay's removed listeners still count flows */
		if (l && (!l->removed || r->draining)) {
			udp_drops_sync(r, l);
			stats_one(l, &st);
			udp_stats_fill(r, l, &st);
			if (stats_send(r, MSG_STATS, &st)) {
				full = true;
				break;
			}
		}
		r->stats.cursor++;
	}
	if (r->stats.active && !full) {
		memset(&done, 0, sizeof(done));
		done.seq = r->stats.seq;
		done.flows = r->flows.used;
		done.flow_limit = r->flow_limit;
		done.pipes = r->pipes.count;
		done.waiting = stats_waiting(r);
		if (stats_send(r, MSG_STATS_DONE, &done))
			full = true;
		else
			r->stats.active = false;
	}
	if (full == r->chan_out[CHAN_SUPERVISOR])
		return;
	if (!relay_ep_ctl(r, EPOLL_CTL_MOD, r->chan[CHAN_SUPERVISOR].fd,
			  EPOLLIN | (full ? EPOLLOUT : 0),
			  ev_encode(EV_CHAN, CHAN_SUPERVISOR, 0, 0)))
		r->chan_out[CHAN_SUPERVISOR] = full;
}
