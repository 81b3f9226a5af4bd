// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stream.c - bulk TCP source and sink for the engine benchmark
 *
 * DOC: Theory of Operation
 *
 * Usage: stream -s PORT             (server, in the container)
 *        stream -c ADDR PORT SECONDS (client, on the host)
 *
 * Built with `gcc -static` for the busybox image (there is no iperf3 in
 * it).  The server accepts connections on [::]:PORT (dual stack) and, in
 * one forked child per connection, writes a 256 KiB buffer over and over
 * until the peer goes away.  The client connects to ADDR:PORT (IPv4),
 * reads and discards for SECONDS, and prints "bytes=N secs=S gbps=G":
 * the server-to-client throughput of the path, which through a port
 * forwarder is the forwarder's copy rate.  The first WARMUP_S seconds are
 * read but not counted, so slow start and the forwarder's first
 * allocations do not weigh on a short run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* BUF_BYTES - size of one write or read, bytes */
#define BUF_BYTES	(256 * 1024)

/* WARMUP_S - seconds read at the start and not counted */
#define WARMUP_S	0.5

/* BACKLOG - pending connections of the server */
#define BACKLOG		16

/* PORT_MAX - highest TCP port number */
#define PORT_MAX	65535

/**
 * now_s() - monotonic time
 *
 * Return: seconds since an arbitrary point.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * die() - print a message with errno's text and exit 1
 * @what:	what failed
 */
static void __attribute__((noreturn)) die(const char *what)
{
	perror(what);
	exit(1);
}

/**
 * port_arg() - parse a port number
 * @s:		text
 *
 * Return: the port, exits if @s is not one.
 */
static int port_arg(const char *s)
{
	int p = atoi(s);

	if (p < 1 || p > PORT_MAX) {
		fprintf(stderr, "stream: bad port %s\n", s);
		exit(2);
	}
	return p;
}

/**
 * serve() - write to the connection until it fails, then exit
 * @fd:		accepted connection
 */
static void __attribute__((noreturn)) serve(int fd)
{
	static char buf[BUF_BYTES];

	memset(buf, 'x', sizeof(buf));
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/**
 * server() - accept forever, one child per connection
 * @port:	TCP port on [::]
 *
 * Return: never returns; exits on a socket error.
 */
static int server(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, off = 0, ls, fd;

	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, BACKLOG))
		die("stream: listen");
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		if (fork() == 0)
			serve(fd);
		close(fd);
	}
}

/**
 * client() - read from ADDR:PORT for @secs seconds, print the rate
 * @addr:	IPv4 address
 * @port:	TCP port
 * @secs:	seconds to count, after WARMUP_S
 *
 * Return: 0, or exits 1 if the connection fails or ends early.
 */
static int client(const char *addr, int port, double secs)
{
	static char buf[BUF_BYTES];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	double t0, start, t;
	unsigned long long n = 0;
	ssize_t r;
	int fd;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "stream: bad address %s\n", addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("stream: connect");
	t0 = now_s();
	while (now_s() - t0 < WARMUP_S)
		if (read(fd, buf, sizeof(buf)) <= 0)
			die("stream: read (warm-up)");
	start = now_s();
	do {
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			die("stream: read");
		n += (unsigned long long)r;
		t = now_s() - start;
	} while (t < secs);
	printf("bytes=%llu secs=%.3f gbps=%.3f\n", n, t, (double)n * 8 / t / 1e9);
	return 0;
}

/**
 * main() - dispatch on -s / -c
 * @argc:	argument count
 * @argv:	see the usage above
 *
 * Return: 0 on success, 1 on a socket error, 2 on a usage error.
 */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-s"))
		return server(port_arg(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "-c"))
		return client(argv[2], port_arg(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: stream -s PORT | stream -c ADDR PORT SECONDS\n");
	return 2;
}
