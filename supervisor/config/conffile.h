/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conffile.h - what options.c and conffile.c share (private to cmd/)
 *
 * DOC: Theory of Operation
 *
 * A setting can come from two places, the command line (options.c) and a
 * config file (conffile.c), and both go through the same handler, so a
 * value is checked the same way and its message has the same shape; only
 * the label in front differs: "--netns" on the command line, "FILE:LINE:
 * netns" in a file.  A struct config_layer records which single-valued
 * settings ("slots") one source set, and where, which is what the merge
 * rules need: a slot set on the command line wins over the file, a list
 * option given on the command line replaces the file's lines of that key,
 * a slot set twice in one file is an error, and a reload compares slot by
 * slot to say what will only change at the next start.
 */
#ifndef NSPLICE_CONFFILE_H
#define NSPLICE_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/config/config.h"
#include "supervisor/config/portspec.h"

/* OPT_* - option codes beyond the short options' characters */
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
	OPT_CONTROL,
	OPT_MAX_CONNS,
	OPT_IDLE_TIMEOUT,
	OPT_UDP_TIMEOUT,
	OPT_BUSY_POLL,
	OPT_KEEPALIVE,
	OPT_SYSLOG,
	OPT_PROXY_PROTOCOL,
};

/**
 * enum config_slot - a setting that holds one value
 * @SLOT_NONE:		not a slot: forwards, -c, --help, --version
 * @SLOT_TARGET:	--netns, --pid (COMMAND is command line only)
 * @SLOT_USERNS:	--userns
 * @SLOT_PID_FILE:	--pid-file
 * @SLOT_RUNAS:		--runas
 * @SLOT_SANDBOX:	--sandbox
 * @SLOT_CONTROL:	--control
 * @SLOT_MAX_CONNS:	--max-conns
 * @SLOT_IDLE_TIMEOUT:	--idle-timeout
 * @SLOT_UDP_TIMEOUT:	--udp-timeout
 * @SLOT_BUSY_POLL:	--busy-poll
 * @SLOT_KEEPALIVE:	--keepalive
 * @SLOT_LOG_LEVEL:	-q, -d, --trace
 * @SLOT_SYSLOG:	--syslog
 * @SLOT_COUNT:		number of slots
 */
enum config_slot {
	SLOT_NONE = -1,
	SLOT_TARGET = 0,
	SLOT_USERNS,
	SLOT_PID_FILE,
	SLOT_RUNAS,
	SLOT_SANDBOX,
	SLOT_CONTROL,
	SLOT_MAX_CONNS,
	SLOT_IDLE_TIMEOUT,
	SLOT_UDP_TIMEOUT,
	SLOT_BUSY_POLL,
	SLOT_KEEPALIVE,
	SLOT_LOG_LEVEL,
	SLOT_SYSLOG,
	SLOT_COUNT,
};

/**
 * struct config_layer - what one source set
 * @name:	file name for messages, NULL for the command line
 * @src:	CONFIG_SRC_* given to its forwards
 * @line:	per slot, the line that set it (1 on the command line), 0 if
 *		not set
 * @key:	per slot, the key that set it (static storage), for messages
 */
struct config_layer {
	const char *name;
	int src;
	unsigned line[SLOT_COUNT];
	const char *key[SLOT_COUNT];
};

/**
 * struct config_ctx - how one option value is applied
 * @env:	ephemeral port range, for port specs
 * @src:	CONFIG_SRC_* of the forwards it makes
 * @label:	"--netns", "-t", or "FILE:LINE: netns": starts every message
 */
struct config_ctx {
	const struct portspec_env *env;
	int src;
	const char *label;
	unsigned line;
};

/* options.c */
void config_defaults(struct nsp_config *cfg);
int config_key_lookup(const char *key, int *c, bool *takes_value,
		      const char **name);
enum config_slot config_opt_slot(int c);
int config_apply(struct nsp_config *cfg, int c, const char *v,
		 const struct config_ctx *ctx, char *err, size_t errlen);
int config_fwd_append(struct nsp_config *cfg, const struct fwd_entry *e,
		      char *err, size_t errlen);
int config_auto_append(struct nsp_config *cfg, const struct auto_rule *r,
		       char *err, size_t errlen);
int config_check(struct nsp_config *cfg, char *err, size_t errlen);
uint64_t config_list_bit(int c);
int config_control_default(struct nsp_config *cfg, const char *config_path,
			   char *err, size_t errlen);

/* conffile.c */
int config_layer_read(const char *path, const struct portspec_env *env,
		      struct nsp_config *cfg, struct config_layer *fl,
		      char *err, size_t errlen);
int config_merge_file(struct nsp_config *cfg, const struct portspec_env *env,
		      char *err, size_t errlen);
int config_clone(struct nsp_config *fresh, const struct nsp_config *running,
		 bool keep_file, char *err, size_t errlen);
void config_strings_free(struct nsp_config *cfg);

/* proxyopt.c */
int config_pp_parse(struct nsp_config *cfg, const char *v,
		    const struct config_ctx *ctx, char *err, size_t errlen);
int config_pp_copy(struct nsp_config *dst, const struct nsp_config *src);
void config_pp_take(struct nsp_config *cfg, struct nsp_config *file);
void config_pp_apply(struct nsp_config *cfg);
int config_pp_check(const struct nsp_config *cfg, char *err, size_t errlen);

#endif /* NSPLICE_CONFFILE_H */
