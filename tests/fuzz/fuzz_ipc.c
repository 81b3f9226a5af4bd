// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ipc.c - fuzz target: central validation of messages between roles
 *
 * DOC: Theory of Operation
 *
 * ipc_validate() is the one place that decides whether a datagram and the
 * descriptors that came with it, sent by another (possibly compromised)
 * process, are a message; every handler trusts its verdict.  This target
 * gives it what recvmsg() could have given it.  Input layout:
 *
 *   byte 0	descriptor count: the value modulo IPC_FDS_MAX + 2, so
 *		0..IPC_FDS_MAX + 1 (one more than a message may carry)
 *   byte 1	bits 0-1 receiver role, bits 2-3 sender role (0..3: 3 is
 *		ROLE_COUNT, out of range), bit 4 MSG_TRUNC, bit 5
 *		MSG_CTRUNC, bit 6 MSG_EOR (set by the kernel on sequenced
 *		packets, must not matter), bit 7 unused
 *   byte 2..	the datagram: struct ipc_hdr and payload
 *
 * A missing byte 0 or 1 counts as zero.  The descriptors are real: each is
 * a fresh dup() of /dev/null, because a rejected message has its
 * descriptors closed by ipc_validate() and a leak or a double close must
 * show.  Properties:
 *
 * - the verdict is 1 or IPC_ERR_PROTO, with a reason exactly when it is
 *   not 1;
 * - 1 only for an untruncated datagram of exactly header plus the
 *   catalogue size of its type (ipc_payload_size()), a header length that
 *   says the same, roles in range, at most IPC_FDS_MAX descriptors;
 * - an accepted message carries the very descriptors passed, still open,
 *   and the payload bytes unchanged (the rest of the payload union zero);
 * - a rejected message has had every descriptor closed;
 * - the process has as many open descriptors (entries of /proc/self/fd)
 *   after the input as before, once the target has closed those of an
 *   accepted message;
 * - an accepted message, sent again with ipc_send() over a real
 *   SOCK_SEQPACKET socketpair by an end with the sender's role, comes out
 *   of ipc_recv() at the receiver's end as the same type, payload and
 *   number of descriptors: what the validator accepts, the real path
 *   accepts too;
 * - the descriptor of an accepted RELAY_CHAN or AGENT_CHAN (the validator
 *   does not look at it) is refused by ipc_chan_check(), the check its
 *   receiver applies next, since /dev/null is no SOCK_SEQPACKET socket;
 *   the socketpair of the resend check passes it.
 *
 * Every type of the catalogue is reached through ipc_payload_size() and
 * ipc_validate() alone, so a new type needs no change here, only seeds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "tests/fuzz/fuzz.h"

/* HDR_LEN - bytes of struct ipc_hdr on the wire */
#define HDR_LEN			sizeof(struct ipc_hdr)

/* PREFIX_LEN - bytes of the input before the datagram */
#define PREFIX_LEN		2

/* FDS_CHOICES - descriptor counts tried: 0..IPC_FDS_MAX + 1 */
#define FDS_CHOICES		(IPC_FDS_MAX + 2)

/* Bits of input byte 1 */
#define IN_SELF(b)		((unsigned)(b) & 0x3U)
#define IN_PEER(b)		(((unsigned)(b) >> 2) & 0x3U)
#define IN_F_TRUNC		0x10U
#define IN_F_CTRUNC		0x20U
#define IN_F_EOR		0x40U

/* null_fd - /dev/null, opened once; every descriptor passed is a dup */
static int null_fd = -1;

/* pair - socketpair for the resend check: [0] sends, [1] receives */
static int pair[2] = { -1, -1 };

/**
 * count_fds() - number of descriptors open in this process
 *
 * Return: entries in /proc/self/fd, not counting the one used to read it
 */
static unsigned count_fds(void)
{
	struct dirent *d;
	unsigned n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	FUZZ_CHECK(dir != NULL, "cannot open /proc/self/fd");
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n - 1;
}

/**
 * fd_open() - tell whether a descriptor is open
 * @fd:		descriptor
 *
 * Return: true if open
 */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/**
 * input_flags() - recvmsg() flags chosen by input byte 1
 * @b:		byte 1
 *
 * Return: msg_flags
 */
static int input_flags(uint8_t b)
{
	int flags = 0;

	if (b & IN_F_TRUNC)
		flags |= MSG_TRUNC;
	if (b & IN_F_CTRUNC)
		flags |= MSG_CTRUNC;
	if (b & IN_F_EOR)
		flags |= MSG_EOR;
	return flags;
}

/**
 * check_accepted() - what an accepted message must be
 * @buf:	datagram
 * @len:	its length
 * @flags:	msg_flags passed
 * @fds:	descriptors passed
 * @nfds:	how many
 * @self:	receiver role
 * @peer:	sender role
 * @m:		the message ipc_validate() filled
 */
static void check_accepted(const uint8_t *buf, size_t len, int flags,
			   const int *fds, unsigned nfds, unsigned self,
			   unsigned peer, const struct ipc_msg *m)
{
	struct ipc_hdr h;
	size_t size;
	unsigned i;

	FUZZ_CHECK(!(flags & (MSG_TRUNC | MSG_CTRUNC)),
		   "truncated datagram accepted");
	FUZZ_CHECK(len >= HDR_LEN, "datagram shorter than a header accepted");
	memcpy(&h, buf, sizeof(h));
	size = ipc_payload_size(h.type);
	FUZZ_CHECK(size > 0, "unknown type accepted");
	FUZZ_CHECK(len == HDR_LEN + size, "wrong datagram length accepted");
	FUZZ_CHECK(h.len == size, "wrong header length accepted");
	FUZZ_CHECK(self < ROLE_COUNT && peer < ROLE_COUNT,
		   "role out of range accepted");
	FUZZ_CHECK(nfds <= IPC_FDS_MAX, "too many descriptors accepted");
	FUZZ_CHECK(m->type == h.type && m->nfds == nfds,
		   "type or descriptor count changed");
	for (i = 0; i < nfds; i++)
		FUZZ_CHECK(m->fds[i] == fds[i] && fd_open(fds[i]),
			   "accepted message lost a descriptor");
	FUZZ_CHECK(!memcmp(m->u.raw, buf + HDR_LEN, size),
		   "payload changed by validation");
	FUZZ_CHECK(size == sizeof(m->u.raw) ||
		   (!m->u.raw[size] && !memcmp(m->u.raw + size,
					       m->u.raw + size + 1,
					       sizeof(m->u.raw) - size - 1)),
		   "payload union not zero past the payload");
}

/**
 * check_resend() - an accepted message survives the real send/receive path
 * @m:		accepted message, descriptors still open
 * @self:	receiver role
 * @peer:	sender role
 */
static void check_resend(const struct ipc_msg *m, unsigned self,
			 unsigned peer)
{
	struct ipc_chan tx = { pair[0], peer, self, "fuzz sender" };
	struct ipc_chan rx = { pair[1], self, peer, "fuzz receiver" };
	const char *why = NULL;
	struct ipc_msg back;
	int rc;

	FUZZ_CHECK(!ipc_send(&tx, m->type, m->u.raw,
			     m->nfds ? m->fds : NULL, m->nfds),
		   "ipc_send() refused a message ipc_validate() accepted");
	rc = ipc_recv(&rx, &back, &why);
	if (rc != 1)
		fprintf(stderr, "ipc_recv: %d: %s\n", rc, why ? why : "");
	FUZZ_CHECK(rc == 1, "ipc_recv() refused what ipc_validate() accepted");
	FUZZ_CHECK(back.type == m->type && back.nfds == m->nfds &&
		   !memcmp(&back.u, &m->u, sizeof(m->u)),
		   "message changed on the way through a socket");
	ipc_close_fds(&back);
}

/**
 * check_chan_fd() - a channel message's descriptor is checked by its
 *		     receiver, and /dev/null must not pass
 * @m:		accepted message, descriptors still open
 */
static void check_chan_fd(const struct ipc_msg *m)
{
	if (m->type != MSG_RELAY_CHAN && m->type != MSG_AGENT_CHAN)
		return;
	FUZZ_CHECK(m->nfds == 1, "channel message without one descriptor");
	FUZZ_CHECK(ipc_chan_check(m->fds[0]) != NULL,
		   "ipc_chan_check() accepted /dev/null as a channel");
}

/**
 * LLVMFuzzerInitialize() - open /dev/null and the socketpair, once
 * @argc:	libFuzzer's argument count, unused
 * @argv:	libFuzzer's arguments, unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	FUZZ_CHECK(null_fd >= 0, "cannot open /dev/null");
	FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       pair), "cannot create a socketpair");
	FUZZ_CHECK(!ipc_chan_check(pair[1]),
		   "ipc_chan_check() refused a SOCK_SEQPACKET socketpair");
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - validate one datagram and check every property
 * @data:	input, layout in the theory of operation above
 * @size:	bytes in @data
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t b0 = size > 0 ? data[0] : 0, b1 = size > 1 ? data[1] : 0;
	const uint8_t *buf = data + (size > PREFIX_LEN ? PREFIX_LEN : size);
	size_t len = size > PREFIX_LEN ? size - PREFIX_LEN : 0;
	unsigned nfds = b0 % FDS_CHOICES, self = IN_SELF(b1);
	unsigned peer = IN_PEER(b1), before, i;
	int fds[FDS_CHOICES], flags = input_flags(b1), rc;
	const char *why = "unset";
	struct ipc_msg m;

	FUZZ_CHECK(null_fd >= 0, "LLVMFuzzerInitialize() did not run");
	before = count_fds();
	for (i = 0; i < nfds; i++) {
		fds[i] = fcntl(null_fd, F_DUPFD_CLOEXEC, 0);
		FUZZ_CHECK(fds[i] >= 0, "cannot dup /dev/null");
	}
	rc = ipc_validate(buf, len, flags, fds, nfds, self, peer, &m, &why);
	FUZZ_CHECK(rc == 1 || rc == IPC_ERR_PROTO, "unexpected return value");
	FUZZ_CHECK(rc == 1 ? why == NULL : why != NULL && why[0],
		   "reason given for success, or none for a refusal");
	if (rc == 1) {
		check_accepted(buf, len, flags, fds, nfds, self, peer, &m);
		check_resend(&m, self, peer);
		check_chan_fd(&m);
		ipc_close_fds(&m);
	}
	for (i = 0; i < nfds; i++)
		FUZZ_CHECK(!fd_open(fds[i]), "descriptor left open");
	FUZZ_CHECK(count_fds() == before, "descriptor count changed");
	return 0;
}
