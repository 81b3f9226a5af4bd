// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * target.c - where an accepted connection is connected to
 *
 * DOC: Theory of Operation
 *
 * This is where nsplice keeps its loopback-safety promise (README.md,
 * "Addresses and loopback safety"; CVE-2021-20199 is what happens
 * otherwise).  For a connection accepted on forward R from client C, the
 * other side is connected at:
 *
 *  1. R's explicit target address, if it has one (FWD_F_TARGET_ADDR):
 *     naming the other side's loopback there is the user's explicit opt-in;
 *  2. else, if C is on the loopback network (127/8, ::1, or IPv4-mapped
 *     127/8), the other side's loopback of R's family: a local client
 *     reaches local services;
 *  3. else the other side's external address of R's family, as its agent
 *     last reported it (NS_ADDRS), and if it has none, nowhere: the client
 *     is reset.
 *
 * A client that is not on loopback never reaches the other side's
 * loopback, whatever the agent reports: an external address that is
 * loopback or unspecified (connect() to 0.0.0.0 or :: reaches loopback too)
 * refuses the client as well, even though ipc.c and chan.c already reject
 * such reports.
 *
 * No system calls, no logging: the caller logs refusals with the listener
 * and client in the line.
 */
#include <string.h>

#include "relay/target.h"

/**
 * target_family() - family of the sockets a forward connects with
 * @fwd:	forward
 *
 * Return: the explicit target's family, else the listener's
 */
int target_family(const struct msg_forward *fwd)
{
	if (fwd->flags & FWD_F_TARGET_ADDR)
		return fwd->target_family;
	return fwd->family;
}

/**
 * external_addr() - the other side's external address of one family
 * @other:	last NS_ADDRS of the other side
 * @af:		AF_INET or AF_INET6
 * @a:		set to the address if there is a usable one
 *
 * Return: 1 if @a was set, 0 if that side has no usable address of @af
 */
static int external_addr(const struct msg_ns_addrs *other, int af,
			 union inany *a)
{
	unsigned flag = af == AF_INET ? NS_ADDR_F_V4 : NS_ADDR_F_V6;
	const union inany *src = af == AF_INET ? &other->addr4 : &other->addr6;

	if (!(other->flags & flag))
		return 0;
	/* Defence in depth: ipc.c and chan.c checked it already */
	if (!inany_loopback_safe(af, src, INANY_USE_EXTERNAL))
		return 0;
	*a = *src;
	return 1;
}

/**
 * target_select() - choose the address a new connection goes to
 * @fwd:	forward the connection was accepted on
 * @client_af:	family of the client address, as accept4() returned it
 * @client:	client address
 * @other:	last NS_ADDRS of the side that connects (zeroed if none came)
 * @t:		filled with the target; t->how is TARGET_REFUSE on refusal
 *
 * Return: t->how
 */
unsigned target_select(const struct msg_forward *fwd, int client_af,
		       const union inany *client,
		       const struct msg_ns_addrs *other,
		       struct flow_target *t)
{
	memset(t, 0, sizeof(*t));
	t->port = fwd->target_port;
	if (fwd->flags & FWD_F_TARGET_ADDR) {
		t->af = fwd->target_family;
		t->addr = fwd->target_addr;
		t->how = TARGET_EXPLICIT;
	} else if (inany_af_valid(client_af) &&
		   inany_is_loopback(client_af, client)) {
		t->af = fwd->family;
		inany_loopback(t->af, &t->addr);
		t->how = TARGET_LOOPBACK;
	} else if (external_addr(other, fwd->family, &t->addr)) {
		t->af = fwd->family;
		t->how = TARGET_EXTERNAL;
	} else {
		t->af = fwd->family;
		t->how = TARGET_REFUSE;
	}
	return t->how;
}

/**
 * target_is_local() - tell whether a target is in the other namespace
 *		       itself, reached over its loopback device
 * @t:		target chosen by target_select()
 *
 * The other side's loopback is, and so is its external address: one of its
 * own interface addresses (nsagent/addrs.c), which the local routing table
 * sends over lo.  An explicit target counts only if it is a loopback
 * address: it may name another machine.
 *
 * Return: true if the connection to @t never leaves this kernel's loopback
 */
bool target_is_local(const struct flow_target *t)
{
	return t->how == TARGET_LOOPBACK || t->how == TARGET_EXTERNAL ||
	       inany_is_loopback(t->af, &t->addr);
}

/**
 * target_how_str() - name of a target rule, for log lines
 * @how:	enum target_how
 *
 * Return: a static string
 */
const char *target_how_str(unsigned how)
{
	static const char *const names[] = {
		[TARGET_REFUSE] = "refused",
		[TARGET_EXPLICIT] = "explicit",
		[TARGET_LOOPBACK] = "loopback",
		[TARGET_EXTERNAL] = "external",
	};

	return how <= TARGET_EXTERNAL ? names[how] : "?";
}
