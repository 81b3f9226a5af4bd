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
 * listens on is a typo that would otherwise pass silently.  That check is
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
	free(dst->pp);
	dst->pp = NULL;
	dst->pp_args = src->pp_args;
	if (!src->pp)
		return 0;
	dst->pp = malloc(PORTSET_BYTES);
	if (!dst->pp)
		return -1;
	memcpy(dst->pp, src->pp, PORTSET_BYTES);
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
	cfg->pp = file->pp;
	file->pp = NULL;
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
 * config_pp_check() - every port of the set has a forward
 * @cfg:	configuration with every forward
 * @err:	error buffer
 * @errlen:	its size
 *
 * The message names where the set came from: --proxy-protocol, or the
 * config file (its lines add up, so the file, not one line).
 *
 * Return: 0, or -1 naming the first port no forward listens on
 */
int config_pp_check(const struct nsp_config *cfg, char *err, size_t errlen)
{
	char label[PATH_MAX + 32];
	unsigned p;

	if (!cfg->pp)
		return 0;
	if (cfg->pp_args || !cfg->config_path)
		snprintf(label, sizeof(label), "--proxy-protocol");
	else
		snprintf(label, sizeof(label), "%s: proxy-protocol",
			 cfg->config_path);
	for (p = 1; p < PORTSET_PORTS; p++) {
		if (!portset_has(cfg->pp, (uint16_t)p) || pp_port_used(cfg, p))
			continue;
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
