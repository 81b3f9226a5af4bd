/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.h - pools of fresh sockets handed over by the agents
 *
 * DOC: Theory of Operation
 *
 * See pool.c.
 */
#ifndef NSPLICE_RELAY_POOL_H
#define NSPLICE_RELAY_POOL_H

#include <stdbool.h>

#include "ipc/ipc.h"

/* POOL_FILL_GOAL - sockets kept per (side, family) */
#define POOL_FILL_GOAL		32

/* POOL_REFILL_BELOW - ask for more when available + outstanding is lower */
#define POOL_REFILL_BELOW	16

/* POOL_CUT_FILL_GOAL - sockets kept per pool while descriptors are short */
#define POOL_CUT_FILL_GOAL	4

/* POOL_FAMILIES - address families a pool exists for (IPv4, IPv6) */
#define POOL_FAMILIES		2

/*
 * side_pool_foreach() - every pool of one side of a relay, one per family
 * @r:		struct relay *
 * @side:	enum nsp_side, the side the sockets are opened in
 * @fam:	unsigned lvalue: the family index (pool_fam_af() gives the af)
 * @p:		struct sock_pool * lvalue: the pool
 */
#define side_pool_foreach(r, side, fam, p)				\
	for ((fam) = 0; (fam) < POOL_FAMILIES &&			\
	     ((p) = &(r)->pools[side][fam], true); (fam)++)

/*
 * pool_foreach() - every pool of a relay: each side, each family
 * @r:		struct relay *
 * @s:		unsigned lvalue: the side
 * @fam:	unsigned lvalue: the family index
 * @p:		struct sock_pool * lvalue: the pool
 */
#define pool_foreach(r, s, fam, p)					\
	for ((s) = 0; (s) < SIDE_COUNT; (s)++)				\
		side_pool_foreach(r, s, fam, p)

/**
 * struct sock_pool - unconnected sockets of one side and family
 * @fd:		available sockets, a stack
 * @avail:	entries in @fd
 * @outstanding: sockets asked for with POOL_REQ and not received yet
 * @needed:	some listener connects through this pool: keep it filled
 * @retry:	a POOL_REQ could not be sent (channel full): try again
 * @goal:	sockets to keep: POOL_FILL_GOAL, or POOL_CUT_FILL_GOAL while
 *		the relay's descriptor limit is cut (relay_nofile_refresh())
 */
struct sock_pool {
	int fd[POOL_FILL_GOAL];
	unsigned avail;
	unsigned outstanding;
	bool needed;
	bool retry;
	unsigned goal;
};

int pool_fam_index(int af);
int pool_fam_af(unsigned i);
void pool_init(struct sock_pool *p);
void pool_refill(struct sock_pool *p, const struct ipc_chan *c, int af);
int pool_take(struct sock_pool *p, const struct ipc_chan *c, int af);
const char *pool_receive(struct sock_pool *p, struct ipc_msg *m);
void pool_fini(struct sock_pool *p);
void pool_set_goal(struct sock_pool *p, unsigned goal);
const char *sock_check(int fd, int af, bool listening);

#endif /* NSPLICE_RELAY_POOL_H */
