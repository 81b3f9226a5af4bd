// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * supervisor.c - the supervisor's and the spawner's seccomp allowlists
 *
 * DOC: Theory of Operation
 *
 * The supervisor holds the configuration, the namespace handles and the
 * children's pids; it may not touch the data path or parse traffic.  It
 * does not start its children itself: a small process forked before
 * either filter is loaded, the spawner (supervisor/spawner.c), holds
 * nsplice's binary and execs every child on the supervisor's request.  So
 * the supervisor's filter has no execve/execveat at all, no clone (it
 * never forks once filtered), no mount, pivot_root, chroot, unshare or
 * setns, no uid or gid change, no Landlock or seccomp calls: a
 * compromised supervisor cannot run another program, whatever descriptor
 * or path it hands the kernel (execveat() ignores its descriptor for an
 * absolute path, so no argument rule on execveat could have made that
 * promise).
 *
 * The spawner's filter is loaded once COMMAND is forked (COMMAND is the
 * user's program: it must never inherit an nsplice filter).  Filters
 * stack, so every child runs under it too, from its first instruction
 * after exec to its end: that list is the union of what every child,
 * before and after loading its own filter, needs.  That makes it broad -
 * the dynamic loader of a fresh child maps code (PROT_EXEC), and the relay
 * builds its namespaces - but it still takes away everything no part of
 * nsplice ever does:
 *
 *   execve (by path), ptrace, process_vm_readv/writev, bpf, io_uring_*,
 *   perf_event_open, userfaultfd, keyctl/add_key/request_key, init_module
 *   and friends, kexec_*, reboot, swapon, acct, quotactl, syslog,
 *   open_by_handle_at, the new mount API (fsopen, move_mount, ...),
 *   memfd_create, personality, ioperm/iopl, settimeofday/adjtimex, ...
 *
 * and restricts the dangerous calls it must keep: a child is exec'd only
 * from the fixed descriptor SECCOMP_EXE_FD with AT_EMPTY_PATH (the
 * spawner's request carries no path and no program: it always execs
 * nsplice); clone() only as the spawner's CLONE_PARENT fork, never
 * threads or namespaces; unshare() only the five namespaces the relay
 * builds; setns() only a user or network namespace; mount() only the
 * relay's two calls (private propagation, read-only tmpfs); ioctl() only
 * namespace queries, SIOCGIFINDEX and TCGETS (never TIOCSTI); prctl()
 * only the options nsplice uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "seccomp/seccomp.h"

/* SPAWNER_CLONE - the spawner's only clone(): a plain fork whose child
 * is the supervisor's (supervisor/spawner.c) */
#define SPAWNER_CLONE	(CLONE_PARENT | SIGCHLD)

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

/* sup_own - the supervisor's control socket and channel checks */
static const int sup_own[] = {
	SCMP_SYS(accept4),		/* --control clients */
	SCMP_SYS(getsockopt),		/* SO_PEERCRED, channel checks */
	SCMP_SYS(getsockname),
	SCMP_SYS(prlimit64),		/* the relay's limits */
	SCMP_SYS(pread64),
	SCMP_SYS(readlink),	/* -c FILE's path, checked at every reload
				 * (file_path_check(), realpath()) */
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
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),		/* UDP forwards: the
							 * relay's own filter
							 * narrows sendmmsg() */
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
	SECCOMP_PIDFD_GET_USERNS,	/* control socket peer check */
};

/**
 * sup_shared_restricted() - restricted calls the supervisor makes itself
 * @ctx:	filter
 *
 * Channels are socketpairs; prctl() and ioctl() only the listed requests.
 */
static void sup_shared_restricted(scmp_filter_ctx ctx)
{
	size_t i;

	ALLOW_IF(ctx, socketpair, SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX));
	for (i = 0; i < ARRAY_LEN(sup_prctl); i++)
		ALLOW_IF(ctx, prctl,
			 SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)sup_prctl[i]));
	for (i = 0; i < ARRAY_LEN(sup_ioctl); i++)
		ALLOW_IF(ctx, ioctl,
			 SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)sup_ioctl[i]));
}

/**
 * spawner_restricted() - the dangerous calls, each with its only use
 * @ctx:	filter
 *
 * Only the spawner and its children before their own filters get these.
 */
static void spawner_restricted(scmp_filter_ctx ctx)
{
	ALLOW_IF(ctx, clone, SCMP_A0(SCMP_CMP_EQ, SPAWNER_CLONE));
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
}

/**
 * sup_sockets() - sockets the children create before their own filters
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
	static const int netlink[] = { NETLINK_ROUTE, NETLINK_SOCK_DIAG };
	size_t i;

	filter_add_inet_sockets(ctx);
	for (i = 0; i < ARRAY_LEN(netlink); i++)
		ALLOW_IF(ctx, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK),
			 SCMP_A1_32(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK,
				    SOCK_RAW),
			 SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)netlink[i]));
	FAIL_IF(ctx, EAFNOSUPPORT, socket, SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX));
}

/**
 * add_common() - descriptors, memory and exit, as both lists need them
 * @ctx:	filter
 *
 * Memory keeps PROT_EXEC: in the spawner for a new child's dynamic
 * loader, in the supervisor for glibc's NSS modules (getpwnam() of
 * --runas when a reload re-reads the configuration).
 */
static void add_common(scmp_filter_ctx ctx)
{
	filter_add_fcntl(ctx);
	ALLOW_IF(ctx, fcntl, SCMP_A1_32(SCMP_CMP_EQ, F_DUPFD_CLOEXEC));
	ALLOW(ctx, mmap);
	ALLOW(ctx, mprotect);
	ALLOW(ctx, brk);
	ALLOW(ctx, munmap);
	ALLOW(ctx, mremap);
	ALLOW(ctx, madvise);
	filter_add_exit(ctx);
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
	filter_allow_list(ctx, sup_own, ARRAY_LEN(sup_own));
	sup_shared_restricted(ctx);
	/* No socket(): the control, notify and syslog sockets exist before
	 * the filter, channels are socketpairs, and nothing it parses names
	 * an interface. */
	add_common(ctx);
	filter_add_sanitizer(ctx, SECCOMP_SUPERVISOR);
	return ctx;
}

/**
 * seccomp_spawner_filter() - build the spawner's filter
 * @mode:	enum sandbox_mode
 *
 * Return: the filter, not loaded; every child inherits it
 */
scmp_filter_ctx seccomp_spawner_filter(enum sandbox_mode mode)
{
	scmp_filter_ctx ctx = filter_new(mode);

	filter_allow_list(ctx, sup_loop, ARRAY_LEN(sup_loop));
	filter_allow_list(ctx, sup_child_start, ARRAY_LEN(sup_child_start));
	filter_allow_list(ctx, sup_agents, ARRAY_LEN(sup_agents));
	filter_allow_list(ctx, sup_relay, ARRAY_LEN(sup_relay));
	sup_shared_restricted(ctx);
	spawner_restricted(ctx);
	sup_sockets(ctx);
	add_common(ctx);
	/* Same group as the supervisor's: the spawner is a fork of it. */
	filter_add_sanitizer(ctx, SECCOMP_SUPERVISOR);
	return ctx;
}
