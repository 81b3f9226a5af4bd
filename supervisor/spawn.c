// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spawn.c - start a child role: ask the spawner to exec nsplice itself
 *
 * DOC: Theory of Operation
 *
 * A child must not inherit the supervisor's memory (configuration, other
 * children's channels, namespace handles it does not need), so it is a
 * fresh execution of nsplice's binary.  The supervisor itself can no
 * longer exec (its seccomp filter has no execve, execveat or clone, and it
 * closed the binary): the spawner (spawner.c) does it on request.
 * spawn_role() is the supervisor's stub: it turns the configuration into
 * one fixed-size struct spawn_req (role, log level and mode, sandbox mode,
 * --runas uid:gid for the relay of a root nsplice, --keep-bind-cap, the
 * NSPLICE_TESTING attempt name, its own pid), attaches the child's
 * descriptors and waits, at most SPAWN_ANSWER_MS, for the pid.
 *
 * The child is created by the spawner with CLONE_PARENT, so it is the
 * supervisor's own child, reaped and signalled as before.  The answer
 * arrives before the loop can reap anything (SIGCHLD is read from the
 * signalfd only there), so a child that dies at once is still known by
 * its pid when its end is collected.
 *
 * A spawner that does not answer, or answers nonsense, is killed: its end
 * (SIGCHLD) stops nsplice (supervisor.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ipc/log.h"
#include "supervisor/spawner.h"
#include "supervisor/supervisor.h"

/**
 * req_fill() - the request for one child
 * @s:		supervisor state
 * @id:		which role
 * @fds:	descriptors for the fixed numbers, -1 for none
 * @nfds:	length of @fds
 * @r:		filled
 *
 * Return: 0, or -1 (EINVAL) if an argument does not fit the request
 */
static int req_fill(const struct supervisor *s, enum sup_child_id id,
		    const int *fds, int nfds, struct spawn_req *r)
{
	const struct nsp_config *cfg = s->cfg;
	int i;

	memset(r, 0, sizeof(*r));
	r->role = (uint32_t)id;
	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			r->fd_mask |= 1U << i;
	r->parent = (int32_t)getpid();
	r->log_level = cfg->log_level;
	r->log_mode = (uint32_t)log_get_mode();
	r->sandbox_log = cfg->sandbox == SANDBOX_LOG;
	if (id == CH_RELAY && geteuid() == 0 && cfg->runas_name &&
	    !s->relay_keeps_uid) {
		r->runas = 1;
		r->uid = (uint32_t)cfg->runas_uid;
		r->gid = (uint32_t)cfg->runas_gid;
	}
	if (id != CH_RELAY)
		r->keep_bind_cap = config_side_needs_low_ports(cfg, (int)id);
	if (id == CH_RELAY && cfg->test_attempt &&
	    strlcpy(r->attempt, cfg->test_attempt, sizeof(r->attempt)) >=
	    sizeof(r->attempt)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/**
 * req_send() - send a request with its descriptors attached
 * @fd:		channel to the spawner
 * @r:		the request
 * @fds:	descriptors for the fixed numbers, -1 for none
 * @nfds:	length of @fds
 *
 * A request without descriptors goes without a control message (an empty
 * SCM_RIGHTS header says nothing).  CMSG_FIRSTHDR() is NULL for a control
 * buffer shorter than one header; this one never is, but the check keeps
 * that true by construction rather than by arithmetic a reader (or the
 * compiler) has to redo.
 *
 * Return: 0 or -1 (errno set)
 */
static int req_send(int fd, struct spawn_req *r, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (SPAWN_FD_MAX + 1))];
	} cm;
	struct iovec iov = { r, sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int att[SPAWN_FD_MAX + 1] = { 0 }, n = 0, i;
	struct cmsghdr *c;

	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			att[n++] = fds[i];
	if (n > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		if (!c) {
			errno = EINVAL;
			return -1;
		}
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), att, sizeof(int) * (size_t)n);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*r) ? 0 : -1;
}

/**
 * ans_recv() - wait for the spawner's answer
 * @fd:		channel to the spawner
 * @a:		filled
 *
 * Return: 0 for an answer of the right size and shape, -1 otherwise
 */
static int ans_recv(int fd, struct spawn_ans *a)
{
	struct pollfd p = { fd, POLLIN, 0 };
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int ret;

	do
		ret = poll(&p, 1, SPAWN_ANSWER_MS);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0 || recvmsg(fd, &mh, MSG_DONTWAIT) != (ssize_t)sizeof(*a) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	if (a->pid > 0 && a->err == 0)
		return 0;
	return a->pid == -1 && a->err > 0 ? 0 : -1;
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
	struct spawn_req r;
	struct spawn_ans a;

	if (nfds > SPAWN_FD_MAX + 1 || req_fill(s, id, fds, nfds, &r)) {
		errno = EINVAL;
		return -1;
	}
	if (s->spawner_fd < 0) {
		errno = EPIPE;
		return -1;
	}
	if (req_send(s->spawner_fd, &r, fds, nfds) ||
	    ans_recv(s->spawner_fd, &a)) {
		nerr("spawner (pid %d) does not answer: killing it",
		     (int)s->spawner_pid);
		if (s->spawner_pid > 0)
			kill(s->spawner_pid, SIGKILL);
		errno = EPIPE;
		return -1;
	}
	if (a.pid > 0)
		return (pid_t)a.pid;
	errno = a.err;
	return -1;
}
