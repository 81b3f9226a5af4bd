/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - role-tagged log lines
 *
 * DOC: Theory of Operation
 *
 * Every process writes whole lines, each with one write(2) of at most
 * LOG_LINE_MAX bytes, to its descriptor 2.  For the supervisor that is the
 * user's stderr; for every child it is the write end of a pipe whose read
 * end the supervisor copies to its stderr.  A line no longer than PIPE_BUF
 * is written atomically, so lines of different children never interleave
 * and no child ever holds a terminal descriptor.  Each line starts with the
 * role in brackets ("[relay]") so a reader knows who said it.
 */
#ifndef NSPLICE_LOG_H
#define NSPLICE_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* LOG_LINE_MAX - bytes in one log line, newline included; <= PIPE_BUF */
#define LOG_LINE_MAX 512

/**
 * enum log_level - severity, lower is more severe
 * @LOG_LVL_ERR:	failure that ends an operation or the process
 * @LOG_LVL_WARN:	something unusual that nsplice worked around
 * @LOG_LVL_INFO:	start-up, shutdown, children starting and ending
 * @LOG_LVL_DEBUG:	per-forward and per-connection events (-d)
 * @LOG_LVL_TRACE:	per-event details (--trace)
 */
enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_TRACE,
};

/**
 * struct log_ratelimit - state for a line that may repeat often
 * @last:	second of the last line written
 * @suppressed:	lines dropped since then
 */
struct log_ratelimit {
	time_t last;
	unsigned suppressed;
};

extern int log_level;

void log_init(const char *role, int level);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
int errfmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define nerr(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define nwarn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define ninfo(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define ndebug(...)						\
	do {							\
		if (log_level >= LOG_LVL_DEBUG)			\
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);	\
	} while (0)
#define ntrace(...)						\
	do {							\
		if (log_level >= LOG_LVL_TRACE)			\
			log_msg(LOG_LVL_TRACE, __VA_ARGS__);	\
	} while (0)

#endif /* NSPLICE_LOG_H */
