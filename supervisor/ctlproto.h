/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto.h - the control socket's protocol, shared by both ends
 *
 * DOC: Theory of Operation
 *
 * `--control PATH` makes the supervisor listen on a unix stream socket
 * (mode 0600 from its creation, before the sandbox, in a directory no
 * one else may write to unless it is sticky).  A client connects, sends one
 * request line and reads one response; `nsplice ctl PATH ...` (cmd/ctl.c)
 * is that client.  Requests (one line, at most CTL_LINE_MAX bytes with
 * the newline):
 *
 *   status            forwards with their counters, auto rules and
 *                     processes, as text
 *   status json       the same as one JSON object
 *   add -t SPEC       add forwards, as -t/-T/-u/-U on the command line
 *   add -T SPEC       (a last word --proxy-protocol: the PROXY header)
 *   remove -t SPEC    remove exactly the forwards SPEC would add
 *   remove -T SPEC
 *
 * Response: a first line "ok", "ok: WARNING" (done, with something the
 * user must know: an added port that cannot be bound yet) or "error:
 * MESSAGE", then for status the report; the server closes the connection
 * after it.
 *
 * Both ends include this file: the client (cmd/ctl.c) checks a request
 * with ctl_req_parse() before sending it, the server (control.c) parses
 * with it; ctl_format() (ctlfmt.c) writes the report.
 *
 * The server (control.c) checks the peer's credentials (SO_PEERCRED: the
 * supervisor's own uid or root) and its user namespace (the supervisor's:
 * never COMMAND's), bounds what it reads (one line, a
 * deadline, at most CTL_CLIENTS_MAX clients), and parses with
 * ctl_req_parse(), which is fuzzed (tests/fuzz/fuzz_ctl.c).  The
 * supervisor serves the socket because it is the one process that
 * outlives restarts and holds what a request changes; the parsing it does
 * is one bounded line, and nothing in a request reaches a child except as
 * validated catalogue messages.
 */
#ifndef NSPLICE_CTLPROTO_H
#define NSPLICE_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/msg.h"

/* CTL_LINE_MAX - longest request line, bytes, newline included */
#define CTL_LINE_MAX		1024

/* CTL_TIMEOUT_SEC - a client must send its line and take its answer
 * within this many seconds */
#define CTL_TIMEOUT_SEC		5

/* CTL_ANSWER_MAX - longest response, bytes: the server formats no longer
 * report, the client reads no more (FWD_ID_MAX forwards take about half) */
#define CTL_ANSWER_MAX		(64U << 20)

/**
 * enum ctl_op - what a request asks
 * @CTL_STATUS:	report
 * @CTL_ADD:	add forwards
 * @CTL_REMOVE:	remove forwards
 */
enum ctl_op {
	CTL_STATUS = 0,
	CTL_ADD,
	CTL_REMOVE,
};

/**
 * struct ctl_req - one parsed request
 * @op:		enum ctl_op
 * @json:	status: JSON instead of text
 * @opt:	add/remove: 't' or 'T'
 * @spec:	add/remove: the SPEC, NUL-terminated
 * @proxy:	add: "--proxy-protocol" followed the SPEC
 */
struct ctl_req {
	enum ctl_op op;
	bool json;
	char opt;
	char spec[CTL_LINE_MAX];
	bool proxy;
};

int ctl_req_parse(const char *line, size_t len, struct ctl_req *r,
		  char *err, size_t errlen);

/**
 * struct ctl_fwd_status - one listener in a status report
 * @m:		the forward (listen side/address/port, target)
 * @opt:	't' or 'T'
 * @src:	CONFIG_SRC_* (supervisor/config/config.h)
 * @bound:	its listening socket exists
 * @c:		counters, all relays summed (@c.open: the current one's; @c.id
 *		the listener id)
 */
struct ctl_fwd_status {
	struct msg_forward m;
	char opt;
	int src;
	bool bound;
	struct msg_stats c;
};

/**
 * struct ctl_proc_status - one process in a status report
 * @name:	"supervisor", "relay", "agent host", "agent target",
 *		"relay (draining)", "command"
 * @pid:	pid, 0 if not running
 * @state:	"running", "starting", "restarting", "draining", "stopped"
 * @restarts:	restarts so far
 */
struct ctl_proc_status {
	const char *name;
	pid_t pid;
	const char *state;
	unsigned restarts;
};

struct auto_rule;

/**
 * struct ctl_auto_status - one "auto" rule in a status report
 * @r:		the rule (supervisor/config/config.h): option, SPEC text,
 *		source, listen addresses and the ports it may forward
 * @ports:	ports it forwards now (a listener per family each); 0 while
 *		nothing it may forward listens on the other side
 *
 * A rule is listed whether or not it forwards anything: its listeners
 * come and go with the other side's, and without this line an operator
 * could not see that it is in force, nor how to name it to ctl remove.
 */
struct ctl_auto_status {
	const struct auto_rule *r;
	unsigned ports;
};

/* CTL_PROCS_MAX - processes in a status report: the supervisor, its three
 * children, every draining relay (DRAIN_MAX) and COMMAND; live.c checks */
#define CTL_PROCS_MAX		9

/**
 * struct ctl_status - a whole status report
 * @version:	NSPLICE_VERSION
 * @target:	target description ("netns /run/netns/x", "pid 123", ...)
 * @fwd:	listeners
 * @nfwd:	entries in @fwd
 * @autos:	"auto" rules, in configuration order
 * @nautos:	entries in @autos
 * @proc:	processes
 * @nproc:	entries in @proc
 * @flows:	flows open now
 * @flow_limit:	most flows now (--max-conns or the descriptor budget)
 * @waiting:	listeners waiting (limit, socket pool or descriptors)
 * @stats_age_ms: milliseconds since the relay last reported counters,
 *		UINT64_MAX if it never did
 *		(large while it is restarting)
 */
struct ctl_status {
	const char *version;
	const char *target;
	const struct ctl_fwd_status *fwd;
	unsigned nfwd;
	const struct ctl_auto_status *autos;
	unsigned nautos;
	struct ctl_proc_status proc[CTL_PROCS_MAX];
	unsigned nproc;
	uint32_t flows;
	uint32_t flow_limit;
	uint32_t waiting;
	uint64_t stats_age_ms;
};

int ctl_format(const struct ctl_status *st, bool json, char **out,
	       size_t *len);

#endif /* NSPLICE_CTLPROTO_H */
