/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg.h - the one catalogue of messages between nsplice's processes
 *
 * DOC: Theory of Operation
 *
 * Processes talk over AF_UNIX SOCK_SEQPACKET socketpairs, so one send is
 * one message and a receiver sees message boundaries.  A message is a
 * struct ipc_hdr followed by a payload whose size is fixed per type, plus
 * zero or more descriptors in one SCM_RIGHTS control message.
 *
 * Channels (fixed descriptor numbers in each child, see IPC_FD_*):
 *
 *   supervisor <-> agent[host]     supervisor <-> agent[target]
 *   supervisor <-> relay
 *   agent[host] <-> relay          agent[target] <-> relay
 *
 * The agent-relay channels carry sockets straight from the process that
 * created them to the one that uses them: the supervisor never holds a
 * connection.  The relay only ever receives descriptors; it never sends one
 * (its seccomp filter has no sendmsg()).
 *
 * Every type has a row in ipc_catalogue[] (ipc.c) giving its exact payload
 * size, the most descriptors it may carry, the directions it may travel and
 * a check of its fields.  ipc_recv() applies all of it before any handler
 * sees the message; see ipc.h.
 *
 * Start-up, in order:
 *   1. every child sends HELLO to the supervisor;
 *   2. supervisor -> relay: RELAY_LIMITS, FORWARD for every listener, then
 *      CONFIG_DONE;
 *      relay -> supervisor: RELAY_READY;
 *   3. supervisor -> agent: BIND for every listener of its side, then
 *      CONFIG_DONE; agent -> relay: LISTENER + fd for each success; agent ->
 *      supervisor: BOUND (with the error, if any) for each, then
 *      AGENT_READY.
 * Steady state: relay -> agent POOL_REQ, agent -> relay POOL_FDS + fds;
 * agent -> relay NS_ADDRS whenever its namespace's addresses change.
 *
 * UDP forwards (FWD_F_UDP): the listening side's agent binds the socket
 * and sends it as LISTENER, as for TCP.  The supervisor sends the forward
 * as UDP_TARGET to the other agent (before the FORWARD reaches the relay,
 * again after RELAY_CHAN or a restart) and UDP_TARGET_DEL when it goes.
 * The relay asks that agent for sockets connected to the forward's target
 * with UDP_POOL_REQ {id, kind}, answered by UDP_POOL_FDS + fds: the agent
 * connects them, the relay never names an address on that side.
 *
 * Pool families: supervisor -> agent POOL_ALLOW names the families of
 * pool sockets a configured forward needs from that agent's side, sent
 * when the agent starts, after every RELAY_CHAN, and before any FORWARD
 * that widens the set reaches the relay.  A POOL_REQ for a family not
 * allowed is answered with nothing: the agent stops serving that relay
 * and reports POOL_DENIED to the supervisor, which replaces the relay.
 *
 * Changes at run time (reload, control socket, auto mode): new listeners
 * go as a FORWARD batch to the relay (answered by RELAY_READY) and then
 * as BIND to the agent, exactly as at start; removed ones as FORWARD_DEL
 * to the relay and UNBIND to the agent (answered by UNBOUND).  Counters:
 * STATS_REQ, answered by STATS per listener and STATS_DONE.
 *
 * Restarts: a new relay gets the whole configuration again; once it is
 * READY each agent gets RELAY_CHAN + fd and re-sends its listeners.  A new
 * agent gets AGENT_CONF and BINDs for listeners nobody holds any more; the
 * relay gets AGENT_CHAN + fd for it.  A relay being replaced for good (new
 * connect rules after a change) gets DRAIN: it closes its listeners and
 * agent channels and exits once its last flow ends.
 *
 * An agent that breaks the protocol on its relay channel loses that
 * channel only: the relay closes it and sends AGENT_BAD {side} (struct
 * msg_chan, no descriptor) to the supervisor, which kills and restarts
 * that agent as for a violation on its own channel; the relay's flows go
 * on, and the new agent's channel comes as AGENT_CHAN.
 */
#ifndef NSPLICE_MSG_H
#define NSPLICE_MSG_H

#include <net/if.h>
#include <stdint.h>

#include "ipc/inany.h"
#include "ipc/portset.h"

/* IPC_PROTO_VERSION - bumped on any change to a payload or to the table */
#define IPC_PROTO_VERSION	5

/* IPC_FDS_MAX - most descriptors in one message (SCM_MAX_FD is 253) */
#define IPC_FDS_MAX		16

/* IPC_PAYLOAD_MAX - largest payload of any type, bytes */
#define IPC_PAYLOAD_MAX		128

/* Fixed descriptor numbers in children, set up before fexecve() */
#define IPC_FD_LOG		2	/* write end of the supervisor's log pipe */
#define IPC_FD_SUPERVISOR	3	/* channel to the supervisor */
#define IPC_FD_PEER		4	/* agent: channel to the relay */
#define IPC_FD_AGENT_HOST	4	/* relay: channel to agent[host] */
#define IPC_FD_AGENT_TARGET	5	/* relay: channel to agent[target] */
#define IPC_FD_NETNS		5	/* agent[target]: netns to enter */
#define IPC_FD_USERNS		6	/* agent[target]: userns, if any */

/**
 * enum ipc_role - who is at an end of a channel
 * @ROLE_SUPERVISOR:	the supervisor
 * @ROLE_AGENT:		either agent; the side is known from the channel
 * @ROLE_RELAY:		the relay
 */
enum ipc_role {
	ROLE_SUPERVISOR = 0,
	ROLE_AGENT = 1,
	ROLE_RELAY = 2,
	ROLE_COUNT
};

/* IPC_DIR() - direction bit for a message sent by @from to @to */
#define IPC_DIR(from, to)	(1U << ((from) * ROLE_COUNT + (to)))

/**
 * enum nsp_side - the two network namespaces a forward joins
 * @SIDE_HOST:		where nsplice was started
 * @SIDE_TARGET:	the container's namespace
 */
enum nsp_side {
	SIDE_HOST = 0,
	SIDE_TARGET = 1,
	SIDE_COUNT
};

/**
 * enum ipc_type - message types; values are part of the protocol
 */
enum ipc_type {
	MSG_HELLO		= 1,
	MSG_FORWARD		= 2,
	MSG_CONFIG_DONE		= 3,
	MSG_RELAY_READY		= 4,
	MSG_BIND		= 5,
	MSG_BOUND		= 6,
	MSG_AGENT_READY		= 7,
	MSG_LISTENER		= 8,
	MSG_POOL_REQ		= 9,
	MSG_POOL_FDS		= 10,
	MSG_NS_ADDRS		= 11,
	MSG_RELAY_LIMITS	= 12,
	MSG_UNBIND		= 13,
	MSG_UNBOUND		= 14,
	MSG_FORWARD_DEL		= 15,
	MSG_RELAY_CHAN		= 16,
	MSG_AGENT_CHAN		= 17,
	MSG_AGENT_CONF		= 18,
	MSG_PORTS		= 19,
	MSG_STATS_REQ		= 20,
	MSG_STATS		= 21,
	MSG_STATS_DONE		= 22,
	MSG_DRAIN		= 23,
	MSG_CONNECT_ALLOW	= 24,
	MSG_POOL_ALLOW		= 25,
	MSG_POOL_DENIED		= 26,
	MSG_AGENT_BAD		= 27,
	MSG_UDP_TARGET		= 28,
	MSG_UDP_TARGET_DEL	= 29,
	MSG_UDP_POOL_REQ	= 30,
	MSG_UDP_POOL_FDS	= 31,
	MSG_TYPE_MAX		= 32,	/* one past the last type */
};

/**
 * struct ipc_hdr - header of every message
 * @type:	enum ipc_type
 * @len:	payload bytes after the header; must equal the type's size
 */
struct ipc_hdr {
	uint16_t type;
	uint16_t len;
};

/**
 * struct msg_hello - child to supervisor, first message on its channel
 * @version:	IPC_PROTO_VERSION the child was built with
 * @role:	enum ipc_role of the child
 * @side:	enum nsp_side for an agent, 0 for the relay
 * @pid:	the child's pid as it sees itself, for log lines only
 */
struct msg_hello {
	uint32_t version;
	uint32_t role;
	uint32_t side;
	uint32_t pid;
};

/* FWD_F_* - flags of struct msg_forward */
#define FWD_F_TARGET_ADDR	0x01	/* connect to @target_addr, always */
#define FWD_F_OPTIONAL		0x02	/* bind failure is not an error */
#define FWD_F_PROXY		0x04	/* PROXY v2 header first (TCP, relay) */
#define FWD_F_UDP		0x08	/* UDP forward (-u/-U), else TCP */
#define FWD_F_ALL		(FWD_F_TARGET_ADDR | FWD_F_OPTIONAL | \
				 FWD_F_PROXY | FWD_F_UDP)

/**
 * struct msg_forward - one listener and where its connections go
 * @id:			listener id, unique, < FWD_ID_MAX
 * @listen_side:	enum nsp_side that listens; the other side connects
 * @family:		AF_INET or AF_INET6 of the listener
 * @target_family:	family of @target_addr (FWD_F_TARGET_ADDR only)
 * @flags:		FWD_F_*
 * @listen_port:	port listened on, host byte order, non-zero
 * @target_port:	port connected to, host byte order, non-zero
 * @ifname:		interface to bind to (SO_BINDTODEVICE), "" for none
 * @listen_addr:	address listened on
 * @target_addr:	explicit target address (FWD_F_TARGET_ADDR only)
 *
 * Sent by the supervisor to the relay (which decides targets) and, as the
 * same struct, to the agent of @listen_side in MSG_BIND (which binds).  A
 * BIND may carry one descriptor: a listening socket inherited through
 * socket activation, which the agent uses instead of binding its own.
 *
 * What may change on a live listener: FWD_F_PROXY and, for a TCP forward,
 * @target_port (only to a port of the relay's Landlock rules) and, with
 * FWD_F_TARGET_ADDR, @target_addr within @target_family (the same pool
 * serves it).  A FORWARD for an id the relay holds, equal to it in every
 * other field, sent on its own (outside a batch, not counted in
 * CONFIG_DONE), applies them to connections accepted from then on
 * (reload, ctl, rootlessport's reload).
 */
struct msg_forward {
	uint32_t id;
	uint8_t listen_side;
	uint8_t family;
	uint8_t target_family;
	uint8_t flags;
	uint16_t listen_port;
	uint16_t target_port;
	char ifname[IF_NAMESIZE];
	union inany listen_addr;
	union inany target_addr;
};

/* FWD_ID_MAX - listener ids are below this: 65535 ports, two families */
#define FWD_ID_MAX		(2U * PORTSET_PORTS)

/**
 * struct msg_config_done - end of a batch of FORWARD or BIND messages
 * @count:	how many were sent in the batch, for a cross-check
 *
 * Also the payload of RELAY_READY, AGENT_READY and DRAIN (@count unused,
 * 0, for DRAIN).
 */
struct msg_config_done {
	uint32_t count;
};

/**
 * struct msg_bound - agent to supervisor: result of one BIND
 * @id:		listener id from the BIND
 * @error:	0, or the errno that bind() or listen() failed with
 */
struct msg_bound {
	uint32_t id;
	int32_t error;
};

/**
 * struct msg_listener - agent to relay: a listening socket (one fd)
 * @id:		listener id from the BIND
 */
struct msg_listener {
	uint32_t id;
};

/* POOL_REQ_MAX - most sockets one POOL_REQ may ask for */
#define POOL_REQ_MAX		64

/**
 * struct msg_pool_req - relay to agent: send me @count fresh sockets
 * @family:	AF_INET or AF_INET6
 * @count:	1..POOL_REQ_MAX
 */
struct msg_pool_req {
	uint32_t family;
	uint32_t count;
};

/**
 * struct msg_pool_fds - agent to relay: unconnected sockets (1..16 fds)
 * @family:	AF_INET or AF_INET6, the family of every attached socket
 * @count:	number of attached descriptors, checked against the real count
 */
struct msg_pool_fds {
	uint32_t family;
	uint32_t count;
};

/* NS_ADDR_F_* - which fields of struct msg_ns_addrs are valid */
#define NS_ADDR_F_V4		0x01
#define NS_ADDR_F_V6		0x02

/**
 * struct msg_ns_addrs - agent to relay: its namespace's external addresses
 * @flags:	NS_ADDR_F_*
 * @pad:	zero
 * @addr4:	first global IPv4 address that is not loopback
 * @addr6:	first global IPv6 address that is not loopback or link-local
 *
 * Connections from clients that are not on the listening side's loopback go
 * here instead of to the other side's loopback (loopback safety:
 * inany_loopback_safe() in inany.c).
 */
struct msg_ns_addrs {
	uint8_t flags;
	uint8_t pad[3];
	union inany addr4;
	union inany addr6;
};

/* FLOW_SLOTS_MAX - most concurrent TCP flows of a relay, whatever
 * RLIMIT_NOFILE allows: the bound of --max-conns (supervisor/config/options.c), of the
 * relay's flow table (relay/flow.c) and of its descriptor limit
 * (seccomp/sandbox.h RELAY_NOFILE_MAX) */
#define FLOW_SLOTS_MAX		65536U

/**
 * struct msg_relay_limits - supervisor to relay: limits read from /proc
 * @pipe_max_size:	fs.pipe-max-size, bytes
 * @pipe_pages_soft:	fs.pipe-user-pages-soft, pages; 0 means no limit
 * @pipe_accounted:	1 if the relay's uid is subject to pipe accounting
 *			(not root, no CAP_SYS_RESOURCE)
 * @max_conns:		most concurrent connections, 0 for the default,
 *			at most FLOW_SLOTS_MAX
 * @idle_timeout:	seconds without traffic after which a flow is
 *			closed, 0 for never
 * @udp_timeout:	seconds without a datagram after which a UDP flow
 *			that only ever carried requests ends; one that
 *			carried replies too lasts UDP_STREAM_FACTOR times
 *			longer (--udp-timeout, 1..UDP_TIMEOUT_MAX; 0 for
 *			UDP_TIMEOUT_DEF)
 * @busy_poll_us:	--busy-poll: microseconds the relay keeps polling
 *			after its last event before it sleeps, 0 for never
 *			(at most BUSY_POLL_MAX)
 *
 * The relay cannot open files, so the supervisor reads these for it.
 */
struct msg_relay_limits {
	uint32_t pipe_max_size;
	uint32_t pipe_pages_soft;
	uint32_t pipe_accounted;
	uint32_t max_conns;
	uint32_t idle_timeout;
	uint32_t udp_timeout;
	uint32_t busy_poll_us;
};

/* UDP_TIMEOUT_DEF - --udp-timeout default, seconds: conntrack's
 * nf_conntrack_udp_timeout, which pasta follows too */
#define UDP_TIMEOUT_DEF		30U

/* UDP_STREAM_FACTOR - a flow that carried replies lives this many times
 * longer: 120 s by default, conntrack's nf_conntrack_udp_timeout_stream */
#define UDP_STREAM_FACTOR	4U

/* UDP_TIMEOUT_MAX - longest --udp-timeout, seconds (one day) */
#define UDP_TIMEOUT_MAX		(24U * 3600U)

/* BUSY_POLL_MAX - longest --busy-poll, microseconds: past a millisecond a
 * sleep and its wake-up cost little beside the gap, and the spin would
 * only burn more CPU */
#define BUSY_POLL_MAX		1000U

/* IDLE_TIMEOUT_MAX - longest --idle-timeout, seconds (one week) */
#define IDLE_TIMEOUT_MAX	(7U * 24U * 3600U)

/**
 * struct msg_id - a listener id alone: UNBIND, UNBOUND, FORWARD_DEL
 * @id:		listener id, < FWD_ID_MAX
 *
 * UNBIND (supervisor -> agent) closes the agent's copy of a listener and
 * is answered by UNBOUND, so it counts against the same window as BIND.
 * FORWARD_DEL (supervisor -> relay) closes the relay's copy; flows already
 * accepted on it go on until they end.
 */
struct msg_id {
	uint32_t id;
};

/**
 * struct msg_chan - a replacement channel (one fd: AF_UNIX SOCK_SEQPACKET)
 * @side:	AGENT_CHAN: enum nsp_side of the agent at the other end;
 *		RELAY_CHAN: the side of the agent receiving it
 *
 * After a restart the supervisor makes a fresh socketpair and hands one end
 * to each process that stayed up: RELAY_CHAN to an agent when the relay was
 * replaced (the agent then sends LISTENER for every listener it holds, and
 * NS_ADDRS), AGENT_CHAN to the relay when an agent was.  Also the payload,
 * without a descriptor, of AGENT_BAD (relay -> supervisor): the agent of
 * @side broke the protocol on its relay channel, which the relay closed.
 */
struct msg_chan {
	uint32_t side;
};

/* KEEPALIVE_MAX - largest keepalive time or interval, seconds */
#define KEEPALIVE_MAX		32767U

/* KEEPALIVE_CNT_MAX - most keepalive probes */
#define KEEPALIVE_CNT_MAX	127U

/**
 * struct msg_agent_conf - supervisor -> agent, before the first BIND
 * @scan:	1: report this namespace's listening TCP ports (PORTS) for
 *		an "auto" forward of the other side
 * @ka_idle:	TCP keepalive idle time for listeners and pool sockets,
 *		seconds, 0 for no keepalive
 * @ka_intvl:	seconds between probes (with @ka_idle)
 * @ka_cnt:	probes before the connection is dropped (with @ka_idle)
 *
 * Accepted sockets inherit keepalive from their listener, pool sockets
 * have it set before connect(): the relay never needs setsockopt() for it.
 */
struct msg_agent_conf {
	uint32_t scan;
	uint32_t ka_idle;
	uint32_t ka_intvl;
	uint32_t ka_cnt;
};

/* PORTS_MAX - ports in one PORTS message */
#define PORTS_MAX		24

/* PORTS_F_* - flags of struct msg_ports */
#define PORTS_F_LISTENING	0x01	/* @port started listening (else stopped) */
#define PORTS_F_LAST		0x02	/* last message of this scan */
#define PORTS_F_UDP		0x04	/* UDP ports (bound, no peer), else TCP */

/**
 * struct msg_ports - agent -> supervisor: change in listening TCP ports
 * @family:	AF_INET or AF_INET6
 * @flags:	PORTS_F_*
 * @count:	entries used in @port, 0..PORTS_MAX (0 only with PORTS_F_LAST)
 * @port:	ports, non-zero; entries from @count on are zero
 *
 * After AGENT_CONF with @scan set, the agent scans at least once a second
 * and reports only changes since its last report (the first report is
 * every listening port), leaving out ports where it holds a listener
 * itself, so nsplice never forwards to its own listeners.
 */
struct msg_ports {
	uint8_t family;
	uint8_t flags;
	uint16_t count;
	uint16_t port[PORTS_MAX];
};

/* STATS_F_* - flags of struct msg_stats_req */
#define STATS_F_LISTENERS	0x01	/* one STATS per listener, then DONE */

/**
 * struct msg_stats_req - supervisor -> relay: report counters
 * @seq:	echoed in STATS_DONE
 * @flags:	STATS_F_*; without STATS_F_LISTENERS only STATS_DONE comes
 *		back, which proves the relay's loop is turning (watchdog)
 */
struct msg_stats_req {
	uint32_t seq;
	uint32_t flags;
};

/**
 * struct msg_stats - relay -> supervisor: counters of one listener
 * @id:		listener id
 * @open:	flows open now
 * @accepted:	connections accepted
 * @refused:	connections reset before splicing
 * @errors:	flows closed on an error
 * @bytes:	bytes delivered, [0] client to server, [1] back; flows still
 *		open included
 * @dgrams:	UDP forwards: datagrams delivered, [0] client to server,
 *		[1] back; 0 for TCP
 * @drops:	UDP forwards: datagrams dropped, by enum stats_drop; for
 *		them @accepted counts flows, @refused all drops, @errors
 *		ICMP errors
 */
struct msg_stats {
	uint32_t id;
	uint32_t open;
	uint64_t accepted;
	uint64_t refused;
	uint64_t errors;
	uint64_t bytes[2];
	uint64_t dgrams[2];
	uint64_t drops[6];
};

/**
 * enum stats_drop - why a UDP datagram was dropped (struct msg_stats)
 * @STATS_DROP_NO_SOCKET:	no connected socket yet for a new flow
 * @STATS_DROP_FLOW_LIMIT:	UDP flow table full
 * @STATS_DROP_FULL:		destination's socket buffer full
 * @STATS_DROP_REFUSED:		send failed otherwise (ICMP error, route)
 * @STATS_DROP_TRUNCATED:	larger than the relay's buffer, or than the
 *				socket it goes out of can send (EMSGSIZE)
 * @STATS_DROP_BAD_SOURCE:	a client address that cannot be genuine (an
 *				IPv4-mapped loopback address from outside)
 * @STATS_DROPS:		number of reasons, entries of msg_stats.drops
 */
enum stats_drop {
	STATS_DROP_NO_SOCKET = 0,
	STATS_DROP_FLOW_LIMIT,
	STATS_DROP_FULL,
	STATS_DROP_REFUSED,
	STATS_DROP_TRUNCATED,
	STATS_DROP_BAD_SOURCE,
	STATS_DROPS
};

/**
 * struct msg_stats_done - relay -> supervisor: end of a STATS report
 * @seq:	from the request
 * @flows:	flows open now
 * @flow_limit:	most flows right now
 * @pipes:	pipes held (borrowed or idle)
 * @waiting:	listeners disarmed (limit, pool or descriptors)
 */
struct msg_stats_done {
	uint32_t seq;
	uint32_t flows;
	uint32_t flow_limit;
	uint32_t pipes;
	uint32_t waiting;
};

/**
 * struct msg_connect_allow - supervisor -> relay: ports it may connect to
 * @first:	first port, non-zero
 * @last:	last port, >= @first
 *
 * Sent in the first batch, before CONFIG_DONE, for the ports "auto"
 * forwards may come to target: the relay's Landlock connect rules are
 * fixed once that batch is in, and FORWARDs name only today's targets.
 */
struct msg_connect_allow {
	uint16_t first;
	uint16_t last;
};

/* POOL_ALLOW_* - bits of struct msg_pool_allow */
#define POOL_ALLOW_V4		0x01	/* AF_INET pool sockets */
#define POOL_ALLOW_V6		0x02	/* AF_INET6 pool sockets */
#define POOL_ALLOW_ALL		(POOL_ALLOW_V4 | POOL_ALLOW_V6)

/**
 * struct msg_pool_allow - supervisor -> agent: pool families it may serve
 * @families:	POOL_ALLOW_*; 0: the relay needs no socket of this side
 *
 * A forward listening on one side connects with pool sockets of the other
 * side, of its target's family.  The set only grows while one relay
 * serves the agent (the relay keeps a pool it was once told to fill); it
 * is narrowed to what the current forwards need when a new relay takes
 * over (RELAY_CHAN) or the agent is restarted.
 */
struct msg_pool_allow {
	uint32_t families;
};

/**
 * struct msg_pool_denied - agent -> supervisor: the relay overstepped
 * @family:	AF_INET or AF_INET6 the relay asked for
 * @count:	sockets it asked for, 1..POOL_REQ_MAX (the first request)
 *
 * The agent answered nothing and closed its channel to that relay; the
 * supervisor treats it as a protocol violation by the relay.
 */
struct msg_pool_denied {
	uint32_t family;
	uint32_t count;
};

/**
 * enum udp_kind - which address a UDP pool's sockets are connected to
 * @UDP_KIND_LOCAL:	the forward's explicit target address, else the
 *			agent's loopback of the forward's family (clients
 *			on the listening side's loopback)
 * @UDP_KIND_EXTERNAL:	the forward's explicit target address, else the
 *			agent's own external address of the family (every
 *			other client: loopback safety, inany.c)
 */
enum udp_kind {
	UDP_KIND_LOCAL = 0,
	UDP_KIND_EXTERNAL = 1,
	UDP_KINDS = 2
};

/**
 * struct msg_udp_pool_req - relay -> agent: connected UDP sockets, please
 * @id:		UDP forward id, one the supervisor sent as UDP_TARGET
 * @kind:	enum udp_kind
 * @count:	1..POOL_REQ_MAX
 *
 * The agent alone decides the peer: the forward's target as the
 * supervisor sent it (UDP_TARGET, struct msg_forward) and its own
 * addresses.  The relay names only the forward and the kind.
 */
struct msg_udp_pool_req {
	uint32_t id;
	uint32_t kind;
	uint32_t count;
};

/**
 * struct msg_udp_pool_fds - agent -> relay: connected UDP sockets
 * @id:		forward id from the request
 * @kind:	enum udp_kind from the request
 * @count:	attached descriptors, 0..IPC_FDS_MAX; 0 answers a request
 *		the agent cannot serve (forward unknown, no external address,
 *		out of descriptors), so the relay may ask again later
 */
struct msg_udp_pool_fds {
	uint32_t id;
	uint32_t kind;
	uint32_t count;
};

/* IPC_PAYLOAD_VIEWS - one member per payload type, named as in struct
 * ipc_msg's @u: the views of a payload, also of test samples (tests/unit) */
#define IPC_PAYLOAD_VIEWS						\
	struct msg_hello hello;						\
	struct msg_forward forward;					\
	struct msg_config_done done;					\
	struct msg_bound bound;						\
	struct msg_listener listener;					\
	struct msg_pool_req pool_req;					\
	struct msg_pool_fds pool_fds;					\
	struct msg_ns_addrs ns_addrs;					\
	struct msg_relay_limits limits;					\
	struct msg_id id;						\
	struct msg_chan chan;						\
	struct msg_agent_conf agent_conf;				\
	struct msg_ports ports;						\
	struct msg_stats_req stats_req;					\
	struct msg_stats stats;						\
	struct msg_stats_done stats_done;				\
	struct msg_connect_allow allow;					\
	struct msg_pool_allow pool_allow;				\
	struct msg_pool_denied pool_denied;				\
	struct msg_udp_pool_req udp_req;				\
	struct msg_udp_pool_fds udp_fds;

/**
 * struct ipc_msg - a received, validated message
 * @type:	enum ipc_type
 * @nfds:	descriptors in @fds, already checked against the catalogue
 * @fds:	received descriptors, owned by the handler
 * @u:		payload, view chosen by @type
 */
struct ipc_msg {
	unsigned type;
	unsigned nfds;
	int fds[IPC_FDS_MAX];
	union {
		IPC_PAYLOAD_VIEWS
		uint8_t raw[IPC_PAYLOAD_MAX];
	} u;
};

#endif /* NSPLICE_MSG_H */
