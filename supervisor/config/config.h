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
 *
 * With -c FILE the file's options (one per line, "key = value", the long
 * option names) are read under the command line's, which wins key by key:
 * a setting given on the command line replaces the file's, and an option
 * given on the command line at all (-t) replaces every line of that key
 * in the file (tcp-ports), lists being one value.  config_reload()
 * builds a new configuration from the running one (its command-line and
 * control-socket forwards, every other setting) plus the file as it is
 * now; config_change() from the running one plus or minus one SPEC (the
 * control socket's add/remove).  Both fill a separate struct and leave the
 * running one untouched, so a bad file or request changes nothing; the
 * supervisor then applies the difference between the two.
 *
 * A config_reload() or config_change() result owns all its memory: spec
 * texts and paths are copied into its own @strings, so the running
 * configuration can be freed as soon as the supervisor has switched.
 * Only COMMAND keeps pointing into argv, which lives as long as nsplice.
 */
#ifndef NSPLICE_CONFIG_H
#define NSPLICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/msg.h"
#include "ipc/portset.h"
#include "supervisor/config/portspec.h"

struct config_layer;

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

/* CONFIG_WHERE_MAX - bytes of a config_where() text: a -c path and more */
#define CONFIG_WHERE_MAX	4200

/**
 * enum config_where - settings whose errors come after parsing (opening
 *		       the namespace, writing the pid file), so a message
 *		       must say where the value came from (config_where())
 * @WHERE_TARGET:	--netns, --pid
 * @WHERE_USERNS:	--userns
 * @WHERE_PID_FILE:	--pid-file
 * @WHERE_COUNT:	number of them
 */
enum config_where {
	WHERE_TARGET = 0,
	WHERE_USERNS,
	WHERE_PID_FILE,
	WHERE_COUNT,
};

/* FWD_TOL_* - which bind failures of a listener are not fatal */
#define FWD_TOL_NONE	0	/* every failure stops nsplice */
#define FWD_TOL_NOADDR	1	/* default address missing (no IPv6 on lo) */
#define FWD_TOL_ANY	2	/* best-effort spec: skip what cannot bind */

/* CONFIG_SRC_* - where a forward came from (struct fwd_entry.src) */
#define CONFIG_SRC_ARGS		0	/* command line: kept across reloads */
#define CONFIG_SRC_FILE		1	/* -c FILE: replaced by each reload */
#define CONFIG_SRC_CTL		2	/* control socket "add": kept until
					 * removed, reloads keep it */
#define CONFIG_SRC_AUTO		3	/* made by the supervisor for an auto
					 * rule; never in struct nsp_config */

/**
 * struct fwd_entry - one listening socket and its forwarding rule
 * @m:		the record sent as FORWARD to the relay and BIND to an agent
 *		(@m.id is the entry's index here; the supervisor assigns the
 *		ids its children see)
 * @tolerate:	FWD_TOL_*
 * @opt:	option it came from ('t', 'T', 'u' or 'U'), for messages
 * @src:	CONFIG_SRC_*
 * @spec:	the SPEC text it came from, for messages; points into argv or
 *		into @spec storage owned by the struct nsp_config
 * @pp:		added by the control socket with --proxy-protocol: send the
 *		PROXY header whatever the --proxy-protocol set says
 * @line:	line of the -c file it came from (@src CONFIG_SRC_FILE), for
 *		messages; 0 otherwise
 */
struct fwd_entry {
	struct msg_forward m;
	int tolerate;
	char opt;
	int src;
	const char *spec;
	bool pp;
	unsigned line;
};

/**
 * struct pp_origin - a run of proxy-protocol ports one line of the -c file
 *		      named, so that a port no forward takes is reported at
 *		      its line (the file's lines add up to one set)
 * @line:	the line
 * @lo:		first port of the run
 * @hi:		last port of the run
 */
struct pp_origin {
	uint32_t line;
	uint16_t lo;
	uint16_t hi;
};

/**
 * struct auto_rule - an "auto" SPEC: forward what listens on the other side
 * @opt:	't' (host listens, target agent scans) or 'T'
 * @src:	CONFIG_SRC_*
 * @spec:	SPEC text, for messages (storage as for struct fwd_entry)
 * @tmpl:	listener templates, one per family to listen on: @m.listen_side,
 *		@m.family, @m.listen_addr, @m.ifname set, ports zero;
 *		@tolerate is FWD_TOL_ANY (a port that cannot be bound is
 *		skipped)
 * @ntmpl:	entries in @tmpl (1 or 2)
 * @allowed:	bitmap of listen ports the rule may forward, bit p of byte
 *		p / 8; "auto" alone allows 1..65535 minus exclusions; auto
 *		forwards always map a port to the same port
 * @eph_first:	first port of the ephemeral range that a UDP auto rule
 *		without listed ports leaves out of @allowed, else 0
 * @eph_last:	last port of that range, else 0
 */
struct auto_rule {
	char opt;
	int src;
	const char *spec;
	struct fwd_entry tmpl[2];
	unsigned ntmpl;
	uint8_t allowed[PORTSET_BYTES];
	uint16_t eph_first;
	uint16_t eph_last;
};

/* CONFIG_AUTOS_MAX - most "auto" rules in one configuration */
#define CONFIG_AUTOS_MAX	32

/* CONFIG_FILE_MAX - largest config file read, bytes (1 MiB) */
#define CONFIG_FILE_MAX		(1024U * 1024U)

/* CONFIG_LINE_MAX - longest line of a config file, bytes, newline not
 * counted */
#define CONFIG_LINE_MAX		4096U

/* KEEPALIVE_* - --keepalive defaults: interval and probe count */
#define KEEPALIVE_DEF_INTVL	15
#define KEEPALIVE_DEF_CNT	4

/**
 * struct nsp_config - everything the command line asked for
 * @target:		enum nsp_target_kind
 * @netns_path:		--netns, resolved to a path
 * @userns_path:	--userns, or NULL
 * @pid:		--pid
 * @command:		COMMAND and its arguments, NULL-terminated
 * @pid_file:		--pid-file, or NULL
 * @log_level:		enum log_level
 * @fwd:		expanded listeners; grown only by cmd/ (by doubling, see
 *			config_fwd_append()), so never realloc() it elsewhere
 * @nfwd:		number of entries in @fwd
 * @sandbox:		enum sandbox_mode: --sandbox=enforce (default) or log
 * @runas_given:	--runas was on the command line
 * @runas_name:		user the relay runs as when nsplice is root: --runas,
 *			else "nsplice" if it exists, else "nobody"; NULL if
 *			none of them exists
 * @runas_uid:		its uid
 * @runas_gid:		its primary gid
 * @test_attempt:	NSPLICE_TESTING builds: --test-relay-attempt, or NULL
 * @config_path:	-c FILE, or NULL
 * @layer_name:		while a file is parsed into its own layer: its name,
 *			which messages about its forwards give (fwd_origin())
 * @control_path:	--control PATH; without it, under systemd's
 *			RuntimeDirectory= a default (config_control_default());
 *			else NULL
 * @max_conns:		--max-conns, 0 for the default (from RLIMIT_NOFILE)
 * @idle_timeout:	--idle-timeout seconds, 0 for none
 * @udp_timeout:	--udp-timeout seconds (UDP_TIMEOUT_DEF by default)
 * @busy_poll_us:	--busy-poll microseconds, 0 (the default) for none
 * @ka_idle:		--keepalive IDLE[,INTVL[,CNT]]: seconds, 0 for off
 * @ka_intvl:		keepalive interval, seconds
 * @ka_cnt:		keepalive probes
 * @use_syslog:		--syslog
 * @autos:		"auto" rules
 * @nautos:		entries in @autos
 * @strings:		storage for spec texts and paths that do not point
 *			into argv (config file values, copies in a reload or
 *			change result), freed by config_free(); see
 *			config_strdup()
 * @args_given:		bit (1 << enum config_slot, supervisor/config/conffile.h) per
 *			setting given on the command line: a reload keeps
 *			those whatever the file says
 * @args_lists:		config_list_bit() of each option given on the command
 *			line: the file's forwards of those options are left
 *			out, at start and on reload
 * @pp:			--proxy-protocol ports, PORTSET_BYTES, NULL for
 *			none; owned, see supervisor/config/proxyopt.c
 * @pp_args:		the command line gave --proxy-protocol: the file's
 *			is not used
 * @pp_origin:		where the -c file named the ports of @pp, in file
 *			order; NULL when the set is not the file's
 * @npp_origin:		entries in @pp_origin
 * @target_label:	what a container engine calls the target (podman's
 *			"NetNSPath"), for messages; NULL otherwise
 * @file_line:		per enum config_where, the -c file's line that set
 *			it, 0 if the command line did (or nothing)
 * @netns_buf:		storage for a NAME expanded to /run/netns/NAME
 * @runas_buf:		storage for @runas_name
 *
 * Members are grouped by alignment so the struct has no padding hole
 * (clang-tidy's optin.performance.Padding): add a new one beside others
 * of its size.
 */
struct nsp_config {
	enum nsp_target_kind target;
	pid_t pid;
	const char *netns_path;
	const char *userns_path;
	char **command;
	const char *pid_file;
	struct fwd_entry *fwd;
	unsigned nfwd;
	int sandbox;
	const char *runas_name;
	uid_t runas_uid;
	gid_t runas_gid;
	const char *test_attempt;
	const char *config_path;
	const char *layer_name;
	const char *control_path;
	const char *target_label;
	uint32_t max_conns;
	uint32_t idle_timeout;
	uint32_t udp_timeout;
	uint32_t busy_poll_us;
	uint32_t ka_idle;
	uint32_t ka_intvl;
	uint32_t ka_cnt;
	uint32_t file_line[WHERE_COUNT];
	struct auto_rule *autos;
	unsigned nautos;
	uint32_t args_given;
	struct config_strings *strings;
	uint64_t args_lists;
	uint8_t *pp;
	struct pp_origin *pp_origin;
	int log_level;
	unsigned npp_origin;
	bool runas_given;
	bool use_syslog;
	bool pp_args;
	char netns_buf[4096];
	char runas_buf[RUNAS_NAME_MAX];
};

int config_from_args(int argc, char **argv, struct nsp_config *cfg,
		     char *err, size_t errlen);
int config_reload(const struct nsp_config *running, struct nsp_config *fresh,
		  char *err, size_t errlen);
int config_change(const struct nsp_config *running, bool add, char opt,
		  const char *spec, struct nsp_config *fresh, char *err,
		  size_t errlen);
const char *config_fwd_origin(const struct nsp_config *cfg,
			      const struct fwd_entry *e, bool lead, char *buf,
			      size_t len);
int config_check_loops(const struct nsp_config *cfg, bool one_ns, char *err,
		       size_t errlen);
int config_retarget(const struct nsp_config *running, int af,
		    const union inany *addr, struct nsp_config *fresh,
		    char *err, size_t errlen);
int config_pp_mark(struct nsp_config *cfg, char opt, const char *spec,
		   char *err, size_t errlen);
int config_parse_text(struct nsp_config *cfg, struct config_layer *fl,
		      const char *name, const char *text, size_t len, int src,
		      const struct portspec_env *env, char *err, size_t errlen);
const char *config_strdup(struct nsp_config *cfg, const char *s);
const char *config_where(const struct nsp_config *cfg, enum config_where w,
			 char *buf, size_t len);
void config_free(struct nsp_config *cfg);
void config_usage(const char *prog);
bool config_side_needs_low_ports(const struct nsp_config *cfg, int side);
bool config_auto_owns(const struct auto_rule *r, const struct msg_forward *m);

#endif /* NSPLICE_CONFIG_H */
