// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * benchsrv.c - echo server for the latency, connection-rate and idle tests
 *
 * DOC: Theory of Operation
 *
 * Usage: benchsrv -a ADDR -p PORT [-t THREADS] [-P]
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
 * -P: every connection starts with a PROXY protocol v2 header (the
 * nsplice-pp forwarder, --proxy-protocol): it is read and dropped before
 * anything is echoed, as a service that accepts the header would, so the
 * clients see the same answers.  The header is taken whole once it is all
 * in (MSG_PEEK first: the signature and length, 16 bytes, then the rest);
 * a connection whose first bytes are not a v2 header is closed.  The
 * epoll data of such a connection carries HDR_PENDING until then.
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

/* PP2_HDR_LEN, PP2_LEN_MAX - v2 header: fixed part, and all of it at most
 * (address block and TLVs), bytes */
#define PP2_HDR_LEN	16
#define PP2_LEN_MAX	(PP2_HDR_LEN + 216)

/* HDR_PENDING - epoll data bit: the connection's header is not read yet */
#define HDR_PENDING	(1ULL << 32)

static const unsigned char pp2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static struct sockaddr_in srv_addr;
static int proxy_hdr;

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
 * read_header() - take a connection's PROXY v2 header once it is all in
 * @fd:		connection
 *
 * Return: 1 when it was read, 0 if more must come, -1 for a connection
 * to close (not a v2 header, or an error)
 */
static int read_header(int fd)
{
	unsigned char h[PP2_LEN_MAX];
	ssize_t n = recv(fd, h, PP2_HDR_LEN, MSG_PEEK);
	size_t len;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0 || memcmp(h, pp2_sig, (size_t)n < sizeof(pp2_sig) ?
			     (size_t)n : sizeof(pp2_sig)))
		return -1;
	if (n < PP2_HDR_LEN)
		return 0;
	len = PP2_HDR_LEN + ((size_t)h[14] << 8 | h[15]);
	if (h[12] != 0x21 || len > sizeof(h))
		return -1;
	n = recv(fd, h, len, MSG_PEEK);
	if (n < (ssize_t)len)
		return n < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0;
	return recv(fd, h, len, 0) == (ssize_t)len ? 1 : -1;
}

/**
 * conn_event() - input on a connection: its header, then echo
 * @ep:		the thread's epoll instance
 * @data:	epoll data: descriptor, HDR_PENDING
 * @buf:	the thread's buffer
 * @len:	its size
 */
static void conn_event(int ep, uint64_t data, char *buf, size_t len)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = (int)(uint32_t)data, h;
	ssize_t r;

	if (data & HDR_PENDING) {
		h = read_header(fd);
		if (h < 0)
			close(fd);
		if (h <= 0)
			return;
		ev.data.u64 = (uint32_t)fd;
		if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev)) {
			close(fd);
			return;
		}
	}
	r = read(fd, buf, len);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0 || write_all(fd, buf, (size_t)r))
		close(fd);	/* also leaves the epoll set */
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
	ev.data.u64 = (uint32_t)lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll_ctl");
	for (;;) {
		int i, n = epoll_wait(ep, evs, EVENTS_MAX, -1);

		for (i = 0; i < n; i++) {
			int c;

			if (evs[i].data.u64 != (uint32_t)lfd) {
				conn_event(ep, evs[i].data.u64, buf,
					   sizeof(buf));
				continue;
			}
			while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
					    SOCK_CLOEXEC)) >= 0) {
				ev.events = EPOLLIN;
				ev.data.u64 = (uint32_t)c |
					      (proxy_hdr ? HDR_PENDING : 0);
				if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
					close(c);
			}
			if (errno == EMFILE || errno == ENFILE)
				fprintf(stderr, "benchsrv: accept4: %s\n",
					strerror(errno));
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

	while ((opt = getopt(argc, argv, "a:p:t:P")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 't': threads = (long)num_arg(opt, optarg); break;
		case 'P': proxy_hdr = 1; break;
		default: die("usage: benchsrv -a ADDR -p PORT [-t THREADS] [-P]");
		}
	}
	if (!port || threads < 1 || threads > THREADS_MAX)
		die("usage: benchsrv -a ADDR -p PORT [-t THREADS] [-P]");
	parse_sin(&srv_addr, addr, port);
	raise_nofile();
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, serve, NULL))
			die("pthread_create");
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
