// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_log_budget.c - unit tests of the children's log budget
 *
 * DOC: Theory of Operation
 *
 * The supervisor copies at most a token bucket's worth of its children's
 * log pipe (struct log_budget, ipc/log.c) so a compromised relay that
 * writes gigabytes cannot spend the supervisor's CPU or the user's disk.
 * The bucket takes the clock as an argument, so these cases drive it
 * with made-up times: what fits goes out, the rest is dropped at a line
 * end and counted; copying resumes after a refill at the next line start;
 * a flood pauses reading for the rest of its window; the drop report
 * comes at once, then at most once per interval; -d gets the bigger
 * bucket.  audit.f11_log_flood runs the attack itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/clock.h"
#include "ipc/log.h"
#include "unit.h"

/* T0 - a clock_ms() reading to start from (0 means "never refilled") */
#define T0		1000000

/* LINE - bytes of one test line, newline included */
#define LINE		128

/**
 * lines() - a buffer of whole lines, "x...x\n"
 * @n:		bytes, a multiple of LINE
 *
 * Return: the buffer, malloc()ed; the test ends on failure
 */
static char *lines(size_t n)
{
	char *b = malloc(n);
	size_t i;

	if (!b)
		die("malloc");
	memset(b, 'x', n);
	for (i = LINE - 1; i < n; i += LINE)
		b[i] = '\n';
	return b;
}

/**
 * check_burst() - the burst goes out whole, the rest is cut at a line end
 */
static void check_burst(void)
{
	struct log_budget b = { 0 };
	size_t n = LOG_BUDGET_BURST + 10 * LINE, off, len;
	char *buf = lines(n);

	len = log_budget_admit(&b, buf, LOG_BUDGET_BURST / 2, LOG_LVL_NOTICE,
			       T0, &off);
	report(off == 0 && len == LOG_BUDGET_BURST / 2 && !b.dropping,
	       "burst", "half the burst: off %zu len %zu", off, len);
	len = log_budget_admit(&b, buf, n, LOG_LVL_NOTICE, T0, &off);
	report(off == 0 && len == LOG_BUDGET_BURST / 2 && b.dropping,
	       "burst", "over it: off %zu len %zu", off, len);
	report(b.drop_bytes == n - len && b.drop_lines == (n - len) / LINE,
	       "burst", "counted %llu bytes %llu lines",
	       (unsigned long long)b.drop_bytes,
	       (unsigned long long)b.drop_lines);
	free(buf);
}

/**
 * check_cut() - a line that does not fit whole is not let out in part
 */
static void check_cut(void)
{
	struct log_budget b = { 0 };
	char *buf = lines(LOG_BUDGET_BURST + LINE);
	size_t off, len;

	/* LINE / 2 bytes short of the burst: the last line cannot fit */
	len = log_budget_admit(&b, buf, LINE / 2, LOG_LVL_NOTICE, T0, &off);
	len = log_budget_admit(&b, buf, LOG_BUDGET_BURST, LOG_LVL_NOTICE, T0,
			       &off);
	report(len == LOG_BUDGET_BURST - LINE && buf[len - 1] == '\n' &&
	       b.dropping, "cut", "len %zu", len);
	free(buf);
}

/**
 * check_resume() - dropping lasts until LOG_BUDGET_RESUME is earned, and
 * copying resumes at the start of a line
 */
static void check_resume(void)
{
	struct log_budget b = { 0 };
	char *buf = lines(LOG_BUDGET_BURST + LINE);
	const int64_t resume_ms = (int64_t)LOG_BUDGET_RESUME * CLOCK_MS_PER_S /
				  LOG_BUDGET_RATE + 1;
	size_t off, len;

	log_budget_admit(&b, buf, LOG_BUDGET_BURST + LINE, LOG_LVL_NOTICE,
			 T0, &off);
	/* a read ending mid-line, still within the drop */
	len = log_budget_admit(&b, buf, LINE / 2, LOG_LVL_NOTICE, T0 + 1,
			       &off);
	report(len == 0 && b.dropping && b.mid_line, "resume",
	       "dropping early on: len %zu", len);
	len = log_budget_admit(&b, buf + LINE / 2, 4 * LINE, LOG_LVL_NOTICE,
			       T0 + resume_ms, &off);
	report(!b.dropping && off == LINE / 2 && len == 3 * LINE + LINE / 2,
	       "resume", "after the refill: off %zu len %zu", off, len);
	free(buf);
}

/**
 * check_pause() - a flood stops the reads for the rest of its window
 */
static void check_pause(void)
{
	struct log_budget b = { 0 };
	size_t chunk = 64 * 1024, read = 0, off;
	char *buf = lines(chunk);

	while (!log_budget_paused(&b, T0)) {
		log_budget_admit(&b, buf, chunk, LOG_LVL_NOTICE, T0, &off);
		read += chunk;
		if (read > 2 * LOG_DISCARD_MAX)
			break;
	}
	report(read == LOG_DISCARD_MAX, "pause", "paused after %zu bytes",
	       read);
	report(log_budget_paused(&b, T0 + LOG_DISCARD_WINDOW_MS - 1) &&
	       !log_budget_paused(&b, T0 + LOG_DISCARD_WINDOW_MS), "pause",
	       "the pause ends with the window");
	free(buf);
}

/**
 * check_report() - one report at once, then one per interval, counts reset
 */
static void check_report(void)
{
	struct log_budget b = { 0 };
	char *buf = lines(LOG_BUDGET_BURST + 2 * LINE);
	uint64_t bytes = 0, lines_ = 0;
	int64_t ms = 0;
	size_t off;

	report(!log_budget_report(&b, T0, false, &bytes, &lines_, &ms),
	       "report", "nothing dropped, nothing to say");
	log_budget_admit(&b, buf, LOG_BUDGET_BURST + 2 * LINE, LOG_LVL_NOTICE,
			 T0, &off);
	report(log_budget_report(&b, T0 + 5, false, &bytes, &lines_, &ms) &&
	       bytes == 2 * LINE && lines_ == 2 && ms == 5, "report",
	       "first at once: %llu bytes %llu lines %lld ms",
	       (unsigned long long)bytes, (unsigned long long)lines_,
	       (long long)ms);
	log_budget_admit(&b, buf, LINE, LOG_LVL_NOTICE, T0 + 10, &off);
	report(!log_budget_report(&b, T0 + 10, false, &bytes, &lines_, &ms),
	       "report", "not again within the interval");
	report(log_budget_report(&b, T0 + 5 + LOG_DROP_REPORT_SEC *
				 CLOCK_MS_PER_S, false, &bytes, &lines_, &ms) &&
	       bytes == LINE, "report", "again after it: %llu bytes",
	       (unsigned long long)bytes);
	log_budget_admit(&b, buf, LINE, LOG_LVL_NOTICE, T0 + 20, &off);
	report(log_budget_report(&b, T0 + 20, true, &bytes, &lines_, &ms),
	       "report", "forced at exit");
	free(buf);
}

/**
 * check_debug() - with -d, the bigger bucket; lowering the level caps it
 */
static void check_debug(void)
{
	struct log_budget b = { 0 };
	size_t n = 2 * LOG_BUDGET_BURST, off, len;
	char *buf = lines(n);

	len = log_budget_admit(&b, buf, n, LOG_LVL_DEBUG, T0, &off);
	report(len == n && !b.dropping, "debug", "len %zu", len);
	len = log_budget_admit(&b, buf, n, LOG_LVL_NOTICE, T0, &off);
	report(len == LOG_BUDGET_BURST && b.dropping, "debug",
	       "level lowered: len %zu", len);
	free(buf);
}

int main(void)
{
	check_burst();
	check_cut();
	check_resume();
	check_pause();
	check_report();
	check_debug();
	return unit_summary(NULL);
}
