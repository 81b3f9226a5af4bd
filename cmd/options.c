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
 * Port specs are parsed (portspec.c) and expanded into one fwd_entry per
 * listening socket as they are met; once every option is read, listeners of
 * the same side, family and port are checked for overlap (the same address
 * twice, or a wildcard beside anything).  Only then does the caller see a
 * configuration, so nothing is ever half-applied.
 */
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <ctype.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ipc/log.h"
#include "../seccomp/sandbox.h"
#include "config.h"

/* NETNS_DIR - where `ip netns` keeps named network namespaces */
#define NETNS_DIR "/run/netns/"

/* NETNS_NAME_MAX - longest namespace NAME accepted, bytes */
#define NETNS_NAME_MAX 255

/* LOW_PORT_LIMIT - ports below this need CAP_NET_BIND_SERVICE by default */
#define LOW_PORT_LIMIT 1024

enum {
	OPT_NETNS = 256,
	OPT_USERNS,
	OPT_PID,
	OPT_PID_FILE,
	OPT_TRACE,
	OPT_VERSION,
	OPT_RUNAS,
	OPT_SANDBOX,
	OPT_TEST_ATTEMPT,
};

static const struct option long_opts[] = {
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "tcp-ns-ports",	required_argument,	NULL, 'T' },
	{ "netns",		required_argument,	NULL, OPT_NETNS },
	{ "userns",		required_argument,	NULL, OPT_USERNS },
	{ "pid",		required_argument,	NULL, OPT_PID },
	{ "pid-file",		required_argument,	NULL, OPT_PID_FILE },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "sandbox",		required_argument,	NULL, OPT_SANDBOX },
#ifdef NSPLICE_TESTING
	{ "test-relay-attempt",	required_argument,	NULL, OPT_TEST_ATTEMPT },
#endif
	{ NULL, 0, NULL, 0 },
};

/**
 * config_usage() - print the option summary to stdout
 * @prog:	program name as invoked
 */
void config_usage(const char *prog)
{
	printf("Usage: %s [OPTION]... --netns PATH|NAME\n"
	       "       %s [OPTION]... --pid PID\n"
	       "       %s [OPTION]... [--] COMMAND [ARG]...\n"
	       "Forward TCP ports between this network namespace and a target "
	       "one with splice(2).\n\n"
	       "Target (exactly one):\n"
	       "      --netns PATH|NAME   network namespace file, or NAME in "
	       NETNS_DIR "\n"
	       "      --userns PATH       user namespace to join with --netns "
	       "(default: its owner)\n"
	       "      --pid PID           network namespace of process PID\n"
	       "      COMMAND [ARG]...    run COMMAND in a new user and network "
	       "namespace;\n"
	       "                          exit with its status\n\n"
	       "Forwarding (repeatable):\n"
	       "  -t, --tcp-ports SPEC    forward host ports to the namespace\n"
	       "  -T, --tcp-ns-ports SPEC forward namespace ports to the host\n"
	       "      SPEC: none | [ADDR[%%IFACE]/]PORTS, PORTS a comma list of "
	       "N, N-M, N:P,\n"
	       "      N-M:P-Q, N:ADDR/P (explicit target), ~N[-M] (exclude), "
	       "all.\n"
	       "      -t listens on 127.0.0.1 and ::1 unless ADDR is given "
	       "(*/PORTS: all).\n\n"
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
	       "  -d, --debug             log every connection\n"
	       "      --trace             log every event (very verbose)\n"
	       "  -h, --help              show this help and exit\n"
	       "      --version           show the version and exit\n\n"
	       "Exit status: COMMAND's status in COMMAND mode, else 0 on "
	       "SIGTERM/SIGINT or\nwhen the target goes away; 1 on a runtime "
	       "failure; 2 on bad usage.\n",
	       prog, prog, prog);
}

/**
 * opt_name() - the spelling of an option for messages
 * @c:		getopt_long() return value
 *
 * Return: "-t", "--netns" ...
 */
static const char *opt_name(int c)
{
	const struct option *o;

	if (c == 't')
		return "-t";
	if (c == 'T')
		return "-T";
	for (o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/**
 * fwd_append() - add one listener to the configuration
 * @cfg:	configuration being built
 * @e:		listener to copy in; its id is assigned here
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 when there are more listeners than ids
 */
static int fwd_append(struct nsp_config *cfg, const struct fwd_entry *e,
		      char *err, size_t errlen)
{
	struct fwd_entry *n;

	if (cfg->nfwd >= FWD_ID_MAX)
		return errfmt(err, errlen,
			       "-%c \"%s\": too many listeners: expected at "
			       "most %u in all", e->opt, e->spec, FWD_ID_MAX);
	n = reallocarray(cfg->fwd, cfg->nfwd + 1, sizeof(*n));
	if (!n)
		return errfmt(err, errlen, "out of memory");
	cfg->fwd = n;
	n[cfg->nfwd] = *e;
	n[cfg->nfwd].m.id = cfg->nfwd;
	cfg->nfwd++;
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

	for (p = 1; p < 65536; p++) {
		const struct portspec_target *t = &ps->map[p];

		if (!t->port)
			continue;
		e.m.listen_port = (uint16_t)p;
		e.m.target_port = t->port;
		e.m.flags = ps->best_effort ? FWD_F_OPTIONAL : 0;
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
		if (fwd_append(cfg, &e, err, errlen))
			return -1;
	}
	return 0;
}

/**
 * expand_spec() - turn one parsed -t/-T spec into listeners
 * @cfg:	configuration being built
 * @ps:		parsed spec
 * @opt:	't' or 'T'
 * @spec:	spec text, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Without an address, -t and -T listen on their side's loopback, both
 * families; a missing ::1 is then tolerated (FWD_TOL_NOADDR).
 *
 * Return: 0 or -1
 */
static int expand_spec(struct nsp_config *cfg, const struct portspec *ps,
		       char opt, const char *spec, char *err, size_t errlen)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	struct fwd_entry e;
	unsigned i;

	if (ps->none)
		return 0;
	memset(&e, 0, sizeof(e));
	e.opt = opt;
	e.spec = spec;
	e.m.listen_side = opt == 't' ? SIDE_HOST : SIDE_TARGET;
	strlcpy(e.m.ifname, ps->ifname, sizeof(e.m.ifname));
	e.tolerate = ps->best_effort ? FWD_TOL_ANY : FWD_TOL_NONE;

	if (ps->addr_af != AF_UNSPEC && !ps->addr_any_both) {
		e.m.family = (uint8_t)ps->addr_af;
		e.m.listen_addr = ps->addr;
		return expand_family(cfg, ps, &e, err, errlen);
	}
	for (i = 0; i < 2; i++) {
		e.m.family = (uint8_t)afs[i];
		if (ps->addr_any_both) {
			inany_any(afs[i], &e.m.listen_addr);
		} else {
			inany_loopback(afs[i], &e.m.listen_addr);
			if (!ps->best_effort)
				e.tolerate = FWD_TOL_NOADDR;
		}
		if (expand_family(cfg, ps, &e, err, errlen))
			return -1;
	}
	return 0;
}

/**
 * add_spec() - parse and expand the value of one -t/-T option
 * @cfg:	configuration being built
 * @opt:	't' or 'T'
 * @spec:	the option's value
 * @env:	ephemeral port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int add_spec(struct nsp_config *cfg, char opt, const char *spec,
		    const struct portspec_env *env, char *err, size_t errlen)
{
	char why[PORTSPEC_ERR_MAX];
	struct portspec *ps;
	int ret;

	ps = malloc(sizeof(*ps));
	if (!ps)
		return errfmt(err, errlen, "out of memory");
	if (portspec_parse(spec, env, ps, why, sizeof(why)))
		ret = errfmt(err, errlen, "-%c \"%s\": %s", opt, spec, why);
	else
		ret = expand_spec(cfg, ps, opt, spec, err, errlen);
	free(ps);
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

	if (x->listen_side != y->listen_side)
		return x->listen_side - y->listen_side;
	if (x->family != y->family)
		return x->family - y->family;
	if (x->listen_port != y->listen_port)
		return x->listen_port - y->listen_port;
	return memcmp(x->listen_addr.b, y->listen_addr.b, 16);
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
	char abuf[INANY_STRLEN];
	unsigned i;

	qsort(cfg->fwd, cfg->nfwd, sizeof(*cfg->fwd), fwd_cmp);
	for (i = 0; i + 1 < cfg->nfwd; i++) {
		const struct fwd_entry *a = &cfg->fwd[i], *b = &cfg->fwd[i + 1];

		if (a->m.listen_side != b->m.listen_side ||
		    a->m.family != b->m.family ||
		    a->m.listen_port != b->m.listen_port)
			continue;
		if (fwd_cmp(a, b) && !inany_is_any(a->m.family,
						   &a->m.listen_addr))
			continue;
		return errfmt(err, errlen,
			       "-%c \"%s\": port %u on %s overlaps with -%c "
			       "\"%s\": expected each port forwarded once",
			       b->opt, b->spec, b->m.listen_port,
			       inany_ntop(b->m.family, &b->m.listen_addr, abuf,
					  sizeof(abuf)),
			       a->opt, a->spec);
	}
	for (i = 0; i < cfg->nfwd; i++)
		cfg->fwd[i].m.id = i;
	return 0;
}

/**
 * set_netns() - store --netns, expanding a bare NAME under /run/netns
 * @cfg:	configuration being built
 * @v:		option value
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_netns(struct nsp_config *cfg, const char *v, char *err,
		     size_t errlen)
{
	size_t i, n = strlen(v);

	if (strchr(v, '/')) {
		if (n >= sizeof(cfg->netns_buf))
			return errfmt(err, errlen, "--netns: path too long");
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
		       "--netns \"%s\": bad name: expected a path, or a NAME "
		       "of letters, digits, '_', '.' and '-' in " NETNS_DIR,
		       v);
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
 * lookup_user() - resolve a user name for the relay
 * @cfg:	configuration being built; runas_* are set on success
 * @name:	user name
 *
 * Return: 0, or -1 if there is no such user
 */
static int lookup_user(struct nsp_config *cfg, const char *name)
{
	const struct passwd *pw = getpwnam(name);

	if (!pw)
		return -1;
	strlcpy(cfg->runas_buf, name, sizeof(cfg->runas_buf));
	cfg->runas_name = cfg->runas_buf;
	cfg->runas_uid = pw->pw_uid;
	cfg->runas_gid = pw->pw_gid;
	return 0;
}

/**
 * set_runas() - store --runas: an existing user that is not root
 * @cfg:	configuration being built
 * @v:		option value
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_runas(struct nsp_config *cfg, const char *v, char *err,
		     size_t errlen)
{
	cfg->runas_given = true;
	if (strlen(v) >= RUNAS_NAME_MAX || lookup_user(cfg, v))
		return errfmt(err, errlen, "--runas \"%s\": no such user: "
			       "expected the name of an existing user", v);
	if (!cfg->runas_uid || !cfg->runas_gid)
		return errfmt(err, errlen, "--runas \"%s\": uid or gid 0: "
			       "expected an unprivileged user", v);
	return 0;
}

/**
 * set_sandbox() - store --sandbox
 * @cfg:	configuration being built
 * @v:		"enforce" or "log"
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_sandbox(struct nsp_config *cfg, const char *v, char *err,
		       size_t errlen)
{
	if (!strcmp(v, "enforce"))
		cfg->sandbox = SANDBOX_ENFORCE;
	else if (!strcmp(v, "log"))
		cfg->sandbox = SANDBOX_LOG;
	else
		return errfmt(err, errlen, "--sandbox \"%s\": unknown mode: "
			       "expected enforce or log", v);
	return 0;
}

/**
 * set_test_attempt() - store --test-relay-attempt (NSPLICE_TESTING only)
 * @cfg:	configuration being built
 * @v:		name of a forbidden operation (seccomp/attempt.c)
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int set_test_attempt(struct nsp_config *cfg, const char *v,
			    char *err, size_t errlen)
{
#ifdef NSPLICE_TESTING
	if (sandbox_attempt_known(v)) {
		cfg->test_attempt = v;
		return 0;
	}
#else
	(void)cfg;
#endif
	return errfmt(err, errlen, "--test-relay-attempt \"%s\": unknown "
		       "operation: see seccomp/attempt.c", v);
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
 * handle_opt() - apply one option
 * @cfg:	configuration being built
 * @c:		getopt_long() return value
 * @v:		option argument, or NULL
 * @env:	ephemeral port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, 1 to exit 0 at once (--help, --version), or -1
 */
static int handle_opt(struct nsp_config *cfg, int c, const char *v,
		      const struct portspec_env *env, char *err, size_t errlen)
{
	const char *errstr;

	switch (c) {
	case 't':
	case 'T':
		return add_spec(cfg, (char)c, v, env, err, errlen);
	case OPT_NETNS:
		if (set_target(cfg, TARGET_NETNS, "--netns", err, errlen))
			return -1;
		return set_netns(cfg, v, err, errlen);
	case OPT_USERNS:
		cfg->userns_path = v;
		return 0;
	case OPT_PID:
		if (set_target(cfg, TARGET_PID, "--pid", err, errlen))
			return -1;
		cfg->pid = (pid_t)strtonum(v, 1, INT32_MAX, &errstr);
		if (errstr)
			return errfmt(err, errlen, "--pid \"%s\": %s: expected "
				       "a process id", v, errstr);
		return 0;
	case OPT_PID_FILE:
		cfg->pid_file = v;
		return 0;
	case 'q':
		cfg->log_level = LOG_LVL_ERR;
		return 0;
	case 'd':
		cfg->log_level = LOG_LVL_DEBUG;
		return 0;
	case OPT_TRACE:
		cfg->log_level = LOG_LVL_TRACE;
		return 0;
	case 'h':
		config_usage("nsplice");
		return 1;
	case OPT_VERSION:
		print_version();
		return 1;
	case OPT_RUNAS:
		return set_runas(cfg, v, err, errlen);
	case OPT_SANDBOX:
		return set_sandbox(cfg, v, err, errlen);
	case OPT_TEST_ATTEMPT:
		return set_test_attempt(cfg, v, err, errlen);
	}
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

	if (c == ':')
		return errfmt(err, errlen, "%s: missing value: see --help",
			       optopt ? opt_name(optopt) : arg);
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
	return check_overlap(cfg, err, errlen);
}

/**
 * config_from_args() - parse and validate the whole command line
 * @argc:	argument count
 * @argv:	arguments; COMMAND is kept by reference
 * @cfg:	filled on success; on failure left empty
 * @err:	error line on failure
 * @errlen:	its size
 *
 * Return: 0 to run, 1 to exit 0 at once (--help, --version), -1 on bad input
 */
int config_from_args(int argc, char **argv, struct nsp_config *cfg,
		     char *err, size_t errlen)
{
	struct portspec_env env;
	int c, ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	portspec_env_read(&env);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:t:T:qdh", long_opts,
				NULL)) != -1) {
		if (c == '?' || c == ':')
			ret = getopt_error(argv, c, err, errlen);
		else
			ret = handle_opt(cfg, c, optarg, &env, err, errlen);
		if (ret)
			goto out;
	}
	if (optind < argc) {
		ret = set_target(cfg, TARGET_COMMAND, "COMMAND", err, errlen);
		if (ret)
			goto out;
		cfg->command = argv + optind;
	}
	ret = finish(cfg, err, errlen);
out:
	if (ret)
		config_free(cfg);
	return ret;
}

/**
 * config_free() - release what config_from_args() allocated
 * @cfg:	configuration; left empty
 */
void config_free(struct nsp_config *cfg)
{
	free(cfg->fwd);
	memset(cfg, 0, sizeof(*cfg));
}

/**
 * config_side_needs_low_ports() - does a side listen on a privileged port
 * @cfg:	configuration
 * @side:	enum nsp_side
 *
 * The agent of that side then keeps CAP_NET_BIND_SERVICE and nothing else.
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
	return false;
}
