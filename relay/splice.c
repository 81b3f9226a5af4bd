// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * splice.c - per-flow state machine: connect, splice both ways, close
 *
 * DOC: Theory of Operation
 *
 * A flow joins the client socket accepted on a listener (FSIDE_CLIENT) and
 * a pool socket of the other namespace that we connect (FSIDE_SERVER).
 * Bytes read from side d go through pipe[d] into side !d ("direction d"),
 * with splice() both ways, so no payload byte is ever copied to user space.
 *
 * State is a set of bits (FLOW_F_*, flow.h), as in pasta: CONNECT, then
 * ESTABLISHED.  The connection to the server is optimistic: the client's
 * request is read and written to the server right after connect(), and
 * both sides are polled at once; CONNECT only means "not confirmed yet",
 * until the server side reports an event or moves a byte, and a failure
 * of the server side before that counts as a refused connection
 * (splice_connect()).  Per side OUT_WAIT (output to that side is blocked),
 * FIN_RCVD (that side sent EOF), FIN_SENT (we shut down writing to it) and
 * PIPE_WAIT (reading it waits for a pipe).  splice_mask() derives each side's
 * epoll mask from the bits and splice_arm() calls epoll_ctl() only when the
 * mask really changes.  The epoll is level-triggered, so every rule below
 * is about never being woken for something we will not act on:
 *
 *  - OUT_WAIT on side X removes EPOLLIN from the opposite side: reading
 *    while the output is blocked is pasta's 100 % CPU bug (#4).  EPOLLOUT
 *    on X writes what is pending, and once the pipe is empty reads the
 *    opposite side at once instead of waiting for another wake-up.
 *  - The write always asks for everything pending in the pipe, not just
 *    what the last read added (#3), and any byte left over sets OUT_WAIT on
 *    the destination, whether the write was short or failed with EAGAIN
 *    (#2); OUT_WAIT belongs to the side being written, never the one read
 *    (#1).
 *  - FIN_RCVD on a side removes its EPOLLIN.  EPOLLHUP and EPOLLERR come
 *    whatever the mask says, so a side that can only report them
 *    uselessly (we sent it FIN, so it reports EPOLLHUP once its peer's FIN
 *    arrives, and nothing is to be read from it now) is taken out of the
 *    epoll set and put back when there is something to read again.
 *  - EPOLLIN|EPOLLRDHUP|EPOLLHUP together is a peer that sent its last
 *    bytes and FIN: read everything first (#7).  Only EPOLLERR, a failing
 *    read or write, or a hang-up of a side we never shut down is an error:
 *    then the other side's socket gets SO_LINGER {1, 0} before both are
 *    closed, so its peer sees a reset rather than a clean end (#6).
 *  - EOF read from side d becomes shutdown(SHUT_WR) on side !d once pipe[d]
 *    is drained: a half-close is propagated, and the other direction keeps
 *    flowing.  The flow ends when both EOFs are read and both pipes are
 *    empty; close() then sends the FIN still owed (splice_settle()).
 *  - errno is saved right after the failing call, EINTR is retried, and
 *    bytes are counted only from a successful write (#8).
 *
 * Pipes are borrowed for a read and returned as soon as they are empty
 * (pipes.c), so an idle flow holds just its two sockets.  A read that fills
 * 90 % of the pipe marks bulk data: the write gets SPLICE_F_MORE (the next
 * bytes are already coming, no need to push a partial segment) and the pipe
 * is grown.  Small request/response traffic never waits for Nagle: the
 * agents set TCP_NODELAY on pool sockets and listeners, and accepted
 * sockets inherit it (checked: see splice_open()).
 *
 * Work per event is bounded: a direction loops read -> write until a read
 * comes back short (the socket is drained; one more read would only return
 * EAGAIN) or MOVE_ROUNDS_MAX rounds are done; whatever is left is reported
 * again by the level-triggered epoll.
 *
 * PROXY protocol (forwards with FWD_F_PROXY, proxyv2.c): the header goes
 * to the server before any byte of the client's.  It is sent with send()
 * right after connect(), which on loopback and veth has mostly completed
 * by then; while the connection is still in SYN_SENT the kernel answers
 * EAGAIN, and the header is kept (flow.pp) until the server's first event
 * proves the connection up.  While it is owed the client is not read at
 * all (splice_mask(), splice_move()) and the server is polled for EPOLLOUT,
 * so the client's first bytes, however early they come, wait in its
 * socket and cannot overtake the header.  Any other outcome - an error, or
 * fewer bytes than the header's - resets both sides: a service that
 * expects the header must never see a connection without it.  The header
 * is at most PP2_MAX_LEN bytes into an empty send buffer, so a short
 * write does not happen in practice.
 *
 * Syscalls: splice, shutdown, connect, send (the PROXY header),
 * getsockopt(SO_ERROR), setsockopt(SO_LINGER, TCP_CONGESTION), epoll_ctl,
 * close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/localcc.h"
#include "relay/proxyv2.h"
#include "relay/relay_int.h"
#include "relay/target.h"

/* MOVE_ROUNDS_MAX - read/write rounds per direction and event */
#define MOVE_ROUNDS_MAX		8

/* PIPE_BULK_NUM/DEN - a read filling this share of the pipe is bulk data */
#define PIPE_BULK_NUM		9
#define PIPE_BULK_DEN		10

/* FLOW_GONE - return value of a step that closed (and freed) the flow */
#define FLOW_GONE		(-1)

/* FLOW_END_CLEAN, FLOW_END_CUT - ends of a flow that are not one side's
 * failure (splice_release() @bad) */
#define FLOW_END_CLEAN		(-1)
#define FLOW_END_CUT		(-2)

static const char *const fside_name[FSIDES] = { "client", "server" };

/**
 * sock_reset() - close a socket so that its peer sees a reset
 * @fd:		connected socket, closed on return
 */
void sock_reset(int fd)
{
	const struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/**
 * sock_error() - pending error of a socket, which reading clears
 * @fd:		socket
 *
 * Return: the SO_ERROR value, or the errno of getsockopt() itself
 */
static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

/**
 * splice_id() - slot number of a flow, for log lines
 * @r:		relay
 * @f:		flow
 *
 * Return: the slot
 */
static unsigned splice_id(const struct relay *r, const struct flow *f)
{
	return flowtab_index(&r->flows, f);
}

/**
 * splice_sock_close() - close one socket of a flow
 * @r:		relay
 * @f:		flow
 * @s:		side
 * @reset:	make the peer see a reset
 *
 * The server socket came from an agent, which might (wrongly) still hold a
 * duplicate; epoll registrations belong to the open file, not to the
 * descriptor, so it is taken out of the epoll set explicitly: a leftover
 * registration would keep reporting a socket we no longer know.  The client
 * socket was created by accept4() here and is ours alone.
 */
static void splice_sock_close(struct relay *r, struct flow *f, unsigned s,
			      bool reset)
{
	int fd = f->sock[s];

	if (fd < 0)
		return;
	if (s == FSIDE_SERVER && (f->in_epoll & (1U << s)))
		relay_ep_ctl(r, EPOLL_CTL_DEL, fd, 0, 0);
	if (reset)
		sock_reset(fd);
	else
		close(fd);
	f->sock[s] = -1;
	f->in_epoll &= (uint8_t)~(1U << s);
}

/**
 * splice_count() - add a closing flow's counters to its listener's and ours
 * @r:		relay
 * @f:		flow
 * @error:	the flow ends on an error after it was established
 */
static void splice_count(struct relay *r, const struct flow *f, bool error)
{
	struct listener *l = r->listeners[f->listener];
	unsigned d;

	for (d = 0; d < FSIDES; d++) {
		r->cnt.bytes[d] += f->bytes[d];
		if (!l)
			continue;
		l->cnt.bytes[d] += f->bytes[d];
		/* A report under way counted them as live: not twice, as
		 * the supervisor never takes back what a draining relay
		 * reported */
		l->live[d] -= l->live[d] < f->bytes[d] ? l->live[d]
						       : f->bytes[d];
	}
	if (error) {
		r->cnt.errors++;
		if (l)
			l->cnt.errors++;
	}
	listener_flow_gone(r, f->listener);
}

/**
 * splice_release() - close a flow and free its slot
 * @r:		relay
 * @f:		flow
 * @bad:	side that failed, FLOW_END_CLEAN for a clean end, or
 *		FLOW_END_CUT for a flow cut short by the relay (shutdown);
 *		both sockets are reset unless the end is clean
 * @err:	errno describing the failure, 0 if none
 * @why:	what ended the flow, for the log line
 *
 * Pipes still holding bytes are closed, empty ones go back to the pool.
 */
static void splice_release(struct relay *r, struct flow *f, int bad, int err,
			   const char *why)
{
	unsigned s;

	for (s = 0; s < FSIDES; s++) {
		flowtab_wait_del(&r->flows, f, s);
		if (f->pending[s])
			pipe_discard(&r->pipes, &f->pipe[s]);
		else
			pipe_return(&r->pipes, &f->pipe[s]);
	}
	/* Any end but a clean one resets both peers: a FIN would tell the
	 * peer of the failed side (or of a flow cut by shutdown) that a
	 * truncated transfer was complete. */
	for (s = 0; s < FSIDES; s++)
		splice_sock_close(r, f, s, bad != FLOW_END_CLEAN);
	free(f->pp);
	f->pp = NULL;
	splice_count(r, f, bad >= 0 && (f->flags & FLOW_F_ESTABLISHED));
	ndebug("flow %u closed (%s%s%s%s%s): %llu bytes client->server, "
	       "%llu server->client", splice_id(r, f), why,
	       bad >= 0 ? " on " : "", bad >= 0 ? fside_name[bad] : "",
	       err ? ": " : "", err ? strerror(err) : "",
	       (unsigned long long)f->bytes[FSIDE_CLIENT],
	       (unsigned long long)f->bytes[FSIDE_SERVER]);
	flowtab_free(&r->flows, f);
	/* A slot and descriptors are free: disarmed listeners may go on */
	r->fd_pressure = false;
	r->rearm = true;
}

/**
 * target_shown() - the address a refused flow's server socket was sent to,
 *		    for the log
 * @fwd:	its forward
 * @external:	the client is not on loopback (FLOW_F_EXTERNAL)
 * @buf:	output, at least INANY_STRLEN + 2 bytes
 * @len:	its size
 *
 * The explicit target, else the other side's loopback of the forward's
 * family, as target.c chose it; "" for the external address, which the
 * line names in words.  A client of ::1 is sent to ::1: a service there on
 * 127.0.0.1 only refuses it while `ss` shows the port listening, and a
 * line without the address sent users looking for a missing listener.
 *
 * Return: @buf
 */
static const char *target_shown(const struct msg_forward *fwd, bool external,
				char *buf, size_t len)
{
	char ip[INANY_STRLEN];
	int af = target_family(fwd);

	buf[0] = '\0';
	if (fwd->flags & FWD_F_TARGET_ADDR)
		inany_ntop(af, &fwd->target_addr, ip, sizeof(ip));
	else if (!external)
		snprintf(ip, sizeof(ip), "%s",
			 af == AF_INET6 ? "::1" : "127.0.0.1");
	else
		return buf;
	snprintf(buf, len, af == AF_INET6 ? "[%s]" : "%s", ip);
	return buf;
}

/**
 * splice_connect_failed() - the server refused or could not be reached
 * @r:		relay
 * @f:		flow, closed here: the client gets a reset at once
 * @err:	errno of connect(), of the first write, or SO_ERROR
 */
static void splice_connect_failed(struct relay *r, struct flow *f, int err)
{
	static struct log_ratelimit rl;
	struct listener *l = r->listeners[f->listener];
	char to[sizeof(":65535")] = "", at[INANY_STRLEN + 2];
	bool external = f->flags & FLOW_F_EXTERNAL;

	r->cnt.refused++;
	if (l) {
		l->cnt.refused++;
		if (l->fwd.target_port != l->fwd.listen_port)
			snprintf(to, sizeof(to), ":%u", l->fwd.target_port);
		target_shown(&l->fwd, external, at, sizeof(at));
		/* The client sees only a reset: the log must say why.  A
		 * client not on loopback was sent to the other side's
		 * external address (loopback safety): a service there on
		 * loopback only refuses it, and "nothing listens" would
		 * send the user looking in the wrong place */
		log_ratelimited(&rl, LOG_LVL_WARN,
				"-%c %u%s: cannot connect to %s%s%u %s%s: "
				"%s%s",
				l->fwd.listen_side == SIDE_HOST ? 't' : 'T',
				l->fwd.listen_port, to, at,
				at[0] ? ":" : "port ", l->fwd.target_port,
				l->fwd.listen_side == SIDE_HOST ?
				"in the namespace" : "on the host",
				external ? " at its external address" : "",
				strerror(err),
				err != ECONNREFUSED ? "" :
				external ?
				" (the client is not on loopback, so it never "
				"reaches a service that listens on loopback "
				"only: listen on that address too, or name the "
				"target, e.g. '*/P:127.0.0.1/P')" :
				!(l->fwd.flags & FWD_F_TARGET_ADDR) &&
				target_family(&l->fwd) == AF_INET6 ?
				" (nothing listens on ::1 there? an IPv6 client "
				"reaches ::1 only: for a service on 127.0.0.1 "
				"alone, use 127.0.0.1 on this side too)" :
				" (nothing listens there?)");
	}
	splice_release(r, f, FSIDE_SERVER, err, "connect");
}

/**
 * splice_abort() - end a flow on an error of one side, resetting the other
 * @r:		relay
 * @f:		flow
 * @bad:	side that failed
 * @err:	errno
 * @why:	failing operation, for the log line
 *
 * A server failing before its connection was confirmed (FLOW_F_CONNECT)
 * refused it, whatever call found out.
 *
 * Return: FLOW_GONE
 */
static int splice_abort(struct relay *r, struct flow *f, unsigned bad, int err,
			const char *why)
{
	if (bad == FSIDE_SERVER && (f->flags & FLOW_F_CONNECT))
		splice_connect_failed(r, f, err);
	else
		splice_release(r, f, (int)bad, err, why);
	return FLOW_GONE;
}

/**
 * splice_mask() - epoll events a side of a flow must be polled for
 * @f:		flow
 * @s:		side
 *
 * While the server's connection is unconfirmed (FLOW_F_CONNECT) both sides
 * are polled as if it were up: a refusal comes as EPOLLERR/EPOLLHUP, which
 * no mask filters, and data from the server proves it is up.  The server
 * needs EPOLLOUT only when something waits to go to it: bytes (OUT_WAIT)
 * or the client's FIN, which must not be sent before the connection is
 * (shutdown() would abort a connection in SYN_SENT), or a PROXY header:
 * until that is written the client is not read.
 *
 * Return: EPOLLIN and/or EPOLLOUT, possibly none
 */
static uint32_t splice_mask(const struct flow *f, unsigned s)
{
	uint32_t ev = 0;

	if (!(f->flags & (FLOW_F_FIN_RCVD(s) | FLOW_F_OUT_WAIT(!s) |
			  FLOW_F_PIPE_WAIT(s))) &&
	    !(s == FSIDE_CLIENT && f->pp))
		ev |= EPOLLIN;
	if ((f->flags & FLOW_F_OUT_WAIT(s)) || (s == FSIDE_SERVER && f->pp))
		ev |= EPOLLOUT;
	if (s == FSIDE_SERVER && (f->flags & FLOW_F_CONNECT) &&
	    (f->flags & FLOW_F_FIN_RCVD(FSIDE_CLIENT)))
		ev |= EPOLLOUT;
	return ev;
}

/**
 * splice_arm() - bring one side's epoll registration in line with its state
 * @r:		relay
 * @f:		flow
 * @s:		side
 *
 * A side with an empty mask stays registered, to learn about errors, unless
 * we already sent it FIN: then EPOLLHUP arrives as soon as its peer's FIN
 * does, and would be reported again and again while we are not reading
 * (the mask is empty only because output in the other direction is
 * blocked).  Such a side is removed and added back with EPOLLIN when it
 * may be read again.  @f->armed tracks the registered mask, so an
 * unchanged mask costs no epoll_ctl().
 *
 * Return: 0 on success, -1 if epoll_ctl() failed (errno set)
 */
static int splice_arm(struct relay *r, struct flow *f, unsigned s)
{
	uint32_t ev = splice_mask(f, s);
	bool want = ev || !(f->flags & FLOW_F_FIN_SENT(s));
	bool in = f->in_epoll & (1U << s);
	int op;

	if (want == in && (!want || ev == f->armed[s]))
		return 0;
	op = !want ? EPOLL_CTL_DEL : in ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (relay_ep_ctl(r, op, f->sock[s], ev,
			 ev_encode(EV_FLOW, splice_id(r, f), s, f->gen)))
		return -1;
	if (want)
		f->in_epoll |= (uint8_t)(1U << s);
	else
		f->in_epoll &= (uint8_t)~(1U << s);
	f->armed[s] = want ? ev : 0;
	return 0;
}

/**
 * splice_update() - apply the state of both sides to the epoll set
 * @r:		relay
 * @f:		flow
 *
 * Return: 0, or FLOW_GONE if epoll_ctl() failed and the flow was closed
 */
static int splice_update(struct relay *r, struct flow *f)
{
	unsigned s;

	for (s = 0; s < FSIDES; s++)
		if (splice_arm(r, f, s))
			return splice_abort(r, f, s, errno, "epoll_ctl");
	return 0;
}

/**
 * splice_connected() - the server's connection is confirmed
 * @r:		relay
 * @f:		flow; a no-op unless FLOW_F_CONNECT
 *
 * Confirmed by the first EPOLLOUT or EPOLLIN of the server socket without
 * an error, or by the first byte read from or written to it: no SO_ERROR
 * query is needed for that.
 */
static void splice_connected(const struct relay *r, struct flow *f)
{
	if (!(f->flags & FLOW_F_CONNECT))
		return;
	f->flags &= (uint16_t)~FLOW_F_CONNECT;
	f->flags |= FLOW_F_ESTABLISHED;
	ntrace("flow %u: connected", splice_id(r, f));
}

/**
 * splice_in() - read from side @d into pipe[@d]
 * @f:		flow
 * @d:		direction
 * @len:	room in the pipe, bytes
 *
 * Return: bytes read, 0 on EOF, or -errno (-EAGAIN: nothing to read)
 */
static ssize_t splice_in(const struct flow *f, unsigned d, size_t len)
{
	ssize_t n;
	int err;

	do {
		n = splice(f->sock[d], NULL, f->pipe[d].wr, NULL, len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		err = n < 0 ? errno : 0;
	} while (err == EINTR);
	return n < 0 ? -err : n;
}

/**
 * splice_out() - write everything pending in pipe[@d] to side !@d
 * @r:		relay
 * @f:		flow
 * @d:		direction
 * @more:	more data is on its way: pass SPLICE_F_MORE
 *
 * One attempt (EINTR aside): a short write means the socket buffer is full
 * and the next attempt would only return EAGAIN.  Whatever is left sets
 * OUT_WAIT on the destination side.  A server socket still connecting
 * answers EAGAIN too (or the connection's error), so the client's request
 * can be forwarded before the connection is confirmed.
 *
 * Return: 0, or FLOW_GONE if the write failed and the flow was closed
 */
static int splice_out(struct relay *r, struct flow *f, unsigned d,
		      bool more)
{
	unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
	ssize_t n;
	int err;

	if (more)
		flags |= SPLICE_F_MORE;
	do {
		n = splice(f->pipe[d].rd, NULL, f->sock[!d], NULL,
			   f->pending[d], flags);
		err = n < 0 ? errno : 0;
	} while (err == EINTR);
	if (n < 0 && err != EAGAIN)
		return splice_abort(r, f, !d, err, "write");
	if (n > 0) {
		f->pending[d] -= (uint32_t)n;
		f->bytes[d] += (uint64_t)n;
		if (d == FSIDE_CLIENT)	/* written to the server */
			splice_connected(r, f);
	}
	if (f->pending[d])
		f->flags |= FLOW_F_OUT_WAIT(!d);
	else
		f->flags &= (uint16_t)~FLOW_F_OUT_WAIT(!d);
	return 0;
}

/**
 * splice_pipe_get() - make sure direction @d has a pipe to read into
 * @r:		relay
 * @f:		flow
 * @d:		direction
 *
 * Without one (budget spent, or pipe2() failed), the direction queues for
 * the next pipe returned and stops polling for input meanwhile.
 *
 * Return: true if pipe[@d] is usable
 */
static bool splice_pipe_get(struct relay *r, struct flow *f, unsigned d)
{
	if (f->pipe[d].rd >= 0 || !pipe_borrow(&r->pipes, &f->pipe[d]))
		return true;
	flowtab_wait_add(&r->flows, f, d);
	ntrace("flow %u: waiting for a pipe", splice_id(r, f));
	return false;
}

/**
 * splice_move() - move data in direction @d while it flows, within bounds
 * @r:		relay
 * @f:		flow
 * @d:		direction: read side @d, write side !@d
 *
 * Stops when side @d has nothing more to read (EAGAIN, a short read, or
 * EOF), when the output is blocked, when no pipe is to be had, or after
 * MOVE_ROUNDS_MAX rounds: the level-triggered epoll reports what is left.
 *
 * Return: 0, or FLOW_GONE if the flow was closed on an error
 */
static int splice_move(struct relay *r, struct flow *f, unsigned d)
{
	const uint16_t stop = FLOW_F_FIN_RCVD(d) | FLOW_F_OUT_WAIT(!d) |
			      FLOW_F_PIPE_WAIT(d);
	unsigned round;

	if (d == FSIDE_CLIENT && f->pp)
		return 0;	/* the PROXY header goes first */
	for (round = 0; round < MOVE_ROUNDS_MAX; round++) {
		size_t room;
		ssize_t n;

		if ((f->flags & stop) || !splice_pipe_get(r, f, d))
			return 0;
		room = f->pipe[d].size - f->pending[d];
		n = splice_in(f, d, room);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return splice_abort(r, f, d, (int)-n, "read");
		if (d == FSIDE_SERVER)
			splice_connected(r, f);
		if (n == 0) {
			f->flags |= FLOW_F_FIN_RCVD(d);
			return 0;
		}
		f->pending[d] += (uint32_t)n;
		if ((size_t)n * PIPE_BULK_DEN >= room * PIPE_BULK_NUM) {
			if (splice_out(r, f, d, true))
				return FLOW_GONE;
			pipe_grow(&r->pipes, &f->pipe[d]);
		} else if (splice_out(r, f, d, false)) {
			return FLOW_GONE;
		}
		/* A short read drained the socket: another would see EAGAIN */
		if ((size_t)n < room)
			return 0;
	}
	return 0;
}

/**
 * splice_fin() - propagate the EOF read from side @d to side !@d
 * @r:		relay
 * @f:		flow
 * @d:		direction
 *
 * Only once pipe[@d] is drained, and not to a server whose connection is
 * unconfirmed: shutdown() would abort a connection in SYN_SENT.  Its
 * EPOLLOUT is armed meanwhile (splice_mask()).
 *
 * Return: 0, or FLOW_GONE if shutdown() failed and the flow was closed
 */
static int splice_fin(struct relay *r, struct flow *f, unsigned d)
{
	if (!(f->flags & FLOW_F_FIN_RCVD(d)) || f->pending[d] ||
	    (f->flags & FLOW_F_FIN_SENT(!d)))
		return 0;
	if (d == FSIDE_CLIENT && (f->flags & FLOW_F_CONNECT))
		return 0;
	if (shutdown(f->sock[!d], SHUT_WR))
		return splice_abort(r, f, !d, errno, "shutdown");
	f->flags |= FLOW_F_FIN_SENT(!d);
	return 0;
}

/**
 * splice_settle() - after an event: return pipes, propagate FINs, close the
 *		   flow if both directions are done, re-arm epoll
 * @r:		relay
 * @f:		flow
 *
 * Once both EOFs are read and both pipes are drained, the flow is closed
 * without a shutdown() for the FIN still owed: close() sends it, and it
 * cannot turn into a reset, because reading EOF emptied the receive
 * queue (a reset on close is for unread data only).
 *
 * Return: 0, or FLOW_GONE if the flow was closed
 */
static int splice_settle(struct relay *r, struct flow *f)
{
	const uint16_t eofs = FLOW_F_FIN_RCVD(FSIDE_CLIENT) |
			      FLOW_F_FIN_RCVD(FSIDE_SERVER);
	unsigned d;

	for (d = 0; d < FSIDES; d++)
		if (!f->pending[d])
			pipe_return(&r->pipes, &f->pipe[d]);
	if ((f->flags & eofs) == eofs && !f->pending[FSIDE_CLIENT] &&
	    !f->pending[FSIDE_SERVER]) {
		splice_release(r, f, FLOW_END_CLEAN, 0, "done");
		return FLOW_GONE;
	}
	for (d = 0; d < FSIDES; d++)
		if (splice_fin(r, f, d))
			return FLOW_GONE;
	return splice_update(r, f);
}

/**
 * splice_pp_send() - write a PROXY header to the server, all or nothing
 * @r:		relay
 * @f:		flow
 * @hdr:	the header
 * @len:	its length, at most PP2_MAX_LEN
 * @may_wait:	the connect() just returned EINPROGRESS: EAGAIN means the
 *		handshake is not done yet, so keep the header for later
 *
 * Return: 0 when it was written or is kept in @f->pp, FLOW_GONE if the
 * flow was reset (error, short write, or no memory to keep it)
 */
static int splice_pp_send(struct relay *r, struct flow *f, const uint8_t *hdr,
			  size_t len, bool may_wait)
{
	ssize_t n;
	int err;

	do {
		n = send(f->sock[FSIDE_SERVER], hdr, len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		err = n < 0 ? errno : 0;
	} while (err == EINTR);
	if (n >= 0 && (size_t)n == len) {
		free(f->pp);
		f->pp = NULL;
		splice_connected(r, f);
		return 0;
	}
	if (err == EAGAIN && may_wait && (f->flags & FLOW_F_CONNECT)) {
		f->pp = malloc(len);
		if (f->pp) {
			memcpy(f->pp, hdr, len);
			return 0;
		}
		err = ENOMEM;
	}
	return splice_abort(r, f, FSIDE_SERVER, err ? err : EIO,
			    "PROXY header");
}

/**
 * splice_pp_flush() - the server is up: write the header kept, then forward
 *		     what the client sent meanwhile
 * @r:		relay
 * @f:		flow with @f->pp set
 *
 * Return: 0, or FLOW_GONE if the flow was closed
 */
static int splice_pp_flush(struct relay *r, struct flow *f)
{
	size_t len = PP2_HDR_LEN + (((size_t)f->pp[14] << 8) | f->pp[15]);

	if (splice_pp_send(r, f, f->pp, len, false))
		return FLOW_GONE;
	return splice_move(r, f, FSIDE_CLIENT);
}

/**
 * splice_connect_event() - an event on the server socket while its
 *			  connection is unconfirmed
 * @r:		relay
 * @f:		flow in FLOW_F_CONNECT
 * @ev:		epoll events
 *
 * EPOLLERR or EPOLLHUP is a failed connection; anything else proves it up.
 * SO_ERROR is read only on failure, for the reason.
 *
 * Return: 0, or FLOW_GONE if the connection failed and the flow was closed
 */
static int splice_connect_event(struct relay *r, struct flow *f, uint32_t ev)
{
	int err;

	if (!(ev & (EPOLLERR | EPOLLHUP))) {
		splice_connected(r, f);
		return 0;
	}
	err = sock_error(f->sock[FSIDE_SERVER]);
	splice_connect_failed(r, f, err ? err : ECONNABORTED);
	return FLOW_GONE;
}

/**
 * splice_flush() - EPOLLOUT on a blocked side: write what is pending, then
 *		  read more from the opposite side at once
 * @r:		relay
 * @f:		flow
 * @d:		direction whose output (side !@d) became writable
 *
 * Return: 0, or FLOW_GONE if the flow was closed
 */
static int splice_flush(struct relay *r, struct flow *f, unsigned d)
{
	if (splice_out(r, f, d, false))
		return FLOW_GONE;
	if (f->flags & FLOW_F_OUT_WAIT(!d))
		return 0;
	return splice_move(r, f, d);
}

/**
 * splice_event() - handle epoll events on one side of a flow
 * @r:		relay
 * @f:		flow
 * @s:		side the events are for
 * @ev:		epoll events
 */
void splice_event(struct relay *r, struct flow *f, unsigned s, uint32_t ev)
{
	ntrace("flow %u: %s events 0x%x, flags 0x%x", splice_id(r, f),
	       fside_name[s], ev, f->flags);
	f->last = r->flows.idle.now;
	if (s == FSIDE_SERVER && (f->flags & FLOW_F_CONNECT) &&
	    splice_connect_event(r, f, ev))
		return;
	if (ev & EPOLLERR) {
		splice_abort(r, f, s, sock_error(f->sock[s]), "error");
		return;
	}
	if (s == FSIDE_SERVER && f->pp && splice_pp_flush(r, f))
		return;
	if ((ev & EPOLLOUT) && (f->flags & FLOW_F_OUT_WAIT(s)) &&
	    splice_flush(r, f, !s))
		return;
	/* Data first, even with EPOLLHUP: a peer that writes and closes at
	 * once has its last bytes in the socket when the hang-up arrives */
	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && splice_move(r, f, s))
		return;
	/* A hang-up we did not cause: the peer is gone */
	if ((ev & EPOLLHUP) && !(f->flags & FLOW_F_FIN_SENT(s))) {
		splice_abort(r, f, s, sock_error(f->sock[s]), "hang-up");
		return;
	}
	splice_settle(r, f);
}

/**
 * splice_connect() - start connecting the server socket, and forward what
 *		    the client already sent
 * @r:		relay
 * @f:		new flow with both sockets
 * @t:		target
 *
 * Optimistic: a client usually sends its request right after its
 * handshake, so it is often waiting when we accept, and a loopback
 * connect() has mostly completed when it returns EINPROGRESS.  Reading
 * the client at once and writing to the server (which answers EAGAIN if
 * the connection is not up yet) saves the epoll round for EPOLLOUT and the
 * SO_ERROR query; both sides are then polled straight away.  If the client
 * sent nothing yet, this costs one splice() that returns EAGAIN.
 * A PROXY header (@hlen non-zero) is written first, or kept for when the
 * connection is up (splice_pp_send()).
 */
static void splice_connect(struct relay *r, struct flow *f,
			   const struct flow_target *t, const uint8_t *hdr,
			   size_t hlen)
{
	union sockaddr_inany sa;
	socklen_t len = sockaddr_from_inany(&sa, t->af, &t->addr, t->port, 0);
	int err = 0;

	if (connect(f->sock[FSIDE_SERVER], &sa.sa, len))
		err = errno;
	if (!err) {
		f->flags |= FLOW_F_ESTABLISHED;
	} else if (err == EINPROGRESS || err == EINTR) {
		/* EINTR: a non-blocking connect goes on in the background */
		f->flags |= FLOW_F_CONNECT;
	} else {
		splice_connect_failed(r, f, err);
		return;
	}
	if (hlen && splice_pp_send(r, f, hdr, hlen, true))
		return;
	if (splice_move(r, f, FSIDE_CLIENT))
		return;
	splice_settle(r, f);
}

/**
 * splice_pp_header() - the PROXY header of a new flow, if its forward wants
 *		      one
 * @l:		listener it was accepted on
 * @caf:	client address family, AF_UNSPEC if unknown
 * @ca:		client address
 * @cport:	client port
 * @buf:	output, PP2_MAX_LEN bytes
 *
 * The destination is the listener's own address and port: a wildcard
 * listener sends 0.0.0.0 or ::, because the address the client reached
 * would take getsockname(), which the relay's filter does not allow.
 *
 * Return: header length, 0 for a forward without FWD_F_PROXY
 */
static size_t splice_pp_header(const struct listener *l, int caf,
			       const union inany *ca, uint16_t cport,
			       uint8_t *buf)
{
	struct pp2_ends e = {
		.af = caf == l->fwd.family ? caf : AF_UNSPEC,
		.src = *ca,
		.dst = l->fwd.listen_addr,
		.sport = cport,
		.dport = l->fwd.listen_port,
	};

	if (!(l->fwd.flags & FWD_F_PROXY))
		return 0;
	return pp2_encode(buf, PP2_MAX_LEN, &e);
}

/**
 * splice_refuse() - reset a client that has no target
 * @r:		relay
 * @l:		listener it was accepted on
 * @fd:		accepted socket, closed here
 * @caf:	client address family, AF_UNSPEC if unknown
 * @ca:		client address
 */
static void splice_refuse(struct relay *r, struct listener *l, int fd, int caf,
			  const union inany *ca)
{
	static struct log_ratelimit rl;
	char lbuf[INANY_STRLEN], cbuf[INANY_STRLEN];
	unsigned other = !l->fwd.listen_side;

	sock_reset(fd);
	l->cnt.refused++;
	r->cnt.refused++;
	log_ratelimited(&rl, LOG_LVL_WARN,
			"listener [%s]:%u: refused non-loopback client %s: "
			"%s side has no external %s address",
			inany_ntop(l->fwd.family, &l->fwd.listen_addr, lbuf,
				   sizeof(lbuf)),
			l->fwd.listen_port,
			inany_af_valid(caf) ? inany_ntop(caf, ca, cbuf,
							 sizeof(cbuf))
					    : "(unknown)",
			other == SIDE_HOST ? "host" : "target",
			l->fwd.family == AF_INET ? "IPv4" : "IPv6");
}

/**
 * splice_log_open() - debug line for a new flow (formatting costs: call it
 *		     only at debug level)
 * @r:		relay
 * @f:		flow
 * @l:		listener
 * @caf:	client address family
 * @ca:		client address
 * @cport:	client port
 * @t:		target
 */
static void splice_log_open(const struct relay *r, const struct flow *f,
			    const struct listener *l, int caf,
			    const union inany *ca, uint16_t cport,
			    const struct flow_target *t)
{
	char lbuf[INANY_STRLEN], cbuf[INANY_STRLEN], tbuf[INANY_STRLEN];

	log_msg(LOG_LVL_DEBUG,
		"flow %u: listener %u [%s]:%u, client [%s]:%u -> [%s]:%u (%s)",
		splice_id(r, f), l->fwd.id,
		inany_ntop(l->fwd.family, &l->fwd.listen_addr, lbuf,
			   sizeof(lbuf)), l->fwd.listen_port,
		inany_af_valid(caf) ? inany_ntop(caf, ca, cbuf, sizeof(cbuf))
				    : "?", cport,
		inany_ntop(t->af, &t->addr, tbuf, sizeof(tbuf)), t->port,
		target_how_str(t->how));
}

/**
 * splice_open() - splice a newly accepted connection to its target
 * @r:		relay
 * @l:		listener it was accepted on; the caller made sure a slot and
 *		a pool socket are available
 * @fd:		accepted non-blocking socket, owned from here on
 * @sa:		client address as accept4() returned it
 * @salen:	its length
 *
 * Accepted sockets inherit TCP_NODELAY from the listener (Linux copies the
 * listener's tcp_sock into the child; checked on 6.18 by the unit test
 * test_flow, "accepted socket inherits TCP_NODELAY"), and the agents set it
 * on listeners, so no setsockopt() is needed here.  A target reached over
 * the other side's loopback device gets its congestion control set before
 * connect() (target_is_local(), ipc/localcc.c).
 */
void splice_open(struct relay *r, struct listener *l, int fd,
		 const union sockaddr_inany *sa, socklen_t salen)
{
	unsigned other = !l->fwd.listen_side;
	uint8_t hdr[PP2_MAX_LEN];
	struct flow_target t;
	uint16_t cport = 0;
	union inany ca;
	struct flow *f;
	int caf, sfd;

	if (sockaddr_to_inany(sa, salen, &caf, &ca, &cport))
		caf = AF_UNSPEC;	/* never loopback: safe default */
	if (target_select(&l->fwd, caf, &ca, &r->ns_addrs[other], &t) ==
	    TARGET_REFUSE) {
		splice_refuse(r, l, fd, caf, &ca);
		return;
	}
	f = flowtab_alloc(&r->flows);
	sfd = f ? pool_take(listener_pool(r, l), &r->chan[CHAN_AGENT(other)],
			    t.af) : -1;
	if (sfd < 0) {
		/* Checked before accept4(): this is a bug, not a busy relay */
		nerr("listener %u: no %s for an accepted client",
		     l->fwd.id, f ? "pool socket" : "flow slot");
		if (f)
			flowtab_free(&r->flows, f);
		sock_reset(fd);
		return;
	}
	f->sock[FSIDE_CLIENT] = fd;
	f->sock[FSIDE_SERVER] = sfd;
	f->last = r->flows.idle.now;
	f->listener = l->fwd.id;
	if (t.how == TARGET_EXTERNAL)
		f->flags |= FLOW_F_EXTERNAL;
	listener_flow_added(r, l);
	if (log_level >= LOG_LVL_DEBUG)
		splice_log_open(r, f, l, caf, &ca, cport, &t);
	if (target_is_local(&t))
		local_cc_set(sfd);
	splice_connect(r, f, &t, hdr,
		       splice_pp_header(l, caf, &ca, cport, hdr));
}

/**
 * splice_serve_waiters() - hand freed pipes to flows waiting for one
 * @r:		relay
 *
 * Called from the main loop, not from where pipes are returned, so a chain
 * of flows returning pipes to each other never nests.
 */
void splice_serve_waiters(struct relay *r)
{
	struct flow *f;
	unsigned d;

	while (pipe_can_lend(&r->pipes) &&
	       (f = flowtab_wait_pop(&r->flows, &d))) {
		f->last = r->flows.idle.now;
		if (splice_move(r, f, d) || splice_settle(r, f))
			continue;
		/* pipe2() failed even within budget: wait for a close */
		if (f->flags & FLOW_F_PIPE_WAIT(d))
			break;
	}
}

/**
 * splice_idle_close() - close a flow that had no event for the idle timeout
 * @r:		relay
 * @f:		flow
 *
 * A plain close: each peer sees a FIN, as if the other end had closed,
 * which is what a user expects of an idle connection, and what the
 * timeouts of proxies such as HAProxy and systemd-socket-proxyd do.  But
 * a flow with bytes still in a pipe (its receiver stopped reading) is
 * reset both ways: a FIN after a truncated transfer would look like a
 * complete one.
 */
static void splice_idle_close(struct relay *r, struct flow *f)
{
	static const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	bool reset = f->pending[FSIDE_CLIENT] || f->pending[FSIDE_SERVER];
	unsigned s;

	for (s = 0; reset && s < FSIDES; s++)
		setsockopt(f->sock[s], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	splice_release(r, f, FLOW_END_CLEAN, 0,
		       reset ? "idle timeout, data unsent: reset"
			   : "idle timeout");
}

/**
 * splice_idle_sweep() - close the flows idle for the timeout, if a sweep is
 *		       due
 * @r:		relay, clock taken this round
 */
void splice_idle_sweep(struct relay *r)
{
	uint32_t pos = 0, n = 0;
	struct flow *f;

	if (!flowtab_idle_due(&r->flows))
		return;
	while ((f = flowtab_idle_next(&r->flows, &pos))) {
		splice_idle_close(r, f);
		n++;
	}
	flowtab_idle_swept(&r->flows);
	if (n)
		ndebug("idle timeout: %u flows closed", n);
}

/**
 * splice_close_all() - close every flow at shutdown
 * @r:		relay
 *
 * Flows still open were cut short: both peers get a reset, so neither
 * takes what it received for the whole of it.
 */
void splice_close_all(struct relay *r)
{
	uint32_t i;

	for (i = 0; i < r->flows.size; i++)
		if (r->flows.slot[i].flags & FLOW_F_USED)
			splice_release(r, &r->flows.slot[i], FLOW_END_CUT, 0,
				       "shutdown");
}
