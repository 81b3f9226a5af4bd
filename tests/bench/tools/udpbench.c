// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpbench.c - UDP echo server and load generator for tests/bench/udp.sh
 *
 * DOC: Theory of Operation
 *
 *   udpbench echo ADDR PORT SECONDS
 *	Echo every datagram to its source, recvmmsg()/sendmmsg() batches,
 *	one thread, until SECONDS passed.
 *   udpbench rate HOST PORT SIZE FLOWS SECONDS WINDOW
 *	FLOWS sockets, each keeping WINDOW datagrams of SIZE bytes in
 *	flight towards HOST:PORT (an echo server behind a forwarder); a
 *	datagram counts when its echo comes back.  Lost datagrams are
 *	replaced after LOSS_MS without an answer, so a drop costs time, not
 *	the run.  Prints "dgrams N per_s R lost L".
 *   udpbench lat HOST PORT COUNT
 *	One socket, COUNT 1-byte request/response round trips, one at a
 *	time.  Prints "p50_us A p99_us B", or exits 1 after LAT_GIVE_UP
 *	losses in a row.
 *
 * Datagrams per second here is echoes received per second: every one went
 * through the forwarder twice (request and reply), as in a DNS or QUIC
 * exchange.  Not a test: nothing it prints makes anything fail.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* BATCH - datagrams per recvmmsg()/sendmmsg() */
#define BATCH		64

/* BUF_SIZE - largest datagram, bytes */
#define BUF_SIZE	65536

/* FLOWS_MAX - most client sockets */
#define FLOWS_MAX	1024

/* LOSS_MS - a datagram without an echo this long is taken as lost */
#define LOSS_MS		200

/* LAT_GIVE_UP - lat stops after this many losses in a row (5 s): a
 * forwarder whose flow broke (Debian 12's pasta, once after a rate run)
 * would otherwise hold the benchmark for COUNT * LOSS_MS, over an hour */
#define LAT_GIVE_UP	25

/* LAT_MAX - most latency samples */
#define LAT_MAX		1000000

/**
 * now_ns() - CLOCK_MONOTONIC in nanoseconds
 *
 * Return: nanoseconds
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/**
 * addr_of() - a sockaddr for a numeric host and port
 * @host:	IPv4 or IPv6 text
 * @port:	port text
 * @ss:		filled
 *
 * Return: its length, exits on a bad address
 */
static socklen_t addr_of(const char *host, const char *port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		return sizeof(*s6);
	}
	fprintf(stderr, "bad address %s\n", host);
	exit(2);
}

/**
 * echo() - echo server
 * @argv:	ADDR PORT SECONDS
 *
 * Return: 0
 */
static int echo(char **argv)
{
	static char buf[BATCH][BUF_SIZE];
	static struct sockaddr_storage names[BATCH];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage ss;
	socklen_t len = addr_of(argv[0], argv[1], &ss);
	uint64_t end = now_ns() + (uint64_t)atoi(argv[2]) * 1000000000ULL;
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0), n, i, one = 1;
	int big = 4 << 20;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		perror("bind");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 200) <= 0)
			continue;
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], BUF_SIZE };
			m[i].msg_hdr = (struct msghdr){ .msg_name = &names[i],
				.msg_namelen = sizeof(names[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		if (n > 0)
			sendmmsg(fd, m, (unsigned)n, MSG_DONTWAIT);
	}
	return 0;
}

/**
 * struct flow - one client socket of a rate run
 * @fd:		connected socket
 * @inflight:	datagrams sent, echo not seen
 * @last:	time of the last echo or send, ns
 */
struct flow {
	int fd;
	unsigned inflight;
	uint64_t last;
};

/**
 * flow_fill() - top a flow up to @window datagrams in flight
 * @f:		flow
 * @buf:	payload
 * @size:	its length
 * @window:	datagrams to keep in flight
 */
static void flow_fill(struct flow *f, const char *buf, size_t size,
		      unsigned window)
{
	while (f->inflight < window && send(f->fd, buf, size, MSG_DONTWAIT) > 0)
		f->inflight++;
	f->last = now_ns();
}

/**
 * rate() - echoes per second through a forwarder
 * @argv:	HOST PORT SIZE FLOWS SECONDS WINDOW
 *
 * Return: 0
 */
static int rate(char **argv)
{
	static struct flow fl[FLOWS_MAX];
	static struct pollfd p[FLOWS_MAX];
	static char buf[BUF_SIZE];
	struct sockaddr_storage ss;
	socklen_t len = addr_of(argv[0], argv[1], &ss);
	size_t size = (size_t)atoi(argv[2]);
	int nf = atoi(argv[3]), i, k;
	uint64_t t0, end, got = 0, lost = 0;
	unsigned window = (unsigned)atoi(argv[5]);

	if (nf < 1 || nf > FLOWS_MAX || size < 1 || size > BUF_SIZE)
		return 2;
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < nf; i++) {
		fl[i].fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (connect(fl[i].fd, (struct sockaddr *)&ss, len))
			return 1;
		p[i] = (struct pollfd){ fl[i].fd, POLLIN, 0 };
		flow_fill(&fl[i], buf, size, window);
	}
	t0 = now_ns();
	end = t0 + (uint64_t)atoi(argv[4]) * 1000000000ULL;
	while (now_ns() < end) {
		poll(p, (nfds_t)nf, 50);
		for (i = 0; i < nf; i++) {
			for (k = 0; k < 64 &&
			     recv(fl[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0;
			     k++) {
				got++;
				if (fl[i].inflight)
					fl[i].inflight--;
			}
			if (now_ns() - fl[i].last > LOSS_MS * 1000000ULL) {
				lost += fl[i].inflight;
				fl[i].inflight = 0;
			}
			if (k || !fl[i].inflight)
				flow_fill(&fl[i], buf, size, window);
		}
	}
	printf("dgrams %llu per_s %.0f lost %llu\n", (unsigned long long)got,
	       (double)got * 1e9 / (double)(now_ns() - t0),
	       (unsigned long long)lost);
	return 0;
}

/**
 * cmp_u64() - qsort() comparator
 * @a:		uint64_t
 * @b:		uint64_t
 *
 * Return: <0, 0, >0
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/**
 * lat() - 1-byte request/response latency
 * @argv:	HOST PORT COUNT
 *
 * Return: 0
 */
static int lat(char **argv)
{
	static uint64_t s[LAT_MAX];
	struct sockaddr_storage ss;
	socklen_t len = addr_of(argv[0], argv[1], &ss);
	int n = atoi(argv[2]), i, fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	int lost = 0, in_row = 0;
	char c = 'x';

	if (n < 1 || n > LAT_MAX ||
	    connect(fd, (struct sockaddr *)&ss, len))
		return 2;
	for (i = 0; i < n; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t t = now_ns();

		send(fd, &c, 1, 0);
		if (poll(&p, 1, LOSS_MS) != 1 || recv(fd, &c, 1, 0) != 1) {
			if (++lost > n || ++in_row >= LAT_GIVE_UP) {
				fprintf(stderr, "lat: no echo after %d tries "
					"in a row (%d lost)\n", in_row, lost);
				return 1;	/* nothing comes back */
			}
			i--;		/* lost: try again */
			continue;
		}
		in_row = 0;
		s[i] = now_ns() - t;
	}
	qsort(s, (size_t)n, sizeof(s[0]), cmp_u64);
	printf("p50_us %.1f p99_us %.1f\n", (double)s[n / 2] / 1000.0,
	       (double)s[n * 99 / 100] / 1000.0);
	return 0;
}

/**
 * main() - dispatch
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: exit status
 */
int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "echo"))
		return echo(argv + 2);
	if (argc == 8 && !strcmp(argv[1], "rate"))
		return rate(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "lat"))
		return lat(argv + 2);
	fprintf(stderr, "usage: udpbench echo ADDR PORT SECONDS | rate HOST "
		"PORT SIZE FLOWS SECONDS WINDOW | lat HOST PORT COUNT\n");
	return 2;
}
