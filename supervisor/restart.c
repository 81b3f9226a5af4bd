// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * restart.c - starting, restarting and replacing the children
 *
 * DOC: Theory of Operation
 *
 * Channels: every child has one to the supervisor; each agent has one to
 * the relay.  A child that starts later than its peers gets fresh
 * socketpairs, and the peer that stayed up is handed its end over its
 * supervisor channel:
 *
 *  - a new relay gets both agent channels as descriptors 4 and 5 at exec;
 *    the agents' ends are held (sup_child.peer_end) until the relay is
 *    READY - has every forward - and then go to each agent as RELAY_CHAN,
 *    after which the agent re-sends every listener it holds.  An agent
 *    that is itself starting takes the held end at exec instead.
 *  - a new agent gets its relay channel at exec; the relay's end goes to
 *    the running relay as AGENT_CHAN.  Without a relay the agent gets a
 *    channel whose other end is closed, and its real one comes as
 *    RELAY_CHAN when the next relay is READY.
 *
 * Restart policy: restarts are for children that have served.  A child
 * has served once it said HELLO (it entered its namespace, built its
 * sandbox and speaks the protocol) or nsplice was ready once (every
 * start-up listener bound, the relay READY: live.c first_ready()).  A
 * child of the first start that ends before HELLO met something a second
 * try would only repeat - a namespace it may not enter, a sandbox the
 * kernel refuses - and a start-up listener that cannot be bound is the
 * same (startup.c sup_bind_failed()): reported once, nsplice exits 2
 * (supervisor.c failed_unserved()).  Otherwise, a relay or
 * agent that ends while nsplice is not stopping
 * (crash, seccomp kill, kill -9, protocol violation) is started again
 * after 100 ms, doubling with each restart of the same child within
 * RESTART_WINDOW_SEC; a child is restarted at most RESTART_MAX times
 * within that window, and its next end stops nsplice with status 1.  The
 * agents keep every listening socket while the relay is down, so no port
 * is unbound and clients wait in the listen backlog.
 *
 * Replacement: a change that needs a target port the relay's Landlock
 * rules do not allow starts a new relay the same way; when it is READY the
 * old one gets DRAIN (it closes its listeners and agent channels, and
 * exits when its last flow ends) and is kept, up to DRAIN_MAX of them.
 * One more replacement kills the oldest (restart_drain_evict()): closing
 * its channel only asked it to stop, and a compromised relay that ignored
 * that kept its listeners, so a port removed since could not be bound
 * again.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "ipc/log.h"
#include "supervisor/supervisor.h"

/* RESTART_DELAY_MS, RESTART_DELAY_MAX_MS - back-off of restarts */
#define RESTART_DELAY_MS	100
#define RESTART_DELAY_MAX_MS	3200

static const char *const child_names[CH_COUNT] = {
	[CH_AGENT_HOST] = "agent host",
	[CH_AGENT_TARGET] = "agent target",
	[CH_RELAY] = "relay",
};

/**
 * seqpair() - a SOCK_SEQPACKET socketpair, close-on-exec
 * @fds:	filled
 *
 * Return: 0 or -1
 */
static int seqpair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

/**
 * child_reset() - forget everything about a child's last run
 * @s:		supervisor state
 * @id:		child
 */
static void child_reset(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *c = &s->ch[id];

	ipc_chan_close(&c->chan);
	c->name = child_names[id];
	c->pid = 0;
	c->hello = c->ready = false;
	c->eof_at = 0;
	c->bind_out = c->batches_out = 0;
	c->pump_next = 0;
}

/**
 * drop_peer_ends() - close held agent ends of relay channels
 * @s:		supervisor state
 */
static void drop_peer_ends(struct supervisor *s)
{
	int side;

	for (side = 0; side < SIDE_COUNT; side++) {
		if (s->ch[CH_RELAY].peer_end[side] >= 0)
			close(s->ch[CH_RELAY].peer_end[side]);
		s->ch[CH_RELAY].peer_end[side] = -1;
	}
}

/**
 * start_child() - fork and exec one child with its channel
 * @s:		supervisor state
 * @id:		child
 * @fds:	descriptors it gets (IPC_FD_SUPERVISOR is filled here)
 * @nfds:	length of @fds
 *
 * Return: 0 or -1 (errno set); on failure the child is not running
 */
static int start_child(struct supervisor *s, enum sup_child_id id, int *fds,
		       int nfds)
{
	struct sup_child *c = &s->ch[id];
	int sup[2];

	child_reset(s, id);
	if (seqpair(sup))
		return -1;
	fds[IPC_FD_LOG] = s->log_wfd;
	fds[IPC_FD_SUPERVISOR] = sup[1];
	c->chan = (struct ipc_chan){ sup[0], ROLE_SUPERVISOR,
				     id == CH_RELAY ? ROLE_RELAY : ROLE_AGENT,
				     child_names[id] };
	c->pid = spawn_role(s, id, fds, nfds);
	close(sup[1]);
	if (c->pid < 0) {
		c->pid = 0;
		ipc_chan_close(&c->chan);
		return -1;
	}
	c->ended = c->reported = false;
	return 0;
}

/**
 * start_relay() - start a relay with fresh channels to both agents
 * @s:		supervisor state
 * @give:	if not NULL, the agents' ends are stored here for the caller
 *		to hand over at exec (first start); else they are held
 *
 * Return: 0 or -1
 */
static int start_relay(struct supervisor *s, int give[SIDE_COUNT])
{
	int fds[IPC_FD_AGENT_TARGET + 1], pair[SIDE_COUNT][2], side, ret;

	memset(fds, -1, sizeof(fds));
	drop_peer_ends(s);
	for (side = 0; side < SIDE_COUNT; side++)
		if (seqpair(pair[side]))
			return -1;
	fds[IPC_FD_AGENT_HOST] = pair[SIDE_HOST][1];
	fds[IPC_FD_AGENT_TARGET] = pair[SIDE_TARGET][1];
	ret = start_child(s, CH_RELAY, fds, IPC_FD_AGENT_TARGET + 1);
	for (side = 0; side < SIDE_COUNT; side++) {
		close(pair[side][1]);
		if (give)
			give[side] = pair[side][0];
		else
			s->ch[CH_RELAY].peer_end[side] = pair[side][0];
	}
	return ret;
}

/**
 * agent_fds() - descriptors an agent gets at exec
 * @s:		supervisor state
 * @id:		agent
 * @fds:	filled: IPC_FD_PEER, and the namespace handles for target
 * @peer:	its end of a relay channel
 */
static void agent_fds(const struct supervisor *s, enum sup_child_id id,
		      int *fds, int peer)
{
	fds[IPC_FD_PEER] = peer;
	if (id == CH_AGENT_TARGET) {
		fds[IPC_FD_NETNS] = s->netns_fd;
		fds[IPC_FD_USERNS] = s->userns_fd;
	}
}

/**
 * start_agent() - (re)start an agent and connect it to the relay
 * @s:		supervisor state
 * @id:		agent
 *
 * Return: 0 or -1
 */
static int start_agent(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *r = &s->ch[CH_RELAY];
	int fds[IPC_FD_USERNS + 1], pair[2] = { -1, -1 }, peer, ret;
	struct msg_chan mc = { (uint32_t)id };

	memset(fds, -1, sizeof(fds));
	if (r->pid > 0 && r->peer_end[id] >= 0) {
		peer = r->peer_end[id];		/* a relay waits for us */
		r->peer_end[id] = -1;
	} else {
		if (seqpair(pair))
			return -1;
		peer = pair[0];
	}
	agent_fds(s, id, fds, peer);
	ret = start_child(s, id, fds, IPC_FD_USERNS + 1);
	close(peer);
	if (pair[1] >= 0) {
		/* A relay still starting takes it too: its own end for this
		 * side went to the agent that just died. */
		if (!ret && r->pid > 0 && r->chan.fd >= 0)
			sup_send(s, CH_RELAY, MSG_AGENT_CHAN, &mc, &pair[1], 1);
		close(pair[1]);
	}
	return ret;
}

/**
 * restart_start_all() - the first start of the relay and both agents
 * @s:		supervisor state
 *
 * Return: 0 or -1 (errno set)
 */
int restart_start_all(struct supervisor *s)
{
	int give[SIDE_COUNT] = { -1, -1 }, side, fds[IPC_FD_USERNS + 1];
	int ret = 0;

	for (side = 0; side < SIDE_COUNT; side++) {
		s->ch[side].name = child_names[side];
		s->ch[side].chan.fd = -1;
	}
	s->ch[CH_RELAY].peer_end[0] = s->ch[CH_RELAY].peer_end[1] = -1;
	if (start_relay(s, give))
		return -1;
	for (side = 0; side < SIDE_COUNT && !ret; side++) {
		memset(fds, -1, sizeof(fds));
		agent_fds(s, (enum sup_child_id)side, fds, give[side]);
		ret = start_child(s, (enum sup_child_id)side, fds,
				  IPC_FD_USERNS + 1);
	}
	for (side = 0; side < SIDE_COUNT; side++)
		close(give[side]);
	return ret;
}

/* DRAIN_NAME_MAX - "replaced relay (pid N)", for messages */
#define DRAIN_NAME_MAX		40

/**
 * drain_slot_clear() - an empty slot for a replaced relay
 * @d:		slot, whatever it held given up or moved elsewhere
 */
static void drain_slot_clear(struct sup_drain *d)
{
	*d = (struct sup_drain){ .pid = 0, .chan.fd = -1 };
}

/**
 * drain_slot_free() - a replaced relay is gone or given up: free its slot
 * @s:		supervisor state
 * @d:		its slot
 *
 * What it reported stays counted; a status report waiting for it is not
 * kept waiting.
 */
static void drain_slot_free(struct supervisor *s, struct sup_drain *d)
{
	ipc_chan_close(&d->chan);
	fwdtab_drain_end(d);
	drain_slot_clear(d);
	live_drain_gone(s);
}

/**
 * restart_drain_send() - send a message to a draining relay
 * @d:		the relay
 * @type:	enum ipc_type, one without descriptors
 * @payload:	typed payload
 *
 * Return: 0, or -1 with its channel closed (sup_chan_send())
 */
int restart_drain_send(struct sup_drain *d, unsigned type,
		       const void *payload)
{
	char who[DRAIN_NAME_MAX];

	snprintf(who, sizeof(who), "replaced relay (pid %d)", (int)d->pid);
	return sup_chan_send(&d->chan, d->pid, who, type, payload, NULL, 0);
}

/**
 * restart_drain_read() - take what a draining relay sent: its counters
 * @s:		supervisor state
 * @d:		the relay
 * @max:	most messages to take now (the poll is level-triggered)
 *
 * Its end of file closes the channel; the slot stays until it is reaped.
 * A malformed message means it is compromised: it is killed, as a relay
 * in service would be (supervisor.c), and reaped as usual.
 */
void restart_drain_read(struct supervisor *s, struct sup_drain *d,
			unsigned max)
{
	const char *why;
	struct ipc_msg m;
	unsigned i;
	int ret;

	for (i = 0; i < max && d->chan.fd >= 0 && !s->stopping; i++) {
		ret = ipc_recv(&d->chan, &m, &why);
		if (ret == IPC_AGAIN)
			return;
		if (ret == 1) {
			live_drain_msg(s, d, &m);
			ipc_close_fds(&m);
			continue;
		}
		if (ret != IPC_EOF &&
		    !(ret == IPC_ERR_IO && errno == ECONNRESET)) {
			nerr("protocol violation by a replaced relay: bad "
			     "message: %s", why);
			if (d->pid > 0)		/* not reaped yet */
				kill(d->pid, SIGKILL);
		}
		ipc_chan_close(&d->chan);
		return;
	}
}

/**
 * restart_drain_evict() - too many replaced relays: kill the oldest
 * @s:		supervisor state, every slot of @drain taken
 *
 * SIGKILL, as nothing else is sure to end a relay that does not want to
 * (closing its channel is only a request).  Its pid cannot name another
 * process: a slot's pid is cleared when that child is reaped
 * (restart_reap(), from the supervisor's only waitpid(), in this same
 * thread), so until then it names our child, alive or a zombie.  Its end
 * is reaped like any unknown child's, without a word; the warning here
 * says what it costs.  Its slot is freed at once.
 */
static void restart_drain_evict(struct supervisor *s)
{
	nwarn("more than %d replaced relays still have flows: killing the "
	      "oldest (pid %d), its connections and UDP flows are reset",
	      DRAIN_MAX, (int)s->drain[0].pid);
	if (kill(s->drain[0].pid, SIGKILL))
		nwarn("kill(%d, SIGKILL): %s", (int)s->drain[0].pid,
		      strerror(errno));
	drain_slot_free(s, &s->drain[0]);
	memmove(&s->drain[0], &s->drain[1],
		sizeof(s->drain[0]) * (DRAIN_MAX - 1));
	drain_slot_clear(&s->drain[DRAIN_MAX - 1]);
}

/**
 * restart_relay_ready() - the relay has every forward: connect the agents
 * @s:		supervisor state
 *
 * Agents that are up get their end of the new relay's channel now; a
 * relay being replaced is told to drain.
 */
void restart_relay_ready(struct supervisor *s)
{
	struct msg_config_done none = { 0 };
	int side, i;

	for (side = 0; side < SIDE_COUNT; side++)
		restart_agent_hello(s, (enum sup_child_id)side);
	if (!s->relay_new)
		return;
	s->relay_new = false;
	if (s->drain_pending.pid <= 0)
		return;
	for (i = 0; i < DRAIN_MAX && s->drain[i].pid > 0; i++)
		;
	if (i == DRAIN_MAX) {
		restart_drain_evict(s);
		i = DRAIN_MAX - 1;
	}
	s->drain[i] = s->drain_pending;
	drain_slot_clear(&s->drain_pending);
	(void)restart_drain_send(&s->drain[i], MSG_DRAIN, &none);
	ninfo("relay replaced: the old one (pid %d) finishes its flows",
	      (int)s->drain[i].pid);
}

/**
 * restart_agent_hello() - hand an agent its end of the relay's channel
 * @s:		supervisor state
 * @id:		agent, which may not be up yet
 */
void restart_agent_hello(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *r = &s->ch[CH_RELAY];
	struct msg_chan mc = { (uint32_t)id };

	if (!r->ready || r->peer_end[id] < 0 || s->ch[id].pid <= 0 ||
	    !s->ch[id].hello)
		return;
	sup_send(s, id, MSG_RELAY_CHAN, &mc, &r->peer_end[id], 1);
	close(r->peer_end[id]);
	r->peer_end[id] = -1;
	/* After RELAY_CHAN: the old relay is never judged by the new set */
	fwdtab_pool_allow(s, id);
}

/**
 * restart_agent_bad() - AGENT_BAD: the relay cut off an agent
 * @s:		supervisor state
 * @id:		child the report came from
 * @side:	the agent's side, < SIDE_COUNT (ipc.c)
 *
 * The relay closed that agent's channel after a protocol violation and
 * kept its flows; the agent is treated as for a violation on its own
 * channel: killed, and restarted by the usual policy, its successor's
 * channel going to the relay as AGENT_CHAN.  A compromised relay could
 * use this to have agents restarted, which costs no more than its own
 * crashes would: the same restart budget stops nsplice.
 */
void restart_agent_bad(struct supervisor *s, enum sup_child_id id,
		       uint32_t side)
{
	if (id != CH_RELAY) {
		sup_violation(s, id, NULL, "AGENT_BAD from an agent");
		return;
	}
	if (s->ch[side].pid <= 0)
		return;		/* it ended already: being restarted */
	sup_violation(s, (enum sup_child_id)side, NULL,
		      "on its relay channel, reported by the relay");
}

/**
 * restart_replace_relay() - start a relay that allows new target ports
 * @s:		supervisor state, relay ready and not being replaced
 */
void restart_replace_relay(struct supervisor *s)
{
	struct sup_child *r = &s->ch[CH_RELAY];

	ninfo("new target ports: starting a relay allowed to reach them");
	s->drain_pending = (struct sup_drain){ .pid = r->pid,
					       .chan = r->chan };
	r->chan.fd = -1;
	r->pid = 0;
	s->relay_new = true;
	s->relay_replace = false;
	fwdtab_drain_start(s, &s->drain_pending);	/* before its counters */
	fwdtab_relay_gone(s);				/* become the base */
	live_stats_abort(s);
	if (start_relay(s, NULL)) {
		nerr("cannot start a relay: %s", strerror(errno));
		restart_child_died(s, CH_RELAY);
	}
}

/**
 * backoff_ms() - record a restart and decide when it happens
 * @s:		supervisor state
 * @c:		child
 *
 * Return: delay in milliseconds, or -1 if the child restarted too often
 */
static long long backoff_ms(struct supervisor *s, struct sup_child *c)
{
	long now = (long)(clock_ms() / 1000);
	unsigned i, recent = 0;

	(void)s;
	for (i = 0; i < RESTART_MAX; i++)
		if (c->restart_t[i] && now - c->restart_t[i] < RESTART_WINDOW_SEC)
			recent++;
	if (recent >= RESTART_MAX)
		return -1;
	memmove(&c->restart_t[0], &c->restart_t[1],
		sizeof(c->restart_t[0]) * (RESTART_MAX - 1));
	c->restart_t[RESTART_MAX - 1] = now;
	if (RESTART_DELAY_MS << recent > RESTART_DELAY_MAX_MS)
		return RESTART_DELAY_MAX_MS;
	return RESTART_DELAY_MS << recent;
}

/**
 * restart_child_died() - a relay or agent is gone: schedule its successor
 * @s:		supervisor state
 * @id:		child
 */
void restart_child_died(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *c = &s->ch[id];
	long long delay;

	child_reset(s, id);
	if (id == CH_RELAY)
		fwdtab_relay_gone(s);
	else
		fwdtab_agent_gone(s, id);
	if (s->stopping)
		return;
	delay = backoff_ms(s, c);
	if (delay < 0) {
		nerr("%s ended again after %d restarts within %d s: giving up",
		     c->name, RESTART_MAX, RESTART_WINDOW_SEC);
		s->child_failed = true;
		sup_stop(s, EXIT_FAILURE, NULL);
		return;
	}
	c->restart_at = clock_ms() + delay;
	nwarn("restarting %s in %lld ms", c->name, delay);
}

/**
 * restart_tick() - start children whose back-off has passed
 * @s:		supervisor state
 */
void restart_tick(struct supervisor *s)
{
	int id;

	for (id = 0; id < CH_COUNT && !s->stopping; id++) {
		struct sup_child *c = &s->ch[id];
		int ret;

		if (!c->restart_at || clock_ms() < c->restart_at)
			continue;
		c->restart_at = 0;
		c->restarts++;
		ret = id == CH_RELAY ? start_relay(s, NULL)
				     : start_agent(s, (enum sup_child_id)id);
		if (ret) {
			nerr("cannot restart %s: %s", child_names[id],
			     strerror(errno));
			restart_child_died(s, (enum sup_child_id)id);
			continue;
		}
		nnotice("%s restarted (pid %d, restart %u)", child_names[id],
		      (int)c->pid, c->restarts);
	}
}

/**
 * restart_reap() - a child ended: old relay, or one to restart
 * @s:		supervisor state
 * @pid:	its pid
 * @st:		status from waitpid()
 *
 * Return: true if @pid was a draining relay (nothing more to do)
 */
bool restart_reap(struct supervisor *s, pid_t pid, int st)
{
	int i;

	if (s->drain_pending.pid == pid) {
		/* The relay being replaced died: its successor takes over */
		drain_slot_free(s, &s->drain_pending);
		return true;
	}
	for (i = 0; i < DRAIN_MAX; i++) {
		if (s->drain[i].pid != pid)
			continue;
		/* Reaped: its pid may name another process from now on.
		 * SIGCHLD may come before its last report is read. */
		s->drain[i].pid = 0;
		restart_drain_read(s, &s->drain[i], UINT_MAX);
		drain_slot_free(s, &s->drain[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			nwarn("replaced relay (pid %d) ended abnormally",
			      (int)pid);
		else
			ndebug("replaced relay (pid %d) finished its flows",
			       (int)pid);
		return true;
	}
	return false;
}

/**
 * restart_stop_all() - close every channel: each child takes it as the
 *			order to exit
 * @s:		supervisor state
 *
 * The relays first: they must see the supervisor leave, not their agents.
 */
void restart_stop_all(struct supervisor *s)
{
	int i;

	for (i = 0; i < DRAIN_MAX; i++)
		ipc_chan_close(&s->drain[i].chan);
	ipc_chan_close(&s->drain_pending.chan);
	for (i = CH_COUNT - 1; i >= 0; i--) {
		ipc_chan_close(&s->ch[i].chan);
		s->ch[i].restart_at = 0;
	}
	drop_peer_ends(s);
}

/**
 * restart_kill_all() - SIGKILL every child still running
 * @s:		supervisor state
 */
void restart_kill_all(struct supervisor *s)
{
	int i;

	for (i = 0; i < CH_COUNT; i++)
		if (s->ch[i].pid > 0 && !s->ch[i].ended)
			kill(s->ch[i].pid, SIGKILL);
	for (i = 0; i < DRAIN_MAX; i++)
		if (s->drain[i].pid > 0)
			kill(s->drain[i].pid, SIGKILL);
	if (s->drain_pending.pid > 0)
		kill(s->drain_pending.pid, SIGKILL);
}

/**
 * restart_all_gone() - have every relay and agent been reaped
 * @s:		supervisor state
 *
 * Return: true if none is running
 */
bool restart_all_gone(const struct supervisor *s)
{
	int i;

	for (i = 0; i < CH_COUNT; i++)
		if (s->ch[i].pid > 0 && !s->ch[i].ended)
			return false;
	for (i = 0; i < DRAIN_MAX; i++)
		if (s->drain[i].pid > 0)
			return false;
	return s->drain_pending.pid <= 0;
}
