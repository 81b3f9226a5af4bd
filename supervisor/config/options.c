// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * options.c - command line to struct nsp_config, all or nothing
 *
 * DOC: Theory of Operation
 *
 * getopt_long() with a leading '+' stops at the first non-option, which
 * starts COMMAND; "--" does the same explicitly.  getopt's own messages are
 * silenced so every complaint has one shape:
 *
 *   nsplice: OPTION "VALUE": what is wrong: what was expected
 *
 * Every option value goes through config_apply(), which the config file
 * parser (conffile.c) calls too: there OPTION is "FILE:LINE: KEY", and
 * that label is the only difference, so a value means the same and is
 * refused the same way wherever it is written.  With -c the file is read
 * once the command line is done, and merged under it (conffile.c).
 *
 * Port specs are parsed (portspec.c) and expanded into one fwd_entry per
 * listening socket as they are met; an "auto" spec becomes one auto_rule
 * instead, with the same listener templates and the set of ports it may
 * forward, for the supervisor to expand at run time from what the other
 * side listens on.  Once every option is read, listeners of the same side,
 * family and port are checked for overlap (the same address twice, or a
 * wildcard beside anything), and auto rules of one side against each
 * other.  Only then does the caller see a configuration, so nothing is
 * ever half-applied.
 *
 * config_change() applies one control-socket "add" or "remove" to a copy
 * of the running configuration: an add is expanded exactly like -t/-T, a
 * remove takes out exactly the listeners the same SPEC would make, or
 * refuses if one of them is not there.
 *
 * Nothing here needs libbsd: the config file's fuzz target builds these
 * sources with clang and links no library, so numbers are read by
 * num_parse() and strings are copied with their lengths known.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/msg.h"
#include "seccomp/sandbox.h"
#include "supervisor/config/conffile.h"
#include "supervisor/config/config.h"

/* NETNS_DIR - where `ip netns` keeps named network namespaces */
#define NETNS_DIR "/run/netns/"

/* NETNS_NAME_MAX - longest namespace NAME accepted, bytes */
#define NETNS_NAME_MAX 255

/* NSPLICE_VERSION - set by CMake; a fuzz build of these sources has none */
#ifndef NSPLICE_VERSION
#define NSPLICE_VERSION "unknown"
#endif

/* LOW_PORT_LIMIT - ports below this need CAP_NET_BIND_SERVICE by default */
#define LOW_PORT_LIMIT 1024

/* CONTROL_PATH_MAX - room for --control in sun_path, bytes with the NUL */
#define CONTROL_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* RUNTIME_DIR_ENV - set by systemd for a unit with RuntimeDirectory= */
#define RUNTIME_DIR_ENV "RUNTIME_DIRECTORY"

/* CONF_SUFFIX - ending of a config file name, left out of its socket's */
#define CONF_SUFFIX ".conf"

/* MAX_CONNS_MIN - fewest connections --max-conns accepts */
#define MAX_CONNS_MIN 1U

/* KEEPALIVE_FIELDS - IDLE, INTVL and CNT of --keepalive */
#define KEEPALIVE_FIELDS 3

/* OPT_LABEL_MAX - "--test-relay-attempt" and its NUL, bytes, rounded up */
#define OPT_LABEL_MAX 32

static const struct option long_opts[] = {
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "tcp-ns-ports",	required_argument,	NULL, 'T' },
	{ "udp-ports",		required_argument,	NULL, 'u' },
	{ "udp-ns-ports",	required_argument,	NULL, 'U' },
	{ "udp-timeout",	required_argument,	NULL, OPT_UDP_TIMEOUT },
	{ "config",		required_argument,	NULL, 'c' },
	{ "netns",		required_argument,	NULL, OPT_NETNS },
	{ "userns",		required_argument,	NULL, OPT_USERNS },
	{ "pid",		required_argument,	NULL, OPT_PID },
	{ "pid-file",		required_argument,	NULL, OPT_PID_FILE },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "syslog",		no_argument,		NULL, OPT_SYSLOG },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "sandbox",		required_argument,	NULL, OPT_SANDBOX },
	{ "control",		required_argument,	NULL, OPT_CONTROL },
	{ "max-conns",		required_argument,	NULL, OPT_MAX_CONNS },
	{ "idle-timeout",	required_argument,	NULL, OPT_IDLE_TIMEOUT },
	{ "keepalive",		required_argument,	NULL, OPT_KEEPALIVE },
	{ "busy-poll",		required_argument,	NULL, OPT_BUSY_POLL },
	{ "proxy-protocol",	required_argument,	NULL, OPT_PROXY_PROTOCOL },
#ifdef NSPLICE_TESTING
	{ "test-relay-attempt",	required_argument,	NULL, OPT_TEST_ATTEMPT },
#endif
	{ NULL, 0, NULL, 0 },
};

_Static_assert(sizeof(((struct portspec *)0)->ifname) ==
	       sizeof(((struct msg_forward *)0)->ifname),
	       "interface names are copied whole from a spec to a forward");

/**
 * config_usage() - print the option summary to stdout
 * @prog:	program name as invoked
 */
void config_usage(const char *prog)
{
	printf("Usage: %s [OPTION]... --netns PATH|NAME\n"
	       "       %s [OPTION]... --pid PID\n"
	       "       %s [OPTION]... [--] COMMAND [ARG]...\n"
	       "       %s ctl PATH status [--json] | add|remove -t|-T|-u|-U "
	       "SPEC [--proxy-protocol]\n"
	       "Forward TCP ports (with splice(2)) and UDP ports between this "
	       "network namespace\nand a target one.\n\n"
	       "Target (exactly one):\n"
	       "      --netns PATH|NAME   network namespace file, or NAME in "
	       NETNS_DIR "\n"
	       "      --userns PATH       user namespace to join with --netns "
	       "(default: none as\n"
	       "                          root, else its owner)\n"
	       "      --pid PID           network namespace of process PID\n"
	       "      COMMAND [ARG]...    run COMMAND in a new user and network "
	       "namespace;\n"
	       "                          exit with its status\n\n"
	       "Forwarding (repeatable):\n"
	       "  -t, --tcp-ports SPEC    forward host ports to the namespace\n"
	       "  -T, --tcp-ns-ports SPEC forward namespace ports to the host\n"
	       "  -u, --udp-ports SPEC    forward host UDP ports to the "
	       "namespace\n"
	       "  -U, --udp-ns-ports SPEC forward namespace UDP ports to the "
	       "host\n"
	       "      SPEC: none | [ADDR[%%IFACE]/]PORTS, PORTS a comma list of "
	       "N, N-M, N:P,\n"
	       "      N-M:P-Q, N:ADDR/P (explicit target), ~N[-M] (exclude), "
	       "all, auto.\n"
	       "      -t listens on 127.0.0.1 and ::1 unless ADDR is given "
	       "(*/PORTS: all).\n"
	       "      auto: forward the ports that listen on the other side "
	       "(those of the\n"
	       "      list if any, minus exclusions), each to the same port.\n\n"
	       "Configuration:\n"
	       "  -c, --config FILE       read options from FILE, one \"key = "
	       "value\" a line,\n"
	       "                          keys the long option names "
	       "(nsplice.conf(5)); the\n"
	       "                          command line wins key by key, and "
	       "-t or -T there\n"
	       "                          replaces every tcp-ports or "
	       "tcp-ns-ports of FILE\n"
	       "      --control PATH      control socket for nsplice ctl; "
	       "default: none, but\n"
	       "                          $RUNTIME_DIRECTORY/NAME.sock under "
	       "systemd's\n"
	       "                          RuntimeDirectory= (NAME: FILE's "
	       "name without .conf)\n\n"
	       "Connections:\n"
	       "      --max-conns N       at most N connections at once (1-%u)\n"
	       "      --idle-timeout SECONDS  close a connection idle that "
	       "long (0: never)\n"
	       "      --udp-timeout SECONDS  end a UDP flow without datagrams "
	       "that long\n"
	       "                          (default 30; 4 times longer once it "
	       "carried replies)\n"
	       "      --keepalive IDLE[,INTVL[,CNT]]  TCP keepalive after IDLE "
	       "seconds idle,\n"
	       "                          probes every INTVL (default %u) s, CNT "
	       "(default %u)\n"
	       "                          of them; off, the default: no keepalive\n"
	       "      --busy-poll USEC    the relay polls USEC microseconds "
	       "(0-%u) after\n"
	       "                          traffic before it sleeps: lower "
	       "latency, more CPU\n"
	       "      --proxy-protocol PORTS  start each connection of the "
	       "forwards listening on\n"
	       "                          PORTS (N,N-M) with a PROXY v2 header "
	       "(client address)\n\n"
	       "Other:\n"
	       "      --pid-file FILE     write the supervisor's pid to FILE\n"
	       "      --runas USER        as root: user the relay runs as "
	       "(default: " RUNAS_DEFAULT "\n"
	       "                          if it exists, else " RUNAS_FALLBACK
	       ")\n"
	       "      --sandbox MODE      enforce (default), or log: only log "
	       "seccomp violations\n"
	       "                          (debugging a missing system call; "
	       "never in production)\n"
	       "  -q, --quiet             log errors only\n"
	       "  -v, --verbose           also log start-up details (sandbox, "
	       "sizes)\n"
	       "  -d, --debug             log every connection\n"
	       "      --trace             log every event (very verbose)\n"
	       "      --syslog            log to syslog instead of stderr\n"
	       "  -h, --help              show this help and exit\n"
	       "      --version           show the version and exit\n\n"
	       "Exit status: COMMAND's status in COMMAND mode, else 0 on "
	       "SIGTERM/SIGINT or\nwhen the target goes away; 1 on a runtime "
	       "failure; 2 on bad usage.\n",
	       prog, prog, prog, prog, FLOW_SLOTS_MAX, (unsigned)KEEPALIVE_DEF_INTVL,
	       (unsigned)KEEPALIVE_DEF_CNT, BUSY_POLL_MAX);
}

/**
 * opt_label() - the spelling of an option for messages
 * @c:		getopt_long() return value
 * @buf:	storage for the label
 * @len:	its size, OPT_LABEL_MAX
 *
 * Return: @buf, holding "-t", "--netns" ...
 */
static const char *opt_label(int c, char *buf, size_t len)
{
	const struct option *o;

	for (o = long_opts; o->name; o++) {
		if (o->val != c)
			continue;
		if (c < OPT_NETNS)
			snprintf(buf, len, "-%c", c);
		else
			snprintf(buf, len, "--%s", o->name);
		return buf;
	}
	snprintf(buf, len, "?");
	return buf;
}

/**
 * config_key_lookup() - find the option a config file key names
 * @key:		long option name without dashes
 * @c:			set to its getopt_long() value
 * @takes_value:	set if it needs a value (flags do not)
 * @name:		set to the key's spelling in static storage
 *
 * Return: 0, or -1 if no option has that name
 */
int config_key_lookup(const char *key, int *c, bool *takes_value,
		      const char **name)
{
	const struct option *o;

	for (o = long_opts; o->name; o++) {
		if (strcmp(o->name, key))
			continue;
		*c = o->val;
		*takes_value = o->has_arg == required_argument;
		*name = o->name;
		return 0;
	}
	return -1;
}

/**
 * config_opt_slot() - which single-valued setting an option sets
 * @c:		getopt_long() value
 *
 * Return: enum config_slot, SLOT_NONE for forwards and the rest
 */
enum config_slot config_opt_slot(int c)
{
	switch (c) {
	case OPT_NETNS:
	case OPT_PID:
		return SLOT_TARGET;
	case OPT_USERNS:
		return SLOT_USERNS;
	case OPT_PID_FILE:
		return SLOT_PID_FILE;
	case OPT_RUNAS:
		return SLOT_RUNAS;
	case OPT_SANDBOX:
		return SLOT_SANDBOX;
	case OPT_CONTROL:
		return SLOT_CONTROL;
	case OPT_MAX_CONNS:
		return SLOT_MAX_CONNS;
	case OPT_IDLE_TIMEOUT:
		return SLOT_IDLE_TIMEOUT;
	case OPT_UDP_TIMEOUT:
		return SLOT_UDP_TIMEOUT;
	case OPT_BUSY_POLL:
		return SLOT_BUSY_POLL;
	case OPT_KEEPALIVE:
		return SLOT_KEEPALIVE;
	case 'q':
	case 'v':
	case 'd':
	case OPT_TRACE:
		return SLOT_LOG_LEVEL;
	case OPT_SYSLOG:
		return SLOT_SYSLOG;
	}
	return SLOT_NONE;
}

/**
 * config_defaults() - an empty configuration with every default set
 * @cfg:	overwritten, not freed
 */
void config_defaults(struct nsp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_NOTICE;
	cfg->sandbox = SANDBOX_ENFORCE;
	cfg->udp_timeout = UDP_TIMEOUT_DEF;
#ifdef NSPLICE_TESTING
	/* The suite-wide "no seccomp violation" run (tests/run-all.sh) puts
	 * every role of every test in log mode without editing each test's
	 * command line; tests/integration/lib/kmsg.py then fails the run on
	 * any violation the kernel logged.  Never in an installable build. */
	if (getenv("NSPLICE_TEST_SANDBOX_LOG"))
		cfg->sandbox = SANDBOX_LOG;
#endif
}

/**
 * num_parse() - read a decimal number within bounds
 * @v:		text, need not be terminated
 * @len:	its length
 * @min:	smallest value accepted
 * @max:	largest value accepted
 * @out:	set on success
 *
 * Digits only: no sign, no blanks, no base prefix, so "+5", " 5" and
 * "0x5" are refused rather than half-read.  The value is bounded as it
 * grows, so any number of digits is safe.
 *
 * Return: NULL, or what is wrong: "not a number", "too small", "too large"
 */
static const char *num_parse(const char *v, size_t len, uint32_t min,
			     uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (!len)
		return "not a number";
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return "not a number";
	}
	for (i = 0; i < len; i++) {
		n = n * 10 + (uint64_t)(v[i] - '0');
		if (n > max)
			return "too large";
	}
	if (n < min)
		return "too small";
	*out = (uint32_t)n;
	return NULL;
}

/**
 * config_fwd_append() - add one listener to the configuration
 * @cfg:	configuration being built
 * @e:		listener to copy in; its id is assigned here
 * @err:	error buffer
 * @errlen:	its size
 *
 * The array grows by doubling whenever its count reaches a power of two,
 * so the room allocated is always at least the next power of two: appending
 * the 131070 listeners of "*\/1-65535" stays linear.  Only this function
 * grows @cfg->fwd; removing entries keeps the room, which keeps that true.
 *
 * Return: 0, or -1 when there are more listeners than ids
 */
int config_fwd_append(struct nsp_config *cfg, const struct fwd_entry *e,
		      char *err, size_t errlen)
{
	struct fwd_entry *n;

	if (cfg->nfwd >= FWD_ID_MAX)
		return errfmt(err, errlen,
			       "-%c \"%s\": too many listeners: expected at "
			       "most %u in all", e->opt, e->spec, FWD_ID_MAX);
	if (!(cfg->nfwd & (cfg->nfwd - 1))) {
		n = reallocarray(cfg->fwd, cfg->nfwd ? 2 * cfg->nfwd : 1,
				 sizeof(*n));
		if (!n)
			return errfmt(err, errlen, "out of memory");
		cfg->fwd = n;
	}
	cfg->fwd[cfg->nfwd] = *e;
	cfg->fwd[cfg->nfwd].m.id = cfg->nfwd;
	cfg->nfwd++;
	return 0;
}

/**
 * config_auto_append() - add one auto rule to the configuration
 * @cfg:	configuration being built
 * @r:		rule to copy in
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 beyond CONFIG_AUTOS_MAX rules
 */
int config_auto_append(struct nsp_config *cfg, const struct auto_rule *r,
		       char *err, size_t errlen)
{
	struct auto_rule *n;

	if (cfg->nautos >= CONFIG_AUTOS_MAX)
		return errfmt(err, errlen,
			       "-%c \"%s\": too many auto forwards: expected "
			       "at most %u in all", r->opt, r->spec,
			       CONFIG_AUTOS_MAX);
	n = reallocarray(cfg->autos, cfg->nautos + 1, sizeof(*n));
	if (!n)
		return errfmt(err, errlen, "out of memory");
	cfg->autos = n;
	n[cfg->nautos++] = *r;
	return 0;
}

/**
 * expand_family() - add one listener per forwarded port for one address
 * @cfg:	configuration being built
 * @ps:		parsed spec
 * @tmpl:	listener template: side, family, address, tolerance
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int expand_family(struct nsp_config *cfg, const struct portspec *ps,
			 const struct fwd_entry *tmpl, char *err,
			 size_t errlen)
{
	struct fwd_entry e = *tmpl;
	unsigned p;

	/* @lo..@hi: a spec of one port costs one step, not 65536 */
	portspec_work += ps->lo ? (unsigned long)ps->hi - ps->lo + 1 : 0;
	for (p = ps->lo; p && p <= ps->hi; p++) {
		const struct portspec_target *t = &ps->map[p];

		if (!t->port)
			continue;
		e.m.listen_port = (uint16_t)p;
		e.m.target_port = t->port;
		e.m.flags = (uint8_t)((ps->best_effort ? FWD_F_OPTIONAL : 0) |
				      (tmpl->m.flags & FWD_F_UDP));
		e.m.target_family = 0;
		memset(&e.m.target_addr, 0, sizeof(e.m.target_addr));
		if (t->has_addr && inany_is_any(t->af, &t->addr))
			return errfmt(err, errlen, "-%c \"%s\": target address "
				      "of port %u is unspecified: expected a "
				      "host address", e.opt, e.spec, p);
		if (t->has_addr) {
			e.m.flags |= FWD_F_TARGET_ADDR;
			e.m.target_family = t->af;
			e.m.target_addr = t->addr;
		}
		if (config_fwd_append(cfg, &e, err, errlen))
			return -1;
	}
	return 0;
}

/**
 * spec_templates() - the listeners one spec makes, ports left out
 * @ps:		parsed spec, not "none"
 * @opt:	't' or 'T'
 * @spec:	spec text, for messages
 * @src:	CONFIG_SRC_*
 * @tmpl:	filled: side, family, address, interface, tolerance
 *
 * Without an address, -t and -T listen on their side's loopback, both
 * families; a missing ::1 is then tolerated (FWD_TOL_NOADDR).  "*" (or an
 * interface alone) listens on the wildcard of both families, and a family
 * the kernel lacks (booted with ipv6.disable=1: EAFNOSUPPORT) is
 * tolerated the same way: "all addresses" are then those of IPv4, as with
 * a dual-stack socket, which falls back to IPv4 there.
 *
 * Return: number of templates filled, 1 or 2
 */
static unsigned spec_templates(const struct portspec *ps, char opt,
			       const char *spec, int src,
			       struct fwd_entry tmpl[2])
{
	static const int afs[] = { AF_INET, AF_INET6 };
	struct fwd_entry e;
	unsigned i;

	memset(&e, 0, sizeof(e));
	e.opt = opt;
	e.spec = spec;
	e.src = src;
	e.m.listen_side = opt == 't' || opt == 'u' ? SIDE_HOST : SIDE_TARGET;
	if (opt == 'u' || opt == 'U')
		e.m.flags = FWD_F_UDP;
	memcpy(e.m.ifname, ps->ifname, sizeof(e.m.ifname));
	e.tolerate = ps->best_effort ? FWD_TOL_ANY : FWD_TOL_NONE;
	if (ps->addr_af != AF_UNSPEC && !ps->addr_any_both) {
		e.m.family = (uint8_t)ps->addr_af;
		e.m.listen_addr = ps->addr;
		tmpl[0] = e;
		return 1;
	}
	for (i = 0; i < 2; i++) {
		tmpl[i] = e;
		tmpl[i].m.family = (uint8_t)afs[i];
		if (ps->addr_any_both)
			inany_any(afs[i], &tmpl[i].m.listen_addr);
		else
			inany_loopback(afs[i], &tmpl[i].m.listen_addr);
		if (!ps->best_effort)
			tmpl[i].tolerate = FWD_TOL_NOADDR;
	}
	return 2;
}

/**
 * expand_spec() - turn one parsed -t/-T spec (not auto) into listeners
 * @cfg:	configuration being built
 * @ps:		parsed spec
 * @opt:	't' or 'T'
 * @spec:	spec text, for messages
 * @src:	CONFIG_SRC_*
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int expand_spec(struct nsp_config *cfg, const struct portspec *ps,
		       char opt, const char *spec, int src, char *err,
		       size_t errlen)
{
	struct fwd_entry tmpl[2];
	unsigned i, n;

	if (ps->none)
		return 0;
	n = spec_templates(ps, opt, spec, src, tmpl);
	for (i = 0; i < n; i++)
		if (expand_family(cfg, ps, &tmpl[i], err, errlen))
			return -1;
	return 0;
}

/* SPEC_QUOTE_MAX, SPEC_SHOWN(), SPEC_CUT() - a message quotes at most this
 * many bytes of a SPEC ("%.*s%s"): a SPEC of thousands of characters
 * filled the whole message and cut off the reason */
#define SPEC_QUOTE_MAX	80
#define SPEC_SHOWN(sp)	(strlen(sp) > SPEC_QUOTE_MAX ? SPEC_QUOTE_MAX : \
			 (int)strlen(sp))
#define SPEC_CUT(sp)	(strlen(sp) > SPEC_QUOTE_MAX ? "..." : "")

/**
 * expand_auto() - turn one parsed auto spec into an auto rule
 * @cfg:	configuration being built
 * @ps:		parsed spec, auto_ set
 * @opt:	't', 'T', 'u' or 'U'
 * @spec:	spec text, for messages
 * @src:	CONFIG_SRC_*
 * @err:	error buffer
 * @errlen:	its size
 *
 * The templates are those a plain spec would get, made best effort: a
 * port the other side listens on but this side cannot bind is skipped,
 * not fatal, because nobody asked for that port by number.
 *
 * UDP auto without listed ports leaves out the ephemeral range: a bound,
 * unconnected UDP socket there is a client's (a resolver's that calls
 * sendto() without bind() gets one), not a service.  Forwarded, it let
 * anything on the other side send datagrams into that client - a DNS
 * answer to a query it never saw.  A TCP listener is a service wherever
 * it listens, and a port a UDP spec names is forwarded as named.
 *
 * Return: 0 or -1
 */
static int expand_auto(struct nsp_config *cfg, const struct portspec *ps,
		       char opt, const char *spec, int src, char *err,
		       size_t errlen)
{
	bool no_ephemeral = (opt == 'u' || opt == 'U') && ps->auto_first;
	struct auto_rule *r;
	unsigned i, p;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return errfmt(err, errlen, "out of memory");
	r->opt = opt;
	r->src = src;
	r->spec = spec;
	r->ntmpl = spec_templates(ps, opt, spec, src, r->tmpl);
	for (i = 0; i < r->ntmpl; i++) {
		r->tmpl[i].tolerate = FWD_TOL_ANY;
		r->tmpl[i].m.flags |= FWD_F_OPTIONAL;
	}
	if (no_ephemeral) {
		r->eph_first = ps->eph_first;
		r->eph_last = ps->eph_last;
	}
	for (p = 1; p < PORTSET_PORTS; p++)
		if (ps->map[p].port &&
		    !(no_ephemeral && p >= ps->eph_first &&
		      p <= ps->eph_last))
			portset_add(r->allowed, (uint16_t)p);
	ret = config_auto_append(cfg, r, err, errlen);
	free(r);
	return ret;
}

/**
 * add_spec() - parse and expand the value of one -t/-T option
 * @cfg:	configuration being built
 * @opt:	't' or 'T'
 * @spec:	the option's value, kept by reference
 * @ctx:	label, source and port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int add_spec(struct nsp_config *cfg, char opt, const char *spec,
		    const struct config_ctx *ctx, char *err, size_t errlen)
{
	char why[PORTSPEC_ERR_MAX];
	unsigned i, first = cfg->nfwd;
	struct portspec *ps;
	int ret;

	ps = malloc(sizeof(*ps));
	if (!ps)
		return errfmt(err, errlen, "out of memory");
	if (portspec_parse(spec, ctx->env, ps, why, sizeof(why)))
		ret = errfmt(err, errlen, "%s \"%.*s%s\": %s", ctx->label,
			     SPEC_SHOWN(spec), spec, SPEC_CUT(spec), why);
	else if (ps->auto_)
		ret = expand_auto(cfg, ps, opt, spec, ctx->src, err, errlen);
	else
		ret = expand_spec(cfg, ps, opt, spec, ctx->src, err, errlen);
	free(ps);
	/* Where in the file, for what is only found later (an overlap) */
	for (i = first; !ret && i < cfg->nfwd; i++)
		cfg->fwd[i].line = ctx->line;
	return ret;
}

/**
 * fwd_cmp() - order listeners by side, family, port, then wildcard first
 * @a:		struct fwd_entry
 * @b:		struct fwd_entry
 *
 * Return: <0, 0, >0 as for qsort()
 */
static int fwd_cmp(const void *a, const void *b)
{
	const struct msg_forward *x = &((const struct fwd_entry *)a)->m;
	const struct msg_forward *y = &((const struct fwd_entry *)b)->m;

	/* TCP and UDP on one port are two sockets: never an overlap */
	if ((x->flags ^ y->flags) & FWD_F_UDP)
		return (x->flags & FWD_F_UDP) ? 1 : -1;
	if (x->listen_side != y->listen_side)
		return x->listen_side - y->listen_side;
	if (x->family != y->family)
		return x->family - y->family;
	if (x->listen_port != y->listen_port)
		return x->listen_port - y->listen_port;
	return memcmp(x->listen_addr.b, y->listen_addr.b, 16);
}

/**
 * config_fwd_origin() - "FILE:LINE" of a forward from the -c file, for a
 *		       message
 * @cfg:	configuration
 * @e:		the forward
 * @lead:	as the message's prefix ("FILE:LINE: "), else as an aside
 *		(" (FILE:LINE)")
 * @buf:	output
 * @len:	its size
 *
 * A forward added with `nsplice ctl add` is named as such when it is the
 * other party (not @lead): a reload refused for an overlap with it would
 * otherwise point at nothing in the file.
 *
 * Return: @buf, empty for a forward from the command line
 */
const char *config_fwd_origin(const struct nsp_config *cfg,
			      const struct fwd_entry *e, bool lead, char *buf,
			      size_t len)
{
	const char *file = cfg->layer_name ? cfg->layer_name
					   : cfg->config_path;

	buf[0] = '\0';
	if (e->src == CONFIG_SRC_FILE && e->line && file)
		snprintf(buf, len, lead ? "%s:%u: " : " (%s:%u)", file,
			 e->line);
	else if (e->src == CONFIG_SRC_CTL && !lead)
		snprintf(buf, len, " (added by nsplice ctl)");
	return buf;
}

/**
 * check_overlap() - refuse two listeners that cannot both be bound
 * @cfg:	configuration with every spec expanded
 * @err:	error buffer
 * @errlen:	its size
 *
 * Sorted, a group of one side, family and port has its wildcard address
 * (all zeroes) first, so comparing neighbours finds both the same address
 * twice and a wildcard beside a specific address.  Ids are reassigned in
 * sorted order afterwards.
 *
 * Return: 0 or -1
 */
static int check_overlap(struct nsp_config *cfg, char *err, size_t errlen)
{
	char abuf[INANY_STRLEN], where_a[PATH_MAX + 32], where_b[PATH_MAX + 32];
	unsigned i;

	if (cfg->nfwd)
		qsort(cfg->fwd, cfg->nfwd, sizeof(*cfg->fwd), fwd_cmp);
	for (i = 0; i + 1 < cfg->nfwd; i++) {
		const struct fwd_entry *a = &cfg->fwd[i], *b = &cfg->fwd[i + 1];

		if (a->m.listen_side != b->m.listen_side ||
		    a->m.family != b->m.family ||
		    a->m.listen_port != b->m.listen_port ||
		    ((a->m.flags ^ b->m.flags) & FWD_F_UDP))
			continue;
		if (fwd_cmp(a, b) && !inany_is_any(a->m.family,
						   &a->m.listen_addr))
			continue;
		return errfmt(err, errlen,
			       "%s-%c \"%.*s%s\": port %u on %s overlaps with "
			       "-%c \"%.*s%s\"%s: expected each port "
			       "forwarded once",
			       config_fwd_origin(cfg, b, true, where_b, sizeof(where_b)),
			       b->opt, SPEC_SHOWN(b->spec), b->spec,
			       SPEC_CUT(b->spec), b->m.listen_port,
			       inany_ntop(b->m.family, &b->m.listen_addr, abuf,
					  sizeof(abuf)),
			       a->opt, SPEC_SHOWN(a->spec), a->spec,
			       SPEC_CUT(a->spec),
			       config_fwd_origin(cfg, a, false, where_a,
					  sizeof(where_a)));
	}
	for (i = 0; i < cfg->nfwd; i++)
		cfg->fwd[i].m.id = i;
	return 0;
}

/**
 * tmpl_overlap() - can two listener templates bind the same socket
 * @a:		template
 * @b:		template
 *
 * Return: true for the same family and the same address, or a wildcard
 */
static bool tmpl_overlap(const struct fwd_entry *a, const struct fwd_entry *b)
{
	return inany_binds_meet(a->m.family, &a->m.listen_addr, b->m.family,
				&b->m.listen_addr);
}

/**
 * allowed_common() - first port two auto rules may both forward
 * @a:		rule
 * @b:		rule
 *
 * Return: the port, or 0 if their sets are disjoint
 */
static unsigned allowed_common(const struct auto_rule *a,
			       const struct auto_rule *b)
{
	unsigned i, bit;

	for (i = 0; i < sizeof(a->allowed); i++) {
		uint8_t both = a->allowed[i] & b->allowed[i];

		if (!both)
			continue;
		for (bit = 0; !(both & (1U << bit)); bit++)
			;
		return i * 8 + bit;
	}
	return 0;
}

/**
 * auto_pair_check() - refuse two auto rules that may take the same port
 * @a:		earlier rule
 * @b:		later rule
 * @err:	error buffer
 * @errlen:	its size
 *
 * Rules of one side whose listen addresses can collide must not share a
 * port: both would try to forward it once it shows up.  An auto rule beside
 * an explicit forward of the same port is fine: the supervisor leaves such
 * a port to the explicit forward.
 *
 * Return: 0 or -1
 */
static int auto_pair_check(const struct auto_rule *a,
			   const struct auto_rule *b, char *err, size_t errlen)
{
	char abuf[INANY_STRLEN];
	unsigned i, j, port;

	if (a->opt != b->opt)
		return 0;
	port = allowed_common(a, b);
	if (!port)
		return 0;
	for (i = 0; i < a->ntmpl; i++) {
		for (j = 0; j < b->ntmpl; j++) {
			const struct fwd_entry *t = &b->tmpl[j];

			if (!tmpl_overlap(&a->tmpl[i], t))
				continue;
			return errfmt(err, errlen,
				       "-%c \"%s\": port %u on %s overlaps "
				       "with -%c \"%s\": expected each port "
				       "forwarded once", b->opt, b->spec, port,
				       inany_ntop(t->m.family,
						  &t->m.listen_addr, abuf,
						  sizeof(abuf)),
				       a->opt, a->spec);
		}
	}
	return 0;
}

/**
 * loop_target() - where a forward's loopback clients are sent
 * @e:		forward
 * @af:		set to the target's family
 * @a:		set to the target address
 *
 * Return: false if they never reach a loopback address of the other side
 * (an explicit target elsewhere), so the forward cannot close a loop
 */
static bool loop_target(const struct fwd_entry *e, int *af, union inany *a)
{
	if (e->m.flags & FWD_F_TARGET_ADDR) {
		*af = e->m.target_family;
		*a = e->m.target_addr;
		return inany_is_loopback(*af, a);
	}
	*af = e->m.family;
	inany_loopback(*af, a);
	return true;
}

/**
 * loop_next() - the listener a forward's loopback clients are sent to
 * @cfg:	configuration, listeners sorted by fwd_cmp()
 * @e:		forward
 * @one_ns:	both sides are one namespace
 *
 * Return: index of a forward of nsplice's own that listens on the address
 * and port @e sends its loopback clients to, or -1 if none does
 */
static long loop_next(const struct nsp_config *cfg, const struct fwd_entry *e,
		      bool one_ns)
{
	unsigned side = e->m.listen_side == SIDE_HOST ? SIDE_TARGET : SIDE_HOST;
	unsigned i, s, lo, hi;
	struct fwd_entry key;
	union inany a;
	int af;

	if (!loop_target(e, &af, &a))
		return -1;
	for (s = 0; s < SIDE_COUNT; s++) {
		if (!one_ns && s != side)
			continue;
		memset(&key, 0, sizeof(key));
		key.m.flags = e->m.flags & FWD_F_UDP;
		key.m.listen_side = (uint8_t)s;
		key.m.family = (uint8_t)af;
		key.m.listen_port = e->m.target_port;
		/* the first listener of the port (the wildcard sorts
		 * first), then the port's others */
		lo = 0;
		hi = cfg->nfwd;
		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;

			if (fwd_cmp(&cfg->fwd[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < cfg->nfwd; i++) {
			const struct msg_forward *m = &cfg->fwd[i].m;

			if (((m->flags ^ key.m.flags) & FWD_F_UDP) ||
			    m->listen_side != s || m->family != af ||
			    m->listen_port != key.m.listen_port)
				break;
			/* @a is a loopback address, never the wildcard */
			if ((!m->ifname[0] || !strcmp(m->ifname, "lo")) &&
			    inany_binds_meet(af, &m->listen_addr, af, &a))
				return (long)i;
		}
	}
	return -1;
}

/**
 * config_check_loops() - refuse forwards that send to each other
 * @cfg:	configuration, listeners sorted by fwd_cmp()
 * @one_ns:	the target namespace is nsplice's own (both sides are one)
 * @err:	error buffer
 * @errlen:	its size
 *
 * A forward's loopback clients go to the other side's loopback; when
 * nsplice listens there itself (-u P with -U P, or -u P into its own
 * namespace), every datagram or connection comes back as a new client,
 * whose flow sends it on again.  A UDP loop filled the flow table in a
 * moment, and once an agent's socket got the port of the first client's
 * flow (ports are reused) the datagram circled for good, the relay at
 * 100 % CPU (a UDP review).  Nothing such a loop forwards reaches
 * anything but nsplice itself, so it is a mistake by construction.
 * Each forward's successor is the listener its loopback clients reach
 * (loop_next()); a walk that comes back to a forward of its own path is
 * a loop.
 *
 * Return: 0, or -1 with @err naming the forwards of the loop
 */
int config_check_loops(const struct nsp_config *cfg, bool one_ns, char *err,
		       size_t errlen)
{
	char where_a[PATH_MAX + 32], where_b[PATH_MAX + 32];
	const struct fwd_entry *a, *b;
	/* state 0: not seen; 1: on the walk being made; 2: leads to no loop */
	struct { long next; uint8_t state; } *n;
	unsigned i;
	long j = -1, k;

	if (!cfg->nfwd)
		return 0;
	n = calloc(cfg->nfwd, sizeof(*n));
	if (!n)
		return errfmt(err, errlen, "out of memory");
	for (i = 0; i < cfg->nfwd; i++)
		n[i].next = loop_next(cfg, &cfg->fwd[i], one_ns);
	for (i = 0; i < cfg->nfwd; i++) {
		for (j = (long)i; j >= 0 && !n[j].state; j = n[j].next)
			n[j].state = 1;
		if (j >= 0 && n[j].state == 1)
			break;
		for (k = (long)i; k >= 0 && n[k].state == 1; k = n[k].next)
			n[k].state = 2;
	}
	/* j closes the loop: name it and its successor */
	k = i < cfg->nfwd ? n[j].next : -1;
	free(n);
	if (i == cfg->nfwd)
		return 0;
	a = &cfg->fwd[j];
	b = &cfg->fwd[k];
	/* Both named as asides: which of them is new (a reload's line, a
	 * ctl add) this function cannot tell, and a lead "FILE:LINE: "
	 * blamed an unchanged line for a refused ctl add (a review) */
	config_fwd_origin(cfg, a, false, where_a, sizeof(where_a));
	if (k == j)
		return errfmt(err, errlen, "-%c \"%.*s%s\"%s sends its clients "
			      "to its own listener (port %u%s): a forwarding "
			      "loop; expected a target nsplice does not listen "
			      "on itself", a->opt, SPEC_SHOWN(a->spec),
			      a->spec, SPEC_CUT(a->spec), where_a,
			      a->m.listen_port,
			      one_ns ? ", the target namespace is nsplice's "
				       "own" : "");
	return errfmt(err, errlen, "-%c \"%.*s%s\"%s sends its clients to port "
		      "%u, where -%c \"%.*s%s\"%s listens, and the forwards "
		      "go on from there back to it: a forwarding loop; "
		      "expected targets nsplice does not listen on itself",
		      a->opt, SPEC_SHOWN(a->spec), a->spec,
		      SPEC_CUT(a->spec), where_a, a->m.target_port, b->opt,
		      SPEC_SHOWN(b->spec), b->spec, SPEC_CUT(b->spec),
		      config_fwd_origin(cfg, b, false, where_b, sizeof(where_b)));
}

/**
 * config_check() - the checks that need every forward: overlaps, loops
 * @cfg:	configuration; listeners sorted and ids reassigned
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
int config_check(struct nsp_config *cfg, char *err, size_t errlen)
{
	unsigned i, j;

	config_pp_apply(cfg);
	if (check_overlap(cfg, err, errlen) ||
	    config_check_loops(cfg, false, err, errlen))
		return -1;
	for (i = 0; i < cfg->nautos; i++)
		for (j = i + 1; j < cfg->nautos; j++)
			if (auto_pair_check(&cfg->autos[i], &cfg->autos[j],
					    err, errlen))
				return -1;
	return 0;
}

/**
 * set_netns() - store --netns, expanding a bare NAME under /run/netns
 * @cfg:	configuration being built
 * @v:		option value, kept by reference
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_netns(struct nsp_config *cfg, const char *v, const char *label,
		     char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	if (strchr(v, '/')) {
		if (n >= sizeof(cfg->netns_buf))
			return errfmt(err, errlen, "%s \"%.64s...\": path too "
				      "long: expected at most %zu bytes",
				      label, v, sizeof(cfg->netns_buf) - 1);
		cfg->netns_path = v;
		return 0;
	}
	if (!n || n > NETNS_NAME_MAX || !strcmp(v, ".") || !strcmp(v, ".."))
		goto bad;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("_.-", v[i]))
			goto bad;
	snprintf(cfg->netns_buf, sizeof(cfg->netns_buf), NETNS_DIR "%s", v);
	cfg->netns_path = cfg->netns_buf;
	return 0;
bad:
	return errfmt(err, errlen,
		       "%s \"%s\": bad name: expected a path, or a NAME "
		       "of letters, digits, '_', '.' and '-' in " NETNS_DIR,
		       label, v);
}

/**
 * set_target() - record the target kind, refusing a second one
 * @cfg:	configuration being built
 * @kind:	enum nsp_target_kind
 * @what:	option spelling, for the message
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_target(struct nsp_config *cfg, enum nsp_target_kind kind,
		      const char *what, char *err, size_t errlen)
{
	static const char *const names[] = { "", "--netns", "--pid",
					     "COMMAND" };

	if (cfg->target != TARGET_NONE)
		return errfmt(err, errlen,
			       "%s: a target was already given with %s: "
			       "expected exactly one of --netns, --pid or "
			       "COMMAND", what, names[cfg->target]);
	cfg->target = kind;
	return 0;
}

/**
 * set_pid() - store --pid
 * @cfg:	configuration being built
 * @v:		option value
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_pid(struct nsp_config *cfg, const char *v, const char *label,
		   char *err, size_t errlen)
{
	const char *why;
	uint32_t pid;

	if (set_target(cfg, TARGET_PID, label, err, errlen))
		return -1;
	why = num_parse(v, strlen(v), 1, INT32_MAX, &pid);
	if (why)
		return errfmt(err, errlen, "%s \"%s\": %s: expected a process "
			      "id", label, v, why);
	cfg->pid = (pid_t)pid;
	return 0;
}

/**
 * lookup_user() - resolve a user name for the relay
 * @cfg:	configuration being built; runas_* are set on success
 * @name:	user name, shorter than RUNAS_NAME_MAX
 *
 * Return: 0, or -1 if there is no such user
 */
static int lookup_user(struct nsp_config *cfg, const char *name)
{
	const struct passwd *pw = getpwnam(name);

	if (!pw)
		return -1;
	memcpy(cfg->runas_buf, name, strlen(name) + 1);
	cfg->runas_name = cfg->runas_buf;
	cfg->runas_uid = pw->pw_uid;
	cfg->runas_gid = pw->pw_gid;
	return 0;
}

/**
 * set_runas() - store --runas: an existing user that is not root
 * @cfg:	configuration being built
 * @v:		option value
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Only root changes the relay's user.  Without root the option is
 * ignored, with one warning at start (prepare()), whatever it names: a
 * command line or file written for a root service must not stop a user's
 * nsplice over a user it would never switch to.  The name is kept only
 * for that warning (cut to RUNAS_NAME_MAX), never resolved.
 *
 * Return: 0 or -1
 */
static int set_runas(struct nsp_config *cfg, const char *v, const char *label,
		     char *err, size_t errlen)
{
	cfg->runas_given = true;
	if (geteuid() != 0) {
		snprintf(cfg->runas_buf, sizeof(cfg->runas_buf), "%s", v);
		cfg->runas_name = cfg->runas_buf;
		cfg->runas_uid = 0;
		cfg->runas_gid = 0;
		return 0;
	}
	if (strlen(v) >= RUNAS_NAME_MAX || lookup_user(cfg, v))
		return errfmt(err, errlen, "%s \"%s\": no such user: expected "
			      "the name of an existing user", label, v);
	if (!cfg->runas_uid || !cfg->runas_gid)
		return errfmt(err, errlen, "%s \"%s\": uid or gid 0: expected "
			      "an unprivileged user", label, v);
	return 0;
}

/**
 * set_sandbox() - store --sandbox
 * @cfg:	configuration being built
 * @v:		"enforce" or "log"
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_sandbox(struct nsp_config *cfg, const char *v,
		       const char *label, char *err, size_t errlen)
{
	if (!strcmp(v, "enforce"))
		cfg->sandbox = SANDBOX_ENFORCE;
	else if (!strcmp(v, "log"))
		cfg->sandbox = SANDBOX_LOG;
	else
		return errfmt(err, errlen, "%s \"%s\": unknown mode: expected "
			      "enforce or log", label, v);
	return 0;
}

/**
 * set_config() - store -c FILE as an absolute path
 * @cfg:	configuration being built
 * @v:		option value
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * A reload reads the file again, perhaps after the supervisor changed
 * directory, so a relative name is completed with today's directory now.
 * Symbolic links are left alone: re-pointing one is a way to switch files.
 *
 * Return: 0 or -1
 */
static int set_config(struct nsp_config *cfg, const char *v,
		      const char *label, char *err, size_t errlen)
{
	char cwd[PATH_MAX], path[PATH_MAX];
	int n;

	if (!*v)
		return errfmt(err, errlen, "%s \"\": empty path: expected a "
			      "config file", label);
	if (*v == '/') {
		cfg->config_path = v;
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return errfmt(err, errlen, "%s \"%s\": cannot complete a "
			      "relative path: %s: expected an absolute path",
			      label, v, strerror(errno));
	n = snprintf(path, sizeof(path), "%s/%s", cwd, v);
	if (n < 0 || (size_t)n >= sizeof(path))
		return errfmt(err, errlen, "%s \"%s\": path too long: expected "
			      "at most %d bytes", label, v, PATH_MAX - 1);
	cfg->config_path = config_strdup(cfg, path);
	return cfg->config_path ? 0 : errfmt(err, errlen, "out of memory");
}

/**
 * set_control() - store --control PATH
 * @cfg:	configuration being built
 * @v:		option value, kept by reference
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 if the path is empty or does not fit in sun_path
 */
static int set_control(struct nsp_config *cfg, const char *v,
		       const char *label, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (!n)
		return errfmt(err, errlen, "%s \"\": empty path: expected a "
			      "socket path", label);
	if (n >= CONTROL_PATH_MAX)
		return errfmt(err, errlen, "%s \"%s\": path too long (%zu "
			      "bytes): expected at most %zu bytes", label, v,
			      n, CONTROL_PATH_MAX - 1);
	cfg->control_path = v;
	return 0;
}

/**
 * set_number() - store a numeric option
 * @out:	where the value goes
 * @v:		option value
 * @min:	smallest value
 * @max:	largest value
 * @label:	option spelling, for messages
 * @unit:	what the number counts, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_number(uint32_t *out, const char *v, uint32_t min,
		      uint32_t max, const char *label, const char *unit,
		      char *err, size_t errlen)
{
	const char *why = num_parse(v, strlen(v), min, max, out);

	if (why)
		return errfmt(err, errlen, "%s \"%s\": %s: expected %u to %u "
			      "%s", label, v, why, min, max, unit);
	return 0;
}

/**
 * set_keepalive() - store --keepalive IDLE[,INTVL[,CNT]] or off
 * @cfg:	configuration being built
 * @v:		option value
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_keepalive(struct nsp_config *cfg, const char *v,
			 const char *label, char *err, size_t errlen)
{
	static const char *const names[] = { "IDLE", "INTVL", "CNT" };
	static const uint32_t max[] = { KEEPALIVE_MAX, KEEPALIVE_MAX,
					KEEPALIVE_CNT_MAX };
	uint32_t val[KEEPALIVE_FIELDS] = { 0, KEEPALIVE_DEF_INTVL,
					   KEEPALIVE_DEF_CNT };
	const char *p = v, *end, *why = NULL;
	unsigned i;

	if (!strcmp(v, "off")) {
		cfg->ka_idle = cfg->ka_intvl = cfg->ka_cnt = 0;
		return 0;
	}
	for (i = 0;; i++) {
		if (i == KEEPALIVE_FIELDS) {
			why = "more than three values";
			break;
		}
		end = strchrnul(p, ',');
		why = num_parse(p, (size_t)(end - p), 1, max[i], &val[i]);
		if (why || !*end)
			break;
		p = end + 1;
	}
	if (why)
		return errfmt(err, errlen, "%s \"%s\": %s%s%s: expected "
			      "IDLE[,INTVL[,CNT]] (IDLE and INTVL 1-%u seconds, "
			      "CNT 1-%u probes) or off", label, v,
			      i < KEEPALIVE_FIELDS ? names[i] : "",
			      i < KEEPALIVE_FIELDS ? " " : "", why,
			      KEEPALIVE_MAX, KEEPALIVE_CNT_MAX);
	cfg->ka_idle = val[0];
	cfg->ka_intvl = val[1];
	cfg->ka_cnt = val[2];
	return 0;
}

/**
 * set_test_attempt() - store --test-relay-attempt (NSPLICE_TESTING only)
 * @cfg:	configuration being built
 * @v:		name of a forbidden operation (seccomp/attempt.c)
 * @label:	option spelling, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_test_attempt(struct nsp_config *cfg, const char *v,
			    const char *label, char *err, size_t errlen)
{
#ifdef NSPLICE_TESTING
	if (sandbox_attempt_known(v)) {
		cfg->test_attempt = v;
		return 0;
	}
#else
	(void)cfg;
#endif
	return errfmt(err, errlen, "%s \"%s\": unknown operation: see "
		      "seccomp/attempt.c", label, v);
}

/**
 * print_version() - --version; a testing build says so
 */
static void print_version(void)
{
#ifdef NSPLICE_TESTING
	printf("nsplice %s (NSPLICE_TESTING build: never install)\n",
	       NSPLICE_VERSION);
#else
	printf("nsplice %s\n", NSPLICE_VERSION);
#endif
}

/**
 * apply_flag() - apply an option without a value
 * @cfg:	configuration being built
 * @c:		getopt_long() value
 *
 * Return: 0, 1 to exit 0 at once (--help, --version), or -1 if @c is not
 * a flag
 */
static int apply_flag(struct nsp_config *cfg, int c)
{
	switch (c) {
	case 'q':
		cfg->log_level = LOG_LVL_ERR;
		return 0;
	case 'v':
		cfg->log_level = LOG_LVL_INFO;
		return 0;
	case 'd':
		cfg->log_level = LOG_LVL_DEBUG;
		return 0;
	case OPT_TRACE:
		cfg->log_level = LOG_LVL_TRACE;
		return 0;
	case OPT_SYSLOG:
		cfg->use_syslog = true;
		return 0;
	case 'h':
		config_usage("nsplice");
		return 1;
	case OPT_VERSION:
		print_version();
		return 1;
	}
	return -1;
}

/**
 * config_apply() - apply one option, from the command line or a file
 * @cfg:	configuration being built
 * @c:		getopt_long() value
 * @v:		option value, kept by reference where stored; NULL for flags
 * @ctx:	label, source of forwards, port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, 1 to exit 0 at once (--help, --version), or -1
 */
int config_apply(struct nsp_config *cfg, int c, const char *v,
		 const struct config_ctx *ctx, char *err, size_t errlen)
{
	const char *l = ctx->label;
	int ret;

	switch (c) {
	case 't':
	case 'T':
	case 'u':
	case 'U':
		return add_spec(cfg, (char)c, v, ctx, err, errlen);
	case 'c':
		return set_config(cfg, v, l, err, errlen);
	case OPT_NETNS:
		if (set_target(cfg, TARGET_NETNS, l, err, errlen))
			return -1;
		return set_netns(cfg, v, l, err, errlen);
	case OPT_USERNS:
		cfg->userns_path = v;
		return 0;
	case OPT_PID:
		return set_pid(cfg, v, l, err, errlen);
	case OPT_PID_FILE:
		cfg->pid_file = v;
		return 0;
	case OPT_RUNAS:
		return set_runas(cfg, v, l, err, errlen);
	case OPT_SANDBOX:
		return set_sandbox(cfg, v, l, err, errlen);
	case OPT_TEST_ATTEMPT:
		return set_test_attempt(cfg, v, l, err, errlen);
	case OPT_CONTROL:
		return set_control(cfg, v, l, err, errlen);
	case OPT_MAX_CONNS:
		return set_number(&cfg->max_conns, v, MAX_CONNS_MIN,
				  FLOW_SLOTS_MAX, l, "connections", err,
				  errlen);
	case OPT_UDP_TIMEOUT:
		return set_number(&cfg->udp_timeout, v, 1, UDP_TIMEOUT_MAX,
				  l, "seconds", err, errlen);
	case OPT_IDLE_TIMEOUT:
		return set_number(&cfg->idle_timeout, v, 0, IDLE_TIMEOUT_MAX,
				  l, "seconds (0: never)", err, errlen);
	case OPT_BUSY_POLL:
		return set_number(&cfg->busy_poll_us, v, 0, BUSY_POLL_MAX,
				  l, "microseconds (0: off)", err, errlen);
	case OPT_KEEPALIVE:
		return set_keepalive(cfg, v, l, err, errlen);
	case OPT_PROXY_PROTOCOL:
		return config_pp_parse(cfg, v, ctx, err, errlen);
	}
	ret = apply_flag(cfg, c);
	if (ret >= 0)
		return ret;
	return errfmt(err, errlen, "internal error: option %d", c);
}

/**
 * getopt_error() - describe what getopt_long() did not like
 * @argv:	arguments
 * @c:		'?' or ':'
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: -1
 */
static int getopt_error(char **argv, int c, char *err, size_t errlen)
{
	const char *arg = argv[optind - 1];
	char label[OPT_LABEL_MAX];

	if (c == ':')
		return errfmt(err, errlen, "%s: missing value: see --help",
			       optopt ? opt_label(optopt, label, sizeof(label))
				      : arg);
	if (optopt)
		return errfmt(err, errlen, "-%c: unknown option: see --help",
			       optopt);
	return errfmt(err, errlen, "\"%s\": unknown option: see --help", arg);
}

/**
 * finish() - checks that need every option: target present and coherent
 * @cfg:	configuration being built
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int finish(struct nsp_config *cfg, char *err, size_t errlen)
{
	if (cfg->target == TARGET_NONE)
		return errfmt(err, errlen,
			       "missing target: expected --netns PATH|NAME, "
			       "--pid PID or COMMAND");
	if (cfg->userns_path && cfg->target != TARGET_NETNS)
		return errfmt(err, errlen, "--userns \"%s\": only valid with "
			       "--netns", cfg->userns_path);
	/* Without --runas: nsplice's own user if the system has one. */
	if (!cfg->runas_given && lookup_user(cfg, RUNAS_DEFAULT) &&
	    lookup_user(cfg, RUNAS_FALLBACK))
		cfg->runas_name = NULL;
	if (config_check(cfg, err, errlen))
		return -1;
	return config_pp_check(cfg, err, errlen);
}

/**
 * args_parse() - read argv into the configuration
 * @argc:	argument count
 * @argv:	arguments
 * @cfg:	configuration being built
 * @args:	filled: what the command line set
 * @env:	ephemeral port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, 1 to exit 0 at once (--help, --version), or -1
 */
static int args_parse(int argc, char **argv, struct nsp_config *cfg,
		      struct config_layer *args,
		      const struct portspec_env *env, char *err, size_t errlen)
{
	struct config_ctx ctx = { .env = env, .src = CONFIG_SRC_ARGS };
	char label[OPT_LABEL_MAX];
	enum config_slot slot;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:t:T:u:U:c:qvdh", long_opts,
				NULL)) != -1) {
		if (c == '?' || c == ':')
			return getopt_error(argv, c, err, errlen);
		ctx.label = opt_label(c, label, sizeof(label));
		ret = config_apply(cfg, c, optarg, &ctx, err, errlen);
		if (ret)
			return ret;
		slot = config_opt_slot(c);
		if (slot != SLOT_NONE)
			args->line[slot] = 1;
		else
			cfg->args_lists |= config_list_bit(c);
	}
	if (optind < argc) {
		if (set_target(cfg, TARGET_COMMAND, "COMMAND", err, errlen))
			return -1;
		cfg->command = argv + optind;
		args->line[SLOT_TARGET] = 1;
	}
	return 0;
}

/**
 * config_list_bit() - the bit of an option in nsp_config.args_lists
 * @c:		getopt_long() value, or fwd_entry.opt
 *
 * Any short option letter has a bit, so a forward option added later
 * (its entries carry their letter in @opt) is a list without more code;
 * a letter that makes no forwards sets a bit nothing looks at.
 *
 * Return: the bit, 0 for an option without a letter
 */
uint64_t config_list_bit(int c)
{
	if (c < 'A' || c > 'z')
		return 0;
	return (uint64_t)1 << (c - 'A');
}

/**
 * config_control_default() - the control socket under RuntimeDirectory=
 * @cfg:	configuration; control_path set if it has none
 * @config_path: -c FILE, or NULL
 * @err:	error buffer
 * @errlen:	its size
 *
 * systemd sets RUNTIME_DIRECTORY for a unit with RuntimeDirectory= (the
 * shipped nsplice@.service: /run/nsplice/NAME), so an instance gets its
 * own control socket without a path written per instance:
 * $RUNTIME_DIRECTORY/NAME.sock, NAME the config file's name without its
 * directory and a ".conf" ending, "nsplice" without -c.  Several
 * directories (colon-separated): the first.  Outside such a unit nothing
 * changes: no --control, no socket.
 *
 * Return: 0, or -1 if the default does not fit in sun_path
 */
int config_control_default(struct nsp_config *cfg, const char *config_path,
			   char *err, size_t errlen)
{
	const char *dir = getenv(RUNTIME_DIR_ENV), *base = "nsplice";
	char path[CONTROL_PATH_MAX];
	size_t dlen, blen;
	int n;

	if (cfg->control_path || !dir || dir[0] != '/')
		return 0;
	dlen = strcspn(dir, ":");
	if (config_path && strrchr(config_path, '/'))
		base = strrchr(config_path, '/') + 1;
	blen = strlen(base);
	if (blen > strlen(CONF_SUFFIX) &&
	    !strcmp(base + blen - strlen(CONF_SUFFIX), CONF_SUFFIX))
		blen -= strlen(CONF_SUFFIX);
	n = snprintf(path, sizeof(path), "%.*s/%.*s.sock", (int)dlen, dir,
		     (int)blen, base);
	if (n < 0 || (size_t)n >= sizeof(path))
		return errfmt(err, errlen, "control socket in $%s \"%.*s\": "
			      "path too long: expected at most %zu bytes; give "
			      "--control PATH", RUNTIME_DIR_ENV, (int)dlen, dir,
			      CONTROL_PATH_MAX - 1);
	cfg->control_path = config_strdup(cfg, path);
	return cfg->control_path ? 0 : errfmt(err, errlen, "out of memory");
}

/**
 * layer_bits() - the slots a layer set, as a bitmask
 * @l:		layer
 *
 * Return: bit (1 << slot) per slot set
 */
static uint32_t layer_bits(const struct config_layer *l)
{
	uint32_t bits = 0;
	int slot;

	for (slot = 0; slot < SLOT_COUNT; slot++)
		if (l->line[slot])
			bits |= 1U << slot;
	return bits;
}

/**
 * config_from_args() - parse and validate the whole command line
 * @argc:	argument count
 * @argv:	arguments; COMMAND and option values are kept by reference
 * @cfg:	filled on success; on failure left empty
 * @err:	error line on failure
 * @errlen:	its size
 *
 * With -c FILE the file is read after the command line and merged under
 * it (config_merge_file()); then the control socket gets its default
 * (config_control_default()).
 *
 * Return: 0 to run, 1 to exit 0 at once (--help, --version), -1 on bad input
 */
int config_from_args(int argc, char **argv, struct nsp_config *cfg,
		     char *err, size_t errlen)
{
	struct config_layer args;
	struct portspec_env env;
	int ret;

	config_defaults(cfg);
	memset(&args, 0, sizeof(args));
	args.src = CONFIG_SRC_ARGS;
	portspec_env_read(&env);
	ret = args_parse(argc, argv, cfg, &args, &env, err, errlen);
	cfg->args_given = layer_bits(&args);
	if (!ret && cfg->config_path)
		ret = config_merge_file(cfg, &env, err, errlen);
	if (!ret)
		ret = config_control_default(cfg, cfg->config_path, err,
					     errlen);
	if (!ret)
		ret = finish(cfg, err, errlen);
	if (ret)
		config_free(cfg);
	return ret;
}

/**
 * same_rule() - do two listeners on one socket forward the same way
 * @a:		listener
 * @b:		listener with the same side, family, address and port
 *
 * Return: true for the same interface, target port and target address
 */
static bool same_rule(const struct msg_forward *a, const struct msg_forward *b)
{
	if (strncmp(a->ifname, b->ifname, sizeof(a->ifname)) ||
	    a->target_port != b->target_port)
		return false;
	if ((a->flags & FWD_F_TARGET_ADDR) != (b->flags & FWD_F_TARGET_ADDR))
		return false;
	if (!(a->flags & FWD_F_TARGET_ADDR))
		return true;
	return a->target_family == b->target_family &&
	       inany_equal(a->target_family, &a->target_addr, &b->target_addr);
}

/**
 * auto_taker() - the auto rule that may forward a listener's port
 * @cfg:	configuration
 * @e:		listener a removal names that no configured forward has
 *
 * Auto rules of one option may share a port only where their listen
 * addresses cannot meet (auto_pair_check()), so at most one rule can
 * take @e's socket.
 *
 * Return: the rule of @e's option that allows @e's port on an address
 * that meets @e's, or NULL
 */
static const struct auto_rule *auto_taker(const struct nsp_config *cfg,
					  const struct fwd_entry *e)
{
	unsigned i, t;

	for (i = 0; i < cfg->nautos; i++) {
		const struct auto_rule *r = &cfg->autos[i];

		if (r->opt != e->opt ||
		    !portset_has(r->allowed, e->m.listen_port))
			continue;
		for (t = 0; t < r->ntmpl; t++)
			if (tmpl_overlap(&r->tmpl[t], e))
				return r;
	}
	return NULL;
}

/**
 * auto_port_error() - a removal names a port that an auto rule forwards
 * @e:		the listener of the SPEC, not configured itself
 * @found:	listeners of the SPEC that are there as it says
 * @r:		the auto rule that takes @e's port (auto_taker())
 * @err:	error buffer
 * @errlen:	its size
 *
 * "is not forwarded" alone was wrong to the user who sees the port
 * listen: it is, by a rule.  The message names the rule as status lists
 * it and the ways to stop it: a rule cannot lose one port in place, it
 * is removed (and added back with the port excluded), or, if the -c file
 * holds it, changed there, since a reload brings a removed one back.
 *
 * Return: -1
 */
static int auto_port_error(const struct fwd_entry *e, unsigned found,
			   const struct auto_rule *r, char *err,
			   size_t errlen)
{
	const char *other = e->m.listen_side == SIDE_HOST ? "in the namespace"
							  : "on the host";
	unsigned p = e->m.listen_port;

	if (r->src == CONFIG_SRC_FILE)
		return errfmt(err, errlen, "-%c %s is not forwarded%s: port %u "
			      "belongs to the auto rule -%c %s, which forwards "
			      "it while it listens %s (status lists it under "
			      "auto rules); the rule is the -c file's: make it "
			      "%s,~%u there and reload (remove -%c %s stops "
			      "the whole rule until the next reload)", e->opt,
			      e->spec, found ? " by itself" : "", p, r->opt,
			      r->spec, other, r->spec, p, r->opt, r->spec);
	return errfmt(err, errlen, "-%c %s is not forwarded%s: port %u "
		      "belongs to the auto rule -%c %s, which forwards it while "
		      "it listens %s (status lists it under auto rules); "
		      "remove -%c %s stops the whole rule, add -%c %s,~%u then "
		      "brings it back without the port", e->opt, e->spec,
		      found ? " by itself" : "", p, r->opt, r->spec, other,
		      r->opt, r->spec, r->opt, r->spec, p);
}

/**
 * gone_error() - say why a removal does not match what is forwarded
 * @cfg:	configuration the removal was tried on
 * @e:		first listener of the SPEC that is not there as it says
 * @found:	listeners of the SPEC that are there as it says
 * @other:	@e's socket is forwarded, but another way
 * @err:	error buffer
 * @errlen:	its size
 *
 * One sentence, "-t 9090:80 is not forwarded", and only when part of
 * the SPEC is there or its port goes elsewhere, which listener is not;
 * a port an auto rule may take is said to be that rule's
 * (auto_port_error()).
 *
 * Return: -1
 */
static int gone_error(const struct nsp_config *cfg, const struct fwd_entry *e,
		      unsigned found, bool other, char *err, size_t errlen)
{
	const struct auto_rule *r = other ? NULL : auto_taker(cfg, e);
	char abuf[INANY_STRLEN];

	if (r)
		return auto_port_error(e, found, r, err, errlen);
	inany_ntop(e->m.family, &e->m.listen_addr, abuf, sizeof(abuf));
	if (other)
		return errfmt(err, errlen, "-%c %s is not forwarded: port %u on "
			      "%s is forwarded another way (see status)",
			      e->opt, e->spec, e->m.listen_port, abuf);
	if (found)
		return errfmt(err, errlen, "-%c %s is not forwarded whole: port "
			      "%u on %s is not forwarded", e->opt, e->spec,
			      e->m.listen_port, abuf);
	return errfmt(err, errlen, "-%c %s is not forwarded", e->opt, e->spec);
}

/**
 * mark_gone() - find every listener of @gone in @cfg and mark it
 * @cfg:	configuration, listeners sorted by fwd_cmp()
 * @gone:	listeners a SPEC makes
 * @mark:	per listener of @cfg, set if it is to go
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 naming the first listener that is not there
 */
static int mark_gone(const struct nsp_config *cfg,
		     const struct nsp_config *gone, bool *mark, char *err,
		     size_t errlen)
{
	const struct fwd_entry *miss = NULL;
	unsigned i, found = 0;
	bool other = false;

	for (i = 0; i < gone->nfwd; i++) {
		const struct fwd_entry *e = &gone->fwd[i], *f = NULL;

		if (cfg->nfwd)
			f = bsearch(e, cfg->fwd, cfg->nfwd, sizeof(*f),
				    fwd_cmp);
		if (f && same_rule(&f->m, &e->m)) {
			mark[f - cfg->fwd] = true;
			found++;
		} else if (!miss || (f && !other)) {
			miss = e;
			other = f != NULL;
		}
	}
	return miss ? gone_error(cfg, miss, found, other, err, errlen)
		    : 0;
}

/**
 * remove_fwds() - take out exactly the listeners a plain SPEC makes
 * @cfg:	copy of the running configuration
 * @ps:		parsed SPEC
 * @opt:	't' or 'T'
 * @spec:	SPEC text
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @cfg unchanged but for its order
 */
static int remove_fwds(struct nsp_config *cfg, const struct portspec *ps,
		       char opt, const char *spec, char *err, size_t errlen)
{
	struct nsp_config gone;
	unsigned i, n = 0;
	bool *mark;
	int ret;

	config_defaults(&gone);
	mark = calloc(cfg->nfwd + 1, sizeof(*mark));
	if (!mark)
		return errfmt(err, errlen, "out of memory");
	if (cfg->nfwd)
		qsort(cfg->fwd, cfg->nfwd, sizeof(*cfg->fwd), fwd_cmp);
	ret = expand_spec(&gone, ps, opt, spec, CONFIG_SRC_CTL, err, errlen);
	if (!ret)
		ret = mark_gone(cfg, &gone, mark, err, errlen);
	for (i = 0; !ret && i < cfg->nfwd; i++)
		if (!mark[i])
			cfg->fwd[n++] = cfg->fwd[i];
	if (!ret)
		cfg->nfwd = n;
	free(mark);
	config_free(&gone);
	return ret;
}

/**
 * auto_gone_error() - no auto rule has the SPEC a removal gives
 * @cfg:	configuration
 * @opt:	option of the removal
 * @spec:	its SPEC text
 * @err:	error buffer
 * @errlen:	its size
 *
 * A rule is removed by its text, so the message quotes the text of one
 * rule of that option, as status lists it, rather than leave the user to
 * guess the spelling.
 *
 * Return: -1
 */
static int auto_gone_error(const struct nsp_config *cfg, char opt,
			   const char *spec, char *err, size_t errlen)
{
	const struct auto_rule *first = NULL;
	unsigned i, n = 0;

	for (i = 0; i < cfg->nautos; i++) {
		if (cfg->autos[i].opt != opt)
			continue;
		first = first ? first : &cfg->autos[i];
		n++;
	}
	if (!first)
		return errfmt(err, errlen, "-%c %s is not forwarded: there is no "
			      "-%c auto rule", opt, spec, opt);
	if (n == 1)
		return errfmt(err, errlen, "-%c %s is not forwarded: the -%c "
			      "auto rule is -%c %s (give the SPEC as status "
			      "lists it under auto rules)", opt, spec, opt, opt,
			      first->spec);
	return errfmt(err, errlen, "-%c %s is not forwarded: no -%c auto rule "
		      "has this SPEC; there are %u, -%c %s the first (give the "
		      "SPEC as status lists it under auto rules)", opt, spec,
		      opt, n, opt, first->spec);
}

/**
 * remove_auto() - take out the auto rule added with the same SPEC
 * @cfg:	copy of the running configuration
 * @opt:	't' or 'T'
 * @spec:	SPEC text, compared as text
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 if no rule has that option and text
 */
static int remove_auto(struct nsp_config *cfg, char opt, const char *spec,
		       char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < cfg->nautos; i++) {
		if (cfg->autos[i].opt != opt || strcmp(cfg->autos[i].spec, spec))
			continue;
		memmove(&cfg->autos[i], &cfg->autos[i + 1],
			(cfg->nautos - i - 1) * sizeof(*cfg->autos));
		cfg->nautos--;
		return 0;
	}
	return auto_gone_error(cfg, opt, spec, err, errlen);
}

/**
 * remove_spec() - take out what one SPEC would add
 * @cfg:	copy of the running configuration
 * @opt:	't' or 'T'
 * @spec:	SPEC text
 * @env:	ephemeral port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int remove_spec(struct nsp_config *cfg, char opt, const char *spec,
		       const struct portspec_env *env, char *err,
		       size_t errlen)
{
	char why[PORTSPEC_ERR_MAX];
	struct portspec *ps;
	int ret;

	ps = malloc(sizeof(*ps));
	if (!ps)
		return errfmt(err, errlen, "out of memory");
	if (portspec_parse(spec, env, ps, why, sizeof(why)))
		ret = errfmt(err, errlen, "-%c \"%s\": %s", opt, spec, why);
	else if (ps->none)
		ret = errfmt(err, errlen, "-%c \"%s\": forwards nothing: "
			     "expected the SPEC of forwards to remove", opt,
			     spec);
	else if (ps->auto_)
		ret = remove_auto(cfg, opt, spec, err, errlen);
	else
		ret = remove_fwds(cfg, ps, opt, spec, err, errlen);
	free(ps);
	return ret;
}

/**
 * config_change() - the running configuration plus or minus one SPEC
 * @running:	configuration in use; not modified
 * @add:	true to add the SPEC's forwards, false to remove them
 * @opt:	't' or 'T'
 * @spec:	SPEC text; copied
 * @fresh:	filled on success, owning all its memory; empty on failure
 * @err:	error line on failure
 * @errlen:	its size
 *
 * Added forwards get CONFIG_SRC_CTL and go through the same overlap checks
 * as at start; a removal must match forwards that exist, whatever their
 * source, exactly as the SPEC makes them (an auto SPEC: its rule, by text).
 *
 * Return: 0 or -1
 */
int config_change(const struct nsp_config *running, bool add, char opt,
		  const char *spec, struct nsp_config *fresh, char *err,
		  size_t errlen)
{
	struct config_ctx ctx = { .src = CONFIG_SRC_CTL };
	struct portspec_env env;
	const char *copy;
	int ret;

	memset(fresh, 0, sizeof(*fresh));
	if (opt != 't' && opt != 'T' && opt != 'u' && opt != 'U')
		return errfmt(err, errlen, "option %d: unknown: expected -t or "
			      "-T (TCP), -u or -U (UDP)", opt);
	if (!spec)
		return errfmt(err, errlen, "-%c: missing SPEC: expected a port "
			      "spec", opt);
	if (config_clone(fresh, running, true, err, errlen))
		return -1;
	portspec_env_read(&env);
	ctx.env = &env;
	ctx.label = opt == 't' ? "-t" : opt == 'T' ? "-T" : opt == 'u' ? "-u"
								  : "-U";
	copy = config_strdup(fresh, spec);
	if (!copy)
		ret = errfmt(err, errlen, "out of memory");
	else if (add)
		ret = add_spec(fresh, opt, copy, &ctx, err, errlen);
	else
		ret = remove_spec(fresh, opt, copy, &env, err, errlen);
	/* "none" (or a SPEC whose ports are all excluded) adds nothing: an
	 * "ok" for it would read as a change made, as a removal's does */
	if (!ret && add && fresh->nfwd == running->nfwd &&
	    fresh->nautos == running->nautos)
		ret = errfmt(err, errlen, "-%c \"%s\": forwards nothing: "
			     "expected the SPEC of forwards to add", opt,
			     spec);
	if (!ret)
		ret = config_check(fresh, err, errlen);
	if (ret)
		config_free(fresh);
	return ret;
}

/**
 * config_retarget() - the running configuration with a new target address
 * @running:	running configuration
 * @af:		family of @addr
 * @addr:	the address every forward with an explicit target goes to
 * @fresh:	output: a complete configuration of its own
 * @err:	error buffer
 * @errlen:	its size
 *
 * rootlessport's reload (supervisor/engine.c): the container moved to
 * another address, its ports did not.  Forwards with FWD_F_TARGET_ADDR of
 * @addr's family take @addr; their listeners and every other setting stay
 * as they are.  If none has that family, the container moved to a network
 * of the other family (podman network connect, then disconnect of the
 * old one): every forward with FWD_F_TARGET_ADDR takes @addr and its
 * family, as podman's own rootlessport does.  Refusing that left the
 * ports going to an address the container no longer had, for good.  A
 * loopback address is refused (the container's loopback is never a
 * target: CVE-2021-20199), and so is a reload when no forward has an
 * explicit target, which used to be answered OK while nothing changed.
 *
 * Return: 0 or -1
 */
int config_retarget(const struct nsp_config *running, int af,
		    const union inany *addr, struct nsp_config *fresh,
		    char *err, size_t errlen)
{
	unsigned i, same = 0, any = 0;

	memset(fresh, 0, sizeof(*fresh));
	if (!inany_loopback_safe(af, addr, INANY_USE_TARGET))
		return errfmt(err, errlen, "not an address to connect to");
	if (inany_is_loopback(af, addr))
		return errfmt(err, errlen, "a loopback address: the container's "
			      "loopback is never a target");
	for (i = 0; i < running->nfwd; i++) {
		const struct msg_forward *m = &running->fwd[i].m;

		any += !!(m->flags & FWD_F_TARGET_ADDR);
		same += (m->flags & FWD_F_TARGET_ADDR) &&
			m->target_family == af;
	}
	if (!any)
		return errfmt(err, errlen, "no forward goes to a container "
			      "address");
	if (config_clone(fresh, running, true, err, errlen))
		return -1;
	for (i = 0; i < fresh->nfwd; i++) {
		struct msg_forward *m = &fresh->fwd[i].m;

		if (!(m->flags & FWD_F_TARGET_ADDR) ||
		    (same && m->target_family != af))
			continue;
		m->target_family = (uint8_t)af;
		m->target_addr = *addr;
	}
	if (config_check(fresh, err, errlen)) {
		config_free(fresh);
		return -1;
	}
	return 0;
}

/**
 * config_free() - release what a configuration holds
 * @cfg:	configuration; left empty
 */
void config_free(struct nsp_config *cfg)
{
	free(cfg->fwd);
	free(cfg->autos);
	free(cfg->pp);
	free(cfg->pp_origin);
	config_strings_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

/**
 * config_auto_owns() - is a listener one that an auto rule made
 * @r:		rule
 * @m:		listener, in the supervisor's table
 *
 * The supervisor makes an auto rule's listeners from its templates
 * (fwdtab.c add_auto()): same side and protocol, an allowed port, and a
 * template's family, address and interface exactly.  A listener that a
 * rule with other text made is still this rule's if it fits: the table
 * keeps a socket whose rule was replaced by an equivalent one.
 *
 * Return: true if @r would make @m
 */
bool config_auto_owns(const struct auto_rule *r, const struct msg_forward *m)
{
	unsigned t;

	if (!r->ntmpl || m->listen_side != r->tmpl[0].m.listen_side ||
	    (m->flags & FWD_F_UDP) != (r->tmpl[0].m.flags & FWD_F_UDP) ||
	    !portset_has(r->allowed, m->listen_port))
		return false;
	for (t = 0; t < r->ntmpl; t++) {
		const struct msg_forward *tm = &r->tmpl[t].m;

		if (tm->family == m->family &&
		    inany_equal(m->family, &tm->listen_addr, &m->listen_addr) &&
		    !strncmp(tm->ifname, m->ifname, sizeof(m->ifname)))
			return true;
	}
	return false;
}

/**
 * auto_has_low_port() - may an auto rule forward a privileged port
 * @r:		rule
 *
 * Return: true if some allowed port is below LOW_PORT_LIMIT
 */
static bool auto_has_low_port(const struct auto_rule *r)
{
	unsigned i;

	for (i = 0; i < LOW_PORT_LIMIT / 8; i++)
		if (r->allowed[i])
			return true;
	return false;
}

/**
 * config_side_needs_low_ports() - does a side listen on a privileged port
 * @cfg:	configuration
 * @side:	enum nsp_side
 *
 * The agent of that side then keeps CAP_NET_BIND_SERVICE and nothing else.
 * An auto rule counts if it may forward such a port: what listens on the
 * other side is only known later.  A bare "auto" takes no port below
 * net.ipv4.ip_unprivileged_port_start (supervisor/config/portspec.c), so only a rule
 * that names one ("auto,25") keeps the capability: a process on the other
 * side must not get this side's privileged ports by listening.
 *
 * Return: true if some listener of @side has a port below 1024
 */
bool config_side_needs_low_ports(const struct nsp_config *cfg, int side)
{
	unsigned i;

	for (i = 0; i < cfg->nfwd; i++)
		if (cfg->fwd[i].m.listen_side == side &&
		    cfg->fwd[i].m.listen_port < LOW_PORT_LIMIT)
			return true;
	for (i = 0; i < cfg->nautos; i++)
		if (cfg->autos[i].tmpl[0].m.listen_side == side &&
		    auto_has_low_port(&cfg->autos[i]))
			return true;
	return false;
}
