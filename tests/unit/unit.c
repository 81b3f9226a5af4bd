// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unit.c - the pass/fail bookkeeping unit tests share
 *
 * DOC: Theory of Operation
 *
 * One copy of the counters and of the functions that move them, linked
 * into every unit program (see unit.h for the contract).  A failure line
 * is "FAIL AREA: what" or, from check(), "FAIL: what"; the last line is
 * "N passed, M failed" and the program's exit status is unit_summary()'s
 * return value.  Output is written with write(), never buffered, so the
 * lines of a forked child and of its parent cannot be duplicated by a
 * stdio buffer copied at fork(); stdout is flushed first so the lines keep
 * their order with a test's own printf() output.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

unsigned n_pass, n_fail, n_skip;
int unit_out_fd = STDOUT_FILENO;

/**
 * unit_out() - write one formatted line to unit_out_fd
 * @fmt:	printf format, newline included
 *
 * A line longer than UNIT_LINE_MAX is cut.
 */
void unit_out(const char *fmt, ...)
{
	char line[UNIT_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (unit_out_fd == STDOUT_FILENO)
		fflush(stdout);
	if (write(unit_out_fd, line, (size_t)n) < 0) {
		/* Nowhere left to say it */
	}
}

/**
 * vreport() - count one case and print a line if it failed
 * @ok:		case passed
 * @name:	area or message type, NULL for none
 * @fmt:	printf format describing the case and what went wrong
 * @ap:		its arguments
 *
 * Return: @ok, so a caller can stop checking a case at its first failure
 */
bool vreport(bool ok, const char *name, const char *fmt, va_list ap)
{
	char what[UNIT_LINE_MAX];

	if (ok) {
		n_pass++;
		return true;
	}
	n_fail++;
	vsnprintf(what, sizeof(what), fmt, ap);
	if (name)
		unit_out("FAIL %s: %s\n", name, what);
	else
		unit_out("FAIL: %s\n", what);
	return false;
}

/**
 * report() - count one case of an area and print a line if it failed
 * @ok:		case passed
 * @name:	area or message type
 * @fmt:	printf format describing the case and what went wrong
 *
 * Return: @ok
 */
bool report(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ok = vreport(ok, name, fmt, ap);
	va_end(ap);
	return ok;
}

/**
 * check() - count one case and print a line if it failed
 * @ok:		case passed
 * @fmt:	printf format describing the case
 *
 * Return: @ok
 */
bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ok = vreport(ok, NULL, fmt, ap);
	va_end(ap);
	return ok;
}

/**
 * unit_skip() - count a case that could not run here, and say why
 * @fmt:	printf format naming the case and the reason
 */
void unit_skip(const char *fmt, ...)
{
	char what[UNIT_LINE_MAX];
	va_list ap;

	n_skip++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	unit_out("skip %s\n", what);
}

/**
 * unit_summary() - print the totals line
 * @what:	prefix naming a part of the test ("end to end"), or NULL
 *
 * Return: exit status: 0 if nothing failed, 1 otherwise
 */
int unit_summary(const char *what)
{
	char skips[UNIT_LINE_MAX] = "";

	if (n_skip)
		snprintf(skips, sizeof(skips), ", %u skipped", n_skip);
	unit_out("%s%s%u passed, %u failed%s\n", what ? what : "",
		 what ? ": " : "", n_pass, n_fail, skips);
	return n_fail ? 1 : 0;
}

/**
 * die() - stop on a failure of the test's own set-up
 * @what:	what failed, errno says why
 *
 * _exit(), not exit(): a forked child must not run its parent's atexit
 * handlers; output is unbuffered anyway.
 */
void die(const char *what)
{
	unit_out("FAIL setup: %s: %s\n", what, strerror(errno));
	n_fail++;
	unit_summary(NULL);
	_exit(1);
}

/**
 * fd_count() - count this process's open descriptors
 *
 * Return: entries of /proc/self/fd, not counting the one used to read it
 */
int fd_count(void)
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

/**
 * all_zero() - tell whether a buffer is all zero bytes
 * @p:		buffer
 * @len:	its size
 *
 * Return: true if every byte is zero
 */
bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}
