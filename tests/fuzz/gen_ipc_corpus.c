// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen_ipc_corpus.c - write the seed corpus of the "ipc" fuzz target
 *
 * DOC: Theory of Operation
 *
 * Usage: gen_ipc_corpus DIR.  Writes one file per case into DIR, in the
 * input layout of fuzz_ipc.c (descriptor count byte, role and flag byte,
 * datagram): a valid message of every catalogue type, in each direction it
 * may travel, with each descriptor count it may carry at its edges, and a
 * set of malformed ones next to them (truncated, a byte short or long, a
 * lying header, unknown types, the wrong direction or descriptor count,
 * and field values the per-type checks refuse).
 *
 * Hand-written bytes rot when a payload changes, so the seeds are built
 * from the structs in msg.h, each starting from the valid message of its
 * type in tests/unit/ipc_samples.c (the one test_ipc.c uses too), and
 * every one is run through ipc_validate()
 * here before it is written: a "valid" seed that the catalogue refuses, or
 * a malformed one it accepts, stops the generator with a message instead
 * of producing a corpus that tests less than it claims; so does a type of
 * the catalogue with no valid seed at all.  The output is
 * committed; run this again after a catalogue change (see README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "tests/unit/ipc_samples.h"

/* HDR_LEN - bytes of struct ipc_hdr on the wire */
#define HDR_LEN		sizeof(struct ipc_hdr)

/* ROLES() - input byte 1 of fuzz_ipc.c: receiver and sender role */
#define ROLES(self, peer)	((uint8_t)((self) | ((peer) << 2)))
/* IN_F_TRUNC, IN_F_CTRUNC - flag bits of input byte 1 */
#define IN_F_TRUNC	0x10U
#define IN_F_CTRUNC	0x20U

/* SEED_MAX - bytes of one seed: prefix, header, payload and one spare */
#define SEED_MAX	(2 + HDR_LEN + IPC_PAYLOAD_MAX + 1)

/* PATH_LEN - bytes of one output path */
#define PATH_LEN	4096

/**
 * struct seed - one input being built
 * @name:	file name, without directory
 * @type:	header type
 * @hdr_len:	header length field
 * @payload:	payload bytes
 * @len:	payload bytes written, may differ from the catalogue size
 * @nfds:	descriptor count
 * @roles:	input byte 1 without flags: ROLES(self, peer)
 * @flags:	IN_F_* bits
 * @cut:	cut the datagram to @cut_len bytes (shorter than a header)
 * @cut_len:	bytes kept if @cut
 */
struct seed {
	const char *name;
	unsigned type;
	unsigned hdr_len;
	uint8_t payload[IPC_PAYLOAD_MAX + 1];
	size_t len;
	unsigned nfds;
	uint8_t roles;
	uint8_t flags;
	bool cut;
	size_t cut_len;
};

static const char *outdir;
static int null_fd;

/* has_valid - types with at least one valid seed written, checked at exit */
static bool has_valid[MSG_TYPE_MAX];

/**
 * seed_new() - a well-formed seed of a type with a given payload
 * @name:	file name
 * @type:	enum ipc_type
 * @payload:	payload, ipc_sample_size(@type) bytes
 * @self:	receiver role
 * @peer:	sender role
 * @nfds:	descriptors
 *
 * Return: the seed
 */
static struct seed seed_new(const char *name, unsigned type,
			    const void *payload, unsigned self, unsigned peer,
			    unsigned nfds)
{
	struct seed s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.type = type;
	s.len = ipc_sample_size(type);
	s.hdr_len = (unsigned)s.len;
	memcpy(s.payload, payload, s.len);
	s.roles = ROLES(self, peer);
	s.nfds = nfds;
	return s;
}

/**
 * validate() - run a seed through ipc_validate() as the fuzz target would
 * @s:		seed
 * @buf:	its datagram
 * @len:	datagram length
 *
 * Return: true if accepted
 */
static bool validate(const struct seed *s, const uint8_t *buf, size_t len)
{
	int fds[IPC_FDS_MAX + 1], flags = 0, rc;
	const char *why;
	struct ipc_msg m;
	unsigned i;

	for (i = 0; i < s->nfds; i++)
		fds[i] = dup(null_fd);
	if (s->flags & IN_F_TRUNC)
		flags |= MSG_TRUNC;
	if (s->flags & IN_F_CTRUNC)
		flags |= MSG_CTRUNC;
	rc = ipc_validate(buf, len, flags, fds, s->nfds, s->roles & 3U,
			  s->roles >> 2, &m, &why);
	if (rc == 1)
		ipc_close_fds(&m);
	return rc == 1;
}

/**
 * emit() - check a seed against what it should be, and write it
 * @s:		seed
 * @valid:	whether the catalogue must accept it
 */
static void emit(const struct seed *s, bool valid)
{
	struct ipc_hdr h = { (uint16_t)s->type, (uint16_t)s->hdr_len };
	uint8_t out[SEED_MAX];
	char path[PATH_LEN];
	size_t n = 0;
	FILE *f;

	out[n++] = (uint8_t)s->nfds;
	out[n++] = (uint8_t)(s->roles | s->flags);
	memcpy(out + n, &h, sizeof(h));
	n += sizeof(h);
	memcpy(out + n, s->payload, s->len);
	n += s->len;
	if (s->cut && 2 + s->cut_len < n)
		n = 2 + s->cut_len;
	if (validate(s, out + 2, n - 2) != valid) {
		fprintf(stderr, "gen_ipc_corpus: %s: expected %s\n", s->name,
			valid ? "accepted" : "refused");
		exit(1);
	}
	if (valid)
		has_valid[s->type] = true;
	snprintf(path, sizeof(path), "%s/%s.bin", outdir, s->name);
	f = fopen(path, "wb");
	if (!f || fwrite(out, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "gen_ipc_corpus: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

/**
 * put() - build a seed from a typed payload and emit it
 * @name:	file name in the corpus
 * @type:	enum ipc_type
 * @payload:	typed payload
 * @self:	receiving role
 * @peer:	sending role
 * @nfds:	descriptors attached
 * @valid:	whether the catalogue must accept it
 */
static void put(const char *name, unsigned type, const void *payload,
		unsigned self, unsigned peer, unsigned nfds, bool valid)
{
	struct seed s = seed_new(name, type, payload, self, peer, nfds);

	emit(&s, valid);
}

/**
 * sample() - the valid payload of a type that every seed of it starts from
 * @type:	enum ipc_type
 * @nfds:	descriptors the message will carry
 *
 * Return: the payload; exits if ipc_samples.c has no sample of @type
 */
static union ipc_sample sample(unsigned type, unsigned nfds)
{
	union ipc_sample p;

	memset(&p, 0, sizeof(p));
	if (!ipc_sample_fill(type, &p, nfds)) {
		fprintf(stderr, "gen_ipc_corpus: no sample of type %u\n", type);
		exit(1);
	}
	return p;
}

/**
 * addr() - parse an address known to be valid
 * @text:	numeric IPv4 or IPv6 address
 *
 * Return: the address
 */
static union inany addr(const char *text)
{
	union inany a;
	int af;

	if (inany_parse(text, &af, &a))
		abort();
	return a;
}

/**
 * gen_hello() - HELLO from an agent and from the relay, and bad ones
 */
static void gen_hello(void)
{
	struct msg_hello h = sample(MSG_HELLO, 0).hello;
	struct seed s;

	put("hello-agent", MSG_HELLO, &h, ROLE_SUPERVISOR, ROLE_AGENT, 0, true);
	h.role = ROLE_RELAY;
	h.side = 0;
	/* The truncation seeds below are this valid message, flagged. */
	s = seed_new("hello-relay", MSG_HELLO, &h, ROLE_SUPERVISOR, ROLE_RELAY,
		     0);
	emit(&s, true);
	s.name = "bad-hello-truncated";
	s.flags = IN_F_TRUNC;
	emit(&s, false);
	s.name = "bad-hello-ctruncated";
	s.flags = IN_F_CTRUNC;
	emit(&s, false);
	s = seed_new("bad-hello-short", MSG_HELLO, &h, ROLE_SUPERVISOR,
		     ROLE_RELAY, 0);
	s.len--;
	emit(&s, false);
	s.len += 2;
	s.name = "bad-hello-long";
	emit(&s, false);
	s = seed_new("bad-hello-hdr-len", MSG_HELLO, &h, ROLE_SUPERVISOR,
		     ROLE_RELAY, 0);
	s.hdr_len++;
	emit(&s, false);
	put("bad-hello-direction", MSG_HELLO, &h, ROLE_AGENT, ROLE_SUPERVISOR,
	    0, false);
	put("bad-hello-role-range", MSG_HELLO, &h, ROLE_COUNT, ROLE_RELAY, 0,
	    false);
	put("bad-hello-fd", MSG_HELLO, &h, ROLE_SUPERVISOR, ROLE_RELAY, 1,
	    false);
	h.version++;
	put("bad-hello-version", MSG_HELLO, &h, ROLE_SUPERVISOR, ROLE_RELAY, 0,
	    false);
}

/**
 * forward() - a valid forward listening on loopback
 * @af:		listener family
 * @taddr:	explicit target address, or NULL for the sample's
 *
 * Return: the forward: the sample's, moved to loopback of @af
 */
static struct msg_forward forward(int af, const char *taddr)
{
	struct msg_forward f = sample(MSG_FORWARD, 0).forward;

	f.family = (uint8_t)af;
	f.listen_addr = addr(af == AF_INET ? "127.0.0.1" : "::1");
	if (taddr) {
		int taf;

		inany_parse(taddr, &taf, &f.target_addr);
		f.target_family = (uint8_t)taf;
	}
	f.flags &= (uint8_t)~FWD_F_UDP;		/* TCP unless a seed says UDP */
	return f;
}

/**
 * gen_forward() - FORWARD and BIND, and bad ones
 */
static void gen_forward(void)
{
	struct msg_forward f = forward(AF_INET, NULL);

	put("forward-v4", MSG_FORWARD, &f, ROLE_RELAY, ROLE_SUPERVISOR, 0,
	    true);
	put("bind-v4", MSG_BIND, &f, ROLE_AGENT, ROLE_SUPERVISOR, 0, true);
	/* A BIND may carry an inherited (socket-activated) listener */
	put("bind-v4-fd", MSG_BIND, &f, ROLE_AGENT, ROLE_SUPERVISOR, 1, true);
	put("bad-bind-2-fds", MSG_BIND, &f, ROLE_AGENT, ROLE_SUPERVISOR, 2,
	    false);
	put("bad-forward-fd", MSG_FORWARD, &f, ROLE_RELAY, ROLE_SUPERVISOR, 1,
	    false);
	f = forward(AF_INET6, "2001:db8::5");
	f.flags |= FWD_F_PROXY;
	put("forward-v6-explicit", MSG_FORWARD, &f, ROLE_RELAY, ROLE_SUPERVISOR,
	    0, true);
	f = forward(AF_INET6, "::");
	put("bad-forward-target-any", MSG_FORWARD, &f, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
	f = forward(AF_INET, NULL);
	memset(f.ifname, 'e', sizeof(f.ifname));
	put("bad-bind-ifname", MSG_BIND, &f, ROLE_AGENT, ROLE_SUPERVISOR, 0,
	    false);
	f = forward(AF_INET, NULL);
	f.id = FWD_ID_MAX;
	put("bad-forward-id", MSG_FORWARD, &f, ROLE_RELAY, ROLE_SUPERVISOR, 0,
	    false);
}

/**
 * gen_counts() - CONFIG_DONE, RELAY_READY, AGENT_READY and BOUND
 */
static void gen_counts(void)
{
	struct msg_config_done d = sample(MSG_CONFIG_DONE, 0).done;
	struct msg_bound b = sample(MSG_BOUND, 0).bound;

	put("config-done-relay", MSG_CONFIG_DONE, &d, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, true);
	put("config-done-agent", MSG_CONFIG_DONE, &d, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, true);
	put("relay-ready", MSG_RELAY_READY, &d, ROLE_SUPERVISOR, ROLE_RELAY, 0,
	    true);
	put("agent-ready", MSG_AGENT_READY, &d, ROLE_SUPERVISOR, ROLE_AGENT, 0,
	    true);
	put("bound", MSG_BOUND, &b, ROLE_SUPERVISOR, ROLE_AGENT, 0, true);
	b.error = -1;
	put("bad-bound-error", MSG_BOUND, &b, ROLE_SUPERVISOR, ROLE_AGENT, 0,
	    false);
}

/**
 * gen_fds() - LISTENER, POOL_REQ and POOL_FDS, and bad descriptor counts
 */
static void gen_fds(void)
{
	struct msg_pool_req r = sample(MSG_POOL_REQ, 0).pool_req;
	struct msg_pool_fds p = sample(MSG_POOL_FDS, 3).pool_fds;
	struct msg_listener l = sample(MSG_LISTENER, 1).listener;

	put("listener", MSG_LISTENER, &l, ROLE_RELAY, ROLE_AGENT, 1, true);
	put("bad-listener-no-fd", MSG_LISTENER, &l, ROLE_RELAY, ROLE_AGENT, 0,
	    false);
	put("bad-listener-2-fds", MSG_LISTENER, &l, ROLE_RELAY, ROLE_AGENT, 2,
	    false);
	put("pool-req", MSG_POOL_REQ, &r, ROLE_AGENT, ROLE_RELAY, 0, true);
	r.count = POOL_REQ_MAX + 1;
	put("bad-pool-req-count", MSG_POOL_REQ, &r, ROLE_AGENT, ROLE_RELAY, 0,
	    false);
	put("pool-fds-3", MSG_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT, 3, true);
	p.count = IPC_FDS_MAX;
	put("pool-fds-max", MSG_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT,
	    IPC_FDS_MAX, true);
	p.count = IPC_FDS_MAX + 1;
	put("bad-pool-fds-too-many", MSG_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT,
	    IPC_FDS_MAX + 1, false);
	p.count = 2;
	put("bad-pool-fds-count", MSG_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT, 3,
	    false);
}

/**
 * gen_addrs_limits() - NS_ADDRS and RELAY_LIMITS, and bad ones
 */
static void gen_addrs_limits(void)
{
	struct msg_relay_limits lim = sample(MSG_RELAY_LIMITS, 0).limits;
	struct msg_ns_addrs a = sample(MSG_NS_ADDRS, 0).ns_addrs;

	put("ns-addrs", MSG_NS_ADDRS, &a, ROLE_RELAY, ROLE_AGENT, 0, true);
	a.addr4 = addr("127.0.0.2");
	put("bad-ns-addrs-loopback", MSG_NS_ADDRS, &a, ROLE_RELAY, ROLE_AGENT,
	    0, false);
	a.addr4 = addr("192.0.2.1");
	a.addr6 = addr("::ffff:10.0.0.1");
	put("bad-ns-addrs-mapped", MSG_NS_ADDRS, &a, ROLE_RELAY, ROLE_AGENT, 0,
	    false);
	put("relay-limits", MSG_RELAY_LIMITS, &lim, ROLE_RELAY, ROLE_SUPERVISOR,
	    0, true);
	lim.idle_timeout = IDLE_TIMEOUT_MAX;
	put("relay-limits-idle-max", MSG_RELAY_LIMITS, &lim, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, true);
	lim.idle_timeout = IDLE_TIMEOUT_MAX + 1;
	put("bad-relay-limits-idle", MSG_RELAY_LIMITS, &lim, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
	lim.idle_timeout = 0;
	lim.pipe_max_size = 4095;
	put("bad-relay-limits-pipe", MSG_RELAY_LIMITS, &lim, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
}

/**
 * gen_ids() - UNBIND, UNBOUND and FORWARD_DEL, and bad ones
 */
static void gen_ids(void)
{
	struct msg_id id = sample(MSG_UNBIND, 0).id;

	put("unbind", MSG_UNBIND, &id, ROLE_AGENT, ROLE_SUPERVISOR, 0, true);
	put("unbound", MSG_UNBOUND, &id, ROLE_SUPERVISOR, ROLE_AGENT, 0, true);
	put("forward-del", MSG_FORWARD_DEL, &id, ROLE_RELAY, ROLE_SUPERVISOR,
	    0, true);
	put("bad-forward-del-direction", MSG_FORWARD_DEL, &id, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	put("bad-unbound-fd", MSG_UNBOUND, &id, ROLE_SUPERVISOR, ROLE_AGENT, 1,
	    false);
	id.id = FWD_ID_MAX;
	put("bad-unbind-id", MSG_UNBIND, &id, ROLE_AGENT, ROLE_SUPERVISOR, 0,
	    false);
}

/**
 * gen_chans() - RELAY_CHAN and AGENT_CHAN, with exactly one descriptor
 */
static void gen_chans(void)
{
	struct msg_chan c = sample(MSG_RELAY_CHAN, 1).chan;

	put("relay-chan", MSG_RELAY_CHAN, &c, ROLE_AGENT, ROLE_SUPERVISOR, 1,
	    true);
	put("agent-chan", MSG_AGENT_CHAN, &c, ROLE_RELAY, ROLE_SUPERVISOR, 1,
	    true);
	put("bad-relay-chan-no-fd", MSG_RELAY_CHAN, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	put("bad-agent-chan-2-fds", MSG_AGENT_CHAN, &c, ROLE_RELAY,
	    ROLE_SUPERVISOR, 2, false);
	put("bad-agent-chan-direction", MSG_AGENT_CHAN, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 1, false);
	c.side = SIDE_COUNT;
	put("bad-relay-chan-side", MSG_RELAY_CHAN, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 1, false);
}

/**
 * gen_agent_conf() - AGENT_CONF with and without keepalive, and bad ones
 */
static void gen_agent_conf(void)
{
	struct msg_agent_conf c = sample(MSG_AGENT_CONF, 0).agent_conf;

	c.ka_idle = KEEPALIVE_MAX;	/* every keepalive field at its edge */
	c.ka_intvl = KEEPALIVE_MAX;
	c.ka_cnt = KEEPALIVE_CNT_MAX;
	put("agent-conf", MSG_AGENT_CONF, &c, ROLE_AGENT, ROLE_SUPERVISOR, 0,
	    true);
	c.ka_cnt++;
	put("bad-agent-conf-ka-cnt", MSG_AGENT_CONF, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	c.ka_cnt = 5;
	c.ka_idle = 0;
	put("bad-agent-conf-ka-without-idle", MSG_AGENT_CONF, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	memset(&c, 0, sizeof(c));
	put("agent-conf-off", MSG_AGENT_CONF, &c, ROLE_AGENT, ROLE_SUPERVISOR,
	    0, true);
	c.scan = 2;
	put("bad-agent-conf-scan", MSG_AGENT_CONF, &c, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
}

/**
 * gen_ports() - PORTS: some, all PORTS_MAX, an empty end of scan, and bad
 *		 counts, flags and entries
 */
static void gen_ports(void)
{
	struct msg_ports p = sample(MSG_PORTS, 0).ports;
	unsigned i;

	p.port[1] = 65535;
	put("ports", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT, 0, true);
	p.port[2] = 1;
	put("bad-ports-unused-entry", MSG_PORTS, &p, ROLE_SUPERVISOR,
	    ROLE_AGENT, 0, false);
	p.port[2] = 0;
	p.port[1] = 0;
	put("bad-ports-zero-port", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT,
	    0, false);
	p.port[1] = 80;
	p.flags = PORTS_F_UDP << 1;	/* the first bit msg.h does not define */
	put("bad-ports-flags", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT, 0,
	    false);
	for (i = 0; i < PORTS_MAX; i++)
		p.port[i] = (uint16_t)(1000 + i);
	p.flags = PORTS_F_LISTENING | PORTS_F_LAST;
	p.count = PORTS_MAX;
	put("ports-full", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT, 0, true);
	p.count = PORTS_MAX + 1;
	put("bad-ports-count", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT, 0,
	    false);
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.flags = PORTS_F_LAST;
	put("ports-empty-last", MSG_PORTS, &p, ROLE_SUPERVISOR, ROLE_AGENT, 0,
	    true);
	p.flags = 0;
	put("bad-ports-empty-not-last", MSG_PORTS, &p, ROLE_SUPERVISOR,
	    ROLE_AGENT, 0, false);
}

/**
 * gen_stats() - STATS_REQ, STATS, STATS_DONE and DRAIN, and bad ones
 */
static void gen_stats(void)
{
	struct msg_stats_done sd = sample(MSG_STATS_DONE, 0).stats_done;
	struct msg_config_done d = sample(MSG_DRAIN, 0).done;
	struct msg_stats_req r = sample(MSG_STATS_REQ, 0).stats_req;
	struct msg_stats st = sample(MSG_STATS, 0).stats;
	struct seed s;

	put("stats-req", MSG_STATS_REQ, &r, ROLE_RELAY, ROLE_SUPERVISOR, 0,
	    true);
	r.flags = 0;
	put("stats-req-watchdog", MSG_STATS_REQ, &r, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, true);
	r.flags = 0x02;
	put("bad-stats-req-flags", MSG_STATS_REQ, &r, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
	put("stats", MSG_STATS, &st, ROLE_SUPERVISOR, ROLE_RELAY, 0, true);
	st.id = FWD_ID_MAX;
	put("bad-stats-id", MSG_STATS, &st, ROLE_SUPERVISOR, ROLE_RELAY, 0,
	    false);
	put("stats-done", MSG_STATS_DONE, &sd, ROLE_SUPERVISOR, ROLE_RELAY, 0,
	    true);
	put("bad-stats-done-direction", MSG_STATS_DONE, &sd, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
	put("drain", MSG_DRAIN, &d, ROLE_RELAY, ROLE_SUPERVISOR, 0, true);
	s = seed_new("bad-drain-short", MSG_DRAIN, &d, ROLE_RELAY,
		     ROLE_SUPERVISOR, 0);
	s.len--;
	s.hdr_len--;
	emit(&s, false);
}

/**
 * gen_connect_allow() - CONNECT_ALLOW ranges, and bad ones
 */
static void gen_connect_allow(void)
{
	struct msg_connect_allow a = sample(MSG_CONNECT_ALLOW, 0).allow;

	a.first = 1;			/* the widest range */
	a.last = 65535;

	put("connect-allow", MSG_CONNECT_ALLOW, &a, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, true);
	a.first = a.last = 8080;
	put("connect-allow-one", MSG_CONNECT_ALLOW, &a, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, true);
	a.last = 8079;
	put("bad-connect-allow-reversed", MSG_CONNECT_ALLOW, &a, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
	a.first = 0;
	a.last = 80;
	put("bad-connect-allow-first-zero", MSG_CONNECT_ALLOW, &a, ROLE_RELAY,
	    ROLE_SUPERVISOR, 0, false);
}

/**
 * gen_pool_allow() - POOL_ALLOW and POOL_DENIED, and bad ones
 */
static void gen_pool_allow(void)
{
	struct msg_pool_allow a = sample(MSG_POOL_ALLOW, 0).pool_allow;
	struct msg_pool_denied d = sample(MSG_POOL_DENIED, 0).pool_denied;

	put("pool-allow-v4", MSG_POOL_ALLOW, &a, ROLE_AGENT, ROLE_SUPERVISOR,
	    0, true);
	a.families = 0;
	put("pool-allow-none", MSG_POOL_ALLOW, &a, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, true);
	a.families = 0x04;
	put("bad-pool-allow-bit", MSG_POOL_ALLOW, &a, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	put("pool-denied", MSG_POOL_DENIED, &d, ROLE_SUPERVISOR, ROLE_AGENT,
	    0, true);
	put("bad-pool-denied-from-relay", MSG_POOL_DENIED, &d,
	    ROLE_SUPERVISOR, ROLE_RELAY, 0, false);
	d.count = POOL_REQ_MAX + 1;
	put("bad-pool-denied-count", MSG_POOL_DENIED, &d, ROLE_SUPERVISOR,
	    ROLE_AGENT, 0, false);
	d.count = 1;
	d.family = AF_UNIX;
	put("bad-pool-denied-family", MSG_POOL_DENIED, &d, ROLE_SUPERVISOR,
	    ROLE_AGENT, 0, false);
}

/**
 * gen_agent_bad() - AGENT_BAD (relay -> supervisor), and bad ones
 */
static void gen_agent_bad(void)
{
	struct msg_chan c = sample(MSG_AGENT_BAD, 0).chan;

	put("agent-bad", MSG_AGENT_BAD, &c, ROLE_SUPERVISOR, ROLE_RELAY, 0,
	    true);
	put("bad-agent-bad-from-agent", MSG_AGENT_BAD, &c, ROLE_SUPERVISOR,
	    ROLE_AGENT, 0, false);
	c.side = SIDE_COUNT;
	put("bad-agent-bad-side", MSG_AGENT_BAD, &c, ROLE_SUPERVISOR,
	    ROLE_RELAY, 0, false);
}

/**
 * gen_udp() - UDP_TARGET, UDP_TARGET_DEL, UDP_POOL_REQ, UDP_POOL_FDS, and
 *	       bad ones
 */
static void gen_udp(void)
{
	struct msg_forward f = forward(AF_INET, NULL);
	struct msg_udp_pool_req r = sample(MSG_UDP_POOL_REQ, 0).udp_req;
	struct msg_udp_pool_fds p = sample(MSG_UDP_POOL_FDS, 2).udp_fds;
	struct msg_id id = sample(MSG_UDP_TARGET_DEL, 0).id;

	f.flags |= FWD_F_UDP;
	put("udp-target", MSG_UDP_TARGET, &f, ROLE_AGENT, ROLE_SUPERVISOR, 0,
	    true);
	put("forward-udp", MSG_FORWARD, &f, ROLE_RELAY, ROLE_SUPERVISOR, 0,
	    true);
	f.flags &= (uint8_t)~FWD_F_UDP;
	put("bad-udp-target-tcp", MSG_UDP_TARGET, &f, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, false);
	put("udp-target-del", MSG_UDP_TARGET_DEL, &id, ROLE_AGENT,
	    ROLE_SUPERVISOR, 0, true);
	put("udp-pool-req", MSG_UDP_POOL_REQ, &r, ROLE_AGENT, ROLE_RELAY, 0,
	    true);
	r.kind = UDP_KINDS;
	put("bad-udp-pool-req-kind", MSG_UDP_POOL_REQ, &r, ROLE_AGENT,
	    ROLE_RELAY, 0, false);
	put("udp-pool-fds-2", MSG_UDP_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT, 2,
	    true);
	p.count = 0;
	put("udp-pool-fds-none", MSG_UDP_POOL_FDS, &p, ROLE_RELAY, ROLE_AGENT,
	    0, true);
	put("bad-udp-pool-fds-count", MSG_UDP_POOL_FDS, &p, ROLE_RELAY,
	    ROLE_AGENT, 1, false);
	put("bad-udp-pool-fds-from-relay", MSG_UDP_POOL_FDS, &p, ROLE_AGENT,
	    ROLE_RELAY, 0, false);
}

/**
 * gen_shapes() - datagrams that are no message of any type
 */
static void gen_shapes(void)
{
	struct msg_config_done d = sample(MSG_CONFIG_DONE, 0).done;
	struct seed s;

	s = seed_new("bad-empty", MSG_CONFIG_DONE, &d, ROLE_RELAY,
		     ROLE_SUPERVISOR, 0);
	s.cut = true;
	emit(&s, false);
	s.name = "bad-half-header";
	s.cut_len = HDR_LEN - 1;
	emit(&s, false);
	s.name = "bad-header-only";
	s.len = 0;
	s.cut = false;
	emit(&s, false);
	s = seed_new("bad-type-zero", MSG_CONFIG_DONE, &d, ROLE_RELAY,
		     ROLE_SUPERVISOR, 0);
	s.type = 0;
	emit(&s, false);
	s.name = "bad-type-max";
	s.type = MSG_TYPE_MAX;
	emit(&s, false);
	s.name = "bad-type-ffff";
	s.type = 0xffff;
	emit(&s, false);
}

/**
 * all_types_seeded() - every catalogue type has a valid seed
 *
 * A type added to msg.h without a generator case would otherwise only be
 * reached by the fuzzer's luck.
 *
 * Return: true if so; false after naming each type that has none
 */
static bool all_types_seeded(void)
{
	bool ok = true;
	unsigned t;

	for (t = 1; t < MSG_TYPE_MAX; t++) {
		if (!has_valid[t]) {
			fprintf(stderr, "gen_ipc_corpus: no valid seed of %s "
				"(type %u)\n", ipc_type_name(t), t);
			ok = false;
		}
	}
	return ok;
}

/**
 * main() - write every seed into the directory given
 * @argc:	argument count, 2
 * @argv:	program name and output directory
 *
 * Return: 0 on success, 1 on any failure
 */
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	outdir = argv[1];
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0) {
		perror("/dev/null");
		return 1;
	}
	gen_hello();
	gen_forward();
	gen_counts();
	gen_fds();
	gen_addrs_limits();
	gen_ids();
	gen_chans();
	gen_agent_conf();
	gen_ports();
	gen_stats();
	gen_connect_allow();
	gen_pool_allow();
	gen_agent_bad();
	gen_udp();
	gen_shapes();
	close(null_fd);
	return all_types_seeded() ? 0 : 1;
}
