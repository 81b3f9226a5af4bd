/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawner.h - the spawner: the only nsplice process that may exec
 *
 * DOC: Theory of Operation
 *
 * See spawner.c for the process and spawn.c for the supervisor's side.
 * The supervisor and the spawner share one SOCK_SEQPACKET socketpair; a
 * request is one struct spawn_req with the child's descriptors attached
 * (SCM_RIGHTS), in the order of the bits of @fd_mask, and the answer one
 * struct spawn_ans.  Nothing else ever travels on it.
 */
#ifndef NSPLICE_SPAWNER_H
#define NSPLICE_SPAWNER_H

#include <stdint.h>
#include <sys/types.h>

#include "seccomp/seccomp.h"

/* SPAWN_FD_MAX - highest fixed descriptor a child receives */
#define SPAWN_FD_MAX		8

/* SPAWN_ATTEMPT_LEN - bytes of a --test-attempt name, NUL included */
#define SPAWN_ATTEMPT_LEN	32

/* SPAWN_ANSWER_MS - how long the supervisor waits for an answer, ms */
#define SPAWN_ANSWER_MS		5000

/**
 * struct spawn_req - start one child (supervisor to spawner)
 * @role:	enum sup_child_id
 * @fd_mask:	bit i set: descriptor i of the child is attached
 * @parent:	the supervisor's pid (the spawner's parent)
 * @log_level:	enum log_level
 * @log_mode:	enum log_mode
 * @sandbox_log: --sandbox=log
 * @keep_bind_cap: agents: keep CAP_NET_BIND_SERVICE
 * @runas:	relay: change to @uid, @gid (root nsplice)
 * @pad:	zero
 * @uid:	--runas user
 * @gid:	--runas group
 * @attempt:	relay, NSPLICE_TESTING builds: --test-attempt name, or empty
 */
struct spawn_req {
	uint32_t role;
	uint32_t fd_mask;
	int32_t parent;
	int32_t log_level;
	uint32_t log_mode;
	uint8_t sandbox_log;
	uint8_t keep_bind_cap;
	uint8_t runas;
	uint8_t pad;
	uint32_t uid;
	uint32_t gid;
	char attempt[SPAWN_ATTEMPT_LEN];
};

/**
 * struct spawn_ans - what became of a request (spawner to supervisor)
 * @pid:	the child's pid, or -1
 * @err:	errno of the failure if @pid is -1, else 0
 */
struct spawn_ans {
	int32_t pid;
	int32_t err;
};

pid_t spawner_start(int exe_fd, int log_wfd, enum sandbox_mode mode,
		    int *chan);

#endif /* NSPLICE_SPAWNER_H */
