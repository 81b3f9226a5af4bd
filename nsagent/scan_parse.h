/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan_parse.h - parsers of the kernel's lists of listening TCP sockets
 *
 * DOC: Theory of Operation
 *
 * "auto" forwards follow the ports that listen in a namespace.  The agent
 * of that namespace learns them from one of two kernel interfaces, and
 * these are their parsers, kept apart from scan.c so that they make no
 * system call and can be unit-tested and fuzzed on their own:
 *
 *  - scan_parse_diag(): one recv() buffer of a NETLINK_SOCK_DIAG dump
 *    (struct nlmsghdr + struct inet_diag_msg, NLMSG_DONE, NLMSG_ERROR);
 *  - scan_parse_proc(): the whole text of /proc/net/tcp or /proc/net/tcp6,
 *    the fallback when the kernel has no sock_diag for TCP.
 *
 * Both treat their input as hostile: every length is checked before it is
 * used, nothing is read outside [buf, buf + len), no alignment is assumed,
 * and the result is all or nothing - on an error the caller's bitmap is
 * left exactly as it was, so a half-parsed buffer never shows up as ports
 * that "went away".
 *
 * Result: a port set with one bit per TCP port (ipc/portset.h).  The
 * parsers only set bits (several buffers of one dump add up); port 0 is
 * never set.
 */
#ifndef NSPLICE_SCAN_PARSE_H
#define NSPLICE_SCAN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/portset.h"

/* SCAN_DIAG_BUF - largest sock_diag recv() buffer, bytes: the kernel
 * never builds a dump part larger than 32 KiB (netlink's
 * max_recvmsg_len); a longer input is refused */
#define SCAN_DIAG_BUF		32768U

/* SCAN_PROC_MAX - largest /proc/net/tcp* text, bytes (about 28000
 * sockets of 150 bytes a line); a longer input is refused */
#define SCAN_PROC_MAX		(4U * 1024U * 1024U)

int scan_parse_diag_state(const void *buf, size_t len, int family,
			  unsigned state, uint8_t *bitmap, bool *done);
int scan_parse_diag(const void *buf, size_t len, int family, uint8_t *bitmap,
		    bool *done);
int scan_parse_proc(const char *text, size_t len, uint8_t *bitmap);

#endif /* NSPLICE_SCAN_PARSE_H */
