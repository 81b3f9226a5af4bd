/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * role.h - what every re-executed child does before its role's work
 *
 * DOC: Theory of Operation
 *
 * The supervisor starts each child as fork() + fexecve() of nsplice's own
 * binary with argv
 *
 *   nsplice --role=relay|agent [--side=host|target] [--keep-bind-cap]
 *           [--sandbox=log] [--runas=UID:GID] [--test-attempt=WHAT]
 *           [--log-mode=journal|syslog]
 *           --log=N --parent=PID
 *
 * and its channels on the fixed descriptors of ipc/msg.h.  The child parses
 * only these arguments (strictly: anything else is fatal), arms
 * PR_SET_PDEATHSIG and checks that the parent is still the supervisor it
 * was started by (the parent may have died between fork() and prctl()),
 * sets its process title ("nsplice: relay"), ignores SIGPIPE, SIGINT and
 * SIGHUP (Ctrl-C reaches the whole process group; only the supervisor
 * decides to stop) and closes every descriptor it was not meant to have.
 *
 * Then each role isolates itself (seccomp/sandbox.c): the relay right
 * away, before relay_main(); an agent once it has entered its namespace.
 * --runas (relay only, nsplice run as root) names the user the relay
 * becomes; --test-attempt exists in NSPLICE_TESTING builds only.
 */
#ifndef NSPLICE_ROLE_H
#define NSPLICE_ROLE_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * struct role_args - the arguments of a re-executed child
 * @role:	"relay" or "agent"
 * @side:	enum nsp_side for an agent, -1 otherwise
 * @log_level:	enum log_level
 * @parent:	pid of the supervisor that started it
 * @keep_bind_cap: agent: keep CAP_NET_BIND_SERVICE (--keep-bind-cap)
 * @sandbox_log: --sandbox=log: seccomp logs instead of killing
 * @runas:	relay: --runas=UID:GID was given
 * @uid:	relay: user id to run as
 * @gid:	relay: group id to run as
 * @attempt:	relay, NSPLICE_TESTING builds: --test-attempt, or NULL
 */
struct role_args {
	const char *role;
	int side;
	int log_level;
	pid_t parent;
	bool keep_bind_cap;
	bool sandbox_log;
	bool runas;
	uid_t uid;
	gid_t gid;
	const char *attempt;
};

int role_args_parse(int argc, char **argv, struct role_args *ra);
void role_enter(const struct role_args *ra, const char *title,
		const char *logtag, int keep_max_fd);
int main_role(int argc, char **argv);

#endif /* NSPLICE_ROLE_H */
