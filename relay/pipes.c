// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pipes.c - the relay's pool of splice pipes, and their sizes
 *
 * DOC: Theory of Operation
 *
 * Every byte a flow moves passes through a pipe: splice() from the source
 * socket into the pipe, splice() from the pipe into the destination
 * socket.  A pipe is needed only while bytes sit in it, so flows borrow
 * pipes from this pool when they are about to read and return them as soon
 * as they are drained.  An idle connection therefore costs its two sockets
 * and nothing else, where pasta and systemd-socket-proxyd hold two pipes
 * (four descriptors) per connection for its whole life.
 *
 * Pipes are created lazily with pipe2() (the one kind of descriptor the
 * relay may create), and drained ones are kept on a bounded stack for
 * reuse; beyond PIPE_POOL_IDLE_MAX they are closed.  A pipe returned with
 * bytes still in it (a flow closed on an error) is closed, never reused.
 *
 * Budgets:
 *  - descriptors: at most @count_max pipes exist at once, a share of
 *    RLIMIT_NOFILE that the flow table leaves free (see relay.c);
 *  - pages: a fresh pipe has the kernel's default size (64 KiB); a flow
 *    that fills its pipe is moving bulk data and gets it grown with
 *    F_SETPIPE_SZ to @bulk_size.  Every pipe's pages are counted from the
 *    size the kernel reports, and neither creation nor growth may take the
 *    total past @pages_budget.  When the kernel accounts pipe pages to our
 *    user (fs.pipe-user-pages-soft, not root), the budget is half of the
 *    soft limit, so the relay never trips it: past it the kernel would
 *    silently hand out one-page pipes to every process of the user.
 *
 * A spent page budget does not make flows wait: a pipe created then is
 * shrunk to one page at once (F_SETPIPE_SZ on the empty pipe), and such a
 * small pipe is closed, not kept, when it is returned.  Waiting let 64
 * clients that never read their downloads pin every page (64 grown pipes
 * of 128 pages) and stop every new connection of every forward; now a
 * new flow moves its bytes a page at a time until full pipes come back.
 * Small pipes may take half the page budget again (PIPE_SMALL_SHARE), so
 * the user stays under its soft limit; past that, or past the descriptor
 * budget, flows wait for a pipe.  One warning per LOG_CONDITION_SEC says
 * which budget was spent.
 *
 * Syscalls: pipe2, fcntl(F_GETPIPE_SZ, F_SETPIPE_SZ), close.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ipc/log.h"
#include "relay/pipes.h"

/* PIPE_SMALL_SHARE - one-page pipes may add 1/this of the page budget */
#define PIPE_SMALL_SHARE	2U

/* PIPE_DEF_SIZE_GUESS - size of a fresh pipe until one was measured */
#define PIPE_DEF_SIZE_GUESS	(64U * 1024U)

/**
 * pipe_pages() - pages the kernel accounts for a pipe of @size bytes
 * @size:	pipe size in bytes
 *
 * Return: number of pages
 */
static uint64_t pipe_pages(uint32_t size)
{
	return (size + PIPE_PAGE_SIZE - 1) / PIPE_PAGE_SIZE;
}

/**
 * pow2_floor() - largest power of two not above @v
 * @v:		value, at least 1
 *
 * F_SETPIPE_SZ rounds up to a power of two pages; asking for a rounded-down
 * size keeps the request within fs.pipe-max-size.
 *
 * Return: the power of two
 */
static uint32_t pow2_floor(uint32_t v)
{
	uint32_t p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

/**
 * pipes_init() - empty pool with a descriptor budget
 * @pp:		pool
 * @nofile:	RLIMIT_NOFILE the relay runs with
 *
 * Pipes get 1/PIPE_FDS_SHARE of the descriptors (two each), within
 * PIPES_MIN..PIPES_MAX.
 */
void pipes_init(struct pipe_pool *pp, unsigned long nofile)
{
	unsigned long n = nofile / PIPE_FDS_SHARE / 2;

	memset(pp, 0, sizeof(*pp));
	if (n < PIPES_MIN)
		n = PIPES_MIN;
	if (n > PIPES_MAX)
		n = PIPES_MAX;
	pp->count_max = (unsigned)n;
	pp->pages_budget = PIPE_PAGES_UNACCOUNTED;
	pp->bulk_size = PIPE_BULK_MAX;
}

/**
 * pipes_set_limits() - apply the supervisor's view of the pipe sysctls
 * @pp:		pool
 * @l:		limits read from /proc by the supervisor
 */
void pipes_set_limits(struct pipe_pool *pp, const struct msg_relay_limits *l)
{
	uint32_t bulk = l->pipe_max_size < PIPE_BULK_MAX ? l->pipe_max_size
							  : PIPE_BULK_MAX;

	pp->bulk_size = pow2_floor(bulk);
	if (l->pipe_accounted && l->pipe_pages_soft)
		pp->pages_budget = l->pipe_pages_soft / 2;
	else
		pp->pages_budget = PIPE_PAGES_UNACCOUNTED;
	ninfo("pipes: at most %u, %llu pages (%s), bulk size %u bytes",
	      pp->count_max, (unsigned long long)pp->pages_budget,
	      l->pipe_accounted ? "half the user's soft limit" : "fixed",
	      pp->bulk_size);
}

/**
 * pipe_fits() - would a pipe of the kernel's default size fit the pages
 * @pp:		pool
 *
 * Return: true if the page budget has room for one more default pipe
 */
static bool pipe_fits(const struct pipe_pool *pp)
{
	uint32_t def = pp->def_size ? pp->def_size : PIPE_DEF_SIZE_GUESS;

	return pp->pages + pipe_pages(def) <= pp->pages_budget;
}

/**
 * pipe_can_lend() - tell whether pipe_borrow() can succeed without pipe2()
 *		     failing
 * @pp:		pool
 *
 * Return: true if an idle pipe exists, or the descriptor budget has room
 * for one more and the page budget for a default pipe or, past it, a
 * one-page pipe (PIPE_SMALL_SHARE)
 */
bool pipe_can_lend(const struct pipe_pool *pp)
{
	if (pp->nidle)
		return true;
	return pp->count < pp->count_max &&
	       (pipe_fits(pp) || pp->pages + 1 <= pp->pages_budget +
					     pp->pages_budget / PIPE_SMALL_SHARE);
}

/**
 * pipe_shrink() - make a pipe created past the page budget one page
 * @pp:		pool
 * @p:		the new, empty pipe
 */
static void pipe_shrink(struct pipe_pool *pp, struct relay_pipe *p)
{
	int n = fcntl(p->wr, F_SETPIPE_SZ, (int)PIPE_PAGE_SIZE);

	if (n <= 0)
		return;		/* keeps its size: counted as it is */
	pp->pages -= pipe_pages(p->size);
	p->size = (uint32_t)n;
	pp->pages += pipe_pages(p->size);
	/* The user should know why flows slow down */
	if (log_due(&pp->rl, LOG_LVL_WARN, LOG_CONDITION_SEC))
		nwarn("pipe page budget spent (%u pipes, %llu pages): new "
		      "flows get one-page pipes", pp->count,
		      (unsigned long long)pp->pages);
}

/**
 * pipe_create() - make a new non-blocking pipe and account for it
 * @pp:		pool
 * @p:		filled on success
 *
 * Return: 0 on success, -1 with errno set
 */
static int pipe_create(struct pipe_pool *pp, struct relay_pipe *p)
{
	int fds[2], size;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC)) {
		int err = errno;

		ndebug("pipe2: %s", strerror(err));
		errno = err;
		return -1;
	}
	/* The real size: past the soft limit the kernel gives fewer pages */
	size = fcntl(fds[0], F_GETPIPE_SZ);
	if (size <= 0)
		size = (int)PIPE_PAGE_SIZE;
	p->rd = fds[0];
	p->wr = fds[1];
	p->size = (uint32_t)size;
	if (!pp->def_size)
		pp->def_size = p->size;
	pp->count++;
	pp->pages += pipe_pages(p->size);
	return 0;
}

/**
 * pipe_borrow() - lend a drained pipe to a flow
 * @pp:		pool
 * @p:		filled with the pipe
 *
 * Return: 0 on success, -1 with errno EAGAIN if a budget is spent, or the
 * error of pipe2()
 */
int pipe_borrow(struct pipe_pool *pp, struct relay_pipe *p)
{
	bool fits;

	if (pp->nidle) {
		*p = pp->idle[--pp->nidle];
		return 0;
	}
	if (!pipe_can_lend(pp)) {
		/* Data waits, intact; but the user should know why flows
		 * slow down (fs.pipe-user-pages-soft, RLIMIT_NOFILE). */
		if (log_due(&pp->rl, LOG_LVL_WARN, LOG_CONDITION_SEC))
			nwarn("pipe budget spent (%u pipes, %llu pages): "
			      "flows wait for a pipe", pp->count,
			      (unsigned long long)pp->pages);
		errno = EAGAIN;
		return -1;
	}
	fits = pipe_fits(pp);
	if (pipe_create(pp, p))
		return -1;
	if (!fits)
		pipe_shrink(pp, p);
	return 0;
}

/**
 * pipe_discard() - close a pipe, which may still hold bytes
 * @pp:		pool
 * @p:		pipe; reset to "none"
 */
void pipe_discard(struct pipe_pool *pp, struct relay_pipe *p)
{
	if (p->rd < 0)
		return;
	close(p->rd);
	close(p->wr);
	pp->count--;
	pp->pages -= pipe_pages(p->size);
	p->rd = p->wr = -1;
	p->size = 0;
}

/**
 * pipe_return() - give a drained pipe back for reuse
 * @pp:		pool
 * @p:		empty pipe; reset to "none"
 */
void pipe_return(struct pipe_pool *pp, struct relay_pipe *p)
{
	if (p->rd < 0)
		return;
	/* A one-page pipe of a spent budget is not worth keeping */
	if (pp->nidle >= PIPE_POOL_IDLE_MAX || p->size < pp->def_size) {
		pipe_discard(pp, p);
		return;
	}
	pp->idle[pp->nidle++] = *p;
	p->rd = p->wr = -1;
	p->size = 0;
}

/**
 * pipe_grow() - enlarge the pipe of a bulk flow, within the page budget
 * @pp:		pool
 * @p:		lent pipe that a read just filled; may hold bytes (growing
 *		never fails for that reason, only shrinking does)
 */
void pipe_grow(struct pipe_pool *pp, struct relay_pipe *p)
{
	uint64_t extra;
	int n;

	if (p->size >= pp->bulk_size)
		return;
	extra = pipe_pages(pp->bulk_size) - pipe_pages(p->size);
	if (pp->pages + extra > pp->pages_budget) {
		if (log_due(&pp->rl, LOG_LVL_WARN, LOG_CONDITION_SEC))
			nwarn("pipe page budget (%llu pages) reached: bulk "
			      "flows keep %u-byte pipes",
			      (unsigned long long)pp->pages_budget, p->size);
		return;
	}
	n = fcntl(p->wr, F_SETPIPE_SZ, (int)pp->bulk_size);
	if (n < 0) {
		int err = errno;

		/* EPERM: above fs.pipe-max-size or a user limit: stop asking */
		nwarn("growing a pipe to %u bytes: %s; not trying again",
		      pp->bulk_size, strerror(err));
		pp->bulk_size = p->size;
		return;
	}
	pp->pages -= pipe_pages(p->size);
	p->size = (uint32_t)n;
	pp->pages += pipe_pages(p->size);
	pp->grown++;
}

/**
 * pipes_trim() - close every idle pipe, to free descriptors
 * @pp:		pool
 *
 * Return: number of pipes closed
 */
unsigned pipes_trim(struct pipe_pool *pp)
{
	unsigned n = pp->nidle;

	while (pp->nidle)
		pipe_discard(pp, &pp->idle[--pp->nidle]);
	return n;
}

/**
 * pipes_fini() - close the idle pipes at shutdown
 * @pp:		pool; lent pipes are closed by their flows
 */
void pipes_fini(struct pipe_pool *pp)
{
	pipes_trim(pp);
}
