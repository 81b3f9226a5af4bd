/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idmap.h - the uid and gid maps of nsplice's own user namespace
 *
 * DOC: Theory of Operation
 *
 * nsplice may run as uid 0 of a user namespace rather than as real root:
 * under `unshare -r`, or as podman's rootless helper.  Two things then
 * depend on which ids that namespace maps, which /proc/self/uid_map and
 * gid_map say:
 *
 *  - the relay's --runas user (nsplice, else nobody) can only be changed
 *    to if its uid and gid are mapped; a namespace that maps only uid 0
 *    (`unshare -r`, podman without subordinate ids) maps neither, and
 *    setresuid() fails with EINVAL in the relay;
 *  - COMMAND's new user namespace can only map ids that ours maps: the
 *    full range "0 0 4294967295" that real root writes is refused there.
 *
 * The maps are kernel text, but /proc contents are input like any other:
 * idmap_parse() accepts only the kernel's format (three decimal fields
 * per line, separated and preceded by blanks, each line ending in a
 * newline), at most IDMAP_LINES_MAX lines, each range non-empty and
 * within 32 bits, no two ranges overlapping on either side, and rejects
 * anything else as a whole.
 */
#ifndef NSPLICE_SUPERVISOR_IDMAP_H
#define NSPLICE_SUPERVISOR_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IDMAP_LINES_MAX - lines a map may have (the kernel's limit since 4.15) */
#define IDMAP_LINES_MAX		340

/* IDMAP_TEXT_MAX - bytes of a map's text: IDMAP_LINES_MAX lines of three
 * 10-digit fields, blanks and newline, with room to spare */
#define IDMAP_TEXT_MAX		(IDMAP_LINES_MAX * 40)

/**
 * struct idmap_range - one line of a map
 * @inside:	first id in the namespace
 * @outside:	first id in the parent namespace
 * @count:	ids in the range, at least 1
 */
struct idmap_range {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

/**
 * struct idmap - a whole uid_map or gid_map
 * @r:		ranges, in the order of the text
 * @n:		ranges in @r (0: nothing mapped yet)
 */
struct idmap {
	struct idmap_range r[IDMAP_LINES_MAX];
	unsigned n;
};

int idmap_parse(const char *text, size_t len, struct idmap *m);
int idmap_read(const char *file, struct idmap *m);
bool idmap_has(const struct idmap *m, uint32_t id);
int idmap_identity(const struct idmap *m, char *buf, size_t len);

#endif /* NSPLICE_SUPERVISOR_IDMAP_H */
