// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc_samples.c - one valid payload of every IPC message type, for tests
 *
 * DOC: Theory of Operation
 *
 * One fill function per payload layout, one row per message type in
 * samples[] (indexed by type, so a type's row cannot be looked up under
 * another type).  A fill writes field values the catalogue accepts for a
 * message carrying @nfds descriptors, after the caller's bytes of the
 * payload were zeroed by ipc_sample_fill(); the values are arbitrary but
 * not zero where zero would pass a check by accident (ids, ports, counts),
 * and every flag the type allows is set where that stays valid, so a
 * check that refuses a good flag shows up.  Users change single fields of
 * the result to build the refused variants they need.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipc_samples.h"

/**
 * struct sample_row - how to build a valid message of one type
 * @name:	type name without its MSG_ prefix
 * @size:	payload size, sizeof its struct in msg.h
 * @fill:	writes the valid field values
 */
struct sample_row {
	const char *name;
	size_t size;
	void (*fill)(union ipc_sample *p, unsigned nfds);
};

/**
 * ipc_sample_addr() - store a numeric address
 * @a:		output
 * @text:	IPv4 or IPv6 address, written in a test: abort() if invalid
 */
void ipc_sample_addr(union inany *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, a) != 1)
		abort();	/* a typo in this file */
}

/**
 * fill_hello() - valid HELLO from agent[host]
 * @p:		payload
 * @nfds:	unused
 */
static void fill_hello(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->hello.version = IPC_PROTO_VERSION;
	p->hello.role = ROLE_AGENT;
	p->hello.side = SIDE_HOST;
	p->hello.pid = 4242;
}

/**
 * fill_forward() - valid FORWARD or BIND using every flag
 * @p:		payload
 * @nfds:	unused
 */
static void fill_forward(union ipc_sample *p, unsigned nfds)
{
	struct msg_forward *f = &p->forward;

	(void)nfds;
	f->id = 7;
	f->listen_side = SIDE_TARGET;
	f->family = AF_INET;
	f->target_family = AF_INET6;
	f->flags = FWD_F_ALL & ~FWD_F_PROXY;	/* PROXY is TCP only */
	f->listen_port = 8080;
	f->target_port = 80;
	strcpy(f->ifname, "eth0");
	ipc_sample_addr(&f->listen_addr, "192.0.2.1");
	ipc_sample_addr(&f->target_addr, "2001:db8::1");
}

/**
 * fill_done() - valid CONFIG_DONE, RELAY_READY or AGENT_READY
 * @p:		payload
 * @nfds:	unused
 */
static void fill_done(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->done.count = 3;
}

/**
 * fill_bound() - valid BOUND reporting EADDRINUSE
 * @p:		payload
 * @nfds:	unused
 */
static void fill_bound(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->bound.id = 7;
	p->bound.error = EADDRINUSE;
}

/**
 * fill_listener() - valid LISTENER
 * @p:		payload
 * @nfds:	unused
 */
static void fill_listener(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->listener.id = 7;
}

/**
 * fill_pool_req() - valid POOL_REQ
 * @p:		payload
 * @nfds:	unused
 */
static void fill_pool_req(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->pool_req.family = AF_INET6;
	p->pool_req.count = 8;
}

/**
 * fill_pool_fds() - POOL_FDS whose count matches the descriptors
 * @p:		payload
 * @nfds:	descriptors attached
 */
static void fill_pool_fds(union ipc_sample *p, unsigned nfds)
{
	p->pool_fds.family = AF_INET;
	p->pool_fds.count = nfds;
}

/**
 * fill_ns_addrs() - valid NS_ADDRS with both families
 * @p:		payload
 * @nfds:	unused
 */
static void fill_ns_addrs(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->ns_addrs.flags = NS_ADDR_F_V4 | NS_ADDR_F_V6;
	ipc_sample_addr(&p->ns_addrs.addr4, "192.0.2.1");
	ipc_sample_addr(&p->ns_addrs.addr6, "2001:db8::1");
}

/**
 * fill_limits() - valid RELAY_LIMITS
 * @p:		payload
 * @nfds:	unused
 */
static void fill_limits(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->limits.pipe_max_size = 1048576;
	p->limits.pipe_pages_soft = 16384;
	p->limits.pipe_accounted = 1;
	p->limits.max_conns = 0;
	p->limits.idle_timeout = 300;
}

/**
 * fill_id() - valid UNBIND, UNBOUND or FORWARD_DEL
 * @p:		payload
 * @nfds:	unused
 */
static void fill_id(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->id.id = 7;
}

/**
 * fill_chan() - valid RELAY_CHAN or AGENT_CHAN
 * @p:		payload
 * @nfds:	unused
 */
static void fill_chan(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->chan.side = SIDE_TARGET;
}

/**
 * fill_agent_conf() - valid AGENT_CONF: scanning, keepalive on
 * @p:		payload
 * @nfds:	unused
 */
static void fill_agent_conf(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->agent_conf.scan = 1;
	p->agent_conf.ka_idle = 60;
	p->agent_conf.ka_intvl = 10;
	p->agent_conf.ka_cnt = 5;
}

/**
 * fill_ports() - valid PORTS: two ports started listening, not the last
 *		  message of the scan
 * @p:		payload
 * @nfds:	unused
 */
static void fill_ports(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->ports.family = AF_INET;
	p->ports.flags = PORTS_F_LISTENING;
	p->ports.count = 2;
	p->ports.port[0] = 22;
	p->ports.port[1] = 8080;
}

/**
 * fill_stats_req() - valid STATS_REQ asking for every listener
 * @p:		payload
 * @nfds:	unused
 */
static void fill_stats_req(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->stats_req.seq = 11;
	p->stats_req.flags = STATS_F_LISTENERS;
}

/**
 * fill_stats() - valid STATS
 * @p:		payload
 * @nfds:	unused
 */
static void fill_stats(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->stats.id = 7;
	p->stats.open = 2;
	p->stats.accepted = 100;
	p->stats.refused = 3;
	p->stats.errors = 1;
	p->stats.bytes[0] = 1ULL << 40;
	p->stats.bytes[1] = 12345;
}

/**
 * fill_stats_done() - valid STATS_DONE
 * @p:		payload
 * @nfds:	unused
 */
static void fill_stats_done(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->stats_done.seq = 11;
	p->stats_done.flows = 2;
	p->stats_done.flow_limit = 1024;
	p->stats_done.pipes = 4;
	p->stats_done.waiting = 0;
}

/**
 * fill_allow() - valid CONNECT_ALLOW
 * @p:		payload
 * @nfds:	unused
 */
static void fill_allow(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->allow.first = 1000;
	p->allow.last = 2000;
}

/**
 * fill_pool_allow() - valid POOL_ALLOW
 * @p:		payload
 * @nfds:	unused
 */
static void fill_pool_allow(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->pool_allow.families = POOL_ALLOW_V4;
}

/**
 * fill_pool_denied() - valid POOL_DENIED
 * @p:		payload
 * @nfds:	unused
 */
static void fill_pool_denied(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->pool_denied.family = AF_INET6;
	p->pool_denied.count = 16;
}

/**
 * fill_udp_req() - valid UDP_POOL_REQ
 * @p:		payload
 * @nfds:	unused
 */
static void fill_udp_req(union ipc_sample *p, unsigned nfds)
{
	(void)nfds;
	p->udp_req.id = 7;
	p->udp_req.kind = UDP_KIND_EXTERNAL;
	p->udp_req.count = 16;
}

/**
 * fill_udp_fds() - valid UDP_POOL_FDS for @nfds sockets
 * @p:		payload
 * @nfds:	descriptors attached
 */
static void fill_udp_fds(union ipc_sample *p, unsigned nfds)
{
	p->udp_fds.id = 7;
	p->udp_fds.kind = UDP_KIND_LOCAL;
	p->udp_fds.count = nfds;
}

/* ROW() - the samples[] entry of MSG_@type, payload struct msg_@layout */
#define ROW(type, layout, fill)						\
	[MSG_##type] = { #type, sizeof(struct msg_##layout), fill }

/* samples - a valid message of each type of ipc/msg.h */
static const struct sample_row samples[MSG_TYPE_MAX] = {
	ROW(HELLO, hello, fill_hello),
	ROW(FORWARD, forward, fill_forward),
	ROW(CONFIG_DONE, config_done, fill_done),
	ROW(RELAY_READY, config_done, fill_done),
	ROW(BIND, forward, fill_forward),
	ROW(BOUND, bound, fill_bound),
	ROW(AGENT_READY, config_done, fill_done),
	ROW(LISTENER, listener, fill_listener),
	ROW(POOL_REQ, pool_req, fill_pool_req),
	ROW(POOL_FDS, pool_fds, fill_pool_fds),
	ROW(NS_ADDRS, ns_addrs, fill_ns_addrs),
	ROW(RELAY_LIMITS, relay_limits, fill_limits),
	ROW(UNBIND, id, fill_id),
	ROW(UNBOUND, id, fill_id),
	ROW(FORWARD_DEL, id, fill_id),
	ROW(RELAY_CHAN, chan, fill_chan),
	ROW(AGENT_CHAN, chan, fill_chan),
	ROW(AGENT_CONF, agent_conf, fill_agent_conf),
	ROW(PORTS, ports, fill_ports),
	ROW(STATS_REQ, stats_req, fill_stats_req),
	ROW(STATS, stats, fill_stats),
	ROW(STATS_DONE, stats_done, fill_stats_done),
	ROW(DRAIN, config_done, fill_done),
	ROW(CONNECT_ALLOW, connect_allow, fill_allow),
	ROW(POOL_ALLOW, pool_allow, fill_pool_allow),
	ROW(POOL_DENIED, pool_denied, fill_pool_denied),
	ROW(AGENT_BAD, chan, fill_chan),
	ROW(UDP_TARGET, forward, fill_forward),
	ROW(UDP_TARGET_DEL, id, fill_id),
	ROW(UDP_POOL_REQ, udp_pool_req, fill_udp_req),
	ROW(UDP_POOL_FDS, udp_pool_fds, fill_udp_fds),
};

/**
 * row_of() - the sample row of a type
 * @type:	enum ipc_type, any value
 *
 * Return: the row, NULL for a type with none
 */
static const struct sample_row *row_of(unsigned type)
{
	if (type >= MSG_TYPE_MAX || !samples[type].fill)
		return NULL;
	return &samples[type];
}

/**
 * ipc_sample_fill() - a valid payload of a type
 * @type:	enum ipc_type
 * @p:		output; bytes past the type's size are left as they are
 * @nfds:	descriptors the message will carry (counts that name them)
 *
 * Return: false for a type this file has no sample of
 */
bool ipc_sample_fill(unsigned type, union ipc_sample *p, unsigned nfds)
{
	const struct sample_row *r = row_of(type);

	if (!r)
		return false;
	memset(p, 0, r->size);
	r->fill(p, nfds);
	return true;
}

/**
 * ipc_sample_size() - payload size of a type, from the struct in msg.h
 * @type:	enum ipc_type
 *
 * Return: bytes, 0 for a type this file has no sample of
 */
size_t ipc_sample_size(unsigned type)
{
	const struct sample_row *r = row_of(type);

	return r ? r->size : 0;
}

/**
 * ipc_sample_name() - name of a type without its MSG_ prefix
 * @type:	enum ipc_type
 *
 * Return: the name, NULL for a type this file has no sample of
 */
const char *ipc_sample_name(unsigned type)
{
	const struct sample_row *r = row_of(type);

	return r ? r->name : NULL;
}
