/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent.h - the per-namespace agent role
 *
 * DOC: Theory of Operation
 *
 * See agent.c.  agent_main() runs after cmd/role.c's common child set-up:
 * descriptor 2 is the log pipe, 3 the channel to the supervisor, 4 the
 * channel to the relay and, for agent[target] only, 5 the network
 * namespace to enter and 6 (optional) the user namespace to join first.
 */
#ifndef NSPLICE_AGENT_H
#define NSPLICE_AGENT_H

#include <stdbool.h>

#include "../ipc/ipc.h"

/* AGENT_POOL_PENDING_MAX - most sockets the relay may have asked for and
 * not yet received, per family; more is a protocol violation
 */
#define AGENT_POOL_PENDING_MAX	1024

/**
 * struct agent - state of one agent process
 * @side:	enum nsp_side
 * @sup:	channel to the supervisor
 * @relay:	channel to the relay
 * @timer_fd:	periodic timer: address refresh, pool retries
 * @batch:	BINDs handled since the last CONFIG_DONE
 * @listeners:	listening sockets, kept so a new relay can get them again
 * @nlisteners:	entries in @listeners
 * @pending:	sockets owed to the relay, [0] IPv4, [1] IPv6
 * @addrs:	external addresses last sent to the relay
 * @addrs_sent:	@addrs has been sent at least once
 */
struct agent {
	int side;
	struct ipc_chan sup;
	struct ipc_chan relay;
	int timer_fd;
	unsigned batch;
	int *listeners;
	unsigned nlisteners;
	unsigned pending[2];
	struct msg_ns_addrs addrs;
	bool addrs_sent;
};

int agent_main(int side, bool keep_bind_cap);
void agent_send(const struct ipc_chan *c, unsigned type, const void *payload,
		const int *fds, unsigned nfds);

/* enter.c */
void agent_enter_netns(void);
void agent_drop_privileges(bool keep_bind_cap);

/* listen.c */
void agent_answer_bind(struct agent *a, const struct msg_forward *f);

/* pool.c */
void agent_answer_pool_req(struct agent *a, const struct msg_pool_req *r);
void agent_pool_fill(struct agent *a);

/* addrs.c */
void agent_addrs_refresh(struct agent *a);

#endif /* NSPLICE_AGENT_H */
