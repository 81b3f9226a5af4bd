// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * activation.c - collect, check and hand out socket-activated listeners
 *
 * DOC: Theory of Operation
 *
 * See activation.h for the protocol.  The environment is hostile input:
 * LISTEN_PID and LISTEN_FDS must be whole decimal numbers, LISTEN_FDNAMES
 * (optional) must name exactly LISTEN_FDS sockets in printable ASCII, and
 * each inherited descriptor is checked with getsockopt() to be a
 * listening (SO_ACCEPTCONN) TCP (SO_TYPE SOCK_STREAM, SO_PROTOCOL TCP)
 * socket or a UDP one (SOCK_DGRAM, IPPROTO_UDP: ListenDatagram=) of
 * AF_INET or AF_INET6 (SO_DOMAIN); a UDP socket serves a UDP forward (-u)
 * only, a TCP one a TCP forward only.  The first descriptor that
 * fails stops everything with an error naming its number and name, and
 * whatever was collected before it is closed again: nothing is half
 * applied.  A LISTEN_PID that is not ours (the variables leaked from a
 * parent) means no socket activation; the variables are removed from the
 * environment in every case, so COMMAND never sees them.
 *
 * Each socket's address comes from getsockname(): a forward takes the
 * socket bound to exactly its listening address and port, so a wildcard
 * socket (ListenStream=8080 is [::]:8080) serves only a wildcard forward
 * of the same family ('-t ::/8080').
 *
 * Each is made non-blocking (the relay accepts from an epoll loop), moved
 * up and closed on its inherited number.
 *
 * Syscalls: setsockopt (UDP: SO_RXQ_OVFL, IP_PKTINFO, IPV6_RECVPKTINFO),
 * fcntl(F_GETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC),
 * getsockopt, getsockname, close; all before the supervisor's sandbox.
 */
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/udpsock.h"
#include "supervisor/activation.h"

/* LISTEN_*_ENV - the variables of sd_listen_fds(3) */
#define LISTEN_PID_ENV		"LISTEN_PID"
#define LISTEN_FDS_ENV		"LISTEN_FDS"
#define LISTEN_FDNAMES_ENV	"LISTEN_FDNAMES"

/* ACTIVATION_NAME_DEFAULT - name of a socket when LISTEN_FDNAMES is unset */
#define ACTIVATION_NAME_DEFAULT	"unknown"

/* ACTIVATION_ADDR_STRLEN - "[ADDR]:PORT" with its NUL */
#define ACTIVATION_ADDR_STRLEN	(INANY_STRLEN + sizeof("[]:65535"))

/**
 * struct act_sock - one inherited listening socket
 * @fd:		its descriptor now, >= ACTIVATION_FD_MIN, close-on-exec
 * @orig_fd:	the descriptor it was inherited on, for messages
 * @family:	AF_INET or AF_INET6
 * @addr:	address it is bound to
 * @port:	port it is bound to
 * @taken:	handed to a forward by activation_take()
 * @udp:	a UDP socket (ListenDatagram=), else a TCP listener
 * @dual:	an IPv6 wildcard socket without IPV6_V6ONLY: it holds the
 *		port's IPv4 wildcard too
 * @name:	its FileDescriptorName=, or "unknown"
 */
struct act_sock {
	int fd;
	int orig_fd;
	int family;
	union inany addr;
	uint16_t port;
	bool taken;
	bool udp;
	bool dual;
	char name[ACTIVATION_NAME_MAX];
};

/* ACTIVATION_ADOPT_MAX - sockets activation_adopt() takes at most */
#define ACTIVATION_ADOPT_MAX	4

/* act_socks - adopted sockets first (act_kept of them), then systemd's */
static struct act_sock act_socks[ACTIVATION_ADOPT_MAX + ACTIVATION_FDS_MAX];
static unsigned act_n;
static unsigned act_kept;

/**
 * activation_unsetenv() - remove the variables, whatever happens
 */
static void activation_unsetenv(void)
{
	unsetenv(LISTEN_PID_ENV);
	unsetenv(LISTEN_FDS_ENV);
	unsetenv(LISTEN_FDNAMES_ENV);
}

/**
 * activation_reset() - close every socket systemd passed and forget them
 *
 * Adopted sockets (activation_adopt()) stay: they were taken before the
 * supervisor collects systemd's.
 */
static void activation_reset(void)
{
	unsigned i;

	for (i = act_kept; i < act_n; i++)
		close(act_socks[i].fd);
	act_n = act_kept;
}

/**
 * addr_text() - "ADDR:PORT" or "[ADDR]:PORT" of an inherited socket
 * @a:		socket
 * @buf:	output, ACTIVATION_ADDR_STRLEN bytes
 *
 * Return: @buf
 */
static const char *addr_text(const struct act_sock *a, char *buf)
{
	char ip[INANY_STRLEN];

	inany_ntop(a->family, &a->addr, ip, sizeof(ip));
	snprintf(buf, ACTIVATION_ADDR_STRLEN,
		 a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)a->port);
	return buf;
}

/**
 * name_valid() - is a FileDescriptorName= printable, as systemd makes them
 * @s:		name
 * @len:	its length
 *
 * Return: true if 1..ACTIVATION_NAME_MAX-1 printable ASCII bytes
 */
static bool name_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= ACTIVATION_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/**
 * read_names() - split LISTEN_FDNAMES into the names of @n sockets
 * @v:		value, or NULL: every name is "unknown"
 * @n:		number of sockets
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int read_names(const char *v, unsigned n, char *err, size_t errlen)
{
	const char *p = v, *colon;
	unsigned i;
	size_t len;

	for (i = 0; i < n; i++) {
		struct act_sock *a = &act_socks[act_kept + i];

		if (!v) {
			strlcpy(a->name, ACTIVATION_NAME_DEFAULT,
				ACTIVATION_NAME_MAX);
			continue;
		}
		colon = strchr(p, ':');
		len = colon ? (size_t)(colon - p) : strlen(p);
		if (!name_valid(p, len) || (i + 1 < n) != !!colon)
			return errfmt(err, errlen, LISTEN_FDNAMES_ENV " \"%.80s"
				      "\": expected %u printable names separated"
				      " by ':', one per socket", v, n);
		memcpy(a->name, p, len);
		a->name[len] = '\0';
		p = colon ? colon + 1 : p + len;
	}
	return 0;
}

/**
 * sockopt_int() - read one integer socket option
 * @fd:		socket
 * @level:	SOL_SOCKET
 * @opt:	option
 *
 * Return: its value, or -1 if it cannot be read
 */
static int sockopt_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int v;

	if (getsockopt(fd, level, opt, &v, &len) || len != sizeof(int))
		return -1;
	return v;
}

/**
 * check_socket() - is an inherited descriptor a TCP listener or UDP socket
 * @fd:		inherited descriptor
 * @name:	its name, for messages
 * @udp:	set to true for a UDP socket
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err naming the descriptor and what it is not
 */
static int check_socket(int fd, const char *name, bool *udp, char *err,
			size_t errlen)
{
	int domain;

	if (fcntl(fd, F_GETFD) < 0)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): not open", fd, name);
	domain = sockopt_int(fd, SOL_SOCKET, SO_DOMAIN);
	if (domain < 0)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): not a socket", fd, name);
	if (domain != AF_INET && domain != AF_INET6)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): not an IPv4 or IPv6 socket", fd, name);
	*udp = sockopt_int(fd, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM &&
	       sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP;
	if (*udp)
		return 0;
	if (sockopt_int(fd, SOL_SOCKET, SO_TYPE) != SOCK_STREAM ||
	    sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): not a TCP or UDP socket", fd, name);
	if (sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN) != 1)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): not listening", fd, name);
	return 0;
}

/**
 * set_nonblock() - make an inherited listener non-blocking
 * @fd:		descriptor
 *
 * The relay accepts from its epoll loop and refuses a blocking listener
 * as a protocol violation; the service manager may pass blocking ones
 * (systemd-socket-activate does).  O_NONBLOCK is a property of the open
 * file description, shared with the manager's copy, which is harmless:
 * systemd polls its sockets and never accepts on them while nsplice runs.
 *
 * Return: 0, or -1 with errno set
 */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return (fl & O_NONBLOCK) ? 0 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/**
 * collect_fd() - check one inherited socket, record it and move it up
 * @fd:		the descriptor it was inherited on
 * @a:		the next free slot, act_socks[act_n], its @name set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set (the descriptor is left where it was)
 */
static int collect_fd(int fd, struct act_sock *a, char *err, size_t errlen)
{
	union sockaddr_inany sa;
	socklen_t len = sizeof(sa);

	if (check_socket(fd, a->name, &a->udp, err, errlen))
		return -1;
	if (getsockname(fd, &sa.sa, &len) ||
	    sockaddr_to_inany(&sa, len, &a->family, &a->addr, &a->port))
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): no address: %s", fd, a->name,
			      strerror(errno));
	if (set_nonblock(fd))
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): cannot make it non-blocking: %s", fd,
			      a->name, strerror(errno));
	a->dual = false;
	if (a->family == AF_INET6 && inany_is_any(AF_INET6, &a->addr)) {
		int v6only = 1;
		socklen_t olen = sizeof(v6only);

		a->dual = !getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
				      &olen) && !v6only;
	}
	a->fd = fcntl(fd, F_DUPFD_CLOEXEC, ACTIVATION_FD_MIN);
	if (a->fd < 0)
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): cannot move it: %s", fd, a->name,
			      strerror(errno));
	/* The options nsplice's own UDP sockets get (ipc/udpsock.c): on a
	 * dual-stack socket (ListenDatagram=[::]:P) the relay trusts an IPv4
	 * loopback client only by the device PKTINFO names.  Like
	 * O_NONBLOCK they belong to the socket the manager shares, and only
	 * add ancillary data to what it receives. */
	if (a->udp && udp_listen_opts(a->fd, a->family, &a->addr)) {
		int e = errno;

		close(a->fd);
		return errfmt(err, errlen, "socket activation: inherited fd %d"
			      " (%s): cannot set its receive options: %s", fd,
			      a->name, strerror(e));
	}
	close(fd);
	a->orig_fd = fd;
	a->taken = false;
	act_n++;
	return 0;
}

/**
 * collect_one() - check one socket systemd passed, record it, move it up
 * @i:		index, the socket is on ACTIVATION_FDS_START + @i
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set (the descriptor is left where it was)
 */
static int collect_one(unsigned i, char *err, size_t errlen)
{
	return collect_fd(ACTIVATION_FDS_START + (int)i,
			  &act_socks[act_kept + i], err, errlen);
}

/**
 * activation_adopt() - take an inherited listener as if systemd passed it
 * @fd:		descriptor it was inherited on (docker-proxy: 4)
 * @name:	its name, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * For a caller that passes a bound socket by another convention than
 * LISTEN_FDS (dockerd's -use-listen-fd).  The same checks and the same
 * move to a close-on-exec descriptor at ACTIVATION_FD_MIN or above;
 * the forward with the socket's address and port takes it like any
 * activated socket, and it must be taken.  Call before supervisor_main(),
 * which keeps adopted sockets when it collects systemd's.
 *
 * Return: 0, or -1 with @err set (the descriptor is left where it was)
 */
int activation_adopt(int fd, const char *name, char *err, size_t errlen)
{
	struct act_sock *a = &act_socks[act_n];

	if (act_kept >= ACTIVATION_ADOPT_MAX || act_n != act_kept)
		return errfmt(err, errlen, "socket activation: fd %d (%s): "
			      "too many adopted sockets", fd, name);
	strlcpy(a->name, name, ACTIVATION_NAME_MAX);
	if (collect_fd(fd, a, err, errlen))
		return -1;
	act_kept = act_n;
	return 0;
}

/**
 * listen_env() - LISTEN_PID and LISTEN_FDS, if they are meant for us
 * @n:		number of sockets, set on success (0: no activation)
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int listen_env(unsigned *n, char *err, size_t errlen)
{
	const char *pid = getenv(LISTEN_PID_ENV);
	const char *fds = getenv(LISTEN_FDS_ENV);
	const char *errstr;
	long long v;

	*n = 0;
	if (!pid)
		return 0;
	v = strtonum(pid, 1, INT32_MAX, &errstr);
	if (errstr)
		return errfmt(err, errlen, LISTEN_PID_ENV " \"%.32s\": %s: "
			      "expected a process id", pid, errstr);
	if (v != (long long)getpid())
		return 0;	/* meant for a parent of ours */
	if (!fds)
		return errfmt(err, errlen, LISTEN_PID_ENV " is set but "
			      LISTEN_FDS_ENV " is not");
	v = strtonum(fds, 0, ACTIVATION_FDS_MAX, &errstr);
	if (errstr)
		return errfmt(err, errlen, LISTEN_FDS_ENV " \"%.32s\": %s: "
			      "expected 0 to %d sockets", fds, errstr,
			      ACTIVATION_FDS_MAX);
	*n = (unsigned)v;
	return 0;
}

/**
 * activation_collect() - take over the sockets systemd passed, if any
 * @err:	error buffer
 * @errlen:	its size
 *
 * Must run before anything in the supervisor opens a descriptor.
 *
 * Return: 0 (also without socket activation), or -1 with @err set and
 * nothing collected
 */
int activation_collect(char *err, size_t errlen)
{
	unsigned n, i;
	int ret;

	activation_reset();
	ret = listen_env(&n, err, errlen);
	if (!ret && n)
		ret = read_names(getenv(LISTEN_FDNAMES_ENV), n, err, errlen);
	for (i = 0; !ret && i < n; i++)
		ret = collect_one(i, err, errlen);
	if (ret)
		activation_reset();
	activation_unsetenv();
	return ret;
}

/**
 * activation_take() - the inherited socket a host-side listener should use
 * @family:	AF_INET or AF_INET6 of the forward's listener
 * @addr:	its listening address
 * @port:	its listening port
 * @udp:	the forward is UDP: only a UDP socket serves it
 *
 * Each socket is handed out once; the caller owns the descriptor from
 * then on (and must close it, never shutdown() it).
 *
 * Return: the descriptor, or -1 if no untaken socket has that address
 */
int activation_take(int family, const union inany *addr, uint16_t port,
		    bool udp)
{
	unsigned i;

	for (i = 0; i < act_n; i++) {
		struct act_sock *a = &act_socks[i];

		if (a->taken || a->udp != udp || a->family != family ||
		    a->port != port ||
		    !inany_equal(family, &a->addr, addr))
			continue;
		a->taken = true;
		return a->fd;
	}
	return -1;
}

/**
 * activation_check_all_taken() - did every inherited socket find a forward
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err naming the first socket nobody took
 */
int activation_check_all_taken(char *err, size_t errlen)
{
	char where[ACTIVATION_ADDR_STRLEN];
	unsigned i;

	for (i = 0; i < act_n; i++) {
		const struct act_sock *a = &act_socks[i];

		if (!a->taken)
			return errfmt(err, errlen, "socket activation: "
				      "inherited socket %s (fd %d, %s) matches "
				      "no -%c forward", a->name, a->orig_fd,
				      addr_text(a, where), a->udp ? 'u' : 't');
	}
	return 0;
}

/**
 * activation_untaken_on() - is an inherited socket in the way of a bind
 * @port:	port
 * @udp:	UDP rather than TCP
 * @family:	family of the forward whose bind failed
 * @err:	set to the cause, if there is one
 * @errlen:	its size
 *
 * A forward whose bind fails with EADDRINUSE at start may be failing on
 * an inherited socket of another address: systemd-socket-activate -l P
 * passes [::]:P (dual-stack), which holds 127.0.0.1:P too.  The mismatch
 * is the cause to report, not the "address already in use" it leads to.
 * So is a dual-stack [::]:P that a '*' forward's IPv6 half took: it
 * holds 0.0.0.0:P, the IPv4 half's, and serves IPv4 clients itself.
 *
 * Return: 1 with @err set if such a socket exists, else 0
 */
int activation_untaken_on(uint16_t port, bool udp, int family, char *err,
			  size_t errlen)
{
	char where[ACTIVATION_ADDR_STRLEN];
	unsigned i;

	for (i = 0; i < act_n; i++) {
		const struct act_sock *a = &act_socks[i];

		if (a->port != port || a->udp != udp)
			continue;
		if (a->taken && a->dual && family == AF_INET) {
			errfmt(err, errlen, "socket activation: inherited "
			       "socket %s (fd %d, %s) is dual-stack: it holds "
			       "port %u for IPv4 too, and serves IPv4 clients "
			       "itself: forward only its address (-%c "
			       "[::]/%u...), or make the socket IPv6-only "
			       "(BindIPv6Only=ipv6-only) and pass 0.0.0.0:%u "
			       "too", a->name, a->orig_fd, addr_text(a, where),
			       (unsigned)port, udp ? 'u' : 't', (unsigned)port,
			       (unsigned)port);
			return 1;
		}
		if (a->taken)
			continue;
		errfmt(err, errlen, "socket activation: inherited socket %s "
		       "(fd %d, %s) matches no -%c forward, and holds port %u: "
		       "name its address in the SPEC (e.g. %s/%u:...) or the "
		       "SPEC's addresses in the socket unit", a->name,
		       a->orig_fd, addr_text(a, where), udp ? 'u' : 't',
		       (unsigned)port, a->family == AF_INET6 &&
		       inany_is_any(AF_INET6, &a->addr) ? "::" :
		       a->family == AF_INET && inany_is_any(AF_INET, &a->addr) ?
		       "0.0.0.0" : "ADDR", (unsigned)port);
		return 1;
	}
	return 0;
}

/**
 * activation_count() - number of sockets systemd passed or adopted
 *
 * Return: sockets collected, 0 without socket activation
 */
unsigned activation_count(void)
{
	return act_n;
}
