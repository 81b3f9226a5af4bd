// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - UDP forwards: flows keyed by client, agent-connected sockets
 *
 * DOC: Theory of Operation
 *
 * A UDP forward (FWD_F_UDP) has a bound, unconnected socket on the
 * listening side, made by that side's agent (LISTENER, as for TCP).  Each
 * client address and port seen on it is a flow: a slot in a fixed table,
 * found through a hash of (forward, client address, client port), holding
 * one socket of the other side that the other side's agent created AND
 * connected to the forward's target (UDP_POOL_REQ / UDP_POOL_FDS).  The
 * relay never calls connect() or names an address on the target side: it
 * sends to a flow's socket with no address, and the target sees one
 * stable source address and port per flow.  Replies are read from the
 * flow's socket (connected, so the kernel passes only the target's
 * datagrams) and sent out of the listening socket with the client as
 * destination, so they come from the forwarded address and port.  On a
 * wildcard listener "the forwarded address" is the one the client sent
 * to: the agent asked for IP_PKTINFO/IPV6_RECVPKTINFO there, the flow
 * keeps the local address of its first datagram, and replies carry it
 * as IP_PKTINFO/IPV6_PKTINFO.  Without that, the kernel picks the source
 * for the route back, and a client that sent to 127.0.0.2, a secondary
 * address or a stable IPv6 address beside a temporary one got an answer
 * from another address, which a connected client (dig) never reads.
 *
 * Loopback safety is the TCP rule (relay/target.c): a client on the
 * loopback network takes a socket of kind UDP_KIND_LOCAL (the explicit
 * target, else the other side's loopback), any other client one of kind
 * UDP_KIND_EXTERNAL, which the agent connects to the explicit target or
 * to its own external address - never to loopback unless the forward's
 * target names it (nsagent/udp.c).
 *
 * Pools: one per forward and kind, kept near a goal that starts at
 * UDP_POOL_START and doubles, up to UDP_POOL_MAX, each time a new client
 * finds it empty.  At most one request per pool is in flight, for at most
 * IPC_FDS_MAX sockets, answered by exactly one UDP_POOL_FDS (possibly
 * with none), so a reply can be matched and a surplus is a violation.
 * Every pooled socket (and every one asked for) is a descriptor no flow
 * uses yet, so all pools together keep at most udp_pool_budget() of them:
 * filling each new forward's pool at once, 4,000 UDP forwards asked for
 * 32,000 sockets, the relay ran out of descriptors and lost listeners
 * that nsplice had reported ready.  Past the budget a pool is filled only
 * when a client needs a socket from it, one at a time if need be (the
 * hold below keeps that client's datagrams meanwhile), so no forward
 * starves.
 *
 * Hold: a new client that finds the pool empty still gets its flow, which
 * waits for its socket (fd UDP_FD_WAITING), and its datagrams are copied
 * into a fixed hold (at most UDP_HOLD_MAX datagrams and UDP_HOLD_BYTES,
 * allocated once) until the agent's answer brings sockets; they are then
 * sent in the order they came (udp_hold_release()).  Dropping them
 * instead lost the first datagram of most clients of a burst: 12 of 20
 * clients arriving at once on a fresh forward, where podman's own
 * rootlessport and docker-proxy answer all (they call socket() on the
 * spot, which the relay may not).  A full hold drops (counted as "no
 * socket"); it empties whenever no held datagram waits any more.  An
 * agent that answers with no socket (no external address for a remote
 * client, an unreachable target) ends the flows that wait for it, their
 * held datagrams counted as dropped, and for UDP_NONE_BACKOFF_MS new
 * clients of that pool are dropped at once (udp_hold_refuse()): one
 * such client that kept sending held the hold for good before.
 *
 * Data path: recvmmsg() of up to UDP_BATCH datagrams into buffers
 * allocated once, then sendmmsg() of each run of datagrams of one flow.
 * Payload is copied through user space: splice() cannot carry datagram
 * boundaries.  Nothing is ever split or merged; a datagram the kernel
 * marks truncated (cannot happen with UDP_BUF_SIZE buffers) is dropped,
 * and so is one too large for the socket it goes out of (EMSGSIZE: an
 * IPv6 client's 65,527 bytes towards an IPv4 target), alone.  A full
 * socket buffer (EAGAIN) drops and counts the rest of the batch: EPOLLOUT
 * is never waited for, so a target that does not read costs nothing.
 * (What the target's own full receive buffer drops, after the send, no
 * sender sees.)  What the listening socket's own receive
 * buffer drops, when clients send faster than the relay reads, is counted
 * as well ("buffer full"), from the kernel's SO_RXQ_OVFL count, and read
 * again with SO_MEMINFO for each ctl status, when no datagram came after
 * the last drop to carry the count.  An ICMP
 * error on a flow's socket (ECONNREFUSED: its target does not listen) is
 * counted against that forward and reported on that socket only: the flow
 * stays, no other flow or forward sees it.
 *
 * Shares: with UDP forwards on more than one port, the flows of one port
 * (its group: the forwards of every family and address of one "-u P" or
 * "-U P") may hold at most 1/FWD_SHARE_DEN of the table, as TCP's port
 * groups do (listener.c).  A flood of new source ports on one forward -
 * cheap for any client, and spoofable from afar on a wildcard forward -
 * would otherwise take every slot for udp_timeout seconds and starve
 * every other UDP forward.  A new client over the share is dropped and
 * counted as "flow limit", and a warning (rate-limited) names the port.
 *
 * Expiry: a flow without a datagram for udp_timeout seconds ends (its
 * socket is closed); one that carried replies lasts UDP_STREAM_FACTOR
 * times longer, as conntrack's udp_timeout and udp_timeout_stream.  The
 * table is swept UDP_SWEEPS times per timeout, so a flow ends between T
 * and T + T/UDP_SWEEPS + 1 s after its last datagram.
 *
 * Drain: when a new relay replaces this one, both read each listening
 * socket from the new relay's READY until DRAIN reaches this one, so a
 * request this relay forwarded in that window is answered on its flow's
 * socket, here.  Ending the flows at DRAIN, as FORWARD_DEL does, lost
 * such replies (1 or 2 in 6 of 11 replacements under a client doing
 * 7,000 requests a second).  So at DRAIN a forward with flows keeps its
 * socket for sending only (udp_forward_drain()): taken out of the epoll
 * set, so every new datagram is the new relay's and nothing here reads
 * or spins on it; its pools and the flows still waiting for a socket
 * (no agent will send one) end at once.  Its other flows go on sending
 * replies out of it for UDP_DRAIN_GRACE_S (the idle timeout if that is
 * shorter: a flow idle that long ends anyway), then end together with
 * the forward (udp_tick()), and the relay exits once its TCP and UDP
 * flows are done.  Until then the draining relay holds the port: one
 * removed and added again meanwhile is bound when the grace is over (the
 * supervisor retries a bind that found the port taken).
 *
 * Syscalls: recvmmsg, sendmmsg (on descriptors above the channels only,
 * seccomp/relay.c), epoll_ctl, close, getsockopt (socket checks,
 * SO_MEMINFO) and fcntl, clock_gettime, send (UDP_POOL_REQ).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "relay/relay_int.h"
#include "relay/udp.h"

/* UDP_BATCH - datagrams per recvmmsg()/sendmmsg() */
#define UDP_BATCH		32U

/* UDP_BUF_SIZE - receive buffer per datagram, bytes: the largest UDP
 * payload (65,507 bytes over IPv4, 65,527 over IPv6) fits */
#define UDP_BUF_SIZE		65536U

/* UDP_CTL_SIZE - ancillary data of one datagram: its IPV6_PKTINFO (or the
 * smaller IP_PKTINFO), and its SO_RXQ_OVFL count */
#define UDP_CTL_SIZE		(CMSG_SPACE(sizeof(struct in6_pktinfo)) + \
				 CMSG_SPACE(sizeof(uint32_t)))

/* UDPF_STREAM, UDPF_LOCAL - struct udp_flow flags: it carried a reply
 * (the longer timeout applies); @local holds the address to reply from */
#define UDPF_STREAM		0x01U
#define UDPF_LOCAL		0x02U

/* UDP_FD_WAITING - struct udp_flow.fd of a flow whose socket is on its
 * way from the agent (-1: a free slot) */
#define UDP_FD_WAITING		(-2)

/* UDP_HOLD_MAX, UDP_HOLD_BYTES - datagrams of waiting flows held at most,
 * and their bytes: a burst of new clients, not a queue */
#define UDP_HOLD_MAX		256U
#define UDP_HOLD_BYTES		(1U << 20)

/* UDP_HOLD_DONE - struct udp_hold.len of an entry sent or dropped */
#define UDP_HOLD_DONE		UINT32_MAX

/* UDP_NONE_BACKOFF_MS - after an agent answered a pool's request with no
 * socket, new clients of that pool are dropped at once for this long */
#define UDP_NONE_BACKOFF_MS	1000U

/* UDP_FLOWS_MAX - most concurrent UDP flows, one descriptor each */
#define UDP_FLOWS_MAX		16384U

/* UDP_FLOWS_FD_SHARE - UDP flows take at most 1/this of RLIMIT_NOFILE:
 * 10,000 flows with the 20,000 a common hard limit gives */
#define UDP_FLOWS_FD_SHARE	2U

/* UDP_HASH_BUCKETS - flow hash buckets, a power of two */
#define UDP_HASH_BUCKETS	16384U

/* UDP_POOL_START, UDP_POOL_MAX - pool goal at first and at most,
 * sockets per forward and kind */
#define UDP_POOL_START		8U
#define UDP_POOL_MAX		64U

/* UDP_POOL_FD_SHARE - all pools hold at most 1/this of RLIMIT_NOFILE */
#define UDP_POOL_FD_SHARE	8U

/* UDP_SWEEPS - expiry sweeps per timeout */
#define UDP_SWEEPS		4U

/* UDP_SWEEP_MIN_MS - shortest time between two sweeps, milliseconds */
#define UDP_SWEEP_MIN_MS	250U

/* UDP_DRAIN_GRACE_S - how long a draining relay still sends replies of
 * its UDP flows, seconds: longer than any reply in flight takes (the
 * target's answer to a request forwarded just before DRAIN), and as long
 * as glibc's resolver waits for an answer (RES_TIMEOUT) before it asks
 * again - through the new relay then.  Longer only keeps the port bound
 * (see "Drain") and the old relay alive, in one of DRAIN_MAX slots. */
#define UDP_DRAIN_GRACE_S	5U

/* MS_PER_S - clock unit */
#define MS_PER_S		1000U

/* UDP_NONE - no flow: end of a hash chain or the free list */
#define UDP_NONE		UINT32_MAX

/* UDROP_* - why a datagram was dropped: enum stats_drop (ipc/msg.h), the
 * order STATS carries them in */
#define UDROP_NO_SOCKET		STATS_DROP_NO_SOCKET
#define UDROP_FLOW_LIMIT	STATS_DROP_FLOW_LIMIT
#define UDROP_FULL		STATS_DROP_FULL
#define UDROP_REFUSED		STATS_DROP_REFUSED
#define UDROP_TRUNCATED		STATS_DROP_TRUNCATED
#define UDROP_BAD_SOURCE	STATS_DROP_BAD_SOURCE
#define UDROPS			STATS_DROPS

/* LOOPBACK_IFINDEX - the loopback device's index, 1 in every network
 * namespace (the kernel gives it that number first, since Linux 3.11) */
#define LOOPBACK_IFINDEX	1

_Static_assert(sizeof(((struct msg_stats *)0)->drops) ==
	       STATS_DROPS * sizeof(uint64_t), "one STATS entry per reason");

static const char *const udp_drop_name[UDROPS] = {
	"no socket", "flow limit", "buffer full", "refused", "truncated",
	"bad source",
};

/**
 * struct udp_pool - connected sockets of one forward and kind
 * @fd:		available sockets, @avail of them
 * @avail:	sockets in @fd
 * @goal:	sockets to keep, UDP_POOL_START..UDP_POOL_MAX
 * @asked:	sockets asked for by the request in flight, 0 if none
 * @retry:	a request could not be sent: send it from udp_tick()
 * @none_until_ms: udp_state.now_ms until which a new client finding the
 *		pool empty is dropped: the agent's last answer had no socket
 */
struct udp_pool {
	int fd[UDP_POOL_MAX];
	uint16_t avail;
	uint16_t goal;
	uint16_t asked;
	bool retry;
	uint64_t none_until_ms;
};

/**
 * struct udp_fwd - UDP state of one forward
 * @pool:	sockets per enum udp_kind
 * @dgrams:	datagrams delivered, [FSIDE_CLIENT] to the target, and back
 * @drops:	datagrams dropped, per enum udp_drop
 * @icmp:	ICMP errors reported on its flows' sockets
 * @rxq_seen:	the listener's SO_RXQ_OVFL count already counted as drops
 * @grouped:	counted in its entry of udp_state.groups (once, however
 *		often its socket is added)
 */
struct udp_fwd {
	struct udp_pool pool[UDP_KINDS];
	uint64_t dgrams[FSIDES];
	uint64_t drops[UDROPS];
	uint64_t icmp;
	uint32_t rxq_seen;
	bool grouped;
};

/**
 * struct udp_flow - one client of one forward
 * @fd:		socket connected to the target, -1 if the slot is free,
 *		UDP_FD_WAITING while its socket is on its way
 * @id:		forward (listener) id
 * @gen:	generation, bumped when the slot is freed
 * @last:	second (udp_state.now_s) of its last datagram
 * @next:	next flow in its hash chain, or next free slot
 * @group:	its forward's port group, port_group_index()
 * @scope:	client's IPv6 scope id
 * @port:	client port, network byte order
 * @af:		client family
 * @flags:	UDPF_*
 * @addr:	client address
 * @local:	address the client sent to, on a wildcard listener
 *		(UDPF_LOCAL): replies come from it
 */
struct udp_flow {
	int fd;
	uint32_t id;
	uint32_t gen;
	uint32_t last;
	uint32_t next;
	uint32_t group;
	uint32_t scope;
	uint16_t port;
	uint8_t af;
	uint8_t flags;
	union inany addr;
	union inany local;
};

/**
 * union udp_ctl - ancillary data buffer of one datagram, aligned for
 *		   struct cmsghdr
 * @h:		alignment
 * @b:		bytes
 */
union udp_ctl {
	struct cmsghdr h;
	uint8_t b[UDP_CTL_SIZE];
};

/**
 * struct udp_hold - one datagram held for a flow that waits for its socket
 * @flow:	flow slot
 * @gen:	its generation then (a closed flow's datagrams are not sent)
 * @off:	offset in udp_state.hold_buf
 * @len:	bytes, UDP_HOLD_DONE once sent or dropped
 */
struct udp_hold {
	uint32_t flow;
	uint32_t gen;
	uint32_t off;
	uint32_t len;
};

/**
 * struct udp_state - everything UDP, allocated with the first UDP forward
 * @fwd:	per-forward state, FWD_ID_MAX pointers
 * @flows:	flow table, @size slots
 * @hash:	first flow of each bucket, UDP_HASH_BUCKETS entries
 * @size:	slots in @flows
 * @used:	flows open
 * @free_head:	first free slot
 * @retries:	pools with @retry set
 * @pooled:	sockets in every pool plus those asked for, against
 *		udp_pool_budget()
 * @now_s:	coarse clock, seconds since an arbitrary point
 * @now_ms:	fine clock, milliseconds
 * @next_sweep_ms: when expiry runs next
 * @drain_end_ms: when the flows kept at DRAIN end, 0 if none are kept
 * @timeout:	seconds, from RELAY_LIMITS
 * @buf:	UDP_BATCH buffers of UDP_BUF_SIZE bytes
 * @iov:	one per buffer
 * @in:		recvmmsg() headers
 * @out:	sendmmsg() headers
 * @names:	client addresses from recvmmsg()
 * @ctl:	their ancillary data (the local address, on a wildcard
 *		listener)
 * @reply_ctl:	IP_PKTINFO/IPV6_PKTINFO of the replies being sent
 * @slot:	flow of each received datagram, UDP_NONE if dropped
 * @hold:	datagrams of waiting flows, UDP_HOLD_MAX entries, in arrival
 *		order
 * @nhold:	entries used in @hold
 * @hold_buf:	their bytes, UDP_HOLD_BYTES
 * @hold_used:	bytes used in @hold_buf
 * @groups:	UDP port groups, PORT_GROUPS entries: flows open and UDP
 *		forwards per side and port (TCP's are relay.groups)
 * @nports:	port groups with a UDP forward
 * @rl:		rate limit of warnings
 */
struct udp_state {
	struct udp_fwd **fwd;
	struct udp_flow *flows;
	uint32_t *hash;
	uint32_t size;
	uint32_t used;
	uint32_t free_head;
	unsigned retries;
	unsigned long pooled;
	uint32_t now_s;
	uint64_t now_ms;
	uint64_t next_sweep_ms;
	uint64_t drain_end_ms;
	uint32_t timeout;
	uint8_t *buf;
	struct iovec iov[UDP_BATCH];
	struct mmsghdr in[UDP_BATCH];
	struct mmsghdr out[UDP_BATCH];
	union sockaddr_inany names[UDP_BATCH];
	union udp_ctl ctl[UDP_BATCH];
	union udp_ctl reply_ctl;
	uint32_t slot[UDP_BATCH];
	struct udp_hold *hold;
	unsigned nhold;
	uint8_t *hold_buf;
	uint32_t hold_used;
	struct port_group *groups;
	unsigned nports;
	struct log_ratelimit rl;
};

/* a flow's state stays small: 10,000 flows must fit in the defaults */
_Static_assert(sizeof(struct udp_flow) <= 64, "struct udp_flow grew");

/**
 * udp_hold_low_fds() - keep descriptors 0 and 1 taken, by a pipe
 *
 * role_enter() closes them, and the kernel gives a received socket the
 * lowest free number: a UDP socket on 0 or 1 would fall outside the
 * relay's sendmmsg() rule, which allows only descriptors above the
 * channels (seccomp/relay.c).  A pipe is the one descriptor the relay may
 * create; its ends stay unused.
 */
void udp_hold_low_fds(void)
{
	int p[2], i, k;

	for (i = 0; i < 2; i++) {
		if (pipe2(p, O_CLOEXEC))
			fatal("pipe2: %s", strerror(errno));
		for (k = 0; k < 2; k++)
			if (p[k] > STDOUT_FILENO)
				close(p[k]);
		if (p[1] <= STDOUT_FILENO)
			break;
	}
}

/**
 * udp_clock() - read the clock into @u
 * @u:		UDP state
 */
static void udp_clock(struct udp_state *u)
{
	u->now_ms = (uint64_t)clock_ms();
	u->now_s = (uint32_t)(u->now_ms / MS_PER_S);
}

/**
 * udp_table_size() - how many UDP flows the descriptor limit allows
 * @r:		relay
 *
 * Return: UDP_FLOWS_MAX, or 1/UDP_FLOWS_FD_SHARE of RLIMIT_NOFILE if less
 */
static uint32_t udp_table_size(const struct relay *r)
{
	unsigned long n = r->nofile / UDP_FLOWS_FD_SHARE;

	return n < UDP_FLOWS_MAX ? (uint32_t)(n ? n : 1) : UDP_FLOWS_MAX;
}

/**
 * udp_state_get() - the UDP state, allocated on first use
 * @r:		relay
 *
 * Return: the state; out of memory is fatal (at the first UDP forward)
 */
static struct udp_state *udp_state_get(struct relay *r)
{
	struct udp_state *u = r->udp;
	uint32_t i;

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		fatal("out of memory for UDP");
	u->size = udp_table_size(r);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	u->fwd = calloc(FWD_ID_MAX, sizeof(*u->fwd));
	u->flows = calloc(u->size, sizeof(*u->flows));
	u->hash = malloc(UDP_HASH_BUCKETS * sizeof(*u->hash));
	u->buf = malloc((size_t)UDP_BATCH * UDP_BUF_SIZE);
	/* zeroed pages: only the groups in use are ever touched */
	u->groups = calloc(PORT_GROUPS, sizeof(*u->groups));
	u->hold = calloc(UDP_HOLD_MAX, sizeof(*u->hold));
	u->hold_buf = malloc(UDP_HOLD_BYTES);	/* touched only when used */
	if (!u->fwd || !u->flows || !u->hash || !u->buf || !u->groups ||
	    !u->hold || !u->hold_buf)
		fatal("out of memory for UDP");
	memset(u->hash, 0xff, UDP_HASH_BUCKETS * sizeof(*u->hash));
	for (i = 0; i < u->size; i++) {
		u->flows[i].fd = -1;
		u->flows[i].next = i + 1 < u->size ? i + 1 : UDP_NONE;
	}
	u->timeout = r->limits.udp_timeout ? r->limits.udp_timeout
					   : UDP_TIMEOUT_DEF;
	udp_clock(u);
	r->udp = u;
	ninfo("UDP: %u flow slots, timeout %u s (%u s with replies)",
	      u->size, u->timeout, u->timeout * UDP_STREAM_FACTOR);
	return u;
}

/**
 * udp_hash() - hash bucket of a client of a forward
 * @id:		forward id
 * @af:		client family
 * @a:		client address
 * @port:	client port, network byte order
 *
 * Return: bucket index
 */
static uint32_t udp_hash(uint32_t id, int af, const union inany *a,
			 uint16_t port)
{
	/* FNV-1a over the key: cheap, and the key is not secret anyway */
	uint32_t h = 2166136261U ^ id ^ ((uint32_t)port << 8) ^ (uint32_t)af;
	unsigned i;

	for (i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 16777619U;
	return (h ^ (h >> 15)) & (UDP_HASH_BUCKETS - 1);
}

/**
 * udp_flow_find() - the flow of a client of a forward
 * @u:		UDP state
 * @id:		forward id
 * @af:		client family
 * @a:		client address
 * @port:	client port, network byte order
 *
 * Return: slot index, or UDP_NONE
 */
static uint32_t udp_flow_find(const struct udp_state *u, uint32_t id, int af,
			      const union inany *a, uint16_t port)
{
	uint32_t i = u->hash[udp_hash(id, af, a, port)];

	while (i != UDP_NONE) {
		const struct udp_flow *f = &u->flows[i];

		if (f->id == id && f->port == port && f->af == af &&
		    !memcmp(f->addr.b, a->b, sizeof(a->b)))
			return i;
		i = f->next;
	}
	return UDP_NONE;
}

/**
 * udp_pool_budget() - sockets all pools may hold and ask for together
 * @r:		relay
 *
 * Return: 1/UDP_POOL_FD_SHARE of RLIMIT_NOFILE
 */
static unsigned long udp_pool_budget(const struct relay *r)
{
	return r->nofile / UDP_POOL_FD_SHARE;
}

/**
 * udp_pool_unask() - a pool's request is over without its sockets
 * @u:		UDP state
 * @p:		pool
 */
static void udp_pool_unask(struct udp_state *u, struct udp_pool *p)
{
	u->pooled -= p->asked;
	p->asked = 0;
}

/**
 * udp_pool_refill() - ask the other side's agent for sockets if low
 * @r:		relay
 * @l:		UDP forward
 * @kind:	enum udp_kind
 * @need:	a client needs a socket of this pool (else the pool is only
 *		being filled ahead of its first client)
 *
 * Within udp_pool_budget() a pool is topped up to its goal.  Past it,
 * only a pool a client needs, and that is empty, asks, for one socket.
 */
static void udp_pool_refill(struct relay *r, const struct listener *l,
			    unsigned kind, bool need)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf = u->fwd[l->fwd.id];
	struct udp_pool *p = &uf->pool[kind];
	const struct ipc_chan *c = &r->chan[CHAN_AGENT(!l->fwd.listen_side)];
	struct msg_udp_pool_req req = { l->fwd.id, kind, 0 };
	unsigned long budget = udp_pool_budget(r), room;
	bool was = p->retry;

	room = u->pooled < budget ? budget - u->pooled : 0;
	req.count = p->goal - p->avail;
	if (req.count > IPC_FDS_MAX)
		req.count = IPC_FDS_MAX;
	if (req.count > room)
		req.count = (uint32_t)room;
	if (!req.count && need && !p->avail)
		req.count = 1;
	if (p->asked || p->avail >= p->goal / 2 || l->removed ||
	    !req.count) {
		p->retry = false;
	} else if (c->fd < 0) {
		p->retry = true;	/* agent restarting: ask its successor */
	} else {
		/* EPIPE, ECONNRESET: the agent just ended; as pool_refill() */
		p->retry = ipc_send(c, MSG_UDP_POOL_REQ, &req, NULL, 0) != 0;
		if (p->retry && errno != EAGAIN && !ipc_peer_gone(errno))
			fatal("%s: sending UDP_POOL_REQ: %s", c->name,
			      strerror(errno));
		if (!p->retry) {
			p->asked = (uint16_t)req.count;
			u->pooled += req.count;
			relay_flow_limit(r);
		}
	}
	if (was != p->retry)
		u->retries += p->retry ? 1U : (unsigned)-1;
}

/**
 * udp_kind_of() - which pool a client of a forward takes its socket from
 * @l:		UDP forward
 * @af:		client family
 * @a:		client address
 *
 * Return: UDP_KIND_LOCAL for an explicit target or a loopback client,
 * else UDP_KIND_EXTERNAL (relay/target.c's rule)
 */
static unsigned udp_kind_of(const struct listener *l, int af,
			    const union inany *a)
{
	if (l->fwd.flags & FWD_F_TARGET_ADDR)
		return UDP_KIND_LOCAL;
	return inany_is_loopback(af, a) ? UDP_KIND_LOCAL : UDP_KIND_EXTERNAL;
}

/**
 * udp_share() - most flows one port group may hold now
 * @u:		UDP state
 *
 * Return: 1/FWD_SHARE_DEN of the table (at least one flow) while UDP
 * forwards listen on more than one port, else the whole table
 */
static uint32_t udp_share(const struct udp_state *u)
{
	return port_share(u->size, u->nports);
}

/**
 * udp_drop() - count dropped datagrams
 * @l:		forward
 * @uf:		its UDP state
 * @why:	enum udp_drop
 * @n:		datagrams
 */
static void udp_drop(struct listener *l, struct udp_fwd *uf, unsigned why,
		     unsigned n)
{
	uf->drops[why] += n;
	l->cnt.refused += n;
}

/**
 * udp_take_socket() - a connected socket for a new flow
 * @r:		relay
 * @l:		UDP forward
 * @kind:	enum udp_kind
 *
 * An empty pool doubles its goal, so a burst of new clients gets a
 * larger pool after its first drops.
 *
 * Return: socket, or -1 if the pool is empty
 */
static int udp_take_socket(struct relay *r, struct listener *l, unsigned kind)
{
	struct udp_pool *p = &r->udp->fwd[l->fwd.id]->pool[kind];
	int fd = -1;

	if (p->avail) {
		fd = p->fd[--p->avail];
		r->udp->pooled--;
	} else if (p->goal < UDP_POOL_MAX) {
		p->goal = (uint16_t)(p->goal * 2U);
	}
	/* Past the budget only a client left without a socket may ask:
	 * topping up after every take kept one socket more than the budget
	 * in every forward's pool */
	udp_pool_refill(r, l, kind, fd < 0);
	return fd;
}

/**
 * udp_cmsg() - the data of one kind of ancillary message of a datagram
 * @h:		its header from recvmmsg()
 * @level:	cmsg_level
 * @type:	cmsg_type
 * @len:	bytes the data must have, at least
 *
 * Return: the data (possibly unaligned: copy it out), or NULL if the
 * datagram carries no such message
 */
static const void *udp_cmsg(struct msghdr *h, int level, int type,
			    size_t len)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == level && c->cmsg_type == type &&
		    c->cmsg_len >= CMSG_LEN(len))
			return CMSG_DATA(c);
	return NULL;
}

/**
 * udp_local_get() - the local address a datagram was sent to
 * @h:		its header from recvmmsg()
 * @af:		family of the listening socket
 * @a:		set to the address on success
 *
 * Only a wildcard listener has IP_PKTINFO/IPV6_RECVPKTINFO on
 * (nsagent/listen.c), so elsewhere there is nothing to find.  For IPv4
 * the kernel's ipi_spec_dst is the local address to answer from (the
 * header's destination, unless that was a broadcast); an IPv6 multicast
 * destination is no source, and gives nothing.
 *
 * Return: true if @a was set
 */
static bool udp_local_get(struct msghdr *h, int af, union inany *a)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	const void *d;

	if (h->msg_flags & MSG_CTRUNC)
		return false;
	if (af == AF_INET &&
	    (d = udp_cmsg(h, IPPROTO_IP, IP_PKTINFO, sizeof(pi)))) {
		memcpy(&pi, d, sizeof(pi));
		memset(a, 0, sizeof(*a));
		a->a4 = pi.ipi_spec_dst;
		return true;
	}
	if (af != AF_INET6 ||
	    !(d = udp_cmsg(h, IPPROTO_IPV6, IPV6_PKTINFO, sizeof(pi6))))
		return false;
	memcpy(&pi6, d, sizeof(pi6));
	if (IN6_IS_ADDR_MULTICAST(&pi6.ipi6_addr))
		return false;
	a->a6 = pi6.ipi6_addr;
	return true;
}

/**
 * udp_source_bogus() - tell whether a datagram's source address cannot be
 *			 genuine
 * @h:		its datagram's header from recvmmsg()
 * @af:		client family
 * @a:		client address
 *
 * The kernel drops a packet from 127.0.0.0/8 or ::1 that did not come
 * over the loopback device, but UDP over IPv6 does not drop one from an
 * IPv4-mapped address (TCP does: tcp_v6_conn_request()).  Anybody who
 * can send IPv6 packets to an IPv6 listener may so claim to be
 * ::ffff:127.0.0.1, which inany_is_loopback() rightly counts as a local
 * client of a dual-stack socket: its flow would be connected to the
 * other side's loopback (a spoofed, one-way datagram, but delivered).
 * Such a source is genuine only on a dual-stack socket, for an IPv4
 * packet that came over the loopback device: the IPV6_PKTINFO of a
 * wildcard listener (nsagent/listen.c) says which device.  Without it (a
 * listener bound to one address, or IPv6-only), it cannot be genuine.
 *
 * Return: true if the datagram must be dropped
 */
static bool udp_source_bogus(struct msghdr *h, int af, const union inany *a)
{
	struct in6_pktinfo pi;
	const void *d;

	if (af != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->a6) ||
	    !inany_is_loopback(af, a))
		return false;
	if ((h->msg_flags & MSG_CTRUNC) ||
	    !(d = udp_cmsg(h, IPPROTO_IPV6, IPV6_PKTINFO, sizeof(pi))))
		return true;
	memcpy(&pi, d, sizeof(pi));
	return pi.ipi6_ifindex != LOOPBACK_IFINDEX;
}

/**
 * udp_drops_to() - count a listener's drops up to a newer kernel count
 * @l:		UDP forward
 * @uf:		its UDP state
 * @v:		the kernel's count of drops at its receive buffer (sk_drops)
 *
 * Two readings of one counter arrive out of order: SO_RXQ_OVFL carries
 * the count when a datagram was queued, SO_MEMINFO the count now.  A
 * reading behind the one counted is old news, not 4 billion drops.
 */
static void udp_drops_to(struct listener *l, struct udp_fwd *uf, uint32_t v)
{
	uint32_t d = v - uf->rxq_seen;

	if (!d || d > INT32_MAX)
		return;
	udp_drop(l, uf, UDROP_FULL, d);
	uf->rxq_seen = v;
}

/**
 * udp_sk_drops() - the kernel's count of datagrams a socket dropped
 * @fd:		UDP socket
 * @v:		the count, on success
 *
 * SO_MEMINFO's SK_MEMINFO_DROPS is the counter SO_RXQ_OVFL reports,
 * read now rather than with the next datagram, so drops at the end of a
 * burst are seen before any further datagram comes.
 *
 * Return: true if @v was read
 */
static bool udp_sk_drops(int fd, uint32_t *v)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(mem[0]))
		return false;
	*v = mem[SK_MEMINFO_DROPS];
	return true;
}

/**
 * udp_rxq_drops() - count what the listener's own receive buffer dropped
 * @u:		UDP state, the batch in @in
 * @l:		UDP forward
 * @uf:		its UDP state
 * @n:		datagrams just received
 *
 * SO_RXQ_OVFL (udp_listen_opts(), ipc/udpsock.c) gives each datagram
 * the socket's running count of datagrams dropped at its full receive
 * buffer, since the socket was made; the newest count in the batch,
 * less what was counted before, is the drops since.  Drops after the last
 * datagram of a burst have no datagram to carry them: they are read with
 * SO_MEMINFO when ctl status asks (udp_drops_sync()).
 */
static void udp_rxq_drops(struct udp_state *u, struct listener *l,
			  struct udp_fwd *uf, unsigned n)
{
	const void *d;
	uint32_t v;
	unsigned k;

	for (k = n; k-- > 0;) {
		d = udp_cmsg(&u->in[k].msg_hdr, SOL_SOCKET, SO_RXQ_OVFL,
			     sizeof(v));
		if (d) {
			memcpy(&v, d, sizeof(v));
			udp_drops_to(l, uf, v);
			return;
		}
	}
}

/**
 * udp_reply_ctl() - IP_PKTINFO/IPV6_PKTINFO that makes replies come from
 *		     the address a flow's client sent to
 * @u:		UDP state; @reply_ctl is filled
 * @f:		flow with UDPF_LOCAL
 *
 * Return: length of the ancillary data in @u->reply_ctl
 */
static size_t udp_reply_ctl(struct udp_state *u, const struct udp_flow *f)
{
	struct msghdr h = { .msg_control = u->reply_ctl.b,
			    .msg_controllen = sizeof(u->reply_ctl.b) };
	struct cmsghdr *c;

	memset(&u->reply_ctl, 0, sizeof(u->reply_ctl));
	c = CMSG_FIRSTHDR(&h);
	if (f->af == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = f->local.a4 };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	{
		/* a link-local address names its link: the client's */
		struct in6_pktinfo pi = {
			.ipi6_addr = f->local.a6,
			.ipi6_ifindex = IN6_IS_ADDR_LINKLOCAL(&f->local.a6) ?
					f->scope : 0,
		};

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
}

/**
 * udp_flow_close() - end a flow: close its socket, free its slot
 * @r:		relay
 * @i:		slot index, in use
 */
static void udp_flow_close(struct relay *r, uint32_t i)
{
	struct udp_state *u = r->udp;
	struct udp_flow *f = &u->flows[i];
	uint32_t *pp = &u->hash[udp_hash(f->id, f->af, &f->addr, f->port)];
	struct listener *l = r->listeners[f->id];

	while (*pp != UDP_NONE && *pp != i)
		pp = &u->flows[*pp].next;
	if (*pp == i)
		*pp = f->next;
	if (f->fd >= 0)
		close(f->fd);	/* close() leaves the epoll set */
	f->fd = -1;
	f->gen++;
	f->next = u->free_head;
	u->free_head = i;
	u->used--;
	u->groups[f->group].open--;
	if (l && l->open)
		l->open--;
	relay_flow_limit(r);	/* a descriptor back for TCP */
}

/**
 * udp_flow_attach() - give a waiting flow its socket, if the pool has one
 * @r:		relay
 * @i:		flow slot, fd UDP_FD_WAITING
 *
 * Return: true if the flow has its socket now
 */
static bool udp_flow_attach(struct relay *r, uint32_t i)
{
	struct udp_flow *f = &r->udp->flows[i];
	struct listener *l = r->listeners[f->id];
	int fd = udp_take_socket(r, l, udp_kind_of(l, f->af, &f->addr));

	if (fd < 0)
		return false;
	if (relay_ep_ctl(r, EPOLL_CTL_ADD, fd, EPOLLIN,
			 ev_encode(EV_UDP_FLOW, i, 0, f->gen))) {
		close(fd);
		return false;
	}
	f->fd = fd;
	return true;
}

/**
 * udp_hold_room() - whether received datagram @k fits in the hold
 * @u:		UDP state
 * @k:		index in the batch
 *
 * Return: true if it does
 */
static bool udp_hold_room(const struct udp_state *u, unsigned k)
{
	return u->nhold < UDP_HOLD_MAX &&
	       u->in[k].msg_len <= UDP_HOLD_BYTES - u->hold_used;
}

/**
 * udp_hold_put() - hold received datagram @k for waiting flow @i
 * @u:		UDP state
 * @i:		flow slot
 * @k:		index in the batch
 *
 * Return: true if held, false if the hold is full
 */
static bool udp_hold_put(struct udp_state *u, uint32_t i, unsigned k)
{
	uint32_t len = u->in[k].msg_len;

	if (!udp_hold_room(u, k))
		return false;
	memcpy(u->hold_buf + u->hold_used, u->iov[k].iov_base, len);
	u->hold[u->nhold++] = (struct udp_hold){ .flow = i,
		.gen = u->flows[i].gen, .off = u->hold_used, .len = len };
	u->hold_used += len;
	return true;
}

/**
 * udp_flow_new() - open a flow for a new client
 * @r:		relay
 * @l:		UDP forward
 * @sa:		client address from recvmmsg()
 * @salen:	its length
 * @k:		index of its first datagram in the batch
 *
 * A flow whose socket is not there yet waits for it (see "Hold"), if
 * that first datagram fits in the hold.
 *
 * Return: slot index, or UDP_NONE with the drop counted
 */
static uint32_t udp_flow_new(struct relay *r, struct listener *l,
			     const union sockaddr_inany *sa, socklen_t salen,
			     unsigned k)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf = u->fwd[l->fwd.id];
	union inany a;
	uint16_t port;
	struct udp_flow *f;
	uint32_t i, g;
	unsigned kind;
	int af;

	if (sockaddr_to_inany(sa, salen, &af, &a, &port))
		return UDP_NONE;
	if (u->free_head == UDP_NONE || !relay_fd_room(r, 1)) {
		udp_drop(l, uf, UDROP_FLOW_LIMIT, 1);
		return UDP_NONE;
	}
	g = port_group_index(&l->fwd);
	if (u->groups[g].open >= udp_share(u)) {
		udp_drop(l, uf, UDROP_FLOW_LIMIT, 1);
		log_ratelimited(&u->rl, LOG_LVL_WARN, "UDP port %u on the %s "
				"side: %u flows open, its share of the %u flow "
				"slots; new clients are dropped",
				l->fwd.listen_port, l->fwd.listen_side ==
				SIDE_HOST ? "host" : "target",
				u->groups[g].open, u->size);
		return UDP_NONE;
	}
	kind = udp_kind_of(l, af, &a);
	if (!uf->pool[kind].avail && u->now_ms < uf->pool[kind].none_until_ms) {
		udp_drop(l, uf, UDROP_NO_SOCKET, 1);
		return UDP_NONE;
	}
	i = u->free_head;
	f = &u->flows[i];
	u->free_head = f->next;
	f->fd = UDP_FD_WAITING;
	f->id = l->fwd.id;
	f->group = g;
	u->groups[g].open++;
	f->last = u->now_s;
	f->af = (uint8_t)af;
	f->addr = a;
	f->port = htons(port);
	f->scope = af == AF_INET6 ? sa->sin6.sin6_scope_id : 0;
	f->flags = udp_local_get(&u->in[k].msg_hdr, af, &f->local) ?
		   UDPF_LOCAL : 0;
	f->next = u->hash[udp_hash(f->id, af, &a, f->port)];
	u->hash[udp_hash(f->id, af, &a, f->port)] = i;
	u->used++;
	l->open++;
	/* no socket yet: the flow waits, its datagrams held, if they fit */
	if (!udp_flow_attach(r, i) && !udp_hold_room(u, k)) {
		udp_flow_close(r, i);
		udp_drop(l, uf, UDROP_NO_SOCKET, 1);
		return UDP_NONE;
	}
	l->cnt.accepted++;
	relay_flow_limit(r);	/* one descriptor less for TCP */
	return i;
}

/**
 * udp_flow_for() - the flow of one received datagram, opened if new
 * @r:		relay
 * @l:		UDP forward
 * @k:		index of the datagram in the batch
 *
 * Return: slot index, or UDP_NONE if the datagram is dropped
 */
static uint32_t udp_flow_for(struct relay *r, struct listener *l, unsigned k)
{
	struct udp_state *u = r->udp;
	const union sockaddr_inany *sa = &u->names[k];
	socklen_t salen = u->in[k].msg_hdr.msg_namelen;
	union inany a;
	uint16_t port;
	uint32_t i;
	int af;

	if (u->in[k].msg_hdr.msg_flags & MSG_TRUNC) {
		udp_drop(l, u->fwd[l->fwd.id], UDROP_TRUNCATED, 1);
		return UDP_NONE;
	}
	if (sockaddr_to_inany(sa, salen, &af, &a, &port))
		return UDP_NONE;
	/* Every datagram, not only a flow's first: a spoofer who guesses
	 * the port of a genuine IPv4 loopback client of a dual-stack socket
	 * would otherwise ride that client's flow to the loopback target */
	if (udp_source_bogus(&u->in[k].msg_hdr, af, &a)) {
		char ip[INANY_STRLEN], name[FWD_NAME_LEN];

		udp_drop(l, u->fwd[l->fwd.id], UDROP_BAD_SOURCE, 1);
		log_ratelimited(&u->rl, LOG_LVL_WARN, "UDP %s: dropped a "
				"datagram from %s, port %u: an IPv4-mapped "
				"loopback source that did not come over the "
				"loopback device", fwd_name(&l->fwd, name),
				inany_ntop(af, &a, ip, sizeof(ip)), port);
		return UDP_NONE;
	}
	i = udp_flow_find(u, l->fwd.id, af, &a, htons(port));
	if (i == UDP_NONE)
		i = udp_flow_new(r, l, sa, salen, k);
	else
		u->flows[i].last = u->now_s;
	return i;
}

/**
 * udp_out_set() - make sendmmsg() header @k from received datagram @k
 * @u:		UDP state
 * @k:		index in the batch
 * @name:	destination, NULL for a connected socket
 * @namelen:	its length
 */
static void udp_out_set(struct udp_state *u, unsigned k, void *name,
			socklen_t namelen)
{
	struct msghdr *h = &u->out[k].msg_hdr;

	memset(h, 0, sizeof(*h));
	u->iov[k].iov_len = u->in[k].msg_len;
	h->msg_iov = &u->iov[k];
	h->msg_iovlen = 1;
	h->msg_name = name;
	h->msg_namelen = namelen;
}

/**
 * struct udp_sent - what udp_send() did with a run of datagrams
 * @sent:	datagrams sent
 * @bytes:	their payload bytes
 * @big:	datagrams skipped as too large for the socket (EMSGSIZE: an
 *		IPv6 client's 65,527 bytes towards an IPv4 target)
 * @icmp:	ICMP errors the sends reported
 * @err:	errno that ended the run early, 0 if it did not
 */
struct udp_sent {
	unsigned sent;
	uint64_t bytes;
	unsigned big;
	unsigned icmp;
	int err;
};

/**
 * udp_send() - sendmmsg() a run of datagrams to one socket
 * @fd:		socket
 * @v:		headers
 * @n:		how many
 * @o:		filled with what was sent and why the rest was not
 *
 * An error left by an ICMP message (ECONNREFUSED on a connected socket)
 * is reported once, by the next send, which it fails: that datagram is
 * sent again, once.  A datagram too large for this socket is skipped
 * alone: it says nothing about the next one.  Anything else (a full
 * buffer) ends the run.
 */
static void udp_send(int fd, struct mmsghdr *v, unsigned n,
		     struct udp_sent *o)
{
	bool retried = false;
	unsigned i = 0, j;
	int k;

	memset(o, 0, sizeof(*o));
	while (i < n) {
		k = sendmmsg(fd, v + i, n - i, MSG_DONTWAIT);
		if (k > 0) {
			for (j = i; j < i + (unsigned)k; j++)
				o->bytes += v[j].msg_hdr.msg_iov->iov_len;
			i += (unsigned)k;
			o->sent += (unsigned)k;
			continue;
		}
		o->err = k < 0 ? errno : EAGAIN;
		if (o->err == EINTR)
			continue;
		if (o->err == EMSGSIZE) {
			o->big++;
			i++;
			continue;
		}
		if (o->err != ECONNREFUSED || retried)
			break;
		o->icmp++;
		retried = true;
	}
	if (i == n)
		o->err = 0;
}

/**
 * udp_account() - count a run sent in direction @d, and what was dropped
 * @l:		forward
 * @uf:		its UDP state
 * @d:		FSIDE_CLIENT: to the target; FSIDE_SERVER: to the client
 * @n:		datagrams in the run
 * @o:		what udp_send() did with them
 */
static void udp_account(struct listener *l, struct udp_fwd *uf, unsigned d,
			unsigned n, const struct udp_sent *o)
{
	unsigned rest = n - o->sent - o->big;

	uf->dgrams[d] += o->sent;
	l->cnt.bytes[d] += o->bytes;
	uf->icmp += o->icmp;
	l->cnt.errors += o->icmp;
	if (o->big)
		udp_drop(l, uf, UDROP_TRUNCATED, o->big);
	if (rest)
		udp_drop(l, uf, o->err == EAGAIN || o->err == ENOBUFS ?
				UDROP_FULL : UDROP_REFUSED, rest);
}

static bool udp_hold_release(struct relay *r, struct listener *l,
			     unsigned kind);

/**
 * udp_to_targets() - send a received batch on to the flows' sockets
 * @r:		relay
 * @l:		UDP forward
 * @n:		datagrams received
 */
static void udp_to_targets(struct relay *r, struct listener *l, unsigned n)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf = u->fwd[l->fwd.id];
	unsigned k = 0, end;
	struct udp_sent o;

	while (k < n) {
		if (u->slot[k] == UDP_NONE) {
			k++;
			continue;
		}
		if (u->flows[u->slot[k]].fd == UDP_FD_WAITING) {
			const struct udp_flow *f = &u->flows[u->slot[k]];
			unsigned kind = udp_kind_of(l, f->af, &f->addr);

			if (!udp_hold_put(u, u->slot[k], k))
				udp_drop(l, uf, UDROP_NO_SOCKET, 1);
			/* Sockets came meanwhile (a flow whose first datagram
			 * found the hold full waited with nothing held, so no
			 * answer released it): take one now, sending what is
			 * held in order.  Else ask, if nothing is asked yet:
			 * at most one request per answer. */
			if (uf->pool[kind].avail)
				udp_hold_release(r, l, kind);
			else
				udp_pool_refill(r, l, kind, true);
			k++;
			continue;
		}
		for (end = k; end < n && u->slot[end] == u->slot[k]; end++)
			udp_out_set(u, end, NULL, 0);
		udp_send(u->flows[u->slot[k]].fd, &u->out[k], end - k, &o);
		udp_account(l, uf, FSIDE_CLIENT, end - k, &o);
		k = end;
	}
}

/**
 * udp_hold_release() - sockets arrived: send what waiting flows hold
 * @r:		relay
 * @l:		UDP forward the sockets are for
 * @kind:	enum udp_kind of the pool they went to
 *
 * In arrival order, each held datagram of a flow of @l and @kind gets
 * its flow a socket if it still waits for one, and is sent; a flow the
 * pool runs out for keeps waiting.  Datagrams of flows closed since
 * (expired, forward removed) are skipped.  Once nothing held is left,
 * the hold is empty again.
 *
 * Return: true if a flow of @l and @kind still waits for a socket
 */
static bool udp_hold_release(struct relay *r, struct listener *l,
			     unsigned kind)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf = u->fwd[l->fwd.id];
	unsigned i, left = 0;
	bool waits = false;
	struct udp_sent o;

	for (i = 0; i < u->nhold; i++) {
		struct udp_hold *h = &u->hold[i];
		struct udp_flow *f = &u->flows[h->flow];
		struct iovec iov;
		struct mmsghdr m;

		if (h->len == UDP_HOLD_DONE)
			continue;
		if (f->gen != h->gen || f->fd == -1) {
			h->len = UDP_HOLD_DONE;
			continue;
		}
		/* Never ask for more from here (attach on an empty pool
		 * would): an agent that answers with no socket would be asked
		 * again at once, for as long as a flow waits.  The caller's
		 * refill asks when this answer brought sockets. */
		if (f->id != l->fwd.id ||
		    udp_kind_of(l, f->af, &f->addr) != kind) {
			left++;
			continue;
		}
		if (f->fd == UDP_FD_WAITING &&
		    (!uf->pool[kind].avail || !udp_flow_attach(r, h->flow))) {
			left++;
			waits = true;
			continue;
		}
		iov = (struct iovec){ u->hold_buf + h->off, h->len };
		memset(&m, 0, sizeof(m));
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
		udp_send(f->fd, &m, 1, &o);
		udp_account(l, uf, FSIDE_CLIENT, 1, &o);
		h->len = UDP_HOLD_DONE;
	}
	if (!left) {
		u->nhold = 0;
		u->hold_used = 0;
	}
	return waits;
}

/**
 * udp_hold_waits() - is a held datagram's flow still waiting for a socket
 *		      of one pool
 * @u:		UDP state
 * @h:		hold entry, sent or not
 * @l:		UDP forward
 * @kind:	enum udp_kind of the pool
 *
 * Return: true if the flow that @h was held for is still open, still
 * waits, and would take its socket from @l's pool @kind
 */
static bool udp_hold_waits(const struct udp_state *u,
			   const struct udp_hold *h, const struct listener *l,
			   unsigned kind)
{
	const struct udp_flow *f = &u->flows[h->flow];

	return f->gen == h->gen && f->fd == UDP_FD_WAITING &&
	       f->id == l->fwd.id && udp_kind_of(l, f->af, &f->addr) == kind;
}

/**
 * udp_hold_end() - end the flows of a pool that wait for a socket
 * @r:		relay
 * @l:		UDP forward
 * @kind:	enum udp_kind of the pool
 *
 * For when no socket will come for them: the agent had none
 * (udp_hold_refuse()), or the relay drains and has no agent any more
 * (udp_forward_drain()).  Their held datagrams are counted as dropped
 * ("no socket").
 *
 * Return: the held datagrams dropped
 */
static unsigned udp_hold_end(struct relay *r, struct listener *l,
			     unsigned kind)
{
	struct udp_state *u = r->udp;
	unsigned i, dropped = 0, left = 0;

	/* Count first: a closed flow's later entries no longer match it */
	for (i = 0; i < u->nhold; i++) {
		struct udp_hold *h = &u->hold[i];

		if (h->len == UDP_HOLD_DONE)
			continue;
		if (udp_hold_waits(u, h, l, kind)) {
			h->len = UDP_HOLD_DONE;
			dropped++;
		} else {
			left++;
		}
	}
	for (i = 0; dropped && i < u->nhold; i++)
		if (udp_hold_waits(u, &u->hold[i], l, kind))
			udp_flow_close(r, u->hold[i].flow);
	if (!left) {
		u->nhold = 0;
		u->hold_used = 0;
	}
	if (dropped)
		udp_drop(l, u->fwd[l->fwd.id], UDROP_NO_SOCKET, dropped);
	return dropped;
}

/**
 * udp_hold_refuse() - the agent has no socket for a pool: end its waiting
 *		       flows
 * @r:		relay
 * @l:		UDP forward
 * @kind:	enum udp_kind of the pool
 *
 * An agent answers with no socket when it cannot make one: no external
 * address on its side for a client that is not local, a target it cannot
 * reach, no descriptor left.  Waiting on would keep such a flow, and its
 * datagrams in the shared hold, for as long as its client sends: one
 * remote client of a namespace without an external address so took the
 * hold from the first datagrams of every other forward.  So the flows of
 * @l and @kind that wait end now, their held datagrams are counted as
 * dropped ("no socket"), and for UDP_NONE_BACKOFF_MS new clients of the
 * pool are dropped at once rather than asking the agent again for each.
 */
static void udp_hold_refuse(struct relay *r, struct listener *l,
			    unsigned kind)
{
	struct udp_state *u = r->udp;
	char name[FWD_NAME_LEN];
	unsigned dropped;

	u->fwd[l->fwd.id]->pool[kind].none_until_ms = u->now_ms +
						      UDP_NONE_BACKOFF_MS;
	dropped = udp_hold_end(r, l, kind);
	if (!dropped)
		return;
	log_ratelimited(&u->rl, LOG_LVL_WARN, "UDP %s: the %s side has no "
			"socket for %s clients (no external address there, or "
			"the target unreachable): %u datagram%s dropped",
			fwd_name(&l->fwd, name),
			l->fwd.listen_side == SIDE_HOST ? "target" : "host",
			kind == UDP_KIND_LOCAL ? "local" : "remote", dropped,
			dropped == 1 ? "" : "s");
}

/**
 * udp_recv() - recvmmsg() a batch from one socket
 * @u:		UDP state
 * @fd:		socket
 * @names:	collect source addresses (listening socket)
 *
 * Return: datagrams received, or -1 with errno set
 */
static int udp_recv(struct udp_state *u, int fd, bool names)
{
	unsigned k;

	for (k = 0; k < UDP_BATCH; k++) {
		struct msghdr *h = &u->in[k].msg_hdr;

		memset(h, 0, sizeof(*h));
		u->iov[k].iov_base = u->buf + (size_t)k * UDP_BUF_SIZE;
		u->iov[k].iov_len = UDP_BUF_SIZE;
		h->msg_iov = &u->iov[k];
		h->msg_iovlen = 1;
		if (names) {
			h->msg_name = &u->names[k];
			h->msg_namelen = sizeof(u->names[k]);
			h->msg_control = u->ctl[k].b;
			h->msg_controllen = sizeof(u->ctl[k].b);
		}
	}
	return recvmmsg(fd, u->in, UDP_BATCH, MSG_DONTWAIT, NULL);
}

/**
 * udp_listen_event() - datagrams from clients on a UDP forward
 * @r:		relay
 * @l:		UDP forward with its socket
 * @ev:		epoll events
 *
 * EPOLLRDHUP on a UDP socket means its reading side was shut down - by a
 * relay before this one, as an agent repairs everything else before it
 * hands a socket over (nsagent/listen.c) but cannot bind a socket from
 * socket activation again.  Such a socket reads as ready for ever, so it
 * is polled no more: a warning instead of a relay spinning at 100 %.
 */
void udp_listen_event(struct relay *r, struct listener *l, uint32_t ev)
{
	struct udp_state *u = r->udp;
	unsigned k;
	int n;

	if (ev & EPOLLRDHUP) {
		nwarn("UDP forward %u: its socket was shut down by an earlier "
		      "relay: not served any more", l->fwd.id);
		(void)relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
		return;
	}
	udp_clock(u);
	n = udp_recv(u, l->fd, true);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_ratelimited(&u->rl, LOG_LVL_WARN, "UDP forward %u: "
					"recvmmsg: %s", l->fwd.id,
					strerror(errno));
		return;
	}
	udp_rxq_drops(u, l, u->fwd[l->fwd.id], (unsigned)n);
	for (k = 0; k < (unsigned)n; k++)
		u->slot[k] = udp_flow_for(r, l, k);
	udp_to_targets(r, l, (unsigned)n);
}

/**
 * udp_flow_event() - replies from a flow's target
 * @r:		relay
 * @idx:	slot index from the event
 * @gen:	generation from the event
 *
 * Stale events (slot reused since) are ignored.  An ICMP error is
 * counted and the flow stays; any other read error ends it.
 */
void udp_flow_event(struct relay *r, uint32_t idx, uint32_t gen)
{
	struct udp_state *u = r->udp;
	union sockaddr_inany sa;
	struct udp_flow *f;
	struct listener *l;
	struct udp_sent o;
	socklen_t salen;
	size_t ctl_len;
	unsigned k;
	int n;

	if (!u || idx >= u->size || u->flows[idx].gen != gen ||
	    u->flows[idx].fd < 0)
		return;
	f = &u->flows[idx];
	l = r->listeners[f->id];
	if (!l || l->fd < 0) {
		udp_flow_close(r, idx);
		return;
	}
	udp_clock(u);
	n = udp_recv(u, f->fd, false);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		u->fwd[f->id]->icmp++;
		l->cnt.errors++;
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH &&
		    errno != ENETUNREACH && errno != EMSGSIZE)
			udp_flow_close(r, idx);
		return;
	}
	f->last = u->now_s;
	f->flags |= UDPF_STREAM;
	salen = sockaddr_from_inany(&sa, f->af, &f->addr, ntohs(f->port),
				    f->scope);
	ctl_len = f->flags & UDPF_LOCAL ? udp_reply_ctl(u, f) : 0;
	for (k = 0; k < (unsigned)n; k++) {
		udp_out_set(u, k, &sa, salen);
		if (ctl_len) {
			u->out[k].msg_hdr.msg_control = u->reply_ctl.b;
			u->out[k].msg_hdr.msg_controllen = ctl_len;
		}
	}
	udp_send(l->fd, u->out, (unsigned)n, &o);
	udp_account(l, u->fwd[f->id], FSIDE_SERVER, (unsigned)n, &o);
}

/**
 * udp_sock_check() - verify a UDP socket received from an agent
 * @fd:		descriptor
 * @af:		family it must have
 *
 * Return: NULL if @fd is a non-blocking datagram socket of @af, else what
 * is wrong with it
 */
static const char *udp_sock_check(int fd, int af)
{
	int v = 0, fl;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) || v != af)
		return "not a socket of the forward's family";
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) || v != SOCK_DGRAM)
		return "not a datagram socket";
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || !(fl & O_NONBLOCK))
		return "blocking socket";
	return NULL;
}

/**
 * udp_target_af() - family of a UDP forward's target sockets
 * @l:		forward
 *
 * Return: the explicit target's family, else the listener's
 */
static int udp_target_af(const struct listener *l)
{
	return l->fwd.flags & FWD_F_TARGET_ADDR ? l->fwd.target_family
						 : l->fwd.family;
}

/**
 * udp_listener_add() - LISTENER for a UDP forward: poll its socket
 * @r:		relay
 * @l:		UDP forward, without a socket yet
 * @m:		LISTENER with one descriptor, taken on success
 *
 * The pool of local-kind sockets is filled at once (most clients of a
 * loopback listener are local); the external one on first use.
 *
 * Return: NULL on success, else the protocol violation
 */
const char *udp_listener_add(struct relay *r, struct listener *l,
			     struct ipc_msg *m)
{
	struct udp_state *u = udp_state_get(r);
	struct udp_fwd *uf = u->fwd[l->fwd.id];
	char name[FWD_NAME_LEN];
	const char *why;
	unsigned k;

	if ((why = udp_sock_check(m->fds[0], l->fwd.family)))
		return why;
	if (!uf) {
		uf = calloc(1, sizeof(*uf));
		if (!uf)
			fatal("out of memory for UDP forward %u", l->fwd.id);
		for (k = 0; k < UDP_KINDS; k++)
			uf->pool[k].goal = UDP_POOL_START;
		u->fwd[l->fwd.id] = uf;
	}
	l->gen = ++r->lgen;
	if (relay_ep_ctl(r, EPOLL_CTL_ADD, m->fds[0], EPOLLIN | EPOLLRDHUP,
			 ev_encode(EV_UDP_LISTEN, l->fwd.id, 0, l->gen)))
		return NULL;	/* the caller closes it: counted as unbound */
	l->fd = m->fds[0];
	m->fds[0] = -1;
	m->nfds = 0;
	r->nlisteners++;
	/* Drops are counted from now on: an activated socket's earlier ones,
	 * or those while a relay was being restarted (its predecessor
	 * reported what it saw), are not this relay's to count */
	uf->rxq_seen = 0;
	udp_sk_drops(l->fd, &uf->rxq_seen);
	if (!uf->grouped) {
		uf->grouped = true;
		if (!u->groups[port_group_index(&l->fwd)].forwards++)
			u->nports++;
	}
	udp_pool_refill(r, l, UDP_KIND_LOCAL, false);
	ndebug("UDP forward %u: %s", l->fwd.id, fwd_name(&l->fwd, name));
	return NULL;
}

/**
 * udp_pool_close() - close the sockets of a pool, forget its request
 * @u:		UDP state
 * @p:		pool
 *
 * A request waiting to be sent again is forgotten too, and no longer
 * counted in @u->retries.
 */
static void udp_pool_close(struct udp_state *u, struct udp_pool *p)
{
	u->pooled -= p->avail;
	while (p->avail)
		close(p->fd[--p->avail]);
	udp_pool_unask(u, p);
	if (p->retry)
		u->retries--;
	p->retry = false;
}

/**
 * udp_forward_summary() - a removed UDP forward's figures, one debug line
 * @l:		the forward
 * @uf:		its UDP state
 */
static void udp_forward_summary(const struct listener *l,
				const struct udp_fwd *uf)
{
	char drops[UDROPS * 40] = "";
	size_t len = 0;
	unsigned k;

	for (k = 0; k < UDROPS && len < sizeof(drops); k++)
		len += (size_t)snprintf(drops + len, sizeof(drops) - len,
					"%s%llu %s", k ? ", " : "",
					(unsigned long long)uf->drops[k],
					udp_drop_name[k]);
	ndebug("UDP forward %u: %llu datagrams in, %llu out; dropped: %s; "
	       "%llu ICMP errors", l->fwd.id,
	       (unsigned long long)uf->dgrams[FSIDE_CLIENT],
	       (unsigned long long)uf->dgrams[FSIDE_SERVER], drops,
	       (unsigned long long)uf->icmp);
}

/**
 * udp_forward_del() - FORWARD_DEL of a UDP forward: end its flows
 * @r:		relay
 * @l:		the forward, about to lose its socket
 *
 * Replies of its flows could only go out of its socket, which closes:
 * its flows end now, unlike TCP flows, which go on.
 */
void udp_forward_del(struct relay *r, struct listener *l)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf;
	uint32_t i;
	unsigned k;

	if (!u || !(uf = u->fwd[l->fwd.id]))
		return;
	for (i = 0; i < u->size && l->open; i++)
		if (u->flows[i].fd != -1 && u->flows[i].id == l->fwd.id)
			udp_flow_close(r, i);
	if (log_level >= LOG_LVL_DEBUG)
		udp_forward_summary(l, uf);
	/* for a draining relay's last report (udp_stats_fill()) */
	memcpy(l->dgrams, uf->dgrams, sizeof(l->dgrams));
	memcpy(l->drops, uf->drops, sizeof(l->drops));
	for (k = 0; k < UDP_KINDS; k++)
		udp_pool_close(u, &uf->pool[k]);
	if (uf->grouped && !--u->groups[port_group_index(&l->fwd)].forwards)
		u->nports--;
	free(uf);
	u->fwd[l->fwd.id] = NULL;
}

/**
 * udp_forward_drain() - DRAIN: keep a UDP forward's flows for the grace
 * @r:		relay, draining
 * @l:		forward, not removed, any protocol
 *
 * See "Drain": replies of its flows still go out of its socket, which is
 * polled no more; the pools close and the flows waiting for a socket end
 * (their held datagrams counted as dropped), as no agent will answer.
 *
 * Return: true if @l is kept, until udp_tick() ends the grace; false if
 * it is not a UDP forward with a flow left: the caller removes it
 */
bool udp_forward_drain(struct relay *r, struct listener *l)
{
	struct udp_state *u = r->udp;
	struct udp_fwd *uf;
	uint64_t grace;
	uint32_t i;
	unsigned k;

	if (!(l->fwd.flags & FWD_F_UDP) || !u || !(uf = u->fwd[l->fwd.id]) ||
	    l->fd < 0)
		return false;
	for (k = 0; k < UDP_KINDS; k++)
		udp_hold_end(r, l, k);
	/* and those whose first datagram found the hold full */
	for (i = 0; i < u->size && l->open; i++)
		if (u->flows[i].fd == UDP_FD_WAITING &&
		    u->flows[i].id == l->fwd.id)
			udp_flow_close(r, i);
	if (!l->open)
		return false;
	for (k = 0; k < UDP_KINDS; k++)
		udp_pool_close(u, &uf->pool[k]);
	/* ENOENT if a shut-down socket was taken out already: no matter */
	(void)relay_ep_ctl(r, EPOLL_CTL_DEL, l->fd, 0, 0);
	if (!u->drain_end_ms) {
		udp_clock(u);
		grace = u->timeout < UDP_DRAIN_GRACE_S ? u->timeout
						       : UDP_DRAIN_GRACE_S;
		u->drain_end_ms = u->now_ms + grace * MS_PER_S;
	}
	return true;
}

/**
 * udp_drain_end() - the grace is over: end the forwards kept at DRAIN
 * @r:		relay, draining
 *
 * listener_remove() ends their flows and closes their sockets, as for
 * FORWARD_DEL; the relay exits once no TCP flow is left either.
 */
static void udp_drain_end(struct relay *r)
{
	uint32_t id, n = r->udp->used;

	r->udp->drain_end_ms = 0;
	for (id = 0; id < FWD_ID_MAX; id++)
		if (r->listeners[id] && !r->listeners[id]->removed &&
		    (r->listeners[id]->fwd.flags & FWD_F_UDP))
			listener_remove(r, id);
	ninfo("draining: UDP grace over, %u flow%s ended", n,
	      n == 1 ? "" : "s");
}

/**
 * udp_flows_open() - UDP flows this relay still serves
 * @r:		relay
 *
 * Return: open flows, 0 without UDP; a draining relay exits at 0 (and no
 * TCP flow)
 */
uint32_t udp_flows_open(const struct relay *r)
{
	return r->udp ? r->udp->used : 0;
}

/**
 * udp_pool_fds() - UDP_POOL_FDS: connected sockets for a forward's pool
 * @r:		relay
 * @side:	side of the agent that sent them
 * @m:		validated message; its descriptors are taken or closed
 *
 * An answer for a forward removed since, or for a request this relay no
 * longer waits for (its agent was replaced), is closed quietly.
 *
 * Return: NULL on success, else the protocol violation
 */
const char *udp_pool_fds(struct relay *r, unsigned side, struct ipc_msg *m)
{
	const struct msg_udp_pool_fds *h = &m->u.udp_fds;
	struct listener *l = r->listeners[h->id];
	struct udp_fwd *uf = r->udp ? r->udp->fwd[h->id] : NULL;
	struct udp_pool *p;
	const char *why;
	bool waits;
	unsigned k;

	if (!l || l->removed || !uf || !(l->fwd.flags & FWD_F_UDP)) {
		ipc_close_fds(m);
		return NULL;
	}
	if (side == l->fwd.listen_side)
		return "UDP sockets from the listening side";
	p = &uf->pool[h->kind];
	if (!p->asked) {
		ipc_close_fds(m);
		return NULL;
	}
	if (m->nfds > p->asked)
		return "more UDP sockets than asked for";
	if (m->nfds && (why = udp_sock_check(m->fds[0], udp_target_af(l))))
		return why;
	for (k = 0; k < m->nfds; k++) {
		if (fcntl(m->fds[k], F_GETFL) < 0 ||
		    !(fcntl(m->fds[k], F_GETFL) & O_NONBLOCK))
			return "blocking socket";
	}
	for (k = 0; k < m->nfds; k++) {
		p->fd[p->avail++] = m->fds[k];
		m->fds[k] = -1;
	}
	m->nfds = 0;
	udp_pool_unask(r->udp, p);	/* less any it did not send */
	r->udp->pooled += k;
	relay_flow_limit(r);
	waits = udp_hold_release(r, l, h->kind);
	if (!k && waits)
		udp_hold_refuse(r, l, h->kind);
	else if (h->count)
		udp_pool_refill(r, l, h->kind, waits);
	return NULL;
}

/**
 * udp_pool_lost() - a UDP_POOL_FDS lost its descriptors (limit reached)
 * @r:		relay
 * @h:		what the message said, possibly not validated
 *
 * The kernel closed them; the request is over, and the next new flow asks
 * again.
 */
void udp_pool_lost(struct relay *r, const struct msg_udp_pool_fds *h)
{
	if (r->udp && h->id < FWD_ID_MAX && h->kind < UDP_KINDS &&
	    r->udp->fwd[h->id])
		udp_pool_unask(r->udp, &r->udp->fwd[h->id]->pool[h->kind]);
}

/**
 * udp_agent_lost() - an agent's channel closed: its answers never come
 * @r:		relay
 * @side:	the agent's side
 */
void udp_agent_lost(struct relay *r, unsigned side)
{
	uint32_t id;
	unsigned k;

	if (!r->udp)
		return;
	for (id = 0; id < FWD_ID_MAX; id++) {
		struct udp_fwd *uf = r->udp->fwd[id];
		const struct listener *l = r->listeners[id];

		if (!uf || !l || l->fwd.listen_side == side)
			continue;
		for (k = 0; k < UDP_KINDS; k++)
			udp_pool_unask(r->udp, &uf->pool[k]);
	}
}

/**
 * udp_agent_back() - a restarted agent's channel arrived: ask it
 * @r:		relay
 * @side:	the agent's side
 */
void udp_agent_back(struct relay *r, unsigned side)
{
	uint32_t id;

	if (!r->udp)
		return;
	for (id = 0; id < FWD_ID_MAX; id++) {
		const struct listener *l = r->listeners[id];

		if (r->udp->fwd[id] && l && l->fwd.listen_side != side)
			udp_pool_refill(r, l, UDP_KIND_LOCAL, false);
	}
}

/**
 * udp_wait_ms() - shorten the loop's wait to the next expiry sweep
 * @r:		relay
 * @wait:	milliseconds the loop would wait, -1 for ever
 *
 * Return: @wait, or less if a sweep, a request retry or the end of the
 * drain grace is due sooner
 */
int udp_wait_ms(struct relay *r, int wait)
{
	struct udp_state *u = r->udp;
	uint64_t due, next;

	if (!u || (!u->used && !u->retries))
		return wait;
	if (u->retries)
		return wait < 0 || wait > (int)UDP_SWEEP_MIN_MS ?
		       (int)UDP_SWEEP_MIN_MS : wait;
	udp_clock(u);
	next = u->next_sweep_ms;
	if (u->drain_end_ms && u->drain_end_ms < next)
		next = u->drain_end_ms;
	due = next > u->now_ms ? next - u->now_ms : 0;
	if (wait >= 0 && (uint64_t)wait < due)
		return wait;
	return (int)due;
}

/**
 * udp_sweep() - end the flows idle for longer than their timeout
 * @r:		relay
 */
static void udp_sweep(struct relay *r)
{
	struct udp_state *u = r->udp;
	uint32_t i, n = 0, step;

	step = u->timeout * MS_PER_S / UDP_SWEEPS;
	u->next_sweep_ms = u->now_ms + (step < UDP_SWEEP_MIN_MS ?
					UDP_SWEEP_MIN_MS : step);
	for (i = 0; i < u->size && u->used; i++) {
		const struct udp_flow *f = &u->flows[i];
		uint32_t t = u->timeout * (f->flags & UDPF_STREAM ? UDP_STREAM_FACTOR : 1U);

		if (f->fd != -1 && u->now_s - f->last >= t) {
			udp_flow_close(r, i);
			n++;
		}
	}
	if (n)
		ndebug("UDP: %u idle flow%s ended, %u open", n,
		       n == 1 ? "" : "s", u->used);
}

/**
 * udp_tick() - once per loop round: expiry when due, request retries,
 *		the end of the drain grace
 * @r:		relay
 */
void udp_tick(struct relay *r)
{
	struct udp_state *u = r->udp;
	uint32_t id;
	unsigned k;

	if (!u)
		return;
	udp_clock(u);
	if (u->now_ms >= u->next_sweep_ms)
		udp_sweep(r);
	if (u->drain_end_ms && u->now_ms >= u->drain_end_ms)
		udp_drain_end(r);
	for (id = 0; u->retries && id < FWD_ID_MAX; id++) {
		const struct listener *l = r->listeners[id];

		for (k = 0; u->fwd[id] && l && k < UDP_KINDS; k++)
			if (u->fwd[id]->pool[k].retry)
				udp_pool_refill(r, l, k, true);
	}
}

/**
 * udp_drops_sync() - count what a UDP listener dropped up to now
 * @r:		relay
 * @l:		forward, any protocol
 *
 * Called before a forward's STATS record is made: without it, drops at
 * the end of a burst would show only once another datagram came, and
 * "sent = passed on + dropped" would not hold when a user checks it.
 */
void udp_drops_sync(const struct relay *r, struct listener *l)
{
	struct udp_fwd *uf;
	uint32_t v;

	if (!r->udp || !(uf = r->udp->fwd[l->fwd.id]) || l->fd < 0 ||
	    !udp_sk_drops(l->fd, &v))
		return;
	udp_drops_to(l, uf, v);
}

/**
 * udp_stats_fill() - the UDP counters of a forward, for its STATS
 * @r:		relay
 * @l:		forward
 * @st:		its STATS record, TCP part filled
 *
 * A forward whose state is gone - a draining relay's, at the end of the
 * grace - reports what was kept of it (udp_forward_del()), zeroes for TCP.
 */
void udp_stats_fill(const struct relay *r, const struct listener *l,
		    struct msg_stats *st)
{
	const struct udp_fwd *uf = r->udp ? r->udp->fwd[l->fwd.id] : NULL;

	_Static_assert(sizeof(st->drops) == sizeof(l->drops) &&
		       sizeof(st->dgrams) == sizeof(l->dgrams),
		       "kept UDP counters fill a STATS record");
	memcpy(st->dgrams, uf ? uf->dgrams : l->dgrams, sizeof(st->dgrams));
	memcpy(st->drops, uf ? uf->drops : l->drops, sizeof(st->drops));
}

/**
 * udp_fds_held() - descriptors UDP holds or has asked for
 * @r:		relay
 *
 * Return: open flows (one socket each, or one on its way) plus pooled
 * sockets and those asked for, 0 without UDP
 */
unsigned long udp_fds_held(const struct relay *r)
{
	return r->udp ? r->udp->used + r->udp->pooled : 0;
}

/**
 * udp_fini() - close every UDP flow and pool, free the state
 * @r:		relay
 */
void udp_fini(struct relay *r)
{
	struct udp_state *u = r->udp;
	uint32_t i;
	unsigned k;

	if (!u)
		return;
	for (i = 0; i < u->size; i++)
		if (u->flows[i].fd >= 0)
			close(u->flows[i].fd);
	for (i = 0; i < FWD_ID_MAX; i++) {
		for (k = 0; u->fwd[i] && k < UDP_KINDS; k++)
			udp_pool_close(u, &u->fwd[i]->pool[k]);
		free(u->fwd[i]);
	}
	free(u->fwd);
	free(u->flows);
	free(u->hash);
	free(u->buf);
	free(u->groups);
	free(u->hold);
	free(u->hold_buf);
	free(u);
	r->udp = NULL;
}
