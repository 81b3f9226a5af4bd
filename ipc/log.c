// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - role-tagged log lines, one write(2) each
 *
 * DOC: Theory of Operation
 *
 * See log.h.  Formatting happens into a stack buffer and the line goes out
 * with a single write() so it is atomic on the supervisor's log pipe.  No
 * allocation, no stdio: the relay may log under its seccomp filter, which
 * allows write() on descriptor 2 and nothing that opens files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int log_level = LOG_LVL_INFO;
static const char *log_role = "nsplice";

/**
 * log_init() - set the role tag and the most verbose level written
 * @role:	role name as shown in brackets, a string constant
 * @level:	enum log_level
 */
void log_init(const char *role, int level)
{
	log_role = role;
	log_level = level;
}

/**
 * log_vwrite() - format and write one line
 * @level:	enum log_level of the line
 * @fmt:	printf format
 * @ap:		arguments
 */
static void __attribute__((format(printf, 2, 0)))
log_vwrite(int level, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "",
					   "" };
	char line[LOG_LINE_MAX];
	int saved = errno;
	int n, m;

	n = snprintf(line, sizeof(line), "[%s] %s", log_role,
		     tag[level < 0 || level > LOG_LVL_TRACE ? 0 : level]);
	if (n < 0)
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}

/**
 * log_msg() - write a line if @level is enabled
 * @level:	enum log_level
 * @fmt:	printf format, without trailing newline
 */
void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/**
 * log_ratelimited() - write at most one line per second for one call site
 * @rl:		state of this call site
 * @level:	enum log_level
 * @fmt:	printf format
 *
 * A peer can make some lines repeat at line rate (refused clients, for
 * example); this keeps them from filling the journal while still saying how
 * many were dropped.
 */
void log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rl->last && now.tv_sec == rl->last) {
		rl->suppressed++;
		return;
	}
	if (rl->suppressed)
		log_msg(level, "(%u similar lines suppressed)", rl->suppressed);
	rl->last = now.tv_sec;
	rl->suppressed = 0;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/**
 * errfmt() - format an error message into a caller's buffer
 * @buf:	buffer
 * @len:	its size
 * @fmt:	printf format
 *
 * Validation code reports errors this way so the caller decides whether
 * the line goes to stderr (usage errors) or to the log.
 *
 * Return: -1, so callers can write `return errfmt(...)`
 */
int errfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * fatal() - log an error and exit with status 1
 * @fmt:	printf format
 *
 * For broken invariants and startup failures only: a per-connection error
 * in the relay is never fatal.
 */
void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	_exit(EXIT_FAILURE);
}
