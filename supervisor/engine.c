// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine.c - the edges of a container engine's contract, at run time
 *
 * DOC: Theory of Operation
 *
 * See engine.h for what each engine expects.  The supervisor calls in at
 * four points: a listener that cannot be bound before readiness
 * (engine_bind_failed()), readiness (engine_ready()), its poll loop
 * (engine_pollfds(), engine_events(): the exit pipe and the reload
 * socket) and its end (engine_finish()).  Failure lines are kept from the
 * first one on: later errors are consequences (children stopping) and
 * would bury the cause the engine shows its user.
 *
 * A reload request is hostile input from any process that can reach the
 * socket (mode 0600 in podman's 0700 directory, so podman's own user): it
 * is one datagram of at most ENGINE_RELOAD_MAX bytes, a JSON string with
 * an IP address and optional whitespace around it (rp_reload_parse()).
 * Anything else is answered with the reason and changes nothing.  The
 * answer ends the connection (podman reads until EOF); at most
 * ENGINE_RELOAD_CLIENTS are served at once, the rest wait in the backlog.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/log.h"
#include "supervisor/config/config.h"
#include "supervisor/config/rpconf.h"
#include "supervisor/engine.h"
#include "supervisor/supervisor.h"

/* ENGINE_RELOAD_MAX - bytes of one reload request read at most */
#define ENGINE_RELOAD_MAX	512

/* PORT_PRIV_DEFAULT - net.ipv4.ip_unprivileged_port_start's default */
#define PORT_PRIV_DEFAULT	1024

/* engine_log_target - the engine whose failure line nerr() fills */
static struct engine *engine_log_target;

/**
 * engine_log_hook() - keep the first error line logged before readiness
 * @line:	the message, without role prefix or "error: "
 */
static void engine_log_hook(const char *line)
{
	if (engine_log_target && engine_log_target->ready_fd >= 0)
		engine_fail(engine_log_target, "%s", line);
}

/* engine_env_not_ours - what a service manager sets for the engine, not
 * for its helper (see engine_init()) */
static const char *const engine_env_not_ours[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
	"LISTEN_FDS", "LISTEN_FDNAMES", "RUNTIME_DIRECTORY",
};

/**
 * engine_init() - an engine contract with nothing open yet
 * @e:		engine
 * @kind:	enum engine_kind
 *
 * The helper inherits the engine's environment, and with it what systemd
 * set for the engine's unit.  Acting on it would speak for the engine:
 * READY=1 and STOPPING=1 on a podman unit's NOTIFY_SOCKET (Type=notify,
 * NotifyAccess=all, as `podman generate systemd` writes) before the
 * container is up and at every stop; a control socket in dockerd's
 * RUNTIME_DIRECTORY, the same path for every published port, so the
 * second port failed as "in use"; and the unit's own socket-activation
 * or watchdog variables, which the engine's contract does not use
 * (docker-proxy's -use-listen-fd is fd 4, not LISTEN_FDS).  They are
 * removed before anything reads them.
 */
void engine_init(struct engine *e, enum engine_kind kind)
{
	unsigned i;

	for (i = 0; i < sizeof(engine_env_not_ours) /
			sizeof(engine_env_not_ours[0]); i++)
		unsetenv(engine_env_not_ours[i]);
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ready_fd = e->exit_fd = e->reload_fd = e->dir_fd = -1;
	e->null_fd = -1;
	e->unpriv_start = PORT_PRIV_DEFAULT;
	for (i = 0; i < ENGINE_RELOAD_CLIENTS; i++)
		e->reload_cli[i] = -1;
	engine_log_target = e;
	log_set_error_hook(engine_log_hook);
}

/**
 * engine_fail() - note why nsplice cannot serve, if nothing was noted yet
 * @e:		engine
 * @fmt:	printf format of one line, the engine's wording
 */
void engine_fail(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	if (e->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(e->fail, sizeof(e->fail), fmt, ap);
	va_end(ap);
	e->failed = true;
}

/**
 * engine_bind_failed() - a listener of the start-up configuration failed
 * @e:		engine
 * @f:		the forward
 * @error:	errno of bind() or listen()
 *
 * Go's wording (net.OpError: "listen tcp 127.0.0.1:80: bind: permission
 * denied"), which is what podman and dockerd users know (docker-proxy
 * 20.10 names the family: "listen tcp4 ..."); rootlessport
 * puts its advice for privileged ports in front of it, as the real helper
 * does.  A rootlessport mapping without host_ip reads "0.0.0.0:PORT", as
 * podman 4.3.1's own helper says it (compared side by side by an
 * adversarial review; ":PORT" before), whatever family failed.
 */
void engine_bind_failed(struct engine *e, const struct fwd_entry *f,
			int error)
{
	char a[INANY_STRLEN], addr[INANY_STRLEN + 16], why[64];
	bool udp = f->m.flags & FWD_F_UDP, v6 = f->m.family == AF_INET6;
	unsigned port = f->m.listen_port;
	char net[8];

	/* docker-proxy listens on "tcp4"/"udp6"..., rootlessport on "tcp" */
	snprintf(net, sizeof(net), "%s%s", udp ? "udp" : "tcp",
		 e->kind != ENGINE_DOCKER_PROXY ? "" : v6 ? "6" : "4");
	inany_ntop(f->m.family, &f->m.listen_addr, a, sizeof(a));
	if (e->wildcard && inany_is_any(f->m.family, &f->m.listen_addr)) {
		snprintf(a, sizeof(a), "0.0.0.0");
		v6 = false;
	}
	snprintf(addr, sizeof(addr), v6 ? "[%s]:%u" : "%s:%u", a, port);
	snprintf(why, sizeof(why), "%s", strerror(error));
	if (why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	if (e->kind == ENGINE_ROOTLESSPORT && error == EACCES &&
	    port < e->unpriv_start) {
		engine_fail(e, "cannot expose privileged port %u, you can add "
			    "'net.ipv4.ip_unprivileged_port_start=%u' to "
			    "/etc/sysctl.conf (currently %u), or choose a "
			    "larger port number (>= %u): listen %s %s: bind: %s",
			    port, port, e->unpriv_start, e->unpriv_start, net,
			    addr, why);
		return;
	}
	engine_fail(e, "listen %s %s: bind: %s", net, addr, why);
}

/**
 * write_all() - write a short message to a pipe, whole or not at all
 * @fd:		descriptor
 * @buf:	bytes
 * @len:	their number
 */
static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* the engine is gone: nobody to tell */
		buf += n;
		len -= (size_t)n;
	}
}

/**
 * engine_ready() - every listener is bound and the relay serves
 * @e:		engine, or NULL
 */
void engine_ready(struct engine *e)
{
	if (!e || e->ready_fd < 0)
		return;
	if (e->kind == ENGINE_ROOTLESSPORT) {
		/* podman stops reading both once it has the byte: a later
		 * write would block on a full pipe or raise SIGPIPE
		 * (podman#11248) */
		if (e->null_fd >= 0) {
			dup2(e->null_fd, STDOUT_FILENO);
			dup2(e->null_fd, STDERR_FILENO);
		}
		write_all(e->ready_fd, "1", 1);
	} else {
		write_all(e->ready_fd, "0\n", 2);
	}
	close(e->ready_fd);
	e->ready_fd = -1;
	ninfo("told %s: ready", e->kind == ENGINE_ROOTLESSPORT ?
	      "podman" : "dockerd");
}

/**
 * engine_finish() - the supervisor ends: tell a failure, clean up
 * @e:		engine, or NULL
 * @status:	the supervisor's exit status
 *
 * Return: the exit status to use: 1 if the engine was never told it was
 * ready (it waits for one answer or the other), else @status
 */
int engine_finish(struct engine *e, int status)
{
	char line[ENGINE_MSG_MAX + 4];
	unsigned i;
	int n;

	if (!e)
		return status;
	if (e->ready_fd >= 0) {
		if (!e->failed)
			engine_fail(e, "nsplice stopped before it was ready");
		if (e->kind == ENGINE_ROOTLESSPORT) {
			n = snprintf(line, sizeof(line), "%s\n", e->fail);
			write_all(STDOUT_FILENO, line, (size_t)n);
		} else {
			n = snprintf(line, sizeof(line), "1\n%s", e->fail);
			write_all(e->ready_fd, line, (size_t)n);
		}
		close(e->ready_fd);
		e->ready_fd = -1;
		/* Both engines read any failure as 1, whatever nsplice's
		 * own status would have been (2 for a port in use) */
		status = EXIT_FAILURE;
	}
	for (i = 0; i < ENGINE_RELOAD_CLIENTS; i++)
		if (e->reload_cli[i] >= 0)
			close(e->reload_cli[i]);
	if (e->reload_fd >= 0) {
		close(e->reload_fd);
		if (e->dir_fd >= 0)
			unlinkat(e->dir_fd, e->reload_name, 0);
	}
	engine_log_target = NULL;
	log_set_error_hook(NULL);
	return status;
}

/**
 * engine_pollfds() - descriptors the supervisor's poll must watch
 * @e:		engine, or NULL
 * @p:		output slots
 * @max:	their number, at least ENGINE_POLLFDS
 *
 * Return: slots filled
 */
unsigned engine_pollfds(const struct engine *e, struct pollfd *p,
			unsigned max)
{
	unsigned n = 0, i;

	if (!e || max < ENGINE_POLLFDS)
		return 0;
	if (e->exit_fd >= 0)
		p[n++] = (struct pollfd){ e->exit_fd, POLLIN, 0 };
	if (e->reload_fd >= 0) {
		bool full = true;

		for (i = 0; i < ENGINE_RELOAD_CLIENTS; i++) {
			if (e->reload_cli[i] < 0) {
				full = false;
				continue;
			}
			p[n++] = (struct pollfd){ e->reload_cli[i], POLLIN, 0 };
		}
		if (!full)
			p[n++] = (struct pollfd){ e->reload_fd, POLLIN, 0 };
	}
	return n;
}

/**
 * reload_accept() - take a new reload connection into a free slot
 * @e:		engine
 */
static void reload_accept(struct engine *e)
{
	unsigned i;
	int fd;

	fd = accept4(e->reload_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < ENGINE_RELOAD_CLIENTS; i++) {
		if (e->reload_cli[i] < 0) {
			e->reload_cli[i] = fd;
			return;
		}
	}
	close(fd);
}

/**
 * reload_answer() - send the one answer datagram and close the connection
 * @e:		engine
 * @slot:	client slot
 * @text:	answer
 *
 * podman reads the answer until EOF (io.ReadAll), so the connection ends
 * with it: one request per connection, as the real helper serves them.
 */
static void reload_answer(struct engine *e, unsigned slot, const char *text)
{
	if (send(e->reload_cli[slot], text, strlen(text),
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		nwarn("reload answer: %s", strerror(errno));
	close(e->reload_cli[slot]);
	e->reload_cli[slot] = -1;
}

/**
 * reload_serve() - read one request of a reload client and answer it
 * @s:		supervisor state
 * @e:		engine
 * @slot:	client slot
 */
static void reload_serve(struct supervisor *s, struct engine *e,
			 unsigned slot)
{
	char buf[ENGINE_RELOAD_MAX], err[CONFIG_ERR_MAX], ip[INANY_STRLEN];
	union inany addr;
	ssize_t n;
	int af;

	n = recv(e->reload_cli[slot], buf, sizeof(buf), MSG_DONTWAIT |
		 MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(e->reload_cli[slot]);
		e->reload_cli[slot] = -1;
		return;
	}
	if ((size_t)n > sizeof(buf)) {
		reload_answer(e, slot, "request too long");
		return;
	}
	if (rp_reload_parse(buf, (size_t)n, &af, &addr, err, sizeof(err)) ||
	    live_retarget(s, af, &addr, err, sizeof(err))) {
		nerr("reload request refused: %s", err);
		reload_answer(e, slot, err);
		return;
	}
	inany_ntop(af, &addr, ip, sizeof(ip));
	nnotice("podman: new connections go to %s", ip);
	reload_answer(e, slot, "OK");
}

/**
 * engine_events() - handle what engine_pollfds() reported
 * @s:		supervisor state
 * @e:		engine, or NULL
 * @p:		the slots engine_pollfds() filled, with revents
 * @n:		their number
 */
void engine_events(struct supervisor *s, struct engine *e,
		   const struct pollfd *p, unsigned n)
{
	unsigned i, j;
	char c;

	for (i = 0; e && i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == e->exit_fd) {
			if (read(e->exit_fd, &c, 1) > 0)
				continue;	/* not the EOF yet */
			nnotice("podman's exit pipe closed: stopping");
			close(e->exit_fd);
			e->exit_fd = -1;
			sup_stop(s, EXIT_SUCCESS, NULL);
		} else if (p[i].fd == e->reload_fd) {
			reload_accept(e);
		} else {
			for (j = 0; j < ENGINE_RELOAD_CLIENTS; j++)
				if (e->reload_cli[j] == p[i].fd)
					reload_serve(s, e, j);
		}
	}
}
