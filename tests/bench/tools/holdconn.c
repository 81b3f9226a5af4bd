// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * holdconn.c - open N connections through a forwarder and hold them idle
 *
 * DOC: Theory of Operation
 *
 * Usage: holdconn -a ADDR -p PORT -n N [-b BATCH] [-t SECONDS] [-H SECONDS]
 *
 * Connections are opened in batches of BATCH (default 100): BATCH
 * blocking connect()s, then one byte written on each, then the one-byte
 * answers of benchsrv awaited on all of them.  A connect() completes as
 * soon as the kernel queued it in the forwarder's accept backlog, so only
 * the echoed byte proves that the forwarder accepted the connection and
 * joined it to a server-side connection: only then is it counted as held.
 * The first batch with a connection that fails, or that does not get all
 * its answers within 5 s, ends the opening phase (the forwarder reached a
 * limit: descriptors, flow slots, processes); connections that were not
 * confirmed are closed.
 * The opening phase is also bounded by SECONDS (default 120).
 *
 * Then the tool prints "held=H wanted=N secs=S" on stdout, flushes, and
 * keeps every held connection open and idle until SIGTERM or SIGINT, or
 * for HOLD seconds (default 300) as a safety bound.  The benchmark samples
 * the forwarder's descriptors and memory meanwhile.  RLIMIT_NOFILE is
 * raised to the hard limit first.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "benchutil.h"

/**
 * open_conn() - one blocking connection with 5 s send/receive timeouts
 * @dst:	destination
 *
 * Return: the socket, or -1
 */
static int open_conn(const struct sockaddr_in *dst)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (const struct sockaddr *)dst, sizeof(*dst))) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * open_batch() - open and confirm up to @n connections
 * @dst:	destination
 * @fds:	filled with @n sockets, -1 for failed ones
 * @n:		batch size
 *
 * The answers are awaited together with poll(), 5 s for the whole batch,
 * so a forwarder that stopped accepting costs 5 s, not 5 s per socket.
 *
 * Return: number of confirmed connections; failed ones are closed
 */
static size_t open_batch(const struct sockaddr_in *dst, int *fds, size_t n)
{
	uint64_t deadline = now_ns() + 5000000000ULL;
	struct pollfd *p = calloc(n, sizeof(*p));
	size_t i, ok = 0, waiting = 0;
	char c = 'h';

	if (!p)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = open_conn(dst);
		if (fds[i] >= 0 && write(fds[i], &c, 1) != 1) {
			close(fds[i]);
			fds[i] = -1;
		}
		p[i].fd = fds[i];	/* poll() ignores negative ones */
		p[i].events = POLLIN;
		waiting += fds[i] >= 0;
	}
	while (waiting) {
		int64_t left = (int64_t)(deadline - now_ns());
		int r;

		if (left <= 0)
			break;
		r = poll(p, n, (int)(left / 1000000) + 1);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (read(p[i].fd, &c, 1) == 1) {
				ok++;
			} else {
				close(fds[i]);
				fds[i] = -1;
			}
			p[i].fd = -1;
			waiting--;
		}
	}
	for (i = 0; i < n; i++)		/* no answer in time */
		if (p[i].fd >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	free(p);
	return ok;
}

/**
 * main() - open, report, hold until told to stop
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 if every wanted connection was held, 2 if fewer, 1 on error
 */
int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = NULL;
	double want = 0, batch = 100, secs = 120, hold = 300;
	size_t i, held = 0, n;
	struct sockaddr_in dst;
	uint64_t t0, deadline;
	int opt, sig, *fds;
	sigset_t ss;

	while ((opt = getopt(argc, argv, "a:p:n:b:t:H:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'n': want = num_arg(opt, optarg); break;
		case 'b': batch = num_arg(opt, optarg); break;
		case 't': secs = num_arg(opt, optarg); break;
		case 'H': hold = num_arg(opt, optarg); break;
		default: die("usage: holdconn -a ADDR -p PORT -n N [-b B] [-t S] [-H S]");
		}
	}
	if (!port || want < 1 || batch < 1)
		die("usage: holdconn -a ADDR -p PORT -n N [-b B] [-t S] [-H S]");
	parse_sin(&dst, addr, port);
	if (raise_nofile() < (unsigned long)want + 16)
		fprintf(stderr, "holdconn: RLIMIT_NOFILE too low for %.0f\n",
			want);
	n = (size_t)want;
	fds = malloc(n * sizeof(*fds));
	if (!fds)
		die("malloc");
	t0 = now_ns();
	deadline = t0 + (uint64_t)(secs * 1e9);
	while (held < n && now_ns() < deadline) {
		size_t b = n - held < (size_t)batch ? n - held : (size_t)batch;
		size_t got = open_batch(&dst, fds + held, b), j, k = held;

		for (j = 0; j < b; j++)		/* compact confirmed ones */
			if (fds[held + j] >= 0)
				fds[k++] = fds[held + j];
		held = k;
		if (got < b)
			break;
	}
	/* From here on, signals are taken with sigtimedwait() */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	printf("held=%zu wanted=%zu secs=%.3f\n", held, n,
	       (double)(now_ns() - t0) / 1e9);
	fflush(stdout);

	{
		struct timespec ts = { .tv_sec = (time_t)hold };

		sig = sigtimedwait(&ss, NULL, &ts);
		(void)sig;
	}
	for (i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	return held == n ? 0 : 2;
}
