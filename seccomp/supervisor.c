// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * supervisor.c - the supervisor's seccomp allowlist
 *
 * DOC: Theory of Operation
 *
 * The supervisor holds the configuration, the namespace handles and the
 * children's pids; it may not touch the data path or parse traffic.  Its
 * filter is loaded once COMMAND is forked (COMMAND is the user's program:
 * it must never inherit an nsplice filter) and before the first child
 * starts.  Filters stack, so every child runs under this one too, from its
 * first instruction after exec to its end: this list is the union of what
 * the supervisor, and every child before and after loading its own filter,
 * needs.  That makes it broad - the dynamic loader of a fresh child maps
 * code (PROT_EXEC), and the relay builds its namespaces - but it still
 * takes away everything no part of nsplice ever does:
 *
 *   execve (by path), ptrace, process_vm_readv/writev, bpf, io_uring_*,
 *   perf_event_open, userfaultfd, keyctl/add_key/request_key, init_module
 *   and friends, kexec_*, reboot, swapon, acct, quotactl, syslog,
 *   open_by_handle_at, the new mount API (fsopen, move_mount, ...),
 *   memfd_create, personality, ioperm/iopl, settimeofday/adjtimex, ...
 *
 * and restricts the dangerous calls it must keep: a child is exec'd only
 * from the fixed descriptor SECCOMP_EXE_FD with AT_EMPTY_PATH; clone()
 * creates processes, never threads or namespaces; unshare() only the five
 * namespaces the relay builds; setns() only a user or network namespace;
 * mount() only the relay's two calls (private propagation, read-only
 * tmpfs); ioctl() only namespace queries, SIOCGIFINDEX and TCGETS (never
 * TIOCSTI); prctl() only the options nsplice uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "seccomp.h"

/* SOCK_TYPE_MASK - socket type without SOCK_NONBLOCK and SOCK_CLOEXEC */
#define SOCK_TYPE_MASK	0xf

/* CLONE_FORBIDDEN - clone() flags a fork of the supervisor never uses */
#define CLONE_FORBIDDEN	(CLONE_VM | CLONE_THREAD | CLONE_NEWNS |	\
			 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |	\
			 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

/* UNSHARE_ALLOWED - the namespaces the relay creates for itself */
#define UNSHARE_ALLOWED	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET |	\
			 CLONE_NEWIPC | CLONE_NEWUTS)

/* MOUNT_PRIVATE, MOUNT_EMPTY_ROOT - flags of the relay's two mounts */
#define MOUNT_PRIVATE		(MS_REC | MS_PRIVATE)
#define MOUNT_EMPTY_ROOT	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* sup_loop - the supervisor's own poll loop, signals, children, logs */
static const int sup_loop[] = {
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	SCMP_SYS(wait4), SCMP_SYS(waitid),	/* reaping */
	SCMP_SYS(kill), SCMP_SYS(pidfd_send_signal), /* stopping children */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime), SCMP_SYS(signalfd4),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(openat),		/* /proc/sys limits for the relay */
	SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(lseek),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat),	/* --pid-file at exit */
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getrandom),
	SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe2),
	/* glibc 2.36's qsort() sizes its merge buffer against physical
	 * memory (sysconf(_SC_PHYS_PAGES)) once the array passes ~1 KiB:
	 * sorting the forward table after a large reload, ctl add or auto
	 * change must not kill the supervisor. */
	SCMP_SYS(sysinfo),
};

/* sup_child_start - a fresh child, from exec to its own filter */
static const int sup_child_start[] = {
	SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(prlimit64),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(pread64),
	SCMP_SYS(readlink), SCMP_SYS(close_range),
	SCMP_SYS(fstatfs),			/* libcap-ng: is /proc procfs */
	SCMP_SYS(capget), SCMP_SYS(capset),	/* capability drops */
	SCMP_SYS(seccomp),			/* their own filter */
	SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
	SCMP_SYS(landlock_restrict_self),
};

/* sup_agents - what agents do (socket() is restricted below) */
static const int sup_agents[] = {
	SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(getsockname),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
};

/* sup_relay - the relay's data path and its sandbox construction */
static const int sup_relay[] = {
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(shutdown),
	SCMP_SYS(splice), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid),	/* --runas */
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(chdir),
	SCMP_SYS(fchdir), SCMP_SYS(mkdir), SCMP_SYS(rmdir),
};

/* sup_prctl - prctl() options used by nsplice and its libraries */
static const int sup_prctl[] = {
	PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS,
	PR_SET_DUMPABLE, PR_GET_DUMPABLE, PR_SET_KEEPCAPS, PR_GET_KEEPCAPS,
	PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_GET_SECUREBITS,
	PR_SET_NAME, PR_GET_NAME,
};

/* sup_ioctl - ioctl() requests: namespace checks, interfaces, isatty */
static const unsigned long sup_ioctl[] = {
	NS_GET_NSTYPE, NS_GET_USERNS, SIOCGIFINDEX, TCGETS,
};

/**
 * sup_restricted() - the dangerous calls, each with its only use
 * @ctx:	filter
 */
static void sup_restricted(scmp_filter_ctx ctx)
{
	size_t i;

	ALLOW_IF(ctx, clone, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_FORBIDDEN, 0));
	FAIL(ctx, ENOSYS, clone3);	/* glibc falls back to clone() */
	ALLOW_IF(ctx, execveat, SCMP_A0_32(SCMP_CMP_EQ, SECCOMP_EXE_FD),
		 SCMP_A4_32(SCMP_CMP_EQ, AT_EMPTY_PATH));
	ALLOW_IF(ctx, unshare, SCMP_A0(SCMP_CMP_MASKED_EQ,
				       ~(uint64_t)UNSHARE_ALLOWED, 0));
	ALLOW_IF(ctx, setns, SCMP_A1_32(SCMP_CMP_EQ, CLONE_NEWUSER));
	ALLOW_IF(ctx, setns, SCMP_A1_32(SCMP_CMP_EQ, CLONE_NEWNET));
	ALLOW_IF(ctx, mount, SCMP_A3(SCMP_CMP_EQ, MOUNT_PRIVATE));
	ALLOW_IF(ctx, mount, SCMP_A3(SCMP_CMP_EQ, MOUNT_EMPTY_ROOT));
	ALLOW_IF(ctx, umount2, SCMP_A1_32(SCMP_CMP_EQ, MNT_DETACH));
	ALLOW_IF(ctx, setgroups, SCMP_A0_32(SCMP_CMP_EQ, 0));
	ALLOW_IF(ctx, socketpair, SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX));
	for (i = 0; i < ARRAY_LEN(sup_prctl); i++)
		ALLOW_IF(ctx, prctl,
			 SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)sup_prctl[i]));
	for (i = 0; i < ARRAY_LEN(sup_ioctl); i++)
		ALLOW_IF(ctx, ioctl,
			 SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)sup_ioctl[i]));
}

/**
 * sup_sockets() - sockets: the agents' kinds, channels as socketpairs
 * @ctx:	filter
 *
 * Same rules as the agents' filter: TCP/UDP over IPv4/IPv6, rtnetlink;
 * AF_UNIX sockets fail so glibc's if_nametoindex() falls back to AF_INET.
 * Plus NETLINK_SOCK_DIAG, which an agent opens before its own filter (the
 * "auto" scan, nsagent/scan.c): it only lists sockets of the caller's
 * network namespace.
 */
static void sup_sockets(scmp_filter_ctx ctx)
{
	static const int inet[] = { AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	static const int netlink[] = { NETLINK_ROUTE, NETLINK_SOCK_DIAG };
	size_t i, j;

	for (i = 0; i < ARRAY_LEN(inet); i++)
		for (j = 0; j < ARRAY_LEN(types); j++)
			ALLOW_IF(ctx, socket,
				 SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)inet[i]),
				 SCMP_A1_32(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
					    (uint32_t)types[j]));
	for (i = 0; i < ARRAY_LEN(netlink); i++)
		ALLOW_IF(ctx, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK),
			 SCMP_A1_32(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
				    SOCK_RAW),
			 SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)netlink[i]));
	FAIL_IF(ctx, EAFNOSUPPORT, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX));
}

/**
 * seccomp_supervisor_filter() - build the supervisor's filter
 * @mode:	enum sandbox_mode
 *
 * Return: the filter, not loaded
 */
scmp_filter_ctx seccomp_supervisor_filter(enum sandbox_mode mode)
{
	scmp_filter_ctx ctx = filter_new(mode);

	filter_allow_list(ctx, sup_loop, ARRAY_LEN(sup_loop));
	filter_allow_list(ctx, sup_child_start, ARRAY_LEN(sup_child_start));
	filter_allow_list(ctx, sup_agents, ARRAY_LEN(sup_agents));
	filter_allow_list(ctx, sup_relay, ARRAY_LEN(sup_relay));
	sup_restricted(ctx);
	sup_sockets(ctx);
	/* Any descriptor command the children use, and F_DUPFD_CLOEXEC
	 * for spawn.c's descriptor shuffle. */
	filter_add_fcntl(ctx);
	ALLOW_IF(ctx, fcntl, SCMP_A1_32(SCMP_CMP_EQ, F_DUPFD_CLOEXEC));
	/* A new child's dynamic loader maps libraries executable. */
	ALLOW(ctx, mmap);
	ALLOW(ctx, mprotect);
	ALLOW(ctx, brk);
	ALLOW(ctx, munmap);
	ALLOW(ctx, mremap);
	ALLOW(ctx, madvise);
	filter_add_exit(ctx);
	filter_add_sanitizer(ctx, SECCOMP_SUPERVISOR);
	return ctx;
}
