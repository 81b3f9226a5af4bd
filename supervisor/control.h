/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.h - the control socket's server
 *
 * DOC: Theory of Operation
 *
 * The supervisor serves `--control PATH` (protocol: ctlproto.h).  It is
 * the one process that outlives restarts and holds what a request
 * changes; the parsing it does is one bounded line, and nothing in a
 * request reaches a child except as validated catalogue messages.
 */
#ifndef NSPLICE_CONTROL_H
#define NSPLICE_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/msg.h"
#include "supervisor/ctlproto.h"

/* CTL_CLIENTS_MAX - control connections served at once; more wait */
#define CTL_CLIENTS_MAX		8

/**
 * struct ctl_ops - what the server asks of the supervisor
 * @status:	a client wants a report: gather it (asynchronously) and
 *		then call control_status_ready(); may call it at once
 * @change:	apply an add or remove; 0 on success (answered "ok" at
 *		once), 1 on success answered later by control_change_done()
 *		with @token (an add whose listeners are still being bound),
 *		-1 with a message in @err (nothing changed)
 */
struct ctl_ops {
	void (*status)(void *ctx);
	int (*change)(void *ctx, const struct ctl_req *r, uint32_t token,
		      char *err, size_t errlen);
};

struct control;

int dir_check(const char *what, const char *path, char *err, size_t errlen);
int file_path_check(const char *what, const char *path, char *err,
		    size_t errlen);
int control_open(const char *path, char *err, size_t errlen);
struct control *control_new(int listen_fd, const char *path, uid_t owner,
			    const struct ctl_ops *ops, void *ctx);
unsigned control_pollfds(const struct control *c, struct pollfd *p,
			 unsigned max);
void control_events(struct control *c, const struct pollfd *p, unsigned n);
void control_status_ready(struct control *c, const struct ctl_status *st);
void control_change_done(struct control *c, uint32_t token,
			 const char *warning);
void control_tick(struct control *c);
void control_free(struct control *c);

#endif /* NSPLICE_CONTROL_H */
