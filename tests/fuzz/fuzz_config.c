// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config.c - fuzz target: the config file parser (-c FILE)
 *
 * DOC: Theory of Operation
 *
 * The input is the content of a config file, byte for byte: NUL bytes,
 * control characters, overlong lines and a missing final newline are all
 * part of what a file can hold.  It goes through config_parse_text(), the
 * whole of what -c does with a file's text, and then:
 *
 * - a refused file leaves the configuration all zeroes (nothing half
 *   applied, nothing leaked: the fuzzer's leak check sees the rest) and
 *   one message that names the file first and is one line: no byte below
 *   0x20 and no DEL, whatever the file held;
 * - an accepted file gives a consistent configuration: every listener and
 *   auto rule comes from the file, with a side that matches its option,
 *   ids in order, and no two listeners on the same socket; every number is
 *   within the bounds the option documents; a target is complete; nothing
 *   is marked as given on the command line (which would make it win over
 *   the file, supervisor/config/conffile.c);
 * - config_free() then releases everything, which the leak check verifies.
 *
 * The ephemeral range is read from the machine, as at start; it only
 * decides which ports "all" leaves out, so a property never depends on it.
 */
#include <string.h>
#include <sys/un.h>

#include "supervisor/config/config.h"
#include "ipc/msg.h"
#include "relay/flow.h"
#include "tests/fuzz/fuzz.h"

/* FILE_NAME - the name messages must start with */
#define FILE_NAME	"fuzz.conf"

/* OOM_MESSAGE - the one message that does not name the file */
#define OOM_MESSAGE	"out of memory"

/* CONTROL_PATH_MAX - sun_path, bytes with the NUL */
#define CONTROL_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* DEL - the one control character above the printable range */
#define DEL		0x7f

static struct nsp_config cfg;

/**
 * all_zero() - tell whether a buffer is all zero bytes
 * @p:		buffer
 * @len:	its size, at least one
 *
 * Return: true if every byte is zero
 */
static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	return !b[0] && !memcmp(b, b + 1, len - 1);
}

/**
 * check_message() - a refusal's message is one line naming the file
 * @err:	message buffer, CONFIG_ERR_MAX bytes
 */
static void check_message(const char *err)
{
	size_t len = strnlen(err, CONFIG_ERR_MAX), i;

	FUZZ_CHECK(len > 0, "refused file without a message");
	FUZZ_CHECK(len < CONFIG_ERR_MAX, "message not terminated");
	FUZZ_CHECK(!strncmp(err, FILE_NAME ":", strlen(FILE_NAME ":")) ||
		   !strcmp(err, OOM_MESSAGE) || !strncmp(err, "-t \"", 4) ||
		   !strncmp(err, "-T \"", 4) || !strncmp(err, "-u \"", 4) ||
		   !strncmp(err, "-U \"", 4),
		   "message names neither the file nor the forward");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)err[i];

		FUZZ_CHECK(c >= ' ' && c != DEL,
			   "message has a control character");
	}
}

/**
 * check_fwd() - one listener is consistent
 * @e:		listener
 * @i:		its index
 */
static void check_fwd(const struct fwd_entry *e, unsigned i)
{
	FUZZ_CHECK(e->src == CONFIG_SRC_FILE, "listener not from the file");
	FUZZ_CHECK(e->opt == 't' || e->opt == 'T' || e->opt == 'u' ||
		   e->opt == 'U', "listener option");
	FUZZ_CHECK(e->m.listen_side == (e->opt == 't' || e->opt == 'u' ?
					SIDE_HOST : SIDE_TARGET),
		   "listener side");
	FUZZ_CHECK(!(e->m.flags & FWD_F_UDP) == (e->opt == 't' ||
						 e->opt == 'T'),
		   "listener protocol");
	FUZZ_CHECK(e->line > 0, "listener without its line");
	FUZZ_CHECK(e->m.id == i, "listener ids not in order");
	FUZZ_CHECK(e->spec != NULL, "listener without its spec");
	FUZZ_CHECK(e->m.family == AF_INET || e->m.family == AF_INET6,
		   "listener family");
	FUZZ_CHECK(e->m.listen_port && e->m.target_port, "port 0");
	FUZZ_CHECK(memchr(e->m.ifname, '\0', sizeof(e->m.ifname)) != NULL,
		   "interface name not terminated");
}

/**
 * check_fwds() - listeners are consistent and no two share a socket
 */
static void check_fwds(void)
{
	unsigned i;

	FUZZ_CHECK(cfg.nfwd <= FWD_ID_MAX, "more listeners than ids");
	for (i = 0; i < cfg.nfwd; i++) {
		const struct msg_forward *a = &cfg.fwd[i].m, *b;

		check_fwd(&cfg.fwd[i], i);
		if (!i)
			continue;
		b = &cfg.fwd[i - 1].m;
		/* TCP and UDP on one port are two sockets */
		FUZZ_CHECK(((a->flags ^ b->flags) & FWD_F_UDP) ||
			   a->listen_side != b->listen_side ||
			   a->family != b->family ||
			   a->listen_port != b->listen_port ||
			   (memcmp(&a->listen_addr, &b->listen_addr,
				   sizeof(a->listen_addr)) &&
			    !all_zero(&b->listen_addr, sizeof(b->listen_addr))),
			   "two listeners on one socket");
	}
}

/**
 * check_autos() - auto rules are consistent
 */
static void check_autos(void)
{
	unsigned i, j;

	FUZZ_CHECK(cfg.nautos <= CONFIG_AUTOS_MAX, "too many auto rules");
	for (i = 0; i < cfg.nautos; i++) {
		const struct auto_rule *r = &cfg.autos[i];

		FUZZ_CHECK(r->src == CONFIG_SRC_FILE, "rule not from the file");
		FUZZ_CHECK(r->opt == 't' || r->opt == 'T', "rule option");
		FUZZ_CHECK(r->spec != NULL, "rule without its spec");
		FUZZ_CHECK(r->ntmpl == 1 || r->ntmpl == 2, "rule templates");
		FUZZ_CHECK(!(r->allowed[0] & 1), "rule allows port 0");
		FUZZ_CHECK(!all_zero(r->allowed, sizeof(r->allowed)),
			   "rule allows no port");
		for (j = 0; j < r->ntmpl; j++)
			FUZZ_CHECK(r->tmpl[j].tolerate == FWD_TOL_ANY &&
				   !r->tmpl[j].m.listen_port,
				   "rule template is not best effort");
	}
}

/**
 * check_settings() - every single-valued setting is within its bounds
 */
static void check_settings(void)
{
	FUZZ_CHECK(cfg.max_conns <= FLOW_SLOTS_MAX, "--max-conns too large");
	FUZZ_CHECK(cfg.idle_timeout <= IDLE_TIMEOUT_MAX,
		   "--idle-timeout too large");
	if (!cfg.ka_idle)
		FUZZ_CHECK(!cfg.ka_intvl && !cfg.ka_cnt,
			   "keepalive settings without keepalive");
	else
		FUZZ_CHECK(cfg.ka_idle <= KEEPALIVE_MAX && cfg.ka_intvl &&
			   cfg.ka_intvl <= KEEPALIVE_MAX && cfg.ka_cnt &&
			   cfg.ka_cnt <= KEEPALIVE_CNT_MAX,
			   "keepalive out of range");
	FUZZ_CHECK(!cfg.control_path ||
		   (cfg.control_path[0] &&
		    strlen(cfg.control_path) < CONTROL_PATH_MAX),
		   "control path does not fit sun_path");
	FUZZ_CHECK(cfg.target != TARGET_NETNS || cfg.netns_path,
		   "netns target without a path");
	FUZZ_CHECK(cfg.target != TARGET_PID || cfg.pid > 0, "pid target");
	FUZZ_CHECK(cfg.target != TARGET_COMMAND && !cfg.command,
		   "a file gave a COMMAND");
	FUZZ_CHECK(!cfg.config_path, "a file gave another config file");
	FUZZ_CHECK(!cfg.args_given && !cfg.args_lists,
		   "a file marked settings as the command line's");
}

/**
 * LLVMFuzzerTestOneInput() - parse one config file and check it
 * @data:	file content
 * @size:	bytes in @data
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	int rc;

	memset(err, 0, sizeof(err));
	rc = config_parse_text(&cfg, NULL, FILE_NAME, (const char *)data, size,
			       CONFIG_SRC_FILE, NULL, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "parse returned neither 0 nor -1");
	if (rc) {
		FUZZ_CHECK(all_zero(&cfg, sizeof(cfg)),
			   "refused file left the configuration filled");
		check_message(err);
		return 0;
	}
	check_fwds();
	check_autos();
	check_settings();
	config_free(&cfg);
	FUZZ_CHECK(all_zero(&cfg, sizeof(cfg)), "config_free() left state");
	return 0;
}
