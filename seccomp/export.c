// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * export.c - nsplice-seccomp-export: print a role's filter as PFC text
 *
 * DOC: Theory of Operation
 *
 * A build tool, never installed.  `nsplice-seccomp-export ROLE` builds the
 * filter of ROLE (relay, agent, supervisor, spawner) exactly as the running process
 * does, in enforcing mode, and writes it to stdout with
 * seccomp_export_pfc(): libseccomp's "pseudo filter code", a readable
 * listing of the BPF program the kernel gets.  The committed copies are
 * seccomp/ROLE.pfc; the CTest cases seccomp.pfc.ROLE regenerate and diff
 * them, so a change to an allowlist cannot go unnoticed in review, and
 * `cmake --build BUILD --target seccomp-pfc` rewrites them.
 *
 * The output is deterministic for one libseccomp version and one
 * architecture (the committed files: libseccomp 2.5.4, x86_64), which the
 * header line records; another version may order the same rules
 * differently, and then the files are regenerated, not hand-edited.
 * Sanitizer builds add rules (filter.c), so their output differs and the
 * comparison is not registered there.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc/log.h"
#include "seccomp/seccomp.h"

/**
 * usage() - print how to call the tool
 * @prog:	argv[0]
 *
 * Return: exit status 2
 */
static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s relay|agent|supervisor|spawner\n", prog);
	return 2;
}

/**
 * main() - export one role's filter to stdout
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0, 1 if libseccomp failed, 2 on bad usage
 */
int main(int argc, char **argv)
{
	const struct scmp_version *v = seccomp_version();
	scmp_filter_ctx ctx;
	int role, rc;

	log_init("seccomp-export", LOG_LVL_ERR);
	if (argc != 2)
		return usage(argv[0]);
	for (role = 0; role < SECCOMP_ROLE_COUNT; role++)
		if (!strcmp(argv[1], seccomp_role_names[role]))
			break;
	if (role == SECCOMP_ROLE_COUNT)
		return usage(argv[0]);
	ctx = seccomp_role_filter((enum seccomp_role)role, SANDBOX_ENFORCE);
	printf("# nsplice: seccomp filter of the %s role (seccomp/%s.c)\n"
	       "# exported with seccomp_export_pfc(), libseccomp %u.%u.%u,"
	       " native architecture\n"
	       "# regenerate: cmake --build BUILD --target seccomp-pfc\n",
	       argv[1], argv[1], v->major, v->minor, v->micro);
	(void)fflush(stdout);
	rc = seccomp_export_pfc(ctx, STDOUT_FILENO);
	seccomp_release(ctx);
	if (rc) {
		fprintf(stderr, "%s: seccomp_export_pfc: %s\n", argv[0],
			strerror(-rc));
		return 1;
	}
	return 0;
}
