// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spawner.c - the spawner: execs every child for the supervisor
 *
 * DOC: Theory of Operation
 *
 * The supervisor must not be able to run another program: seccomp cannot
 * read a path, and execveat() ignores its descriptor when the path is
 * absolute, so no argument rule makes "execveat only of nsplice" true in
 * the process that may call it.  The call is moved out instead.  Right
 * after COMMAND is forked, before any filter, the supervisor forks this
 * process, which holds exactly three descriptors: its log line (2, the
 * children's log pipe), its SOCK_SEQPACKET channel to the supervisor (3)
 * and nsplice's own binary (4).  It shows as "nsplice: spawner", keeps the
 * capabilities the children need, loads the filter the children inherit
 * (seccomp/supervisor.c: the only nsplice filter that lists execveat), and
 * then only answers requests; the supervisor drops the binary and loads a
 * filter without execve, execveat or clone.
 *
 * A request (spawner.h) names a role and the few scalars a child's argv
 * is built from, with the child's descriptors attached.  It carries no
 * path, no program, no argv and no environment: whatever the supervisor
 * asks, the spawner can only start nsplice itself as a relay or an agent,
 * with arguments it formats from validated numbers.  A request that is
 * malformed in any way means the supervisor is broken or compromised: the
 * spawner says so and exits, and the supervisor, which treats the
 * spawner's end as fatal, stops.
 *
 * A child is created with clone(CLONE_PARENT | SIGCHLD): it is the
 * supervisor's child, not the spawner's, so SIGCHLD, waitpid(),
 * PR_SET_PDEATHSIG (the supervisor's death kills it) and every pid the
 * supervisor tracks stay as when the supervisor forked them itself.
 * Between clone() and fexecve() the child only: unblocks signals (the
 * supervisor blocked them for its signalfd, and the mask survives exec),
 * arms PR_SET_PDEATHSIG, moves its descriptors to the fixed numbers of
 * ipc/msg.h, puts the binary on SECCOMP_EXE_FD and execs.  Every other
 * descriptor is O_CLOEXEC and disappears at exec.  The environment is
 * emptied except for the sanitizer options.
 *
 * The spawner ends when its channel closes (the supervisor exited) or with
 * the supervisor (PR_SET_PDEATHSIG); a supervisor that stops normally
 * kills and reaps it last (stop_spawner()).  It ignores the terminal's
 * signals, which it keeps blocked as the supervisor left them.  Its own
 * lines are written straight to descriptor 2: the supervisor's syslog
 * socket, if any, is closed here, so log_msg() is never used.
 */
#include <bsd/unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/proctitle.h"
#include "seccomp/sandbox.h"
#include "supervisor/spawner.h"
#include "supervisor/supervisor.h"

/* SPAWNER_CHAN_FD, SPAWNER_EXE_FD - the spawner's own descriptors; 2 is
 * its log line */
#define SPAWNER_CHAN_FD		3
#define SPAWNER_EXE_FD		4

/* SPAWNER_CLONE_FLAGS - a fork whose child is the supervisor's */
#define SPAWNER_CLONE_FLAGS	(CLONE_PARENT | SIGCHLD)

/* SPAWN_FD_TMP - descriptors are parked from here before dup2() */
#define SPAWN_FD_TMP		(SECCOMP_EXE_FD + 1)

/* SPAWN_ARGS_MAX - entries of a child's argv, NULL included */
#define SPAWN_ARGS_MAX		12

/* SPAWN_ARG_LEN - room for one formatted argument, bytes */
#define SPAWN_ARG_LEN		64

/* SPAWNER_ERRNO_MAX - largest errno value an answer may carry */
#define SPAWNER_ERRNO_MAX	4095

/* spawn_env_keep - environment variables a child may see */
static const char *const spawn_env_keep[] = {
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL,
};

/* spawn_role_names - what a child is called in the spawner's lines */
static const char *const spawn_role_names[CH_COUNT] = {
	[CH_AGENT_HOST] = "agent host",
	[CH_AGENT_TARGET] = "agent target",
	[CH_RELAY] = "relay",
};

/**
 * spawner_say() - write one error line to descriptor 2
 * @fmt:	printf format
 *
 * Prefixed as a child's line ("<3>" outside plain mode, see ipc/log.h).
 */
static void __attribute__((format(printf, 1, 2)))
spawner_say(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	bool plain = log_get_mode() == LOG_MODE_PLAIN;
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s[spawner] ", plain ? "" : "<3>");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

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
 * place_fds() - put descriptors at their fixed numbers
 * @fds:	fds[i] is the descriptor that must become number i, or -1
 * @nfds:	length of @fds, at most SPAWN_FD_MAX + 1
 *
 * Parking every source above SPAWN_FD_TMP first means a source that
 * already sits on another target number cannot be overwritten early.
 * dup2() clears O_CLOEXEC on the result, so exactly these survive exec.
 *
 * Return: 0 or -1
 */
static int place_fds(const int *fds, int nfds)
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
 * place_exe() - put the binary's descriptor on SECCOMP_EXE_FD
 *
 * Return: SECCOMP_EXE_FD, or -1
 */
static int place_exe(void)
{
	int tmp = fcntl(SPAWNER_EXE_FD, F_DUPFD_CLOEXEC, SPAWN_FD_TMP);
	int fd;

	/* The binary sits on 4, a number the child's own descriptors take:
	 * it is parked before they are placed. */
	if (tmp < 0)
		return -1;
	fd = dup3(tmp, SECCOMP_EXE_FD, O_CLOEXEC);
	close(tmp);
	return fd;
}

/**
 * struct child_argv - a child's argument vector and its formatted strings
 * @argv:	the vector, NULL-terminated
 * @n:		entries used
 * @log:	--log=N
 * @parent:	--parent=PID
 * @mode:	--log-mode=NAME
 * @runas:	--runas=UID:GID
 * @attempt:	--test-attempt=NAME
 */
struct child_argv {
	char *argv[SPAWN_ARGS_MAX];
	int n;
	char log[SPAWN_ARG_LEN];
	char parent[SPAWN_ARG_LEN];
	char mode[SPAWN_ARG_LEN];
	char runas[SPAWN_ARG_LEN];
	char attempt[SPAWN_ARG_LEN];
};

/**
 * child_args() - format a child's arguments from a validated request
 * @r:		the request
 * @a:		filled
 */
static void child_args(const struct spawn_req *r, struct child_argv *a)
{
	a->n = 0;
	a->argv[a->n++] = (char *)"nsplice";
	a->argv[a->n++] = (char *)(r->role == CH_RELAY ? "--role=relay" :
				   "--role=agent");
	if (r->role != CH_RELAY)
		a->argv[a->n++] = (char *)(r->role == CH_AGENT_HOST ?
					   "--side=host" : "--side=target");
	if (r->keep_bind_cap)
		a->argv[a->n++] = (char *)"--keep-bind-cap";
	if (r->sandbox_log)
		a->argv[a->n++] = (char *)"--sandbox=log";
	if (r->runas) {
		snprintf(a->runas, sizeof(a->runas), "--runas=%u:%u",
			 (unsigned)r->uid, (unsigned)r->gid);
		a->argv[a->n++] = a->runas;
	}
	if (r->attempt[0]) {
		snprintf(a->attempt, sizeof(a->attempt), "--test-attempt=%s",
			 r->attempt);
		a->argv[a->n++] = a->attempt;
	}
	if (r->log_mode != LOG_MODE_PLAIN) {
		snprintf(a->mode, sizeof(a->mode), "--log-mode=%s",
			 log_mode_name((enum log_mode)r->log_mode));
		a->argv[a->n++] = a->mode;
	}
	snprintf(a->log, sizeof(a->log), "--log=%d", (int)r->log_level);
	snprintf(a->parent, sizeof(a->parent), "--parent=%d", (int)r->parent);
	a->argv[a->n++] = a->log;
	a->argv[a->n++] = a->parent;
	a->argv[a->n] = NULL;
}

/**
 * child_exec() - the child's side of a request; never returns
 * @r:		the validated request
 * @fds:	descriptors by their fixed number, -1 for none
 * @nfds:	length of @fds
 */
static void __attribute__((noreturn))
child_exec(const struct spawn_req *r, const int *fds, int nfds)
{
	char *envp[sizeof(spawn_env_keep) / sizeof(spawn_env_keep[0])];
	struct child_argv a;
	sigset_t all;
	int exe;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) ||
	    getppid() != (pid_t)r->parent)
		_exit(127);
	exe = place_exe();
	if (exe < 0 || place_fds(fds, nfds))
		_exit(127);
	child_args(r, &a);
	child_env(envp);
	fexecve(SECCOMP_EXE_FD, a.argv, envp);
	spawner_say("cannot execute %s: %s", spawn_role_names[r->role],
		    strerror(errno));
	_exit(127);
}

/**
 * take_fds() - collect the descriptors of a received message
 * @mh:		the message
 * @fds:	output, SPAWN_FD_MAX + 1 entries
 *
 * Every descriptor that arrived is stored (so the caller can close them
 * all), even when the message is then refused.
 *
 * Return: the number of descriptors, or -1 if a control message was not
 * SCM_RIGHTS or there were too many
 */
static int take_fds(struct msghdr *mh, int *fds)
{
	struct cmsghdr *c;
	int n = 0, bad = 0;
	size_t i, k;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (n <= SPAWN_FD_MAX) {
				fds[n++] = fd;
			} else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad) {
		ipc_fds_close(fds, (unsigned)n);
		return -1;
	}
	return n;
}

/**
 * recv_req() - wait for one request
 * @r:		filled
 * @fds:	filled with the attached descriptors, in order
 * @nfds:	set to their number
 *
 * Return: 1 for a request of the right size, 0 when the supervisor closed
 * the channel, -1 for anything else (nothing is left open)
 */
static int recv_req(struct spawn_req *r, int *fds, int *nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (SPAWN_FD_MAX + 1))];
	} cm;
	struct iovec iov = { r, sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	do
		n = recvmsg(SPAWNER_CHAN_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	*nfds = take_fds(&mh, fds);
	if (*nfds < 0)
		return -1;
	if ((size_t)n != sizeof(*r) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		ipc_fds_close(fds, (unsigned)*nfds);
		return -1;
	}
	return 1;
}

/**
 * attempt_bad() - check a request's --test-attempt name
 * @r:		the request
 *
 * Only NSPLICE_TESTING builds know attempts; elsewhere the name is empty.
 *
 * Return: NULL if valid, else what is wrong
 */
static const char *attempt_bad(const struct spawn_req *r)
{
	if (!memchr(r->attempt, '\0', sizeof(r->attempt)))
		return "attempt name not terminated";
	if (!r->attempt[0])
		return NULL;
#ifdef NSPLICE_TESTING
	if (r->role == CH_RELAY && sandbox_attempt_known(r->attempt))
		return NULL;
#endif
	return "unknown attempt";
}

/**
 * req_args_bad() - check a request's scalar arguments
 * @r:		the request
 *
 * Return: NULL if valid, else what is wrong
 */
static const char *req_args_bad(const struct spawn_req *r)
{
	if (r->role >= CH_COUNT)
		return "unknown role";
	if ((pid_t)r->parent != getppid())
		return "parent is not the supervisor";
	if (r->log_level < LOG_LVL_ERR || r->log_level > LOG_LVL_TRACE ||
	    r->log_mode > LOG_MODE_SYSLOG)
		return "bad log level or mode";
	if (r->sandbox_log > 1 || r->keep_bind_cap > 1 || r->runas > 1 ||
	    r->pad)
		return "bad flag";
	if (r->keep_bind_cap && r->role == CH_RELAY)
		return "--keep-bind-cap for the relay";
	if (r->runas ? r->role != CH_RELAY || !r->uid || !r->gid :
		       r->uid || r->gid)
		return "bad --runas";
	return attempt_bad(r);
}

/**
 * req_bad() - check a request and its descriptors
 * @r:		the request
 * @nfds:	descriptors attached
 *
 * Descriptors 0 and 1 are never given (a child must not hold a terminal);
 * the log pipe and the supervisor channel always are.
 *
 * Return: NULL if valid, else what is wrong
 */
static const char *req_bad(const struct spawn_req *r, int nfds)
{
	const uint32_t need = 1U << IPC_FD_LOG | 1U << IPC_FD_SUPERVISOR;

	if (r->fd_mask >> (SPAWN_FD_MAX + 1) || (r->fd_mask & 3U) ||
	    (r->fd_mask & need) != need)
		return "bad descriptor mask";
	if (__builtin_popcount(r->fd_mask) != nfds)
		return "descriptors do not match the mask";
	return req_args_bad(r);
}

/**
 * answer() - tell the supervisor what became of its request
 * @pid:	the child's pid, or -1
 * @err:	errno if @pid is -1
 *
 * Return: 0, or -1 if the channel is broken
 */
static int answer(pid_t pid, int err)
{
	struct spawn_ans a = { (int32_t)pid, pid < 0 ? err : 0 };

	if (pid < 0 && (err <= 0 || err > SPAWNER_ERRNO_MAX))
		a.err = EIO;
	return send(SPAWNER_CHAN_FD, &a, sizeof(a), MSG_NOSIGNAL) ==
	       (ssize_t)sizeof(a) ? 0 : -1;
}

/**
 * serve() - start the child of one valid request and answer
 * @r:		the request
 * @got:	its descriptors, in the order of @r->fd_mask
 * @ngot:	how many; all closed here
 *
 * Return: 0, or -1 if the channel is broken
 */
static int serve(const struct spawn_req *r, const int *got, int ngot)
{
	int fds[SPAWN_FD_MAX + 1], nfds = 0, i, k = 0, err;
	pid_t pid;

	for (i = 0; i <= SPAWN_FD_MAX; i++) {
		fds[i] = -1;
		if ((r->fd_mask & (1U << i)) && k < ngot)
			fds[i] = got[k++];
		if (fds[i] >= 0)
			nfds = i + 1;
	}
	pid = (pid_t)syscall(SYS_clone, (unsigned long)SPAWNER_CLONE_FLAGS,
			     NULL, NULL, NULL, 0UL);
	if (pid == 0)
		child_exec(r, fds, nfds);
	err = errno;
	ipc_fds_close(got, (unsigned)ngot);
	return answer(pid, err);
}

/**
 * spawner_loop() - answer requests until the supervisor goes away
 *
 * Return: never; exits 0 on EOF, 1 on a broken or malformed request
 */
static void __attribute__((noreturn)) spawner_loop(void)
{
	int fds[SPAWN_FD_MAX + 1], nfds, ret;
	const char *why;
	struct spawn_req r;

	for (;;) {
		memset(&r, 0, sizeof(r));
		memset(fds, -1, sizeof(fds));
		nfds = 0;
		ret = recv_req(&r, fds, &nfds);
		if (ret == 0)
			_exit(EXIT_SUCCESS);
		if (ret < 0) {
			spawner_say("supervisor: broken request: exiting");
			_exit(EXIT_FAILURE);
		}
		if ((why = req_bad(&r, nfds))) {
			ipc_fds_close(fds, (unsigned)nfds);
			spawner_say("supervisor: protocol violation: %s: "
				    "exiting", why);
			_exit(EXIT_FAILURE);
		}
		if (serve(&r, fds, nfds))
			_exit(EXIT_FAILURE);
	}
}

/**
 * spawner_main() - the spawner process, right after fork(); never returns
 * @chan:	its end of the channel
 * @exe:	nsplice's binary
 * @log_wfd:	write end of the children's log pipe
 * @mode:	enum sandbox_mode
 * @parent:	the supervisor's pid
 */
static void __attribute__((noreturn))
spawner_main(int chan, int exe, int log_wfd, enum sandbox_mode mode,
	     pid_t parent)
{
	const int keep[SPAWNER_EXE_FD + 1] = { -1, -1, log_wfd, chan, exe };
	char err[LOG_LINE_MAX / 2];

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		_exit(EXIT_FAILURE);
	if (place_fds(keep, SPAWNER_EXE_FD + 1))
		_exit(EXIT_FAILURE);
	/* Nothing else: not the terminal, COMMAND's pidfd, the control or
	 * syslog socket, the namespace handles or the children's channels. */
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	closefrom(SPAWNER_EXE_FD + 1);
	if (fcntl(SPAWNER_CHAN_FD, F_SETFD, FD_CLOEXEC) ||
	    fcntl(SPAWNER_EXE_FD, F_SETFD, FD_CLOEXEC))
		_exit(EXIT_FAILURE);
	proctitle_set("nsplice: spawner");
	if (sandbox_spawner_enter(mode, err, sizeof(err))) {
		spawner_say("%s", err);
		_exit(EXIT_FAILURE);
	}
	spawner_loop();
}

/**
 * spawner_start() - fork the spawner
 * @exe_fd:	nsplice's binary; the caller closes its copy afterwards
 * @log_wfd:	write end of the children's log pipe
 * @mode:	enum sandbox_mode of the spawner's filter
 * @chan:	set to the supervisor's end of the channel
 *
 * Must run after COMMAND is forked and before the supervisor's filter
 * (which forbids fork) and before any child.
 *
 * Return: the spawner's pid, or -1 with errno set
 */
pid_t spawner_start(int exe_fd, int log_wfd, enum sandbox_mode mode,
		    int *chan)
{
	pid_t parent = getpid(), pid;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		spawner_main(sp[1], exe_fd, log_wfd, mode, parent);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	*chan = sp[0];
	return pid;
}
