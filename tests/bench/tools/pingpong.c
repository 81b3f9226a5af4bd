// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pingpong.c - request/response latency over one TCP connection
 *
 * DOC: Theory of Operation
 *
 * Usage: pingpong -a ADDR -p PORT [-d SECONDS] [-w WARMUP] [-n MAX]
 *
 * Connects once, sets TCP_NODELAY, then sends one byte and waits for the
 * one-byte answer of benchsrv, over and over, with blocking write() and
 * read(): the shortest possible client path, so that what is measured is
 * the path (loopback, or loopback + forwarder + loopback) and the
 * wake-ups along it.  WARMUP round trips (default 1000) are done first and
 * not counted (they warm caches, the forwarder's pools and the scheduler's
 * view of the tasks).  Then round trips are timed one by one with
 * CLOCK_MONOTONIC for SECONDS (default 2) or MAX round trips (default
 * 5,000,000), whichever comes first.
 *
 * Prints one line: "mean_us=M p50_us=P p99_us=Q min_us=A max_us=B n=N".
 * The mean is what the targets use; p99 shows the tail (a wake-up that
 * missed, a migration).  Percentiles come from sorting all samples.
 * Exit status 1 if the connection fails before any sample was taken.
 */
#define _GNU_SOURCE
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

/**
 * cmp_u64() - qsort() comparison of two uint64_t
 * @a:		first
 * @b:		second
 *
 * Return: <0, 0 or >0
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/**
 * round_trip() - send one byte, wait for one byte back
 * @fd:		connected socket
 *
 * Return: 0 on success, -1 on error or EOF
 */
static int round_trip(int fd)
{
	char c = 'x';
	ssize_t n;

	do
		n = write(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/**
 * main() - connect, warm up, time round trips, print the statistics
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 on success, 1 on failure
 */
int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = NULL;
	double secs = 2, warm = 1000, max = 5000000;
	uint64_t *s, sum = 0, t0, end;
	struct sockaddr_in sin;
	size_t i, n = 0, cap;
	int fd, opt, one = 1;

	while ((opt = getopt(argc, argv, "a:p:d:w:n:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'd': secs = num_arg(opt, optarg); break;
		case 'w': warm = num_arg(opt, optarg); break;
		case 'n': max = num_arg(opt, optarg); break;
		default: die("usage: pingpong -a ADDR -p PORT [-d S] [-w N] [-n N]");
		}
	}
	if (!port || max < 1)
		die("usage: pingpong -a ADDR -p PORT [-d S] [-w N] [-n N]");
	parse_sin(&sin, addr, port);
	cap = (size_t)max;
	s = malloc(cap * sizeof(*s));
	if (!s)
		die("malloc");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect %s:%s", addr, port);
	for (i = 0; i < (size_t)warm; i++)
		if (round_trip(fd))
			die("warm-up round trip %zu", i);
	end = now_ns() + (uint64_t)(secs * 1e9);
	for (t0 = now_ns(); n < cap && t0 < end; n++) {
		uint64_t t1;

		if (round_trip(fd))
			break;
		t1 = now_ns();
		s[n] = t1 - t0;
		sum += s[n];
		t0 = t1;
	}
	close(fd);
	if (!n)
		die("no round trip completed");
	qsort(s, n, sizeof(*s), cmp_u64);
	printf("mean_us=%.3f p50_us=%.3f p99_us=%.3f min_us=%.3f max_us=%.3f "
	       "n=%zu\n", (double)sum / (double)n / 1e3,
	       (double)s[n / 2] / 1e3, (double)s[(n * 99) / 100] / 1e3,
	       (double)s[0] / 1e3, (double)s[n - 1] / 1e3, n);
	free(s);
	return 0;
}
