/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervisor.h - the supervisor's state, shared by its source files
 *
 * DOC: Theory of Operation
 *
 * See supervisor.c for the role.  The state is one struct supervisor, owned
 * by supervisor_main(); spawn.c starts children, target.c finds or creates
 * the target namespace, startup.c speaks the start-up protocol with the
 * children over their channels.
 */
#ifndef NSPLICE_SUPERVISOR_H
#define NSPLICE_SUPERVISOR_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../cmd/config.h"
#include "../ipc/ipc.h"

/**
 * enum sup_child_id - the supervisor's children, index into sup->ch[]
 * @CH_AGENT_HOST:	agent that stays in the supervisor's netns
 * @CH_AGENT_TARGET:	agent that enters the target netns
 * @CH_RELAY:		relay
 */
enum sup_child_id {
	CH_AGENT_HOST = SIDE_HOST,
	CH_AGENT_TARGET = SIDE_TARGET,
	CH_RELAY,
	CH_COUNT
};

/**
 * struct sup_child - one child process and its channel
 * @name:	"agent host", "agent target", "relay"
 * @pid:	pid, 0 once reaped
 * @chan:	channel to it
 * @hello:	HELLO received
 * @ready:	RELAY_READY / AGENT_READY received
 * @bind_next:	agents: index in cfg->fwd of the next listener to consider
 * @bind_out:	agents: BINDs sent and not yet answered by BOUND
 * @bind_count:	agents: BINDs sent in all
 * @bound:	agents: listeners bound
 * @eof_at:	CLOCK_MONOTONIC second its channel closed, 0 if open
 * @ended:	reaped, @status is valid
 * @status:	status from waitpid()
 */
struct sup_child {
	const char *name;
	pid_t pid;
	struct ipc_chan chan;
	bool hello;
	bool ready;
	unsigned bind_next;
	unsigned bind_out;
	unsigned bind_count;
	unsigned bound;
	long eof_at;
	bool ended;
	int status;
};

/**
 * struct supervisor - everything the supervisor holds
 * @cfg:	validated configuration
 * @exe_fd:	nsplice's own binary, opened once, for fexecve()
 * @netns_fd:	target network namespace
 * @userns_fd:	user namespace agent[target] joins first, or -1
 * @netns_st:	identity of --netns at start, to notice `ip netns del`
 * @target_pidfd: pidfd of the --pid target or of COMMAND, or -1
 * @cmd_pid:	COMMAND's pid, 0 if none or reaped
 * @sig_fd:	signalfd for SIGCHLD, SIGTERM, SIGINT, SIGHUP
 * @timer_fd:	periodic check of --netns and of shutdown deadlines
 * @log_fd:	read end of the children's log pipe
 * @log_wfd:	write end, handed to each child as its descriptor 2
 * @ch:		children
 * @ready:	every listener bound and the relay serving
 * @stopping:	shutdown in progress
 * @child_failed: a child ended while nsplice was not stopping
 * @exit_code:	status to exit with
 * @stop_deadline: CLOCK_MONOTONIC second after which children are killed
 */
struct supervisor {
	const struct nsp_config *cfg;
	int exe_fd;
	int netns_fd;
	int userns_fd;
	struct stat netns_st;
	int target_pidfd;
	pid_t cmd_pid;
	int sig_fd;
	int timer_fd;
	int log_fd;
	int log_wfd;
	struct sup_child ch[CH_COUNT];
	bool ready;
	bool stopping;
	bool child_failed;
	int exit_code;
	long stop_deadline;
};

int supervisor_main(const struct nsp_config *cfg);
void sup_stop(struct supervisor *s, int code, const char *why);

/* spawn.c */
pid_t spawn_role(const struct supervisor *s, enum sup_child_id id,
		 const int *fds, int nfds);

/* target.c */
int target_open(struct supervisor *s, char *err, size_t errlen);
int target_command_start(struct supervisor *s, char *err, size_t errlen);
bool target_netns_gone(const struct supervisor *s);

/* startup.c */
void startup_begin(struct supervisor *s);
void startup_on_msg(struct supervisor *s, enum sup_child_id id,
		    const struct ipc_msg *m);

#endif /* NSPLICE_SUPERVISOR_H */
