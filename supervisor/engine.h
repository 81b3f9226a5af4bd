/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine.h - what a container engine's contract adds to a running nsplice
 *
 * DOC: Theory of Operation
 *
 * Started as podman's "rootlessport" helper or as dockerd's "docker-proxy"
 * (cmd/rootlessport.c, cmd/dockerproxy.c), nsplice is the same supervisor
 * with the same children; only the edges differ, and they are all here:
 *
 *  - readiness: once every listener of the start-up configuration is bound
 *    and the relay serves (where READY=1 goes to systemd), rootlessport
 *    points descriptors 1 and 2 at /dev/null (podman stops reading them)
 *    and writes "1" to its ready pipe; docker-proxy writes "0\n" to its
 *    status pipe.  Each pipe is closed after its one message.
 *  - failure before readiness: the engine's own wording, one line: on
 *    stdout for rootlessport (podman prints "Error: rootlessport LINE"),
 *    as "1\nLINE" on the status pipe for docker-proxy.  A listener that
 *    cannot be bound gives Go's text, "listen tcp ADDR:PORT: bind: address
 *    already in use", which is what the engines' users know; anything
 *    else gives nsplice's own first error line.
 *  - lifetime: rootlessport stops when its exit pipe reaches EOF (conmon,
 *    which holds the other end, is gone: the container stopped).
 *    docker-proxy stops on SIGINT or SIGTERM with status 0, as nsplice
 *    always does.
 *  - reload (rootlessport on a bridge network): podman sends the
 *    container's new address as a JSON string on a SOCK_SEQPACKET socket
 *    and expects "OK".  The supervisor builds a configuration with that
 *    target address (config_retarget()) and applies it like any reload:
 *    listeners stay bound, connections already open keep their target, new
 *    ones go to the new address (an address of the other family moves
 *    every forward to it, and those are bound again).
 *
 * All descriptors are opened before the supervisor's sandbox; afterwards
 * only read, write, accept4, recvmsg/sendmsg on them and close are needed,
 * all allowed already for the control socket.
 */
#ifndef NSPLICE_ENGINE_H
#define NSPLICE_ENGINE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "ipc/inany.h"

struct fwd_entry;
struct supervisor;

/* ENGINE_MSG_MAX - bytes of the failure line told to an engine */
#define ENGINE_MSG_MAX		1024

/* ENGINE_RELOAD_CLIENTS - reload connections served at once */
#define ENGINE_RELOAD_CLIENTS	4

/* ENGINE_POLLFDS - poll slots engine_pollfds() may fill */
#define ENGINE_POLLFDS		(2 + ENGINE_RELOAD_CLIENTS)

/*
 * ENGINE_KEEPALIVE - --keepalive of the podman and docker helpers: what
 * the helpers nsplice replaces get from Go's net package, which turns
 * keepalive on for every accepted and dialled TCP connection (15 s idle,
 * 15 s between probes, the kernel's 9 probes).  Without it a client that
 * vanished kept its connection into the container open for good, where
 * theirs close it after about 150 s.
 */
#define ENGINE_KEEPALIVE	"15,15,9"

/**
 * enum engine_kind - whose contract nsplice speaks
 * @ENGINE_NONE:	nsplice's own command line
 * @ENGINE_ROOTLESSPORT:	podman's rootlessport helper
 * @ENGINE_DOCKER_PROXY:	dockerd's userland proxy
 */
enum engine_kind {
	ENGINE_NONE = 0,
	ENGINE_ROOTLESSPORT,
	ENGINE_DOCKER_PROXY,
};

/**
 * struct engine - the edges of one engine's contract, for the supervisor
 * @kind:	enum engine_kind
 * @ready_fd:	pipe to tell readiness or failure on, -1 once used
 * @exit_fd:	pipe whose EOF stops nsplice, -1 for none
 * @reload_fd:	listening SOCK_SEQPACKET socket for target changes, -1
 * @reload_cli:	accepted reload connections, -1 for a free slot
 * @dir_fd:	O_PATH descriptor of the directory @reload_fd is bound in,
 *		-1 if none
 * @null_fd:	/dev/null, opened before the sandbox, for descriptors 1
 *		and 2 at readiness (rootlessport), -1 if none
 * @unpriv_start: net.ipv4.ip_unprivileged_port_start, read at start
 * @reload_name: name of @reload_fd's socket in @dir_fd, removed at exit
 * @wildcard:	rootlessport: a mapping without host_ip is reported as
 *		Go's ":PORT", not "0.0.0.0:PORT" (see engine_bind_failed())
 * @failed:	@fail holds the first failure
 * @fail:	first failure line, the engine's wording
 */
struct engine {
	enum engine_kind kind;
	int ready_fd;
	int exit_fd;
	int reload_fd;
	int reload_cli[ENGINE_RELOAD_CLIENTS];
	int dir_fd;
	int null_fd;
	unsigned unpriv_start;
	char reload_name[256];
	bool wildcard;
	bool failed;
	char fail[ENGINE_MSG_MAX];
};

void engine_init(struct engine *e, enum engine_kind kind);
void engine_fail(struct engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void engine_bind_failed(struct engine *e, const struct fwd_entry *f,
			int error);
void engine_ready(struct engine *e);
int engine_finish(struct engine *e, int status);
unsigned engine_pollfds(const struct engine *e, struct pollfd *p,
			unsigned max);
void engine_events(struct supervisor *s, struct engine *e,
		   const struct pollfd *p, unsigned n);

#endif /* NSPLICE_ENGINE_H */
