// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_idmap.c - fuzz target: the text of /proc/self/uid_map and gid_map
 *
 * DOC: Theory of Operation
 *
 * idmap_parse() (supervisor/idmap.c) decides from these texts whether the
 * relay may change to its user and what COMMAND's namespace maps.  The
 * input is the text, exactly (no NUL added: the parser must stop at the
 * length).
 *
 * Properties:
 *
 * - the result is 0 or -EBADMSG;
 * - all or nothing: on an error the caller's map still holds its pattern;
 * - an accepted text is empty or ends with a newline, has one line per
 *   range, at most IDMAP_LINES_MAX; every range is non-empty and within
 *   32 bits on both sides, and no two overlap on either side;
 * - idmap_has() finds the first and last id of every range;
 * - round trip: the ranges written back as "%u %u %u\n" parse to the same
 *   ranges, and idmap_identity() parses to the same inside ranges mapped
 *   to themselves.
 *
 * Seeds (corpus/idmap/): the maps of real root, `unshare -r` and podman,
 * the empty map, and texts for rejections of the unit test
 * (tests/unit/test_idmap.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/idmap.h"
#include "tests/fuzz/fuzz.h"

/* PATTERN - filler of a map that an error must leave as it is */
#define PATTERN		0x5a

/**
 * ranges_equal() - whether two maps hold the same ranges, in order
 * @a:		one map
 * @b:		the other
 * @identity:	compare @b's outside ids with @a's inside ones
 *
 * Return: true if they match
 */
static bool ranges_equal(const struct idmap *a, const struct idmap *b,
			 bool identity)
{
	unsigned i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->r[i].inside != b->r[i].inside ||
		    a->r[i].count != b->r[i].count ||
		    b->r[i].outside != (identity ? a->r[i].inside
						 : a->r[i].outside))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[IDMAP_TEXT_MAX + 1];
	static struct idmap m, back;
	size_t used = 0, lines = 0, k;
	unsigned i, j;
	int rc;

	memset(&m, PATTERN, sizeof(m));
	rc = idmap_parse((const char *)data, size, &m);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG, "result is 0 or -EBADMSG");
	if (rc) {
		for (k = 0; k < sizeof(m); k++)
			FUZZ_CHECK(((const uint8_t *)&m)[k] == PATTERN,
				   "a rejected text changed the map");
		return 0;
	}
	for (k = 0; k < size; k++)
		lines += data[k] == '\n';
	FUZZ_CHECK(!size || data[size - 1] == '\n', "ends with a newline");
	FUZZ_CHECK(lines == m.n && m.n <= IDMAP_LINES_MAX, "a range per line");
	for (i = 0; i < m.n; i++) {
		const struct idmap_range *r = &m.r[i];

		FUZZ_CHECK(r->count, "ranges are not empty");
		FUZZ_CHECK((uint64_t)r->inside + r->count <= 1ULL << 32 &&
			   (uint64_t)r->outside + r->count <= 1ULL << 32,
			   "ranges stay within 32 bits");
		FUZZ_CHECK(idmap_has(&m, r->inside) &&
			   idmap_has(&m, r->inside + (r->count - 1)),
			   "idmap_has() finds a range's ends");
		for (j = 0; j < i; j++) {
			const struct idmap_range *q = &m.r[j];

			FUZZ_CHECK((uint64_t)q->inside + q->count <= r->inside ||
				   (uint64_t)r->inside + r->count <= q->inside,
				   "inside ranges do not overlap");
			FUZZ_CHECK((uint64_t)q->outside + q->count <= r->outside ||
				   (uint64_t)r->outside + r->count <= q->outside,
				   "outside ranges do not overlap");
		}
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%u %u %u\n", r->inside, r->outside,
					 r->count);
	}
	FUZZ_CHECK(idmap_parse(text, used, &back) == 0 &&
		   ranges_equal(&m, &back, false), "round trip");
	if (!m.n)
		return 0;
	FUZZ_CHECK(idmap_identity(&m, text, sizeof(text)) == 0,
		   "identity fits IDMAP_TEXT_MAX");
	FUZZ_CHECK(idmap_parse(text, strlen(text), &back) == 0 &&
		   ranges_equal(&m, &back, true), "identity round trip");
	return 0;
}
