// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listen.c - open the listening sockets the supervisor asks for
 *
 * DOC: Theory of Operation
 *
 * For each BIND the agent creates a non-blocking TCP socket in its own
 * namespace, binds and listens, hands a copy to the relay (LISTENER + fd)
 * and reports the result to the supervisor (BOUND).  The relay is told
 * first, so once the supervisor has seen every BOUND, the relay has every
 * listener queued on its channel.
 *
 * IPv6 listeners are IPV6_V6ONLY: families are forwarded separately, and
 * a v4-mapped client must not slip past the IPv4 rules.  TCP_NODELAY is set
 * on the listener because accepted sockets inherit it, which saves the
 * relay a setsockopt() per connection.  The agent keeps its copy of every
 * listener, so a port is never unbound while the relay changes.
 *
 * Syscalls: socket, setsockopt, bind, listen, sendmsg, close.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/log.h"
#include "agent.h"

/* LISTEN_BACKLOG - connections the kernel queues per listener */
#define LISTEN_BACKLOG	SOMAXCONN

/**
 * set_int_opt() - setsockopt() for an int option
 * @fd:		socket
 * @level:	protocol level
 * @opt:	option
 * @v:		value
 *
 * Return: 0 or -1
 */
static int set_int_opt(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/**
 * open_listener() - create, bind and listen
 * @f:		listener description, validated by the catalogue
 * @fdp:	set to the socket on success
 *
 * Return: 0 or an errno value
 */
static int open_listener(const struct msg_forward *f, int *fdp)
{
	union sockaddr_inany sa;
	uint32_t scope = 0;
	socklen_t len;
	int fd, e;

	fd = socket(f->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0)
		return errno;
	if (f->ifname[0])
		scope = if_nametoindex(f->ifname);
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    (f->family == AF_INET6 &&
	     set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) ||
	    set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1) ||
	    (f->ifname[0] &&
	     setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, f->ifname,
			(socklen_t)strlen(f->ifname))))
		goto fail;
	len = sockaddr_from_inany(&sa, f->family, &f->listen_addr,
				  f->listen_port, scope);
	if (bind(fd, &sa.sa, len) || listen(fd, LISTEN_BACKLOG))
		goto fail;
	*fdp = fd;
	return 0;
fail:
	e = errno;
	close(fd);
	return e;
}

/**
 * keep_listener() - remember a listener for the agent's lifetime
 * @a:		agent state
 * @fd:		listening socket
 *
 * Return: 0, or -1 if out of memory (the socket is then closed)
 */
static int keep_listener(struct agent *a, int fd)
{
	int *n = reallocarray(a->listeners, a->nlisteners + 1, sizeof(*n));

	if (!n) {
		close(fd);
		return -1;
	}
	a->listeners = n;
	a->listeners[a->nlisteners++] = fd;
	return 0;
}

/**
 * agent_answer_bind() - handle one BIND from the supervisor
 * @a:		agent state
 * @f:		listener to open; the catalogue checked family, ports, id
 *
 * Safe to answer: the supervisor is the only sender on this channel, and
 * the listener is created in this agent's namespace only, on the address
 * and port it names, so the request cannot reach another namespace.
 */
void agent_answer_bind(struct agent *a, const struct msg_forward *f)
{
	struct msg_listener l = { f->id };
	struct msg_bound b = { f->id, 0 };
	int fd = -1;

	a->batch++;
	if (f->listen_side != a->side)
		fatal("BIND for the other side's listener %u", f->id);
	b.error = open_listener(f, &fd);
	if (!b.error)
		agent_send(&a->relay, MSG_LISTENER, &l, &fd, 1);
	if (!b.error && keep_listener(a, fd))
		fatal("out of memory");
	agent_send(&a->sup, MSG_BOUND, &b, NULL, 0);
	ntrace("listener %u on port %u: %s", f->id, f->listen_port,
	       b.error ? strerror(b.error) : "ok");
}
