// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen_target_corpus.c - write the seed corpus of the "target" fuzz target
 *
 * DOC: Theory of Operation
 *
 * Usage: gen_target_corpus DIR.  Writes one file per row of seeds[] into
 * DIR, in the 68-byte input layout of fuzz_target.c: every rule
 * (explicit, loopback, external, refused) and every hostile NS_ADDRS report
 * the unit test knows (loopback, unspecified, IPv4-mapped), so the fuzzer
 * starts from inputs that reach each branch of target_select() instead of
 * having to find a valid forward and a loopback client by chance.
 *
 * Addresses are written as text and converted with inany_parse(), so a
 * row reads like the case it stands for.  The output is committed; run
 * this again if the input layout changes (see README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/inany.h"

/* Input layout of fuzz_target.c: offsets and size */
#define IN_RULE			0
#define IN_CLIENT_AF		1
#define IN_NS_FLAGS		2
#define IN_CLIENT		4
#define IN_NS_ADDR4		20
#define IN_NS_ADDR6		36
#define IN_TARGET		52
#define IN_LEN			68

/* Rule byte bits */
#define R_V6			0x01U	/* listener family IPv6 */
#define R_EXPLICIT		0x02U	/* FWD_F_TARGET_ADDR */
#define R_TARGET_V6		0x04U	/* explicit target is IPv6 */
#define R_OPTIONAL		0x08U	/* FWD_F_OPTIONAL */
#define R_SIDE_TARGET		0x10U	/* listening on target side */

/* Client family selector: index into fuzz_target.c's table */
#define C_INET			0
#define C_INET6			1
#define C_UNSPEC		2
#define C_UNIX			3

/* NS_ADDRS flags: NS_ADDR_F_V4, NS_ADDR_F_V6 */
#define NS4			0x01U
#define NS6			0x02U

/* PATH_LEN - bytes of one output path */
#define PATH_LEN		4096

/**
 * struct tseed - one seed
 * @name:	file name, without directory and ".bin"
 * @rule:	rule byte
 * @caf:	client family selector
 * @ns_flags:	NS_ADDRS flags byte as sent
 * @client:	client address text
 * @ns4:	reported IPv4 address text, NULL for none (zeroes)
 * @ns6:	reported IPv6 address text, NULL for none
 * @target:	explicit target address text, NULL for none
 */
struct tseed {
	const char *name;
	uint8_t rule;
	uint8_t caf;
	uint8_t ns_flags;
	const char *client;
	const char *ns4;
	const char *ns6;
	const char *target;
};

static const struct tseed seeds[] = {
	{ "explicit-v4", R_EXPLICIT, C_INET, 0, "192.0.2.7", NULL, NULL,
	  "10.0.0.5" },
	{ "explicit-loopback-opt-in", R_EXPLICIT, C_INET, NS4, "192.0.2.7",
	  "198.51.100.1", NULL, "127.0.0.1" },
	{ "explicit-v6-on-v4-listener", R_EXPLICIT | R_TARGET_V6, C_INET, 0,
	  "127.0.0.1", NULL, NULL, "2001:db8::9" },
	{ "explicit-mapped-any", R_V6 | R_EXPLICIT | R_TARGET_V6, C_INET6, 0,
	  "2001:db8:1::7", NULL, NULL, "::ffff:0.0.0.0" },
	{ "loopback-v4", 0, C_INET, NS4, "127.0.0.1", "198.51.100.1", NULL,
	  NULL },
	{ "loopback-v4-net", R_OPTIONAL, C_INET, 0, "127.255.255.254", NULL,
	  NULL, NULL },
	{ "loopback-v6", R_V6, C_INET6, NS6, "::1", NULL, "2001:db8::1",
	  NULL },
	{ "loopback-v6-mapped", R_V6 | R_SIDE_TARGET, C_INET6, 0,
	  "::ffff:127.0.0.1", NULL, NULL, NULL },
	{ "external-v4", 0, C_INET, NS4 | NS6, "192.0.2.7", "198.51.100.1",
	  "2001:db8::1", NULL },
	{ "external-v6", R_V6, C_INET6, NS4 | NS6, "2001:db8:1::7",
	  "198.51.100.1", "2001:db8::1", NULL },
	{ "external-v6-mapped-client", R_V6, C_INET6, NS6, "::ffff:192.0.2.7",
	  NULL, "2001:db8::1", NULL },
	{ "refuse-no-address", 0, C_INET, 0, "192.0.2.7", NULL, NULL, NULL },
	{ "refuse-other-family", 0, C_INET, NS6, "192.0.2.7", NULL,
	  "2001:db8::1", NULL },
	{ "refuse-v6-no-address", R_V6, C_INET6, NS4, "::ffff:192.0.2.7",
	  "198.51.100.1", NULL, NULL },
	{ "refuse-unspec-client", 0, C_UNSPEC, NS4, "127.0.0.1",
	  "198.51.100.1", NULL, NULL },
	{ "refuse-unix-client", R_V6, C_UNIX, NS6, "::1", NULL,
	  "2001:db8::1", NULL },
	{ "hostile-v4-loopback", 0, C_INET, NS4, "192.0.2.7", "127.0.0.1",
	  NULL, NULL },
	{ "hostile-v4-any", 0, C_INET, NS4, "192.0.2.7", "0.0.0.0", NULL,
	  NULL },
	{ "hostile-v6-loopback", R_V6, C_INET6, NS6, "2001:db8:1::7", NULL,
	  "::1", NULL },
	{ "hostile-v6-any", R_V6, C_INET6, NS6, "2001:db8:1::7", NULL, "::",
	  NULL },
	{ "hostile-v6-mapped-loopback", R_V6, C_INET6, NS6, "2001:db8:1::7",
	  NULL, "::ffff:127.0.0.1", NULL },
	{ "hostile-v6-mapped-any", R_V6, C_INET6, NS6, "2001:db8:1::7", NULL,
	  "::ffff:0.0.0.0", NULL },
	{ "hostile-flags", 0, C_INET, 0xff, "192.0.2.7", "198.51.100.1",
	  "::1", NULL },
};

/**
 * put_addr() - write an address into the input
 * @in:		input
 * @off:	offset of the 16-byte field
 * @text:	address text, NULL to leave zeroes
 */
static void put_addr(uint8_t *in, size_t off, const char *text)
{
	union inany a;
	int af;

	if (!text)
		return;
	if (inany_parse(text, &af, &a)) {
		fprintf(stderr, "gen_target_corpus: bad address %s\n", text);
		exit(1);
	}
	memcpy(in + off, &a, sizeof(a));
}

/**
 * write_seed() - build one input and write it
 * @dir:	output directory
 * @s:		seed
 */
static void write_seed(const char *dir, const struct tseed *s)
{
	uint8_t in[IN_LEN] = { 0 };
	char path[PATH_LEN];
	FILE *f;

	in[IN_RULE] = s->rule;
	in[IN_CLIENT_AF] = s->caf;
	in[IN_NS_FLAGS] = s->ns_flags;
	put_addr(in, IN_CLIENT, s->client);
	put_addr(in, IN_NS_ADDR4, s->ns4);
	put_addr(in, IN_NS_ADDR6, s->ns6);
	put_addr(in, IN_TARGET, s->target);
	snprintf(path, sizeof(path), "%s/%s.bin", dir, s->name);
	f = fopen(path, "wb");
	if (!f || fwrite(in, 1, sizeof(in), f) != sizeof(in) || fclose(f)) {
		fprintf(stderr, "gen_target_corpus: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

/**
 * main() - write every seed into the directory given
 * @argc:	argument count, 2
 * @argv:	program name and output directory
 *
 * Return: 0 on success, 1 on any failure
 */
int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		write_seed(argv[1], &seeds[i]);
	return 0;
}
