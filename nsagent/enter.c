// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * enter.c - enter the target namespace once, then give up what is not needed
 *
 * DOC: Theory of Operation
 *
 * agent[target] is executed in the caller's namespaces (so the kernel
 * treats its memory as the caller's, not the container's) and only then
 * joins: the owning user namespace first when nsplice is not root, since a
 * plain setns() into the netns answers EPERM to an unprivileged process,
 * then the network namespace.  A process that has joined a user namespace
 * can never come back, which is why this happens in its own process.
 *
 * Afterwards, on both sides: every capability is dropped except
 * CAP_NET_BIND_SERVICE when a configured port of this side is below 1024;
 * the bounding and ambient sets are cleared so nothing can be regained;
 * NO_NEW_PRIVS is set; and the process becomes non-dumpable, so root in the
 * container's user namespace cannot ptrace it or read its memory.
 *
 * The kernel clears the parent-death signal when credentials change in
 * some ways, so it is re-armed once the namespaces are joined, and the
 * parent checked again.
 *
 * Syscalls: setns, close, prctl, getppid, capset (libcap-ng).
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/msg.h"
#include "nsagent/agent.h"

/**
 * fd_open() - is a descriptor number in use
 * @fd:		descriptor
 *
 * Return: true if @fd is open
 */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/**
 * agent_enter_netns() - join the target's user (if given) and network ns
 *
 * Exits with an explanation if the kernel refuses.
 */
void agent_enter_netns(void)
{
	pid_t parent = getppid();

	if (fd_open(IPC_FD_USERNS)) {
		if (setns(IPC_FD_USERNS, CLONE_NEWUSER))
			fatal("cannot join the target's user namespace: %s",
			      strerror(errno));
		close(IPC_FD_USERNS);
	}
	if (!fd_open(IPC_FD_NETNS))
		fatal("no network namespace descriptor was passed");
	if (setns(IPC_FD_NETNS, CLONE_NEWNET))
		fatal("cannot enter the target network namespace: %s%s",
		      strerror(errno), errno == EPERM ?
		      " (it belongs to a user namespace nsplice has no "
		      "privileges in; run as its owner or as root)" : "");
	close(IPC_FD_NETNS);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		fatal("supervisor %d is gone", (int)parent);
}

/**
 * agent_drop_privileges() - keep at most CAP_NET_BIND_SERVICE, forever
 * @keep_bind_cap:	a configured port of this side is below 1024
 */
void agent_drop_privileges(bool keep_bind_cap)
{
	int select = CAPNG_SELECT_CAPS;

	capng_get_caps_process();
	/* Clearing the bounding set needs CAP_SETPCAP: only if we have it. */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		select = CAPNG_SELECT_BOTH;
	keep_bind_cap = keep_bind_cap &&
		capng_have_capability(CAPNG_PERMITTED, CAP_NET_BIND_SERVICE);
	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_bind_cap)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			     CAPNG_BOUNDING_SET, CAP_NET_BIND_SERVICE);
	if (capng_apply(select))
		fatal("cannot drop capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		fatal("cannot clear ambient capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fatal("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		fatal("PR_SET_DUMPABLE: %s", strerror(errno));
	ndebug("capabilities dropped%s",
	       keep_bind_cap ? ", CAP_NET_BIND_SERVICE kept" : "");
}
