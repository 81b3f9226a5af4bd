// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_idmap.c - unit tests of the id map parser (supervisor/idmap.c)
 *
 * DOC: Theory of Operation
 *
 * The supervisor decides from /proc/self/uid_map and gid_map whether the
 * relay can change to its user and what COMMAND's namespace may map
 * (idmap.h).  These cases pin down the parser's contract: the kernel's
 * own texts are accepted (real root's full range, `unshare -r`'s single
 * id, podman's two lines, an empty map); anything else - a missing
 * newline, a fourth field, a tab, a sign, a value past 32 bits, an empty
 * or wrapping range, overlapping ranges on either side, more lines than
 * the kernel allows - is rejected, and a rejected text leaves the caller's
 * map as it was.  idmap_has() is checked at every range's edges, and
 * idmap_identity() for its output, an empty map and a short buffer.
 * Last, this process's own maps must parse: the format is the kernel's.
 */
#include <stdint.h>

#include "supervisor/idmap.h"
#include "unit.h"

/**
 * struct map_case - a text and the ranges it must give, if valid
 * @name:	case name
 * @text:	map text
 * @valid:	whether idmap_parse() must accept it
 * @n:		ranges expected
 * @r:		the first two of them
 */
struct map_case {
	const char *name;
	const char *text;
	bool valid;
	unsigned n;
	struct idmap_range r[2];
};

static const struct map_case cases[] = {
	{ "real root", "         0          0 4294967295\n", true, 1,
	  { { 0, 0, 4294967295U } } },
	{ "unshare -r", "         0       1000          1\n", true, 1,
	  { { 0, 1000, 1 } } },
	{ "podman", "         0       1000          1\n"
		    "         1     100000      65536\n", true, 2,
	  { { 0, 1000, 1 }, { 1, 100000, 65536 } } },
	{ "no leading blanks", "0 1000 1\n", true, 1, { { 0, 1000, 1 } } },
	{ "empty: nothing mapped yet", "", true, 0, { { 0 } } },
	{ "last id alone", "4294967295 0 1\n", true, 1,
	  { { 4294967295U, 0, 1 } } },
	{ "no newline", "0 1000 1", false, 0, { { 0 } } },
	{ "empty line", "\n", false, 0, { { 0 } } },
	{ "blank line after a valid one", "0 1000 1\n \n", false, 0, { { 0 } } },
	{ "two fields", "0 1000\n", false, 0, { { 0 } } },
	{ "four fields", "0 1000 1 1\n", false, 0, { { 0 } } },
	{ "trailing blank", "0 1000 1 \n", false, 0, { { 0 } } },
	{ "no blank between fields", "0 10001\n", false, 0, { { 0 } } },
	{ "tab", "0\t1000 1\n", false, 0, { { 0 } } },
	{ "sign", "0 +1000 1\n", false, 0, { { 0 } } },
	{ "minus", "0 -1 1\n", false, 0, { { 0 } } },
	{ "hex", "0 0x10 1\n", false, 0, { { 0 } } },
	{ "letters", "root 1000 1\n", false, 0, { { 0 } } },
	{ "past 32 bits", "0 4294967296 1\n", false, 0, { { 0 } } },
	{ "eleven digits", "0 00000001000 1\n", false, 0, { { 0 } } },
	{ "empty range", "0 1000 0\n", false, 0, { { 0 } } },
	{ "inside wraps", "4294967295 0 2\n", false, 0, { { 0 } } },
	{ "outside wraps", "0 4294967295 2\n", false, 0, { { 0 } } },
	{ "inside overlap", "0 1000 10\n9 5000 1\n", false, 0, { { 0 } } },
	{ "outside overlap", "0 1000 10\n100 1009 1\n", false, 0, { { 0 } } },
	{ "NUL inside", "0 10\0000 1\n", false, 0, { { 0 } } },
};

/**
 * check_case() - parse one case's text and compare
 * @c:		case
 */
static void check_case(const struct map_case *c)
{
	static struct idmap m;
	size_t len = strlen(c->text);
	unsigned i;
	int rc;

	/* "NUL inside" is longer than strlen() says */
	if (!strcmp(c->name, "NUL inside"))
		len = sizeof("0 10\0000 1\n") - 1;
	memset(&m, 0xa5, sizeof(m));
	rc = idmap_parse(c->text, len, &m);
	if (!c->valid) {
		report(rc == -EBADMSG, c->name, "accepted (rc %d)", rc);
		report(m.n == 0xa5a5a5a5U && m.r[0].inside == 0xa5a5a5a5U,
		       c->name, "a rejected text changed the map");
		return;
	}
	if (!report(rc == 0, c->name, "rejected (rc %d)", rc))
		return;
	report(m.n == c->n, c->name, "%u ranges, expected %u", m.n, c->n);
	for (i = 0; i < c->n && i < 2; i++)
		report(m.r[i].inside == c->r[i].inside &&
		       m.r[i].outside == c->r[i].outside &&
		       m.r[i].count == c->r[i].count, c->name,
		       "range %u is %u %u %u", i, m.r[i].inside,
		       m.r[i].outside, m.r[i].count);
}

/**
 * check_lines_max() - IDMAP_LINES_MAX lines pass, one more does not
 */
static void check_lines_max(void)
{
	static char text[(IDMAP_LINES_MAX + 1) * 24];
	static struct idmap m;
	size_t used = 0, last = 0;
	unsigned i;

	for (i = 0; i <= IDMAP_LINES_MAX; i++) {
		last = used;
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%u %u 1\n", i, 1000 + i);
	}
	report(idmap_parse(text, last, &m) == 0 && m.n == IDMAP_LINES_MAX,
	       "340 lines", "rejected or miscounted (%u)", m.n);
	report(idmap_parse(text, used, &m) == -EBADMSG, "341 lines",
	       "accepted");
}

/**
 * check_has() - membership at the edges of each range
 */
static void check_has(void)
{
	const char *text = "0 1000 1\n10 100000 5\n4294967290 7 6\n";
	static struct idmap m;

	if (!report(idmap_parse(text, strlen(text), &m) == 0, "has: parse",
		    "rejected"))
		return;
	report(idmap_has(&m, 0), "has 0", "not found");
	report(!idmap_has(&m, 1), "has 1", "found");
	report(!idmap_has(&m, 9), "has 9", "found");
	report(idmap_has(&m, 10) && idmap_has(&m, 14), "has 10..14",
	       "not found");
	report(!idmap_has(&m, 15), "has 15", "found");
	report(!idmap_has(&m, 65534), "has nobody", "found");
	report(!idmap_has(&m, 4294967289U), "has 4294967289", "found");
	report(idmap_has(&m, 4294967295U), "has 4294967295", "not found");
}

/**
 * check_identity() - what COMMAND's namespace gets mapped
 */
static void check_identity(void)
{
	const char *text = "         0       1000          1\n"
			   "         1     100000      65536\n";
	static struct idmap m;
	char buf[64], tiny[8];

	idmap_parse(text, strlen(text), &m);
	report(idmap_identity(&m, buf, sizeof(buf)) == 0 &&
	       !strcmp(buf, "0 0 1\n1 1 65536\n"), "identity",
	       "\"%s\"", buf);
	report(idmap_identity(&m, tiny, sizeof(tiny)) == -ENOSPC,
	       "identity: short buffer", "not refused");
	m.n = 0;
	report(idmap_identity(&m, buf, sizeof(buf)) == -ENOENT,
	       "identity: empty map", "not refused");
}

int main(void)
{
	static struct idmap own;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	check_lines_max();
	check_has();
	check_identity();
	report(idmap_read("uid_map", &own) == 0 && own.n >= 1,
	       "own uid_map", "does not parse");
	report(idmap_read("gid_map", &own) == 0 && own.n >= 1,
	       "own gid_map", "does not parse");
	report(idmap_read("no_such_map", &own) == -ENOENT,
	       "missing file", "not -ENOENT");
	return unit_summary(NULL);
}
