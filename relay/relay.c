// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.c - the relay role: one epoll loop moving bytes with splice()
 *
 * DOC: Theory of Operation
 *
 * | process | lives in | holds | may not |
 * |---|---|---|---|
 * | relay | its own empty namespaces | the accepted and pooled sockets it
 * was given, its pipes | create a socket, open a file, exec, fork, gain
 * any privilege |
 *
 * The relay owns the data path.  It accepts on the listeners the agents
 * gave it, takes a pooled socket of the other side, connects it and splices
 * both ways.  It can neither create sockets nor open files (the only
 * descriptors it makes are its epoll instance, pipes, and the sockets
 * accept4() returns), so a compromised relay can only use the sockets it
 * already holds.  It never sends a descriptor.
 *
 * At start (relay_main()) descriptor 2 is the log pipe, 3 the channel to
 * the supervisor, 4 and 5 the channels to agent[host] and agent[target],
 * everything else is closed and SIGPIPE is ignored.  The relay raises its
 * RLIMIT_NOFILE soft limit to the hard one, says HELLO, and from then on
 * only reacts to epoll events:
 *
 *  - channels (chan.c): configuration from the supervisor, listeners,
 *    pool sockets and addresses from the agents;
 *  - listeners (listener.c): accept, with back-pressure;
 *  - flow sockets (splice.c): the splice state machine.
 *
 * After each batch of events the main loop hands freed pipes to flows
 * waiting for one and re-arms listeners that were waiting for a slot or a
 * pool socket, so neither ever nests inside an event handler.  The epoll
 * is level-triggered, epoll_wait() has no timeout: there is no timer, and
 * an idle relay sleeps.
 *
 * Descriptor budget (RLIMIT_NOFILE, after raising it): every flow holds two
 * sockets; the rest is FD_RESERVE, see fd_reserve().  The flow table has
 * min(FLOW_SLOTS_MAX, (nofile - FD_RESERVE) / 2, RELAY_LIMITS.max_conns)
 * slots; listeners beyond LISTENER_FDS_RESERVED lower the limit further at
 * run time (relay_flow_limit()).  Keeping within the budget matters beyond
 * accept4(): a recvmsg() that cannot install the descriptors it carries
 * truncates them, and a truncated message is a protocol violation.
 *
 * Syscalls: epoll_create1, epoll_ctl, epoll_wait, accept4, connect,
 * shutdown, splice, pipe2, fcntl (F_GETFL, F_SETFL, F_GETPIPE_SZ,
 * F_SETPIPE_SZ), getsockopt (SO_ERROR, SO_DOMAIN, SO_TYPE, SO_PROTOCOL,
 * SO_ACCEPTCONN), setsockopt (SO_LINGER), recvmsg, send (no descriptors),
 * write (log, fd 2), close, getrlimit/setrlimit (prlimit64), getpid,
 * clock_gettime (rate-limited logging), brk/mmap/munmap (malloc),
 * exit_group.  No socket(), open*(), bind(), listen(), getpeername(),
 * sendmsg().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "relay/relay.h"
#include "relay/relay_int.h"
#include "seccomp/sandbox.h"	/* sandbox hook, see relay_sandbox_connect() */

/* EVENTS_MAX - epoll events fetched per epoll_wait() */
#define EVENTS_MAX		256

/*
 * FD_RESERVE_BASE - descriptors 0..2, three channels, the epoll instance,
 * rounded up for slack
 */
#define FD_RESERVE_BASE		16

/* FD_RESERVE_IPC - descriptors of one message being received, plus one */
#define FD_RESERVE_IPC		(IPC_FDS_MAX + 1)

/* FD_RESERVE_POOL - every socket pool full, sockets in flight included */
#define FD_RESERVE_POOL		(SIDE_COUNT * POOL_FAMILIES * POOL_TARGET)

/* LISTENER_FDS_RESERVED - listeners the reserve covers; more lower the limit */
#define LISTENER_FDS_RESERVED	256

/* FLOW_SLOTS_MIN - below this many flows, RLIMIT_NOFILE is too low to run */
#define FLOW_SLOTS_MIN		16

static const char *const chan_names[CHAN_COUNT] = {
	"supervisor", "agent host", "agent target"
};

/**
 * relay_ep_ctl() - epoll_ctl() on the relay's epoll instance
 * @r:		relay
 * @op:		EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL
 * @fd:		descriptor
 * @events:	event mask (ignored for EPOLL_CTL_DEL)
 * @data:	ev_encode() value (ignored for EPOLL_CTL_DEL)
 *
 * Return: 0 on success, -1 with errno set
 */
int relay_ep_ctl(struct relay *r, int op, int fd, uint32_t events,
		 uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	int err;

	if (!epoll_ctl(r->epfd, op, fd, &ev))
		return 0;
	err = errno;
	nwarn("epoll_ctl(%d, fd %d): %s", op, fd, strerror(err));
	errno = err;
	return -1;
}

/**
 * fd_reserve() - descriptors the relay needs besides flow sockets
 * @r:		relay, with its pipe budget set
 *
 * Return: channels and epoll, one IPC message's descriptors, full socket
 * pools, LISTENER_FDS_RESERVED listeners, and two per pipe in the budget
 */
static unsigned long fd_reserve(const struct relay *r)
{
	return FD_RESERVE_BASE + FD_RESERVE_IPC + FD_RESERVE_POOL +
	       LISTENER_FDS_RESERVED + 2UL * r->pipes.count_max;
}

/**
 * relay_flow_limit() - recompute how many flows may exist now
 * @r:		relay
 *
 * The table size, lowered by one flow per two listeners beyond
 * LISTENER_FDS_RESERVED.  Flows above a lowered limit are not closed;
 * listeners just wait until enough of them end.
 */
void relay_flow_limit(struct relay *r)
{
	unsigned long extra = 0, avail, res = fd_reserve(r);
	uint32_t old = r->flow_limit;

	if (r->nlisteners > LISTENER_FDS_RESERVED)
		extra = r->nlisteners - LISTENER_FDS_RESERVED;
	avail = r->nofile > res + extra ? (r->nofile - res - extra) / 2 : 0;
	r->flow_limit = avail < r->flows.size ? (uint32_t)avail
					      : r->flows.size;
	if (r->flow_limit > old)
		r->rearm = true;
}

/**
 * relay_table_init() - size and allocate the flow table
 * @r:		relay, with RELAY_LIMITS stored
 *
 * Return: 0 on success, -1 if the descriptor limit leaves fewer than
 * FLOW_SLOTS_MIN flows or memory is short
 */
int relay_table_init(struct relay *r)
{
	unsigned long res = fd_reserve(r), size = 0;

	if (r->nofile > res)
		size = (r->nofile - res) / 2;
	if (size < FLOW_SLOTS_MIN) {
		nerr("RLIMIT_NOFILE %lu leaves room for %lu flows only",
		     r->nofile, size);
		return -1;
	}
	if (size > FLOW_SLOTS_MAX)
		size = FLOW_SLOTS_MAX;
	if (r->limits.max_conns && r->limits.max_conns < size)
		size = r->limits.max_conns;
	if (flow_table_init(&r->flows, (uint32_t)size))
		return -1;
	relay_flow_limit(r);
	ninfo("flow table: %lu slots (descriptor limit %lu, reserve %lu)",
	      size, r->nofile, res);
	return 0;
}

/**
 * nofile_raise() - raise the descriptor soft limit to the hard one
 *
 * Return: the soft limit now in force
 */
static unsigned long nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		fatal("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			nwarn("raising RLIMIT_NOFILE to %llu: %s",
			      (unsigned long long)rl.rlim_max,
			      strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/**
 * relay_chan_setup() - make a channel non-blocking and poll it
 * @r:		relay
 * @ch:		CHAN_*
 * @fd:		fixed descriptor of the channel
 * @peer:	enum ipc_role at the other end
 */
static void relay_chan_setup(struct relay *r, unsigned ch, int fd,
			     unsigned peer)
{
	struct ipc_chan *c = &r->chan[ch];
	int fl = fcntl(fd, F_GETFL);

	c->fd = fd;
	c->self = ROLE_RELAY;
	c->peer = peer;
	c->name = chan_names[ch];
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		fatal("%s channel (fd %d): %s", c->name, fd, strerror(errno));
	if (relay_ep_ctl(r, EPOLL_CTL_ADD, fd, EPOLLIN,
			 ev_encode(EV_CHAN, ch, 0, 0)))
		fatal("%s channel: cannot poll it", c->name);
}

/**
 * relay_setup() - everything before the first message
 * @r:		relay, zeroed
 */
static void relay_setup(struct relay *r)
{
	struct msg_hello hello = { .version = IPC_PROTO_VERSION,
				   .role = ROLE_RELAY, .side = 0,
				   .pid = (uint32_t)getpid() };
	unsigned s, fam;

	r->nofile = nofile_raise();
	pipes_init(&r->pipes, r->nofile);
	r->disarmed_head = r->disarmed_tail = LISTENER_NONE;
	r->flows.free_head = r->flows.wait_head = FLOW_NONE;
	for (s = 0; s < SIDE_COUNT; s++)
		for (fam = 0; fam < POOL_FAMILIES; fam++)
			pool_init(&r->pools[s][fam]);
	r->listeners = calloc(FWD_ID_MAX, sizeof(*r->listeners));
	if (!r->listeners)
		fatal("out of memory for the listener table");
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		fatal("epoll_create1: %s", strerror(errno));
	relay_chan_setup(r, CHAN_SUPERVISOR, IPC_FD_SUPERVISOR,
			 ROLE_SUPERVISOR);
	relay_chan_setup(r, CHAN_AGENT(SIDE_HOST), IPC_FD_AGENT_HOST,
			 ROLE_AGENT);
	relay_chan_setup(r, CHAN_AGENT(SIDE_TARGET), IPC_FD_AGENT_TARGET,
			 ROLE_AGENT);
	if (ipc_send(&r->chan[CHAN_SUPERVISOR], MSG_HELLO, &hello, NULL, 0))
		fatal("supervisor: sending HELLO: %s", strerror(errno));
}

/**
 * relay_dispatch() - route one epoll event
 * @r:		relay
 * @e:		event
 *
 * Events for a flow or listener that was closed or replaced since its
 * registration carry an old generation and are dropped here.
 */
static void relay_dispatch(struct relay *r, const struct epoll_event *e)
{
	struct ev_ref ref = ev_decode(e->data.u64);
	struct listener *l;
	struct flow *f;

	switch (ref.kind) {
	case EV_CHAN:
		if (ref.idx < CHAN_COUNT)
			chan_event(r, ref.idx, e->events);
		break;
	case EV_LISTENER:
		l = ref.idx < FWD_ID_MAX ? r->listeners[ref.idx] : NULL;
		if (l && l->fd >= 0 && l->gen == ref.gen &&
		    l->wait == LWAIT_NONE)
			listener_event(r, l, e->events);
		break;
	case EV_FLOW:
		f = flow_lookup(&r->flows, ref.idx, ref.gen);
		if (f)
			flow_event(r, f, ref.side, e->events);
		break;
	default:
		break;
	}
}

/**
 * relay_sandbox_connect() - sandbox hook: limit connect() to target ports
 * @r:		relay, whose first FORWARD batch is complete
 *
 * Added by the sandbox (seccomp/sandbox.c, SECURITY.md): Landlock can only
 * allow connect() to ports it is told about, and the relay learns them
 * from FORWARD.  Called once, after the round of events in which the first
 * CONFIG_DONE was handled: listeners only arrive after RELAY_READY, and a
 * listener added in this round cannot report a client before the next
 * epoll_wait(), so no connect() happens before the rule is in force.
 */
static void relay_sandbox_connect(const struct relay *r)
{
	uint32_t id;

	for (id = 0; id < FWD_ID_MAX; id++)
		if (r->listeners[id])
			sandbox_relay_connect_allow(r->listeners[id]->fwd.target_port);
	sandbox_relay_connect_lock();
}

/**
 * relay_loop() - wait for events and handle them until told to stop
 * @r:		relay
 */
static void relay_loop(struct relay *r)
{
	struct epoll_event ev[EVENTS_MAX];
	int i;

	while (!r->stop) {
		int n = epoll_wait(r->epfd, ev, EVENTS_MAX, -1);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			fatal("epoll_wait: %s", strerror(err));
		}
		for (i = 0; i < n && !r->stop; i++)
			relay_dispatch(r, &ev[i]);
		if (r->flows.wait_head != FLOW_NONE)
			flow_serve_waiters(r);
		if (r->rearm)
			listener_rearm(r);
		chan_pool_retry(r);
		/* Sandbox hook: connect rules once the first batch is in
		 * (FORWARDs counted, CONFIG_DONE reset the batch count);
		 * test-only attempts (NSPLICE_TESTING builds) after that. */
		if (sandbox_relay_connect_pending() && r->have_limits &&
		    r->nforwards && !r->batch)
			relay_sandbox_connect(r);
		sandbox_relay_tick();
	}
}

/**
 * relay_teardown() - close everything the relay holds
 * @r:		relay
 */
static void relay_teardown(struct relay *r)
{
	unsigned s, fam, ch;

	ninfo("stopping: %llu connections accepted, %llu refused, %llu "
	      "errors, %llu bytes client->server, %llu server->client",
	      (unsigned long long)r->cnt.accepted,
	      (unsigned long long)r->cnt.refused,
	      (unsigned long long)r->cnt.errors,
	      (unsigned long long)r->cnt.bytes[FSIDE_CLIENT],
	      (unsigned long long)r->cnt.bytes[FSIDE_SERVER]);
	flow_close_all(r);
	listener_close_all(r);
	for (s = 0; s < SIDE_COUNT; s++)
		for (fam = 0; fam < POOL_FAMILIES; fam++)
			pool_fini(&r->pools[s][fam]);
	pipes_fini(&r->pipes);
	flow_table_fini(&r->flows);
	for (ch = 0; ch < CHAN_COUNT; ch++)
		ipc_chan_close(&r->chan[ch]);
	close(r->epfd);
}

/**
 * relay_main() - run the relay role
 *
 * Return: 0 when the supervisor closes its channel; protocol violations and
 * a lost agent end the process through fatal()
 */
int relay_main(void)
{
	static struct relay relay;

	memset(&relay, 0, sizeof(relay));
	relay_setup(&relay);
	relay_loop(&relay);
	relay_teardown(&relay);
	return 0;
}
