/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc.h - send and receive catalogue messages, validated centrally
 *
 * DOC: Theory of Operation
 *
 * ipc_send() builds header + payload (+ SCM_RIGHTS) from a type and a typed
 * payload pointer; the payload size always comes from the catalogue, never
 * from the caller.  ipc_recv() reads one datagram and hands it to
 * ipc_validate(), which is the only place that decides whether bytes from
 * another process are a message: truncation (MSG_TRUNC, MSG_CTRUNC), header
 * length, known type, exact payload size, direction, descriptor count,
 * control message shape, and the per-type field check.  On any failure every
 * received descriptor is closed and the caller must treat the channel as
 * compromised: close it and let the supervisor decide what follows.
 * Handlers therefore only ever see typed, checked structs.
 */
#ifndef NSPLICE_IPC_H
#define NSPLICE_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipc/msg.h"

/* IPC_ERR_* - negative return values of ipc_recv() and ipc_validate() */
#define IPC_EOF		0	/* peer closed the channel (ipc_recv only) */
#define IPC_AGAIN	(-1)	/* nothing to read now (ipc_recv only) */
#define IPC_ERR_IO	(-2)	/* recvmsg() failed */
#define IPC_ERR_PROTO	(-3)	/* malformed message: close the channel */

/**
 * struct ipc_chan - one end of a channel, as its owner sees it
 * @fd:		SOCK_SEQPACKET socket, -1 once closed
 * @self:	enum ipc_role of this end
 * @peer:	enum ipc_role of the other end
 * @name:	name of the peer for log lines ("relay", "agent target")
 */
struct ipc_chan {
	int fd;
	unsigned self;
	unsigned peer;
	const char *name;
};

const char *ipc_type_name(unsigned type);
size_t ipc_payload_size(unsigned type);
int ipc_send(const struct ipc_chan *c, unsigned type, const void *payload,
	     const int *fds, unsigned nfds);
int ipc_send_wait(const struct ipc_chan *c, unsigned type,
		  const void *payload, const int *fds, unsigned nfds,
		  int wait_ms);
bool ipc_peer_gone(int err);
int ipc_recv(const struct ipc_chan *c, struct ipc_msg *m, const char **why);
int ipc_validate(const void *buf, size_t len, int msg_flags,
		 const int *fds, unsigned nfds, unsigned self, unsigned peer,
		 struct ipc_msg *m, const char **why);
void ipc_close_fds(struct ipc_msg *m);
void ipc_fds_close(const int *fds, unsigned nfds);
void ipc_chan_close(struct ipc_chan *c);
const char *ipc_chan_check(int fd);

extern const char ipc_why_ctrunc[];

void stats_add(struct msg_stats *sum, const struct msg_stats *a);
void stats_rise(struct msg_stats *last, const struct msg_stats *now,
		struct msg_stats *rise);

#endif /* NSPLICE_IPC_H */
