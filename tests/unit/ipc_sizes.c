// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc_sizes.c - print what the C compiler knows of the IPC catalogue
 *
 * DOC: Theory of Operation
 *
 * Python tools that speak the IPC protocol (tests/hostile/lib/fakepeer.py)
 * read type numbers out of ipc/msg.h with a parser and pack payloads with
 * struct formats.  Neither can be trusted to agree with the compiler on
 * its own, so this program prints the compiler's view, one line per type:
 * "MSG_NAME NUMBER SIZE" (SIZE = sizeof its payload struct), then one
 * "NAME VALUE" line for each other constant those tools use, and
 * tests/hostile/lib/check_msgnums.py compares the two.
 */
#include <stdio.h>

#include "ipc_samples.h"

/* CONST() - one "NAME VALUE" line of a constant of msg.h */
#define CONST(name)	printf("%s %u\n", #name, (unsigned)(name))

/**
 * main() - print every type and the constants
 *
 * Return: 0, or 1 if a type of msg.h has no sample (and so no size here)
 */
int main(void)
{
	int rc = 0;
	unsigned t;

	for (t = 1; t < MSG_TYPE_MAX; t++) {
		if (!ipc_sample_name(t)) {
			fprintf(stderr, "ipc_sizes: type %u has no sample\n", t);
			rc = 1;
			continue;
		}
		printf("MSG_%s %u %zu\n", ipc_sample_name(t), t,
		       ipc_sample_size(t));
	}
	CONST(MSG_TYPE_MAX);
	CONST(IPC_PROTO_VERSION);
	CONST(IPC_PAYLOAD_MAX);
	CONST(IPC_FD_LOG);
	CONST(IPC_FD_SUPERVISOR);
	CONST(IPC_FD_PEER);
	CONST(IPC_FD_AGENT_HOST);
	CONST(IPC_FD_AGENT_TARGET);
	CONST(POOL_ALLOW_V4);
	CONST(NS_ADDR_F_V4);
	return rc;
}
