// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * startup.c - the supervisor's message handling: HELLO, answers, reports
 *
 * DOC: Theory of Operation
 *
 * Every child says HELLO first.  A relay that says HELLO is sent its whole
 * configuration (fwdtab_relay_config()); an agent gets AGENT_CONF (scan
 * for auto forwards or not, keepalive) and then its BINDs, which go out as
 * soon as the relay knows the forwards they belong to (fwdtab.c).  What a
 * child sends later - BOUND, UNBOUND, RELAY_READY, PORTS, STATS,
 * STATS_DONE - is routed from here to fwdtab.c and live.c.
 *
 * A message that is valid by the catalogue but comes at the wrong moment
 * (a second HELLO, BOUND for a listener never asked for, PORTS from an
 * agent that was not asked to scan) is a protocol violation: the child is
 * treated as compromised, killed and restarted (restart.c), and the
 * violation is logged as an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "ipc/log.h"
#include "supervisor/activation.h"
#include "supervisor/engine.h"
#include "supervisor/supervisor.h"

/* PROC_NUM_MAX - bytes read from a /proc number file */
#define PROC_NUM_MAX	32

/**
 * sup_violation() - a child broke the protocol: kill it, it is restarted
 * @s:		supervisor state
 * @id:		offending child
 * @m:		message it sent, or NULL
 * @why:	what was wrong
 */
void sup_violation(struct supervisor *s, enum sup_child_id id,
		   const struct ipc_msg *m, const char *why)
{
	nerr("protocol violation by %s: %s%s%s", s->ch[id].name,
	     m ? ipc_type_name(m->type) : "", m ? " " : "", why);
	if (s->ch[id].pid > 0)
		kill(s->ch[id].pid, SIGKILL);
	ipc_chan_close(&s->ch[id].chan);
}

/**
 * sup_chan_send() - send a message on a channel to a child
 * @c:		its channel, closed on failure
 * @pid:	the child, 0 if reaped
 * @who:	its name, for messages
 * @type:	enum ipc_type
 * @payload:	typed payload
 * @fds:	descriptors, or NULL
 * @nfds:	their number
 *
 * A child that cannot be reached is ending; SIGCHLD will tell why (and
 * restart it, if it is one of the three), so failing here only closes
 * its channel.  One whose channel stays full (ipc_send_wait()) has
 * stopped reading: it is killed too, rather than let it hold the
 * supervisor in send() for good.  The same for the children in service
 * (sup_send()) and for replaced relays still draining, which may linger
 * as long as their flows last (restart_drain_send()).
 *
 * Return: 0 or -1
 */
int sup_chan_send(struct ipc_chan *c, pid_t pid, const char *who,
		  unsigned type, const void *payload, const int *fds,
		  unsigned nfds)
{
	if (c->fd < 0)
		return -1;
	if (!ipc_send_wait(c, type, payload, fds, nfds, SUP_SEND_WAIT_MS))
		return 0;
	if (errno == ETIMEDOUT && pid > 0) {
		nerr("%s reads nothing from its full channel: killed", who);
		kill(pid, SIGKILL);
	} else {
		ndebug("cannot send %s to %s: %s", ipc_type_name(type), who,
		       strerror(errno));
	}
	ipc_chan_close(c);
	return -1;
}

/**
 * sup_send() - send a message to a child in service
 * @s:		supervisor state
 * @id:		child
 * @type:	enum ipc_type
 * @payload:	typed payload
 * @fds:	descriptors, or NULL
 * @nfds:	their number
 *
 * Return: 0 or -1 (sup_chan_send())
 */
int sup_send(struct supervisor *s, enum sup_child_id id, unsigned type,
	     const void *payload, const int *fds, unsigned nfds)
{
	return sup_chan_send(&s->ch[id].chan, s->ch[id].pid, s->ch[id].name,
			     type, payload, fds, nfds);
}

/**
 * read_proc_u32() - read one unsigned number from a /proc file
 * @path:	file
 * @fallback:	value if the file is missing or does not hold a number
 *
 * Return: the number
 */
uint32_t read_proc_u32(const char *path, uint32_t fallback)
{
	char buf[PROC_NUM_MAX];
	const char *errstr;
	long long v;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fallback;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	v = strtonum(buf, 0, UINT32_MAX, &errstr);
	return errstr ? fallback : (uint32_t)v;
}

/**
 * sup_relay_limits() - the limits a relay needs and cannot read itself
 * @s:		supervisor state
 * @lim:	filled
 */
void sup_relay_limits(const struct supervisor *s, struct msg_relay_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->pipe_max_size = read_proc_u32("/proc/sys/fs/pipe-max-size",
					   1U << 20);
	lim->pipe_pages_soft =
		read_proc_u32("/proc/sys/fs/pipe-user-pages-soft", 16384);
	/* The sandboxed relay never has CAP_SYS_RESOURCE in the initial user
	 * namespace, root or not (it runs as --runas): its pipes count
	 * against its user's fs.pipe-user-pages-soft. */
	lim->pipe_accounted = 1;
	lim->max_conns = s->cfg->max_conns;
	lim->idle_timeout = s->cfg->idle_timeout;
	lim->udp_timeout = s->cfg->udp_timeout;
	lim->busy_poll_us = s->cfg->busy_poll_us;
}

/**
 * sup_side_scans_cfg() - must an agent report its side's listening ports
 * @cfg:	configuration
 * @side:	enum nsp_side of the agent
 *
 * Return: true if an auto rule of the other side needs them
 */
bool sup_side_scans_cfg(const struct nsp_config *cfg, int side)
{
	unsigned i;

	for (i = 0; i < cfg->nautos; i++)
		if (cfg->autos[i].tmpl[0].m.listen_side != side)
			return true;
	return false;
}

/**
 * sup_auto_explain() - say at -v which ports UDP auto rules leave out
 * @cfg:	configuration just applied (start-up or reload)
 *
 * A UDP socket bound in the ephemeral range is not forwarded by "auto"
 * alone (expand_auto()); a user who looks for such a port at -v should
 * find why it is missing, and how to get it (name it in the list).
 */
void sup_auto_explain(const struct nsp_config *cfg)
{
	unsigned i;

	for (i = 0; i < cfg->nautos; i++) {
		const struct auto_rule *r = &cfg->autos[i];

		if (r->eph_first)
			ninfo("-%c %s: ports %u-%u (the ephemeral range) are "
			      "left out: a UDP socket bound there is a "
			      "client's; list a port to forward it",
			      r->opt, r->spec, r->eph_first, r->eph_last);
	}
}

/**
 * sup_side_scans() - sup_side_scans_cfg() for the running configuration
 * @s:		supervisor state
 * @side:	enum nsp_side of the agent
 *
 * Return: true if the agent of @side must scan
 */
bool sup_side_scans(const struct supervisor *s, int side)
{
	return sup_side_scans_cfg(s->cfg, side);
}

/* PORT_PRIV_END - ports below this are privileged unless the sysctl
 * net.ipv4.ip_unprivileged_port_start says otherwise */
#define PORT_PRIV_END	1024

/**
 * bind_hint() - advice for a bind error a user can do something about
 * @e:		listener that could not be bound
 * @error:	errno from the agent
 *
 * Return: text to append to the error line, "" if there is none
 */
static const char *bind_hint(const struct fwd_entry *e, int error)
{
	if (error == EACCES && e->m.listen_port < PORT_PRIV_END)
		return " (ports below 1024 need CAP_NET_BIND_SERVICE, a lower "
		       "sysctl net.ipv4.ip_unprivileged_port_start, or a "
		       "systemd socket unit)";
	return "";
}

/**
 * sup_lower_first() - copy an error text with its first letter
 *		       lowercased, to read as the end of a sentence
 * @text:	strerror() text
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
const char *sup_lower_first(const char *text, char *buf, size_t len)
{
	snprintf(buf, len, "%s", text);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/**
 * sup_bind_failed_auto() - an auto port could not be bound: say so once
 * @s:		supervisor state
 * @e:		its listener (one per family)
 * @error:	errno from the agent
 *
 * An auto port is best effort, nsplice goes on without it, but a user
 * who sees the port listen on one side and not on the other must be able
 * to find out why.  The line names the address: with 127.0.0.1:P taken
 * on the host and [::1]:P free, the port is forwarded on [::1] and "not
 * forwarded" alone would be wrong.  The slot stays FS_FAILED, so the
 * address is not tried again until the port stops listening and comes
 * back (auto_note()).
 */
void sup_bind_failed_auto(struct supervisor *s, const struct fwd_entry *e,
			  int error)
{
	unsigned set = sup_auto_set(e), p = e->m.listen_port;
	unsigned side = e->m.listen_side, fam = e->m.family == AF_INET6;
	char a[INANY_STRLEN], why[64];

	/* A family the kernel lacks: the agent said so once already, and
	 * every auto port would otherwise repeat it */
	if (error == EAFNOSUPPORT ||
	    portset_has(s->auto_failed[set][fam], (uint16_t)p))
		return;
	portset_add(s->auto_failed[set][fam], (uint16_t)p);
	if (!sup_auto_logged(s, SUP_AUTO_FAILED))
		return;
	inany_ntop(e->m.family, &e->m.listen_addr, a, sizeof(a));
	nnotice("-%c %s: cannot listen on %s%s%s:%u %s: %s%s; not forwarded "
		"there", e->opt, e->spec, fam ? "[" : "", a, fam ? "]" : "", p,
		side == SIDE_HOST ? "on the host" : "in the namespace",
		sup_lower_first(strerror(error), why, sizeof(why)),
		bind_hint(e, error));
}

/**
 * sup_bind_failed() - decide what a failed BIND means
 * @s:		supervisor state
 * @e:		listener that could not be bound
 * @error:	errno from the agent
 *
 * At start-up a listener that must exist stops nsplice with status 2, and
 * its error is the first line: a service that cannot listen should fail
 * loudly and at once, and a second try would fail the same way.  After
 * that, a failed listener of a reload or control request is an error in
 * the log and in the status.
 */
void sup_bind_failed(struct supervisor *s, const struct fwd_entry *e,
		     int error)
{
	char a[INANY_STRLEN], why[64], act[CONFIG_ERR_MAX];
	bool noaddr = error == EADDRNOTAVAIL || error == EAFNOSUPPORT;
	const char *where = e->m.listen_side == SIDE_HOST ? "" :
							    " in the namespace";

	inany_ntop(e->m.family, &e->m.listen_addr, a, sizeof(a));
	if (e->src == CONFIG_SRC_AUTO) {
		sup_bind_failed_auto(s, e, error);
		return;
	}
	if (e->tolerate == FWD_TOL_ANY ||
	    (e->tolerate == FWD_TOL_NOADDR && noaddr)) {
		ndebug("-%c %s: skipping %s port %u%s: %s", e->opt, e->spec,
		       a, e->m.listen_port, where, strerror(error));
		return;
	}
	if (!s->ready && error == EADDRINUSE && e->m.listen_side == SIDE_HOST &&
	    activation_untaken_on(e->m.listen_port, e->m.flags & FWD_F_UDP,
				  e->m.family, act, sizeof(act))) {
		nerr("%s", act);	/* the cause, not its consequence */
		sup_stop(s, EXIT_USAGE, NULL);
		return;
	}
	if (!s->ready && s->eng)
		engine_bind_failed(s->eng, e, error);	/* before nerr()'s */
	nerr("-%c %s: cannot listen on %s%s%s:%u%s: %s%s", e->opt, e->spec,
	     e->m.family == AF_INET6 ? "[" : "", a,
	     e->m.family == AF_INET6 ? "]" : "", e->m.listen_port, where,
	     sup_lower_first(strerror(error), why, sizeof(why)),
	     bind_hint(e, error));
	if (!s->ready)
		sup_stop(s, EXIT_USAGE, NULL);
}

/**
 * on_hello() - a child introduced itself
 * @s:		supervisor state
 * @id:		child
 * @m:		HELLO
 */
static void on_hello(struct supervisor *s, enum sup_child_id id,
		     const struct ipc_msg *m)
{
	const struct msg_hello *h = &m->u.hello;
	unsigned want = id == CH_RELAY ? ROLE_RELAY : ROLE_AGENT;

	if (s->ch[id].hello || h->role != want ||
	    (id != CH_RELAY && h->side != (unsigned)id)) {
		sup_violation(s, id, m, "unexpected");
		return;
	}
	s->ch[id].hello = true;
	ndebug("%s is up (pid %d)", s->ch[id].name, (int)s->ch[id].pid);
	if (id == CH_RELAY) {
		fwdtab_relay_config(s);
		return;
	}
	live_agent_conf(s, id);
	/* Its relay channel may already carry POOL_REQs: they wait for this */
	fwdtab_pool_allow(s, id);
	restart_agent_hello(s, id);
	fwdtab_pump(s);
}

/**
 * startup_on_msg() - handle one validated message from a child
 * @s:		supervisor state
 * @id:		child it came from
 * @m:		message; descriptors are not expected (the catalogue lets
 *		none reach the supervisor)
 */
void startup_on_msg(struct supervisor *s, enum sup_child_id id,
		    struct ipc_msg *m)
{
	if (m->type != MSG_HELLO && !s->ch[id].hello) {
		sup_violation(s, id, m, "before HELLO");
		return;
	}
	switch (m->type) {
	case MSG_HELLO:
		on_hello(s, id, m);
		break;
	case MSG_BOUND:
		fwdtab_bound(s, id, &m->u.bound);
		break;
	case MSG_UNBOUND:
		fwdtab_unbound(s, id, m->u.id.id);
		break;
	case MSG_RELAY_READY:
		fwdtab_relay_ready(s, m->u.done.count);
		break;
	case MSG_PORTS:
		fwdtab_ports(s, id, &m->u.ports);
		break;
	case MSG_STATS:
		fwdtab_stats(s, &m->u.stats);
		live_stats_progress(s);
		break;
	case MSG_STATS_DONE:
		live_stats_done(s, &m->u.stats_done);
		break;
	case MSG_POOL_DENIED:
		fwdtab_pool_denied(s, id, &m->u.pool_denied);
		break;
	case MSG_AGENT_BAD:
		restart_agent_bad(s, id, m->u.chan.side);
		break;
	default:
		sup_violation(s, id, m, "not handled");
		break;
	}
}
