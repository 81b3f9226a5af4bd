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
 * asked for and would otherwise wait forever.  What may be owed is capped
 * (AGENT_POOL_PENDING_MAX): a relay asking for more is treated as
 * compromised.
 *
 * Syscalls: socket, setsockopt, sendmsg, close.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/log.h"
#include "agent.h"

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
	if (e)
		log_ratelimited(&pool_fail_rl, LOG_LVL_WARN,
				"cannot create sockets for the pool: %s",
				strerror(e));
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
		while (a->pending[i]) {
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
 * agent's namespace; the relay could only connect them to addresses of
 * this namespace, which its own listeners' clients can reach anyway.
 */
void agent_answer_pool_req(struct agent *a, const struct msg_pool_req *r)
{
	unsigned i = af_index((int)r->family);

	if (a->pending[i] + r->count > AGENT_POOL_PENDING_MAX)
		fatal("relay asked for more than %u sockets: protocol "
		      "violation", AGENT_POOL_PENDING_MAX);
	a->pending[i] += r->count;
	agent_pool_fill(a);
}
