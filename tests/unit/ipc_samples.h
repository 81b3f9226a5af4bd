/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc_samples.h - one valid payload of every IPC message type, for tests
 *
 * DOC: Theory of Operation
 *
 * The unit test of the catalogue (test_ipc.c), the fuzz seed generator
 * (tests/fuzz/gen_ipc_corpus.c) and the size check of the hostile peer
 * (tests/hostile/lib/check_msgnums.py, through ipc_sizes) all need a well
 * formed message of each type.  They take it from here, so a change to a
 * payload struct in ipc/msg.h is followed in one place, and a type added
 * there without a sample is caught: ipc_sample_fill() refuses a type it
 * has no row for, and test_ipc and gen_ipc_corpus fail on that.
 */
#ifndef NSPLICE_TESTS_IPC_SAMPLES_H
#define NSPLICE_TESTS_IPC_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/msg.h"

/**
 * union ipc_sample - any payload, plus room for one byte too many
 * @hello:	HELLO
 * @forward:	FORWARD, BIND and UDP_TARGET
 * @done:	CONFIG_DONE, RELAY_READY, AGENT_READY, DRAIN
 * @bound:	BOUND
 * @listener:	LISTENER
 * @pool_req:	POOL_REQ
 * @pool_fds:	POOL_FDS
 * @ns_addrs:	NS_ADDRS
 * @limits:	RELAY_LIMITS
 * @id:		UNBIND, UNBOUND, FORWARD_DEL, UDP_TARGET_DEL
 * @chan:	RELAY_CHAN, AGENT_CHAN, AGENT_BAD
 * @agent_conf:	AGENT_CONF
 * @ports:	PORTS
 * @stats_req:	STATS_REQ
 * @stats:	STATS
 * @stats_done:	STATS_DONE
 * @allow:	CONNECT_ALLOW
 * @pool_allow:	POOL_ALLOW
 * @pool_denied: POOL_DENIED
 * @udp_req:	UDP_POOL_REQ
 * @udp_fds:	UDP_POOL_FDS
 * @raw:	bytes
 */
union ipc_sample {
	IPC_PAYLOAD_VIEWS
	uint8_t raw[IPC_PAYLOAD_MAX + 1];
};

bool ipc_sample_fill(unsigned type, union ipc_sample *p, unsigned nfds);
size_t ipc_sample_size(unsigned type);
const char *ipc_sample_name(unsigned type);
void ipc_sample_addr(union inany *a, const char *text);

#endif /* NSPLICE_TESTS_IPC_SAMPLES_H */
