/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * target.h - where an accepted connection is connected to
 *
 * DOC: Theory of Operation
 *
 * See target.c.  Pure functions: the unit test drives them directly.
 */
#ifndef NSPLICE_RELAY_TARGET_H
#define NSPLICE_RELAY_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/msg.h"

/**
 * enum target_how - which rule chose the target
 * @TARGET_REFUSE:	none: reset the client
 * @TARGET_EXPLICIT:	the forward's explicit target address
 * @TARGET_LOOPBACK:	other side's loopback, for a loopback client
 * @TARGET_EXTERNAL:	other side's external address, for any other client
 */
enum target_how {
	TARGET_REFUSE = 0,
	TARGET_EXPLICIT,
	TARGET_LOOPBACK,
	TARGET_EXTERNAL,
};

/**
 * struct flow_target - address a new flow connects to
 * @how:	enum target_how
 * @af:		AF_INET or AF_INET6, also the family of the pool socket
 * @addr:	address
 * @port:	port, host byte order
 */
struct flow_target {
	unsigned how;
	int af;
	union inany addr;
	uint16_t port;
};

int target_family(const struct msg_forward *fwd);
unsigned target_select(const struct msg_forward *fwd, int client_af,
		       const union inany *client,
		       const struct msg_ns_addrs *other,
		       struct flow_target *t);
bool target_is_local(const struct flow_target *t);
const char *target_how_str(unsigned how);

#endif /* NSPLICE_RELAY_TARGET_H */
