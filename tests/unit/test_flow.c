// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_flow.c - unit tests of the relay's flow table, event encoding and
 *		 target selection
 *
 * DOC: Theory of Operation
 *
 * Standalone program (CTest "unit.flow"): every failing check prints one
 * line, the last line is "N passed, N failed", and the exit status is
 * non-zero if anything failed.  The flow table, the pipe wait list, the idle
 * timeout's bookkeeping, ev_encode() / ev_decode() and target_select() are
 * pure, so they are driven directly.
 *
 * Target selection is nsplice's loopback-safety promise, so besides the
 * table of cases it sweeps many client addresses and agent reports,
 * hostile ones included, checking that a client not on loopback never
 * gets a loopback (or unspecified, which reaches loopback) target.
 *
 * One kernel probe: the relay relies on accepted sockets inheriting
 * TCP_NODELAY from their listener (it does not set it itself); checked on
 * loopback, and skipped if the test may not create sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relay/flow.h"
#include "relay/target.h"
#include "unit.h"

/* SWEEP_CLIENTS - pseudo-random client addresses per family in the sweep */
#define SWEEP_CLIENTS		4096

/**
 * addr() - parse an address for a test case, which must be valid
 * @s:		numeric address
 *
 * Return: the address
 */
static union inany addr(const char *s)
{
	union inany a;
	int af;

	if (inany_parse(s, &af, &a)) {
		fprintf(stderr, "bad test address %s\n", s);
		memset(&a, 0, sizeof(a));
	}
	return a;
}

/**
 * test_table_alloc() - allocation order, exhaustion, LIFO reuse
 */
static void test_table_alloc(void)
{
	struct flow_table t;
	struct flow *f[4];
	unsigned i;

	check(flowtab_init(&t, 0) == -1, "table of 0 slots refused");
	check(flowtab_init(&t, FLOW_SLOTS_MAX + 1) == -1,
	      "table above FLOW_SLOTS_MAX refused");
	check(flowtab_init(&t, 4) == 0, "table of 4 slots");
	for (i = 0; i < 4; i++)
		f[i] = flowtab_alloc(&t);
	check(f[0] && f[1] && f[2] && f[3] && flowtab_index(&t, f[0]) == 0 &&
	      flowtab_index(&t, f[3]) == 3,
	      "first flows get slots 0..3 in order");
	check(t.used == 4 && !flowtab_alloc(&t),
	      "exhausted table: alloc fails");
	check(f[2]->sock[0] == -1 && f[2]->sock[1] == -1 &&
	      f[2]->pipe[0].rd == -1 && f[2]->flags == FLOW_F_USED,
	      "fresh flow has no sockets, no pipes, only FLOW_F_USED");
	flowtab_free(&t, f[1]);
	flowtab_free(&t, f[3]);
	check(t.used == 2, "two freed: 2 used");
	check(flowtab_alloc(&t) == f[3] && flowtab_alloc(&t) == f[1],
	      "free list is LIFO: last freed is reused first");
	check(!flowtab_alloc(&t), "exhausted again");
	flowtab_free(&t, f[0]);
	flowtab_free(&t, f[0]);
	check(t.used == 3, "double free is a no-op");
	flowtab_fini(&t);
}

/**
 * test_generations() - a freed slot's events are recognised as stale
 */
static void test_generations(void)
{
	struct flow_table t;
	struct flow *f, *g;
	struct ev_ref r;
	uint32_t idx, gen;
	uint64_t ev;

	flowtab_init(&t, 2);
	f = flowtab_alloc(&t);
	idx = flowtab_index(&t, f);
	gen = f->gen;
	ev = ev_encode(EV_FLOW, idx, FSIDE_SERVER, gen);
	r = ev_decode(ev);
	check(flowtab_lookup(&t, r.idx, r.gen) == f,
	      "live event finds its flow");
	flowtab_free(&t, f);
	check(f->gen == gen + 1, "free increments the generation");
	check(!flowtab_lookup(&t, r.idx, r.gen),
	      "event for a freed slot: stale");
	g = flowtab_alloc(&t);
	check(g == f && !flowtab_lookup(&t, r.idx, r.gen),
	      "event for a reused slot: still stale");
	check(flowtab_lookup(&t, idx, g->gen) == g, "new generation is live");
	check(!flowtab_lookup(&t, 2, 0) && !flowtab_lookup(&t, UINT32_MAX, 0),
	      "index out of range: no flow");
	check(!flowtab_lookup(&t, 1, 0), "free slot: no flow");
	f->gen = UINT32_MAX;
	flowtab_free(&t, f);
	check(f->gen == 0, "generation wraps");
	flowtab_fini(&t);
}

/**
 * test_wait_list() - the pipe wait list is FIFO and O(1) to leave
 */
static void test_wait_list(void)
{
	struct flow_table t;
	struct flow *a, *b, *c, *p;
	unsigned d;

	flowtab_init(&t, 3);
	a = flowtab_alloc(&t);
	b = flowtab_alloc(&t);
	c = flowtab_alloc(&t);
	check(!flowtab_wait_pop(&t, &d), "empty wait list pops nothing");
	flowtab_wait_add(&t, a, 0);
	flowtab_wait_add(&t, b, 1);
	flowtab_wait_add(&t, a, 1);
	flowtab_wait_add(&t, c, 0);
	flowtab_wait_add(&t, a, 0);	/* already waiting: ignored */
	check((a->flags & FLOW_F_PIPE_WAIT(0)) && (a->flags &
	      FLOW_F_PIPE_WAIT(1)), "both directions of a flow can wait");
	flowtab_wait_del(&t, b, 1);
	flowtab_wait_del(&t, b, 1);	/* not waiting: no-op */
	check(!(b->flags & FLOW_F_PIPE_WAIT(1)), "leaving clears the flag");
	p = flowtab_wait_pop(&t, &d);
	check(p == a && d == 0 && !(a->flags & FLOW_F_PIPE_WAIT(0)),
	      "pop 1: oldest (a, 0)");
	p = flowtab_wait_pop(&t, &d);
	check(p == a && d == 1, "pop 2: (a, 1), b left from the middle");
	flowtab_wait_add(&t, b, 0);
	p = flowtab_wait_pop(&t, &d);
	check(p == c && d == 0, "pop 3: (c, 0)");
	flowtab_wait_del(&t, b, 0);
	check(!flowtab_wait_pop(&t, &d) && t.wait_tail == FLOW_NONE,
	      "last waiter left: list empty, tail reset");
	flowtab_fini(&t);
}

/**
 * test_idle_clock() - idle timeout off and on: sweep deadlines and periods
 */
static void test_idle_clock(void)
{
	struct flow_table t;

	flowtab_init(&t, 4);
	check(flowtab_idle_wait_ms(&t) == -1 && !flowtab_idle_due(&t),
	      "idle timeout off: epoll_wait() unbounded, no sweep due");
	flowtab_idle_set(&t, 8, 1000);
	check(t.idle.period == 2 && flowtab_idle_wait_ms(&t) == 2000,
	      "timeout 8 s: sweep every 2 s, first one 2000 ms ahead");
	flowtab_idle_clock(&t, 2500);
	check(!flowtab_idle_due(&t) && flowtab_idle_wait_ms(&t) == 500,
	      "500 ms before the deadline: not due, wait 500 ms");
	flowtab_idle_clock(&t, 3000);
	check(flowtab_idle_due(&t) && flowtab_idle_wait_ms(&t) == 0,
	      "at the deadline: due, no wait");
	flowtab_idle_swept(&t);
	check(t.idle.next_ms == 5000, "next sweep one period after the last");
	flowtab_idle_clock(&t, 60000);
	flowtab_idle_swept(&t);
	check(t.idle.next_ms == 62000,
	      "loop fell behind: next sweep a period from now, none queued");
	flowtab_idle_set(&t, 3, 0);
	check(t.idle.period == 1, "timeout 3 s: sweep every second");
	flowtab_idle_set(&t, IDLE_TIMEOUT_MAX, 0);
	check(flowtab_idle_wait_ms(&t) > 0 &&
	      (uint64_t)flowtab_idle_wait_ms(&t) ==
	      (uint64_t)IDLE_TIMEOUT_MAX / IDLE_SWEEPS * IDLE_MS_PER_S,
	      "longest timeout: the wait fits in epoll_wait()'s int");
	flowtab_idle_set(&t, 0, 0);
	check(flowtab_idle_wait_ms(&t) == -1 && !flowtab_idle_due(&t),
	      "timeout set back to 0: off again");
	flowtab_fini(&t);
}

/**
 * test_idle_sweep() - which flows a sweep finds, never one early
 */
static void test_idle_sweep(void)
{
	struct flow_table t;
	struct flow *a, *b, *c, *f;
	uint32_t pos = 0;

	flowtab_init(&t, 4);
	flowtab_idle_set(&t, 8, 100000);
	a = flowtab_alloc(&t);
	b = flowtab_alloc(&t);
	c = flowtab_alloc(&t);
	a->last = 100;
	b->last = 101;
	c->last = 105;
	flowtab_idle_clock(&t, 108999);	/* 8.999 s after a's second */
	check(!flowtab_idle_next(&t, &pos), "no flow idle for more than 8 s");
	flowtab_idle_clock(&t, 109000);
	pos = 0;
	f = flowtab_idle_next(&t, &pos);
	check(f == a && !flowtab_idle_next(&t, &pos),
	      "9 whole seconds after its last event: a only");
	flowtab_free(&t, b);
	flowtab_idle_clock(&t, 200000);
	pos = 0;
	f = flowtab_idle_next(&t, &pos);
	check(f == a, "sweep: first a");
	flowtab_free(&t, f);	/* closed by the caller mid-sweep */
	f = flowtab_idle_next(&t, &pos);
	check(f == c && !flowtab_idle_next(&t, &pos),
	      "then c; free slots skipped; freeing mid-sweep is safe");
	flowtab_fini(&t);
}

/**
 * test_idle_sweep_cost() - time a sweep of the largest table (reported,
 *			    not checked: it is the figure flow.c quotes)
 */
static void test_idle_sweep_cost(void)
{
	struct timespec t0, t1;
	struct flow_table t;
	uint32_t i, pos = 0, n = 0;

	if (flowtab_init(&t, FLOW_SLOTS_MAX))
		return;
	flowtab_idle_set(&t, 60, 0);
	for (i = 0; i < FLOW_SLOTS_MAX; i++)
		flowtab_alloc(&t)->last = 1;
	flowtab_idle_clock(&t, 10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (flowtab_idle_next(&t, &pos))
		n++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(n == 0, "sweep of %u busy flows finds none idle: %.0f us",
	      FLOW_SLOTS_MAX, (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	flowtab_fini(&t);
}

/**
 * test_ev_roundtrip() - encode/decode of every kind and edge values
 */
static void test_ev_roundtrip(void)
{
	static const uint32_t idx[] = { 0, 1, 2, FWD_ID_MAX - 1,
					FLOW_SLOTS_MAX - 1, EV_IDX_MAX };
	static const uint32_t gen[] = { 0, 1, 0x7fffffffU, 0x80000000U,
					UINT32_MAX };
	static const unsigned kind[] = { EV_CHAN, EV_LISTENER, EV_FLOW };
	unsigned k, i, g, s, bad = 0, n = 0;

	for (k = 0; k < 3; k++)
		for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
			for (g = 0; g < sizeof(gen) / sizeof(gen[0]); g++)
				for (s = 0; s < FSIDES; s++) {
					struct ev_ref r = ev_decode(
						ev_encode(kind[k], idx[i], s,
							  gen[g]));

					n++;
					bad += r.kind != kind[k] ||
					       r.idx != idx[i] ||
					       r.gen != gen[g] || r.side != s;
				}
	check(!bad, "encode/decode round trip, %u combinations", n);
	check(ev_decode(0).kind == EV_NONE, "zero data decodes as EV_NONE");
	check(EV_IDX_MAX >= FWD_ID_MAX - 1 && EV_IDX_MAX >= FLOW_SLOTS_MAX - 1,
	      "index field holds every listener id and slot");
}

/**
 * fwd_make() - a forward for target tests
 * @af:		listener family
 * @taddr:	explicit target, or NULL
 *
 * Return: the forward, host side listening on port 8080 -> 80
 */
static struct msg_forward fwd_make(int af, const char *taddr)
{
	struct msg_forward f;
	int taf;

	memset(&f, 0, sizeof(f));
	f.id = 1;
	f.listen_side = SIDE_HOST;
	f.family = (uint8_t)af;
	f.listen_port = 8080;
	f.target_port = 80;
	if (taddr) {
		f.flags = FWD_F_TARGET_ADDR;
		inany_parse(taddr, &taf, &f.target_addr);
		f.target_family = (uint8_t)taf;
	}
	return f;
}

/**
 * ns_make() - an NS_ADDRS report, raw (no validation, as a hostile agent)
 * @a4:		IPv4 address or NULL
 * @a6:		IPv6 address or NULL
 *
 * Return: the report
 */
static struct msg_ns_addrs ns_make(const char *a4, const char *a6)
{
	struct msg_ns_addrs n;

	memset(&n, 0, sizeof(n));
	if (a4) {
		n.flags |= NS_ADDR_F_V4;
		n.addr4 = addr(a4);
	}
	if (a6) {
		n.flags |= NS_ADDR_F_V6;
		n.addr6 = addr(a6);
	}
	return n;
}

/**
 * struct tcase - one row of the target selection table
 * @name:	description
 * @laf:	listener family
 * @explicit_t:	explicit target or NULL
 * @caf:	client family
 * @client:	client address
 * @ns4:	other side's IPv4 report or NULL
 * @ns6:	other side's IPv6 report or NULL
 * @how:	expected enum target_how
 * @want:	expected address (ignored for TARGET_REFUSE)
 */
struct tcase {
	const char *name;
	int laf;
	const char *explicit_t;
	int caf;
	const char *client;
	const char *ns4, *ns6;
	unsigned how;
	const char *want;
};

static const struct tcase tcases[] = {
	{ "explicit target, external client", AF_INET, "10.0.0.5",
	  AF_INET, "192.0.2.7", NULL, NULL, TARGET_EXPLICIT, "10.0.0.5" },
	{ "explicit loopback target is the opt-in", AF_INET, "127.0.0.1",
	  AF_INET, "192.0.2.7", "198.51.100.1", NULL, TARGET_EXPLICIT,
	  "127.0.0.1" },
	{ "explicit IPv6 target on an IPv4 listener", AF_INET, "2001:db8::9",
	  AF_INET, "127.0.0.1", NULL, NULL, TARGET_EXPLICIT, "2001:db8::9" },
	{ "loopback client 127.0.0.1 -> 127.0.0.1", AF_INET, NULL,
	  AF_INET, "127.0.0.1", "198.51.100.1", NULL, TARGET_LOOPBACK,
	  "127.0.0.1" },
	{ "loopback client 127.255.255.254 -> 127.0.0.1", AF_INET, NULL,
	  AF_INET, "127.255.255.254", NULL, NULL, TARGET_LOOPBACK,
	  "127.0.0.1" },
	{ "loopback client ::1 -> ::1", AF_INET6, NULL, AF_INET6, "::1",
	  NULL, "2001:db8::1", TARGET_LOOPBACK, "::1" },
	{ "v4-mapped loopback client -> ::1", AF_INET6, NULL, AF_INET6,
	  "::ffff:127.0.0.1", NULL, NULL, TARGET_LOOPBACK, "::1" },
	{ "external client -> external IPv4", AF_INET, NULL, AF_INET,
	  "192.0.2.7", "198.51.100.1", "2001:db8::1", TARGET_EXTERNAL,
	  "198.51.100.1" },
	{ "external client -> external IPv6", AF_INET6, NULL, AF_INET6,
	  "2001:db8:1::7", "198.51.100.1", "2001:db8::1", TARGET_EXTERNAL,
	  "2001:db8::1" },
	{ "v4-mapped external client -> external IPv6", AF_INET6, NULL,
	  AF_INET6, "::ffff:192.0.2.7", NULL, "2001:db8::1", TARGET_EXTERNAL,
	  "2001:db8::1" },
	{ "external client, no external address: refused", AF_INET, NULL,
	  AF_INET, "192.0.2.7", NULL, NULL, TARGET_REFUSE, NULL },
	{ "external client, only the other family: refused", AF_INET, NULL,
	  AF_INET, "192.0.2.7", NULL, "2001:db8::1", TARGET_REFUSE, NULL },
	{ "v4-mapped external client, no IPv6 address: refused", AF_INET6,
	  NULL, AF_INET6, "::ffff:192.0.2.7", "198.51.100.1", NULL,
	  TARGET_REFUSE, NULL },
	{ "unknown client address: refused, not loopback", AF_INET, NULL,
	  AF_UNSPEC, "127.0.0.1", NULL, NULL, TARGET_REFUSE, NULL },
	{ "hostile report 127.0.0.1: refused", AF_INET, NULL, AF_INET,
	  "192.0.2.7", "127.0.0.1", NULL, TARGET_REFUSE, NULL },
	{ "hostile report 0.0.0.0: refused", AF_INET, NULL, AF_INET,
	  "192.0.2.7", "0.0.0.0", NULL, TARGET_REFUSE, NULL },
	{ "hostile report ::1: refused", AF_INET6, NULL, AF_INET6,
	  "2001:db8:1::7", NULL, "::1", TARGET_REFUSE, NULL },
	{ "hostile report ::: refused", AF_INET6, NULL, AF_INET6,
	  "2001:db8:1::7", NULL, "::", TARGET_REFUSE, NULL },
	{ "hostile report ::ffff:127.0.0.1: refused", AF_INET6, NULL,
	  AF_INET6, "2001:db8:1::7", NULL, "::ffff:127.0.0.1",
	  TARGET_REFUSE, NULL },
};

/**
 * test_target_table() - every row of tcases[]
 */
static void test_target_table(void)
{
	unsigned i;

	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *c = &tcases[i];
		struct msg_forward f = fwd_make(c->laf, c->explicit_t);
		struct msg_ns_addrs ns = ns_make(c->ns4, c->ns6);
		union inany ca = addr(c->client), w;
		struct flow_target t;
		unsigned how;
		int ok, waf;

		how = target_select(&f, c->caf, &ca, &ns, &t);
		ok = how == c->how && t.how == how;
		if (ok && how != TARGET_REFUSE) {
			inany_parse(c->want, &waf, &w);
			ok = t.af == waf && inany_equal(waf, &t.addr, &w) &&
			     t.port == 80;
		}
		check(ok, "target: %s (got %s)", c->name, target_how_str(how));
	}
}

/**
 * test_target_local() - which targets get the loopback congestion control
 *
 * The other side's loopback and its own external address are reached over
 * its lo (ipc/localcc.c); an explicit target only if it is loopback, since
 * it may name another machine.
 */
static void test_target_local(void)
{
	static const struct {
		unsigned how;
		const char *addr;
		bool local;
	} c[] = {
		{ TARGET_LOOPBACK, "127.0.0.1", true },
		{ TARGET_LOOPBACK, "::1", true },
		{ TARGET_EXTERNAL, "10.0.0.2", true },
		{ TARGET_EXTERNAL, "fd00::2", true },
		{ TARGET_EXPLICIT, "127.0.0.5", true },
		{ TARGET_EXPLICIT, "::1", true },
		{ TARGET_EXPLICIT, "192.0.2.1", false },
		{ TARGET_EXPLICIT, "2001:db8::1", false },
	};
	unsigned i, bad = 0;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct flow_target t = { .how = c[i].how, .port = 80 };

		inany_parse(c[i].addr, &t.af, &t.addr);
		if (target_is_local(&t) != c[i].local) {
			bad++;
			unit_out("  target_is_local(%s %s) != %d\n",
				  target_how_str(c[i].how), c[i].addr,
				  c[i].local);
		}
	}
	check(!bad, "target_is_local: loopback and external targets are "
	      "local, explicit ones only if loopback (%u cases)", i);
}

/**
 * sweep_client() - a pseudo-random client address that is not loopback
 * @af:		family
 * @seed:	state, advanced
 * @a:		set to the address
 */
static void sweep_client(int af, uint32_t *seed, union inany *a)
{
	unsigned i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 16; i++) {
		*seed = *seed * 1103515245U + 12345U;
		a->b[i] = (uint8_t)(*seed >> 16);
	}
	if (af == AF_INET && a->b[0] == 127)
		a->b[0] = 128;
	if (af == AF_INET6 && (*seed & 1)) {
		/* half of them v4-mapped */
		memset(a->b, 0, 10);
		a->b[10] = a->b[11] = 0xff;
		if (a->b[12] == 127)
			a->b[12] = 126;
	}
}

/**
 * test_target_sweep() - no non-loopback client ever gets a loopback target
 */
static void test_target_sweep(void)
{
	static const char *const reports[][2] = {
		{ NULL, NULL }, { "198.51.100.1", "2001:db8::1" },
		{ "127.0.0.1", "::1" }, { "0.0.0.0", "::" },
		{ "127.1.2.3", "::ffff:127.0.0.1" }, { NULL, "::ffff:0.0.0.0" },
	};
	unsigned r, i, bad = 0, n = 0, fam;
	uint32_t seed = 42;

	for (r = 0; r < sizeof(reports) / sizeof(reports[0]); r++) {
		struct msg_ns_addrs ns = ns_make(reports[r][0], reports[r][1]);

		for (fam = 0; fam < 2; fam++) {
			int af = fam ? AF_INET6 : AF_INET;
			struct msg_forward f = fwd_make(af, NULL);

			for (i = 0; i < SWEEP_CLIENTS; i++) {
				struct flow_target t;
				union inany ca;

				sweep_client(af, &seed, &ca);
				if (inany_is_loopback(af, &ca))
					continue;
				n++;
				target_select(&f, af, &ca, &ns, &t);
				bad += t.how == TARGET_LOOPBACK ||
				       (t.how != TARGET_REFUSE &&
					(inany_is_loopback(t.af, &t.addr) ||
					 inany_is_any(t.af, &t.addr)));
			}
		}
	}
	check(!bad && n > SWEEP_CLIENTS, "sweep: %u non-loopback clients, "
	      "none got a loopback or unspecified target", n);
}

/**
 * struct lcase - one case of the loopback-safety rule
 * @use:	enum inany_use
 * @addr:	numeric address (its family is the one parsed)
 * @safe:	expected inany_loopback_safe()
 */
struct lcase {
	unsigned use;
	const char *addr;
	bool safe;
};

/*
 * The cases the five former copies of the rule handled: ipc.c
 * check_forward() (explicit target: not unspecified), ipc.c ns_addr_ok()
 * (external: not loopback, not unspecified, unicast, no IPv4-mapped),
 * chan.c chan_sup_forward() (explicit target, ::ffff:0.0.0.0 included),
 * chan.c chan_agent_ns_addrs() and target.c external_addr() (external).
 */
static const struct lcase lcases[] = {
	{ INANY_USE_TARGET, "10.0.0.5", true },
	{ INANY_USE_TARGET, "2001:db8::9", true },
	{ INANY_USE_TARGET, "127.0.0.1", true },	/* the opt-in */
	{ INANY_USE_TARGET, "127.1.2.3", true },
	{ INANY_USE_TARGET, "::1", true },
	{ INANY_USE_TARGET, "::ffff:127.0.0.1", true },
	{ INANY_USE_TARGET, "0.0.0.0", false },
	{ INANY_USE_TARGET, "::", false },
	{ INANY_USE_TARGET, "::ffff:0.0.0.0", false },
	{ INANY_USE_EXTERNAL, "198.51.100.1", true },
	{ INANY_USE_EXTERNAL, "10.0.0.2", true },
	{ INANY_USE_EXTERNAL, "2001:db8::1", true },
	{ INANY_USE_EXTERNAL, "fd00::2", true },
	{ INANY_USE_EXTERNAL, "127.0.0.1", false },
	{ INANY_USE_EXTERNAL, "127.255.255.254", false },
	{ INANY_USE_EXTERNAL, "0.0.0.0", false },
	{ INANY_USE_EXTERNAL, "::1", false },
	{ INANY_USE_EXTERNAL, "::", false },
	{ INANY_USE_EXTERNAL, "::ffff:127.0.0.1", false },
	{ INANY_USE_EXTERNAL, "::ffff:0.0.0.0", false },
	{ INANY_USE_EXTERNAL, "::ffff:192.0.2.7", false },
	{ INANY_USE_EXTERNAL, "224.0.0.1", false },
	{ INANY_USE_EXTERNAL, "255.255.255.255", false },
	{ INANY_USE_EXTERNAL, "ff02::1", false },
	{ INANY_USE_EXTERNAL, "fe80::1", false },
};

/**
 * test_loopback_rule() - the one loopback-safety function, case by case
 */
static void test_loopback_rule(void)
{
	unsigned i;

	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		const struct lcase *c = &lcases[i];
		union inany a;
		int af;

		if (inany_parse(c->addr, &af, &a)) {
			check(0, "loopback rule: bad test address %s", c->addr);
			continue;
		}
		check(inany_loopback_safe(af, &a, c->use) == c->safe,
		      "loopback rule: %s as %s is %s", c->addr,
		      c->use == INANY_USE_TARGET ? "explicit target"
						 : "external address",
		      c->safe ? "usable" : "refused");
	}
}

/**
 * test_loopback_rule_sweep() - no address the rule lets through reaches
 *				loopback unnamed
 *
 * Random addresses of both families, with every IPv4 one also tried as
 * IPv4-mapped and a share forced into 127/8 and 0/8.
 */
static void test_loopback_rule_sweep(void)
{
	unsigned i, bad = 0, fam;
	uint32_t seed = 7;

	for (i = 0; i < SWEEP_CLIENTS; i++) {
		for (fam = 0; fam < 3; fam++) {
			int af = fam ? AF_INET6 : AF_INET;
			union inany a;

			sweep_client(af, &seed, &a);
			if (fam == 0 && !(i % 4))
				a.b[0] = i % 8 ? 127 : 0;
			if (fam == 2)
				memset(a.b, 0, 16);	/* :: and ::N */
			if (fam == 2)
				a.b[15] = (uint8_t)(i % 3);
			bad += inany_loopback_safe(af, &a, INANY_USE_TARGET) &&
			       inany_is_any(af, &a);
			bad += inany_loopback_safe(af, &a,
						   INANY_USE_EXTERNAL) &&
			       (inany_is_any(af, &a) ||
				inany_is_loopback(af, &a));
		}
	}
	check(!bad, "loopback rule sweep: %u addresses, none that reaches "
	      "loopback passes", SWEEP_CLIENTS * 3);
}

/**
 * nodelay_of_accepted() - TCP_NODELAY of a socket accepted on a listener
 * @listener_nodelay:	value set on the listener
 * @val:		set to the accepted socket's value
 *
 * Return: 0 on success, -1 if sockets cannot be used here
 */
static int nodelay_of_accepted(int listener_nodelay, int *val)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa), vlen = sizeof(*val);
	int l, c = -1, a = -1, rc = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	if (setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &listener_nodelay,
		       sizeof(listener_nodelay)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		goto out;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	a = accept(l, NULL, NULL);
	if (a >= 0 && !getsockopt(a, IPPROTO_TCP, TCP_NODELAY, val, &vlen))
		rc = 0;
out:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	close(l);
	return rc;
}

/**
 * test_nodelay_inherited() - accepted sockets inherit TCP_NODELAY
 *
 * The relay does not set TCP_NODELAY on accepted sockets because of this;
 * the second case shows the probe can tell the difference.
 */
static void test_nodelay_inherited(void)
{
	int on = 0, off = 1;

	if (nodelay_of_accepted(1, &on) || nodelay_of_accepted(0, &off)) {
		unit_skip("accepted socket inherits TCP_NODELAY: %s",
			  strerror(errno));
		return;
	}
	check(on != 0, "accepted socket inherits TCP_NODELAY from listener");
	check(off == 0, "accepted socket of a Nagle listener has Nagle");
}

/**
 * main() - run every test
 *
 * Return: 0 if all checks passed, 1 otherwise
 */
int main(void)
{
	test_table_alloc();
	test_generations();
	test_wait_list();
	test_idle_clock();
	test_idle_sweep();
	test_idle_sweep_cost();
	test_ev_roundtrip();
	test_target_table();
	test_target_sweep();
	test_loopback_rule();
	test_loopback_rule_sweep();
	test_target_local();
	test_nodelay_inherited();
	return unit_summary(NULL);
}
