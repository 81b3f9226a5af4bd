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
 *
 * Output modes (enum log_mode), chosen once by the supervisor and handed
 * to every child as a role argument (children get an emptied environment):
 *
 * - plain: the lines as above, for a terminal or a file;
 * - journal: stderr is systemd's journal stream (JOURNAL_STREAM names
 *   stderr's device and inode), so every line starts with the sd-daemon
 *   prefix "<N>", N the syslog priority of its level, and the journal
 *   files it at that priority;
 * - syslog (--syslog): the supervisor sends its lines, and its children's,
 *   as datagrams to /dev/log.  Children still only write to their pipe,
 *   prefixed as in journal mode; the supervisor splits what it reads into
 *   lines and sends each with the priority of its prefix.
 *
 * A child is not trusted with priorities: the supervisor takes at most
 * LOG_ERR from a child's prefix (no child may page someone with
 * "<0>" emergencies) and gives an unprefixed child line LOG_WARNING.
 */
#ifndef NSPLICE_LOG_H
#define NSPLICE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* LOG_LINE_MAX - bytes in one log line, newline included; <= PIPE_BUF */
#define LOG_LINE_MAX 512

/**
 * enum log_level - severity, lower is more severe
 * @LOG_LVL_ERR:	failure that ends an operation or the process
 * @LOG_LVL_WARN:	something unusual that nsplice worked around
 * @LOG_LVL_NOTICE:	what a user must see by default: what is forwarded
 *			where, ready, a forward added or removed, a
 *			connection its target refused, a child restarted
 * @LOG_LVL_INFO:	internal detail of start-up and shutdown (-v)
 * @LOG_LVL_DEBUG:	per-forward and per-connection events (-d)
 * @LOG_LVL_TRACE:	per-event details (--trace)
 */
enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_TRACE,
};

/**
 * enum log_mode - where and how lines go out, see the DOC comment
 * @LOG_MODE_PLAIN:	"[role] text" lines to stderr
 * @LOG_MODE_JOURNAL:	"<N>[role] text" lines to stderr
 * @LOG_MODE_SYSLOG:	supervisor: datagrams to /dev/log; children: as
 *			journal
 */
enum log_mode {
	LOG_MODE_PLAIN = 0,
	LOG_MODE_JOURNAL,
	LOG_MODE_SYSLOG,
};

/* LOG_CONDITION_SEC - a lasting condition (limit reached, budget spent)
 * is logged at most once in this many seconds, see log_due() */
#define LOG_CONDITION_SEC	60

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
bool log_due(struct log_ratelimit *rl, int level, unsigned period);
void log_set_mode(enum log_mode mode);
void log_set_no_block(bool on);
enum log_mode log_get_mode(void);
enum log_mode log_mode_detect(bool want_syslog);
const char *log_mode_name(enum log_mode mode);
int log_mode_parse(const char *name);
int log_syslog_open(char *err, size_t errlen);
void log_start_error(const char *msg);
void log_sink_child(const char *buf, size_t n);
void log_sink_flush(void);
void log_set_error_hook(void (*hook)(const char *line));
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
#define nnotice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
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
