// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spawn.c - start a child role as fork() + fexecve() of nsplice itself
 *
 * DOC: Theory of Operation
 *
 * A child must not inherit the supervisor's memory (configuration, other
 * children's channels, namespace handles it does not need), so it is a
 * fresh execution of the binary opened once at start (supervisor->exe_fd),
 * not a fork that goes on running supervisor code.  Between fork() and
 * fexecve() the child only: unblocks signals (the supervisor blocks them
 * for its signalfd, and the mask survives exec), arms PR_SET_PDEATHSIG,
 * moves its descriptors to the fixed numbers of ipc/msg.h, puts the binary
 * on SECCOMP_EXE_FD (the supervisor's seccomp filter lets a child exec from
 * that descriptor only) and execs.  Every other supervisor descriptor is
 * O_CLOEXEC and disappears at exec.
 *
 * Sandbox arguments: --sandbox=log in log mode; for the relay of a root
 * nsplice, --runas=UID:GID (the user it becomes); in NSPLICE_TESTING
 * builds, --test-attempt=WHAT.
 *
 * Log mode: --log-mode=journal|syslog when the supervisor's lines are not
 * plain (ipc/log.h), so a child prefixes its lines with their priority;
 * absent in plain mode.
 *
 * The environment is emptied except for the sanitizer options, so nothing
 * from the user's environment reaches a sandboxed process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../ipc/log.h"
#include "../seccomp/sandbox.h"
#include "supervisor.h"

/* SPAWN_FD_MAX - highest fixed descriptor a child receives */
#define SPAWN_FD_MAX	8

/* SPAWN_FD_TMP - descriptors are parked from here before dup2() */
#define SPAWN_FD_TMP	(SECCOMP_EXE_FD + 1)

/* SPAWN_ARGS_MAX - entries of a child's argv, NULL included */
#define SPAWN_ARGS_MAX	12

/* SPAWN_ARG_LEN - room for one formatted argument, bytes */
#define SPAWN_ARG_LEN	64

/* SPAWN_ENV_KEEP - environment variables a child may see */
static const char *const spawn_env_keep[] = {
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL,
};

/**
 * child_env() - build the child's environment from the allowed variables
 * @envp:	output array, at least as long as spawn_env_keep
 */
static void child_env(char **envp)
{
	const char *const *k;
	int n = 0;

	for (k = spawn_env_keep; *k; k++) {
		char *v = getenv(*k);

		/* The variable's "NAME=value" string is just before value. */
		if (v)
			envp[n++] = v - strlen(*k) - 1;
	}
	envp[n] = NULL;
}

/**
 * child_place_fds() - put descriptors at their fixed numbers
 * @fds:	fds[i] is the descriptor that must become number i, or -1
 * @nfds:	length of @fds
 *
 * Parking every source above SPAWN_FD_TMP first means a source that
 * already sits on another target number cannot be overwritten early.
 * dup2() clears O_CLOEXEC on the result, so exactly these survive exec.
 *
 * Return: 0 or -1
 */
static int child_place_fds(const int *fds, int nfds)
{
	int tmp[SPAWN_FD_MAX + 1];
	int i;

	for (i = 0; i < nfds; i++) {
		tmp[i] = -1;
		if (fds[i] >= 0 &&
		    (tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, SPAWN_FD_TMP)) < 0)
			return -1;
	}
	for (i = 0; i < nfds; i++) {
		if (tmp[i] < 0)
			continue;
		if (dup2(tmp[i], i) < 0)
			return -1;
		close(tmp[i]);
	}
	return 0;
}

/**
 * sandbox_args() - append the sandbox arguments of a child
 * @s:		supervisor state
 * @id:		which role
 * @argv:	argument array, with room for three more
 * @n:		entries used; updated
 * @runas:	buffer for the --runas argument
 * @attempt:	buffer for the --test-attempt argument
 */
static void sandbox_args(const struct supervisor *s, enum sup_child_id id,
			 char **argv, int *n, char *runas, char *attempt)
{
	const struct nsp_config *cfg = s->cfg;

	if (cfg->sandbox == SANDBOX_LOG)
		argv[(*n)++] = (char *)"--sandbox=log";
	if (id != CH_RELAY)
		return;
	if (geteuid() == 0 && cfg->runas_name) {
		snprintf(runas, SPAWN_ARG_LEN, "--runas=%u:%u",
			 (unsigned)cfg->runas_uid, (unsigned)cfg->runas_gid);
		argv[(*n)++] = runas;
	}
	if (cfg->test_attempt) {
		snprintf(attempt, SPAWN_ARG_LEN, "--test-attempt=%s",
			 cfg->test_attempt);
		argv[(*n)++] = attempt;
	}
}

/**
 * place_exe() - put the binary's descriptor on SECCOMP_EXE_FD
 * @tmp:	a parked duplicate of it, closed here
 *
 * Return: SECCOMP_EXE_FD, or -1
 */
static int place_exe(int tmp)
{
	int fd = dup3(tmp, SECCOMP_EXE_FD, O_CLOEXEC);

	close(tmp);
	return fd;
}

/**
 * child_exec() - the child's side of spawn_role(); never returns
 * @s:		supervisor state (only exe_fd and cfg are read)
 * @id:		which role
 * @fds:	descriptors for the fixed numbers
 * @nfds:	length of @fds
 * @ppid:	the supervisor's pid
 */
static void __attribute__((noreturn))
child_exec(const struct supervisor *s, enum sup_child_id id, const int *fds,
	   int nfds, pid_t ppid)
{
	char logarg[16], parentarg[32], logmode[SPAWN_ARG_LEN];
	char runas[SPAWN_ARG_LEN], attempt[SPAWN_ARG_LEN];
	char *envp[sizeof(spawn_env_keep) / sizeof(spawn_env_keep[0])];
	char *argv[SPAWN_ARGS_MAX];
	sigset_t all;
	int exe, n = 0;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != ppid)
		_exit(127);
	/* The binary's descriptor may sit on a fixed number: park it too. */
	exe = fcntl(s->exe_fd, F_DUPFD_CLOEXEC, SPAWN_FD_TMP);
	if (exe < 0 || child_place_fds(fds, nfds) || place_exe(exe) < 0)
		_exit(127);

	snprintf(logarg, sizeof(logarg), "--log=%d", s->cfg->log_level);
	snprintf(parentarg, sizeof(parentarg), "--parent=%d", (int)ppid);
	argv[n++] = (char *)"nsplice";
	argv[n++] = (char *)(id == CH_RELAY ? "--role=relay" : "--role=agent");
	if (id != CH_RELAY)
		argv[n++] = (char *)(id == CH_AGENT_HOST ? "--side=host" :
							    "--side=target");
	if (id != CH_RELAY && config_side_needs_low_ports(s->cfg, (int)id))
		argv[n++] = (char *)"--keep-bind-cap";
	sandbox_args(s, id, argv, &n, runas, attempt);
	if (log_get_mode() != LOG_MODE_PLAIN) {
		snprintf(logmode, sizeof(logmode), "--log-mode=%s",
			 log_mode_name(log_get_mode()));
		argv[n++] = logmode;
	}
	argv[n++] = logarg;
	argv[n++] = parentarg;
	argv[n] = NULL;
	child_env(envp);
	fexecve(SECCOMP_EXE_FD, argv, envp);
	log_msg(LOG_LVL_ERR, "cannot execute %s: %s", s->ch[id].name,
		strerror(errno));
	_exit(127);
}

/**
 * spawn_role() - start one child
 * @s:		supervisor state
 * @id:		which child
 * @fds:	descriptors the child gets as 0..nfds-1 (-1: none)
 * @nfds:	length of @fds, at most SPAWN_FD_MAX + 1
 *
 * Return: the child's pid, or -1 with errno set
 */
pid_t spawn_role(const struct supervisor *s, enum sup_child_id id,
		 const int *fds, int nfds)
{
	pid_t ppid = getpid();
	pid_t pid;

	if (nfds > SPAWN_FD_MAX + 1) {
		errno = EINVAL;
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(s, id, fds, nfds, ppid);
	return pid;
}
