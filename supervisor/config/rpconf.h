/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rpconf.h - podman's rootlessport configuration and reload requests
 *
 * DOC: Theory of Operation
 *
 * podman writes one JSON object to the helper's stdin (Go's encoding of
 * rootlessport.Config): top-level keys with Go's names, mapping keys in
 * snake_case:
 *
 *   {"Mappings":[{"host_ip":"","container_port":80,"host_port":8080,
 *                 "range":1,"protocol":"tcp"}],
 *    "NetNSPath":"/run/user/1000/netns/netns-...","ExitFD":3,"ReadyFD":4,
 *    "TmpDir":"/tmp/podman-run-1000/libpod/tmp","ChildIP":"10.0.2.100",
 *    "ContainerID":"<64 hex digits>","RootlessCNI":false}
 *
 * rp_conf_parse() is a small strict JSON reader for exactly that: it
 * accepts any valid JSON, matches keys as Go does (case-insensitively),
 * skips keys it does not know (a later podman may add some) and refuses
 * the rest with one line naming the key, the value and what was expected:
 * a key given twice, a wrong type, a port outside 1..65535 or a range
 * that runs past 65535, a protocol other than tcp and udp (a comma list
 * of them is fine), an address that is not one, a container id that could
 * not be a file name, nesting deeper than RP_DEPTH_MAX, anything after the
 * object.  The text is never trusted to be NUL-terminated; strings are
 * decoded (escapes, \u with surrogate pairs) into bounded buffers, and a
 * NUL inside one is refused, so every value can be used as a C string.
 *
 * rp_reload_parse() reads what `podman network connect/disconnect` sends
 * on the reload socket: one JSON string holding the container's new
 * address, whitespace (podman adds a newline) around it.
 */
#ifndef NSPLICE_RPCONF_H
#define NSPLICE_RPCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/inany.h"

/* RP_MAPPINGS_MAX - port mappings taken from one configuration */
#define RP_MAPPINGS_MAX		1024

/* RP_PATH_MAX - bytes of NetNSPath and TmpDir, NUL included */
#define RP_PATH_MAX		4096

/* RP_ID_MAX - bytes of ContainerID, NUL included */
#define RP_ID_MAX		129

/* RP_DEPTH_MAX - deepest nesting of arrays and objects read */
#define RP_DEPTH_MAX		16

/* RP_JSON_MAX - largest configuration read from stdin, bytes */
#define RP_JSON_MAX		(1024U * 1024U)

/* RP_ERR_MAX - size of an error message */
#define RP_ERR_MAX		512

/**
 * struct rp_mapping - one "Mappings" entry
 * @host_af:		AF_UNSPEC when host_ip is empty (every address),
 *			else the family of @host_addr
 * @host_addr:		host_ip
 * @host_port:		first host port
 * @container_port:	first container port
 * @range:		consecutive ports on both sides, at least 1
 * @tcp:		"protocol" names tcp
 * @udp:		"protocol" names udp
 */
struct rp_mapping {
	int host_af;
	union inany host_addr;
	uint16_t host_port;
	uint16_t container_port;
	uint16_t range;
	bool tcp;
	bool udp;
};

/**
 * struct rp_conf - a whole rootlessport configuration
 * @map:		mappings
 * @nmaps:		entries in @map
 * @exit_fd:		ExitFD, -1 if absent
 * @ready_fd:		ReadyFD, -1 if absent
 * @child_af:		AF_UNSPEC if ChildIP is empty or absent
 * @child_addr:		ChildIP
 * @rootless_cni:	RootlessCNI: serve the reload socket
 * @netns_path:		NetNSPath, non-empty
 * @tmp_dir:		TmpDir, "" if absent
 * @container_id:	ContainerID, "" if absent
 */
struct rp_conf {
	struct rp_mapping map[RP_MAPPINGS_MAX];
	unsigned nmaps;
	int exit_fd;
	int ready_fd;
	int child_af;
	union inany child_addr;
	bool rootless_cni;
	char netns_path[RP_PATH_MAX];
	char tmp_dir[RP_PATH_MAX];
	char container_id[RP_ID_MAX];
};

int rp_conf_parse(const char *text, size_t len, struct rp_conf *c,
		  char *err, size_t errlen);
int rp_reload_parse(const char *msg, size_t len, int *af, union inany *addr,
		    char *err, size_t errlen);

#endif /* NSPLICE_RPCONF_H */
