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
#include <stdint.h>

#include "ipc/ipc.h"
#include "ipc/portset.h"

/* AGENT_POOL_PENDING_MAX - most sockets the relay may have asked for and
 * not yet received, per family; more is a protocol violation
 */
#define AGENT_POOL_PENDING_MAX	1024

/* SCAN_SETS - port sets a scan reports: TCP v4, TCP v6, UDP v4, UDP v6 */
#define SCAN_SETS		4

/**
 * struct agent_listener - a listener the agent holds
 * @id:		listener id from BIND
 * @fd:		listening socket
 * @family:	AF_INET or AF_INET6
 * @port:	port it listens on
 * @fwd:	the BIND it answers, to bind it again (listener_repair())
 * @inherited:	it came from socket activation: never bound again here
 * @cc:		its TCP congestion control when made, "" if unknown or UDP
 */
struct agent_listener {
	uint32_t id;
	int fd;
	uint8_t family;
	uint16_t port;
	struct msg_forward fwd;
	bool inherited;
	char cc[16];
};

/**
 * struct agent_scan - listening-port discovery for "auto" forwards
 * @diag_fd:	NETLINK_SOCK_DIAG socket, opened before the sandbox, or -1
 * @proc_fd:	/proc/net/tcp and /proc/net/tcp6 of this namespace, opened
 *		before the sandbox, re-read from offset 0 (fallback when
 *		sock_diag is missing), -1 if not open
 * @on:		AGENT_CONF asked for scanning
 * @sent:	ports last reported as listening, by SCAN_SETS index: [0] TCP
 *		IPv4, [1] TCP IPv6, [2] UDP IPv4, [3] UDP IPv6
 * @reported:	a first report was sent
 */
struct agent_scan {
	int diag_fd;
	int proc_fd[2];
	bool on;
	uint8_t sent[SCAN_SETS][PORTSET_BYTES];
	bool reported;
};

/**
 * struct agent - state of one agent process
 * @side:	enum nsp_side
 * @sup:	channel to the supervisor
 * @relay:	channel to the relay
 * @timer_fd:	periodic timer: address refresh, pool retries
 * @batch:	BINDs handled since the last CONFIG_DONE
 * @listeners:	listening sockets, kept so a new relay can get them again
 * @nlisteners:	entries in @listeners
 * @conf:	AGENT_CONF (keepalive for listeners and pool sockets)
 * @conf_seen:	AGENT_CONF arrived: pool sockets may be made
 * @scan:	listening-port discovery
 * @pending:	sockets owed to the relay, [0] IPv4, [1] IPv6
 * @held:	sockets asked for in a family not (yet) allowed, [0] IPv4,
 *		[1] IPv6: judged once the supervisor's channel is read
 * @no_family:	socket() said EAFNOSUPPORT for [0] IPv4, [1] IPv6 (a
 *		kernel booted with ipv6.disable=1): nothing is owed in it
 * @pool_allow:	POOL_ALLOW_* families the current relay may ask for
 * @allow_seen:	a POOL_ALLOW came since the current relay's channel
 * @addrs:	external addresses last sent to the relay
 * @addrs_sent:	@addrs has been sent at least once
 * @udp_targets: UDP forwards this side connects for (UDP_TARGET), by id,
 *		FWD_ID_MAX pointers allocated with the first; NULL if none
 */
struct agent {
	int side;
	struct ipc_chan sup;
	struct ipc_chan relay;
	int timer_fd;
	unsigned batch;
	struct agent_listener *listeners;
	unsigned nlisteners;
	struct msg_agent_conf conf;
	bool conf_seen;
	struct agent_scan scan;
	unsigned pending[2];
	unsigned held[2];
	bool no_family[2];
	uint32_t pool_allow;
	bool allow_seen;
	struct msg_ns_addrs addrs;
	bool addrs_sent;
	struct msg_forward **udp_targets;
};

int agent_main(int side, bool keep_bind_cap);
void agent_send(const struct ipc_chan *c, unsigned type, const void *payload,
		const int *fds, unsigned nfds);
void agent_relay_lost(struct agent *a);

/* enter.c */
void agent_enter_netns(void);
void agent_drop_privileges(bool keep_bind_cap);

/* listen.c */
void agent_answer_bind(struct agent *a, struct ipc_msg *m);
void agent_answer_unbind(struct agent *a, uint32_t id);
void agent_resend_listeners(struct agent *a);

/* pool.c */
void agent_answer_pool_req(struct agent *a, const struct msg_pool_req *r);
void agent_pool_fill(struct agent *a);
void agent_pool_judge(struct agent *a);
void agent_pool_allow(struct agent *a, const struct msg_pool_allow *pa);

/* udp.c */
int agent_bind(const struct msg_forward *f, int type, int *fdp);
void agent_udp_target(struct agent *a, const struct msg_forward *f);
void agent_udp_target_del(struct agent *a, uint32_t id);
void agent_answer_udp_pool_req(struct agent *a,
			       const struct msg_udp_pool_req *r);

/* addrs.c */
void agent_addrs_refresh(struct agent *a);

/* scan.c */
void agent_scan_open(struct agent *a);
void agent_scan_tick(struct agent *a);

/* listen.c */
void agent_set_keepalive(const struct agent *a, int fd);

#endif /* NSPLICE_AGENT_H */
