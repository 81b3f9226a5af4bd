// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netns_socket.c - LD_PRELOAD helper: socat's forked children connect from
 *		    inside a network namespace
 *
 * DOC: Theory of Operation
 *
 * Usage: NSPBENCH_NETNS=/run/netns/NAME LD_PRELOAD=.../netns_socket.so \
 *        socat TCP-LISTEN:HPORT,bind=127.0.0.1,fork,reuseaddr \
 *              TCP:127.0.0.1:PORT
 *
 * Debian 12's socat (1.7.4) has no netns= option (added in 1.8) and no
 * ACCEPT-FD address, so it cannot listen in one namespace and connect in
 * another by itself.  The usual work-around, EXEC:'ip netns exec NAME
 * socat ...', costs a fork, two execs and a second socat per connection,
 * which would measure "ip" and not socat.  This helper gives socat 1.7.4
 * exactly what socat 1.8's netns= option does: the listening socket is
 * created in the parent, in the host namespace; each child that socat
 * forks for a connection enters the target namespace (one setns()) before
 * it creates its connecting socket.  So socat keeps its real model: one
 * process per connection, bytes copied through user space with read() and
 * write().
 *
 * The constructor opens the namespace file (descriptor kept in the parent,
 * inherited by the children) and records the parent's pid.  socket() in a
 * process whose pid differs (a forked child) enters the namespace once and
 * closes the descriptor; every socket() then goes straight to the system
 * call.  Without NSPBENCH_NETNS the library does nothing.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

static int ns_fd = -1;
static pid_t parent_pid;

/**
 * netns_socket_init() - open the target namespace, remember the parent
 */
static void __attribute__((constructor)) netns_socket_init(void)
{
	const char *path = getenv("NSPBENCH_NETNS");

	if (!path)
		return;
	ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0) {
		perror("netns_socket: open namespace");
		_exit(1);
	}
	parent_pid = getpid();
}

/**
 * socket() - create a socket; in a forked child, inside the namespace
 * @domain:	address family
 * @type:	socket type and flags
 * @protocol:	protocol
 *
 * Return: the new socket, or -1 with errno set
 */
int socket(int domain, int type, int protocol)
{
	if (ns_fd >= 0 && getpid() != parent_pid) {
		if (setns(ns_fd, CLONE_NEWNET)) {
			perror("netns_socket: setns");
			_exit(1);
		}
		close(ns_fd);
		ns_fd = -1;
	}
	return (int)syscall(SYS_socket, domain, type, protocol);
}
