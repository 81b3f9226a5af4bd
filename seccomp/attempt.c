// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attempt.c - test-only: make the relay try one forbidden operation
 *
 * DOC: Theory of Operation
 *
 * Compiled into NSPLICE_TESTING builds only, which are never installed
 * (CMakeLists.txt refuses).  `nsplice --test-relay-attempt=WHAT` passes
 * WHAT to the relay, which, once its sandbox is complete, its connect
 * rules are in force and it holds a pool socket (so it is serving), tries
 * WHAT once and logs the outcome.  The sandbox tests then expect either
 * the supervisor's "relay ... was killed by seccomp (SIGSYS)" or, for what
 * Landlock decides (a connect to a port no forward targets), the relay's
 * "test attempt WHAT: Permission denied".  Each attempt is what a
 * compromised relay would try first to get out.
 *
 * Syscalls: getsockopt (finding a pool socket), then the attempt itself.
 */
#ifdef NSPLICE_TESTING
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/inany.h"
#include "ipc/log.h"
#include "ipc/msg.h"
#include "ipc/portset.h"
#include "seccomp/sandbox.h"

/* ATTEMPT_FD_SCAN - descriptors searched for a pool socket */
#define ATTEMPT_FD_SCAN		1024

/* ATTEMPT_PAGE - bytes mapped by the PROT_EXEC attempt */
#define ATTEMPT_PAGE		4096

/**
 * struct attempt - one forbidden operation
 * @name:	value of --test-relay-attempt
 * @fn:		tries it on @tcp (an unconnected pool socket) and returns
 *		0 if it succeeded, else the errno it failed with
 */
struct attempt {
	const char *name;
	int (*fn)(int tcp, const uint8_t *allowed);
};

/**
 * result() - errno of a failed call, 0 for success
 * @rc:		return value of the call
 *
 * Return: 0 or errno
 */
static int result(long rc)
{
	return rc < 0 ? errno : 0;
}

/**
 * try_socket() - create a socket of its own (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_socket(int tcp, const uint8_t *allowed)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)tcp;
	(void)allowed;
	if (fd >= 0)
		close(fd);
	return result(fd);
}

/**
 * try_open() - open a file (seccomp; Landlock and the empty root behind)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_open(int tcp, const uint8_t *allowed)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC);

	(void)tcp;
	(void)allowed;
	if (fd >= 0)
		close((int)fd);
	return result(fd);
}

/**
 * try_listen() - turn a pool socket into a listener (seccomp)
 * @tcp:	pool socket
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_listen(int tcp, const uint8_t *allowed)
{
	(void)allowed;
	return result(listen(tcp, 1));
}

/**
 * try_bind() - bind a pool socket (seccomp; Landlock behind)
 * @tcp:	pool socket
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_bind(int tcp, const uint8_t *allowed)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	(void)allowed;
	return result(bind(tcp, (struct sockaddr *)&sa, sizeof(sa)));
}

/**
 * try_sendmsg_fd() - pass a socket out to the supervisor (seccomp)
 * @tcp:	pool socket, the descriptor sent
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_sendmsg_fd(int tcp, const uint8_t *allowed)
{
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	(void)allowed;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tcp, sizeof(int));
	return result(sendmsg(IPC_FD_SUPERVISOR, &mh, MSG_NOSIGNAL));
}

/**
 * try_connect_other() - connect a pool socket to a port no forward
 *			 targets (Landlock: EACCES)
 * @tcp:	pool socket
 * @allowed:	bitmap of the target ports
 *
 * Return: 0 or errno
 */
static int try_connect_other(int tcp, const uint8_t *allowed)
{
	union sockaddr_inany sa;
	union inany lo;
	socklen_t len = sizeof(int);
	uint16_t port = 1;
	int af = AF_INET;

	getsockopt(tcp, SOL_SOCKET, SO_DOMAIN, &af, &len);
	while (portset_has(allowed, port))
		port++;
	inany_loopback(af, &lo);
	len = sockaddr_from_inany(&sa, af, &lo, port, 0);
	ninfo("test attempt: connect to loopback port %u", port);
	return result(connect(tcp, &sa.sa, len));
}

/**
 * try_exec() - execute a program (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_exec(int tcp, const uint8_t *allowed)
{
	static char *const argv[] = { NULL };

	(void)tcp;
	(void)allowed;
	return result(syscall(SYS_execve, "/bin/sh", argv, argv));
}

/**
 * try_fork() - start a process (seccomp; RLIMIT_NPROC behind)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_fork(int tcp, const uint8_t *allowed)
{
	pid_t pid = fork();

	(void)tcp;
	(void)allowed;
	if (pid == 0)
		_exit(0);
	return result(pid);
}

/**
 * try_kill() - signal another process (seccomp; Landlock scope behind)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_kill(int tcp, const uint8_t *allowed)
{
	(void)tcp;
	(void)allowed;
	return result(kill(1, 0));
}

/**
 * try_ptrace() - attach to another process (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_ptrace(int tcp, const uint8_t *allowed)
{
	(void)tcp;
	(void)allowed;
	return result(syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0));
}

/**
 * try_unshare() - make a namespace (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_unshare(int tcp, const uint8_t *allowed)
{
	(void)tcp;
	(void)allowed;
	return result(unshare(CLONE_NEWNET));
}

/**
 * try_mount() - mount a file system (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_mount(int tcp, const uint8_t *allowed)
{
	(void)tcp;
	(void)allowed;
	return result(mount("none", "/", "tmpfs", 0, NULL));
}

/**
 * try_mmap_exec() - map executable memory (seccomp: no PROT_EXEC)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_mmap_exec(int tcp, const uint8_t *allowed)
{
	void *p = mmap(NULL, ATTEMPT_PAGE, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)tcp;
	(void)allowed;
	if (p == MAP_FAILED)
		return errno;
	munmap(p, ATTEMPT_PAGE);
	return 0;
}

/**
 * try_tiocsti() - push a keystroke into a terminal (seccomp: no ioctl)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_tiocsti(int tcp, const uint8_t *allowed)
{
	char c = '#';

	(void)tcp;
	(void)allowed;
	return result(ioctl(IPC_FD_LOG, TIOCSTI, &c));
}

/**
 * try_ulp() - attach an upper-layer protocol to a socket (seccomp)
 * @tcp:	pool socket
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_ulp(int tcp, const uint8_t *allowed)
{
	(void)allowed;
	return result(setsockopt(tcp, IPPROTO_TCP, TCP_ULP, "tls", 3));
}

/**
 * try_write_channel() - write() to a channel instead of the log (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_write_channel(int tcp, const uint8_t *allowed)
{
	(void)tcp;
	(void)allowed;
	return result(write(IPC_FD_SUPERVISOR, "", 1));
}

/**
 * try_pool_overask() - ask agent[host] for more sockets than a request may
 *			carry (the agent's cap, not the sandbox, stops it)
 * @tcp:	unused
 * @allowed:	unused
 *
 * A compromised relay could try to make an agent create sockets without
 * bound.  The request is built by hand, since ipc_send() refuses it; the
 * agent must treat it as a protocol violation and stop, and the supervisor
 * then stops nsplice.
 *
 * Return: 0 if the request was sent, else errno
 */
static int try_pool_overask(int tcp, const uint8_t *allowed)
{
	struct {
		struct ipc_hdr h;
		struct msg_pool_req r;
	} m = { { MSG_POOL_REQ, sizeof(struct msg_pool_req) },
		{ AF_INET, POOL_REQ_MAX + 1 } };

	(void)tcp;
	(void)allowed;
	return result(send(IPC_FD_AGENT_HOST, &m, sizeof(m), MSG_NOSIGNAL));
}

/**
 * try_io_uring() - set up an io_uring, a way around seccomp (seccomp)
 * @tcp:	unused
 * @allowed:	unused
 *
 * Return: 0 or errno
 */
static int try_io_uring(int tcp, const uint8_t *allowed)
{
	struct io_uring_params p;
	long fd;

	(void)tcp;
	(void)allowed;
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd >= 0)
		close((int)fd);
	return result(fd);
}

/**
 * try_log_escape() - send terminal escape sequences through the log
 * @tcp:	unused
 * @allowed:	unused
 *
 * Allowed (it is a write to descriptor 2); the supervisor must defang it
 * before it reaches a terminal.
 *
 * Return: 0 or errno
 */
static int try_log_escape(int tcp, const uint8_t *allowed)
{
	static const char esc[] = "[relay] escape: \033]0;owned\007\033[2J\n";

	(void)tcp;
	(void)allowed;
	return result(write(IPC_FD_LOG, esc, sizeof(esc) - 1));
}

static const struct attempt attempts[] = {
	{ "socket", try_socket },
	{ "open", try_open },
	{ "listen", try_listen },
	{ "bind", try_bind },
	{ "sendmsg-fd", try_sendmsg_fd },
	{ "connect-other-port", try_connect_other },
	{ "exec", try_exec },
	{ "fork", try_fork },
	{ "kill", try_kill },
	{ "ptrace", try_ptrace },
	{ "unshare", try_unshare },
	{ "mount", try_mount },
	{ "mmap-exec", try_mmap_exec },
	{ "ioctl-tiocsti", try_tiocsti },
	{ "setsockopt-ulp", try_ulp },
	{ "write-channel", try_write_channel },
	{ "io-uring", try_io_uring },
	{ "pool-overask", try_pool_overask },
	{ "log-escape", try_log_escape },
};

/**
 * find() - look an attempt up by name
 * @what:	name
 *
 * Return: the entry, or NULL
 */
static const struct attempt *find(const char *what)
{
	size_t i;

	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
		if (!strcmp(attempts[i].name, what))
			return &attempts[i];
	return NULL;
}

/**
 * sandbox_attempt_known() - is @what a valid --test-relay-attempt value
 * @what:	name
 *
 * Return: true if known
 */
bool sandbox_attempt_known(const char *what)
{
	return find(what) != NULL;
}

/**
 * pool_socket() - an unconnected TCP socket the relay holds
 *
 * Return: descriptor, or -1 if none has arrived yet
 */
static int pool_socket(void)
{
	int fd, v;
	socklen_t len;

	for (fd = IPC_FD_AGENT_TARGET + 1; fd < ATTEMPT_FD_SCAN; fd++) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) ||
		    v != IPPROTO_TCP)
			continue;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) && !v)
			return fd;
	}
	return -1;
}

/**
 * sandbox_attempt_run() - try @what once a pool socket is there
 * @what:	name of the attempt
 * @allowed:	bitmap of the target ports
 *
 * Return: true once the attempt was made (it may have killed us instead)
 */
bool sandbox_attempt_run(const char *what, const uint8_t *allowed)
{
	const struct attempt *a = find(what);
	int tcp = pool_socket(), rc;

	if (!a || tcp < 0)
		return false;
	ninfo("test attempt %s: trying, with pool socket %d", what, tcp);
	rc = a->fn(tcp, allowed);
	ninfo("test attempt %s: %s", what, rc ? strerror(rc) : "succeeded");
	return true;
}
#endif /* NSPLICE_TESTING */
