// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * benchsrv.c - echo server for the latency, connection-rate and idle tests
 *
 * DOC: Theory of Operation
 *
 * Usage: benchsrv -a ADDR -p PORT [-t THREADS]
 *
 * Runs inside the benchmark's namespace.  Every byte read on a connection
 * is written back at once, which serves all three clients:
 *  - pingpong: a 1-byte request gets its 1-byte answer;
 *  - connrate: connect, 1 byte, 1 byte back, the client closes, we close;
 *  - holdconn: one echoed byte proves the forwarder joined both legs, then
 *    the connection stays idle until the client closes it.
 *
 * Each of THREADS threads (default 2, one per core here) owns a listening
 * socket bound with SO_REUSEPORT to the same address, and its own
 * level-triggered epoll instance: no locks, no hand-over between threads,
 * so the server costs the same for the direct path and for every
 * forwarder.  TCP_NODELAY is set on the listener (accepted sockets inherit
 * it), so a 1-byte answer leaves at once.  RLIMIT_NOFILE is raised to the
 * hard limit so that thousands of idle connections can be held.
 *
 * The server runs until killed.  Writes of more than a socket buffer are
 * not expected (clients send one byte at a time); a write that would block
 * is finished with poll(), which keeps the code simple and correct.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

/* EVENTS_MAX - events fetched per epoll_wait() */
#define EVENTS_MAX	128

/* THREADS_MAX - most server threads */
#define THREADS_MAX	16

static struct sockaddr_in srv_addr;

/**
 * listen_sock() - open one SO_REUSEPORT listening socket on srv_addr
 *
 * Return: the socket
 */
static int listen_sock(void)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&srv_addr, sizeof(srv_addr)))
		die("bind");
	if (listen(fd, 4096))
		die("listen");
	return fd;
}

/**
 * write_all() - write a buffer completely to a non-blocking socket
 * @fd:		socket
 * @buf:	data
 * @len:	bytes
 *
 * Return: 0 on success, -1 if the connection failed
 */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, 5000) <= 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * serve() - one server thread: accept and echo until the process dies
 * @arg:	unused
 *
 * Return: never returns
 */
static void *serve(void *arg)
{
	struct epoll_event evs[EVENTS_MAX], ev = { .events = EPOLLIN };
	int lfd = listen_sock(), ep = epoll_create1(EPOLL_CLOEXEC);
	static __thread char buf[65536];

	(void)arg;
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll_ctl");
	for (;;) {
		int i, n = epoll_wait(ep, evs, EVENTS_MAX, -1);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK |
						    SOCK_CLOEXEC)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
						close(c);
				}
				if (errno == EMFILE || errno == ENFILE)
					fprintf(stderr, "benchsrv: accept4: %s\n",
						strerror(errno));
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || write_all(fd, buf, (size_t)r))
				close(fd);	/* also leaves the epoll set */
		}
	}
	return NULL;
}

/**
 * main() - parse options, start the threads, wait forever
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: never returns on success; 1 on a usage or set-up error
 */
int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = NULL;
	pthread_t tid[THREADS_MAX];
	long i, threads = 2;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:t:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 't': threads = (long)num_arg(opt, optarg); break;
		default: die("usage: benchsrv -a ADDR -p PORT [-t THREADS]");
		}
	}
	if (!port || threads < 1 || threads > THREADS_MAX)
		die("usage: benchsrv -a ADDR -p PORT [-t THREADS]");
	parse_sin(&srv_addr, addr, port);
	raise_nofile();
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, serve, NULL))
			die("pthread_create");
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
