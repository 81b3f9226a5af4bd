// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * command.c - the one filter COMMAND runs under: no terminal injection
 *
 * DOC: Theory of Operation
 *
 * COMMAND (`nsplice ... -- COMMAND`) is the user's program, not a role of
 * nsplice: it is forked before the supervisor loads its own filter and
 * inherits none of nsplice's allowlists.  It does keep the caller's
 * session and controlling terminal, which is what lets an interactive
 * shell run as COMMAND with job control.  The same terminal would let
 * anything in the target namespace push keystrokes into the caller's
 * input queue with ioctl(TIOCSTI), to be run by the caller's shell once
 * nsplice exits (or pasted with TIOCLINUX on a virtual console).  This
 * filter takes exactly those two requests away, as flatpak and
 * bubblewrap do, and allows everything else: a shell, its job control,
 * and sudo inside COMMAND keep working.
 *
 * The request is compared on its low 32 bits only: the kernel's tty code
 * takes it as an unsigned int, so TIOCSTI with junk in the high half is
 * still TIOCSTI (CVE-2019-10063).  The rules cover the native ABI and, on
 * x86_64 and arm64, the compat ABIs the kernel also runs (the request has
 * the same value there); a call through an ABI not in the filter fails
 * with ENOSYS rather than slipping past it.
 *
 * NO_NEW_PRIVS is not set: COMMAND runs in a user namespace of its own
 * (supervisor/netns.c), where it holds CAP_SYS_ADMIN, which is what the
 * kernel asks of a process loading a filter without NO_NEW_PRIVS.  So a
 * setuid program inside COMMAND still gains its privileges (sudo works
 * as root's COMMAND); the filter only makes two ioctl requests fail,
 * which no setuid program can be tricked by.  The filter, like any,
 * stays with COMMAND and everything it starts, across exec.
 *
 * Syscalls: seccomp(2), in COMMAND's process, before it execs.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "seccomp/seccomp.h"

/* CMD_IOCTL_REQ_MASK - the bits of an ioctl request the tty code reads */
#define CMD_IOCTL_REQ_MASK	0xffffffffULL

/* cmd_denied_ioctl - requests that write into a terminal's input */
static const uint32_t cmd_denied_ioctl[] = {
	TIOCSTI,	/* queue a byte as if typed */
	TIOCLINUX,	/* console selection paste, among others */
};

/* cmd_compat_arch - ABIs beside the native one the kernel may run */
static const uint32_t cmd_compat_arch[] = {
#if defined(__x86_64__)
	SCMP_ARCH_X86, SCMP_ARCH_X32,
#elif defined(__aarch64__)
	SCMP_ARCH_ARM,
#endif
	0,	/* end; keeps the array non-empty on other machines */
};

/**
 * cmd_filter_arches() - add the compat ABIs to the filter
 * @ctx:	filter holding the native ABI
 *
 * Return: 0, or a negative errno value
 */
static int cmd_filter_arches(scmp_filter_ctx ctx)
{
	size_t i;
	int rc;

	for (i = 0; cmd_compat_arch[i]; i++) {
		rc = seccomp_arch_add(ctx, cmd_compat_arch[i]);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/**
 * cmd_filter_build() - allow everything but the terminal injection ioctls
 * @ctx:	empty filter, default action allow
 *
 * Return: 0, or a negative errno value
 */
static int cmd_filter_build(scmp_filter_ctx ctx)
{
	size_t i;
	int rc;

	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				      SCMP_ACT_ERRNO(ENOSYS));
	if (!rc)
		rc = cmd_filter_arches(ctx);
	for (i = 0; !rc && i < ARRAY_LEN(cmd_denied_ioctl); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ,
					      CMD_IOCTL_REQ_MASK,
					      cmd_denied_ioctl[i]));
	return rc;
}

/**
 * seccomp_command_apply() - load COMMAND's filter into the calling process
 *
 * Called by COMMAND's process after it created its user namespace and
 * right before it execs COMMAND.  Nothing here calls fatal(): the caller
 * is a forked copy of the supervisor that reports errors over a pipe.
 *
 * Return: 0, or a negative errno value (nothing loaded)
 */
int seccomp_command_apply(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = cmd_filter_build(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}
