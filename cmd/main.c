// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - nsplice's one entry point: user command line or internal role
 *
 * DOC: Theory of Operation
 *
 * nsplice is one binary.  Started by a user it parses the command line,
 * and on success becomes the supervisor (supervisor/), which re-executes
 * this same binary for every child with "--role=..." as first argument;
 * those arguments are handled by cmd/role.c and never shown in --help.
 * "nsplice ctl PATH REQUEST..." is the control socket's client (cmd/ctl.c),
 * a short-lived process of its own that never becomes a supervisor.
 *
 * Exit statuses: 2 for bad input (nothing was started), 1 for a runtime
 * failure, otherwise what the supervisor returns.
 */
#include <bsd/unistd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "cmd/dpargs.h"
#include "cmd/role.h"
#include "cmd/rootlessport.h"
#include "ipc/log.h"
#include "ipc/proctitle.h"
#include "supervisor/config/config.h"
#include "supervisor/supervisor.h"


/**
 * dup_argv() - copy the arguments before setproctitle() can overwrite them
 * @argc:	argument count
 * @argv:	arguments
 *
 * setproctitle() reuses the memory of the original argv strings, and the
 * configuration keeps pointers to COMMAND and to port specs.
 *
 * Return: a NULL-terminated copy; the process exits if memory runs out
 */
static char **dup_argv(int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int i;

	for (i = 0; copy && i < argc; i++)
		if (!(copy[i] = strdup(argv[i])))
			copy = NULL;
	if (!copy) {
		fprintf(stderr, "nsplice: out of memory\n");
		exit(EXIT_FAILURE);
	}
	return copy;
}

/**
 * free_argv() - release the copy made by dup_argv()
 * @argc:	argument count
 * @argv:	the copy
 */
static void free_argv(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/**
 * main_user() - parse a user's command line and run the supervisor
 * @argc:	argument count
 * @argv:	arguments (the copy)
 *
 * Return: process exit status
 */
static int main_user(int argc, char **argv)
{
	char err[CONFIG_ERR_MAX];
	struct nsp_config cfg;
	int ret;

	ret = config_from_args(argc, argv, &cfg, err, sizeof(err));
	if (ret > 0)
		return EXIT_SUCCESS;
	/* Every SIGHUP reads -c FILE again: refuse now a path another user
	 * could make name another file by then (live_reload() checks again) */
	if (!ret && cfg.config_path &&
	    file_path_check("config file", cfg.config_path, err, sizeof(err))) {
		config_free(&cfg);
		ret = -1;
	}
	if (ret < 0) {
		log_start_error(err);
		return EXIT_USAGE;
	}
	ret = supervisor_main(&cfg, NULL);
	config_free(&cfg);
	return ret;
}

/**
 * personality() - the name nsplice was started under
 * @arg0:	argv[0]
 *
 * Container engines start their helper by a fixed name (rootlessport,
 * docker-proxy); a link of that name to nsplice speaks their contract.
 *
 * Return: basename of @arg0
 */
static const char *personality(const char *arg0)
{
	const char *slash = arg0 ? strrchr(arg0, '/') : NULL;

	return slash ? slash + 1 : arg0 ? arg0 : "";
}

/**
 * dockerd_flags() - whether the arguments are dockerd's for its proxy
 * @argc:	argument count
 * @argv:	arguments
 *
 * dockerd execs userland-proxy-path whatever its file is called, and the
 * real docker-proxy serves under any name; a daemon.json naming a copy
 * or a link of another name (userland-proxy, nsplice itself) must not get
 * nsplice's "unknown option" and an empty status pipe for every
 * published port.  So the first argument decides too: moby always
 * starts with one of these flags (single dash, Go's flag package, with
 * or without "=VALUE"), and none of them is an nsplice option.
 *
 * Return: true if argv[1] is one of docker-proxy's flags
 */
static bool dockerd_flags(int argc, char **argv)
{
	static const char *const flags[] = {
		"-proto", "-host-ip", "-host-port", "-container-ip",
		"-container-port", "-use-listen-fd",
	};
	size_t i, n;

	if (argc < 2)
		return false;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		n = strlen(flags[i]);
		if (!strncmp(argv[1], flags[i], n) &&
		    (argv[1][n] == '\0' || argv[1][n] == '='))
			return true;
	}
	return false;
}

/**
 * hold_sighup() - keep SIGHUP pending until the supervisor can read it
 *
 * The supervisor handles SIGHUP (reload) through a signalfd made once the
 * configuration is read and checked.  Before that, the default action
 * would end nsplice at once, silently, with status 129: a reload sent by
 * a service manager or a script right after the start killed it.  Blocked
 * here, it waits and is read as a reload once the signalfd exists.
 * COMMAND and every child get their own mask (netns.c, spawner.c).
 */
static void hold_sighup(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/**
 * main() - dispatch to a role, the ctl client, or run the supervisor
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: process exit status
 */
int main(int argc, char **argv)
{
	int ret;

	/* The title lives in the original argv area; parse a copy.  The
	 * area is measured before setproctitle_init() moves environ. */
	proctitle_init(argc, argv, environ);
	setproctitle_init(argc, argv, environ);
	argv = dup_argv(argc, argv);
	if (argc > 1 && !strncmp(argv[1], "--role=", 7)) {
		ret = main_role(argc, argv);
	} else if (!strcmp(personality(argv[0]), "rootlessport")) {
		hold_sighup();
		ret = rootlessport_main(argc, argv);
	} else if (!strcmp(personality(argv[0]), "docker-proxy") ||
		   dockerd_flags(argc, argv)) {
		hold_sighup();
		ret = dockerproxy_main(argc, argv);
	} else if (argc > 1 && !strcmp(argv[1], "ctl")) {
		ret = ctl_main(argc - 1, argv + 1);
	} else {
		hold_sighup();
		ret = main_user(argc, argv);
	}
	free_argv(argc, argv);
	return ret;
}
