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
 *
 * Nor with volume: a compromised relay can write(2) gigabytes in one call,
 * and copying them cost the supervisor a CPU and the user's disk.  What
 * the supervisor copies from the log pipe is bounded by a token bucket
 * (struct log_budget, sized by the log level, see ipc/log.c); the excess
 * is read in large chunks and dropped, reading stops for a moment once a
 * flood passes LOG_DISCARD_MAX bytes in LOG_DISCARD_WINDOW_MS (the writer
 * then waits in its own write()), and one line every LOG_DROP_REPORT_SEC
 * says how much was dropped.
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

/* LOG_BUDGET_RATE, LOG_BUDGET_BURST - bytes a second, and at once, that
 * the supervisor copies from its children's log pipe up to -v (info) */
#define LOG_BUDGET_RATE		(32U * 1024)
#define LOG_BUDGET_BURST	(512U * 1024)

/* LOG_BUDGET_RATE_DEBUG, LOG_BUDGET_BURST_DEBUG - the same with -d or
 * --trace, which log every connection */
#define LOG_BUDGET_RATE_DEBUG	(2U * 1024 * 1024)
#define LOG_BUDGET_BURST_DEBUG	(8U * 1024 * 1024)

/* LOG_BUDGET_RESUME - bytes the bucket must hold again before copying
 * resumes after a drop: whole lines, not a byte now and then */
#define LOG_BUDGET_RESUME	(16U * LOG_LINE_MAX)

/* LOG_DISCARD_WINDOW_MS, LOG_DISCARD_MAX - the supervisor reads at most
 * LOG_DISCARD_MAX bytes of its children's log in LOG_DISCARD_WINDOW_MS
 * (32 MiB/s): the most a flood costs it in CPU */
#define LOG_DISCARD_WINDOW_MS	250
#define LOG_DISCARD_MAX		(8U * 1024 * 1024)

/* LOG_DROP_REPORT_SEC - at most one line in this many seconds says how
 * much of the children's log was dropped */
#define LOG_DROP_REPORT_SEC	10

/**
 * struct log_budget - what the supervisor may still copy from a log pipe
 * @credit:	bytes that may go out now, times 1000 (a refill every
 *		millisecond then loses nothing to rounding), at most the burst
 * @refill_at:	clock_ms() of the last refill; 0 before the first read,
 *		when the bucket starts full
 * @window_at:	clock_ms() at which the current discard window started
 * @window_bytes: bytes read in that window
 * @dropping:	over budget: dropping until LOG_BUDGET_RESUME tokens
 * @mid_line:	the last byte dropped was not a newline, so copying resumes
 *		after the next one (no line glued to a stranger's half)
 * @reported:	@reported_at is set
 * @reported_at: clock_ms() of the last drop report
 * @drop_since: clock_ms() of the first drop not reported yet
 * @drop_bytes:	bytes dropped since the last report
 * @drop_lines:	newlines among them
 */
struct log_budget {
	int64_t credit;
	int64_t refill_at;
	int64_t window_at;
	uint64_t window_bytes;
	bool dropping;
	bool mid_line;
	bool reported;
	int64_t reported_at;
	int64_t drop_since;
	uint64_t drop_bytes;
	uint64_t drop_lines;
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
bool log_sink_paused(void);
void log_sink_report(bool force);
size_t log_budget_admit(struct log_budget *b, const char *buf, size_t n,
			int level, int64_t now, size_t *off);
bool log_budget_paused(struct log_budget *b, int64_t now);
bool log_budget_report(struct log_budget *b, int64_t now, bool force,
		       uint64_t *bytes, uint64_t *lines, int64_t *ms);
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
