// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dockerproxy.c - nsplice started by dockerd as its userland proxy
 *
 * DOC: Theory of Operation
 *
 * dockerd --userland-proxy-path=PATH runs one proxy per published port,
 * protocol and address family (moby's cmd/docker-proxy/main_linux.go and
 * libnetwork's portmapper/proxy_linux.go are the contract):
 * flags on the command line (dpargs.c), a status pipe on descriptor 3
 * that gets "0\n" once the port is served or "1\nMESSAGE" and exit
 * status 1 if it cannot be, and with -use-listen-fd the listener dockerd
 * already bound on descriptor 4.  dockerd stops the proxy with SIGINT.
 *
 * This file only translates.  The flags become an ordinary nsplice
 * command line, "--netns /proc/self/ns/net -q --keepalive 15,15,9
 * -t|-u HOSTIP/HP:CIP/CP" (keepalive as Go's net package sets it on the
 * real proxy's connections: engine.h),
 * and from there it is plain nsplice: the proxy and the container
 * address share one network namespace (dockerd's own, or rootlesskit's
 * child namespace for rootless docker), so the "target" agent simply
 * enters the namespace it is already in, which root (or rootlesskit's
 * uid 0, owner of that namespace) may do.  The listener on fd 4 is
 * adopted as a socket-activated one (activation_adopt()): moved to a
 * close-on-exec descriptor, taken by the forward with its address and
 * port, never bound twice.  The status pipe is made close-on-exec
 * before anything forks, so no child, and no COMMAND, ever holds it: a
 * copy left open would keep dockerd waiting for EOF after a failure.
 *
 * The relay stays sandboxed exactly as always, although dockerd runs its
 * own proxy as root with every capability: the proxy reads what any
 * client of a published port sends and what the container answers, both
 * untrusted, and a parser bug there must not hand out root on the host.
 * Same-namespace forwarding changes where the sockets live, not who
 * talks to them.
 *
 * Run by hand without descriptor 3, it still serves and tells nobody;
 * a descriptor 3 that is no pipe or socket is refused, since "0\n"
 * would be written into whatever file it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/dpargs.h"
#include "ipc/log.h"
#include "supervisor/activation.h"
#include "supervisor/config/config.h"
#include "supervisor/engine.h"
#include "supervisor/supervisor.h"

/* NSPLICE_VERSION - set by CMake */
#ifndef NSPLICE_VERSION
#define NSPLICE_VERSION "unknown"
#endif

/* DP_STATUS_FD - dockerd's status pipe ("0\n" or "1\nMESSAGE") */
#define DP_STATUS_FD	3

/* DP_LISTEN_FD - the listener dockerd bound, with -use-listen-fd */
#define DP_LISTEN_FD	4

/* DP_SPEC_MAX - "[v6]/65535:[v6]/65535" with its NUL, bytes */
#define DP_SPEC_MAX	(2 * (INANY_STRLEN + sizeof("[]/65535")))

/* DP_NO_PIPE - status_pipe(): descriptor 3 is open but no pipe */
#define DP_NO_PIPE	(-2)

/**
 * status_pipe() - is descriptor 3 dockerd's status pipe
 *
 * Return: DP_STATUS_FD, now close-on-exec; -1 if it is not open (run by
 * hand); DP_NO_PIPE if it is open but neither a pipe nor a socket
 */
static int status_pipe(void)
{
	struct stat st;

	if (fstat(DP_STATUS_FD, &st))
		return -1;
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return DP_NO_PIPE;
	if (fcntl(DP_STATUS_FD, F_SETFD, FD_CLOEXEC))
		return DP_NO_PIPE;
	return DP_STATUS_FD;
}

/**
 * addr_part() - one side's "ADDR/PORT" of a port spec
 * @af:		AF_INET or AF_INET6
 * @ip:		address
 * @port:	port
 * @buf:	output
 * @len:	its size
 *
 * Return: 0, or -1 if it does not fit
 */
static int addr_part(int af, const union inany *ip, int port, char *buf,
		     size_t len)
{
	char a[INANY_STRLEN];
	int n;

	inany_ntop(af, ip, a, sizeof(a));
	n = snprintf(buf, len, af == AF_INET6 ? "[%s]/%d" : "%s/%d", a, port);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/**
 * make_spec() - the -t/-u SPEC for one docker-proxy binding
 * @a:		parsed flags
 * @spec:	output, DP_SPEC_MAX bytes
 *
 * "HOSTIP/HOSTPORT:CONTAINERIP/CONTAINERPORT" (supervisor/config/portspec.h): the
 * listen address before the first '/', an explicit target after ':'.
 * Without -host-ip, "*": moby's proxy then listens on ":PORT", which Go
 * makes one dual-stack [::] socket serving both families (an engines
 * review found IPv4 alone here); dockerd itself always names the address.
 *
 * Return: 0, or -1 if it does not fit (cannot happen)
 */
static int make_spec(const struct dp_args *a, char *spec)
{
	char host[DP_SPEC_MAX / 2], ctr[DP_SPEC_MAX / 2];
	int n;

	if (!a->host_ip_given && !a->use_listen_fd)
		n = snprintf(host, sizeof(host), "*/%d", a->host_port);
	else
		n = addr_part(a->host_af, &a->host_ip, a->host_port, host,
			      sizeof(host)) ? -1 : 0;
	if (n < 0 || (size_t)n >= sizeof(host) ||
	    addr_part(a->ctr_af, &a->ctr_ip, a->ctr_port, ctr, sizeof(ctr)))
		return -1;
	/* the host part's "/PORT" becomes "/PORT:" in front of the target */
	n = snprintf(spec, DP_SPEC_MAX, "%s:%s", host, ctr);
	return n < 0 || (size_t)n >= DP_SPEC_MAX ? -1 : 0;
}

/**
 * make_config() - the nsplice configuration one binding means
 * @a:		parsed flags
 * @spec:	storage for the SPEC, DP_SPEC_MAX bytes, which @cfg points
 *		into: it must outlive @cfg
 * @cfg:	filled in on success
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int make_config(const struct dp_args *a, char *spec,
		       struct nsp_config *cfg, char *err, size_t errlen)
{
	char *argv[] = { "docker-proxy", "--netns", "/proc/self/ns/net", "-q",
			 "--keepalive", ENGINE_KEEPALIVE,
			 a->udp ? "-u" : "-t", spec, NULL };

	if (make_spec(a, spec))
		return errfmt(err, errlen, "address too long");
	if (config_from_args((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv,
			     cfg, err, errlen))
		return -1;
	return 0;
}

/**
 * fail_early() - tell dockerd why the proxy cannot start, and stop
 * @e:		engine, its status pipe open or -1
 * @msg:	one line
 *
 * Return: the exit status, 1
 */
static int fail_early(struct engine *e, const char *msg)
{
	/* a daemon that gave up and closed its end gets nothing, and the
	 * exit status stays 1 instead of a death by SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "docker-proxy: %s\n", msg);
	engine_fail(e, "%s", msg);
	return engine_finish(e, EXIT_FAILURE);
}

/**
 * dockerproxy_main() - nsplice as dockerd's docker-proxy
 * @argc:	argument count
 * @argv:	arguments (a copy: the configuration points into it)
 *
 * Return: exit status: 0 when stopped by SIGINT or SIGTERM (or for -v),
 * 1 when it could not start (after "1\nMESSAGE" on the status pipe)
 */
int dockerproxy_main(int argc, char **argv)
{
	char err[CONFIG_ERR_MAX], spec[DP_SPEC_MAX];
	struct nsp_config cfg;
	struct dp_args a;
	struct engine e;
	int fd, ret;

	ret = dp_args_parse(argc, argv, &a, err, sizeof(err));
	if (ret == DP_ARGS_VERSION) {
		printf("docker-proxy (nsplice) version %s\n", NSPLICE_VERSION);
		return EXIT_SUCCESS;
	}
	fd = status_pipe();
	if (fd == DP_NO_PIPE) {
		fprintf(stderr, "docker-proxy: fd %d is not dockerd's status "
			"pipe\n", DP_STATUS_FD);
		return EXIT_FAILURE;
	}
	if (fd < 0)
		fprintf(stderr, "docker-proxy: no status pipe on fd %d: "
			"telling nobody when ready\n", DP_STATUS_FD);
	engine_init(&e, ENGINE_DOCKER_PROXY);
	e.ready_fd = fd;
	if (ret)
		return fail_early(&e, err);
	if (a.use_listen_fd &&
	    activation_adopt(DP_LISTEN_FD, "-use-listen-fd", err, sizeof(err)))
		return fail_early(&e, err);
	if (make_config(&a, spec, &cfg, err, sizeof(err)))
		return fail_early(&e, err);
	ret = supervisor_main(&cfg, &e);
	config_free(&cfg);
	/* dockerd's contract knows 0 and 1; nsplice's 2 (bad input) is a
	 * failure to start like any other here */
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
