/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unit.h - the pass/fail bookkeeping unit tests share
 *
 * DOC: Theory of Operation
 *
 * Each unit test is one program: it counts passed and failed cases with
 * report() (a case with an area name) or check() (a case alone), prints a
 * line only for a failure, ends with unit_summary() ("N passed, M failed",
 * plus ", K skipped" when unit_skip() was called) and exits non-zero on any
 * failure.  die() is for the test's own set-up failing, which is a failure
 * too.  fd_count() lets a test check that the code under test leaks no
 * descriptor; all_zero() that a refused parse left its output untouched.
 *
 * The code is in unit.c, linked into every unit program (and into the
 * tools that share the sample messages), so the counters exist once per
 * program.  Every line goes out with one vsnprintf() and one write() to
 * unit_out_fd: a test that forks a child into a seccomp filter (test_scan)
 * points it at descriptor 2 there, since stdio's first write calls fstat().
 */
#ifndef NSPLICE_TESTS_UNIT_H
#define NSPLICE_TESTS_UNIT_H

/* What the programs that include this file have always got from it */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* UNIT_LINE_MAX - longest line one report prints, bytes, newline included */
#define UNIT_LINE_MAX	1024

extern unsigned n_pass, n_fail, n_skip;
extern int unit_out_fd;

void unit_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool vreport(bool ok, const char *name, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
bool report(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unit_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int unit_summary(const char *what);
void die(const char *what) __attribute__((noreturn));
int fd_count(void);
bool all_zero(const void *p, size_t len);

#endif /* NSPLICE_TESTS_UNIT_H */
