/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the validated configuration the supervisor runs from
 *
 * DOC: Theory of Operation
 *
 * options.c turns argv into a struct nsp_config in one go, checking every
 * value before anything is started: a bad value is reported as one line
 * naming the option, the value and what was expected, and the process exits
 * with status 2 having created nothing.  Port specs are expanded here into
 * one struct fwd_entry per listening socket, so the supervisor only ever
 * sends fixed-size records to its children.
 */
#ifndef NSPLICE_CONFIG_H
#define NSPLICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../ipc/msg.h"
#include "portspec.h"

/* CONFIG_ERR_MAX - size of one error message, bytes */
#define CONFIG_ERR_MAX 512

/* EXIT_USAGE - exit status for bad command-line input */
#define EXIT_USAGE 2

/* RUNAS_NAME_MAX - longest --runas user name kept, bytes with the NUL */
#define RUNAS_NAME_MAX 64

/* RUNAS_DEFAULT, RUNAS_FALLBACK - relay user when nsplice runs as root */
#define RUNAS_DEFAULT	"nsplice"
#define RUNAS_FALLBACK	"nobody"

/**
 * enum nsp_target_kind - how the target namespace was named
 * @TARGET_NONE:	not given yet
 * @TARGET_NETNS:	--netns PATH|NAME
 * @TARGET_PID:		--pid PID
 * @TARGET_COMMAND:	[--] COMMAND [ARG...]: nsplice creates the namespace
 */
enum nsp_target_kind {
	TARGET_NONE = 0,
	TARGET_NETNS,
	TARGET_PID,
	TARGET_COMMAND,
};

/* FWD_TOL_* - which bind failures of a listener are not fatal */
#define FWD_TOL_NONE	0	/* every failure stops nsplice */
#define FWD_TOL_NOADDR	1	/* default address missing (no IPv6 on lo) */
#define FWD_TOL_ANY	2	/* best-effort spec: skip what cannot bind */

/**
 * struct fwd_entry - one listening socket and its forwarding rule
 * @m:		the record sent as FORWARD to the relay and BIND to an agent
 * @tolerate:	FWD_TOL_*
 * @opt:	option it came from ('t' or 'T'), for messages
 * @spec:	the SPEC text it came from, for messages (points into argv)
 */
struct fwd_entry {
	struct msg_forward m;
	int tolerate;
	char opt;
	const char *spec;
};

/**
 * struct nsp_config - everything the command line asked for
 * @target:		enum nsp_target_kind
 * @netns_path:		--netns, resolved to a path
 * @userns_path:	--userns, or NULL
 * @pid:		--pid
 * @command:		COMMAND and its arguments, NULL-terminated
 * @pid_file:		--pid-file, or NULL
 * @log_level:		enum log_level
 * @fwd:		expanded listeners
 * @nfwd:		number of entries in @fwd
 * @sandbox:		enum sandbox_mode: --sandbox=enforce (default) or log
 * @runas_given:	--runas was on the command line
 * @runas_name:		user the relay runs as when nsplice is root: --runas,
 *			else "nsplice" if it exists, else "nobody"; NULL if
 *			none of them exists
 * @runas_uid:		its uid
 * @runas_gid:		its primary gid
 * @test_attempt:	NSPLICE_TESTING builds: --test-relay-attempt, or NULL
 * @netns_buf:		storage for a NAME expanded to /run/netns/NAME
 * @runas_buf:		storage for @runas_name
 */
struct nsp_config {
	enum nsp_target_kind target;
	const char *netns_path;
	const char *userns_path;
	pid_t pid;
	char **command;
	const char *pid_file;
	int log_level;
	struct fwd_entry *fwd;
	unsigned nfwd;
	int sandbox;
	bool runas_given;
	const char *runas_name;
	uid_t runas_uid;
	gid_t runas_gid;
	const char *test_attempt;
	char netns_buf[4096];
	char runas_buf[RUNAS_NAME_MAX];
};

int config_from_args(int argc, char **argv, struct nsp_config *cfg,
		     char *err, size_t errlen);
void config_free(struct nsp_config *cfg);
void config_usage(const char *prog);
bool config_side_needs_low_ports(const struct nsp_config *cfg, int side);

#endif /* NSPLICE_CONFIG_H */
