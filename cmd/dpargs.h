/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpargs.h - docker-proxy's command line, as dockerd writes it
 *
 * DOC: Theory of Operation
 *
 * dockerd starts its userland proxy as
 *
 *   PATH -proto tcp|udp -host-ip IP -host-port N -container-ip IP
 *        -container-port N [-use-listen-fd]
 *
 * and the real docker-proxy reads that with Go's flag package, so this
 * parser takes exactly what Go takes: each flag as "-name" or "--name",
 * its value as "-name=v" or as the next argument ("-host-port -1" is a
 * value, not a flag), a boolean flag only as "-name" or "-name=v" with
 * Go's strconv.ParseBool spellings; the last of a repeated flag wins;
 * "--" or the first argument that is not a flag ends the flags.  The
 * defaults are the real ones: tcp, 0.0.0.0 on both sides, no ports.
 *
 * Where Go's docker-proxy is lenient nsplice refuses, before anything is
 * started: a port outside 0..65535 (Go's flag takes any int and fails
 * later in listen()), a port flag never given, and arguments after the
 * flags (Go ignores them; dockerd never writes any).  "-h" and "-help"
 * are errors too: the caller is a daemon, not a person.  "-v" and
 * "-version" print a version and exit 0, as the real one does.
 *
 * The parser allocates nothing and touches no global state, so it can be
 * fuzzed (tests/fuzz/fuzz_dockerproxy_args.c).  Every error message is
 * one line in Go's wording where Go has one, naming the flag and quoting
 * the value, made terminal-safe by errfmt().
 */
#ifndef NSPLICE_DPARGS_H
#define NSPLICE_DPARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc/inany.h"

/* DP_PORT_MAX - largest port a flag may name */
#define DP_PORT_MAX	65535

/* DP_PORT_UNSET - a port flag that was not given (Go's default, -1) */
#define DP_PORT_UNSET	(-1)

/* DP_ARGS_VERSION - dp_args_parse(): -v or -version was given */
#define DP_ARGS_VERSION	1

/**
 * struct dp_args - one docker-proxy command line
 * @udp:	-proto udp, else tcp
 * @use_listen_fd: -use-listen-fd: descriptor 4 is the bound listener
 * @host_ip_given: -host-ip was given
 * @host_af:	AF_INET or AF_INET6 of @host_ip
 * @host_ip:	-host-ip, 0.0.0.0 by default
 * @host_port:	-host-port, 0..DP_PORT_MAX
 * @ctr_af:	AF_INET or AF_INET6 of @ctr_ip
 * @ctr_ip:	-container-ip, 0.0.0.0 by default
 * @ctr_port:	-container-port, 0..DP_PORT_MAX
 */
struct dp_args {
	bool udp;
	bool use_listen_fd;
	bool host_ip_given;
	int host_af;
	union inany host_ip;
	int host_port;
	int ctr_af;
	union inany ctr_ip;
	int ctr_port;
};

int dp_args_parse(int argc, char **argv, struct dp_args *a, char *err,
		  size_t errlen);

/* dockerproxy.c: the personality's entry point, for cmd/main.c */
int dockerproxy_main(int argc, char **argv);

#endif /* NSPLICE_DPARGS_H */
