/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flow.h - flow table, pipe wait list and epoll event encoding
 *
 * DOC: Theory of Operation
 *
 * See flow.c.  Everything declared here is pure bookkeeping (no system
 * calls), so the unit test can drive it directly.
 */
#ifndef NSPLICE_RELAY_FLOW_H
#define NSPLICE_RELAY_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/msg.h"
#include "relay/pipes.h"

/* FLOW_NONE - "no slot" in free and wait lists */
#define FLOW_NONE		UINT32_MAX

/**
 * enum flow_side - the two sockets of a flow
 * @FSIDE_CLIENT:	accepted from a listener
 * @FSIDE_SERVER:	pool socket of the other namespace, connected by us
 *
 * Data read from side d goes through pipe[d] to side !d ("direction d").
 */
enum flow_side {
	FSIDE_CLIENT = 0,
	FSIDE_SERVER = 1,
	FSIDES = 2
};

/*
 * FLOW_F_* - state bits of a flow (the idea of pasta's tcp_splice.c event
 * bits: one bit per thing seen or done, per side where it matters).
 * OUT_WAIT, FIN_RCVD, FIN_SENT and PIPE_WAIT exist once per side: use the
 * macros with the side index.
 */
#define FLOW_F_USED		0x0001	/* slot holds a live flow */
#define FLOW_F_CONNECT		0x0002	/* server's connection unconfirmed */
#define FLOW_F_ESTABLISHED	0x0004	/* both sockets connected */
#define FLOW_F_EXTERNAL		0x0008	/* server: the other side's external
					 * address (a non-loopback client) */
#define FLOW_F_OUT_WAIT(s)	(0x0010U << (s)) /* output to s blocked */
#define FLOW_F_FIN_RCVD(s)	(0x0040U << (s)) /* s sent EOF */
#define FLOW_F_FIN_SENT(s)	(0x0100U << (s)) /* we shut down writes to s */
#define FLOW_F_PIPE_WAIT(s)	(0x0400U << (s)) /* reading s awaits a pipe */

/**
 * struct flow - one spliced connection
 * @sock:	sockets, by enum flow_side; -1 when closed
 * @pipe:	pipe[d] carries direction d; rd == -1 while none is borrowed
 * @pending:	bytes sitting in pipe[d]
 * @bytes:	bytes delivered in direction d, counted on successful writes
 * @armed:	epoll mask currently registered for each side
 * @flags:	FLOW_F_*
 * @in_epoll:	bit s set while side s is registered with epoll
 * @last:	struct flow_idle.now at the flow's last event (idle timeout)
 * @gen:	generation, incremented when the slot is freed
 * @listener:	id of the listener it was accepted on
 * @next_free:	next slot on the free list, while free
 * @wait_prev:	pipe wait list links, per direction (node = slot * 2 + d)
 * @wait_next:	see @wait_prev
 * @pp:		PROXY v2 header still owed to the server (malloc'd, its
 *		length inside it), NULL when none is: while it is owed
 *		nothing is read from the client (relay/splice.c)
 */
struct flow {
	int sock[FSIDES];
	struct relay_pipe pipe[FSIDES];
	uint32_t pending[FSIDES];
	uint64_t bytes[FSIDES];
	uint32_t armed[FSIDES];
	uint16_t flags;
	uint8_t in_epoll;
	uint32_t last;
	uint32_t gen;
	uint32_t listener;
	uint32_t next_free;
	uint32_t wait_prev[FSIDES];
	uint32_t wait_next[FSIDES];
	uint8_t *pp;
};

/* IDLE_SWEEPS - sweeps per idle timeout: a flow closes after T, within
 * one sweep period (max(1 s, T / IDLE_SWEEPS)) and the 1 s of the coarse
 * clock more: 1.25 T + 1 s for T >= 4, T + 2 s below */
#define IDLE_SWEEPS		4

/* IDLE_MS_PER_S - milliseconds per second, for the coarse clock */
#define IDLE_MS_PER_S		1000U

/**
 * struct flow_idle - idle timeout bookkeeping, all times CLOCK_MONOTONIC
 * @timeout:	seconds without an event after which a flow is closed,
 *		0 when off
 * @period:	seconds between sweeps, max(1, @timeout / IDLE_SWEEPS)
 * @now:	seconds, read once per loop round while @timeout is set
 * @now_ms:	the same reading in milliseconds
 * @next_ms:	when the next sweep is due, milliseconds
 */
struct flow_idle {
	uint32_t timeout;
	uint32_t period;
	uint32_t now;
	uint64_t now_ms;
	uint64_t next_ms;
};

/**
 * struct flow_table - fixed array of slots, allocated once
 * @slot:	the slots
 * @size:	number of slots
 * @used:	slots holding a flow
 * @free_head:	first free slot, FLOW_NONE if all are used
 * @wait_head:	first node waiting for a pipe, FLOW_NONE if none
 * @wait_tail:	last node waiting for a pipe
 * @idle:	idle timeout
 */
struct flow_table {
	struct flow *slot;
	uint32_t size;
	uint32_t used;
	uint32_t free_head;
	uint32_t wait_head;
	uint32_t wait_tail;
	struct flow_idle idle;
};

int flowtab_init(struct flow_table *t, uint32_t size);
void flowtab_fini(struct flow_table *t);
struct flow *flowtab_alloc(struct flow_table *t);
void flowtab_free(struct flow_table *t, struct flow *f);
uint32_t flowtab_index(const struct flow_table *t, const struct flow *f);
struct flow *flowtab_lookup(const struct flow_table *t, uint32_t idx,
			    uint32_t gen);
void flowtab_wait_add(struct flow_table *t, struct flow *f, unsigned d);
void flowtab_wait_del(struct flow_table *t, struct flow *f, unsigned d);
struct flow *flowtab_wait_pop(struct flow_table *t, unsigned *d);
void flowtab_idle_set(struct flow_table *t, uint32_t timeout, uint64_t now_ms);
void flowtab_idle_clock(struct flow_table *t, uint64_t now_ms);
int flowtab_idle_wait_ms(const struct flow_table *t);
bool flowtab_idle_due(const struct flow_table *t);
struct flow *flowtab_idle_next(struct flow_table *t, uint32_t *pos);
void flowtab_idle_swept(struct flow_table *t);

/**
 * enum ev_kind - what an epoll event refers to
 * @EV_NONE:		never registered; a zeroed event decodes to this
 * @EV_CHAN:		control channel, index is CHAN_*
 * @EV_LISTENER:	listening socket, index is the listener id
 * @EV_FLOW:		flow socket, index is the slot, side is enum flow_side
 * @EV_UDP_LISTEN:	UDP forward's socket, index is the listener id
 * @EV_UDP_FLOW:	UDP flow's target socket, index is its slot (udp.c)
 */
enum ev_kind {
	EV_NONE = 0,
	EV_CHAN = 1,
	EV_LISTENER = 2,
	EV_FLOW = 3,
	EV_UDP_LISTEN = 4,
	EV_UDP_FLOW = 5,
};

/* EV_IDX_MAX - largest index an event can carry (24 bits) */
#define EV_IDX_MAX		0xffffffU

/**
 * struct ev_ref - decoded epoll_event.data.u64
 * @kind:	enum ev_kind
 * @side:	enum flow_side for EV_FLOW, 0 otherwise
 * @idx:	channel, listener id or flow slot, <= EV_IDX_MAX
 * @gen:	generation of the object when it was registered
 */
struct ev_ref {
	unsigned kind;
	unsigned side;
	uint32_t idx;
	uint32_t gen;
};

uint64_t ev_encode(unsigned kind, uint32_t idx, unsigned side, uint32_t gen);
struct ev_ref ev_decode(uint64_t v);

#endif /* NSPLICE_RELAY_FLOW_H */
