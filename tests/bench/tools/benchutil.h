/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * benchutil.h - helpers shared by the benchmark tools
 *
 * DOC: Theory of Operation
 *
 * The benchmark tools are small single-file programs; what they have in
 * common (dying with a message, a monotonic clock in nanoseconds, raising
 * RLIMIT_NOFILE, parsing an IPv4 address and port, option parsing of
 * numbers) lives here as static functions so each tool still compiles
 * alone with "gcc -O2 tool.c".  Nothing here is on a measured path except
 * now_ns(), which is a vDSO clock_gettime() call.
 */
#ifndef NSPBENCH_BENCHUTIL_H
#define NSPBENCH_BENCHUTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/**
 * die() - print a message and errno's text if set, then exit with status 1
 * @fmt:	printf format
 * @...:	arguments
 */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

/**
 * now_ns() - monotonic time
 *
 * Return: CLOCK_MONOTONIC in nanoseconds
 */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/**
 * raise_nofile() - raise the RLIMIT_NOFILE soft limit to the hard limit
 *
 * Return: the soft limit in force afterwards
 */
static inline unsigned long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	return (unsigned long)rl.rlim_cur;
}

/**
 * parse_sin() - fill an IPv4 socket address
 * @sin:	filled
 * @addr:	dotted quad
 * @port:	port number as a string
 */
static inline void parse_sin(struct sockaddr_in *sin, const char *addr,
			     const char *port)
{
	char *end;
	long p;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	errno = 0;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		die("bad IPv4 address '%s'", addr);
	p = strtol(port, &end, 10);
	if (*end || p < 1 || p > 65535)
		die("bad port '%s'", port);
	sin->sin_port = htons((uint16_t)p);
}

/**
 * num_arg() - parse a non-negative number option argument
 * @opt:	option letter, for the error message
 * @s:		argument
 *
 * Return: the value
 */
static inline double num_arg(int opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || v < 0)
		die("-%c: bad number '%s'", opt, s);
	return v;
}

#endif /* NSPBENCH_BENCHUTIL_H */
