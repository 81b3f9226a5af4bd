/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipes.h - the relay's pool of splice pipes
 *
 * DOC: Theory of Operation
 *
 * See pipes.c.  A flow borrows a pipe only while bytes sit in it and gives
 * it back once it is drained, so an idle connection holds no pipe at all.
 */
#ifndef NSPLICE_RELAY_PIPES_H
#define NSPLICE_RELAY_PIPES_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/log.h"
#include "ipc/msg.h"

/* PIPE_POOL_IDLE_MAX - drained pipes kept for reuse; more are closed */
#define PIPE_POOL_IDLE_MAX	64

/* PIPES_MIN, PIPES_MAX - bounds of the number of pipes in existence */
#define PIPES_MIN		8
#define PIPES_MAX		4096

/* PIPE_FDS_SHARE - pipes may use at most 1/PIPE_FDS_SHARE of RLIMIT_NOFILE */
#define PIPE_FDS_SHARE		8

/*
 * PIPE_BULK_MAX - bytes a bulk flow's pipe grows to, before fs limits.
 * Measured with tests/bench (pipe-max-size swept 64 KiB..4 MiB, 2 cores):
 * throughput and CPU per GB stop improving at 256-512 KiB, while 1 MiB
 * costs twice the pages of 512 KiB, and pages are what an unprivileged
 * relay must budget (fs.pipe-user-pages-soft): 512 KiB lets twice as many
 * bulk flows grow within the same budget.
 */
#define PIPE_BULK_MAX		(512U * 1024U)

/*
 * PIPE_PAGES_UNACCOUNTED - pages all relay pipes may reach together when
 * the kernel does not account pipes to our user (root, CAP_SYS_RESOURCE,
 * or no soft limit): 256 MiB of capacity.  Pipe pages are allocated only
 * while data sits in them, so this bounds the worst case, not the usual.
 */
#define PIPE_PAGES_UNACCOUNTED	65536U

/* PIPE_PAGE_SIZE - bytes the kernel accounts per pipe slot */
#define PIPE_PAGE_SIZE		4096U

/**
 * struct relay_pipe - one pipe, idle in the pool or lent to a flow
 * @rd:		read end, -1 when this holder has no pipe
 * @wr:		write end, -1 when this holder has no pipe
 * @size:	capacity in bytes, as the kernel reports it
 */
struct relay_pipe {
	int rd;
	int wr;
	uint32_t size;
};

/**
 * struct pipe_pool - idle pipes and the budget of all pipes
 * @idle:	drained pipes ready to lend, a stack
 * @nidle:	entries in @idle
 * @count:	pipes in existence, idle and lent
 * @count_max:	most pipes in existence, from the descriptor budget
 * @pages:	pages of all pipes in existence, from their real sizes
 * @pages_budget: most pages all pipes may have together
 * @bulk_size:	size a bulk flow's pipe grows to, bytes
 * @def_size:	size of a fresh pipe, learnt from the first one, bytes
 * @grown:	successful growths, for statistics
 * @rl:		one warning about a spent budget (a growth refused, a pipe
 *		made small, a flow waiting) per LOG_CONDITION_SEC
 */
struct pipe_pool {
	struct relay_pipe idle[PIPE_POOL_IDLE_MAX];
	unsigned nidle;
	unsigned count;
	unsigned count_max;
	uint64_t pages;
	uint64_t pages_budget;
	uint32_t bulk_size;
	uint32_t def_size;
	uint64_t grown;
	struct log_ratelimit rl;
};

void pipes_init(struct pipe_pool *pp, unsigned long nofile);
void pipes_set_limits(struct pipe_pool *pp,
		      const struct msg_relay_limits *l);
bool pipe_can_lend(const struct pipe_pool *pp);
int pipe_borrow(struct pipe_pool *pp, struct relay_pipe *p);
void pipe_return(struct pipe_pool *pp, struct relay_pipe *p);
void pipe_discard(struct pipe_pool *pp, struct relay_pipe *p);
void pipe_grow(struct pipe_pool *pp, struct relay_pipe *p);
unsigned pipes_trim(struct pipe_pool *pp);
void pipes_fini(struct pipe_pool *pp);

#endif /* NSPLICE_RELAY_PIPES_H */
