// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * startup.c - the supervisor's side of the start-up protocol
 *
 * DOC: Theory of Operation
 *
 * Order (see ipc/msg.h): every child says HELLO; the relay learns every
 * listener (RELAY_LIMITS, FORWARD..., CONFIG_DONE) and answers RELAY_READY;
 * only then are the agents told to bind, so a LISTENER the relay receives
 * always names a listener it already knows.  BINDs go out in a window of
 * BIND_WINDOW unanswered requests: an agent answers each with BOUND, and a
 * supervisor blocked sending BINDs to an agent blocked sending BOUNDs would
 * otherwise deadlock with tens of thousands of ports.
 *
 * A message that is valid by the catalogue but comes at the wrong moment
 * (a second HELLO, READY before CONFIG_DONE, BOUND for a listener never
 * asked for) is a protocol violation: the child is treated as compromised
 * and nsplice stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "../ipc/log.h"
#include "supervisor.h"

/* BIND_WINDOW - BIND requests in flight per agent */
#define BIND_WINDOW	64

/* PROC_NUM_MAX - bytes read from a /proc number file */
#define PROC_NUM_MAX	32

/**
 * violation() - stop because a child broke the protocol
 * @s:		supervisor state
 * @id:		offending child
 * @m:		message it sent
 * @why:	what was wrong
 */
static void violation(struct supervisor *s, enum sup_child_id id,
		      const struct ipc_msg *m, const char *why)
{
	nerr("protocol violation by %s: %s %s", s->ch[id].name,
	     ipc_type_name(m->type), why);
	sup_stop(s, EXIT_FAILURE, NULL);
}

/**
 * send_or_stop() - send a message to a child, stopping nsplice on failure
 * @s:		supervisor state
 * @id:		child
 * @type:	enum ipc_type
 * @payload:	typed payload
 *
 * Return: 0 or -1
 */
static int send_or_stop(struct supervisor *s, enum sup_child_id id,
			unsigned type, const void *payload)
{
	if (!ipc_send(&s->ch[id].chan, type, payload, NULL, 0))
		return 0;
	nerr("cannot send %s to %s: %s", ipc_type_name(type), s->ch[id].name,
	     strerror(errno));
	sup_stop(s, EXIT_FAILURE, NULL);
	return -1;
}

/**
 * read_proc_u32() - read one unsigned number from a /proc file
 * @path:	file
 * @fallback:	value if the file is missing or does not hold a number
 *
 * Return: the number
 */
static uint32_t read_proc_u32(const char *path, uint32_t fallback)
{
	char buf[PROC_NUM_MAX];
	const char *errstr;
	long long v;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fallback;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	v = strtonum(buf, 0, UINT32_MAX, &errstr);
	return errstr ? fallback : (uint32_t)v;
}

/**
 * send_relay_config() - tell the relay its limits and every listener
 * @s:		supervisor state
 */
static void send_relay_config(struct supervisor *s)
{
	struct msg_relay_limits lim = { 0 };
	struct msg_config_done done = { s->cfg->nfwd };
	unsigned i;

	lim.pipe_max_size = read_proc_u32("/proc/sys/fs/pipe-max-size",
					  1U << 20);
	lim.pipe_pages_soft = read_proc_u32("/proc/sys/fs/pipe-user-pages-soft",
					    16384);
	/* The sandboxed relay never has CAP_SYS_RESOURCE in the initial user
	 * namespace, root or not (it runs as --runas): its pipes count
	 * against its user's fs.pipe-user-pages-soft. */
	lim.pipe_accounted = 1;
	if (send_or_stop(s, CH_RELAY, MSG_RELAY_LIMITS, &lim))
		return;
	for (i = 0; i < s->cfg->nfwd; i++)
		if (send_or_stop(s, CH_RELAY, MSG_FORWARD, &s->cfg->fwd[i].m))
			return;
	send_or_stop(s, CH_RELAY, MSG_CONFIG_DONE, &done);
}

/**
 * bind_pump() - send an agent more BINDs while the window has room
 * @s:		supervisor state
 * @id:		CH_AGENT_HOST or CH_AGENT_TARGET
 *
 * After the last BIND comes CONFIG_DONE with the number sent.
 */
static void bind_pump(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *c = &s->ch[id];
	const struct nsp_config *cfg = s->cfg;
	struct msg_config_done done;

	while (c->bind_out < BIND_WINDOW && c->bind_next < cfg->nfwd) {
		const struct fwd_entry *e = &cfg->fwd[c->bind_next++];

		if (e->m.listen_side != (uint8_t)id)
			continue;
		if (send_or_stop(s, id, MSG_BIND, &e->m))
			return;
		c->bind_out++;
		c->bind_count++;
	}
	if (c->bind_next == cfg->nfwd && !c->bind_out) {
		c->bind_next++;		/* past the end: CONFIG_DONE sent */
		done.count = c->bind_count;
		send_or_stop(s, id, MSG_CONFIG_DONE, &done);
	}
}

/**
 * on_hello() - a child introduced itself
 * @s:		supervisor state
 * @id:		child
 * @m:		HELLO
 */
static void on_hello(struct supervisor *s, enum sup_child_id id,
		     const struct ipc_msg *m)
{
	const struct msg_hello *h = &m->u.hello;
	unsigned want = id == CH_RELAY ? ROLE_RELAY : ROLE_AGENT;
	unsigned i;

	if (s->ch[id].hello || h->role != want ||
	    (id != CH_RELAY && h->side != (unsigned)id)) {
		violation(s, id, m, "unexpected");
		return;
	}
	s->ch[id].hello = true;
	ndebug("%s is up (pid %d)", s->ch[id].name, (int)s->ch[id].pid);
	for (i = 0; i < CH_COUNT; i++)
		if (!s->ch[i].hello)
			return;
	send_relay_config(s);
}

/**
 * bound_fails() - decide what a failed BIND means
 * @s:		supervisor state
 * @e:		listener that could not be bound
 * @error:	errno from the agent
 *
 * Return: true if nsplice must stop
 */
static bool bound_fails(struct supervisor *s, const struct fwd_entry *e,
			int error)
{
	char a[INANY_STRLEN];
	bool noaddr = error == EADDRNOTAVAIL || error == EAFNOSUPPORT;
	const char *where = e->m.listen_side == SIDE_HOST ? "host" :
							    "namespace";

	inany_ntop(e->m.family, &e->m.listen_addr, a, sizeof(a));
	if (e->tolerate == FWD_TOL_ANY ||
	    (e->tolerate == FWD_TOL_NOADDR && noaddr)) {
		ndebug("-%c \"%s\": skipping %s port %u on %s: %s", e->opt,
		       e->spec, where, e->m.listen_port, a, strerror(error));
		return false;
	}
	nerr("-%c \"%s\": cannot listen on %s port %u on %s: %s", e->opt,
	     e->spec, where, e->m.listen_port, a, strerror(error));
	(void)s;
	return true;
}

/**
 * on_bound() - an agent reports the result of one BIND
 * @s:		supervisor state
 * @id:		agent
 * @m:		BOUND
 */
static void on_bound(struct supervisor *s, enum sup_child_id id,
		     const struct ipc_msg *m)
{
	struct sup_child *c = &s->ch[id];
	const struct msg_bound *b = &m->u.bound;
	const struct fwd_entry *e;

	if (id == CH_RELAY || !c->bind_out || b->id >= s->cfg->nfwd ||
	    b->id >= c->bind_next) {
		violation(s, id, m, "for a listener never asked for");
		return;
	}
	e = &s->cfg->fwd[b->id];
	if (e->m.listen_side != (uint8_t)id) {
		violation(s, id, m, "for the other side");
		return;
	}
	c->bind_out--;
	if (!b->error)
		c->bound++;
	else if (bound_fails(s, e, b->error)) {
		sup_stop(s, EXIT_FAILURE, NULL);
		return;
	}
	bind_pump(s, id);
}

/**
 * all_ready() - every child is ready: nsplice is forwarding
 * @s:		supervisor state
 */
static void all_ready(struct supervisor *s)
{
	unsigned host = s->ch[CH_AGENT_HOST].bound;
	unsigned target = s->ch[CH_AGENT_TARGET].bound;

	if (s->cfg->nfwd && !host && !target) {
		nerr("no port could be forwarded");
		sup_stop(s, EXIT_FAILURE, NULL);
		return;
	}
	s->ready = true;
	ninfo("forwarding: %u listener%s on the host, %u in the namespace",
	      host, host == 1 ? "" : "s", target);
}

/**
 * on_ready() - RELAY_READY or AGENT_READY
 * @s:		supervisor state
 * @id:		child
 * @m:		message
 */
static void on_ready(struct supervisor *s, enum sup_child_id id,
		     const struct ipc_msg *m)
{
	struct sup_child *c = &s->ch[id];
	unsigned want;

	if (id == CH_RELAY) {
		want = s->cfg->nfwd;
		if (c->ready || m->u.done.count != want) {
			violation(s, id, m, "count mismatch");
			return;
		}
		c->ready = true;
		bind_pump(s, CH_AGENT_HOST);
		bind_pump(s, CH_AGENT_TARGET);
		return;
	}
	if (c->ready || c->bind_next <= s->cfg->nfwd ||
	    m->u.done.count != c->bind_count) {
		violation(s, id, m, "before its CONFIG_DONE");
		return;
	}
	c->ready = true;
	if (s->ch[CH_AGENT_HOST].ready && s->ch[CH_AGENT_TARGET].ready)
		all_ready(s);
}

/**
 * startup_on_msg() - handle one validated message from a child
 * @s:		supervisor state
 * @id:		child it came from
 * @m:		message; descriptors are not expected (the catalogue lets
 *		none reach the supervisor)
 */
void startup_on_msg(struct supervisor *s, enum sup_child_id id,
		    const struct ipc_msg *m)
{
	if (m->type != MSG_HELLO && !s->ch[id].hello) {
		violation(s, id, m, "before HELLO");
		return;
	}
	switch (m->type) {
	case MSG_HELLO:
		on_hello(s, id, m);
		break;
	case MSG_BOUND:
		on_bound(s, id, m);
		break;
	case MSG_RELAY_READY:
	case MSG_AGENT_READY:
		on_ready(s, id, m);
		break;
	default:
		{
			violation(s, id, m, "not handled");
			return;
		}
	}
}

/**
 * startup_begin() - nothing to do until every child says HELLO
 * @s:		supervisor state
 *
 * Kept as the one place that resets per-start counters, for restarts.
 */
void startup_begin(struct supervisor *s)
{
	unsigned i;

	for (i = 0; i < CH_COUNT; i++) {
		s->ch[i].hello = s->ch[i].ready = false;
		s->ch[i].bind_next = s->ch[i].bind_out = 0;
		s->ch[i].bind_count = s->ch[i].bound = 0;
	}
	s->ready = false;
}
