/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unit.h - the pass/fail bookkeeping unit tests share
 *
 * DOC: Theory of Operation
 *
 * Each unit test is one program: it counts passed and failed cases with
 * report(), prints a line only for a failure, ends with "N passed, M
 * failed" and exits non-zero on any failure.  die() is for the test's own
 * set-up failing, which is a failure too.  fd_count() lets a test check
 * that the code under test leaks no descriptor.  Included once per test
 * program, so the functions are static.
 */
#ifndef NSPLICE_TESTS_UNIT_H
#define NSPLICE_TESTS_UNIT_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned n_pass, n_fail;

/**
 * report() - count one case and print a line if it failed
 * @ok:		case passed
 * @name:	area or message type
 * @fmt:	printf format describing the case and what went wrong
 */
static void __attribute__((format(printf, 3, 4)))
report(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		n_pass++;
		return;
	}
	n_fail++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/**
 * die() - stop on a failure of the test's own set-up
 * @what:	what failed, errno says why
 */
static void __attribute__((noreturn)) die(const char *what)
{
	printf("FAIL setup: %s: %s\n", what, strerror(errno));
	printf("%u passed, %u failed\n", n_pass, n_fail + 1);
	exit(1);
}

/**
 * fd_count() - count this process's open descriptors
 *
 * Return: entries of /proc/self/fd, not counting the one used to read it
 */
static int fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dir)
		die("opendir /proc/self/fd");
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n - 1;
}

#endif /* NSPLICE_TESTS_UNIT_H */
