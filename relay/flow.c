// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow.c - flow table, pipe wait list and epoll event encoding
 *
 * DOC: Theory of Operation
 *
 * The flow table is one array of slots allocated when the relay learns its
 * limits, never resized.  Free slots form a LIFO list threaded through
 * &struct flow.next_free: the most recently freed slot is reused first,
 * which keeps the working set small.  Reuse is safe because every slot has
 * a generation that is incremented when it is freed, and every epoll event
 * carries the generation the flow had when its socket was registered: an
 * event still queued for a closed flow (later in the same epoll_wait()
 * batch, say) names an old generation and flowtab_lookup() ignores it.
 *
 * A flow that wants to read but cannot get a pipe (the pipe budget is
 * spent) stops polling that side and queues on the pipe wait list, a FIFO
 * of (slot, direction) nodes doubly linked through the slots so a closing
 * flow leaves the list in O(1).  Whoever returns a pipe lets the main loop
 * pop the oldest waiter.
 *
 * Idle timeout: every flow remembers the coarse time (whole seconds of
 * CLOCK_MONOTONIC) of its last event, &struct flow.last, a store per
 * event.  The relay's loop reads the clock once per round, and only while
 * a timeout is set, and sweeps the table every max(1, T / IDLE_SWEEPS)
 * seconds: a flow is closed between T and 1.25 T + 1 seconds after its
 * last event (the 1 is the clock's granularity), never earlier.  The sweep is due on a
 * deadline the loop passes to epoll_wait() as its timeout, so there is no
 * timer descriptor to create, read or allow in the sandbox, and with the
 * timeout off epoll_wait() still blocks without one.  A sweep visits
 * every slot: at the largest table (FLOW_SLOTS_MAX) that is under a
 * millisecond (865 us measured by test_flow) once a second at most,
 * cheaper than keeping a list in order on every event.
 *
 * epoll_event.data.u64 layout (ev_encode()):
 *
 *   bits  0..1   enum ev_kind (0 never valid)
 *   bit   2      side (enum flow_side)
 *   bits  8..31  index: channel, listener id (< FWD_ID_MAX) or slot
 *   bits 32..63  generation
 *
 * Nothing here makes a system call.
 */
#include <stdlib.h>
#include <string.h>

#include "relay/flow.h"

#define EV_KIND_MASK	0x7U
#define EV_SIDE_SHIFT	3
#define EV_IDX_SHIFT	8
#define EV_GEN_SHIFT	32

/**
 * flowtab_reset() - put a slot into the state of a fresh, closed flow
 * @f:		slot; its generation and free-list link are kept
 */
static void flowtab_reset(struct flow *f)
{
	uint32_t gen = f->gen, next = f->next_free;
	unsigned s;

	memset(f, 0, sizeof(*f));
	for (s = 0; s < FSIDES; s++) {
		f->sock[s] = -1;
		f->pipe[s].rd = f->pipe[s].wr = -1;
		f->wait_prev[s] = f->wait_next[s] = FLOW_NONE;
	}
	f->gen = gen;
	f->next_free = next;
}

/**
 * flowtab_init() - allocate the slots and chain them all as free
 * @t:		table to set up
 * @size:	number of slots, 1..FLOW_SLOTS_MAX
 *
 * The free list starts in index order, so the first flows get slots 0, 1,
 * 2...
 *
 * Return: 0 on success, -1 if @size is out of range or memory is short
 */
int flowtab_init(struct flow_table *t, uint32_t size)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (!size || size > FLOW_SLOTS_MAX)
		return -1;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot)
		return -1;
	t->size = size;
	for (i = 0; i < size; i++) {
		t->slot[i].next_free = i + 1 < size ? i + 1 : FLOW_NONE;
		flowtab_reset(&t->slot[i]);
	}
	t->free_head = 0;
	t->wait_head = t->wait_tail = FLOW_NONE;
	return 0;
}

/**
 * flowtab_fini() - release the slots
 * @t:		table; every flow must already be closed
 */
void flowtab_fini(struct flow_table *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
	t->free_head = t->wait_head = t->wait_tail = FLOW_NONE;
}

/**
 * flowtab_alloc() - take a slot off the free list
 * @t:		table
 *
 * Return: a reset flow marked FLOW_F_USED, or NULL if every slot is in use
 */
struct flow *flowtab_alloc(struct flow_table *t)
{
	struct flow *f;

	if (t->free_head == FLOW_NONE)
		return NULL;
	f = &t->slot[t->free_head];
	t->free_head = f->next_free;
	f->next_free = FLOW_NONE;
	flowtab_reset(f);
	f->flags = FLOW_F_USED;
	t->used++;
	return f;
}

/**
 * flowtab_free() - return a slot to the free list and retire its generation
 * @t:		table
 * @f:		flow; its sockets and pipes must already be released, and it
 *		must not be on the pipe wait list
 */
void flowtab_free(struct flow_table *t, struct flow *f)
{
	if (!(f->flags & FLOW_F_USED))
		return;
	f->flags = 0;
	f->gen++;
	f->next_free = t->free_head;
	t->free_head = flowtab_index(t, f);
	t->used--;
}

/**
 * flowtab_index() - slot number of a flow
 * @t:		table
 * @f:		flow in @t
 *
 * Return: index of @f in the table
 */
uint32_t flowtab_index(const struct flow_table *t, const struct flow *f)
{
	return (uint32_t)(f - t->slot);
}

/**
 * flowtab_lookup() - find the live flow an event refers to
 * @t:		table
 * @idx:	slot from the event
 * @gen:	generation from the event
 *
 * Return: the flow, or NULL if @idx is out of range, free, or reused since
 * the event was registered
 */
struct flow *flowtab_lookup(const struct flow_table *t, uint32_t idx,
			    uint32_t gen)
{
	struct flow *f;

	if (idx >= t->size)
		return NULL;
	f = &t->slot[idx];
	if (!(f->flags & FLOW_F_USED) || f->gen != gen)
		return NULL;
	return f;
}

/**
 * wait_node() - flow and direction of a pipe wait list node
 * @t:		table
 * @node:	slot * 2 + direction
 * @d:		set to the direction
 *
 * Return: the flow of @node
 */
static struct flow *wait_node(const struct flow_table *t, uint32_t node,
			      unsigned *d)
{
	*d = node & 1U;
	return &t->slot[node >> 1];
}

/**
 * flowtab_wait_add() - queue direction @d of a flow for the next free pipe
 * @t:		table
 * @f:		flow; FLOW_F_PIPE_WAIT(@d) is set here
 * @d:		direction that needs a pipe
 */
void flowtab_wait_add(struct flow_table *t, struct flow *f, unsigned d)
{
	uint32_t node = flowtab_index(t, f) * 2U + d;
	unsigned td;

	if (f->flags & FLOW_F_PIPE_WAIT(d))
		return;
	f->flags |= FLOW_F_PIPE_WAIT(d);
	f->wait_prev[d] = t->wait_tail;
	f->wait_next[d] = FLOW_NONE;
	if (t->wait_tail == FLOW_NONE)
		t->wait_head = node;
	else
		wait_node(t, t->wait_tail, &td)->wait_next[td] = node;
	t->wait_tail = node;
}

/**
 * flowtab_wait_del() - take direction @d of a flow off the pipe wait list
 * @t:		table
 * @f:		flow; FLOW_F_PIPE_WAIT(@d) is cleared here
 * @d:		direction
 *
 * A no-op if that direction is not waiting, so closing paths can call it
 * unconditionally.
 */
void flowtab_wait_del(struct flow_table *t, struct flow *f, unsigned d)
{
	uint32_t prev = f->wait_prev[d], next = f->wait_next[d];
	unsigned td;

	if (!(f->flags & FLOW_F_PIPE_WAIT(d)))
		return;
	f->flags &= (uint16_t)~FLOW_F_PIPE_WAIT(d);
	if (prev == FLOW_NONE)
		t->wait_head = next;
	else
		wait_node(t, prev, &td)->wait_next[td] = next;
	if (next == FLOW_NONE)
		t->wait_tail = prev;
	else
		wait_node(t, next, &td)->wait_prev[td] = prev;
	f->wait_prev[d] = f->wait_next[d] = FLOW_NONE;
}

/**
 * flowtab_wait_pop() - take the oldest waiter off the pipe wait list
 * @t:		table
 * @d:		set to the waiting direction
 *
 * Return: the flow, FLOW_F_PIPE_WAIT(*@d) cleared, or NULL if none waits
 */
struct flow *flowtab_wait_pop(struct flow_table *t, unsigned *d)
{
	struct flow *f;

	if (t->wait_head == FLOW_NONE)
		return NULL;
	f = wait_node(t, t->wait_head, d);
	flowtab_wait_del(t, f, *d);
	return f;
}

/**
 * flowtab_idle_set() - switch the idle timeout on or off
 * @t:		table
 * @timeout:	seconds, 0 for off
 * @now_ms:	CLOCK_MONOTONIC now, milliseconds
 */
void flowtab_idle_set(struct flow_table *t, uint32_t timeout, uint64_t now_ms)
{
	struct flow_idle *id = &t->idle;

	id->timeout = timeout;
	id->period = timeout / IDLE_SWEEPS ? timeout / IDLE_SWEEPS : 1;
	flowtab_idle_clock(t, now_ms);
	id->next_ms = now_ms + (uint64_t)id->period * IDLE_MS_PER_S;
}

/**
 * flowtab_idle_clock() - take the time of this loop round
 * @t:		table
 * @now_ms:	CLOCK_MONOTONIC now, milliseconds
 */
void flowtab_idle_clock(struct flow_table *t, uint64_t now_ms)
{
	t->idle.now_ms = now_ms;
	t->idle.now = (uint32_t)(now_ms / IDLE_MS_PER_S);
}

/**
 * flowtab_idle_wait_ms() - how long the loop may sleep before the next sweep
 * @t:		table, clock taken this round
 *
 * Return: -1 (no limit) with the timeout off, else milliseconds until the
 * sweep is due, 0 if it is
 */
int flowtab_idle_wait_ms(const struct flow_table *t)
{
	const struct flow_idle *id = &t->idle;

	if (!id->timeout)
		return -1;
	if (id->now_ms >= id->next_ms)
		return 0;
	/* At most IDLE_TIMEOUT_MAX / IDLE_SWEEPS s ahead: fits in an int */
	return (int)(id->next_ms - id->now_ms);
}

/**
 * flowtab_idle_due() - tell whether a sweep is due
 * @t:		table, clock taken this round
 *
 * Return: true with the timeout on and its deadline reached
 */
bool flowtab_idle_due(const struct flow_table *t)
{
	return t->idle.timeout && t->idle.now_ms >= t->idle.next_ms;
}

/**
 * flowtab_idle_next() - find the next flow that has been idle too long
 * @t:		table
 * @pos:	slot to start at; set past the flow returned
 *
 * The caller may close (free) the flow returned before the next call.
 *
 * Return: a live flow with no event for at least the timeout, or NULL once
 * the table is done
 */
struct flow *flowtab_idle_next(struct flow_table *t, uint32_t *pos)
{
	while (*pos < t->size) {
		struct flow *f = &t->slot[(*pos)++];

		/* Whole seconds: "more than T" never closes a flow early */
		if ((f->flags & FLOW_F_USED) &&
		    t->idle.now - f->last > t->idle.timeout)
			return f;
	}
	return NULL;
}

/**
 * flowtab_idle_swept() - a sweep is done: schedule the next one
 * @t:		table
 *
 * One period after this one was due, or after now if the loop fell
 * behind by more than a period (a stopped process, say): sweeps never
 * queue up.
 */
void flowtab_idle_swept(struct flow_table *t)
{
	struct flow_idle *id = &t->idle;
	uint64_t step = (uint64_t)id->period * IDLE_MS_PER_S;

	id->next_ms += step;
	if (id->next_ms <= id->now_ms)
		id->next_ms = id->now_ms + step;
}

/**
 * ev_encode() - pack what an epoll event refers to into its data word
 * @kind:	enum ev_kind
 * @idx:	index, <= EV_IDX_MAX (higher bits are dropped)
 * @side:	enum flow_side, 0 or 1
 * @gen:	generation
 *
 * Return: value for epoll_event.data.u64
 */
uint64_t ev_encode(unsigned kind, uint32_t idx, unsigned side, uint32_t gen)
{
	return (uint64_t)(kind & EV_KIND_MASK) |
	       (uint64_t)(side & 1U) << EV_SIDE_SHIFT |
	       (uint64_t)(idx & EV_IDX_MAX) << EV_IDX_SHIFT |
	       (uint64_t)gen << EV_GEN_SHIFT;
}

/**
 * ev_decode() - unpack epoll_event.data.u64
 * @v:		value built by ev_encode()
 *
 * Return: the decoded reference
 */
struct ev_ref ev_decode(uint64_t v)
{
	struct ev_ref r;

	r.kind = (unsigned)(v & EV_KIND_MASK);
	r.side = (unsigned)(v >> EV_SIDE_SHIFT) & 1U;
	r.idx = (uint32_t)(v >> EV_IDX_SHIFT) & EV_IDX_MAX;
	r.gen = (uint32_t)(v >> EV_GEN_SHIFT);
	return r;
}
