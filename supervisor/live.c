// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * live.c - nsplice while it runs: reload, control requests, status,
 *	    readiness and watchdog notifications
 *
 * DOC: Theory of Operation
 *
 * Changes: SIGHUP (live_reload()) and the control socket's add/remove
 * (ctl_change()) each build a complete new configuration next to the
 * running one (config_reload() in supervisor/config/conffile.c, config_change() in
 * supervisor/config/options.c); a new configuration with any error is dropped with the
 * error logged or answered, and the running one is untouched.  Otherwise
 * it replaces the running one and fwdtab_apply() carries the difference
 * to the children: new listeners are bound, removed ones closed,
 * unchanged ones - and every open connection - are not touched.
 *
 * Status: counters live in the relay.  A status request sends STATS_REQ;
 * the relay answers with one STATS per listener and STATS_DONE, and only
 * then is the report built and answered.  Without a relay in service
 * (restarting) the report is built at once from the last numbers, and
 * says how old they are; so is it when the relay sends nothing towards
 * it for STATS_WAIT_MS (stopped, wedged), and the relay is then listed
 * as "not answering".
 *
 * Replaced relays still draining count too: their flows are open, and
 * what those move after the relay's last report before its replacement
 * belongs to the forwards' totals (a transfer live across a `ctl add`
 * that replaced the relay showed "open 0" and under a tenth of its
 * bytes).  A status request asks each of them as well and the report
 * waits for every answer (or STATS_WAIT_MS); each STATS adds what each
 * counter rose since that relay's last report to the forward's base
 * (fwdtab_drain_stats()), and its "open" is added to the forward's.  A
 * draining relay sends a last report unasked once its last flow ended,
 * which is read before it is reaped; one that ends without it leaves
 * what it reported until then counted.
 *
 * systemd: READY=1 once every listener of the start-up configuration is
 * bound and the relay serves; RELOADING=1 with MONOTONIC_USEC= on SIGHUP
 * and READY=1 when that change has reached the children; STATUS= lines
 * along the way; WATCHDOG=1 every half WATCHDOG_USEC, but only while the
 * relay answers pings (STATS_REQ without listeners): a wedged relay stops
 * the pings and systemd restarts the service.  Only the STATS_DONE that
 * carries the sequence number of the request outstanding counts, as a
 * ping's answer or as a report; any other is dropped (stats_asked()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "ipc/log.h"
#include "supervisor/activation.h"
#include "supervisor/control.h"
#include "supervisor/engine.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor.h"

/* STATUS_TARGET_MAX - bytes of the target description in a report */
#define STATUS_TARGET_MAX	4200

/* STATS_WAIT_MS - how long a status report waits for the relay without
 * progress before it is answered from the last counters: well inside
 * the client's CTL_TIMEOUT_SEC, so a stopped or wedged relay gives a
 * report that says so rather than "timed out" */
#define STATS_WAIT_MS		2000

/**
 * live_agent_conf() - tell an agent whether to scan, and keepalive
 * @s:		supervisor state
 * @id:		agent, up
 *
 * Sent when the agent says HELLO and when its side's scan is turned on or
 * off, never otherwise.  The agent's next report (a new agent's first, or
 * the first after the scan is turned on again) is a complete one: it is
 * collected apart (@listening_next) and replaces what this side was known
 * to listen on when its last message arrives, so ports that closed
 * meanwhile go too.  Until then the old sets stay in use: a restarted
 * agent must not make "auto" drop forwards whose ports still listen (a
 * first version cleared them at once, and a ctl add in that moment
 * removed them).  A scan turned off forgets the sets and waits for a
 * complete report again (@scan_seen): keeping them made an "auto" rule
 * added after the last one was removed forward nothing until some port
 * changed.
 */
void live_agent_conf(struct supervisor *s, enum sup_child_id id)
{
	struct msg_agent_conf c = { 0 };

	c.scan = sup_side_scans(s, (int)id);
	if (s->cfg->ka_idle) {
		c.ka_idle = s->cfg->ka_idle;
		c.ka_intvl = s->cfg->ka_intvl;
		c.ka_cnt = s->cfg->ka_cnt;
	}
	if (!c.scan) {
		s->scan_seen[id] = false;
		memset(s->listening[id], 0, sizeof(s->listening[id]));
	}
	s->scan_full[id] = c.scan;
	memset(s->listening_next[id], 0, sizeof(s->listening_next[id]));
	sup_send(s, id, MSG_AGENT_CONF, &c, NULL, 0);
}

/**
 * status_line() - STATUS= for systemd: forwards and connections
 * @s:		supervisor state
 */
static void status_line(struct supervisor *s)
{
	if (!notify_enabled())
		return;
	notify_send("STATUS=forwarding: %u listener%s on the host, %u in the "
		    "namespace; %u connection%s open",
		    fwdtab_count(s, FS_BOUND, SIDE_HOST),
		    fwdtab_count(s, FS_BOUND, SIDE_HOST) == 1 ? "" : "s",
		    fwdtab_count(s, FS_BOUND, SIDE_TARGET), s->flows,
		    s->flows == 1 ? "" : "s");
}

/* READY_LIST_MAX - bytes of forward specs in the ready line; the rest of
 * the line (target, counts) fits in what LOG_LINE_MAX leaves */
#define READY_LIST_MAX	320

/* READY_NETNS_DIR - where `ip netns` keeps its names */
#define READY_NETNS_DIR	"/run/netns/"

static const char *target_text(const struct supervisor *s, char *buf,
			       size_t len);

/**
 * spec_list_add() - append "-t SPEC" to the list of the ready line
 * @buf:	list so far, NUL-terminated
 * @len:	its size, READY_LIST_MAX
 * @opt:	'T' or 't'
 * @spec:	SPEC text
 *
 * Return: 0, or -1 if it did not fit (@buf unchanged)
 */
static int spec_list_add(char *buf, size_t len, char opt, const char *spec)
{
	size_t used = strlen(buf);
	int n;

	n = snprintf(buf + used, len - used, "%s-%c %s", used ? ", " : "",
		     opt, spec);
	if (n < 0 || (size_t)n >= len - used) {
		buf[used] = '\0';
		return -1;
	}
	return 0;
}

/**
 * spec_cmp() - order of two forward entries by option, then SPEC text
 * @x:		one entry
 * @y:		the other
 *
 * Return: <0, 0 (the same SPEC) or >0
 */
static int spec_cmp(const struct fwd_entry *x, const struct fwd_entry *y)
{
	if (x->opt != y->opt)
		return x->opt < y->opt ? -1 : 1;
	return strcmp(x->spec ? x->spec : "", y->spec ? y->spec : "");
}

/**
 * spec_ref_cmp() - qsort() order of references to forward entries:
 *		    spec_cmp(), then position
 * @a:		const struct fwd_entry *const *
 * @b:		const struct fwd_entry *const *
 *
 * Return: <0, 0 or >0 as for strcmp()
 */
static int spec_ref_cmp(const void *a, const void *b)
{
	const struct fwd_entry *x = *(const struct fwd_entry *const *)a;
	const struct fwd_entry *y = *(const struct fwd_entry *const *)b;
	int c = spec_cmp(x, y);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/**
 * spec_repeats() - mark the entries whose SPEC an earlier entry has
 * @cfg:	configuration
 *
 * One SPEC makes an entry per family and port, and the entries of two
 * SPECs interleave (every IPv4 listener, then every IPv6 one), so
 * comparing neighbours listed "-u A, -u B, -u A, -u B".  Sorting
 * references keeps this O(n log n) for a range of thousands of ports.
 *
 * Return: array of @cfg->nfwd flags, true for an entry to leave out, to be
 * freed; NULL if out of memory
 */
static bool *spec_repeats(const struct nsp_config *cfg)
{
	size_t n = cfg->nfwd ? cfg->nfwd : 1;	/* calloc(0) may be NULL */
	const struct fwd_entry **ref;
	bool *rep;
	unsigned i;

	ref = calloc(n, sizeof(const struct fwd_entry *));
	rep = calloc(n, sizeof(*rep));
	if (!ref || !rep) {
		free(ref);
		free(rep);
		return NULL;
	}
	for (i = 0; i < cfg->nfwd; i++)
		ref[i] = &cfg->fwd[i];
	qsort(ref, cfg->nfwd, sizeof(const struct fwd_entry *), spec_ref_cmp);
	for (i = 1; i < cfg->nfwd; i++)
		if (!spec_cmp(ref[i], ref[i - 1]))
			rep[ref[i] - cfg->fwd] = true;
	free(ref);
	return rep;
}

/**
 * ready_line() - say, in one line, what is forwarded where, and ready
 * @s:		supervisor state
 *
 * The one line a successful start prints at the default level: every
 * forward as the user wrote it (each SPEC once, however many listeners
 * it made, where its first listener is in the table), and the target.
 * Everything else about the start is at -v and in `nsplice ctl status`.
 */
static void ready_line(const struct supervisor *s)
{
	char list[READY_LIST_MAX] = "", buf[STATUS_TARGET_MAX];
	bool *rep = spec_repeats(s->cfg);
	const char *last = NULL, *tgt;
	unsigned i, more = 0;

	for (i = 0; i < s->cfg->nfwd; i++) {
		const struct fwd_entry *e = &s->cfg->fwd[i];

		/* out of memory: neighbours at least */
		if (rep ? rep[i] : last && !strcmp(last, e->spec))
			continue;
		last = e->spec;
		if (!more && !list[0] &&
		    strlen(e->spec) + 4 > sizeof(list))
			/* A SPEC longer than the line: its start, not nothing
			 * ("forwarding  and 1 more") */
			snprintf(list, sizeof(list), "-%c %.*s...", e->opt,
				 (int)(sizeof(list) - 8), e->spec);
		else if (more || spec_list_add(list, sizeof(list), e->opt,
					       e->spec))
			more++;
	}
	free(rep);
	for (i = 0; i < s->cfg->nautos; i++)
		if (more || spec_list_add(list, sizeof(list),
					  s->cfg->autos[i].opt,
					  s->cfg->autos[i].spec))
			more++;
	tgt = target_text(s, buf, sizeof(buf));
	/* "netns web" as the user wrote it, not /run/netns/web */
	if (s->cfg->target == TARGET_NETNS &&
	    !strncmp(s->cfg->netns_path, READY_NETNS_DIR,
		     strlen(READY_NETNS_DIR)))
		snprintf(buf, sizeof(buf), "netns %s",
			 s->cfg->netns_path + strlen(READY_NETNS_DIR));
	if (!more)
		nnotice("forwarding %s to %s; ready", list[0] ? list : "nothing",
			tgt);
	else
		nnotice("forwarding %s and %u more to %s; ready", list, more,
			tgt);
}

/**
 * first_ready() - start-up is complete: nsplice is forwarding
 * @s:		supervisor state
 */
static void first_ready(struct supervisor *s)
{
	unsigned host = fwdtab_count(s, FS_BOUND, SIDE_HOST);
	unsigned target = fwdtab_count(s, FS_BOUND, SIDE_TARGET);
	char err[CONFIG_ERR_MAX];

	/* Both are the forwards' fault, before nsplice first served: the
	 * usage status, as nsplice(1) says, not the runtime one */
	if (s->cfg->nfwd && !s->cfg->nautos && !host && !target) {
		nerr("no port could be forwarded");
		sup_stop(s, EXIT_USAGE, NULL);
		return;
	}
	if (activation_check_all_taken(err, sizeof(err))) {
		nerr("%s", err);
		sup_stop(s, EXIT_USAGE, NULL);
		return;
	}
	s->ready = true;
	/* COMMAND first: one that cannot be run ends nsplice (its status,
	 * 127 or 126, when its child is reaped) and must not be announced
	 * as ready - something waiting for the line would be misled */
	if (netns_command_release(s))
		return;
	ninfo("forwarding: %u listener%s on the host, %u in the namespace",
	      host, host == 1 ? "" : "s", target);
	ready_line(s);
	notify_send("READY=1");
	engine_ready(s->eng);
	status_line(s);
}

/**
 * live_settled() - called after every change reached the children or not
 * @s:		supervisor state
 *
 * Sends the READY=1 that start-up or a reload owes systemd once the
 * children have caught up.
 */
void live_settled(struct supervisor *s)
{
	if (s->stopping || (s->ready && !s->reloading) ||
	    !fwdtab_settled(s))
		return;
	if (!s->ready) {
		first_ready(s);
		return;
	}
	s->reloading = false;
	ninfo("reload applied");
	notify_send("READY=1");
	status_line(s);
}

/**
 * replace_config() - make a new configuration the running one
 * @s:		supervisor state
 * @keep:	the new configuration, malloc'd, taken over (freed here on
 *		failure); it holds pointers into itself, so it is never
 *		copied
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set and the running configuration restored
 */
static int replace_config(struct supervisor *s, struct nsp_config *keep,
			  char *err, size_t errlen)
{
	const struct nsp_config *old = s->cfg;
	struct nsp_config *old_owned = s->cfg_owned;
	int side;

	if (s->one_ns && config_check_loops(keep, true, err, errlen)) {
		config_free(keep);
		free(keep);
		return -1;
	}
	s->cfg = keep;
	if (fwdtab_apply(s, err, errlen)) {
		char again[CONFIG_ERR_MAX];

		/* Put back what was running; the table follows it again. */
		s->cfg = old;
		if (fwdtab_apply(s, again, sizeof(again)))
			nerr("restoring the running configuration: %s", again);
		config_free(keep);
		free(keep);
		return -1;
	}
	s->cfg_owned = keep;
	for (side = 0; side < SIDE_COUNT; side++)
		if (s->ch[side].pid > 0 && s->ch[side].hello &&
		    sup_side_scans(s, side) != sup_side_scans_cfg(old, side))
			live_agent_conf(s, (enum sup_child_id)side);
	if (old_owned) {
		config_free(old_owned);
		free(old_owned);
	}
	return 0;
}

/**
 * live_reload() - SIGHUP: re-read the configuration file
 * @s:		supervisor state
 */
void live_reload(struct supervisor *s)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config *fresh;

	if (!s->cfg->config_path) {
		nnotice("SIGHUP: nothing to reload without a configuration "
			"file (-c FILE)");
		return;
	}
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)clock_ms() * 1000ULL);
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		errfmt(err, sizeof(err), "out of memory");
	/* The path is checked again: a directory on it may have been made
	 * writable by others, or a symlink given away, since the start */
	else if (file_path_check("config file", s->cfg->config_path, err,
				 sizeof(err)) ||
		 config_reload(s->cfg, fresh, err, sizeof(err)))
		free(fresh);	/* left empty by config_reload() */
	else if (replace_config(s, fresh, err, sizeof(err)) && !err[0])
		errfmt(err, sizeof(err), "cannot apply the change");
	if (err[0]) {
		nerr("reload failed, nothing changed: %s", err);
		notify_send("READY=1\nSTATUS=reload failed: %s", err);
		return;
	}
	nnotice("SIGHUP: %s reloaded", s->cfg->config_path);
	sup_auto_explain(s->cfg);
	s->reloading = true;
	live_settled(s);
}

/**
 * live_retarget() - send new connections to another target address
 * @s:		supervisor state
 * @af:		family of @addr
 * @addr:	the container's new address
 * @err:	error buffer
 * @errlen:	its size
 *
 * rootlessport's reload: listeners stay bound and open connections keep
 * their target; fwdtab_apply() changes the forwards in place where the
 * family is unchanged.
 *
 * Return: 0, or -1 with @err set and nothing changed
 */
int live_retarget(struct supervisor *s, int af, const union inany *addr,
		  char *err, size_t errlen)
{
	struct nsp_config *fresh = calloc(1, sizeof(*fresh));

	if (!fresh)
		return errfmt(err, errlen, "out of memory");
	if (config_retarget(s->cfg, af, addr, fresh, err, errlen)) {
		free(fresh);
		return -1;
	}
	if (replace_config(s, fresh, err, errlen))
		return err[0] ? -1 : errfmt(err, errlen, "cannot apply the "
					    "change");
	s->reloading = true;
	live_settled(s);
	return 0;
}

/* CTL_ADD_WAIT_MS - how long a `ctl add` answer waits for its binds */
#define CTL_ADD_WAIT_MS		2000

/**
 * ctl_add_wait() - let an add's answer wait for its listeners' binds
 * @s:		supervisor state
 * @token:	the add
 *
 * There is a place per control client, and every waiting add is one: the
 * places cannot all be taken by others.
 *
 * Return: true if it waits (ctl_waits_check() answers), false if every
 * waiting place is taken (cannot happen; answered "ok" at once)
 */
static bool ctl_add_wait(struct supervisor *s, uint32_t token)
{
	unsigned i;

	for (i = 0; i < CTL_ADD_WAITS; i++) {
		if (s->ctl_wait[i].token)
			continue;
		s->ctl_wait[i].token = token;
		s->ctl_wait[i].since_ms = clock_ms();
		return true;
	}
	return false;
}

/**
 * ctl_waits_check() - answer the adds whose listeners are bound or failed
 * @s:		supervisor state
 *
 * A port that cannot be bound (in use, not allowed) is tried again, so
 * the add stands; but the user who typed it is told at once, "ok: -t
 * 8080: cannot listen on 127.0.0.1:8080: address already in use; ...",
 * rather than an "ok" that read as working.  An add still waiting after
 * CTL_ADD_WAIT_MS (a relay being replaced) is answered "ok" with a note.
 */
static void ctl_waits_check(struct supervisor *s)
{
	char warn[CONFIG_ERR_MAX];
	unsigned i;

	for (i = 0; i < CTL_ADD_WAITS; i++) {
		uint32_t t = s->ctl_wait[i].token;
		int pending;

		if (!t)
			continue;
		pending = fwdtab_ctl_result(s, t, warn, sizeof(warn));
		if (pending && clock_ms() - s->ctl_wait[i].since_ms <
			       CTL_ADD_WAIT_MS)
			continue;
		if (pending)
			snprintf(warn, sizeof(warn), "added; not every listener "
				 "is bound yet after %d ms (ctl status shows "
				 "them)", CTL_ADD_WAIT_MS);
		if (s->ctl)
			control_change_done(s->ctl, t, warn[0] ? warn : NULL);
		/* the slots keep @t: no later add is given it again */
		s->ctl_wait[i].token = 0;
	}
}

/**
 * ctl_change() - control socket add/remove
 * @ctx:	supervisor state
 * @r:		parsed request
 * @token:	the request's token for control_change_done()
 * @err:	error buffer
 * @errlen:	its size
 *
 * An add is answered once its listeners are bound or have failed
 * (ctl_waits_check()), so a port in use is reported to whoever added it.
 *
 * Return: 0 (answered "ok" now), 1 (answered later), or -1 with @err set
 * and nothing changed
 */
static int ctl_change(void *ctx, const struct ctl_req *r, uint32_t token,
		      char *err, size_t errlen)
{
	struct supervisor *s = ctx;
	struct nsp_config *fresh = calloc(1, sizeof(*fresh));
	int ret;

	if (!fresh)
		return errfmt(err, errlen, "out of memory");
	if (config_change(s->cfg, r->op == CTL_ADD, r->opt, r->spec, fresh,
			  err, errlen)) {
		free(fresh);
		return -1;
	}
	/* "add ... --proxy-protocol": the forwards it made send the header */
	if (r->proxy && config_pp_mark(fresh, r->opt, r->spec, err, errlen)) {
		config_free(fresh);
		free(fresh);
		return -1;
	}
	s->ctl_token_now = r->op == CTL_ADD ? token : 0;
	ret = replace_config(s, fresh, err, errlen);
	s->ctl_token_now = 0;
	if (ret)
		return -1;
	nnotice("control: %s -%c %s", r->op == CTL_ADD ? "added" : "removed",
	      r->opt, r->spec);
	return r->op == CTL_ADD && ctl_add_wait(s, token) ? 1 : 0;
}

/**
 * target_text() - describe the target for a report
 * @s:		supervisor state
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static const char *target_text(const struct supervisor *s, char *buf,
			       size_t len)
{
	switch (s->cfg->target) {
	case TARGET_NETNS:
		snprintf(buf, len, "netns %s", s->cfg->netns_path);
		break;
	case TARGET_PID:
		snprintf(buf, len, "pid %d", (int)s->cfg->pid);
		break;
	case TARGET_COMMAND:
		snprintf(buf, len, "command %s (pid %d)", s->cfg->command[0],
			 (int)s->cmd_pid);
		break;
	default:
		snprintf(buf, len, "none");
	}
	return buf;
}

/**
 * proc_state() - one word for a child's state
 * @s:		supervisor state
 * @c:		child
 *
 * Return: "running", "starting", "restarting", "stopped" or, for a
 * relay that let a report wait STATS_WAIT_MS, "not answering"
 */
static const char *proc_state(const struct supervisor *s,
			      const struct sup_child *c)
{
	if (c->restart_at)
		return "restarting";
	if (c->pid <= 0 || c->ended)
		return s->stopping ? "stopped" : "restarting";
	if (!c->hello || (c == &s->ch[CH_RELAY] && !c->ready))
		return "starting";
	if (c == &s->ch[CH_RELAY] && s->relay_silent)
		return "not answering";
	return "running";
}

/**
 * fill_procs() - the processes of a report
 * @s:		supervisor state
 * @st:		report
 */
static void fill_procs(const struct supervisor *s, struct ctl_status *st)
{
	static const char *const names[CH_COUNT] = {
		"agent host", "agent target", "relay" };
	int i;

	st->proc[st->nproc++] = (struct ctl_proc_status){
		"supervisor", getpid(), "running", 0 };
	for (i = CH_COUNT - 1; i >= 0; i--)
		st->proc[st->nproc++] = (struct ctl_proc_status){
			names[i], s->ch[i].pid, proc_state(s, &s->ch[i]),
			s->ch[i].restarts };
	_Static_assert(CTL_PROCS_MAX >= 1 + CH_COUNT + DRAIN_MAX + 1,
		       "a status report lists every process");
	for (i = 0; i < DRAIN_MAX; i++)
		if (s->drain[i].pid > 0)
			st->proc[st->nproc++] = (struct ctl_proc_status){
				"relay (draining)", s->drain[i].pid,
				"draining", 0 };
	if (s->cmd_pid > 0)
		st->proc[st->nproc++] = (struct ctl_proc_status){
			"command", s->cmd_pid, "running", 0 };
}

/**
 * fill_fwd() - one listener of a report
 * @s:		supervisor state
 * @f:		table slot, live
 * @o:		filled
 */
static void fill_fwd(const struct supervisor *s, const struct sup_fwd *f,
		     struct ctl_fwd_status *o)
{
	uint64_t open = (uint64_t)f->cnt.open +
			fwdtab_drain_open(s, f->e.m.id);

	o->m = f->e.m;
	o->opt = f->e.opt;
	o->src = f->e.src;
	o->bound = f->state == FS_BOUND;
	o->c = f->base;
	stats_add(&o->c, &f->cnt);
	o->c.id = f->e.m.id;
	o->c.open = open > UINT32_MAX ? UINT32_MAX : (uint32_t)open;
}

/**
 * fill_autos() - the auto rules of a report
 * @s:		supervisor state
 * @st:		report, its @autos and @nautos set
 *
 * Out of memory, the rules are left out and the rest is reported.
 *
 * Return: @st->autos, for the caller to free, or NULL
 */
static struct ctl_auto_status *fill_autos(const struct supervisor *s,
					  struct ctl_status *st)
{
	struct ctl_auto_status *a;
	unsigned i;

	if (!s->cfg->nautos || !(a = calloc(s->cfg->nautos, sizeof(*a))))
		return NULL;
	for (i = 0; i < s->cfg->nautos; i++) {
		a[i].r = &s->cfg->autos[i];
		a[i].ports = fwdtab_auto_ports(s, a[i].r);
	}
	st->autos = a;
	st->nautos = s->cfg->nautos;
	return a;
}

/**
 * answer_status() - build the report and answer every waiting client
 * @s:		supervisor state
 */
static void answer_status(struct supervisor *s)
{
	char target[STATUS_TARGET_MAX];
	struct ctl_auto_status *autos;
	struct ctl_fwd_status *fw;
	struct ctl_status st;
	uint32_t id;
	unsigned n = 0;

	uint64_t flows = s->flows;
	int i;

	s->stats_want = false;
	s->status_owed = false;
	for (i = 0; i < DRAIN_MAX; i++) {
		s->drain[i].seq = 0;
		if (s->drain[i].pid > 0)
			flows += s->drain[i].flows;
	}
	memset(&st, 0, sizeof(st));
	fw = calloc(s->nft ? s->nft : 1, sizeof(*fw));
	for (id = 0; fw && id < FWD_ID_MAX && n < s->nft; id++) {
		unsigned state = s->ft[id].state;

		if (state != FS_FREE && state != FS_UNBIND &&
		    state != FS_UNBINDING)
			fill_fwd(s, &s->ft[id], &fw[n++]);
	}
	st.version = NSPLICE_VERSION;
	st.target = target_text(s, target, sizeof(target));
	st.fwd = fw;
	st.nfwd = fw ? n : 0;
	autos = fill_autos(s, &st);
	fill_procs(s, &st);
	st.flows = flows > UINT32_MAX ? UINT32_MAX : (uint32_t)flows;
	st.flow_limit = s->flow_limit;
	st.waiting = s->waiting;
	st.stats_age_ms = s->stats_at_ms ? (uint64_t)(clock_ms() -
						      s->stats_at_ms)
					 : UINT64_MAX;
	control_status_ready(s->ctl, &st);
	free(autos);
	free(fw);
}

/**
 * status_check() - answer the report owed once every relay asked answered
 * @s:		supervisor state
 */
static void status_check(struct supervisor *s)
{
	int i;

	if (!s->status_owed || s->stats_want)
		return;
	for (i = 0; i < DRAIN_MAX; i++)
		if (s->drain[i].seq)
			return;
	answer_status(s);
}

/**
 * ctl_status() - control socket: a client wants a report
 * @ctx:	supervisor state
 *
 * The relay in service and every draining one are asked, with the same
 * sequence number; a draining relay that cannot be sent it is answered
 * for from its last report.
 */
static void ctl_status(void *ctx)
{
	struct supervisor *s = ctx;
	struct msg_stats_req q = { ++s->stats_seq, STATS_F_LISTENERS };
	int i;

	s->status_owed = true;
	s->stats_wait_ms = clock_ms();
	for (i = 0; i < DRAIN_MAX; i++)
		if (s->drain[i].pid > 0 &&
		    !restart_drain_send(&s->drain[i], MSG_STATS_REQ, &q))
			s->drain[i].seq = q.seq;
	if (s->ch[CH_RELAY].ready && !s->relay_new &&
	    !sup_send(s, CH_RELAY, MSG_STATS_REQ, &q, NULL, 0))
		s->stats_want = true;
	status_check(s);
}

/**
 * live_drain_msg() - a message from a draining relay
 * @s:		supervisor state
 * @d:		the relay
 * @m:		validated message
 *
 * Its STATS count (fwdtab_drain_stats()) whenever they come: its last
 * report comes unasked.  Its STATS_DONE for the report waiting ends its
 * part; any other (an old request's, the last report's 0) only says how
 * many flows it holds.  Anything else it sent before it was replaced,
 * left unread then, is dropped.
 */
void live_drain_msg(struct supervisor *s, struct sup_drain *d,
		    const struct ipc_msg *m)
{
	switch (m->type) {
	case MSG_STATS:
		/* No progress of the report (live_stats_progress()): a
		 * draining relay that kept sending STATS and never its
		 * STATS_DONE held every status answer back for good (an
		 * audit), and hid a silent relay in service.  Its part
		 * waits STATS_WAIT_MS from the request at most. */
		fwdtab_drain_stats(s, d, &m->u.stats);
		break;
	case MSG_STATS_DONE:
		d->flows = m->u.stats_done.flows;
		if (!d->seq || m->u.stats_done.seq != d->seq)
			break;
		d->seq = 0;
		status_check(s);
		break;
	default:
		ndebug("replaced relay (pid %d): %s ignored", (int)d->pid,
		       ipc_type_name(m->type));
		break;
	}
}

/**
 * live_drain_gone() - a draining relay's slot was freed: a report does
 *		       not wait for it
 * @s:		supervisor state
 */
void live_drain_gone(struct supervisor *s)
{
	status_check(s);
}

/**
 * relay_answered() - the relay in service answered a report, or never
 *		      will: it waits for draining relays at most
 * @s:		supervisor state
 */
static void relay_answered(struct supervisor *s)
{
	if (!s->stats_want)
		return;
	s->stats_want = false;
	status_check(s);
}

/**
 * live_stats_progress() - a STATS record came: the report is under way
 * @s:		supervisor state
 *
 * A report of many thousand listeners may take longer than STATS_WAIT_MS
 * in all; only a pause that long means the relay is not answering.
 */
void live_stats_progress(struct supervisor *s)
{
	if (s->status_owed)
		s->stats_wait_ms = clock_ms();
	if (s->replace_seq)
		s->replace_ask_ms = clock_ms();
}

/**
 * stats_overdue() - answer a report the relay let wait STATS_WAIT_MS
 * @s:		supervisor state
 *
 * The relay may be stopped (SIGSTOP, a debugger) or wedged; the clients
 * get the last counters, their age, and the relay shown as "not
 * answering", instead of the control socket's "timed out".  Its answer,
 * if it comes, is still taken (live_stats_done()).
 */
static void stats_overdue(struct supervisor *s)
{
	if (!s->status_owed || clock_ms() - s->stats_wait_ms < STATS_WAIT_MS)
		return;
	/* a draining relay's silence costs only its numbers' freshness */
	if (s->stats_want && !s->relay_silent)
		nwarn("relay: no answer to a status request in %d ms: "
		      "answered with the last counters", STATS_WAIT_MS);
	s->relay_silent |= s->stats_want;
	answer_status(s);
}

/**
 * watchdog() - at each half WATCHDOG_USEC: ping the relay, whose answer
 *		sends WATCHDOG=1 (live_stats_done())
 * @s:		supervisor state
 *
 * The pings are scheduled on a fixed grid (a late tick does not push the
 * next one back), so systemd sees one every half period on average and
 * never more than a timer tick late.  While no relay is in service (being
 * started, restarted after a crash within the restart budget, or replaced)
 * the supervisor itself is the one at work and pings directly: systemd's
 * watchdog is for a hung service, and the restart budget already bounds a
 * relay that keeps dying.  A relay in service that has not answered the
 * last ping is wedged: no WATCHDOG=1, and no further ping queued behind
 * the unanswered one, until it answers.
 */
static void watchdog(struct supervisor *s)
{
	long long period = notify_watchdog_ping_ms(), now = clock_ms();
	struct msg_stats_req q = { 0, 0 };

	if (!period || now < s->wd_next_ms)
		return;
	s->wd_next_ms += period;
	if (s->wd_next_ms <= now)
		s->wd_next_ms = now + period;
	if (!s->ch[CH_RELAY].ready || s->relay_new) {
		s->wd_owed = false;
		s->wd_missed = false;
		notify_send("WATCHDOG=1");
		return;
	}
	if (s->wd_owed) {
		if (!s->wd_missed)
			nwarn("watchdog: the relay does not answer: "
			      "no WATCHDOG=1 until it does");
		s->wd_missed = true;
		return;
	}
	s->wd_owed = true;
	/* A report in flight is a ping too; a new request would restart it */
	if (s->stats_want)
		return;
	q.seq = ++s->stats_seq;
	if (sup_send(s, CH_RELAY, MSG_STATS_REQ, &q, NULL, 0))
		s->wd_owed = false;	/* the relay is going away */
}

/**
 * watchdog_answer() - the relay answered: WATCHDOG=1 if one is owed
 * @s:		supervisor state
 */
static void watchdog_answer(struct supervisor *s)
{
	if (!s->wd_owed)
		return;
	s->wd_owed = false;
	notify_send("WATCHDOG=1");
	if (s->wd_missed)
		nnotice("watchdog: the relay answers again");
	s->wd_missed = false;
}

/* REPLACE_STATS_WAIT_MS - how long a relay about to be replaced may
 * pause in sending its last counters before it is replaced without them
 * (a pause: a report of thousands of listeners takes longer in all) */
#define REPLACE_STATS_WAIT_MS	STATS_WAIT_MS

/**
 * live_replace_counted() - may the relay be replaced now, its counters
 *			    taken
 * @s:		supervisor state, a replacement due (fwdtab_pump())
 *
 * A replaced relay's counters go into the forwards' totals from the last
 * STATS it sent (fwdtab_relay_gone()); everything since, up to a whole
 * watchdog period or all of it when nobody asked for a status, was lost:
 * a UDP forward's datagrams and flows showed 0 after a `ctl add` of a new
 * TCP target port (found by an adversarial review).  So the relay is
 * asked for a full report first, and replaced once it has answered, or
 * once it has sent nothing of it for REPLACE_STATS_WAIT_MS.
 *
 * Return: true if the replacement may go ahead
 */
bool live_replace_counted(struct supervisor *s)
{
	struct msg_stats_req q = { 0, STATS_F_LISTENERS };

	if (s->replace_ready) {
		s->replace_ready = false;
		return true;
	}
	if (s->replace_seq) {
		if (clock_ms() - s->replace_ask_ms < REPLACE_STATS_WAIT_MS)
			return false;
		nwarn("relay: no last counters before its replacement in "
		      "%d ms: counted from its last report",
		      REPLACE_STATS_WAIT_MS);
		s->replace_seq = 0;
		return true;
	}
	/* Overtakes a report in flight, whose client gets this answer */
	q.seq = ++s->stats_seq;
	if (sup_send(s, CH_RELAY, MSG_STATS_REQ, &q, NULL, 0))
		return true;	/* it is going away: nothing more to ask */
	s->replace_seq = q.seq;
	s->replace_ask_ms = clock_ms();
	if (s->stats_want)
		s->stats_wait_ms = s->replace_ask_ms;
	return false;
}

/**
 * stats_asked() - is @seq the answer to the request outstanding
 * @s:		supervisor state
 * @seq:	sequence number of a STATS_DONE
 *
 * Only the last STATS_REQ sent can be outstanding: the relay restarts its
 * report on every request (relay/chan.c), so the answer to an earlier one
 * is either already here or never comes, and the last one's answer also
 * covers a ping sent before it.  The watchdog's ping and a status report
 * share the sequence, and a report in flight counts as the ping.
 *
 * Return: true if a request is outstanding and @seq is its number
 */
static bool stats_asked(const struct supervisor *s, uint32_t seq)
{
	return (s->wd_owed || s->stats_want || s->replace_seq) &&
	       seq == s->stats_seq;
}

/**
 * live_stats_done() - STATS_DONE: a report or a ping is complete
 * @s:		supervisor state
 * @d:		the relay's summary
 *
 * A STATS_DONE that answers nothing asked - an old sequence number, one
 * never sent, a second answer to one request - is dropped: it proves
 * nothing about the relay's loop (a relay stuck on anything but this
 * channel could send it), so it must not feed the watchdog, and its
 * numbers must not pass for a fresh report.  An old number is also what
 * a relay sends legitimately when a newer request overtook its answer,
 * so this is not a protocol violation.
 */
void live_stats_done(struct supervisor *s, const struct msg_stats_done *d)
{
	/* the last request's answer, even late, shows the loop turns again */
	if (d->seq == s->stats_seq && s->relay_silent) {
		s->relay_silent = false;
		nnotice("relay: answers status requests again");
	}
	if (!stats_asked(s, d->seq)) {
		ndebug("relay: STATS_DONE %u answers no request (last sent: "
		       "%u%s), ignored", (unsigned)d->seq,
		       (unsigned)s->stats_seq,
		       s->wd_owed || s->stats_want ? "" : ", answered");
		return;
	}
	s->flows = d->flows;
	s->flow_limit = d->flow_limit;
	s->waiting = d->waiting;
	s->stats_at_ms = clock_ms();
	watchdog_answer(s);	/* the answer proves the relay's loop turns */
	relay_answered(s);
	if (s->replace_seq) {
		s->replace_seq = 0;
		s->replace_ready = true;
		fwdtab_pump(s);
	}
}

/**
 * live_stats_abort() - the relay went away during a report: answer now
 * @s:		supervisor state
 */
void live_stats_abort(struct supervisor *s)
{
	s->relay_silent = false;	/* its successor starts afresh */
	s->replace_seq = 0;
	s->replace_ready = false;
	relay_answered(s);
}

/**
 * live_tick() - periodic work: control deadlines, watchdog
 * @s:		supervisor state
 */
void live_tick(struct supervisor *s)
{
	stats_overdue(s);
	if (s->replace_seq &&
	    clock_ms() - s->replace_ask_ms >= REPLACE_STATS_WAIT_MS)
		fwdtab_pump(s);		/* replaces it without them */
	ctl_waits_check(s);
	if (s->ctl)
		control_tick(s->ctl);
	if (!s->stopping)
		watchdog(s);
}

static const struct ctl_ops live_ctl_ops = {
	.status = ctl_status,
	.change = ctl_change,
};

/**
 * live_control() - serve the control socket opened before the sandbox
 * @s:		supervisor state
 * @fd:		listening socket from control_open()
 *
 * Return: 0 or -1
 */
int live_control(struct supervisor *s, int fd)
{
	s->ctl = control_new(fd, s->cfg->control_path, geteuid(),
			     &live_ctl_ops, s);
	return s->ctl ? 0 : -1;
}

/**
 * live_init() - the first watchdog ping goes out at the first tick
 * @s:		supervisor state
 */
void live_init(struct supervisor *s)
{
	s->wd_owed = false;
	s->wd_missed = false;
	s->wd_next_ms = 0;
}

/**
 * live_fini() - close the control socket, STOPPING=1
 * @s:		supervisor state
 */
void live_fini(struct supervisor *s)
{
	if (s->ctl) {
		control_free(s->ctl);
		s->ctl = NULL;
	}
	if (s->cfg_owned) {
		s->cfg = s->cfg_initial;
		config_free(s->cfg_owned);
		free(s->cfg_owned);
		s->cfg_owned = NULL;
	}
}
