// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_config_cost.c - parsing a config file costs what the file says
 *
 * DOC: Theory of Operation
 *
 * Audit finding 8: a 40,000-line file of "tcp-ports = N:M" took 11.8 s
 * to parse, stalling the supervisor on SIGHUP.  The cause was not a
 * quadratic loop but a constant: every spec walked all 65536 entries of
 * its port map two or three times (struct portspec), and every "~A-B"
 * exclusion set its ports one bit at a time.  The parser now walks only
 * the ports a spec names (struct portspec @lo..@hi) and fills exclusions
 * a byte at a time, and counts what it walks in portspec_work.
 *
 * Time is not measured here (a loaded machine would make the test flaky);
 * the work counter is, and it is deterministic: a line naming one port
 * must cost a few steps, 20,000 such lines at most about twice 10,000, and
 * a line of many "~1-65534" exclusions at most a byte of bitmap per eight
 * ports excluded.  With the old 65536-step walks every bound fails by
 * orders of magnitude.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/config.h"
#include "supervisor/config/portspec.h"
#include "unit.h"

/* LINES_SMALL, LINES_BIG - config file sizes compared, lines */
#define LINES_SMALL	10000U
#define LINES_BIG	20000U

/* LINE_BUF - room for one generated line, bytes */
#define LINE_BUF	64

/* FIRST_PORT - listen port of the first generated line */
#define FIRST_PORT	1024U

/* STEPS_PER_PORT - work for one port: include, finish, two families */
#define STEPS_PER_PORT	4U

/* EXCL_ITEMS - "~1-65534" items on the exclusion line */
#define EXCL_ITEMS	400U

/* EXCL_BYTES - bitmap bytes one "~1-65534" item may fill, at most */
#define EXCL_BYTES	(65536U / 8U)

/**
 * make_text() - a config file of one "tcp-ports = N:M" line per port
 * @lines:	number of lines
 * @len:	set to the text's length
 *
 * Return: the text (free() it)
 */
static char *make_text(unsigned lines, size_t *len)
{
	char *text = malloc((size_t)lines * LINE_BUF + 1);
	size_t n = 0;
	unsigned i;

	if (!text)
		die("malloc");
	for (i = 0; i < lines; i++)
		n += (size_t)snprintf(text + n, LINE_BUF, "tcp-ports = %u:%u\n",
				      FIRST_PORT + i, FIRST_PORT + i % 1000U);
	*len = n;
	return text;
}

/**
 * parse_work() - the work counted while parsing a text
 * @text:	config file text
 * @len:	its length
 * @what:	name of the case
 *
 * Return: increase of portspec_work
 */
static unsigned long parse_work(const char *text, size_t len,
				const char *what)
{
	char err[CONFIG_ERR_MAX];
	unsigned long before = portspec_work;
	struct nsp_config cfg;
	int rc;

	rc = config_parse_text(&cfg, NULL, "cost.conf", text, len,
			       CONFIG_SRC_FILE, NULL, err, sizeof(err));
	report(!rc, what, "parse failed: %s", err);
	if (!rc)
		config_free(&cfg);
	return portspec_work - before;
}

/**
 * check_lines() - one-port lines cost a few steps each, linearly
 */
static void check_lines(void)
{
	unsigned long small, big;
	size_t len;
	char *text;

	text = make_text(LINES_SMALL, &len);
	small = parse_work(text, len, "lines");
	free(text);
	text = make_text(LINES_BIG, &len);
	big = parse_work(text, len, "lines");
	free(text);
	report(small <= (unsigned long)LINES_SMALL * STEPS_PER_PORT, "lines",
	       "%u one-port lines: %lu steps, expected at most %u",
	       LINES_SMALL, small, LINES_SMALL * STEPS_PER_PORT);
	report(big <= 2 * small + LINES_BIG, "lines",
	       "%u lines: %lu steps, %u lines: %lu: not linear", LINES_SMALL,
	       small, LINES_BIG, big);
}

/**
 * check_exclusions() - a line of overlapping exclusions, bounded
 */
static void check_exclusions(void)
{
	size_t cap = (size_t)EXCL_ITEMS * LINE_BUF, n;
	unsigned long work, max;
	unsigned i;
	char *text = malloc(cap);

	if (!text)
		die("malloc");
	n = (size_t)snprintf(text, cap, "tcp-ports = 65535");
	for (i = 0; i < EXCL_ITEMS; i++)
		n += (size_t)snprintf(text + n, cap - n, ",~1-65534");
	text[n++] = '\n';
	work = parse_work(text, n, "exclusions");
	free(text);
	max = (unsigned long)EXCL_ITEMS * EXCL_BYTES + 2 * STEPS_PER_PORT;
	report(work <= max, "exclusions", "%u items: %lu steps, expected at "
	       "most %lu", EXCL_ITEMS, work, max);
}

/**
 * main() - run the cases
 *
 * Return: 0 if all passed
 */
int main(void)
{
	int fds = fd_count();

	check_lines();
	check_exclusions();
	report(fd_count() == fds, "fds", "parsing leaked a descriptor");
	return unit_summary(NULL);
}
