// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter.c - what every role's seccomp filter has in common
 *
 * DOC: Theory of Operation
 *
 * filter_new() creates a context for the native architecture with the
 * default action of the sandbox mode and every foreign ABI killed;
 * filter_rule() adds one rule and treats a rule libseccomp refuses as a bug
 * in the allowlist (fatal: a filter with a silently missing rule is worse
 * than none).  The groups below are shared because every role needs them
 * for the same reason: memory for malloc() that is never executable, a way
 * to exit, and the fcntl() commands nsplice uses on its own descriptors.
 *
 * filter_add_sanitizer() is the one place where sanitizer builds widen a
 * filter.  It is compiled only with NSPLICE_SANITIZE; release filters and
 * the committed PFC files never contain it.
 *
 * Syscalls: seccomp(2) through seccomp_load().
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "ipc/log.h"
#include "seccomp/seccomp.h"

const char *const seccomp_role_names[SECCOMP_ROLE_COUNT] = {
	[SECCOMP_RELAY] = "relay",
	[SECCOMP_AGENT] = "agent",
	[SECCOMP_SUPERVISOR] = "supervisor",
	[SECCOMP_SPAWNER] = "spawner",
};

/**
 * filter_new() - empty filter for the native architecture
 * @mode:	enum sandbox_mode: default action kill, or log
 *
 * Return: the context; the process exits if libseccomp fails
 */
scmp_filter_ctx filter_new(enum sandbox_mode mode)
{
	uint32_t def = mode == SANDBOX_LOG ? SCMP_ACT_LOG :
					     SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx = seccomp_init(def);

	if (!ctx)
		fatal("seccomp: cannot create a filter");
	/* Only SCMP_ARCH_NATIVE is in the context; anything else (x32,
	 * int 0x80) is a way around the list: kill, even in log mode. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS))
		fatal("seccomp: cannot set the bad-architecture action");
	return ctx;
}

/**
 * filter_rule() - add one rule, or exit
 * @ctx:	filter
 * @action:	SCMP_ACT_ALLOW or SCMP_ACT_ERRNO(...)
 * @nr:		system call number (SCMP_SYS())
 * @cmp:	argument comparisons, all of which must hold, or NULL
 * @ncmp:	number of comparisons
 *
 * In log mode an ERRNO rule is still added: such calls are expected to fail
 * (a library falls back), and logging them would only be noise.
 */
void filter_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
		 const struct scmp_arg_cmp *cmp, unsigned ncmp)
{
	int rc = seccomp_rule_add_exact_array(ctx, action, nr, ncmp, cmp);
	char *name;

	if (!rc)
		return;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	fatal("seccomp: cannot add a rule for %s: %s", name ? name : "?",
	      strerror(-rc));
}

/**
 * filter_allow_list() - allow each of a list of calls, any arguments
 * @ctx:	filter
 * @nrs:	system call numbers
 * @n:		entries in @nrs
 */
void filter_allow_list(scmp_filter_ctx ctx, const int *nrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		filter_rule(ctx, SCMP_ACT_ALLOW, nrs[i], NULL, 0);
}

/**
 * filter_add_memory() - malloc()'s calls, never making memory executable
 * @ctx:	filter
 *
 * mmap() and mprotect() without PROT_EXEC: a compromised process cannot
 * turn data it controls into code.  madvise() only gives memory back.
 */
void filter_add_memory(scmp_filter_ctx ctx)
{
	ALLOW(ctx, brk);
	ALLOW(ctx, munmap);
	ALLOW(ctx, mremap);		/* realloc() of large blocks */
	ALLOW_IF(ctx, mmap, SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW_IF(ctx, mprotect, SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW_IF(ctx, madvise, SCMP_A2_32(SCMP_CMP_EQ, MADV_DONTNEED));
	ALLOW_IF(ctx, madvise, SCMP_A2_32(SCMP_CMP_EQ, MADV_FREE));
}

/**
 * filter_add_exit() - ending the process, and what the kernel restarts
 * @ctx:	filter
 */
void filter_add_exit(scmp_filter_ctx ctx)
{
	ALLOW(ctx, exit_group);
	ALLOW(ctx, exit);
	ALLOW(ctx, restart_syscall);	/* issued by the kernel after a stop */
}

/**
 * filter_add_inet_sockets() - allow TCP and UDP sockets of both families
 * @ctx:	filter
 *
 * socket(AF_INET or AF_INET6, SOCK_STREAM or SOCK_DGRAM, any protocol),
 * with SOCK_NONBLOCK and SOCK_CLOEXEC: what an agent makes listeners and
 * pool sockets with, and what the spawner's children inherit the right
 * to.
 */
void filter_add_inet_sockets(scmp_filter_ctx ctx)
{
	static const int inet[] = { AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	size_t i, j;

	for (i = 0; i < ARRAY_LEN(inet); i++)
		for (j = 0; j < ARRAY_LEN(types); j++)
			ALLOW_IF(ctx, socket,
				 SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)inet[i]),
				 SCMP_A1_32(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
					    (uint32_t)types[j]));
}

/**
 * filter_add_fcntl() - the fcntl() commands nsplice uses
 * @ctx:	filter
 *
 * Flags, close-on-exec and pipe sizes only.  Not F_SETOWN/F_SETSIG (signals
 * to another process), F_SETLEASE, F_NOTIFY, locks or F_DUPFD.
 */
void filter_add_fcntl(scmp_filter_ctx ctx)
{
	static const int cmds[] = {
		F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETPIPE_SZ,
		F_SETPIPE_SZ,
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(cmds); i++)
		ALLOW_IF(ctx, fcntl, SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)cmds[i]));
}

#ifdef NSPLICE_SANITIZE
/**
 * filter_add_sanitizer() - calls the ASan/UBSan runtime makes by itself
 * @ctx:	filter
 * @role:	enum seccomp_role
 *
 * Sanitizer builds only.  The runtime maps its shadow memory and
 * allocator regions with madvise() hints, checks signal stacks, spins
 * with sched_yield(), and on an error report reads /proc/self/maps (not
 * present in the relay's empty root: the open just fails).  The
 * supervisor also runs LeakSanitizer at exit, which stops the world with
 * a clone()d tracer that reads /proc/PID/task with open(2) (not openat on
 * x86_64) and ptrace()s the process; children turn leak checking off
 * (see sandbox.c), so only the supervisor gets those.
 */
void filter_add_sanitizer(scmp_filter_ctx ctx, enum seccomp_role role)
{
	static const int runtime[] = {
		SCMP_SYS(madvise), SCMP_SYS(sigaltstack),
		SCMP_SYS(sched_yield), SCMP_SYS(getpid), SCMP_SYS(gettid),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(tgkill), SCMP_SYS(readlink),
		SCMP_SYS(prctl), SCMP_SYS(futex),
	};
	static const int leak_check[] = {
		SCMP_SYS(clone), SCMP_SYS(ptrace), SCMP_SYS(wait4),
		SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(open),
		SCMP_SYS(openat),
		SCMP_SYS(process_vm_readv),
	};

	filter_allow_list(ctx, runtime, ARRAY_LEN(runtime));
	if (role != SECCOMP_SUPERVISOR) {
		/* error reports read /proc/self/maps, absent here anyway */
		FAIL(ctx, ENOENT, open);
		FAIL(ctx, ENOENT, openat);
		return;
	}
	filter_allow_list(ctx, leak_check, ARRAY_LEN(leak_check));
}
#else
/**
 * filter_add_sanitizer() - nothing in release builds
 * @ctx:	filter
 * @role:	enum seccomp_role
 */
void filter_add_sanitizer(scmp_filter_ctx ctx, enum seccomp_role role)
{
	(void)ctx;
	(void)role;
}
#endif

/**
 * filter_load() - load a filter into the kernel and free the context
 * @ctx:	filter
 *
 * libseccomp sets NO_NEW_PRIVS before loading (SCMP_FLTATR_CTL_NNP); the
 * callers have already set it themselves.
 *
 * Return: 0, or a negative errno value
 */
int filter_load(scmp_filter_ctx ctx)
{
	int rc = seccomp_load(ctx);

	seccomp_release(ctx);
	return rc;
}

/**
 * seccomp_role_filter() - build the filter of a role by its index
 * @role:	enum seccomp_role
 * @mode:	enum sandbox_mode
 *
 * Return: the filter, not loaded
 */
scmp_filter_ctx seccomp_role_filter(enum seccomp_role role,
				    enum sandbox_mode mode)
{
	switch (role) {
	case SECCOMP_RELAY:
		return seccomp_relay_filter(mode);
	case SECCOMP_AGENT:
		return seccomp_agent_filter(mode);
	case SECCOMP_SPAWNER:
		return seccomp_spawner_filter(mode);
	case SECCOMP_SUPERVISOR:
	default:
		return seccomp_supervisor_filter(mode);
	}
}
