// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rootlessport.c - nsplice as podman's rootlessport helper
 *
 * DOC: Theory of Operation
 *
 * podman (4.x for `podman run -p`, 4.x to 6.x for bridge networks) runs a
 * helper named "rootlessport" with no arguments, its configuration as
 * JSON on stdin (rpconf.h), the read end of an exit pipe and the write end
 * of a ready pipe as descriptors, as uid 0 of its rootless user namespace
 * in the host's network namespace.  Installed under that name (a link to
 * nsplice), nsplice reads the configuration and turns it into its own:
 *
 *  - every mapping is a forward from host_ip:host_port (all addresses when
 *    host_ip is empty: 0.0.0.0 and ::, the effect of the real helper's one
 *    dual-stack socket) to ChildIP:container_port inside NetNSPath, or to
 *    127.0.0.1 there when ChildIP is empty, as the real helper does; a
 *    range is N consecutive ports on both sides; "tcp,udp" is both;
 *  - the target agent enters NetNSPath, the host agent stays where podman
 *    started it, the relay is sandboxed as always;
 *  - the control socket for `nsplice ctl` is TmpDir/rp/<ContainerID>.ctl,
 *    beside the reload socket podman uses (TmpDir/rp/<ContainerID>);
 *  - the log goes to stderr, which podman shows with --log-level=debug,
 *    until readiness (engine.h).
 *
 * The configuration is checked whole before anything is created; an
 * error is one line on stdout, which podman prints as "Error:
 * rootlessport LINE", and exit status 1.  The rest of the contract
 * (readiness, failure lines, the exit pipe, reloads) is the supervisor's,
 * through supervisor/engine.c.
 *
 * Paths: TmpDir/rp/<64 hex digits> can be longer than sun_path, so both
 * sockets are bound through /proc/self/fd/N/NAME, N an O_PATH descriptor
 * of the directory, when their whole path does not fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/rootlessport.h"
#include "ipc/log.h"
#include "supervisor/config/config.h"
#include "supervisor/config/rpconf.h"
#include "supervisor/engine.h"
#include "supervisor/supervisor.h"

/* RP_DIR_MODE - TmpDir/rp, as podman makes it */
#define RP_DIR_MODE		0700

/* RP_SOCK_UMASK - the reload socket is 0600 from the moment it exists */
#define RP_SOCK_UMASK		0177

/* RP_BACKLOG - pending reload connections */
#define RP_BACKLOG		4

/* RP_SPEC_MAX - bytes of one forward spec made from a mapping */
#define RP_SPEC_MAX		(2 * INANY_STRLEN + 64)

/* RP_ARGS_FIXED - synthesized arguments besides the forwards */
#define RP_ARGS_FIXED		10

/* SUN_PATH_SIZE - size of sun_path, bytes with the NUL */
#define SUN_PATH_SIZE		sizeof(((struct sockaddr_un *)NULL)->sun_path)

/**
 * struct rp_run - what the helper builds before the supervisor starts
 * @conf:	the configuration podman sent
 * @argv:	synthesized nsplice command line
 * @argc:	arguments in @argv
 * @specs:	storage for the forward specs @argv points to
 * @ctl:	control socket path
 * @eng:	the contract's edges, handed to the supervisor
 */
struct rp_run {
	struct rp_conf conf;
	char **argv;
	int argc;
	char (*specs)[RP_SPEC_MAX];
	char ctl[RP_PATH_MAX + RP_ID_MAX + 16];
	struct engine eng;
};

/**
 * rp_say() - the one line podman shows, on stdout
 * @msg:	the line
 *
 * Return: exit status 1
 */
static int rp_say(const char *msg)
{
	if (printf("%s\n", msg) < 0 || fflush(stdout))
		return EXIT_FAILURE;	/* podman is gone: nobody to tell */
	return EXIT_FAILURE;
}

/**
 * read_stdin() - read the whole configuration
 * @len:	set to its length
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: the bytes (RP_JSON_MAX + 1 allocated), or NULL with @err set
 */
static char *read_stdin(size_t *len, char *err, size_t errlen)
{
	char *buf = malloc(RP_JSON_MAX + 1);
	ssize_t n;

	*len = 0;
	if (!buf) {
		errfmt(err, errlen, "out of memory");
		return NULL;
	}
	while ((n = read(STDIN_FILENO, buf + *len,
			 RP_JSON_MAX + 1 - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errfmt(err, errlen, "reading the configuration from "
			       "stdin: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if ((*len += (size_t)n) > RP_JSON_MAX) {
			errfmt(err, errlen, "configuration on stdin: longer "
			       "than %u bytes", RP_JSON_MAX);
			free(buf);
			return NULL;
		}
	}
	return buf;
}

/**
 * addr_text() - an address as a port spec writes it: v6 in brackets
 * @af:		family
 * @a:		address
 * @buf:	output, INANY_STRLEN + 2 bytes
 *
 * Return: @buf
 */
static const char *addr_text(int af, const union inany *a, char *buf)
{
	char ip[INANY_STRLEN];

	inany_ntop(af, a, ip, sizeof(ip));
	snprintf(buf, INANY_STRLEN + 2, af == AF_INET6 ? "[%s]" : "%s", ip);
	return buf;
}

/**
 * map_spec() - the nsplice SPEC of one mapping
 * @c:		configuration
 * @m:		mapping
 * @buf:	output, RP_SPEC_MAX bytes
 *
 * "HOST/HP[-HP2]:TARGET/CP[-CP2]": HOST "*" without host_ip, TARGET
 * ChildIP or 127.0.0.1 (supervisor/config/portspec.h).
 */
static void map_spec(const struct rp_conf *c, const struct rp_mapping *m,
		     char *buf)
{
	char host[INANY_STRLEN + 2], tgt[INANY_STRLEN + 2], hp[16], cp[16];
	union inany lo;

	inany_loopback(AF_INET, &lo);
	if (m->host_af == AF_UNSPEC)
		snprintf(host, sizeof(host), "*");
	else
		addr_text(m->host_af, &m->host_addr, host);
	if (c->child_af == AF_UNSPEC)
		addr_text(AF_INET, &lo, tgt);
	else
		addr_text(c->child_af, &c->child_addr, tgt);
	snprintf(hp, sizeof(hp), m->range > 1 ? "%u-%u" : "%u",
		 m->host_port, m->host_port + m->range - 1U);
	snprintf(cp, sizeof(cp), m->range > 1 ? "%u-%u" : "%u",
		 m->container_port, m->container_port + m->range - 1U);
	snprintf(buf, RP_SPEC_MAX, "%s/%s:%s/%s", host, hp, tgt, cp);
}

/**
 * build_argv() - the nsplice command line that does what podman asked
 * @r:		helper state, @conf and @ctl filled
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int build_argv(struct rp_run *r, char *err, size_t errlen)
{
	const struct rp_conf *c = &r->conf;
	unsigned i;
	int n = 0;

	r->argv = calloc(RP_ARGS_FIXED + 4 * (size_t)c->nmaps + 1,
			 sizeof(*r->argv));
	r->specs = calloc((size_t)c->nmaps + 1, sizeof(*r->specs));
	if (!r->argv || !r->specs)
		return errfmt(err, errlen, "out of memory");
	r->argv[n++] = "rootlessport";
	r->argv[n++] = "--netns";
	r->argv[n++] = r->conf.netns_path;
	r->argv[n++] = "-v";
	r->argv[n++] = "--keepalive";
	r->argv[n++] = ENGINE_KEEPALIVE;
	if (r->ctl[0]) {
		r->argv[n++] = "--control";
		r->argv[n++] = r->ctl;
	}
	for (i = 0; i < c->nmaps; i++) {
		map_spec(c, &c->map[i], r->specs[i]);
		if (c->map[i].tcp) {
			r->argv[n++] = "-t";
			r->argv[n++] = r->specs[i];
		}
		if (c->map[i].udp) {
			r->argv[n++] = "-u";
			r->argv[n++] = r->specs[i];
		}
	}
	r->argc = n;
	return 0;
}

/**
 * fd_check() - is a descriptor podman named open, and keep it from
 *		every child
 * @fd:		descriptor
 * @what:	"ExitFD" or "ReadyFD"
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int fd_check(int fd, const char *what, char *err, size_t errlen)
{
	if (fd < 0)
		return errfmt(err, errlen, "%s missing from the configuration",
			      what);
	if (fd <= STDERR_FILENO || fcntl(fd, F_SETFD, FD_CLOEXEC))
		return errfmt(err, errlen, "%s %d: not an open descriptor "
			      "above 2", what, fd);
	return 0;
}

/**
 * rp_dir_trusted() - may the reload and control sockets go in TmpDir/rp
 * @dir:	its path, for the message
 * @st:		its fstat()
 * @err:	error buffer
 * @errlen:	its size
 *
 * Whoever may rename or unlink entries of the directory may put their own
 * socket where podman sends reloads and `nsplice ctl` sends commands, so
 * it must be ours (podman's user: uid 0 of its user namespace, as we are)
 * and writable by nobody else, unless it is sticky: there only an entry's
 * owner, or the directory's (us), may remove it, so another writer can
 * only make a start fail, never take a socket over.  That is the rule the
 * control socket's path is held to anyway (dir_check()), so nothing it
 * would refuse later is let through here.  podman makes the directory
 * 0700 (MkdirAll(..., 0700): the umask can only take bits away), so
 * a group-writable one was made some other way; it is not accepted on
 * the ground that the group is the user's private one: who is a member
 * (secondary or primary, from NSS, which may not even list them) cannot
 * be known from inside podman's user namespace, and may change while
 * nsplice runs.
 *
 * Return: 0, or -1 with @err naming the path, its owner and mode, the
 * condition that failed and the remedy
 */
static int rp_dir_trusted(const char *dir, const struct stat *st, char *err,
			  size_t errlen)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (st->st_uid != geteuid())
		return errfmt(err, errlen, "TmpDir/rp %s (owner uid %u, mode "
			      "%04o): owned by uid %u, not by nsplice's own "
			      "uid %u: refusing to put sockets where another "
			      "user could replace them; remove it and let "
			      "podman make it again", dir, (unsigned)st->st_uid,
			      mode, (unsigned)st->st_uid, (unsigned)geteuid());
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX))
		return 0;
	return errfmt(err, errlen, "TmpDir/rp %s (owner uid %u, mode %04o): "
		      "%s: refusing to put sockets where %s could replace "
		      "them; chmod %s %s (podman makes it 0700)", dir,
		      (unsigned)st->st_uid, mode,
		      st->st_mode & S_IWOTH ? "writable by others"
					    : "group-writable",
		      st->st_mode & S_IWOTH ? "any user" : "a member of its group",
		      st->st_mode & S_IWOTH ? "go-w" : "g-w", dir);
}

/**
 * rp_dir() - open (and make) TmpDir/rp, the sockets' directory
 * @r:		helper state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int rp_dir(struct rp_run *r, char *err, size_t errlen)
{
	char dir[RP_PATH_MAX + 4];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/rp", r->conf.tmp_dir);
	if (mkdir(dir, RP_DIR_MODE) && errno != EEXIST)
		return errfmt(err, errlen, "mkdir %s: %s", dir, strerror(errno));
	r->eng.dir_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			     O_CLOEXEC);
	if (r->eng.dir_fd < 0 || fstat(r->eng.dir_fd, &st))
		return errfmt(err, errlen, "open %s: %s", dir, strerror(errno));
	if (rp_dir_trusted(dir, &st, err, errlen))
		return -1;
	if (strlen(dir) + strlen(r->conf.container_id) + 6 < SUN_PATH_SIZE)
		snprintf(r->ctl, sizeof(r->ctl), "%s/%s.ctl", dir,
			 r->conf.container_id);
	else
		snprintf(r->ctl, sizeof(r->ctl), "/proc/self/fd/%d/%s.ctl",
			 r->eng.dir_fd, r->conf.container_id);
	return 0;
}

/**
 * reload_socket() - listen on TmpDir/rp/<ContainerID> for reloads
 * @r:		helper state, directory open
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int reload_socket(struct rp_run *r, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	snprintf(r->eng.reload_name, sizeof(r->eng.reload_name), "%s",
		 r->conf.container_id);
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/"
		     "%s", r->eng.dir_fd, r->conf.container_id) >=
	    (int)sizeof(sun.sun_path))
		return errfmt(err, errlen, "ContainerID \"%s\": too long for "
			      "a socket name", r->conf.container_id);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errfmt(err, errlen, "reload socket: %s",
			      strerror(errno));
	/* A stale one of an earlier run of this container */
	unlinkat(r->eng.dir_fd, r->conf.container_id, 0);
	old = umask(RP_SOCK_UMASK);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc || listen(fd, RP_BACKLOG)) {
		errfmt(err, errlen, "reload socket %s/rp/%s: %s",
		       r->conf.tmp_dir, r->conf.container_id, strerror(errno));
		close(fd);
		return -1;
	}
	r->eng.reload_fd = fd;
	return 0;
}

/**
 * rp_prepare() - everything between stdin and the supervisor
 * @r:		helper state
 * @cfg:	output: nsplice's configuration
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int rp_prepare(struct rp_run *r, struct nsp_config *cfg, char *err,
		      size_t errlen)
{
	struct portspec_env env;
	size_t len;
	char *text = read_stdin(&len, err, errlen);
	int ret;

	if (!text)
		return -1;
	ret = rp_conf_parse(text, len, &r->conf, err, errlen);
	free(text);
	if (ret || fd_check(r->conf.exit_fd, "ExitFD", err, errlen) ||
	    fd_check(r->conf.ready_fd, "ReadyFD", err, errlen))
		return -1;
	if (!r->conf.nmaps)
		return errfmt(err, errlen, "no Mappings: nothing to forward");
	r->eng.exit_fd = r->conf.exit_fd;
	r->eng.ready_fd = r->conf.ready_fd;
	r->eng.wildcard = true;
	/* The sysctl podman's privileged-port message quotes; the port
	 * spec parser reads it anyway (defaults if it cannot) */
	portspec_env_read(&env);
	r->eng.unpriv_start = env.unpriv_first;
	r->eng.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (r->conf.container_id[0] && r->conf.tmp_dir[0] == '/' &&
	    rp_dir(r, err, errlen))
		return -1;
	if (r->conf.rootless_cni && reload_socket(r, err, errlen))
		return -1;
	if (build_argv(r, err, errlen) ||
	    config_from_args(r->argc, r->argv, cfg, err, errlen))
		return -1;
	cfg->target_label = "NetNSPath";	/* podman's word, not --netns */
	return 0;
}

/**
 * rootlessport_main() - run as podman's rootlessport helper
 * @argc:	argument count: podman passes none
 * @argv:	arguments
 *
 * Return: exit status: 1 for anything that kept it from serving
 */
int rootlessport_main(int argc, char **argv)
{
	char err[RP_ERR_MAX + CONFIG_ERR_MAX];
	struct nsp_config cfg;
	struct rp_run *r;
	int ret;

	log_init("rootlessport", LOG_LVL_INFO);
	if (argc > 1) {
		snprintf(err, sizeof(err), "unexpected argument \"%.60s\": "
			 "rootlessport reads its configuration from stdin",
			 argv[1]);
		return rp_say(err);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return rp_say("out of memory");
	engine_init(&r->eng, ENGINE_ROOTLESSPORT);
	memset(&cfg, 0, sizeof(cfg));
	if (rp_prepare(r, &cfg, err, sizeof(err))) {
		ret = rp_say(err);
		r->eng.ready_fd = -1;	/* already told */
		engine_finish(&r->eng, ret);
	} else {
		ret = supervisor_main(&cfg, &r->eng);
	}
	config_free(&cfg);
	if (r->eng.dir_fd >= 0)
		close(r->eng.dir_fd);
	if (r->eng.null_fd >= 0)
		close(r->eng.null_fd);
	free(r->argv);
	free(r->specs);
	free(r);
	return ret;
}
