// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent.c - the namespace agent: listeners and socket pools of one side
 *
 * DOC: Theory of Operation
 *
 * One agent runs per side.  agent[host] stays in the namespace nsplice was
 * started in; agent[target] enters the target's namespace once, right
 * after exec (enter.c), and never leaves.  Each holds the listening
 * sockets of its side and creates the unconnected sockets the relay
 * connects: a socket belongs to the namespace it was created in, so the
 * relay, which creates none, reaches each side only through its agent.
 *
 * What it holds: listeners and, briefly, fresh pool sockets of its side.
 * What it may not do: read or write a payload byte (it never sees a
 * connected socket), keep capabilities it does not need, be ptraced.
 *
 * Channels: the supervisor sends AGENT_CONF, POOL_ALLOW, BIND, UNBIND,
 * CONFIG_DONE and, when the relay was replaced, RELAY_CHAN with the new
 * channel; the relay sends POOL_REQ.  Everything arrives through
 * ipc_recv(), which has validated length, type, direction, descriptor
 * count and fields; anything else that is wrong (more sockets than the
 * cap) is a protocol violation and ends the agent, which the supervisor
 * notices; a relay asking for a family no forward needs from this side is
 * reported (pool.c) and no longer served.
 *
 * Isolation, in order: exec'd in the caller's namespaces; enter the target
 * namespace (agent[target] only); drop capabilities, NO_NEW_PRIVS,
 * non-dumpable (enter.c); raise the descriptor limit, create the timer and
 * open what listening-port scans read (scan.c);
 * then Landlock and the agents' seccomp allowlist (seccomp/sandbox.c,
 * seccomp/agent.c), after which it can neither exec, nor leave or change
 * its namespace, nor open a file.  Anything it must read later is opened
 * before that point.
 *
 * Syscalls: poll, read (timerfd), recvmsg, sendmsg, send, socket,
 * setsockopt, bind, listen, close, getifaddrs' netlink calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ipc/log.h"
#include "nsagent/agent.h"
#include "seccomp/sandbox.h"

/* AGENT_TICK_SEC - address refresh, pool retry and port scan period,
 * seconds */
#define AGENT_TICK_SEC	1

/**
 * raise_nofile() - raise the descriptor limit to its hard maximum
 *
 * An agent keeps one listener per forwarded port and family, which for
 * large ranges is far above the usual soft limit of 1024.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/**
 * agent_send() - send to a channel; a vanished supervisor ends the agent
 * @c:		channel
 * @type:	enum ipc_type
 * @payload:	typed payload
 * @fds:	descriptors, or NULL
 * @nfds:	number of descriptors
 *
 * The supervisor closing its end (EPIPE, ECONNRESET) means nsplice is
 * stopping: exit quietly rather than report an error nobody needs.  The
 * relay closing its end means it died and will be replaced: the message is
 * dropped, as it is on a channel already closed.
 */
void agent_send(const struct ipc_chan *c, unsigned type, const void *payload,
		const int *fds, unsigned nfds)
{
	if (c->fd < 0)
		return;		/* relay gone: the supervisor is stopping */
	if (!ipc_send(c, type, payload, fds, nfds))
		return;
	/* A relay that died is restarted: its channel's end of file is
	 * handled by the loop (RELAY_CHAN brings the next one); only the
	 * supervisor leaving means nsplice is stopping. */
	if ((errno == EPIPE || errno == ECONNRESET) && c->peer == ROLE_RELAY)
		return;
	if (errno == EPIPE || errno == ECONNRESET)
		exit(EXIT_SUCCESS);
	fatal("cannot send %s to the %s: %s", ipc_type_name(type), c->name,
	      strerror(errno));
}

/**
 * agent_new_relay() - RELAY_CHAN: the relay was replaced
 * @a:		agent state
 * @m:		RELAY_CHAN with the new channel's descriptor
 *
 * The old channel is closed (a relay being replaced drains its flows and
 * needs no more sockets); the new relay gets every listener again and the
 * namespace's addresses, and owes nothing from before.
 */
static void agent_new_relay(struct agent *a, struct ipc_msg *m)
{
	const char *why = ipc_chan_check(m->fds[0]);

	if (why || m->u.chan.side != (uint32_t)a->side)
		fatal("supervisor: protocol violation: RELAY_CHAN: %s",
		      why ? why : "wrong side");
	/* The seccomp filter lets descriptors leave only through fixed
	 * numbers: the new channel takes the old one's. */
	if (dup3(m->fds[0], IPC_FD_PEER, O_CLOEXEC) != IPC_FD_PEER)
		fatal("RELAY_CHAN: dup3: %s", strerror(errno));
	a->relay.fd = IPC_FD_PEER;
	a->pending[0] = a->pending[1] = 0;
	a->held[0] = a->held[1] = 0;
	/* The new relay's POOL_REQs wait for the POOL_ALLOW that follows */
	a->allow_seen = false;
	agent_resend_listeners(a);
	a->addrs_sent = false;
	agent_addrs_refresh(a);
	ninfo("serving a new relay");
}

/**
 * agent_relay_lost() - stop serving the relay: it died or misbehaved
 * @a:		agent state
 *
 * Listeners stay bound.  Descriptor 4 stays taken (by a placeholder) so
 * no socket lands there before RELAY_CHAN moves the new channel onto it.
 */
void agent_relay_lost(struct agent *a)
{
	ipc_chan_close(&a->relay);
	if (dup3(IPC_FD_SUPERVISOR, IPC_FD_PEER, O_CLOEXEC) < 0)
		fatal("dup3: %s", strerror(errno));
	a->pending[0] = a->pending[1] = 0;
	a->held[0] = a->held[1] = 0;
}

/**
 * on_sup_msg() - a message from the supervisor
 * @a:		agent state
 * @m:		validated message
 */
static void on_sup_msg(struct agent *a, struct ipc_msg *m)
{
	struct msg_config_done done;

	switch (m->type) {
	case MSG_BIND:
		agent_answer_bind(a, m);
		break;
	case MSG_UNBIND:
		agent_answer_unbind(a, m->u.id.id);
		break;
	case MSG_AGENT_CONF:
		a->conf = m->u.agent_conf;
		a->conf_seen = true;
		/* Turned on again: the supervisor forgot what was reported
		 * (live_agent_conf()), so the next report is a whole one */
		if (a->conf.scan && !a->scan.on) {
			memset(a->scan.sent, 0, sizeof(a->scan.sent));
			a->scan.reported = false;
		}
		a->scan.on = a->conf.scan;
		agent_pool_fill(a);
		break;
	case MSG_RELAY_CHAN:
		agent_new_relay(a, m);
		break;
	case MSG_POOL_ALLOW:
		agent_pool_allow(a, &m->u.pool_allow);
		break;
	case MSG_UDP_TARGET:
		agent_udp_target(a, &m->u.forward);
		break;
	case MSG_UDP_TARGET_DEL:
		agent_udp_target_del(a, m->u.id.id);
		break;
	case MSG_CONFIG_DONE:
		if (m->u.done.count != a->batch)
			fatal("supervisor sent %u BINDs but announced %u",
			      a->batch, m->u.done.count);
		done.count = a->batch;
		a->batch = 0;
		agent_send(&a->sup, MSG_AGENT_READY, &done, NULL, 0);
		break;
	default:
		fatal("unexpected %s from the supervisor",
		      ipc_type_name(m->type));
	}
}

/**
 * on_relay_msg() - a message from the relay
 * @a:		agent state
 * @m:		validated message
 */
static void on_relay_msg(struct agent *a, struct ipc_msg *m)
{
	if (m->type == MSG_UDP_POOL_REQ) {
		agent_answer_udp_pool_req(a, &m->u.udp_req);
		return;
	}
	if (m->type != MSG_POOL_REQ)
		fatal("unexpected %s from the relay", ipc_type_name(m->type));
	agent_answer_pool_req(a, &m->u.pool_req);
}

/**
 * agent_read_chan() - handle every pending message on one channel
 * @a:		agent state
 * @c:		channel
 * @fn:		handler
 *
 * Return: false once the channel is closed by its peer
 */
static bool agent_read_chan(struct agent *a, const struct ipc_chan *c,
			    void (*fn)(struct agent *, struct ipc_msg *))
{
	const char *why;
	struct ipc_msg m;
	int ret;

	for (;;) {
		ret = ipc_recv(c, &m, &why);
		if (ret == IPC_AGAIN)
			return true;
		if (ret == IPC_EOF ||
		    (ret == IPC_ERR_IO && errno == ECONNRESET))
			return false;
		if (ret < 0)
			fatal("bad message from the %s: %s", c->name, why);
		fn(a, &m);
		ipc_close_fds(&m);
	}
}

/**
 * on_tick() - timer: refresh addresses, retry owed pool sockets
 * @a:		agent state
 */
static void on_tick(struct agent *a)
{
	uint64_t ticks;

	if (read(a->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	agent_addrs_refresh(a);
	agent_pool_fill(a);
	agent_scan_tick(a);
}

/**
 * start_timer() - create the periodic timer
 * @a:		agent state
 */
static void start_timer(struct agent *a)
{
	struct itimerspec its = { { AGENT_TICK_SEC, 0 }, { AGENT_TICK_SEC, 0 } };

	a->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->timer_fd < 0 || timerfd_settime(a->timer_fd, 0, &its, NULL))
		fatal("timerfd: %s", strerror(errno));
}

/**
 * agent_loop() - serve both channels until the supervisor goes away
 * @a:		agent state
 *
 * Return: exit status
 */
static int agent_loop(struct agent *a)
{
	struct pollfd p[3];

	for (;;) {
		p[0] = (struct pollfd){ a->sup.fd, POLLIN, 0 };
		p[1] = (struct pollfd){ a->relay.fd, POLLIN, 0 };
		p[2] = (struct pollfd){ a->timer_fd, POLLIN, 0 };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (p[0].revents && !agent_read_chan(a, &a->sup, on_sup_msg))
			return EXIT_SUCCESS;
		if (p[1].revents &&
		    !agent_read_chan(a, &a->relay, on_relay_msg)) {
			/* The supervisor reports why */
			ndebug("relay closed its channel");
			agent_relay_lost(a);
		}
		/* A POOL_ALLOW sent before the FORWARD that made the relay
		 * ask may still be unread: read it before judging. */
		if ((a->held[0] || a->held[1]) &&
		    !agent_read_chan(a, &a->sup, on_sup_msg))
			return EXIT_SUCCESS;
		agent_pool_judge(a);
		if (p[2].revents)
			on_tick(a);
	}
}

/**
 * agent_main() - run an agent
 * @side:		enum nsp_side
 * @keep_bind_cap:	keep CAP_NET_BIND_SERVICE for ports below 1024
 *
 * Return: exit status
 */
int agent_main(int side, bool keep_bind_cap)
{
	struct msg_hello h = { IPC_PROTO_VERSION, ROLE_AGENT, 0, 0 };
	struct agent a;

	memset(&a, 0, sizeof(a));
	a.side = side;
	a.sup = (struct ipc_chan){ IPC_FD_SUPERVISOR, ROLE_AGENT,
				   ROLE_SUPERVISOR, "supervisor" };
	a.relay = (struct ipc_chan){ IPC_FD_PEER, ROLE_AGENT, ROLE_RELAY,
				     "relay" };
	if (side == SIDE_TARGET)
		agent_enter_netns();
	agent_drop_privileges(keep_bind_cap);
	raise_nofile();
	start_timer(&a);
	agent_scan_open(&a);
	sandbox_agent_enter();

	h.side = (uint32_t)side;
	h.pid = (uint32_t)getpid();
	agent_send(&a.sup, MSG_HELLO, &h, NULL, 0);
	agent_addrs_refresh(&a);
	return agent_loop(&a);
}
