// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_rootlessport_json.c - fuzz target: podman's rootlessport JSON
 *
 * DOC: Theory of Operation
 *
 * The input is, byte for byte, what podman would write to the helper's
 * stdin, and also what a client could send on the reload socket: it goes
 * through rp_conf_parse() and rp_reload_parse() (supervisor/config/rpconf.c) in a heap
 * buffer of exactly its size, with no NUL after it, so reading one byte
 * past the end is an ASan report.  Then:
 *
 * - a configuration accepted has no message, at most RP_MAPPINGS_MAX
 *   mappings, each with host and container ports in 1..65535, a range of
 *   at least 1 that stays within 65535 on both sides, tcp or udp or both
 *   and nothing else, a host family of AF_UNSPEC, AF_INET or AF_INET6;
 *   NetNSPath is non-empty and every string is terminated in its buffer;
 * - a reload request accepted gives an IPv4 or IPv6 address;
 * - anything refused gives -1 and one message, non-empty, terminated in
 *   the buffer, terminal-safe and on one line (cleaning it again with
 *   text_safe() changes nothing): it quotes what the sender wrote.
 *
 * struct rp_conf holds 1024 mappings and two paths, so it is static.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "supervisor/config/rpconf.h"
#include "ipc/text.h"
#include "tests/fuzz/fuzz.h"

/* PORT_LAST - highest port number */
#define PORT_LAST	65535U

static struct rp_conf conf;

/**
 * check_message() - a refusal's message is one terminal-safe line
 * @err:	message buffer, RP_ERR_MAX bytes
 */
static void check_message(const char *err)
{
	char safe[RP_ERR_MAX];
	size_t len = strnlen(err, RP_ERR_MAX);

	FUZZ_CHECK(len > 0, "refused without a message");
	FUZZ_CHECK(len < RP_ERR_MAX, "message not terminated");
	FUZZ_CHECK(text_safe(safe, err, len, 0, NULL) == len &&
		   !memcmp(safe, err, len),
		   "message has a byte a terminal acts on");
}

/**
 * check_mapping() - one accepted mapping is within the contract
 * @m:		the mapping
 */
static void check_mapping(const struct rp_mapping *m)
{
	FUZZ_CHECK(m->host_port >= 1 && m->container_port >= 1,
		   "port 0 accepted");
	FUZZ_CHECK(m->range >= 1, "empty range accepted");
	FUZZ_CHECK(m->host_port + m->range - 1U <= PORT_LAST &&
		   m->container_port + m->range - 1U <= PORT_LAST,
		   "range runs past port 65535");
	FUZZ_CHECK(m->tcp || m->udp, "mapping without a protocol");
	FUZZ_CHECK(m->host_af == AF_UNSPEC || m->host_af == AF_INET ||
		   m->host_af == AF_INET6, "host address of unknown family");
}

/**
 * check_conf() - an accepted configuration is consistent
 * @c:		the result
 * @err:	message buffer
 */
static void check_conf(const struct rp_conf *c, const char *err)
{
	unsigned i;

	FUZZ_CHECK(!err[0], "message left after success");
	FUZZ_CHECK(c->nmaps <= RP_MAPPINGS_MAX, "too many mappings");
	for (i = 0; i < c->nmaps; i++)
		check_mapping(&c->map[i]);
	FUZZ_CHECK(strnlen(c->netns_path, RP_PATH_MAX) < RP_PATH_MAX &&
		   strnlen(c->tmp_dir, RP_PATH_MAX) < RP_PATH_MAX &&
		   strnlen(c->container_id, RP_ID_MAX) < RP_ID_MAX,
		   "string not terminated");
	FUZZ_CHECK(c->netns_path[0], "empty NetNSPath accepted");
	FUZZ_CHECK(c->child_af == AF_UNSPEC || c->child_af == AF_INET ||
		   c->child_af == AF_INET6, "ChildIP of unknown family");
}

/**
 * LLVMFuzzerTestOneInput() - run one input through both parsers
 * @data:	input
 * @size:	its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[RP_ERR_MAX], *text = malloc(size ? size : 1);
	union inany addr;
	int af = -1;

	FUZZ_CHECK(text != NULL, "out of memory");
	if (size)
		memcpy(text, data, size);
	err[0] = '\0';
	if (rp_conf_parse(text, size, &conf, err, sizeof(err)))
		check_message(err);
	else
		check_conf(&conf, err);
	err[0] = '\0';
	if (rp_reload_parse(text, size, &af, &addr, err, sizeof(err)))
		check_message(err);
	else
		FUZZ_CHECK(af == AF_INET || af == AF_INET6,
			   "reload address of unknown family");
	free(text);
	return 0;
}
