/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp.h - UDP forwards in the relay: flows, pools of connected sockets
 *
 * DOC: Theory of Operation
 *
 * The interface between the relay's generic parts (loop, channels,
 * listeners) and udp.c, which owns everything UDP: see the theory of
 * operation there.  Every function is a no-op or a clean refusal while
 * no UDP forward exists, so a TCP-only relay allocates nothing for UDP.
 */
#ifndef NSPLICE_RELAY_UDP_H
#define NSPLICE_RELAY_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"

struct relay;
struct listener;

void udp_hold_low_fds(void);
const char *udp_listener_add(struct relay *r, struct listener *l,
			     struct ipc_msg *m);
void udp_forward_del(struct relay *r, struct listener *l);
bool udp_forward_drain(struct relay *r, struct listener *l);
uint32_t udp_flows_open(const struct relay *r);
void udp_listen_event(struct relay *r, struct listener *l, uint32_t ev);
void udp_flow_event(struct relay *r, uint32_t idx, uint32_t gen);
const char *udp_pool_fds(struct relay *r, unsigned side, struct ipc_msg *m);
void udp_agent_lost(struct relay *r, unsigned side);
void udp_pool_lost(struct relay *r, const struct msg_udp_pool_fds *h);
void udp_agent_back(struct relay *r, unsigned side);
int udp_wait_ms(struct relay *r, int wait);
void udp_tick(struct relay *r);
void udp_drops_sync(const struct relay *r, struct listener *l);
void udp_stats_fill(const struct relay *r, const struct listener *l,
		    struct msg_stats *st);
void udp_fini(struct relay *r);
unsigned long udp_fds_held(const struct relay *r);

#endif /* NSPLICE_RELAY_UDP_H */
