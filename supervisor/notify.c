// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify.c - sd_notify(3) messages to the service manager
 *
 * DOC: Theory of Operation
 *
 * See notify.h for the protocol.  NOTIFY_SOCKET is hostile input like any
 * other: it must be an absolute path or an '@' abstract name that fits in
 * sun_path, else notify_init() fails naming the variable (a service that
 * asked for Type=notify and never reports ready would be killed by its
 * start timeout with no word why).  WATCHDOG_USEC must be a positive
 * decimal; WATCHDOG_PID, when set, must be a pid, and the watchdog is ours
 * only if it is our pid.
 *
 * Messages are single datagrams sent with sendto() to the remembered
 * address, MSG_DONTWAIT | MSG_NOSIGNAL: a service manager that does not
 * read must not stall the supervisor, and a lost STATUS= line is harmless.
 *
 * Syscalls: socket(AF_UNIX, SOCK_DGRAM) once, before the sandbox;
 * sendto(); close().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/log.h"
#include "supervisor/notify.h"

/* NOTIFY_ENV, WATCHDOG_USEC_ENV, WATCHDOG_PID_ENV - sd_notify variables */
#define NOTIFY_ENV		"NOTIFY_SOCKET"
#define WATCHDOG_USEC_ENV	"WATCHDOG_USEC"
#define WATCHDOG_PID_ENV	"WATCHDOG_PID"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static uint64_t notify_wd_usec;

/**
 * parse_u64() - parse a whole positive decimal number
 * @v:		text
 * @out:	value, set on success
 *
 * Return: 0, or -1 if @v is empty, has anything but digits, is zero or
 * does not fit
 */
static int parse_u64(const char *v, uint64_t *out)
{
	uintmax_t n;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoumax(v, &end, 10);
	if (errno || *end || !n)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

/**
 * notify_addr_set() - fill the socket address from NOTIFY_SOCKET
 * @v:		value of NOTIFY_SOCKET
 * @err:	error buffer
 * @errlen:	its size
 *
 * An '@' first means the abstract namespace: the address starts with a
 * NUL byte and its length is exact, not NUL-terminated.
 *
 * Return: 0, or -1 with @err set
 */
static int notify_addr_set(const char *v, char *err, size_t errlen)
{
	size_t len = strlen(v);

	if ((v[0] != '/' && v[0] != '@') || len < 2)
		return errfmt(err, errlen, NOTIFY_ENV " \"%.64s\": expected an "
			      "absolute path or an @abstract socket name", v);
	if (len >= sizeof(notify_addr.sun_path))
		return errfmt(err, errlen, NOTIFY_ENV " \"%.64s...\": longer "
			      "than %zu bytes", v,
			      sizeof(notify_addr.sun_path) - 1);
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, v, len);
	if (v[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     len + (v[0] == '/'));
	return 0;
}

/**
 * watchdog_read() - WATCHDOG_USEC, if the watchdog is meant for us
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 (notify_wd_usec set, 0 for none), or -1 with @err set
 */
static int watchdog_read(char *err, size_t errlen)
{
	const char *usec = getenv(WATCHDOG_USEC_ENV);
	const char *pid = getenv(WATCHDOG_PID_ENV);
	uint64_t u, p;

	notify_wd_usec = 0;
	if (!usec)
		return 0;
	if (parse_u64(usec, &u))
		return errfmt(err, errlen, WATCHDOG_USEC_ENV " \"%.32s\": "
			      "expected a positive number of microseconds",
			      usec);
	if (pid && (parse_u64(pid, &p) || p > INT32_MAX))
		return errfmt(err, errlen, WATCHDOG_PID_ENV " \"%.32s\": "
			      "expected a process id", pid);
	if (pid && p != (uint64_t)getpid())
		return 0;	/* meant for a parent of ours */
	notify_wd_usec = u;
	return 0;
}

/**
 * notify_init() - read the sd_notify variables and make the socket
 * @err:	error buffer
 * @errlen:	its size
 *
 * Runs before the supervisor's sandbox.  The variables are removed from
 * the environment in every case, also on error.
 *
 * Return: 0, also when NOTIFY_SOCKET is unset; -1 with @err set when a
 * variable is malformed or the socket cannot be made
 */
int notify_init(char *err, size_t errlen)
{
	const char *v = getenv(NOTIFY_ENV);
	int ret = 0;

	notify_close();
	if (v && notify_addr_set(v, err, errlen))
		ret = -1;
	if (!ret && watchdog_read(err, errlen))
		ret = -1;
	if (!ret && v) {
		notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (notify_fd < 0)
			ret = errfmt(err, errlen, NOTIFY_ENV ": socket: %s",
				     strerror(errno));
	}
	if (ret || !v)
		notify_wd_usec = 0;	/* no watchdog without a socket */
	unsetenv(NOTIFY_ENV);
	unsetenv(WATCHDOG_USEC_ENV);
	unsetenv(WATCHDOG_PID_ENV);
	return ret;
}

/**
 * notify_send() - send one notification datagram
 * @fmt:	printf format of the message, e.g. "READY=1\nSTATUS=%s"
 *
 * A no-op without NOTIFY_SOCKET.  Failures are logged at debug level only:
 * the service manager decides what a missing message means.
 */
void notify_send(const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;	/* a cut STATUS= is still useful */
	if (sendto(notify_fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_addr, notify_addrlen) < 0)
		ndebug("sd_notify: %s", strerror(errno));
}

/**
 * notify_watchdog_usec() - the watchdog period the service manager set
 *
 * Return: WATCHDOG_USEC in microseconds, 0 if there is no watchdog for us
 */
uint64_t notify_watchdog_usec(void)
{
	return notify_wd_usec;
}

/**
 * notify_watchdog_ping_ms() - how often to send WATCHDOG=1
 *
 * Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, so one late
 * ping does not trip the service manager.
 *
 * Return: milliseconds, at least 1; 0 if there is no watchdog for us
 */
long notify_watchdog_ping_ms(void)
{
	if (!notify_wd_usec)
		return 0;
	return notify_wd_usec < 2000 ? 1 : (long)(notify_wd_usec / 2000);
}

/**
 * notify_enabled() - is there a service manager to notify
 *
 * Return: true if NOTIFY_SOCKET was set and its socket made
 */
bool notify_enabled(void)
{
	return notify_fd >= 0;
}

/**
 * notify_close() - close the notification socket
 */
void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	notify_wd_usec = 0;
}
