// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pool.c - fresh sockets for the relay, which may not create any
 *
 * DOC: Theory of Operation
 *
 * The relay keeps a pool of unconnected sockets of each side and asks for
 * more (POOL_REQ) before it runs dry, so a new connection normally costs no
 * round trip.  The agent owes the relay what it asked for: it creates the
 * sockets in its own namespace - which is what makes a connect() from the
 * relay land in this namespace - sets them non-blocking with TCP_NODELAY,
 * sends them in batches of at most IPC_FDS_MAX and closes its copies.
 *
 * If socket() fails (descriptor limits), what is still owed is retried on
 * the next timer tick instead of being dropped: the relay counts what it
 * asked for and would otherwise wait forever.  A family the kernel lacks
 * (EAFNOSUPPORT: booted with ipv6.disable=1) never comes back: it is said
 * once and nothing more is owed in it.  Its listeners could not be bound
 * either (the default ::1 is tolerated), so no client waits for it; the
 * relay asked only because it was sent the forward.  What may be owed is
 * capped (AGENT_POOL_PENDING_MAX): a relay asking for more is treated as
 * compromised.
 *
 * Which families the relay may ask this agent for at all is the
 * supervisor's to say (POOL_ALLOW): only those a configured forward
 * connects with from this side.  A relay that can ask agent[host] for a
 * socket of a family no forward targets there could connect it to any
 * host service on a port its Landlock rules allow, which is more than
 * "the other side" of a forward.  A request for a family not allowed is
 * held, not refused at once: the POOL_ALLOW that allows it may still sit
 * unread in the supervisor's channel (the supervisor sends it before the
 * FORWARD that makes the relay ask, but the two channels are read in
 * turn).  agent_pool_judge() decides once that channel has been read
 * empty: allowed requests become owed sockets, the rest is a protocol
 * violation by the relay, reported to the supervisor (POOL_DENIED), and
 * the agent stops serving that relay without handing it anything.
 *
 * Syscalls: socket, setsockopt, sendmsg, close.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "ipc/log.h"
#include "nsagent/agent.h"

static struct log_ratelimit pool_fail_rl;

/**
 * af_index() - index of a family in agent->pending
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 or 1
 */
static unsigned af_index(int af)
{
	return af == AF_INET6;
}

/**
 * af_bit() - POOL_ALLOW_* bit of a family
 * @af:		AF_INET or AF_INET6
 *
 * Return: POOL_ALLOW_V4 or POOL_ALLOW_V6
 */
static uint32_t af_bit(int af)
{
	return af == AF_INET6 ? POOL_ALLOW_V6 : POOL_ALLOW_V4;
}

/**
 * af_allowed() - may the relay be sent sockets of a family
 * @a:		agent state
 * @af:		AF_INET or AF_INET6
 *
 * Return: true once POOL_ALLOW for the current relay named @af
 */
static bool af_allowed(const struct agent *a, int af)
{
	return a->allow_seen && (a->pool_allow & af_bit(af));
}

/**
 * new_socket() - one unconnected socket ready for connect() by the relay
 * @af:		family
 *
 * Return: socket, or -1 with errno set
 */
static int new_socket(int af)
{
	int one = 1;
	int fd;

	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd >= 0 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/**
 * send_batch() - create and send up to IPC_FDS_MAX sockets of one family
 * @a:		agent state
 * @af:		family
 * @want:	sockets wanted, at most IPC_FDS_MAX
 *
 * Return: sockets sent
 */
static unsigned send_batch(struct agent *a, int af, unsigned want)
{
	struct msg_pool_fds m = { (uint32_t)af, 0 };
	int fds[IPC_FDS_MAX];
	unsigned i;
	int e = 0;

	while (m.count < want && (fds[m.count] = new_socket(af)) >= 0)
		agent_set_keepalive(a, fds[m.count++]);
	if (m.count < want)
		e = errno;
	if (m.count)
		agent_send(&a->relay, MSG_POOL_FDS, &m, fds, m.count);
	for (i = 0; i < m.count; i++)
		close(fds[i]);
	if (e == EAFNOSUPPORT && !m.count) {
		a->no_family[af_index(af)] = true;
		nnotice("IPv%c is not available here (%s): no connections "
			"through this side in it", af == AF_INET6 ? '6' : '4',
			strerror(e));
	} else if (e) {
		log_ratelimited(&pool_fail_rl, LOG_LVL_WARN,
				"cannot create sockets for the pool: %s",
				strerror(e));
	}
	return m.count;
}

/**
 * agent_pool_fill() - send the relay every socket still owed
 * @a:		agent state
 */
void agent_pool_fill(struct agent *a)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	unsigned i, n, sent;

	/* Pool sockets get their options (keepalive) from AGENT_CONF, which
	 * the relay's first POOL_REQ can overtake: they wait for it. */
	if (!a->conf_seen)
		return;
	for (i = 0; i < 2; i++) {
		if (a->no_family[i])
			a->pending[i] = 0;
		/* Owed only if allowed; checked again as a narrowed set
		 * must never let an old debt through */
		while (a->pending[i] && af_allowed(a, afs[i])) {
			n = a->pending[i] < IPC_FDS_MAX ? a->pending[i] :
							  IPC_FDS_MAX;
			sent = send_batch(a, afs[i], n);
			a->pending[i] -= sent;
			/* socket() can fail (limits); cppcheck misreads it */
			/* cppcheck-suppress knownConditionTrueFalse */
			if (sent < n)
				break;	/* retried on the next tick */
		}
	}
}

/**
 * agent_answer_pool_req() - the relay asks for fresh sockets
 * @a:		agent state
 * @r:		request; the catalogue checked family and 1..POOL_REQ_MAX
 *
 * Safe to answer: the sockets are unconnected and unbound, created in this
 * agent's namespace, and only of a family some forward connects with from
 * this side (POOL_ALLOW); the relay could only connect them to addresses
 * of this namespace on the ports its Landlock rules allow, which a forward
 * to this side reaches anyway.  A request for another family is held for
 * agent_pool_judge().
 */
void agent_answer_pool_req(struct agent *a, const struct msg_pool_req *r)
{
	unsigned i = af_index((int)r->family);

	if (a->pending[i] + a->held[i] + r->count > AGENT_POOL_PENDING_MAX)
		fatal("relay asked for more than %u sockets: protocol "
		      "violation", AGENT_POOL_PENDING_MAX);
	if (!af_allowed(a, (int)r->family)) {
		a->held[i] += r->count;
		return;
	}
	a->pending[i] += r->count;
	agent_pool_fill(a);
}

/**
 * deny() - report a relay that asked for a family no forward needs
 * @a:		agent state
 * @af:		the family
 * @count:	sockets it asked for
 *
 * Nothing is handed out and the channel to that relay is closed, as if it
 * had died: the supervisor replaces it and sends RELAY_CHAN.
 */
static void deny(struct agent *a, int af, unsigned count)
{
	struct msg_pool_denied d = { (uint32_t)af, count };

	if (d.count > POOL_REQ_MAX)
		d.count = POOL_REQ_MAX;
	nerr("relay asked for IPv%c sockets, which no forward connects with "
	     "from this side: protocol violation", af == AF_INET6 ? '6' : '4');
	agent_send(&a->sup, MSG_POOL_DENIED, &d, NULL, 0);
	agent_relay_lost(a);
}

/**
 * agent_pool_judge() - serve or refuse held requests
 * @a:		agent state; the supervisor's channel was just read empty
 *
 * Until the first POOL_ALLOW after a (new) relay, requests wait for it.
 */
void agent_pool_judge(struct agent *a)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	unsigned i;

	if (!a->allow_seen || a->relay.fd < 0)
		return;
	for (i = 0; i < 2; i++) {
		if (!a->held[i])
			continue;
		if (!af_allowed(a, afs[i])) {
			deny(a, afs[i], a->held[i]);
			return;
		}
		a->pending[i] += a->held[i];
		a->held[i] = 0;
	}
	agent_pool_fill(a);
}

/**
 * agent_pool_allow() - POOL_ALLOW: the families the relay may ask for
 * @a:		agent state
 * @pa:		validated message
 *
 * What was held waiting for it is judged by the caller once the
 * supervisor's channel is read empty.
 */
void agent_pool_allow(struct agent *a, const struct msg_pool_allow *pa)
{
	a->pool_allow = pa->families;
	a->allow_seen = true;
	ndebug("pool families allowed: %s%s%s",
	       pa->families & POOL_ALLOW_V4 ? "IPv4 " : "",
	       pa->families & POOL_ALLOW_V6 ? "IPv6 " : "",
	       pa->families ? "" : "none");
}
