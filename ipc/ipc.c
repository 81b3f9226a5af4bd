// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc.c - message catalogue, sending with descriptors, central validation
 *
 * DOC: Theory of Operation
 *
 * ipc_catalogue[] has one row per enum ipc_type: exact payload size, the
 * least and most descriptors, the directions the type may travel (IPC_DIR
 * bits), and a check of its fields.  ipc_validate() applies the row; see
 * ipc.h for the contract.  The model is OpenBSD's imsg, made stricter: no
 * variable-length payloads at all, so a length is either exactly right or
 * the peer is compromised.
 *
 * Syscalls: sendmsg (supervisor, agents), send (relay: never with fds),
 * recvmsg, close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "ipc/log.h"

/* IPC_SEND_TRIES - sends ipc_send_wait() tries, with a wait before each
 * but the first */
#define IPC_SEND_TRIES		3

#define D(f, t) IPC_DIR(ROLE_##f, ROLE_##t)

/**
 * struct ipc_type_row - what the catalogue says about one type
 * @name:	for log lines
 * @size:	exact payload size
 * @fds_min:	fewest descriptors attached
 * @fds_max:	most descriptors attached
 * @dirs:	IPC_DIR() bits it may travel
 * @check:	field check, NULL if any value is acceptable; returns NULL if
 *		the payload is valid, otherwise what is wrong with it
 */
struct ipc_type_row {
	const char *name;
	size_t size;
	unsigned fds_min;
	unsigned fds_max;
	unsigned dirs;
	const char *(*check)(const struct ipc_msg *m);
};

/**
 * check_hello() - HELLO carries our version and a known role and side
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_hello(const struct ipc_msg *m)
{
	const struct msg_hello *h = &m->u.hello;

	if (h->version != IPC_PROTO_VERSION)
		return "protocol version mismatch";
	if (h->role != ROLE_AGENT && h->role != ROLE_RELAY)
		return "bad role";
	if (h->side >= SIDE_COUNT)
		return "bad side";
	return NULL;
}

/**
 * check_forward() - FORWARD and BIND describe a sane listener
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_forward(const struct ipc_msg *m)
{
	const struct msg_forward *f = &m->u.forward;

	if (f->id >= FWD_ID_MAX)
		return "listener id out of range";
	if (f->listen_side >= SIDE_COUNT)
		return "bad side";
	if (!inany_af_valid(f->family))
		return "bad family";
	if (f->flags & ~FWD_F_ALL)
		return "unknown flags";
	if ((f->flags & FWD_F_PROXY) && (f->flags & FWD_F_UDP))
		return "PROXY header on a UDP forward";
	if ((f->flags & FWD_F_TARGET_ADDR) &&
	    (!inany_af_valid(f->target_family) ||
	     !inany_loopback_safe(f->target_family, &f->target_addr,
				  INANY_USE_TARGET)))
		return "bad target address";
	if (!f->listen_port || !f->target_port)
		return "port zero";
	if (memchr(f->ifname, '\0', sizeof(f->ifname)) == NULL)
		return "interface name not terminated";
	return NULL;
}

/**
 * check_bound() - BOUND carries a plausible errno
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_bound(const struct ipc_msg *m)
{
	if (m->u.bound.id >= FWD_ID_MAX)
		return "listener id out of range";
	if (m->u.bound.error < 0 || m->u.bound.error > 4095)
		return "bad error number";
	return NULL;
}

/**
 * check_listener() - LISTENER names a listener id in range
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_listener(const struct ipc_msg *m)
{
	return m->u.listener.id < FWD_ID_MAX ? NULL : "listener id out of range";
}

/**
 * check_pool_req() - POOL_REQ asks for a sane number of sockets
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_pool_req(const struct ipc_msg *m)
{
	if (!inany_af_valid((int)m->u.pool_req.family))
		return "bad family";
	if (!m->u.pool_req.count || m->u.pool_req.count > POOL_REQ_MAX)
		return "socket count out of range";
	return NULL;
}

/**
 * check_pool_fds() - POOL_FDS says how many sockets it really carries
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_pool_fds(const struct ipc_msg *m)
{
	if (!inany_af_valid((int)m->u.pool_fds.family))
		return "bad family";
	if (m->u.pool_fds.count != m->nfds)
		return "socket count does not match descriptors";
	return NULL;
}

/**
 * ns_addr_ok() - can an address stand for a side's external address
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * The relay connects non-loopback clients there: the loopback-safety rule
 * (inany_loopback_safe(), the one place it is written) decides.
 *
 * Return: true if usable
 */
static bool ns_addr_ok(int af, const union inany *a)
{
	return inany_loopback_safe(af, a, INANY_USE_EXTERNAL);
}

/**
 * check_ns_addrs() - NS_ADDRS carries only usable external addresses
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_ns_addrs(const struct ipc_msg *m)
{
	const struct msg_ns_addrs *a = &m->u.ns_addrs;

	if (a->flags & ~(NS_ADDR_F_V4 | NS_ADDR_F_V6))
		return "unknown flags";
	if (a->pad[0] || a->pad[1] || a->pad[2])
		return "padding not zero";
	if ((a->flags & NS_ADDR_F_V4) && !ns_addr_ok(AF_INET, &a->addr4))
		return "IPv4 address is not a global unicast address";
	if ((a->flags & NS_ADDR_F_V6) && !ns_addr_ok(AF_INET6, &a->addr6))
		return "IPv6 address is not a global unicast address";
	return NULL;
}

/**
 * check_id() - UNBIND, UNBOUND, FORWARD_DEL name a listener id in range
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_id(const struct ipc_msg *m)
{
	return m->u.id.id < FWD_ID_MAX ? NULL : "listener id out of range";
}

/**
 * check_chan() - RELAY_CHAN, AGENT_CHAN, AGENT_BAD name a side
 * @m:		message
 *
 * The descriptor itself is checked by its receiver (ipc_chan_check()).
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_chan(const struct ipc_msg *m)
{
	return m->u.chan.side < SIDE_COUNT ? NULL : "bad side";
}

/**
 * check_agent_conf() - AGENT_CONF holds settings setsockopt() accepts
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_agent_conf(const struct ipc_msg *m)
{
	const struct msg_agent_conf *c = &m->u.agent_conf;

	if (c->scan > 1)
		return "bad scan flag";
	if (!c->ka_idle)
		return c->ka_intvl || c->ka_cnt ? "keepalive settings without "
						  "keepalive" : NULL;
	if (c->ka_idle > KEEPALIVE_MAX || !c->ka_intvl ||
	    c->ka_intvl > KEEPALIVE_MAX || !c->ka_cnt ||
	    c->ka_cnt > KEEPALIVE_CNT_MAX)
		return "keepalive setting out of range";
	return NULL;
}

/**
 * check_ports() - PORTS lists a sane number of non-zero ports
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_ports(const struct ipc_msg *m)
{
	const struct msg_ports *p = &m->u.ports;
	unsigned i;

	if (!inany_af_valid(p->family))
		return "bad family";
	if (p->flags & ~(PORTS_F_LISTENING | PORTS_F_LAST | PORTS_F_UDP))
		return "unknown flags";
	if (p->count > PORTS_MAX || (!p->count && !(p->flags & PORTS_F_LAST)))
		return "port count out of range";
	for (i = 0; i < PORTS_MAX; i++)
		if (i < p->count ? !p->port[i] : p->port[i] != 0)
			return "port zero, or unused entry not zero";
	return NULL;
}

/**
 * check_stats_req() - STATS_REQ has known flags
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_stats_req(const struct ipc_msg *m)
{
	return (m->u.stats_req.flags & ~STATS_F_LISTENERS) ? "unknown flags"
							    : NULL;
}

/**
 * check_stats() - STATS names a listener id in range
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_stats(const struct ipc_msg *m)
{
	return m->u.stats.id < FWD_ID_MAX ? NULL : "listener id out of range";
}

/**
 * check_connect_allow() - CONNECT_ALLOW names a port range
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_connect_allow(const struct ipc_msg *m)
{
	if (!m->u.allow.first || m->u.allow.last < m->u.allow.first)
		return "bad port range";
	return NULL;
}

/**
 * check_pool_allow() - POOL_ALLOW names only known families
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_pool_allow(const struct ipc_msg *m)
{
	if (m->u.pool_allow.families & ~(uint32_t)POOL_ALLOW_ALL)
		return "unknown family bits";
	return NULL;
}

/**
 * check_pool_denied() - POOL_DENIED quotes a request that was valid
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_pool_denied(const struct ipc_msg *m)
{
	if (!inany_af_valid((int)m->u.pool_denied.family))
		return "bad family";
	if (!m->u.pool_denied.count ||
	    m->u.pool_denied.count > POOL_REQ_MAX)
		return "socket count out of range";
	return NULL;
}

/**
 * check_relay_limits() - RELAY_LIMITS holds values a kernel could report
 * @m:		message
 *
 * Return: NULL if valid, else a reason
 */
static const char *check_relay_limits(const struct ipc_msg *m)
{
	const struct msg_relay_limits *l = &m->u.limits;

	if (l->pipe_max_size < 4096)
		return "pipe size below one page";
	if (l->pipe_accounted > 1)
		return "bad accounting flag";
	if (l->idle_timeout > IDLE_TIMEOUT_MAX)
		return "idle timeout out of range";
	if (l->udp_timeout > UDP_TIMEOUT_MAX)
		return "UDP timeout out of range";
	if (l->busy_poll_us > BUSY_POLL_MAX)
		return "busy-poll time out of range";
	return NULL;
}

/**
 * check_udp_target() - UDP_TARGET: a UDP forward the agent connects for
 * @m:		message
 *
 * Return: NULL if valid, else why not
 */
static const char *check_udp_target(const struct ipc_msg *m)
{
	if (!(m->u.forward.flags & FWD_F_UDP))
		return "not a UDP forward";
	return check_forward(m);
}

/**
 * check_udp_pool_req() - UDP_POOL_REQ fields
 * @m:		message
 *
 * Return: NULL if valid, else why not
 */
static const char *check_udp_pool_req(const struct ipc_msg *m)
{
	const struct msg_udp_pool_req *r = &m->u.udp_req;

	if (r->id >= FWD_ID_MAX)
		return "listener id out of range";
	if (r->kind >= UDP_KINDS)
		return "bad kind";
	if (!r->count || r->count > POOL_REQ_MAX)
		return "socket count out of range";
	return NULL;
}

/**
 * check_udp_pool_fds() - UDP_POOL_FDS fields
 * @m:		message
 *
 * Return: NULL if valid, else why not
 */
static const char *check_udp_pool_fds(const struct ipc_msg *m)
{
	const struct msg_udp_pool_fds *f = &m->u.udp_fds;

	if (f->id >= FWD_ID_MAX)
		return "listener id out of range";
	if (f->kind >= UDP_KINDS)
		return "bad kind";
	if (f->count != m->nfds)
		return "socket count does not match descriptors";
	return NULL;
}

static const struct ipc_type_row ipc_catalogue[MSG_TYPE_MAX] = {
	[MSG_HELLO] = { "HELLO", sizeof(struct msg_hello), 0, 0,
		D(AGENT, SUPERVISOR) | D(RELAY, SUPERVISOR), check_hello },
	[MSG_FORWARD] = { "FORWARD", sizeof(struct msg_forward), 0, 0,
		D(SUPERVISOR, RELAY), check_forward },
	[MSG_CONFIG_DONE] = { "CONFIG_DONE", sizeof(struct msg_config_done),
		0, 0, D(SUPERVISOR, RELAY) | D(SUPERVISOR, AGENT), NULL },
	[MSG_RELAY_READY] = { "RELAY_READY", sizeof(struct msg_config_done),
		0, 0, D(RELAY, SUPERVISOR), NULL },
	[MSG_BIND] = { "BIND", sizeof(struct msg_forward), 0, 1,
		D(SUPERVISOR, AGENT), check_forward },
	[MSG_BOUND] = { "BOUND", sizeof(struct msg_bound), 0, 0,
		D(AGENT, SUPERVISOR), check_bound },
	[MSG_AGENT_READY] = { "AGENT_READY", sizeof(struct msg_config_done),
		0, 0, D(AGENT, SUPERVISOR), NULL },
	[MSG_LISTENER] = { "LISTENER", sizeof(struct msg_listener), 1, 1,
		D(AGENT, RELAY), check_listener },
	[MSG_POOL_REQ] = { "POOL_REQ", sizeof(struct msg_pool_req), 0, 0,
		D(RELAY, AGENT), check_pool_req },
	[MSG_POOL_FDS] = { "POOL_FDS", sizeof(struct msg_pool_fds), 1,
		IPC_FDS_MAX, D(AGENT, RELAY), check_pool_fds },
	[MSG_NS_ADDRS] = { "NS_ADDRS", sizeof(struct msg_ns_addrs), 0, 0,
		D(AGENT, RELAY), check_ns_addrs },
	[MSG_RELAY_LIMITS] = { "RELAY_LIMITS", sizeof(struct msg_relay_limits),
		0, 0, D(SUPERVISOR, RELAY), check_relay_limits },
	[MSG_UNBIND] = { "UNBIND", sizeof(struct msg_id), 0, 0,
		D(SUPERVISOR, AGENT), check_id },
	[MSG_UNBOUND] = { "UNBOUND", sizeof(struct msg_id), 0, 0,
		D(AGENT, SUPERVISOR), check_id },
	[MSG_FORWARD_DEL] = { "FORWARD_DEL", sizeof(struct msg_id), 0, 0,
		D(SUPERVISOR, RELAY), check_id },
	[MSG_RELAY_CHAN] = { "RELAY_CHAN", sizeof(struct msg_chan), 1, 1,
		D(SUPERVISOR, AGENT), check_chan },
	[MSG_AGENT_CHAN] = { "AGENT_CHAN", sizeof(struct msg_chan), 1, 1,
		D(SUPERVISOR, RELAY), check_chan },
	[MSG_AGENT_CONF] = { "AGENT_CONF", sizeof(struct msg_agent_conf), 0, 0,
		D(SUPERVISOR, AGENT), check_agent_conf },
	[MSG_PORTS] = { "PORTS", sizeof(struct msg_ports), 0, 0,
		D(AGENT, SUPERVISOR), check_ports },
	[MSG_STATS_REQ] = { "STATS_REQ", sizeof(struct msg_stats_req), 0, 0,
		D(SUPERVISOR, RELAY), check_stats_req },
	[MSG_STATS] = { "STATS", sizeof(struct msg_stats), 0, 0,
		D(RELAY, SUPERVISOR), check_stats },
	[MSG_STATS_DONE] = { "STATS_DONE", sizeof(struct msg_stats_done), 0, 0,
		D(RELAY, SUPERVISOR), NULL },
	[MSG_DRAIN] = { "DRAIN", sizeof(struct msg_config_done), 0, 0,
		D(SUPERVISOR, RELAY), NULL },
	[MSG_CONNECT_ALLOW] = { "CONNECT_ALLOW",
		sizeof(struct msg_connect_allow), 0, 0, D(SUPERVISOR, RELAY),
		check_connect_allow },
	[MSG_POOL_ALLOW] = { "POOL_ALLOW", sizeof(struct msg_pool_allow), 0, 0,
		D(SUPERVISOR, AGENT), check_pool_allow },
	[MSG_POOL_DENIED] = { "POOL_DENIED", sizeof(struct msg_pool_denied),
		0, 0, D(AGENT, SUPERVISOR), check_pool_denied },
	[MSG_AGENT_BAD] = { "AGENT_BAD", sizeof(struct msg_chan), 0, 0,
		D(RELAY, SUPERVISOR), check_chan },
	[MSG_UDP_TARGET] = { "UDP_TARGET", sizeof(struct msg_forward), 0, 0,
		D(SUPERVISOR, AGENT), check_udp_target },
	[MSG_UDP_TARGET_DEL] = { "UDP_TARGET_DEL", sizeof(struct msg_id), 0, 0,
		D(SUPERVISOR, AGENT), check_id },
	[MSG_UDP_POOL_REQ] = { "UDP_POOL_REQ", sizeof(struct msg_udp_pool_req),
		0, 0, D(RELAY, AGENT), check_udp_pool_req },
	[MSG_UDP_POOL_FDS] = { "UDP_POOL_FDS", sizeof(struct msg_udp_pool_fds),
		0, IPC_FDS_MAX, D(AGENT, RELAY), check_udp_pool_fds },
};

/**
 * ipc_row() - catalogue row of a type
 * @type:	enum ipc_type, possibly hostile
 *
 * Return: the row, or NULL for an unknown type
 */
static const struct ipc_type_row *ipc_row(unsigned type)
{
	if (type >= MSG_TYPE_MAX || !ipc_catalogue[type].name)
		return NULL;
	return &ipc_catalogue[type];
}

/**
 * ipc_type_name() - printable name of a type
 * @type:	enum ipc_type, possibly hostile
 *
 * Return: name, or "unknown"
 */
const char *ipc_type_name(unsigned type)
{
	const struct ipc_type_row *r = ipc_row(type);

	return r ? r->name : "unknown";
}

/* STATS_OFF, STATS_COUNTERS - where the 64-bit counters of struct
 * msg_stats start, and how many there are: they follow @id and @open to
 * the end of the record without a gap */
#define STATS_OFF		offsetof(struct msg_stats, accepted)
#define STATS_COUNTERS		\
	((sizeof(struct msg_stats) - STATS_OFF) / sizeof(uint64_t))
_Static_assert(offsetof(struct msg_stats, drops) +
	       sizeof(((struct msg_stats *)0)->drops) ==
	       sizeof(struct msg_stats), "msg_stats ends with its counters");

/**
 * stats_add() - add one listener's counters to a sum
 * @sum:	counters to add to; its @id and @open are left as they are
 * @a:		counters to add
 *
 * The supervisor keeps a listener's totals across relays as the sum of
 * what earlier relays reported and what the current one reports.  Every
 * number comes from a relay, which may be compromised: a sum stops at
 * UINT64_MAX rather than wrap round to a small number.
 */
void stats_add(struct msg_stats *sum, const struct msg_stats *a)
{
	uint64_t s[STATS_COUNTERS], v[STATS_COUNTERS];
	unsigned k;

	memcpy(s, (char *)sum + STATS_OFF, sizeof(s));
	memcpy(v, (const char *)a + STATS_OFF, sizeof(v));
	for (k = 0; k < STATS_COUNTERS; k++)
		s[k] = s[k] > UINT64_MAX - v[k] ? UINT64_MAX : s[k] + v[k];
	memcpy((char *)sum + STATS_OFF, s, sizeof(s));
}

/**
 * stats_rise() - how far each counter rose since the last report
 * @last:	counters last reported, each raised to @now's if higher
 * @now:	counters reported now
 * @rise:	filled: each counter's rise, 0 where @now is not higher; @id
 *		and @open left as they are
 *
 * A relay's counters only grow; one reported lower (a compromised relay)
 * takes nothing back, and only what rises above the highest yet counts,
 * so no number is counted twice.
 */
void stats_rise(struct msg_stats *last, const struct msg_stats *now,
		struct msg_stats *rise)
{
	uint64_t l[STATS_COUNTERS], n[STATS_COUNTERS];
	uint64_t d[STATS_COUNTERS] = { 0 };	/* for cppcheck */
	unsigned k;

	memcpy(l, (char *)last + STATS_OFF, sizeof(l));
	memcpy(n, (const char *)now + STATS_OFF, sizeof(n));
	for (k = 0; k < STATS_COUNTERS; k++) {
		d[k] = n[k] > l[k] ? n[k] - l[k] : 0;
		l[k] += d[k];
	}
	memcpy((char *)last + STATS_OFF, l, sizeof(l));
	memcpy((char *)rise + STATS_OFF, d, sizeof(d));
}

/**
 * ipc_payload_size() - exact payload size of a type
 * @type:	enum ipc_type
 *
 * Return: size in bytes, 0 for an unknown type
 */
size_t ipc_payload_size(unsigned type)
{
	const struct ipc_type_row *r = ipc_row(type);

	return r ? r->size : 0;
}

/**
 * ipc_peer_gone() - whether a failed ipc_send() means the peer has ended
 * @err:	its errno
 *
 * Return: true for EPIPE and ECONNRESET: the other end is closed, and the
 * channel's hang-up is waiting to be read
 */
bool ipc_peer_gone(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

/**
 * send_msg() - send one message, with descriptors if the type allows them
 * @c:		channel
 * @type:	enum ipc_type
 * @payload:	typed payload, ipc_payload_size(@type) bytes
 * @fds:	descriptors to pass, or NULL
 * @nfds:	number of descriptors
 * @flags:	send() flags besides MSG_NOSIGNAL (MSG_DONTWAIT or 0)
 *
 * The sender checks its own message against the catalogue too: a bug here
 * would otherwise show up as the peer closing the channel.  Messages
 * without descriptors go out with send(), so the relay needs no sendmsg().
 *
 * Return: 0 on success, -1 with errno set (EINVAL for a catalogue mismatch)
 */
static int send_msg(const struct ipc_chan *c, unsigned type,
		    const void *payload, const int *fds, unsigned nfds,
		    int flags)
{
	const struct ipc_type_row *r = ipc_row(type);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
	} ctl;
	char buf[sizeof(struct ipc_hdr) + IPC_PAYLOAD_MAX];
	struct ipc_hdr h;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	size_t size;
	ssize_t n;

	if (!r || nfds < r->fds_min || nfds > r->fds_max ||
	    c->self >= ROLE_COUNT || c->peer >= ROLE_COUNT ||
	    !(r->dirs & IPC_DIR(c->self, c->peer)) || c->fd < 0) {
		errno = EINVAL;
		return -1;
	}
	size = ipc_payload_size(type);
	h.type = (uint16_t)type;
	h.len = (uint16_t)size;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, size);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + size;

	if (!nfds) {
		do
			n = send(c->fd, buf, iov.iov_len, MSG_NOSIGNAL | flags);
		while (n < 0 && errno == EINTR);
		return n == (ssize_t)iov.iov_len ? 0 : -1;
	}

	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	/* What CMSG_FIRSTHDR(&mh) returns, without its NULL branch for a
	 * control buffer too short for one header, which this one never is */
	cm = &ctl.align;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)iov.iov_len ? 0 : -1;
}

/**
 * ipc_send() - send one message, waiting for room if the channel blocks
 * @c:		channel
 * @type:	enum ipc_type
 * @payload:	typed payload, ipc_payload_size(@type) bytes
 * @fds:	descriptors to pass, or NULL
 * @nfds:	number of descriptors
 *
 * Return: 0 on success, -1 with errno set (EINVAL for a catalogue
 * mismatch, EAGAIN on a non-blocking channel that is full)
 */
int ipc_send(const struct ipc_chan *c, unsigned type, const void *payload,
	     const int *fds, unsigned nfds)
{
	return send_msg(c, type, payload, fds, nfds, 0);
}

/**
 * ipc_send_wait() - send one message, waiting for room a bounded time
 * @c:		channel, blocking or not
 * @type:	enum ipc_type
 * @payload:	typed payload, ipc_payload_size(@type) bytes
 * @fds:	descriptors to pass, or NULL
 * @nfds:	number of descriptors
 * @wait_ms:	how long to wait for room, twice at most
 *
 * For a sender that must not hang on a peer that stopped reading: a
 * channel whose queue is full (about 280 messages) blocked send() for as
 * long as the peer liked, and the supervisor's whole loop with it (an
 * audit stopped a relay and sent 280 status requests: the control
 * socket, SIGTERM and every restart were dead until the relay went on).
 * Room is waited for with poll(POLLOUT), which a Unix socket reports
 * once a message fits, then the message goes out with MSG_DONTWAIT.
 *
 * Return: 0 on success, -1 with errno set: ETIMEDOUT if there was no room
 * in time, else as ipc_send()
 */
int ipc_send_wait(const struct ipc_chan *c, unsigned type,
		  const void *payload, const int *fds, unsigned nfds,
		  int wait_ms)
{
	struct pollfd p = { c->fd, POLLOUT, 0 };
	int tries;

	for (tries = 0; tries < IPC_SEND_TRIES; tries++) {
		if (!send_msg(c, type, payload, fds, nfds, MSG_DONTWAIT))
			return 0;
		if (errno != EAGAIN)
			return -1;
		if (tries + 1 < IPC_SEND_TRIES &&
		    poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}

/**
 * ipc_fds_close() - close an array of received descriptors
 * @fds:	descriptors
 * @nfds:	how many
 */
void ipc_fds_close(const int *fds, unsigned nfds)
{
	unsigned i;

	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * ipc_why_ctrunc - the reason for MSG_CTRUNC, compared by address: the one
 * failure a receiver may cause itself (no descriptor left to install what
 * it was sent), which the relay survives instead of treating as an attack
 */
const char ipc_why_ctrunc[] = "descriptors truncated";

/**
 * ipc_validate() - decide whether received bytes and descriptors are a
 *		    message this end accepts
 * @buf:	datagram as received: header and payload
 * @len:	bytes received
 * @msg_flags:	msghdr flags from recvmsg(); MSG_TRUNC/MSG_CTRUNC reject
 * @fds:	descriptors received, already extracted from SCM_RIGHTS
 * @nfds:	number of descriptors
 * @self:	enum ipc_role of the receiver
 * @peer:	enum ipc_role of the sender, as fixed by the channel
 * @m:		filled on success
 * @why:	set to a reason on failure, for the log line
 *
 * On failure every descriptor in @fds is closed, so a hostile peer cannot
 * leave descriptors behind by sending them with a bad message.
 *
 * Return: 1 if @m holds a valid message, IPC_ERR_PROTO otherwise
 */
int ipc_validate(const void *buf, size_t len, int msg_flags,
		 const int *fds, unsigned nfds, unsigned self, unsigned peer,
		 struct ipc_msg *m, const char **why)
{
	const struct ipc_type_row *r;
	struct ipc_hdr h;

	*why = NULL;
	if (msg_flags & MSG_TRUNC)
		*why = "message truncated";
	else if (msg_flags & MSG_CTRUNC)
		*why = ipc_why_ctrunc;
	else if (nfds > IPC_FDS_MAX)
		*why = "too many descriptors";
	else if (len < sizeof(h))
		*why = "shorter than a header";
	if (*why)
		goto bad;

	memcpy(&h, buf, sizeof(h));
	r = ipc_row(h.type);
	if (!r)
		*why = "unknown type";
	else if (h.len != r->size || len != sizeof(h) + r->size)
		*why = "wrong length";
	else if (self >= ROLE_COUNT || peer >= ROLE_COUNT ||
		 !(r->dirs & IPC_DIR(peer, self)))
		*why = "wrong direction";
	else if (nfds < r->fds_min)
		*why = "missing descriptor";
	else if (nfds > r->fds_max)
		*why = "unexpected descriptors";
	if (*why)
		goto bad;

	memset(m, 0, sizeof(*m));
	m->type = h.type;
	m->nfds = nfds;
	if (nfds)
		memcpy(m->fds, fds, sizeof(int) * nfds);
	memcpy(m->u.raw, (const char *)buf + sizeof(h), r->size);
	if (r->check && (*why = r->check(m)))
		goto bad;
	return 1;
bad:
	ipc_fds_close(fds, nfds);
	return IPC_ERR_PROTO;
}

/**
 * collect_fds() - take every SCM_RIGHTS descriptor out of a control buffer
 * @mh:		received message header
 * @fds:	output, IPC_FDS_MAX + 1 slots
 * @nfds:	set to the number stored
 *
 * Descriptors beyond the array are closed at once; any control message
 * that is not SCM_RIGHTS makes the message malformed.  The caller passes an
 * array one larger than IPC_FDS_MAX so "too many" stays detectable.
 *
 * Return: true if the control data was well formed
 */
static bool collect_fds(struct msghdr *mh, int *fds, unsigned *nfds)
{
	struct cmsghdr *cm;
	bool ok = true;

	*nfds = 0;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, n;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0)) {
			ok = false;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (*nfds <= IPC_FDS_MAX)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	return ok;
}

/**
 * ctrunc_describe() - what a message whose descriptors were dropped said
 * @buf:	received bytes
 * @len:	their number
 * @m:		set to the type and payload (no descriptors), or type 0 if
 *		the bytes are not a well-formed message of a known type
 *
 * The message is still refused (IPC_ERR_PROTO, ipc_why_ctrunc); this only
 * lets a receiver that ran out of descriptors itself settle its accounts,
 * e.g. the relay forgetting sockets it will now never receive.  No field
 * check has run: the caller may use the payload only for that.
 */
static void ctrunc_describe(const char *buf, size_t len, struct ipc_msg *m)
{
	const struct ipc_type_row *r;
	struct ipc_hdr h;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	r = ipc_row(h.type);
	if (!r || h.len != r->size || len != sizeof(h) + r->size)
		return;
	m->type = h.type;
	memcpy(m->u.raw, buf + sizeof(h), r->size);
}

/**
 * ipc_recv() - receive and validate one message
 * @c:		channel
 * @m:		filled with a valid message
 * @why:	reason for IPC_ERR_PROTO, for the log line
 *
 * Return: 1 for a message, IPC_EOF, IPC_AGAIN, IPC_ERR_IO (errno set) or
 * IPC_ERR_PROTO; on the last two the caller closes the channel
 */
int ipc_recv(const struct ipc_chan *c, struct ipc_msg *m, const char **why)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * (IPC_FDS_MAX + 1))];
	} ctl;
	/* One byte more than the largest message, to see oversized ones */
	char buf[sizeof(struct ipc_hdr) + IPC_PAYLOAD_MAX + 1];
	int fds[IPC_FDS_MAX + 1];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	unsigned nfds;
	ssize_t n;
	int ret;

	*why = NULL;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return IPC_AGAIN;
		*why = strerror(errno);
		return IPC_ERR_IO;
	}
	if (!collect_fds(&mh, fds, &nfds)) {
		ipc_fds_close(fds, nfds);
		*why = "unexpected control message";
		return IPC_ERR_PROTO;
	}
	if (n == 0 && !nfds && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return IPC_EOF;
	ret = ipc_validate(buf, (size_t)n, mh.msg_flags, fds, nfds, c->self,
			   c->peer, m, why);
	if (ret < 0 && *why == ipc_why_ctrunc)
		ctrunc_describe(buf, (size_t)n, m);
	return ret;
}

/**
 * ipc_close_fds() - close every descriptor a message still holds
 * @m:		message; its descriptors are set to -1
 */
void ipc_close_fds(struct ipc_msg *m)
{
	ipc_fds_close(m->fds, m->nfds);
	memset(m->fds, -1, sizeof(m->fds));
	m->nfds = 0;
}

/**
 * ipc_chan_close() - close a channel once, logging nothing
 * @c:		channel; @c->fd becomes -1
 */
void ipc_chan_close(struct ipc_chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/**
 * ipc_chan_check() - is a received descriptor fit to be a channel
 * @fd:		descriptor from RELAY_CHAN or AGENT_CHAN
 *
 * Only the supervisor sends these, but a receiver checks anyway: a
 * channel must be an AF_UNIX SOCK_SEQPACKET socket, or message boundaries
 * (and with them every length check) mean nothing.
 *
 * Return: NULL if fit, else a reason
 */
const char *ipc_chan_check(int fd)
{
	int dom = 0, type = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) ||
	    len != sizeof(int))
		return "channel descriptor is not a socket";
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    len != sizeof(int))
		return "channel descriptor is not a socket";
	if (dom != AF_UNIX || type != SOCK_SEQPACKET)
		return "channel descriptor is not an AF_UNIX SOCK_SEQPACKET "
		       "socket";
	return NULL;
}
