/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay_int.h - state shared by the relay's source files
 *
 * DOC: Theory of Operation
 *
 * One struct relay holds everything the relay owns; each file works on
 * its part of it: relay.c the loop and descriptor budget, chan.c the
 * control channels, listener.c the listeners, splice.c the flows, pool.c
 * and pipes.c their resources.  Nothing here is visible outside relay/.
 */
#ifndef NSPLICE_RELAY_INT_H
#define NSPLICE_RELAY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipc/inany.h"
#include "ipc/ipc.h"
#include "ipc/log.h"
#include "ipc/portset.h"
#include "relay/flow.h"
#include "relay/pipes.h"
#include "relay/pool.h"

struct udp_state;

/* CHAN_* - control channels, index into struct relay.chan */
#define CHAN_SUPERVISOR		0
#define CHAN_AGENT(side)	(1U + (side))
#define CHAN_COUNT		3

/* LISTENER_NONE - end of the disarmed listener list */
#define LISTENER_NONE		UINT32_MAX

/* FWD_SHARE_DEN - with forwards on more than one port, the flows of one
 * port may fill at most 1/FWD_SHARE_DEN of the flow limit (listener.c) */
#define FWD_SHARE_DEN		2U

/**
 * enum listener_wait - why a listener is disarmed
 * @LWAIT_NONE:		armed
 * @LWAIT_SLOT:		flow table at its limit
 * @LWAIT_POOL:		no socket of the target side and family
 * @LWAIT_FD:		accept4() hit EMFILE or ENFILE
 * @LWAIT_SHARE:	its port has its share of the flow limit
 */
enum listener_wait {
	LWAIT_NONE = 0,
	LWAIT_SLOT,
	LWAIT_POOL,
	LWAIT_FD,
	LWAIT_SHARE,
};

/**
 * struct port_group - the forwards of one listening side and port
 * @open:	flows accepted on them and still open
 * @forwards:	forwards of the group not removed (one per family and
 *		listening address)
 * @capped:	it reached its share and that was logged: the episode ends
 *		when @open falls to half the share
 *
 * What a user calls a forward ("-t 6379") is a port group: one listener
 * per family, sharing one share of the flow table.
 */
struct port_group {
	uint32_t open;
	uint16_t forwards;
	bool capped;
};

/* PORT_GROUPS - port groups of a table: one per side and port */
#define PORT_GROUPS		(SIDE_COUNT * PORTSET_PORTS)

/**
 * port_group_index() - where a forward's port group sits in a table of
 *			PORT_GROUPS (relay.groups for TCP, UDP's own)
 * @fwd:	the forward
 *
 * Return: index of its listening side and port
 */
static inline uint32_t port_group_index(const struct msg_forward *fwd)
{
	return (uint32_t)fwd->listen_side * PORTSET_PORTS + fwd->listen_port;
}

/**
 * port_share() - most flows one port group may hold
 * @limit:	flows the table holds
 * @nports:	port groups with a forward
 *
 * The one rule of TCP's listeners (listener.c) and UDP's flow table
 * (udp.c): the whole @limit while forwards listen on one port, else
 * 1/FWD_SHARE_DEN of it (at least one flow).
 *
 * Return: the share
 */
static inline uint32_t port_share(uint32_t limit, unsigned nports)
{
	uint32_t share = limit / FWD_SHARE_DEN;

	if (nports < 2)
		return limit;
	return share ? share : 1;
}

/**
 * struct counters - traffic counters, kept per listener and in total
 * @accepted:	connections accepted
 * @refused:	connections reset before splicing: no target, connect failed
 * @errors:	flows closed on an error after being established
 * @bytes:	bytes delivered, [FSIDE_CLIENT] client to server, and back
 */
struct counters {
	uint64_t accepted;
	uint64_t refused;
	uint64_t errors;
	uint64_t bytes[FSIDES];
};

/**
 * struct listener - one forward (FORWARD) and its listening socket
 * @fwd:	the forward as the supervisor sent it
 * @fd:		listening socket from the agent, -1 until it arrives
 * @gen:	generation of @fd's registration, for stale events
 * @wait:	enum listener_wait, LWAIT_NONE while polled
 * @next_disarmed: next on the disarmed list, LISTENER_NONE at its end
 * @open:	flows accepted on it and still open
 * @removed:	FORWARD_DEL came: no socket any more, the struct stays until
 *		its last flow ends so that flow's counters have a home (in a
 *		draining relay until it exits: its last report has them)
 * @live:	bytes of its open flows, filled for a STATS report
 * @cnt:	counters
 * @dgrams:	UDP: datagram counters of its forward's state, kept when that
 *		state is freed (udp_forward_del()) for a last report
 * @drops:	UDP: drop counters kept the same way
 */
struct listener {
	struct msg_forward fwd;
	int fd;
	uint32_t gen;
	unsigned wait;
	uint32_t next_disarmed;
	uint32_t open;
	bool removed;
	uint64_t live[FSIDES];
	struct counters cnt;
	uint64_t dgrams[FSIDES];
	uint64_t drops[STATS_DROPS];
};

/**
 * struct stats_report - a STATS report being sent to the supervisor
 * @active:	a report is in progress
 * @seq:	STATS_REQ sequence number, echoed in STATS_DONE
 * @listeners:	send one STATS per listener before STATS_DONE
 * @cursor:	next listener id to report
 * @last:	draining: the last report, after the last flow, is under way
 *		(or sent once @active is false): the relay exits after it
 */
struct stats_report {
	bool active;
	uint32_t seq;
	bool listeners;
	uint32_t cursor;
	bool last;
};

/**
 * struct relay - everything the relay owns
 * @epfd:	the epoll instance
 * @stop:	supervisor closed its channel: leave the loop
 * @chan:	control channels, CHAN_*
 * @chan_out:	channel also polled for EPOLLOUT (a POOL_REQ waits to go)
 * @report_bad:	bit per side: an AGENT_BAD report waits to go
 * @have_limits: RELAY_LIMITS arrived (the flow table exists)
 * @limits:	RELAY_LIMITS
 * @listeners:	forwards by id, FWD_ID_MAX pointers, NULL if unknown
 * @nforwards:	forwards known
 * @nlisteners:	listening sockets held
 * @groups:	port groups, PORT_GROUPS, [port_group_index()]
 * @nports:	port groups with at least one forward
 * @batch:	FORWARDs since the last CONFIG_DONE
 * @lgen:	last listener generation handed out
 * @ns_addrs:	last NS_ADDRS of each side, zeroed until one arrives
 * @pools:	socket pools, [side][pool_fam_index()]
 * @pipes:	pipe pool
 * @flows:	flow table
 * @nofile:	RLIMIT_NOFILE soft limit now
 * @nofile_start: RLIMIT_NOFILE soft limit after raising it at start
 * @nofile_cut:	the limit was lowered from outside since: budget from what
 *		is held, see relay_nofile_refresh()
 * @flow_limit:	most flows right now, see relay_flow_limit()
 * @disarmed_head: first disarmed listener id, LISTENER_NONE if none
 * @disarmed_tail: last disarmed listener id
 * @fd_pressure: accept4() failed with EMFILE/ENFILE; cleared on a close
 * @rearm:	something was freed: try the disarmed listeners again
 * @draining:	DRAIN came: no listeners (but UDP ones kept for their
 *		flows' replies, udp.c "Drain") or agents any more; exit once
 *		the last TCP and UDP flow ends and the last report is sent
 *		(chan_stats_last())
 * @configured:	the first CONFIG_DONE was handled
 * @connect_ports: CONNECT_ALLOW ranges, bit p set: port p may be a
 *		target beyond the FORWARDs' (auto forwards to come)
 * @stats:	STATS report in progress
 * @cnt:	counters of all listeners
 * @udp:	UDP flows and pools (udp.c), NULL until a UDP forward comes
 */
struct relay {
	int epfd;
	bool stop;
	struct ipc_chan chan[CHAN_COUNT];
	bool chan_out[CHAN_COUNT];
	unsigned report_bad;
	bool have_limits;
	struct msg_relay_limits limits;
	struct listener **listeners;
	unsigned nforwards;
	unsigned nlisteners;
	struct port_group *groups;
	unsigned nports;
	unsigned batch;
	uint32_t lgen;
	struct msg_ns_addrs ns_addrs[SIDE_COUNT];
	struct sock_pool pools[SIDE_COUNT][POOL_FAMILIES];
	struct pipe_pool pipes;
	struct flow_table flows;
	unsigned long nofile;
	unsigned long nofile_start;
	bool nofile_cut;
	uint32_t flow_limit;
	uint32_t disarmed_head;
	uint32_t disarmed_tail;
	bool fd_pressure;
	bool rearm;
	bool draining;
	bool configured;
	uint8_t *connect_ports;
	struct stats_report stats;
	struct counters cnt;
	struct udp_state *udp;
};

/* relay.c */
int relay_ep_ctl(struct relay *r, int op, int fd, uint32_t events,
		 uint64_t data);
void relay_flow_limit(struct relay *r);
bool relay_fd_room(const struct relay *r, unsigned need);
void relay_nofile_refresh(struct relay *r);
int relay_table_init(struct relay *r);

/* chan.c */
void chan_event(struct relay *r, unsigned ch, uint32_t events);
void chan_pool_retry(struct relay *r);
void chan_report_retry(struct relay *r);
void chan_stats_pump(struct relay *r);
bool chan_stats_last(struct relay *r);

/* FWD_NAME_LEN - a forward's name in log lines, see fwd_name() */
#define FWD_NAME_LEN		(INANY_STRLEN + 48)

/* listener.c */
const char *fwd_name(const struct msg_forward *fwd, char *buf);
struct sock_pool *listener_pool(struct relay *r, const struct listener *l);
const char *listener_add(struct relay *r, unsigned side, struct ipc_msg *m);
void listener_event(struct relay *r, struct listener *l, uint32_t events);
void listener_rearm(struct relay *r);
void listener_close_all(struct relay *r);
void listener_remove(struct relay *r, uint32_t id);
void listener_flow_gone(struct relay *r, uint32_t id);
void listener_flow_added(struct relay *r, struct listener *l);
void listener_group_join(struct relay *r, struct listener *l,
			 const struct listener *old);
void listener_live_bytes(struct relay *r);

/* splice.c */
void splice_open(struct relay *r, struct listener *l, int fd,
		 const union sockaddr_inany *sa, socklen_t salen);
void splice_event(struct relay *r, struct flow *f, unsigned s, uint32_t ev);
void splice_serve_waiters(struct relay *r);
void splice_idle_sweep(struct relay *r);
void splice_close_all(struct relay *r);
void sock_reset(int fd);

#endif /* NSPLICE_RELAY_INT_H */
