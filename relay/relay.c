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
 *    pool sockets and addresses from the agents (an agent that breaks the
 *    protocol loses its channel, not the relay its flows);
 *  - listeners (listener.c): accept, with back-pressure;
 *  - flow sockets (splice.c): the splice state machine.
 *
 * After each batch of events the main loop closes flows past the idle
 * timeout when a sweep is due, hands freed pipes to flows waiting for one
 * and re-arms listeners that were waiting for a slot or a pool socket, so
 * none of these ever nests inside an event handler.  The epoll is
 * level-triggered.  Without an idle timeout (RELAY_LIMITS.idle_timeout 0)
 * epoll_wait() has no timeout and the clock is never read: an idle relay
 * sleeps.  With one, the clock is read once per round (clock_gettime(),
 * a vDSO call) and epoll_wait() sleeps at most until the next sweep (see
 * flow.c).
 *
 * Descriptor budget (RLIMIT_NOFILE, after raising it): every flow holds two
 * sockets; the rest is FD_RESERVE, see fd_reserve().  The flow table has
 * min(FLOW_SLOTS_MAX, (nofile - FD_RESERVE) / 2, RELAY_LIMITS.max_conns)
 * slots; listeners beyond LISTENER_FDS_RESERVED lower the limit further at
 * run time (relay_flow_limit()), and so do UDP's descriptors (its flows'
 * sockets and its pools, udp_fds_held()): TCP and UDP draw on one budget.
 * A new UDP flow is refused ("flow limit") when it would take a descriptor
 * the open TCP flows count on (relay_fd_room()).  Counted apart, TCP flows
 * and 10,000 UDP flows together asked for more than the limit, and the
 * relay lost descriptors the agents sent it.  Keeping within the budget
 * matters beyond accept4(): a recvmsg() that cannot install the
 * descriptors it carries truncates them, and a truncated message is a
 * protocol violation.
 *
 * Syscalls: epoll_create1, epoll_ctl, epoll_wait, accept4, connect,
 * shutdown, splice, pipe2, fcntl (F_GETFL, F_SETFL, F_GETPIPE_SZ,
 * F_SETPIPE_SZ), getsockopt (SO_ERROR, SO_DOMAIN, SO_TYPE, SO_PROTOCOL,
 * SO_ACCEPTCONN), setsockopt (SO_LINGER, TCP_CONGESTION), recvmsg, send
 * (no descriptors), write (log, fd 2), close, getrlimit/setrlimit
 * (prlimit64), getpid, clock_gettime (idle timeout, rate-limited logging;
 * vDSO where it can), brk/mmap/munmap (malloc), exit_group.  No
 * socket(), open*(), bind(), listen(), getpeername(), sendmsg().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "relay/relay.h"
#include "relay/relay_int.h"
#include "relay/udp.h"
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
#define FD_RESERVE_POOL	(SIDE_COUNT * POOL_FAMILIES * POOL_FILL_GOAL)

/* LISTENER_FDS_RESERVED - listeners the reserve covers; more lower the limit */
#define LISTENER_FDS_RESERVED	256

/* FD_RETRY_MS - with listeners paused for lack of descriptors and no flow
 * whose end would free some, try again this often, milliseconds */
#define FD_RETRY_MS		1000

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
	/* Removing what is no longer there (a listener closed while it was
	 * paused, at shutdown) is no cause for alarm. */
	if (op == EPOLL_CTL_DEL && err == ENOENT)
		ndebug("epoll_ctl(%d, fd %d): %s", op, fd, strerror(err));
	else
		nwarn("epoll_ctl(%d, fd %d): %s", op, fd, strerror(err));
	errno = err;
	return -1;
}

/**
 * fd_in_use() - descriptors held now other than flow sockets and pipes
 * @r:		relay
 *
 * Return: the fixed ones, one IPC message's, listeners and pool sockets
 * (received or asked for)
 */
static unsigned long fd_in_use(const struct relay *r)
{
	unsigned long n = FD_RESERVE_BASE + FD_RESERVE_IPC + r->nlisteners;
	unsigned s, fam;
	const struct sock_pool *p;

	pool_foreach(r, s, fam, p)
		n += p->avail + p->outstanding;
	return n;
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
	if (r->nofile_cut)
		return fd_in_use(r) + 2UL * r->pipes.count_max;
	return FD_RESERVE_BASE + FD_RESERVE_IPC + FD_RESERVE_POOL +
	       LISTENER_FDS_RESERVED + 2UL * r->pipes.count_max;
}

/**
 * relay_nofile_refresh() - follow a descriptor limit changed from outside
 * @r:		relay
 *
 * Called when accept4() or pipe2() runs out of descriptors.  Someone may
 * have lowered the relay's RLIMIT_NOFILE (prlimit) below what its budget
 * was sized for: the socket pools shrink to POOL_CUT_FILL_GOAL (their
 * sockets are the descriptors the relay can give back), and the budget is
 * recomputed from what the relay holds now, half the rest for pipes and
 * half for flows, so it stops accepting connections it could not give a
 * pipe, instead of accepting them and leaving them stuck.  A limit raised
 * again restores the usual budget.
 */
void relay_nofile_refresh(struct relay *r)
{
	unsigned long spare, used;
	unsigned s, fam;
	struct sock_pool *p;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == r->nofile)
		return;
	r->nofile = rl.rlim_cur;
	r->nofile_cut = r->nofile < r->nofile_start;
	pool_foreach(r, s, fam, p)
		pool_set_goal(p, r->nofile_cut ? POOL_CUT_FILL_GOAL :
						    POOL_FILL_GOAL);
	used = fd_in_use(r);
	spare = r->nofile > used ? r->nofile - used : 0;
	if (!r->nofile_cut)
		spare = r->nofile / PIPE_FDS_SHARE * 2;	/* as pipes_init() */
	spare /= 4;
	r->pipes.count_max = (unsigned)(spare < PIPES_MIN ? PIPES_MIN :
					spare > PIPES_MAX ? PIPES_MAX : spare);
	relay_flow_limit(r);
	nwarn("descriptor limit now %lu: at most %u flows, %u pipes",
	      r->nofile, r->flow_limit, r->pipes.count_max);
}

/**
 * fd_not_tcp() - descriptors held or promised other than TCP flows
 * @r:		relay
 *
 * Return: the reserve, the listeners beyond it (a cut budget counts every
 * listener in fd_reserve() already) and UDP's descriptors
 */
static unsigned long fd_not_tcp(const struct relay *r)
{
	unsigned long n = fd_reserve(r) + udp_fds_held(r);

	if (r->nlisteners > LISTENER_FDS_RESERVED && !r->nofile_cut)
		n += r->nlisteners - LISTENER_FDS_RESERVED;
	return n;
}

/**
 * relay_flow_limit() - recompute how many flows may exist now
 * @r:		relay
 *
 * The table size, lowered by one flow per two descriptors fd_not_tcp()
 * counts beyond the reserve (listeners past LISTENER_FDS_RESERVED, UDP).
 * Flows above a lowered limit are not closed; listeners just wait until
 * enough of them end.
 */
void relay_flow_limit(struct relay *r)
{
	unsigned long avail, held = fd_not_tcp(r);
	uint32_t old = r->flow_limit;

	avail = r->nofile > held ? (r->nofile - held) / 2 : 0;
	r->flow_limit = avail < r->flows.size ? (uint32_t)avail
					      : r->flows.size;
	if (r->flow_limit > old)
		r->rearm = true;
}

/**
 * relay_fd_room() - may something take @need more descriptors now
 * @r:		relay
 * @need:	descriptors it would hold
 *
 * Return: true if the reserve, the listeners beyond it, two per open TCP
 * flow and UDP's descriptors leave @need free
 */
bool relay_fd_room(const struct relay *r, unsigned need)
{
	return fd_not_tcp(r) + 2UL * r->flows.used + need <= r->nofile;
}

/**
 * relay_clock() - take the time of this loop round, if anything needs it
 * @r:		relay
 */
static void relay_clock(struct relay *r)
{
	if (r->flows.idle.timeout)
		flowtab_idle_clock(&r->flows, (uint64_t)clock_ms());
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
	/* Said, not only shown by ctl status: a user who asked for more
	 * than fits looks for the limit where they set it */
	if (r->limits.max_conns > size)
		nwarn("--max-conns %u cut to %lu: that is what descriptor "
		      "limit %lu leaves room for (2 per connection, %lu kept "
		      "in reserve); raise ulimit -n or LimitNOFILE= for more",
		      r->limits.max_conns, size, r->nofile, res);
	if (r->limits.max_conns && r->limits.max_conns < size)
		size = r->limits.max_conns;
	if (flowtab_init(&r->flows, (uint32_t)size))
		return -1;
	if (r->limits.idle_timeout) {
		flowtab_idle_set(&r->flows, r->limits.idle_timeout,
				 (uint64_t)clock_ms());
		ninfo("idle timeout: %u s", r->limits.idle_timeout);
	}
	if (r->limits.busy_poll_us)
		ninfo("busy-poll: %u us after each event",
		      r->limits.busy_poll_us);
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
	struct sock_pool *p;

	udp_hold_low_fds();
	r->nofile = r->nofile_start = nofile_raise();
	pipes_init(&r->pipes, r->nofile);
	r->disarmed_head = r->disarmed_tail = LISTENER_NONE;
	r->flows.free_head = r->flows.wait_head = FLOW_NONE;
	pool_foreach(r, s, fam, p)
		pool_init(p);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	r->listeners = calloc(FWD_ID_MAX, sizeof(*r->listeners));
	if (!r->listeners)
		fatal("out of memory for the listener table");
	/* Untouched pages of it cost nothing: most ports have no forward */
	r->groups = calloc(PORT_GROUPS, sizeof(*r->groups));
	if (!r->groups)
		fatal("out of memory for the port groups");
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		fatal("epoll_create1: %s", strerror(errno));
	relay_chan_setup(r, CHAN_SUPERVISOR, IPC_FD_SUPERVISOR,
			 ROLE_SUPERVISOR);
	relay_chan_setup(r, CHAN_AGENT(SIDE_HOST), IPC_FD_AGENT_HOST,
			 ROLE_AGENT);
	relay_chan_setup(r, CHAN_AGENT(SIDE_TARGET), IPC_FD_AGENT_TARGET,
			 ROLE_AGENT);
	if (!ipc_send(&r->chan[CHAN_SUPERVISOR], MSG_HELLO, &hello, NULL, 0))
		return;
	/* The supervisor closed its end first: nsplice is stopping (COMMAND
	 * exited at once, say), and that is no error of ours. */
	if (errno == EPIPE || errno == ECONNRESET) {
		ninfo("supervisor closed its channel before HELLO: stopping");
		_exit(EXIT_SUCCESS);
	}
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
		f = flowtab_lookup(&r->flows, ref.idx, ref.gen);
		if (f)
			splice_event(r, f, ref.side, e->events);
		break;
	case EV_UDP_LISTEN:
		l = ref.idx < FWD_ID_MAX ? r->listeners[ref.idx] : NULL;
		if (l && l->fd >= 0 && l->gen == ref.gen)
			udp_listen_event(r, l, e->events);
		break;
	case EV_UDP_FLOW:
		udp_flow_event(r, ref.idx, ref.gen);
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
static void relay_sandbox_connect(struct relay *r)
{
	uint32_t id;

	unsigned p;

	/* UDP forwards need no connect(): their sockets come connected */
	for (id = 0; id < FWD_ID_MAX; id++)
		if (r->listeners[id] &&
		    !(r->listeners[id]->fwd.flags & FWD_F_UDP))
			sandbox_relay_connect_allow(r->listeners[id]->fwd.target_port);
	for (p = 1; r->connect_ports && p < PORTSET_PORTS; p++)
		if (portset_has(r->connect_ports, (uint16_t)p))
			sandbox_relay_connect_allow((uint16_t)p);
	free(r->connect_ports);
	r->connect_ports = NULL;
	sandbox_relay_connect_lock();
}

/**
 * relay_wait() - one epoll_wait() of the main loop
 * @r:		relay
 * @ev:		EVENTS_MAX events, filled
 * @spin_until:	--busy-poll window: its end in clock_us() time, 0 if none
 *		is open; updated
 *
 * With --busy-poll (RELAY_LIMITS.busy_poll_us) every round that brought
 * events opens a window of that many microseconds in which epoll_wait()
 * is called with no timeout: the next packet of a request/response
 * exchange or of a bulk transfer is usually there within tens of
 * microseconds, and finding it by polling saves the sleep, the wake-up
 * and, on a virtual machine, the idle vCPU's exit and re-entry, which
 * cost more than the work.  An empty poll is no round at all (it has
 * nothing new to act on; timers wait at most one window), and a window
 * with nothing in it ends in an ordinary sleep, so an idle relay still
 * costs nothing.  Without the option the clock is not read for it.
 *
 * Return: events (0 when a sleep timed out), or -1 for no round: a signal
 * or an empty poll
 */
static int relay_wait(struct relay *r, struct epoll_event *ev,
		      int64_t *spin_until)
{
	int wait = udp_wait_ms(r, flowtab_idle_wait_ms(&r->flows));
	bool spin = *spin_until && clock_us() < *spin_until;
	int n;

	/* Out of descriptors with nothing left to close: retry each
	 * FD_RETRY_MS rather than wait for an event that may never come
	 * (the limit may have been raised again). */
	if (r->fd_pressure && (wait < 0 || wait > FD_RETRY_MS))
		wait = FD_RETRY_MS;
	n = epoll_wait(r->epfd, ev, EVENTS_MAX, spin ? 0 : wait);
	if (n < 0) {
		int err = errno;

		if (err == EINTR)
			return -1;
		fatal("epoll_wait: %s", strerror(err));
	}
	if (spin && !n)
		return -1;
	if (r->limits.busy_poll_us)
		*spin_until = n ? clock_us() + r->limits.busy_poll_us : 0;
	return n;
}

/**
 * relay_loop() - wait for events and handle them until told to stop
 * @r:		relay
 */
static void relay_loop(struct relay *r)
{
	struct epoll_event ev[EVENTS_MAX];
	int64_t spin_until = 0;
	int i;

	while (!r->stop && !chan_stats_last(r)) {
		int n = relay_wait(r, ev, &spin_until);

		if (n < 0)
			continue;
		relay_clock(r);
		if (!n && r->fd_pressure) {
			relay_nofile_refresh(r);
			r->fd_pressure = false;
			r->rearm = true;
		}
		for (i = 0; i < n && !r->stop; i++)
			relay_dispatch(r, &ev[i]);
		splice_idle_sweep(r);
		udp_tick(r);
		if (r->flows.wait_head != FLOW_NONE)
			splice_serve_waiters(r);
		if (r->rearm)
			listener_rearm(r);
		chan_pool_retry(r);
		if (r->report_bad)
			chan_report_retry(r);
		chan_stats_pump(r);
		/* Sandbox hook: connect rules once the first batch is in
		 * (FORWARDs counted, CONFIG_DONE reset the batch count);
		 * test-only attempts (NSPLICE_TESTING builds) after that. */
		if (sandbox_relay_connect_pending() && r->configured)
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
	struct sock_pool *p;

	ninfo("stopping: %llu connections accepted, %llu refused, %llu "
	      "errors, %llu bytes client->server, %llu server->client",
	      (unsigned long long)r->cnt.accepted,
	      (unsigned long long)r->cnt.refused,
	      (unsigned long long)r->cnt.errors,
	      (unsigned long long)r->cnt.bytes[FSIDE_CLIENT],
	      (unsigned long long)r->cnt.bytes[FSIDE_SERVER]);
	splice_close_all(r);
	udp_fini(r);
	listener_close_all(r);
	pool_foreach(r, s, fam, p)
		pool_fini(p);
	pipes_fini(&r->pipes);
	flowtab_fini(&r->flows);
	for (ch = 0; ch < CHAN_COUNT; ch++)
		ipc_chan_close(&r->chan[ch]);
	close(r->epfd);
}

/**
 * relay_main() - run the relay role
 *
 * Return: 0 when the supervisor closes its channel; a protocol violation
 * by the supervisor ends the process through fatal() (one by an agent
 * only closes that agent's channel, see chan.c)
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
