/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - sd_notify(3) readiness, status and watchdog, without libsystemd
 *
 * DOC: Theory of Operation
 *
 * Under systemd (Type=notify or notify-reload) the service manager passes
 * an AF_UNIX datagram socket in NOTIFY_SOCKET and expects "KEY=VALUE"
 * lines on it: READY=1 once the service is serving, STATUS= free text,
 * RELOADING=1 with MONOTONIC_USEC= then READY=1 around a reload,
 * STOPPING=1 when shutting down, and WATCHDOG=1 at least every
 * WATCHDOG_USEC when the watchdog is on.  The protocol is small enough to
 * speak directly; libsystemd would be a run-time dependency for four
 * datagrams.
 *
 * notify_init() runs before the supervisor's sandbox, which forbids
 * socket(AF_UNIX): it makes the one socket every later notify_send() uses
 * with sendto(), and takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
 * out of the environment so COMMAND and the children never see them (a
 * COMMAND that found NOTIFY_SOCKET could speak for nsplice).
 *
 * Without NOTIFY_SOCKET everything here is a no-op, so callers need not
 * test notify_enabled() before each message.
 */
#ifndef NSPLICE_NOTIFY_H
#define NSPLICE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NOTIFY_MSG_MAX - bytes of one notification datagram at most */
#define NOTIFY_MSG_MAX	1024

int notify_init(char *err, size_t errlen);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t notify_watchdog_usec(void);
long notify_watchdog_ping_ms(void);
bool notify_enabled(void);
void notify_close(void);

#endif /* NSPLICE_NOTIFY_H */
