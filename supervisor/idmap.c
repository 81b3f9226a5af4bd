// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * idmap.c - read and check the id maps of nsplice's user namespace
 *
 * DOC: Theory of Operation
 *
 * See idmap.h.  The parser is all or nothing: the map is filled only from
 * a text that is valid as a whole, so a caller never acts on half a map.
 *
 * Syscalls: openat, read, close (idmap_read()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/idmap.h"

/* IDMAP_DIGITS_MAX - digits of the largest 32-bit value */
#define IDMAP_DIGITS_MAX	10

/**
 * field() - one decimal field of a map line, after its blanks
 * @p:		cursor, advanced past the field on success
 * @end:	end of the text
 * @blank:	at least one blank must come first (not the line's first field)
 * @v:		the value
 *
 * Return: 0, or -1 unless the blanks, then 1..10 digits within 32 bits, are
 * there
 */
static int field(const char **p, const char *end, bool blank, uint32_t *v)
{
	const char *s = *p;
	uint64_t acc = 0;
	unsigned digits = 0;

	if (blank && (s >= end || *s != ' '))
		return -1;
	while (s < end && *s == ' ')
		s++;
	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > IDMAP_DIGITS_MAX)
			return -1;
		acc = acc * 10 + (uint64_t)(*s++ - '0');
	}
	if (!digits || acc > UINT32_MAX)
		return -1;
	*v = (uint32_t)acc;
	*p = s;
	return 0;
}

/**
 * overlaps() - whether two ranges share an id
 * @a:		first id of one range
 * @na:		its length
 * @b:		first id of the other
 * @nb:		its length
 *
 * Return: true if they overlap
 */
static bool overlaps(uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
	return (uint64_t)a < (uint64_t)b + nb && (uint64_t)b < (uint64_t)a + na;
}

/**
 * idmap_parse() - parse the text of a uid_map or gid_map
 * @text:	the text, not necessarily NUL-terminated
 * @len:	its length
 * @m:		filled on success, untouched on error
 *
 * A line is "INSIDE OUTSIDE COUNT\n", each field preceded by blanks as the
 * kernel pads them (optional before the first).  The empty text is a
 * valid map with no range: nothing is mapped yet.
 *
 * Return: 0, or -EBADMSG for anything else
 */
int idmap_parse(const char *text, size_t len, struct idmap *m)
{
	const char *p = text, *end = text + len;
	struct idmap tmp;
	unsigned i;

	tmp.n = 0;
	while (p < end) {
		struct idmap_range *r = &tmp.r[tmp.n];

		if (tmp.n == IDMAP_LINES_MAX ||
		    field(&p, end, false, &r->inside) ||
		    field(&p, end, true, &r->outside) ||
		    field(&p, end, true, &r->count) ||
		    p >= end || *p++ != '\n' || !r->count ||
		    (uint64_t)r->inside + r->count > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)r->outside + r->count > (uint64_t)UINT32_MAX + 1)
			return -EBADMSG;
		for (i = 0; i < tmp.n; i++)
			if (overlaps(tmp.r[i].inside, tmp.r[i].count,
				     r->inside, r->count) ||
			    overlaps(tmp.r[i].outside, tmp.r[i].count,
				     r->outside, r->count))
				return -EBADMSG;
		tmp.n++;
	}
	memcpy(m->r, tmp.r, sizeof(tmp.r[0]) * tmp.n);
	m->n = tmp.n;
	return 0;
}

/**
 * idmap_read() - read and parse a map of nsplice's own user namespace
 * @file:	"uid_map" or "gid_map"
 * @m:		filled on success
 *
 * Return: 0, -errno if the file cannot be read, -EFBIG if it is longer
 * than IDMAP_TEXT_MAX, or -EBADMSG if it is not a valid map
 */
int idmap_read(const char *file, struct idmap *m)
{
	char path[32], text[IDMAP_TEXT_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, text + len, sizeof(text) - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len < sizeof(text)) || (n < 0 && errno == EINTR));
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (len > IDMAP_TEXT_MAX)
		return -EFBIG;
	return idmap_parse(text, len, m);
}

/**
 * idmap_has() - whether an id of the namespace is mapped
 * @m:		map
 * @id:		id inside the namespace
 *
 * Return: true if a range holds @id
 */
bool idmap_has(const struct idmap *m, uint32_t id)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (id >= m->r[i].inside && id - m->r[i].inside < m->r[i].count)
			return true;
	return false;
}

/**
 * idmap_identity() - the map a child namespace needs to keep every id of
 *		      this one
 * @m:		this namespace's map
 * @buf:	filled with "ID ID COUNT\n" per range of @m, NUL-terminated
 * @len:	its size
 *
 * The child can only map ids its parent maps, so these are the ranges'
 * inside ids, mapped to themselves: real root's "0 0 4294967295", and
 * under `unshare -r` just "0 0 1".
 *
 * Return: 0, -ENOENT if @m maps nothing, or -ENOSPC if @buf is too small
 */
int idmap_identity(const struct idmap *m, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;
	int n;

	if (!m->n)
		return -ENOENT;
	for (i = 0; i < m->n; i++) {
		n = snprintf(buf + used, len - used, "%u %u %u\n",
			     (unsigned)m->r[i].inside, (unsigned)m->r[i].inside,
			     (unsigned)m->r[i].count);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}
