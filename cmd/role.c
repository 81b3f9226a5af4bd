// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * role.c - common start of every re-executed child, and role dispatch
 *
 * DOC: Theory of Operation
 *
 * See role.h.  main() hands argv here when argv[1] starts with "--role=";
 * a user never types these arguments, so anything unexpected is fatal.
 * Besides those of role.h a child takes --log-mode=plain|journal|syslog
 * (ipc/log.h): whether its lines carry a "<N>" priority prefix.
 *
 * Syscalls: prctl(PR_SET_PDEATHSIG), getppid, sigaction, close_range;
 * then the role's sandbox (seccomp/sandbox.c).
 */
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cmd/role.h"
#include "ipc/log.h"
#include "ipc/msg.h"
#include "ipc/proctitle.h"
#include "nsagent/agent.h"
#include "relay/relay.h"
#include "seccomp/sandbox.h"

/* ID_ARG_MAX - longest "UID:GID" value of --runas, bytes */
#define ID_ARG_MAX	32

/* LOG_MODE_ARG - the role argument that carries the log output mode */
#define LOG_MODE_ARG	"--log-mode="

/*
 * role_log_mode - enum log_mode of --log-mode=, applied by role_enter();
 * kept here rather than in struct role_args so that role.h (shared by
 * other work) does not change for it.
 */
static enum log_mode role_log_mode = LOG_MODE_PLAIN;

/**
 * parse_log_mode() - the --log-mode=plain|journal|syslog argument
 * @a:		one argument
 *
 * The supervisor chose the mode from its surroundings (JOURNAL_STREAM,
 * --syslog); a child has an emptied environment and learns it here.
 *
 * Return: 1 if @a was it and is valid, 0 if it is not it, -1 if malformed
 */
static int parse_log_mode(const char *a)
{
	int m;

	if (strncmp(a, LOG_MODE_ARG, strlen(LOG_MODE_ARG)))
		return 0;
	m = log_mode_parse(a + strlen(LOG_MODE_ARG));
	if (m < 0)
		return -1;
	role_log_mode = (enum log_mode)m;
	return 1;
}

/**
 * parse_ids() - parse the "UID:GID" of --runas
 * @v:		value
 * @ra:		uid and gid are set on success
 *
 * Return: 0, or -1 if malformed or root
 */
static int parse_ids(const char *v, struct role_args *ra)
{
	char buf[ID_ARG_MAX];
	const char *errstr;
	char *colon;

	if (strlcpy(buf, v, sizeof(buf)) >= sizeof(buf) ||
	    !(colon = strchr(buf, ':')))
		return -1;
	*colon = '\0';
	ra->uid = (uid_t)strtonum(buf, 1, UINT32_MAX - 1, &errstr);
	if (errstr)
		return -1;
	ra->gid = (gid_t)strtonum(colon + 1, 1, UINT32_MAX - 1, &errstr);
	if (errstr)
		return -1;
	ra->runas = true;
	return 0;
}

/**
 * parse_sandbox_arg() - the sandbox arguments of a child
 * @a:		one argument
 * @ra:		updated
 *
 * Return: 1 if @a was one of them and is valid, 0 if it is none of them,
 * -1 if it is malformed
 */
static int parse_sandbox_arg(const char *a, struct role_args *ra)
{
	if (!strcmp(a, "--sandbox=log")) {
		ra->sandbox_log = true;
		return 1;
	}
	if (!strncmp(a, "--runas=", 8))
		return parse_ids(a + 8, ra) ? -1 : 1;
#ifdef NSPLICE_TESTING
	if (!strncmp(a, "--test-attempt=", 15)) {
		ra->attempt = a + 15;
		return sandbox_attempt_known(ra->attempt) ? 1 : -1;
	}
#endif
	return 0;
}

/**
 * role_args_parse() - parse the arguments a supervisor gives a child
 * @argc:	argument count
 * @argv:	arguments; argv[1] is "--role=..."
 * @ra:		filled on success
 *
 * Return: 0 on success, -1 on anything unexpected
 */
int role_args_parse(int argc, char **argv, struct role_args *ra)
{
	const char *errstr;
	int i;

	memset(ra, 0, sizeof(*ra));
	ra->side = -1;
	ra->log_level = -1;
	role_log_mode = LOG_MODE_PLAIN;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int sb = parse_sandbox_arg(a, ra);

		if (!sb)
			sb = parse_log_mode(a);
		if (sb < 0)
			return -1;
		if (sb > 0)
			continue;
		if (!strcmp(a, "--role=relay"))
			ra->role = "relay";
		else if (!strcmp(a, "--role=agent"))
			ra->role = "agent";
		else if (!strcmp(a, "--side=host"))
			ra->side = SIDE_HOST;
		else if (!strcmp(a, "--side=target"))
			ra->side = SIDE_TARGET;
		else if (!strcmp(a, "--keep-bind-cap"))
			ra->keep_bind_cap = true;
		else if (!strncmp(a, "--log=", 6)) {
			ra->log_level = (int)strtonum(a + 6, LOG_LVL_ERR,
						      LOG_LVL_TRACE, &errstr);
			if (errstr)
				return -1;
		} else if (!strncmp(a, "--parent=", 9)) {
			ra->parent = (pid_t)strtonum(a + 9, 1, INT32_MAX,
						     &errstr);
			if (errstr)
				return -1;
		} else {
			return -1;
		}
	}
	if (!ra->role || ra->log_level < 0 || !ra->parent)
		return -1;
	if (!strcmp(ra->role, "agent") != (ra->side >= 0))
		return -1;
	if (ra->keep_bind_cap && ra->side < 0)
		return -1;
	if ((ra->runas || ra->attempt) && ra->side >= 0)
		return -1;	/* relay only */
	return 0;
}

/**
 * role_enter() - common child set-up after fexecve()
 * @ra:		parsed arguments
 * @title:	process title, e.g. "nsplice: relay"
 * @logtag:	tag for log lines, e.g. "relay"
 * @keep_max_fd: highest descriptor the role was given; all above are closed
 *
 * Exits if the supervisor is already gone.
 */
void role_enter(const struct role_args *ra, const char *title,
		const char *logtag, int keep_max_fd)
{
	struct sigaction sa;

	log_init(logtag, ra->log_level);
	log_set_mode(role_log_mode);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		fatal("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != ra->parent)
		fatal("supervisor %d is gone", (int)ra->parent);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	closefrom(keep_max_fd + 1);
	/* Descriptors 0 and 1 must not be a terminal, see role.h. */
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	proctitle_set(title);
}

/**
 * main_role() - run the role named on the command line
 * @argc:	argument count
 * @argv:	arguments from the supervisor
 *
 * Return: exit status of the role
 */
int main_role(int argc, char **argv)
{
	struct role_args ra;
	struct sandbox_cfg sc;

	if (role_args_parse(argc, argv, &ra)) {
		log_init("nsplice", LOG_LVL_ERR);
		fatal("bad role arguments: this mode is internal to nsplice");
	}
	sc = (struct sandbox_cfg){
		.mode = ra.sandbox_log ? SANDBOX_LOG : SANDBOX_ENFORCE,
		.parent = ra.parent, .runas = ra.runas, .uid = ra.uid,
		.gid = ra.gid, .attempt = ra.attempt,
	};
	sandbox_configure(&sc);
	if (!strcmp(ra.role, "relay")) {
		role_enter(&ra, "nsplice: relay", "relay", IPC_FD_AGENT_TARGET);
		sandbox_relay_enter();
		return relay_main();
	}
	if (ra.side == SIDE_HOST) {
		role_enter(&ra, "nsplice: agent host", "agent host",
			   IPC_FD_PEER);
		return agent_main(SIDE_HOST, ra.keep_bind_cap);
	}
	role_enter(&ra, "nsplice: agent target", "agent target",
		   IPC_FD_USERNS);
	return agent_main(SIDE_TARGET, ra.keep_bind_cap);
}
