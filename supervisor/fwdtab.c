// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwdtab.c - the supervisor's forward table and how changes reach children
 *
 * DOC: Theory of Operation
 *
 * Every listener nsplice should have is one slot of a table of FWD_ID_MAX
 * entries; the slot index is the listener id its children see.  What
 * should exist is computed in one place, fwdtab_apply(): the forwards of
 * the running configuration (command line, file, control socket) plus,
 * for each "auto" rule, one per allowed port that listens on the other
 * side (PORTS reports from the agents).  That list is sorted by listening
 * socket (side, family, port, interface, address) and merged with the
 * table: a forward already present with the same target stays untouched -
 * its socket, its flows and its counters - everything else is removed or
 * added.  Start-up, SIGHUP, `nsplice ctl add/remove` and auto mode are all
 * the same operation, so nothing is ever half-applied by one of them.
 *
 * A new forward goes to the relay first (a FORWARD batch, answered by
 * RELAY_READY), then to its agent (BIND, answered by BOUND); a removed one
 * leaves the relay (FORWARD_DEL: its flows go on) and its agent (UNBIND,
 * answered by UNBOUND, after which the id may be reused).  BIND and UNBIND
 * share a window of BIND_WINDOW unanswered requests per agent: an agent
 * blocked sending answers to a supervisor blocked sending requests would
 * deadlock.  fwdtab_pump() sends whatever may go now; it is called after
 * every change and every answer.
 *
 * Pool families: the relay connects a forward with a pool socket of the
 * side that does not listen, of the forward's target family, and an agent
 * hands out only families the supervisor allowed it (POOL_ALLOW).  The
 * allowed set of a side grows, before the FORWARD that needs it reaches
 * the relay (relay_needs()), and shrinks only when an agent starts serving
 * a relay afresh (restart, RELAY_CHAN: fwdtab_pool_allow()) to what the
 * forwards sent to that relay need.  A removed forward's family stays
 * allowed until then: the relay keeps the pool it filled and is never told
 * that nobody needs it, so narrowing earlier could fault a relay that did
 * nothing wrong.
 *
 * The relay's Landlock rules allow connect() only to the target ports it
 * was started with.  A change that adds a target port outside them cannot
 * be served by that relay: the supervisor starts a new one with the full
 * configuration and lets the old one drain (restart.c).
 *
 * Failed binds: before nsplice first served, a forward that cannot be
 * bound stops it (exit 2).  Afterwards - a reload, `ctl add`, a forward
 * removed and added again while a replaced relay still held its old
 * socket - the failure is logged once and the bind is tried again, after
 * 1 s and then at doubling intervals up to BIND_RETRY_MAX_S, until it
 * succeeds (logged too) or the forward is removed.  Once, a port whose
 * bind failed stayed dark until it was removed and added again.
 *
 * Restarts: when the relay is replaced, every forward is sent to the new
 * one; listeners whose only copy died with it are bound again.  When an
 * agent is replaced, the relay's copies keep the ports bound; the new agent
 * binds what was never bound or failed.
 *
 * Descriptor budget: every listening socket is a descriptor in its agent
 * and in the relay, under the same RLIMIT_NOFILE as the relay's flows.
 * The listeners may take at most half of it (listen_budget()); the rest
 * is the relay's reserve and its flows.  A configuration that needs more
 * is refused whole before anything is bound ("-t all" is 2 x 37,000
 * sockets): otherwise the relay lost the listeners it had no room for and
 * nsplice said "ready" for ports that never answered.  Auto ports are
 * what the other side happens to listen on, so past the budget they are
 * left out with a warning instead.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "ipc/log.h"
#include "supervisor/activation.h"
#include "supervisor/supervisor.h"

/* BIND_WINDOW - BIND and UNBIND requests in flight per agent */
#define BIND_WINDOW	64

/* BIND_RETRY_MAX_S - longest wait between two binds of a failed forward */
#define BIND_RETRY_MAX_S	30

/* LISTEN_FD_SHARE - listening sockets take at most 1/this of RLIMIT_NOFILE */
#define LISTEN_FD_SHARE	2

/* DESIRED_OVER - desired(): the configuration needs more listening sockets
 * than listen_budget() */
#define DESIRED_OVER	(-2)

/**
 * listen_budget() - how many listening sockets the forwards may have
 * @s:		supervisor state
 *
 * Return: 1/LISTEN_FD_SHARE of the hard RLIMIT_NOFILE, which every child
 * raises its soft limit to
 */
static unsigned listen_budget(const struct supervisor *s)
{
	unsigned long n = s->nofile / LISTEN_FD_SHARE;

	return n < FWD_ID_MAX ? (unsigned)n : FWD_ID_MAX;
}

/* OVER_SPECS - distinct SPECs over_budget() counts listeners of */
#define OVER_SPECS	16

/**
 * over_budget() - the message for a configuration with too many listeners
 * @s:		supervisor state
 * @list:	its listeners
 * @n:		how many
 * @err:	error buffer
 * @errlen:	its size
 *
 * Names the SPEC that needs the most of them (of the first OVER_SPECS
 * SPECs), since that is what to change, with its FILE:LINE if a config
 * file holds it.
 *
 * Return: DESIRED_OVER
 */
static int over_budget(const struct supervisor *s,
		       const struct fwd_entry *list, unsigned n, char *err,
		       size_t errlen)
{
	const struct fwd_entry *spec[OVER_SPECS] = { list };
	unsigned count[OVER_SPECS] = { 0 }, nspec = 0, i, k, best = 0;
	char all[48] = "", where[PATH_MAX + 32];

	for (i = 0; i < n; i++) {
		for (k = 0; k < nspec; k++)
			if (spec[k]->opt == list[i].opt &&
			    spec[k]->spec == list[i].spec)
				break;
		if (k == nspec) {
			if (nspec == OVER_SPECS)
				continue;
			spec[nspec] = &list[i];
			count[nspec++] = 0;
		}
		if (++count[k] > count[best])
			best = k;
	}
	if (count[best] < n)
		snprintf(all, sizeof(all), " (%u for all forwards)", n);
	/* A file's line is what to change (a reload's, or at start) */
	config_fwd_origin(s->cfg, spec[best], true, where, sizeof(where));
	errfmt(err, errlen, "%s-%c %s: %u listening sockets%s, more than the "
	       "%u that half the descriptor limit (RLIMIT_NOFILE %lu) allows: "
	       "forward fewer ports, or raise the hard limit (ulimit -Hn, "
	       "LimitNOFILE=)", where, spec[best]->opt,
	       spec[best]->spec ? spec[best]->spec : "?", count[best], all,
	       listen_budget(s), s->nofile);
	return DESIRED_OVER;
}

/**
 * key_cmp() - order forwards by their listening socket
 * @a:		forward
 * @b:		forward
 *
 * Return: <0, 0, >0; 0 means the same listening socket
 */
static int key_cmp(const struct msg_forward *a, const struct msg_forward *b)
{
	/* TCP and UDP on one port are two sockets */
	if ((a->flags ^ b->flags) & FWD_F_UDP)
		return (a->flags & FWD_F_UDP) ? 1 : -1;
	if (a->listen_side != b->listen_side)
		return a->listen_side - b->listen_side;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->listen_port != b->listen_port)
		return a->listen_port - b->listen_port;
	if (strcmp(a->ifname, b->ifname))
		return strcmp(a->ifname, b->ifname);
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison): no padding */
	return memcmp(&a->listen_addr, &b->listen_addr,
		      sizeof(a->listen_addr));
}

/**
 * same_target() - do two forwards of one socket go to the same place
 * @a:		forward
 * @b:		forward
 *
 * FWD_F_PROXY is left out: it changes in place (fwd_proxy_set()).
 *
 * Return: true if target port, flags and explicit address match
 */
static bool same_target(const struct msg_forward *a,
			const struct msg_forward *b)
{
	/* union inany has no padding */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
	int addr = memcmp(&a->target_addr, &b->target_addr,
			  sizeof(a->target_addr));

	return a->target_port == b->target_port &&
	       (a->flags & ~FWD_F_PROXY) == (b->flags & ~FWD_F_PROXY) &&
	       a->target_family == b->target_family && !addr;
}

/**
 * entry_cmp() - qsort() comparator of struct fwd_entry by listening socket
 * @a:		struct fwd_entry
 * @b:		struct fwd_entry
 *
 * Return: as key_cmp(); ties keep configured forwards before auto ones
 */
static int entry_cmp(const void *a, const void *b)
{
	const struct fwd_entry *x = a, *y = b;
	int c = key_cmp(&x->m, &y->m);

	return c ? c : (x->src == CONFIG_SRC_AUTO) - (y->src == CONFIG_SRC_AUTO);
}

/**
 * slot_cmp() - qsort() comparator of table slots by listening socket
 * @a:		struct sup_fwd *
 * @b:		struct sup_fwd *
 *
 * Return: as key_cmp()
 */
static int slot_cmp(const void *a, const void *b)
{
	const struct sup_fwd *const *x = a, *const *y = b;

	return key_cmp(&(*x)->e.m, &(*y)->e.m);
}

/**
 * live() - is a slot a forward that should exist
 * @f:		slot
 *
 * Return: false for free slots and for forwards being removed
 */
static bool live(const struct sup_fwd *f)
{
	return f->state != FS_FREE && f->state != FS_UNBIND &&
	       f->state != FS_UNBINDING;
}

/**
 * port_listens() - does a port listen on a side, in either family
 * @s:		supervisor state
 * @side:	enum nsp_side
 * @port:	port
 * @udp:	a bound UDP socket, else a TCP listener
 *
 * A service on [::] usually takes IPv4 too, so either family counts.
 *
 * Return: true if the last scan of @side saw it
 */
static bool port_listens(const struct supervisor *s, int side, unsigned port,
			 bool udp)
{
	unsigned set = udp ? 2 : 0;

	return portset_has(s->listening[side][set], (uint16_t)port) ||
	       portset_has(s->listening[side][set + 1], (uint16_t)port);
}

/**
 * add_desired() - append one entry to the desired list
 * @list:	array, grown as needed
 * @n:		entries; updated
 * @cap:	capacity; updated
 * @e:		entry
 *
 * Return: 0 or -1 (out of memory)
 */
static int add_desired(struct fwd_entry **list, unsigned *n, unsigned *cap,
		       const struct fwd_entry *e)
{
	if (*n == *cap) {
		unsigned nc = *cap ? *cap * 2 : 64;
		struct fwd_entry *l = reallocarray(*list, nc, sizeof(*l));

		if (!l)
			return -1;
		*list = l;
		*cap = nc;
	}
	(*list)[(*n)++] = *e;
	return 0;
}

/**
 * pp_flag() - the PROXY flag of an auto forward
 * @cfg:	configuration
 * @port:	its listening port
 *
 * Return: FWD_F_PROXY if --proxy-protocol names @port, else 0
 */
static uint8_t pp_flag(const struct nsp_config *cfg, unsigned port)
{
	return cfg->pp && portset_has(cfg->pp, (uint16_t)port) ?
	       FWD_F_PROXY : 0;
}

/**
 * add_auto() - append the listeners of one auto rule's current ports
 * @s:		supervisor state
 * @r:		the rule
 * @list:	array, grown as needed
 * @n:		entries; updated
 * @cap:	capacity; updated
 * @budget:	listen_budget(): a port whose listeners would pass it is
 *		left out whole
 * @skipped:	incremented per port left out
 * @own:	own_ports(): nsplice's own listeners, never forwarded back
 *
 * Return: 0 or -1 (out of memory)
 */
static int add_auto(const struct supervisor *s, const struct auto_rule *r,
		    struct fwd_entry **list, unsigned *n, unsigned *cap,
		    unsigned budget, unsigned *skipped,
		    uint8_t own[SIDE_COUNT][2][PORTSET_BYTES])
{
	/* One rule's templates differ only in family and address */
	int other = !r->tmpl[0].m.listen_side;
	bool udp = r->tmpl[0].m.flags & FWD_F_UDP;
	unsigned p, t;

	if (!s->scan_seen[other])
		return 0;
	for (p = 1; p < PORTSET_PORTS; p++) {
		if (!portset_has(r->allowed, (uint16_t)p) ||
		    !port_listens(s, other, p, udp) ||
		    portset_has(own[other][udp], (uint16_t)p))
			continue;
		if (*n + r->ntmpl > budget) {
			(*skipped)++;
			continue;
		}
		for (t = 0; t < r->ntmpl; t++) {
			struct fwd_entry e = r->tmpl[t];

			e.m.listen_port = (uint16_t)p;
			e.m.target_port = (uint16_t)p;
			e.m.flags = udp ? FWD_F_OPTIONAL | FWD_F_UDP :
				    FWD_F_OPTIONAL | pp_flag(s->cfg, p);
			e.src = CONFIG_SRC_AUTO;
			e.opt = r->opt;
			e.spec = r->spec;
			e.tolerate = FWD_TOL_ANY;
			if (add_desired(list, n, cap, &e))
				return -1;
		}
	}
	return 0;
}

/**
 * own_ports() - the ports nsplice itself listens on, by side and protocol
 * @s:		supervisor state
 * @own:	filled: [side][0] TCP, [side][1] UDP
 *
 * The configured forwards and every live one in the table (auto ones of
 * the other direction included).  An agent leaves its own listeners out
 * of its scan, but a restarted agent does not know the ones it inherited
 * and reported them as the side's services: "-t auto" then forwarded the
 * host's port to nsplice's own "-T" listener in the namespace, a loop (a
 * review found it; older than the scan's other fixes).
 */
static void own_ports(const struct supervisor *s,
		      uint8_t own[SIDE_COUNT][2][PORTSET_BYTES])
{
	const struct nsp_config *cfg = s->cfg;
	unsigned i, seen = 0;
	uint32_t id;

	memset(own, 0, sizeof(uint8_t[SIDE_COUNT][2][PORTSET_BYTES]));
	for (i = 0; i < cfg->nfwd; i++) {
		const struct msg_forward *m = &cfg->fwd[i].m;

		portset_add(own[m->listen_side][!!(m->flags & FWD_F_UDP)],
			    m->listen_port);
	}
	for (id = 0; id < FWD_ID_MAX && seen < s->nft; id++) {
		const struct sup_fwd *f = &s->ft[id];

		if (f->state == FS_FREE)
			continue;
		seen++;
		if (live(f))
			portset_add(own[f->e.m.listen_side]
				       [!!(f->e.m.flags & FWD_F_UDP)],
				    f->e.m.listen_port);
	}
}

/**
 * desired() - every forward that should exist now
 * @s:		supervisor state
 * @list:	set to a malloc'd array, sorted, without duplicate sockets
 * @n:		set to its length
 * @skipped:	set to the auto ports left out for listen_budget()
 * @err:	error buffer, for DESIRED_OVER
 * @errlen:	its size
 *
 * Return: 0, -1 (out of memory) or DESIRED_OVER (@list freed)
 */
static int desired(const struct supervisor *s, struct fwd_entry **list,
		   unsigned *n, unsigned *skipped, char *err, size_t errlen)
{
	static uint8_t own[SIDE_COUNT][2][PORTSET_BYTES];
	const struct nsp_config *cfg = s->cfg;
	unsigned i, cap = 0, out = 0, budget = listen_budget(s);

	*list = NULL;
	*n = 0;
	*skipped = 0;
	for (i = 0; i < cfg->nfwd; i++)
		if (add_desired(list, n, &cap, &cfg->fwd[i]))
			return -1;
	if (*n > budget) {
		over_budget(s, *list, *n, err, errlen);
		free(*list);
		*list = NULL;
		return DESIRED_OVER;
	}
	if (cfg->nautos)
		own_ports(s, own);
	for (i = 0; i < cfg->nautos; i++)
		if (add_auto(s, &cfg->autos[i], list, n, &cap, budget, skipped,
			     own))
			return -1;
	if (!*n)
		return 0;
	qsort(*list, *n, sizeof(**list), entry_cmp);
	for (i = 0; i < *n; i++)
		if (!out || key_cmp(&(*list)[out - 1].m, &(*list)[i].m))
			(*list)[out++] = (*list)[i];
	*n = out;
	return 0;
}

/**
 * fwd_set() - change a slot's state, keeping the per-state counts
 * @s:		supervisor state
 * @f:		slot
 * @state:	enum sup_fwd_state
 */
static void fwd_set(struct supervisor *s, struct sup_fwd *f, unsigned state)
{
	unsigned side = f->e.m.listen_side;

	/* Free slots are not counted: they have no side */
	if (f->state != FS_FREE)
		s->nstate[f->state][side]--;
	if (state != FS_FREE)
		s->nstate[state][side]++;
	f->state = state;
}

/**
 * drain_fwd() - what a replaced relay last reported of a forward
 * @d:		the relay
 * @id:		forward id
 *
 * Return: its entry, or NULL if that relay did not serve the forward
 */
static struct sup_drain_fwd *drain_fwd(const struct sup_drain *d,
				       uint32_t id)
{
	uint32_t lo = 0, hi = d->nfwd, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->fwd[mid].last.id == id)
			return &d->fwd[mid];
		if (d->fwd[mid].last.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/**
 * drain_forget() - a forward's slot is freed: no replaced relay's report
 *		    of its id may count for the forward that takes it next
 * @s:		supervisor state
 * @id:		forward id
 */
static void drain_forget(struct supervisor *s, uint32_t id)
{
	struct sup_drain_fwd *e;
	int i;

	for (i = 0; i <= DRAIN_MAX; i++) {
		e = drain_fwd(i < DRAIN_MAX ? &s->drain[i] : &s->drain_pending,
			      id);
		if (e)
			e->gone = true;
	}
}

/**
 * slot_free() - give a slot back
 * @s:		supervisor state
 * @f:		slot
 */
static void slot_free(struct supervisor *s, struct sup_fwd *f)
{
	drain_forget(s, (uint32_t)(f - s->ft));
	fwd_set(s, f, FS_FREE);
	free(f->spec);
	memset(f, 0, sizeof(*f));
	s->nft--;
}

/**
 * slot_alloc() - take a free slot, reusing ids as late as possible
 * @s:		supervisor state
 *
 * Return: the slot, or NULL if all FWD_ID_MAX are in use
 */
static struct sup_fwd *slot_alloc(struct supervisor *s)
{
	uint32_t i, id;

	for (i = 0; i < FWD_ID_MAX; i++) {
		id = (s->ft_next + i) % FWD_ID_MAX;
		if (s->ft[id].state == FS_FREE) {
			s->ft_next = (id + 1) % FWD_ID_MAX;
			s->nft++;
			return &s->ft[id];
		}
	}
	return NULL;
}

/**
 * port_allowed() - may the current relay connect to a port
 * @s:		supervisor state
 * @port:	target port
 *
 * Return: true if the relay was started with it
 */
static bool port_allowed(const struct supervisor *s, unsigned port)
{
	return portset_has(s->relay_ports, (uint16_t)port);
}

/**
 * slot_fill() - a slot takes a forward, with its own copy of the spec
 * @f:		slot
 * @e:		the forward
 * @id:		its id (the slot's index)
 *
 * @e's spec is the configuration's, which the next reload frees.
 * Without memory for the copy the slot keeps the spec it had (none, for
 * a new slot).
 *
 * Return: 0, or -1 if the spec could not be copied
 */
static int slot_fill(struct sup_fwd *f, const struct fwd_entry *e, uint32_t id)
{
	char *spec = strdup(e->spec ? e->spec : "");

	if (spec) {
		free(f->spec);
		f->spec = spec;
	}
	f->e = *e;
	f->e.spec = f->spec;
	f->e.m.id = id;
	return spec ? 0 : -1;
}

/**
 * relay_lacks_port() - does a forward need a target port the relay in
 *			service may not connect to
 * @s:		supervisor state; @relay_replace is set if a relay runs
 * @m:		the forward
 *
 * Such a port needs a new relay (restart.c): Landlock rules only grow
 * with a new process.
 *
 * Return: true if the running relay cannot serve @m's target port
 */
static bool relay_lacks_port(struct supervisor *s, const struct msg_forward *m)
{
	if (!udp_fwd_needs_relay_port(m) || port_allowed(s, m->target_port))
		return false;
	if (s->ch[CH_RELAY].pid > 0 && s->ch[CH_RELAY].hello)
		s->relay_replace = true;
	return true;
}

/**
 * fwd_add() - put a new forward in the table
 * @s:		supervisor state
 * @e:		the forward
 *
 * Return: 0 or -1 (table full or out of memory)
 */
static int fwd_add(struct supervisor *s, const struct fwd_entry *e)
{
	struct sup_fwd *f = slot_alloc(s);

	if (!f)
		return -1;
	if (slot_fill(f, e, (uint32_t)(f - s->ft))) {
		slot_free(s, f);
		return -1;
	}
	f->ctl_token = s->ctl_token_now;
	fwd_set(s, f, FS_RELAY);
	relay_lacks_port(s, &e->m);
	return 0;
}

/**
 * fwd_remove() - take a forward out of service
 * @s:		supervisor state
 * @f:		slot, live
 *
 * Its flows in the relay go on; its sockets are closed by relay and agent.
 */
static void fwd_remove(struct supervisor *s, struct sup_fwd *f)
{
	struct msg_id del = { f->e.m.id };
	const struct sup_child *a = &s->ch[f->e.m.listen_side];

	if (f->in_relay && s->ch[CH_RELAY].chan.fd >= 0)
		sup_send(s, CH_RELAY, MSG_FORWARD_DEL, &del, NULL, 0);
	f->in_relay = false;
	udp_target_del(s, &f->e.m);
	if (f->state == FS_RELAY || f->state == FS_BIND ||
	    (!f->bind_pending && !f->agent_holds) || a->pid <= 0 ||
	    !a->hello) {
		slot_free(s, f);
		return;
	}
	fwd_set(s, f, FS_UNBIND);
}

/* AUTO_LOG_LINES, AUTO_LOG_SEC - at most AUTO_LOG_LINES auto port lines
 * name their port in AUTO_LOG_SEC seconds; the rest are counted, and the
 * count logged in one line when the window ends */
#define AUTO_LOG_LINES		8
#define AUTO_LOG_SEC		10

/**
 * sup_auto_logged() - may one more auto port line be written
 * @s:		supervisor state
 * @ev:		what it would say
 *
 * Which ports listen is the other side's choice: a namespace that opens
 * and closes a thousand ports a second would otherwise write two thousand
 * lines a second into the host's journal.  Past AUTO_LOG_LINES in a
 * window of AUTO_LOG_SEC the line is counted instead, and
 * fwdtab_auto_log_tick() says how many when the window ends: a flapping
 * namespace costs at most AUTO_LOG_LINES + 1 lines per window.
 *
 * Return: true if the caller writes its line
 */
bool sup_auto_logged(struct supervisor *s, enum sup_auto_event ev)
{
	long long now = clock_ms();
	unsigned k, more = 0;

	for (k = 0; k < SUP_AUTO_EVENTS; k++)
		more += s->auto_log.more[k];
	if (!more && now - s->auto_log.start_ms >= AUTO_LOG_SEC * 1000LL) {
		s->auto_log.start_ms = now;
		s->auto_log.named = 0;
	}
	if (s->auto_log.named < AUTO_LOG_LINES) {
		s->auto_log.named++;
		return true;
	}
	s->auto_log.more[ev]++;
	return false;
}

/**
 * fwdtab_auto_log_tick() - at the end of a window, log what was counted
 * @s:		supervisor state
 *
 * Called from the supervisor's timer.  A new window starts with the line,
 * so lines naming ports come back as soon as the churn stops.
 */
void fwdtab_auto_log_tick(struct supervisor *s)
{
	long long now = clock_ms();
	unsigned *m = s->auto_log.more;

	if (!m[SUP_AUTO_GONE] && !m[SUP_AUTO_NEW] && !m[SUP_AUTO_FAILED])
		return;
	if (now - s->auto_log.start_ms < AUTO_LOG_SEC * 1000LL)
		return;
	nnotice("auto: %u more ports started listening, %u stopped and %u "
		"addresses could not be bound in the last %lld s, not logged "
		"one by one (ctl status lists the forwards)", m[SUP_AUTO_NEW],
		m[SUP_AUTO_GONE], m[SUP_AUTO_FAILED],
		(now - s->auto_log.start_ms) / 1000);
	memset(m, 0, sizeof(s->auto_log.more));
	s->auto_log.start_ms = now;
	s->auto_log.named = 0;
}

/**
 * auto_note() - log an auto forward coming or going, once per port
 * @s:		supervisor state
 * @e:		the forward added or removed
 * @added:	true if added
 * @done:	ports of this merge already logged, by sup_auto_set() (an
 *		auto port has a listener per family: one line says it)
 */
static void auto_note(struct supervisor *s, const struct fwd_entry *e,
		      bool added, uint8_t done[AUTO_SETS][PORTSET_BYTES])
{
	unsigned set = sup_auto_set(e), p = e->m.listen_port;
	unsigned side = e->m.listen_side;

	if (e->src != CONFIG_SRC_AUTO || portset_has(done[set], (uint16_t)p))
		return;
	portset_add(done[set], (uint16_t)p);
	if (added) {
		if (sup_auto_logged(s, SUP_AUTO_NEW))
			nnotice("-%c %s: port %u listens %s: forwarding it",
				e->opt, e->spec, p, side == SIDE_HOST ?
				"in the namespace" : "on the host");
		return;
	}
	portset_del(s->auto_failed[set][0], (uint16_t)p);
	portset_del(s->auto_failed[set][1], (uint16_t)p);
	/* A port that still listens went with its rule (ctl remove, a
	 * reload): "no longer listens" would be untrue */
	if (sup_auto_logged(s, SUP_AUTO_GONE)) {
		bool still = port_listens(s, side == SIDE_HOST ? SIDE_TARGET :
					  SIDE_HOST, p, e->m.flags & FWD_F_UDP);

		nnotice("-%c %s: port %u %s %s%s: forward removed", e->opt,
			e->spec, p, still ? "listens" : "no longer listens",
			side == SIDE_HOST ? "in the namespace" : "on the host",
			still ? ", but its rule is gone" : "");
	}
}

/**
 * fwd_proxy_set() - turn the PROXY header of a kept forward on or off
 * @s:		supervisor state
 * @f:		slot, live
 * @want:	the desired forward
 *
 * The listener stays as it is, its socket and its flows; a relay that
 * knows the forward gets it again with the new flag, which it applies to
 * the connections it accepts from then on (msg.h).  A relay yet to learn
 * it gets the new flag in its batch.
 */
static void fwd_proxy_set(struct supervisor *s, struct sup_fwd *f,
			  const struct fwd_entry *want)
{
	f->e.pp = want->pp;
	if (!((f->e.m.flags ^ want->m.flags) & FWD_F_PROXY))
		return;
	f->e.m.flags = (uint8_t)((f->e.m.flags & ~FWD_F_PROXY) |
				 (want->m.flags & FWD_F_PROXY));
	if (f->in_relay && s->ch[CH_RELAY].chan.fd >= 0)
		sup_send(s, CH_RELAY, MSG_FORWARD, &f->e.m, NULL, 0);
}

/**
 * retarget_in_place() - may a forward take a new target without a rebind
 * @have:	forward in the table
 * @want:	same listening socket, from the new configuration
 *
 * A TCP forward whose new target differs only in port or, for an
 * explicit target, in address within the same family: the relay connects
 * to it from the same pool, so the listening socket, its backlog and its
 * flows stay (msg.h).  Rebinding instead refused clients for as long as
 * the port was closed, and lost the ones already waiting in the backlog:
 * a reload that moves a service to a new port (blue/green) is when that
 * hurts.  A UDP forward's target is in its agent and in the sockets the
 * relay pooled for it, so it changes as a new forward.
 *
 * Return: true if the forward may change in place
 */
static bool retarget_in_place(const struct msg_forward *have,
			      const struct msg_forward *want)
{
	struct msg_forward w = *want;

	if ((have->flags & FWD_F_UDP) ||
	    ((have->flags ^ want->flags) & ~FWD_F_PROXY) ||
	    have->target_family != want->target_family)
		return false;
	w.target_addr = have->target_addr;
	w.target_port = have->target_port;
	return same_target(have, &w) && !same_target(have, want);
}

/**
 * fwd_retarget() - change a live forward's target port or address
 * @s:		supervisor state
 * @f:		table slot
 * @want:	the forward with its new target
 *
 * The relay applies it to connections it accepts from now on; one yet to
 * learn the forward gets the new target in its batch.  A PROXY flag that
 * changes at the same time travels in the same FORWARD.  A port outside
 * the running relay's Landlock rules needs a new relay (restart.c): the
 * running one keeps the old target until the new one, which gets the
 * whole table, takes the listener over.
 */
static void fwd_retarget(struct supervisor *s, struct sup_fwd *f,
			 const struct fwd_entry *want)
{
	/* Out of memory for the spec's copy, the change still applies */
	(void)slot_fill(f, want, f->e.m.id);
	if (relay_lacks_port(s, &f->e.m))
		return;
	if (f->in_relay && s->ch[CH_RELAY].chan.fd >= 0)
		sup_send(s, CH_RELAY, MSG_FORWARD, &f->e.m, NULL, 0);
}

/**
 * merge() - turn the table into the desired list
 * @s:		supervisor state
 * @want:	desired forwards, sorted, unique sockets
 * @n:		their number
 *
 * Return: 0 or -1 (out of memory or a full table; what was done stays
 * done, and is consistent)
 */
static int merge(struct supervisor *s, const struct fwd_entry *want,
		 unsigned n)
{
	static uint8_t noted[2][AUTO_SETS][PORTSET_BYTES];
	struct sup_fwd **have;
	unsigned nh = 0, i = 0, j = 0;
	uint32_t id;
	int ret = 0, c;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	have = malloc((s->nft + 1) * sizeof(*have));
	if (!have)
		return -1;
	for (id = 0; id < FWD_ID_MAX && nh < s->nft; id++)
		if (live(&s->ft[id]))
			have[nh++] = &s->ft[id];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	qsort(have, nh, sizeof(*have), slot_cmp);
	memset(noted, 0, sizeof(noted));
	while (i < nh || j < n) {
		c = i == nh ? 1 : j == n ? -1 : key_cmp(&have[i]->e.m,
							 &want[j].m);
		if (c < 0) {
			auto_note(s, &have[i]->e, false, noted[0]);
			fwd_remove(s, have[i++]);
		} else if (c > 0) {
			auto_note(s, &want[j], true, noted[1]);
			ret |= fwd_add(s, &want[j++]);
		} else if (retarget_in_place(&have[i]->e.m, &want[j].m)) {
			fwd_retarget(s, have[i++], &want[j++]);
		} else if (!same_target(&have[i]->e.m, &want[j].m)) {
			fwd_remove(s, have[i++]);
			ret |= fwd_add(s, &want[j++]);
		} else {
			/* Kept; the source may have moved (file -> ctl) */
			have[i]->e.src = want[j].src;
			have[i]->e.tolerate = want[j].tolerate;
			fwd_proxy_set(s, have[i], &want[j]);
			i++;
			j++;
		}
	}
	free(have);
	return ret;
}

/**
 * fwdtab_apply() - make the table match the configuration and scans
 * @s:		supervisor state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0; FWDTAB_OVER with @err set if the configuration needs more
 * listening sockets than the descriptor limit allows (nothing changed);
 * -1 with @err set on other failures
 */
int fwdtab_apply(struct supervisor *s, char *err, size_t errlen)
{
	struct fwd_entry *want;
	unsigned n, skipped;
	int ret;

	ret = desired(s, &want, &n, &skipped, err, errlen);
	if (ret == DESIRED_OVER)
		return FWDTAB_OVER;
	if (ret)
		return errfmt(err, errlen, "out of memory");
	if (skipped > s->auto_skipped)
		nwarn("auto: %u port%s listening on the other side not "
		      "forwarded: the forwards have the %u listening sockets "
		      "that half the descriptor limit (RLIMIT_NOFILE %lu) "
		      "allows", skipped, skipped == 1 ? "" : "s",
		      listen_budget(s), s->nofile);
	s->auto_skipped = skipped;
	ret = merge(s, want, n);
	free(want);
	fwdtab_pump(s);
	if (ret)
		return errfmt(err, errlen, "too many listeners (at most %u) "
			      "or out of memory", FWD_ID_MAX);
	return 0;
}

/**
 * fwdtab_init() - allocate the table
 * @s:		supervisor state
 *
 * Return: 0 or -1
 */
int fwdtab_init(struct supervisor *s)
{
	s->ft = calloc(FWD_ID_MAX, sizeof(*s->ft));
	return s->ft ? 0 : -1;
}

/**
 * fwd_pool_bit() - the pool family a forward connects with
 * @m:		forward
 *
 * As relay/target.c and relay/listener.c choose it: the explicit target's
 * family, else the listener's.
 *
 * Return: POOL_ALLOW_V4 or POOL_ALLOW_V6
 */
static uint32_t fwd_pool_bit(const struct msg_forward *m)
{
	int af = m->flags & FWD_F_TARGET_ADDR ? m->target_family : m->family;

	return af == AF_INET6 ? POOL_ALLOW_V6 : POOL_ALLOW_V4;
}

/**
 * send_pool_allow() - tell an agent which pool families it may hand out
 * @s:		supervisor state
 * @id:		CH_AGENT_HOST or CH_AGENT_TARGET
 *
 * An agent not up yet gets the set when it says HELLO.
 */
static void send_pool_allow(struct supervisor *s, enum sup_child_id id)
{
	struct msg_pool_allow pa = { s->pool_allow[id] };

	if (s->ch[id].pid > 0 && s->ch[id].hello)
		sup_send(s, id, MSG_POOL_ALLOW, &pa, NULL, 0);
}

/**
 * relay_needs() - a forward is about to be sent to the relay
 * @s:		supervisor state
 * @m:		the forward
 *
 * Called before the FORWARD goes out: the agent that must answer the
 * relay's POOL_REQ for it has the POOL_ALLOW queued first.
 */
static void relay_needs(struct supervisor *s, const struct msg_forward *m)
{
	enum sup_child_id side = m->listen_side == SIDE_HOST ?
				 CH_AGENT_TARGET : CH_AGENT_HOST;
	uint32_t bit = fwd_pool_bit(m);

	if (m->flags & FWD_F_UDP) {
		/* Its sockets come from the agent's UDP pools (udp.c) */
		udp_target_send(s, m);
		return;
	}
	s->relay_pools[side] |= bit;
	if (s->pool_allow[side] & bit)
		return;
	s->pool_allow[side] |= bit;
	send_pool_allow(s, side);
}

/**
 * relay_send_fwd() - send the relay one forward of a batch
 * @s:		supervisor state
 * @f:		the forward
 * @batch:	the batch it belongs to
 *
 * Return: 0, or -1 if the channel failed (the relay is being replaced)
 */
static int relay_send_fwd(struct supervisor *s, struct sup_fwd *f,
			  uint32_t batch)
{
	relay_needs(s, &f->e.m);
	if (sup_send(s, CH_RELAY, MSG_FORWARD, &f->e.m, NULL, 0))
		return -1;
	f->in_relay = true;
	f->batch = batch;
	return 0;
}

/**
 * fwdtab_pool_allow() - an agent starts serving the current relay
 * @s:		supervisor state
 * @id:		agent, just up or just sent RELAY_CHAN
 *
 * Narrows what the agent may hand out to what that relay was sent.
 */
void fwdtab_pool_allow(struct supervisor *s, enum sup_child_id id)
{
	s->pool_allow[id] = s->relay_pools[id];
	send_pool_allow(s, id);
	udp_targets_resend(s, id);
}

/**
 * fwdtab_pool_denied() - POOL_DENIED: the relay asked for a family no
 *			  forward of that side connects with
 * @s:		supervisor state
 * @id:		agent that refused
 * @d:		what the relay asked for
 *
 * The agent has stopped serving that relay; a fresh one is started.
 */
void fwdtab_pool_denied(struct supervisor *s, enum sup_child_id id,
			const struct msg_pool_denied *d)
{
	char why[CONFIG_ERR_MAX];

	snprintf(why, sizeof(why), "asked %s for %u IPv%c pool sockets, "
		 "which no forward connects with", s->ch[id].name, d->count,
		 d->family == AF_INET6 ? '6' : '4');
	sup_violation(s, CH_RELAY, NULL, why);
}

/**
 * relay_send_batch() - send the relay every forward it does not know
 * @s:		supervisor state, relay configured and not being replaced
 */
static void relay_send_batch(struct supervisor *s)
{
	struct msg_config_done done = { 0 };
	uint32_t id, batch = s->batch_seq + 1;

	/* One batch at a time: with none in flight, every forward waiting
	 * for the relay is one it has not been sent. */
	if (s->ch[CH_RELAY].batches_out ||
	    !(s->nstate[FS_RELAY][0] + s->nstate[FS_RELAY][1]))
		return;
	for (id = 0; id < FWD_ID_MAX; id++) {
		struct sup_fwd *f = &s->ft[id];

		if (f->state != FS_RELAY || f->in_relay)
			continue;
		if (relay_send_fwd(s, f, batch))
			return;
		done.count++;
	}
	if (!done.count)
		return;
	s->batch_seq = batch;
	if (!sup_send(s, CH_RELAY, MSG_CONFIG_DONE, &done, NULL, 0))
		s->ch[CH_RELAY].batches_out++;
}

/**
 * bind_one() - send an agent the BIND of one forward
 * @s:		supervisor state
 * @f:		slot in FS_BIND
 *
 * A host-side listener may come from socket activation: the inherited
 * socket goes with the BIND and the agent uses it instead of binding.
 *
 * Return: 0 or -1
 */
static int bind_one(struct supervisor *s, struct sup_fwd *f)
{
	enum sup_child_id id = (enum sup_child_id)f->e.m.listen_side;
	int fd = -1, ret;

	if (id == CH_AGENT_HOST && activation_count())
		fd = activation_take(f->e.m.family, &f->e.m.listen_addr,
				     f->e.m.listen_port,
				     f->e.m.flags & FWD_F_UDP);
	ret = sup_send(s, id, MSG_BIND, &f->e.m, fd >= 0 ? &fd : NULL,
		       fd >= 0);
	if (fd >= 0)
		close(fd);
	if (ret)
		return -1;
	fwd_set(s, f, FS_BINDING);
	f->bind_pending = true;
	s->ch[id].bind_out++;
	return 0;
}

/**
 * agent_pump() - send an agent BINDs and UNBINDs while the window allows
 * @s:		supervisor state
 * @id:		CH_AGENT_HOST or CH_AGENT_TARGET, running and said HELLO
 */
static void agent_pump(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *c = &s->ch[id];
	uint32_t i;

	for (i = 0; i < FWD_ID_MAX && c->bind_out < BIND_WINDOW &&
	     c->chan.fd >= 0 && s->nstate[FS_BIND][id] +
	     s->nstate[FS_UNBIND][id]; i++) {
		uint32_t fid = (c->pump_next + i) % FWD_ID_MAX;
		struct sup_fwd *f = &s->ft[fid];
		struct msg_id u = { fid };

		if (f->e.m.listen_side != (uint8_t)id)
			continue;
		if (f->state == FS_BIND) {
			if (bind_one(s, f))
				return;
		} else if (f->state == FS_UNBIND) {
			if (sup_send(s, id, MSG_UNBIND, &u, NULL, 0))
				return;
			fwd_set(s, f, FS_UNBINDING);
			c->bind_out++;
		}
	}
	/* Where the next search starts: work is found in order of ids */
	c->pump_next = (c->pump_next + i) % FWD_ID_MAX;
}

/**
 * fwdtab_pump() - send every request that may go now
 * @s:		supervisor state
 */
void fwdtab_pump(struct supervisor *s)
{
	struct sup_child *r = &s->ch[CH_RELAY];
	int side;

	if (s->stopping)
		return;
	if (s->relay_replace && r->pid > 0 && r->ready && !s->relay_new &&
	    live_replace_counted(s))
		restart_replace_relay(s);
	if (r->pid > 0 && r->ready && !s->relay_new && !s->relay_replace)
		relay_send_batch(s);
	for (side = 0; side < SIDE_COUNT; side++)
		if (s->ch[side].pid > 0 && s->ch[side].hello)
			agent_pump(s, (enum sup_child_id)side);
	live_settled(s);
}

/**
 * auto_port_ok() - may the relay be allowed a port for auto forwards
 * @bm:		an auto rule's allowed ports
 * @own:	ports nsplice's configured forwards listen on
 * @p:		port
 *
 * Return: true if the rule may forward @p and nsplice does not listen on
 * it itself (the scans leave those out, so no auto forward targets one)
 */
static bool auto_port_ok(const uint8_t *bm, const uint8_t *own, unsigned p)
{
	return portset_has(bm, (uint16_t)p) && !portset_has(own, (uint16_t)p);
}

/**
 * allow_auto_ports() - CONNECT_ALLOW for the ports auto rules may target
 * @s:		supervisor state
 *
 * The ports of each rule (no port below the unprivileged start unless the
 * rule names it, supervisor/config/portspec.c) minus the ports the configured forwards
 * listen on.  Narrower only costs a relay replacement when an auto
 * forward does need a port left out (fwd_add()).
 */
static void allow_auto_ports(struct supervisor *s)
{
	static uint8_t own[PORTSET_BYTES];
	struct msg_connect_allow a;
	unsigned i, p, q;

	portset_clear(own);
	for (i = 0; i < s->cfg->nfwd; i++)
		portset_add(own, s->cfg->fwd[i].m.listen_port);
	for (i = 0; i < s->cfg->nautos; i++) {
		const uint8_t *bm = s->cfg->autos[i].allowed;

		/* UDP auto forwards connect nothing in the relay */
		if (s->cfg->autos[i].tmpl[0].m.flags & FWD_F_UDP)
			continue;
		for (p = 1; p < PORTSET_PORTS; p = q) {
			q = p + 1;
			if (!auto_port_ok(bm, own, p))
				continue;
			while (q < PORTSET_PORTS && auto_port_ok(bm, own, q))
				q++;
			a.first = (uint16_t)p;
			a.last = (uint16_t)(q - 1);
			if (sup_send(s, CH_RELAY, MSG_CONNECT_ALLOW, &a, NULL, 0))
				return;
			for (; p < q; p++)
				portset_add(s->relay_ports, (uint16_t)p);
		}
	}
}

/**
 * fwdtab_relay_config() - a (new) relay said HELLO: send it everything
 * @s:		supervisor state
 *
 * RELAY_LIMITS, the ports auto forwards may target, every live forward,
 * CONFIG_DONE.  Its RELAY_READY makes it the relay in service.
 */
void fwdtab_relay_config(struct supervisor *s)
{
	struct msg_relay_limits lim;
	struct msg_config_done done = { 0 };
	uint32_t id, batch = ++s->batch_seq;

	sup_relay_limits(s, &lim);
	if (sup_send(s, CH_RELAY, MSG_RELAY_LIMITS, &lim, NULL, 0))
		return;
	portset_clear(s->relay_ports);
	s->relay_pools[SIDE_HOST] = s->relay_pools[SIDE_TARGET] = 0;
	allow_auto_ports(s);
	for (id = 0; id < FWD_ID_MAX; id++) {
		struct sup_fwd *f = &s->ft[id];

		if (!live(f))
			continue;
		if (relay_send_fwd(s, f, batch))
			return;
		if (udp_fwd_needs_relay_port(&f->e.m))
			portset_add(s->relay_ports, f->e.m.target_port);
		done.count++;
	}
	s->relay_replace = false;
	if (!sup_send(s, CH_RELAY, MSG_CONFIG_DONE, &done, NULL, 0))
		s->ch[CH_RELAY].batches_out = 1;
}

/**
 * fwdtab_relay_ready() - the relay answered a batch
 * @s:		supervisor state
 * @count:	forwards it counted in the batch
 *
 * Return via state: forwards of the oldest open batch may now be bound.
 */
void fwdtab_relay_ready(struct supervisor *s, uint32_t count)
{
	struct sup_child *r = &s->ch[CH_RELAY];
	uint32_t id, oldest = s->batch_seq - r->batches_out + 1;
	unsigned n = 0;

	if (!r->batches_out) {
		sup_violation(s, CH_RELAY, NULL, "RELAY_READY for no batch");
		return;
	}
	r->batches_out--;
	for (id = 0; id < FWD_ID_MAX; id++) {
		struct sup_fwd *f = &s->ft[id];

		if (!f->in_relay || f->batch != oldest || !live(f))
			continue;
		n++;
		if (f->state == FS_RELAY)
			fwd_set(s, f, FS_BIND);
	}
	if (n != count)
		ndebug("relay counted %u forwards in batch %u, %u still live",
		       count, oldest, n);
	if (!r->ready) {
		r->ready = true;
		restart_relay_ready(s);
	}
	fwdtab_pump(s);
}

/**
 * fwdtab_relay_gone() - the relay in service ended
 * @s:		supervisor state
 *
 * Its counters become the base of the next one's; listeners only it held
 * must be bound again; everything must be sent to its successor.
 */
void fwdtab_relay_gone(struct supervisor *s)
{
	uint32_t id;

	for (id = 0; id < FWD_ID_MAX; id++) {
		struct sup_fwd *f = &s->ft[id];

		if (f->state == FS_FREE)
			continue;
		stats_add(&f->base, &f->cnt);
		memset(&f->cnt, 0, sizeof(f->cnt));
		f->in_relay = false;
		if ((f->state == FS_BOUND && !f->agent_holds) ||
		    f->state == FS_BIND)
			fwd_set(s, f, FS_RELAY);
	}
	s->ch[CH_RELAY].batches_out = 0;
}

/**
 * fwdtab_agent_gone() - an agent ended
 * @s:		supervisor state
 * @id:		which agent
 *
 * The relay's copies keep bound listeners alive; what the agent never
 * bound, or failed to, is bound by its successor; removals it owed are
 * complete (its copies died with it, FORWARD_DEL closed the relay's).
 */
void fwdtab_agent_gone(struct supervisor *s, enum sup_child_id id)
{
	uint32_t i;

	for (i = 0; i < FWD_ID_MAX; i++) {
		struct sup_fwd *f = &s->ft[i];

		if (f->state == FS_FREE || f->e.m.listen_side != (uint8_t)id)
			continue;
		f->bind_pending = false;
		f->agent_holds = false;
		if (f->state == FS_UNBIND || f->state == FS_UNBINDING)
			slot_free(s, f);
		else if (f->state == FS_BINDING || f->state == FS_FAILED)
			fwd_set(s, f, FS_BIND);
	}
	s->ch[id].bind_out = 0;
}

/**
 * bind_failed() - a BIND failed: log it (once), plan the next try
 * @s:		supervisor state
 * @f:		the forward, now FS_FAILED
 * @error:	errno from the agent
 *
 * Only forwards someone asked for by port are tried again: an auto port
 * follows its scan (auto_note()), and a port a range or "all" only
 * tolerates is skipped for good, as at start.
 */
static void bind_failed(struct supervisor *s, struct sup_fwd *f, int error)
{
	bool first = !f->fail_logged;

	f->last_errno = error > 0 && error < 256 ? (uint8_t)error : 0;
	if (first)
		sup_bind_failed(s, &f->e, error);
	if (!s->ready || f->e.src == CONFIG_SRC_AUTO ||
	    f->e.tolerate == FWD_TOL_ANY)
		return;
	f->fail_logged = true;
	f->retry_gap = !f->retry_gap ? 1 :
		       f->retry_gap * 2 > BIND_RETRY_MAX_S ? BIND_RETRY_MAX_S :
		       (uint16_t)(f->retry_gap * 2);
	f->retry_at = clock_ms() / CLOCK_MS_PER_S + f->retry_gap;
	if (!s->retry_next || f->retry_at < s->retry_next)
		s->retry_next = f->retry_at;
	if (first)
		nnotice("-%c %s: port %u: trying again every %u s at most, "
			"until it listens or the forward is removed", f->e.opt,
			f->e.spec, f->e.m.listen_port, BIND_RETRY_MAX_S);
	else
		ndebug("-%c %s: port %u: bind failed again (%s), next try "
		       "in %u s", f->e.opt, f->e.spec, f->e.m.listen_port,
		       strerror(error), f->retry_gap);
}

/**
 * bind_recovered() - a forward whose bind had failed listens now
 * @f:		the forward, now FS_BOUND
 */
static void bind_recovered(struct sup_fwd *f)
{
	char a[INANY_STRLEN];

	inany_ntop(f->e.m.family, &f->e.m.listen_addr, a, sizeof(a));
	nnotice("-%c %s: listening on %s%s%s:%u%s now", f->e.opt, f->e.spec,
		f->e.m.family == AF_INET6 ? "[" : "", a,
		f->e.m.family == AF_INET6 ? "]" : "", f->e.m.listen_port,
		f->e.m.listen_side == SIDE_HOST ? "" : " in the namespace");
	f->fail_logged = false;
	f->retry_gap = 0;
}

/**
 * fwdtab_bound() - BOUND: the result of one BIND
 * @s:		supervisor state
 * @id:		agent
 * @b:		answer
 */
void fwdtab_bound(struct supervisor *s, enum sup_child_id id,
		  const struct msg_bound *b)
{
	struct sup_fwd *f = &s->ft[b->id];

	if (!f->bind_pending || f->e.m.listen_side != (uint8_t)id ||
	    !s->ch[id].bind_out) {
		sup_violation(s, id, NULL, "BOUND for a listener never asked "
			      "for");
		return;
	}
	f->bind_pending = false;
	s->ch[id].bind_out--;
	if (f->state == FS_BINDING && !b->error) {
		fwd_set(s, f, FS_BOUND);
		f->agent_holds = true;
		if (f->fail_logged)
			bind_recovered(f);
	} else if (f->state == FS_UNBINDING) {
		f->agent_holds = !b->error;
	} else if (f->state == FS_BINDING) {
		fwd_set(s, f, FS_FAILED);
		bind_failed(s, f, b->error);
	}
	fwdtab_pump(s);
}

/**
 * fwdtab_ctl_result() - how the listeners of one `ctl add` fared
 * @s:		supervisor state
 * @token:	the add (sup_fwd.ctl_token)
 * @buf:	set to a warning naming the first listener that could not be
 *		bound and how many more, or to "" if none failed
 * @len:	its size
 *
 * Return: 1 while some listener of it waits for the relay or its bind,
 * else 0 (@buf set)
 */
int fwdtab_ctl_result(const struct supervisor *s, uint32_t token,
		      char *buf, size_t len)
{
	const struct sup_fwd *first = NULL;
	unsigned failed = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < FWD_ID_MAX; i++) {
		const struct sup_fwd *f = &s->ft[i];

		if (f->state == FS_FREE || f->ctl_token != token)
			continue;
		if (f->state == FS_RELAY || f->state == FS_BIND ||
		    f->state == FS_BINDING)
			return 1;
		if (f->state == FS_FAILED && !failed++)
			first = f;
	}
	if (first) {
		char a[INANY_STRLEN], why[64];
		bool v6 = first->e.m.family == AF_INET6;

		inany_ntop(first->e.m.family, &first->e.m.listen_addr, a,
			   sizeof(a));
		sup_lower_first(first->last_errno ?
				strerror(first->last_errno) : "failed", why,
				sizeof(why));
		snprintf(buf, len, "-%c %s: cannot listen on %s%s%s:%u%s: %s; "
			 "added all the same, and tried again every %u s at "
			 "most until it listens (ctl status: bound no)%s",
			 first->e.opt, first->e.spec, v6 ? "[" : "", a,
			 v6 ? "]" : "", first->e.m.listen_port,
			 first->e.m.listen_side == SIDE_HOST ? "" :
			 " in the namespace", why, (unsigned)BIND_RETRY_MAX_S,
			 failed > 1 ? "; more of its listeners failed too" :
			 "");
	}
	return 0;
}

/**
 * fwdtab_retry() - bind again the failed forwards whose time has come
 * @s:		supervisor state
 *
 * Called from the supervisor's timer; walks the table only when the
 * earliest retry is due (@s->retry_next), not on every tick while some
 * forward is FS_FAILED (an auto port that failed stays so, untried).
 */
void fwdtab_retry(struct supervisor *s)
{
	uint64_t now = clock_ms() / CLOCK_MS_PER_S, next = 0;
	bool any = false;
	uint32_t i;

	if (s->stopping || !s->retry_next || now < s->retry_next)
		return;
	for (i = 0; i < FWD_ID_MAX; i++) {
		struct sup_fwd *f = &s->ft[i];

		if (f->state != FS_FAILED || !f->retry_gap)
			continue;
		if (now >= f->retry_at) {
			fwd_set(s, f, FS_BIND);
			any = true;
		} else if (!next || f->retry_at < next) {
			next = f->retry_at;
		}
	}
	s->retry_next = next;
	if (any)
		fwdtab_pump(s);
}

/**
 * fwdtab_unbound() - UNBOUND: an agent closed its copy of a listener
 * @s:		supervisor state
 * @id:		agent
 * @fid:	listener id
 */
void fwdtab_unbound(struct supervisor *s, enum sup_child_id id, uint32_t fid)
{
	struct sup_fwd *f = &s->ft[fid];

	if (f->state != FS_UNBINDING || f->e.m.listen_side != (uint8_t)id ||
	    f->bind_pending || !s->ch[id].bind_out) {
		sup_violation(s, id, NULL, "UNBOUND for a listener not being "
			      "removed");
		return;
	}
	s->ch[id].bind_out--;
	slot_free(s, f);
	fwdtab_pump(s);
}

/**
 * fwdtab_ports() - PORTS: listening ports changed on an agent's side
 * @s:		supervisor state
 * @id:		agent
 * @p:		report
 */
void fwdtab_ports(struct supervisor *s, enum sup_child_id id,
		  const struct msg_ports *p)
{
	char err[CONFIG_ERR_MAX];
	int fam = (p->family == AF_INET ? 0 : 1) +
		  (p->flags & PORTS_F_UDP ? 2 : 0);
	uint8_t (*sets)[PORTSET_BYTES];
	unsigned i;

	if (!sup_side_scans(s, (int)id)) {
		sup_violation(s, id, NULL, "PORTS without a scan request");
		return;
	}
	sets = s->scan_full[id] ? s->listening_next[id] : s->listening[id];
	for (i = 0; i < p->count; i++) {
		if (p->flags & PORTS_F_LISTENING)
			portset_add(sets[fam], p->port[i]);
		else
			portset_del(sets[fam], p->port[i]);
	}
	if (!(p->flags & PORTS_F_LAST))
		return;
	if (s->scan_full[id]) {
		memcpy(s->listening[id], s->listening_next[id],
		       sizeof(s->listening[id]));
		s->scan_full[id] = false;
	}
	s->scan_seen[id] = true;
	if (fwdtab_apply(s, err, sizeof(err)))
		nerr("auto forwarding: %s", err);
}

/**
 * fwdtab_stats() - STATS: counters of one listener from the relay
 * @s:		supervisor state
 * @st:		counters
 *
 * A listener removed meanwhile is ignored.
 */
void fwdtab_stats(struct supervisor *s, const struct msg_stats *st)
{
	struct sup_fwd *f = &s->ft[st->id];

	if (!live(f) || !f->in_relay)
		return;
	f->cnt = *st;
}

/**
 * fwdtab_drain_start() - a relay is being replaced: note what it served
 * @s:		supervisor state, the relay's counters not yet moved to the
 *		forwards' bases (fwdtab_relay_gone())
 * @d:		the relay, its @fwd not allocated yet
 *
 * It goes on serving its flows, and what they move after its last
 * report (each forward's @cnt) is counted from its reports to come
 * (fwdtab_drain_stats()).  The forwards are keyed by id, as the relay
 * knows them; ids only grow here, so the entries come sorted.
 */
void fwdtab_drain_start(const struct supervisor *s, struct sup_drain *d)
{
	uint32_t id, n = 0;

	d->fwd = calloc(s->nft ? s->nft : 1, sizeof(*d->fwd));
	if (!d->fwd)
		nwarn("out of memory: what the replaced relay still "
		      "forwards is not counted");
	for (id = 0; d->fwd && id < FWD_ID_MAX && n < s->nft; id++) {
		const struct sup_fwd *f = &s->ft[id];

		if (f->state == FS_FREE || !f->in_relay)
			continue;
		d->fwd[n].last = f->cnt;
		d->fwd[n++].last.id = id;
	}
	d->nfwd = n;
}

/**
 * fwdtab_drain_stats() - STATS from a replaced relay still draining
 * @s:		supervisor state
 * @d:		the relay
 * @st:		counters of one of its listeners, id checked by ipc.c
 *
 * What each counter rose since its last report is added to the forward's
 * base, where the counters of relays that are gone are; a counter that
 * went down adds nothing (stats_rise()), so a compromised relay can make
 * a total no larger than the relay in service can (stats_add() stops at
 * UINT64_MAX) and never take one back.  A forward it did not serve, or
 * removed since (its id may name another forward now), is left alone.
 */
void fwdtab_drain_stats(struct supervisor *s, struct sup_drain *d,
			const struct msg_stats *st)
{
	struct sup_drain_fwd *e = drain_fwd(d, st->id);
	struct sup_fwd *f = &s->ft[st->id];
	struct msg_stats rise;

	if (!e || e->gone || !live(f))
		return;
	stats_rise(&e->last, st, &rise);
	e->last.open = st->open;
	stats_add(&f->base, &rise);
}

/**
 * fwdtab_drain_open() - flows of a forward replaced relays still serve
 * @s:		supervisor state
 * @id:		forward id
 *
 * Return: the sum of what they last reported, at most UINT32_MAX
 */
uint32_t fwdtab_drain_open(const struct supervisor *s, uint32_t id)
{
	const struct sup_drain_fwd *e;
	uint64_t open = 0;
	int i;

	for (i = 0; i <= DRAIN_MAX; i++) {
		e = drain_fwd(i < DRAIN_MAX ? &s->drain[i] : &s->drain_pending,
			      id);
		if (e && !e->gone)
			open += e->last.open;
	}
	return open > UINT32_MAX ? UINT32_MAX : (uint32_t)open;
}

/**
 * fwdtab_drain_end() - a replaced relay ended: what it reported stays
 *			counted, its flows are no longer open
 * @d:		the relay
 */
void fwdtab_drain_end(struct sup_drain *d)
{
	free(d->fwd);
	d->fwd = NULL;
	d->nfwd = 0;
}

/**
 * fwdtab_settled() - has every change reached the children
 * @s:		supervisor state
 *
 * Return: true if no forward waits for relay or agent and the relay in
 * service is not being replaced
 */
bool fwdtab_settled(const struct supervisor *s)
{
	static const unsigned busy[] = {
		FS_RELAY, FS_BIND, FS_BINDING, FS_UNBIND, FS_UNBINDING,
	};
	unsigned i;

	if (s->relay_new || s->relay_replace || !s->ch[CH_RELAY].ready ||
	    !s->ch[CH_AGENT_HOST].hello || !s->ch[CH_AGENT_TARGET].hello)
		return false;
	for (i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (s->nstate[busy[i]][0] + s->nstate[busy[i]][1])
			return false;
	return true;
}

/**
 * fwdtab_count() - count forwards in a state
 * @s:		supervisor state
 * @state:	enum sup_fwd_state
 * @side:	enum nsp_side, or -1 for both
 *
 * Return: the number
 */
unsigned fwdtab_count(const struct supervisor *s, unsigned state, int side)
{
	if (side >= 0)
		return s->nstate[state][side];
	return s->nstate[state][0] + s->nstate[state][1];
}

/**
 * fwdtab_auto_ports() - how many ports an auto rule forwards now
 * @s:		supervisor state
 * @r:		rule of the running configuration
 *
 * For status.  A port counts once however many families listen on it,
 * whether its bind succeeded or is being tried again; a port that a
 * configured forward took over from the rule is that forward's.
 *
 * Return: the number of ports
 */
unsigned fwdtab_auto_ports(const struct supervisor *s,
			   const struct auto_rule *r)
{
	uint8_t seen[PORTSET_BYTES];
	unsigned n = 0, used = 0;
	uint32_t id;

	memset(seen, 0, sizeof(seen));
	for (id = 0; s->ft && id < FWD_ID_MAX && used < s->nft; id++) {
		const struct sup_fwd *f = &s->ft[id];

		if (f->state == FS_FREE)
			continue;
		used++;
		if (!live(f) || f->e.src != CONFIG_SRC_AUTO ||
		    !config_auto_owns(r, &f->e.m) ||
		    portset_has(seen, f->e.m.listen_port))
			continue;
		portset_add(seen, f->e.m.listen_port);
		n++;
	}
	return n;
}

/**
 * fwdtab_fini() - free the table at exit
 * @s:		supervisor state
 */
void fwdtab_fini(struct supervisor *s)
{
	uint32_t id;

	for (id = 0; s->ft && id < FWD_ID_MAX; id++)
		free(s->ft[id].spec);
	free(s->ft);
	s->ft = NULL;
}
