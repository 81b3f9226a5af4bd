// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proxyopt.c - --proxy-protocol PORTS: which forwards send a PROXY header
 *
 * DOC: Theory of Operation
 *
 * `--proxy-protocol PORTS` (config key `proxy-protocol`) names listening
 * ports whose TCP forwards start every connection to their target with a
 * PROXY protocol v2 header (relay/proxyv2.c).  PORTS is a pasta port list
 * ("8080,9000-9010", "~" exclusions) read by the -t parser (portspec.c),
 * then held to a plain list: no address, interface, mapping, "auto",
 * "all" or "none".  The set is a bitmap of listen ports, nsp_config.pp.
 *
 * Sources, as for a list option: given on the command line at all, it is
 * the whole set and the file's lines are not used (at start or on
 * reload); else the file's lines, added up, are the set, and a reload
 * replaces them with the file's new ones.  `nsplice ctl add -t SPEC
 * --proxy-protocol` marks the forwards that add makes (fwd_entry.pp), on
 * top of the set.
 *
 * config_pp_apply() turns set and marks into FWD_F_PROXY on every TCP
 * forward (run by config_check(), so after every parse, reload and
 * change), and config_pp_check() makes sure each port of the set is one a
 * forward listens on, or one an "auto" rule may forward: a port nothing
 * listens on is a typo that would otherwise pass silently.  A file's
 * lines add up to one set, so each line's ports are also kept as runs
 * (nsp_config.pp_origin) for that message to name the line, as every
 * other message about a bad line does.  That check is
 * made at start and on a reload that takes the file's set; a control-
 * socket "remove" of such a forward is not refused for it.
 *
 * Nothing here needs libbsd (the config fuzz target links none).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/log.h"
#include "supervisor/config/conffile.h"
#include "supervisor/config/config.h"

/**
 * pp_list_check() - is a parsed SPEC a plain port list
 * @ps:		parsed SPEC
 *
 * Return: NULL, or what is wrong with it
 */
static const char *pp_list_check(const struct portspec *ps)
{
	unsigned p;

	if (ps->none || ps->auto_ || ps->best_effort)
		return "\"none\", \"auto\" and \"all\" are not port lists";
	if (ps->addr_af != AF_UNSPEC || ps->addr_any_both || ps->ifname[0])
		return "an address or interface is not a port";
	for (p = ps->lo; p && p <= ps->hi; p++) {
		const struct portspec_target *t = &ps->map[p];

		if (t->port && (t->port != p || t->has_addr))
			return "a mapping is not a port";
	}
	return NULL;
}

/**
 * pp_origin_add() - remember which line of the file named a parsed list
 * @cfg:	configuration being built
 * @ps:		the line's parsed PORTS
 * @line:	its line number
 *
 * One entry per run of consecutive ports: a line is at most
 * CONFIG_LINE_MAX bytes, so the runs stay few.
 *
 * Return: 0, or -1 (out of memory)
 */
static int pp_origin_add(struct nsp_config *cfg, const struct portspec *ps,
			 unsigned line)
{
	struct pp_origin *o;
	unsigned p;

	for (p = ps->lo; p && p <= ps->hi; p++) {
		if (!ps->map[p].port)
			continue;
		o = cfg->npp_origin ? &cfg->pp_origin[cfg->npp_origin - 1]
				    : NULL;
		if (o && o->line == line && o->hi + 1U == p) {
			o->hi = (uint16_t)p;
			continue;
		}
		o = realloc(cfg->pp_origin,
			    (cfg->npp_origin + 1) * sizeof(*o));
		if (!o)
			return -1;
		cfg->pp_origin = o;
		o[cfg->npp_origin++] = (struct pp_origin){ line, (uint16_t)p,
							   (uint16_t)p };
	}
	return 0;
}

/**
 * config_pp_parse() - add the ports of one --proxy-protocol value
 * @cfg:	configuration being built
 * @v:		PORTS
 * @ctx:	label, source, port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
int config_pp_parse(struct nsp_config *cfg, const char *v,
		    const struct config_ctx *ctx, char *err, size_t errlen)
{
	char why[PORTSPEC_ERR_MAX];
	const char *bad = NULL;
	struct portspec *ps;
	uint8_t *pp;
	unsigned p;

	ps = malloc(sizeof(*ps));
	if (!ps)
		return errfmt(err, errlen, "out of memory");
	if (portspec_parse(v, ctx->env, ps, why, sizeof(why)))
		bad = why;
	else
		bad = pp_list_check(ps);
	pp = bad ? NULL : cfg->pp ? cfg->pp : calloc(1, PORTSET_BYTES);
	if (!pp) {
		free(ps);
		return errfmt(err, errlen, "%s \"%s\": %s: expected listening "
			      "ports such as 8080,9000-9010", ctx->label, v,
			      bad ? bad : "out of memory");
	}
	for (p = ps->lo; p && p <= ps->hi; p++)
		if (ps->map[p].port)
			portset_add(pp, (uint16_t)p);
	cfg->pp = pp;
	if (ctx->src == CONFIG_SRC_ARGS)
		cfg->pp_args = true;
	if (ctx->src == CONFIG_SRC_FILE && ctx->line &&
	    pp_origin_add(cfg, ps, ctx->line)) {
		free(ps);
		return errfmt(err, errlen, "out of memory");
	}
	free(ps);
	return 0;
}

/**
 * config_pp_copy() - give @dst a copy of @src's set (clone of a config)
 * @dst:	configuration whose set is replaced
 * @src:	source
 *
 * Return: 0 or -1 (out of memory)
 */
int config_pp_copy(struct nsp_config *dst, const struct nsp_config *src)
{
	size_t olen = src->npp_origin * sizeof(*src->pp_origin);

	free(dst->pp);
	free(dst->pp_origin);
	dst->pp = NULL;
	dst->pp_origin = NULL;
	dst->npp_origin = 0;
	dst->pp_args = src->pp_args;
	if (!src->pp)
		return 0;
	dst->pp = malloc(PORTSET_BYTES);
	if (!dst->pp)
		return -1;
	memcpy(dst->pp, src->pp, PORTSET_BYTES);
	if (!olen)
		return 0;
	dst->pp_origin = malloc(olen);
	if (!dst->pp_origin)
		return -1;
	memcpy(dst->pp_origin, src->pp_origin, olen);
	dst->npp_origin = src->npp_origin;
	return 0;
}

/**
 * config_pp_take() - use a file's set unless the command line gave one
 * @cfg:	configuration at start, or the result of a reload
 * @file:	the file's layer; its set moves to @cfg
 */
void config_pp_take(struct nsp_config *cfg, struct nsp_config *file)
{
	if (cfg->pp_args)
		return;
	free(cfg->pp);
	free(cfg->pp_origin);
	cfg->pp = file->pp;
	cfg->pp_origin = file->pp_origin;
	cfg->npp_origin = file->npp_origin;
	file->pp = NULL;
	file->pp_origin = NULL;
	file->npp_origin = 0;
}

/**
 * config_pp_apply() - set FWD_F_PROXY on exactly the forwards that want it
 * @cfg:	configuration
 *
 * A TCP forward wants it if its listening port is in the set or the
 * control socket added it with --proxy-protocol; UDP forwards never.
 */
void config_pp_apply(struct nsp_config *cfg)
{
	unsigned i;

	for (i = 0; i < cfg->nfwd; i++) {
		struct msg_forward *m = &cfg->fwd[i].m;
		bool on = cfg->fwd[i].pp ||
			  (cfg->pp && portset_has(cfg->pp, m->listen_port));

		m->flags &= (uint8_t)~FWD_F_PROXY;
		if (on && !(m->flags & FWD_F_UDP))
			m->flags |= FWD_F_PROXY;
	}
}

/**
 * pp_port_used() - does a TCP forward or an auto rule take a port
 * @cfg:	configuration
 * @port:	port
 *
 * Return: true if some forward listens on it or an auto rule may
 */
static bool pp_port_used(const struct nsp_config *cfg, unsigned port)
{
	unsigned i;

	for (i = 0; i < cfg->nfwd; i++)
		if (cfg->fwd[i].m.listen_port == port &&
		    !(cfg->fwd[i].m.flags & FWD_F_UDP))
			return true;
	for (i = 0; i < cfg->nautos; i++)
		if (portset_has(cfg->autos[i].allowed, (uint16_t)port))
			return true;
	return false;
}

/**
 * pp_port_line() - the first line of the -c file that named a port
 * @cfg:	configuration whose set is the file's
 * @port:	a port of the set
 *
 * Return: the line number, 0 if no line is known for it
 */
static unsigned pp_port_line(const struct nsp_config *cfg, unsigned port)
{
	unsigned i;

	for (i = 0; i < cfg->npp_origin; i++)
		if (cfg->pp_origin[i].lo <= port && port <= cfg->pp_origin[i].hi)
			return cfg->pp_origin[i].line;
	return 0;
}

/**
 * config_pp_check() - every port of the set has a forward
 * @cfg:	configuration with every forward
 * @err:	error buffer
 * @errlen:	its size
 *
 * The message names where the port came from: --proxy-protocol, or the
 * config file's line that listed it ("FILE:LINE: proxy-protocol", as
 * nsplice.conf(5) promises for every bad line).
 *
 * Return: 0, or -1 naming the first port no forward listens on
 */
int config_pp_check(const struct nsp_config *cfg, char *err, size_t errlen)
{
	char label[PATH_MAX + 32];
	unsigned p, line;

	if (!cfg->pp)
		return 0;
	for (p = 1; p < PORTSET_PORTS; p++) {
		if (!portset_has(cfg->pp, (uint16_t)p) || pp_port_used(cfg, p))
			continue;
		line = pp_port_line(cfg, p);
		if (cfg->pp_args || !cfg->config_path)
			snprintf(label, sizeof(label), "--proxy-protocol");
		else if (line)
			snprintf(label, sizeof(label), "%s:%u: proxy-protocol",
				 cfg->config_path, line);
		else
			snprintf(label, sizeof(label), "%s: proxy-protocol",
				 cfg->config_path);
		return errfmt(err, errlen, "%s: port %u: no TCP forward "
			      "listens on it: expected ports of -t or -T "
			      "forwards", label, p);
	}
	return 0;
}

/**
 * config_pp_mark() - mark the forwards a control-socket add just made
 * @cfg:	result of config_change()
 * @opt:	't' or 'T'
 * @spec:	the SPEC as added
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 if the SPEC made no TCP forward to mark (an "auto"
 * SPEC, whose ports are not known yet, or a UDP one)
 */
int config_pp_mark(struct nsp_config *cfg, char opt, const char *spec,
		   char *err, size_t errlen)
{
	unsigned i, n = 0;

	for (i = 0; i < cfg->nfwd; i++) {
		struct fwd_entry *e = &cfg->fwd[i];

		if (e->src != CONFIG_SRC_CTL || e->opt != opt ||
		    (e->m.flags & FWD_F_UDP) || strcmp(e->spec, spec))
			continue;
		e->pp = true;
		n++;
	}
	if (!n)
		return errfmt(err, errlen, "-%c \"%s\" --proxy-protocol: no "
			      "TCP forward to send the header on: expected -t "
			      "or -T ports, not auto", opt, spec);
	config_pp_apply(cfg);
	return 0;
}
