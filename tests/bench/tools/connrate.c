// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * connrate.c - connection rate: connect, 1-byte request, 1-byte answer, close
 *
 * DOC: Theory of Operation
 *
 * Usage: connrate -a ADDR -p PORT [-c LOOPS] [-d SECONDS]
 *
 * LOOPS threads (default 1) each repeat, for SECONDS (default 3):
 * socket(), blocking connect(), write one byte, read the one-byte answer
 * of benchsrv, close().  A connection counts when its answer arrived; the
 * rate is completed connections divided by the elapsed time of the whole
 * run.  Through a forwarder, a connection only completes once the
 * forwarder accepted it, obtained (or created) its server-side socket,
 * connected it and moved both bytes, so the rate is that of the whole
 * connection life cycle, including the close that the forwarder must
 * propagate (the client closes first and keeps the TIME_WAIT; loopback
 * reuses TIME_WAIT ports, net.ipv4.tcp_tw_reuse = 2).
 *
 * Failures (refused, reset, EADDRNOTAVAIL...) are counted, not fatal: the
 * thread backs off 1 ms and goes on.  A receive timeout of 5 s bounds a
 * forwarder that stops answering.
 *
 * Prints one line: "rate=R ok=N err=E secs=S".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "benchutil.h"

/* LOOPS_MAX - most client threads */
#define LOOPS_MAX	64

static struct sockaddr_in dst;
static uint64_t t_end;

/**
 * struct loop - one client thread's counters
 * @ok:		connections that completed
 * @err:	connections that failed
 */
struct loop {
	uint64_t ok;
	uint64_t err;
};

/**
 * one_conn() - one complete connection
 *
 * Return: 0 if the answer arrived, -1 otherwise
 */
static int one_conn(void)
{
	struct timeval tv = { .tv_sec = 5 };
	char c = 'x';
	int fd, ret = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&dst, sizeof(dst)) &&
	    write(fd, &c, 1) == 1 && read(fd, &c, 1) == 1)
		ret = 0;
	close(fd);
	return ret;
}

/**
 * run_loop() - thread body: connections until the deadline
 * @arg:	struct loop to fill
 *
 * Return: @arg
 */
static void *run_loop(void *arg)
{
	struct loop *l = arg;

	while (now_ns() < t_end) {
		if (!one_conn()) {
			l->ok++;
		} else {
			l->err++;
			usleep(1000);
		}
	}
	return arg;
}

/**
 * main() - start the loops, wait, print the rate
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 if at least one connection completed, 1 otherwise
 */
int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = NULL;
	static struct loop loops[LOOPS_MAX];
	pthread_t tid[LOOPS_MAX];
	uint64_t ok = 0, err = 0, t0;
	double secs = 3, elapsed;
	long i, n = 1;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:c:d:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'c': n = (long)num_arg(opt, optarg); break;
		case 'd': secs = num_arg(opt, optarg); break;
		default: die("usage: connrate -a ADDR -p PORT [-c N] [-d S]");
		}
	}
	if (!port || n < 1 || n > LOOPS_MAX)
		die("usage: connrate -a ADDR -p PORT [-c N] [-d S]");
	parse_sin(&dst, addr, port);
	t0 = now_ns();
	t_end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, run_loop, &loops[i]))
			die("pthread_create");
	for (i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		ok += loops[i].ok;
		err += loops[i].err;
	}
	elapsed = (double)(now_ns() - t0) / 1e9;
	printf("rate=%.1f ok=%llu err=%llu secs=%.3f\n", (double)ok / elapsed,
	       (unsigned long long)ok, (unsigned long long)err, elapsed);
	return ok ? 0 : 1;
}
