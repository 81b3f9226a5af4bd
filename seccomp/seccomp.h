/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp.h - one seccomp allowlist per process role, built with libseccomp
 *
 * DOC: Theory of Operation
 *
 * Each role has one file here that builds its filter: relay.c, agent.c and
 * supervisor.c (the supervisor's and the spawner's).  A builder returns a libseccomp context and never loads it,
 * so the same code serves the running process (sandbox.c loads it) and the
 * export tool (export.c writes it with seccomp_export_pfc() to
 * seccomp/ROLE.pfc, which a test regenerates and compares, so that any
 * change to an allowlist shows up in review as a text diff).
 *
 * Every filter:
 *  - covers the native architecture only; a system call made through any
 *    other ABI (x32, or i386 through int 0x80 on x86_64) kills the process
 *    (SCMP_FLTATR_ACT_BADARCH);
 *  - kills the whole process on anything not listed (SCMP_ACT_KILL_PROCESS:
 *    the supervisor reports it as "killed by seccomp (SIGSYS)"), or only
 *    logs it to the kernel audit log with --sandbox=log (SCMP_ACT_LOG), for
 *    packagers chasing a missing system call;
 *  - restricts arguments where a call is dangerous: fcntl() commands,
 *    setsockopt() level/option pairs, no PROT_EXEC in mmap()/mprotect(),
 *    the descriptors the relay may write to or send on.
 *
 * Filters stack: the spawner's filter (supervisor/spawner.c, the process
 * that execs every child) keeps applying to every child after it loads
 * its own.  The spawner's list is therefore the union of what every role
 * needs, before and after its own filter; what it takes away is what no
 * part of nsplice ever needs (ptrace, bpf, io_uring, execve by path,
 * keyrings, kernel modules, ...).  The supervisor's own filter is much
 * narrower: it never execs, forks, mounts or enters a namespace.
 *
 * Sanitizer builds (NSPLICE_SANITIZE) add, in one clearly separated group
 * (filter_add_sanitizer()), the calls the ASan/UBSan runtime makes on its
 * own; the release filters, and the committed PFC files, never contain it.
 */
#ifndef NSPLICE_SECCOMP_H
#define NSPLICE_SECCOMP_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * enum sandbox_mode - what a filter does with a call it does not list
 * @SANDBOX_ENFORCE:	kill the process (the default)
 * @SANDBOX_LOG:	log it and let it through (--sandbox=log, debugging)
 */
enum sandbox_mode {
	SANDBOX_ENFORCE = 0,
	SANDBOX_LOG,
};

/**
 * enum seccomp_role - the roles that have a filter, index of seccomp_roles
 * @SECCOMP_RELAY:	the relay
 * @SECCOMP_AGENT:	either agent
 * @SECCOMP_SUPERVISOR:	the supervisor
 * @SECCOMP_SPAWNER:	the spawner (and every child until it loads its own)
 */
enum seccomp_role {
	SECCOMP_RELAY = 0,
	SECCOMP_AGENT,
	SECCOMP_SUPERVISOR,
	SECCOMP_SPAWNER,
	SECCOMP_ROLE_COUNT
};

/* SECCOMP_EXE_FD - descriptor a child execs nsplice from (execveat); only
 * the spawner's filter allows execveat at all */
#define SECCOMP_EXE_FD		64

/* SECCOMP_CHAN_FD_MIN, SECCOMP_CHAN_FD_MAX - a child's channel fds */
#define SECCOMP_CHAN_FD_MIN	3
#define SECCOMP_CHAN_FD_MAX	5

/* SECCOMP_LOG_FD - the log pipe, the only descriptor write() may use */
#define SECCOMP_LOG_FD		2

extern const char *const seccomp_role_names[SECCOMP_ROLE_COUNT];

scmp_filter_ctx seccomp_relay_filter(enum sandbox_mode mode);
scmp_filter_ctx seccomp_agent_filter(enum sandbox_mode mode);
scmp_filter_ctx seccomp_supervisor_filter(enum sandbox_mode mode);
scmp_filter_ctx seccomp_spawner_filter(enum sandbox_mode mode);
scmp_filter_ctx seccomp_role_filter(enum seccomp_role role,
				    enum sandbox_mode mode);

/* command.c: COMMAND's own filter (no TIOCSTI), not a role's */
int seccomp_command_apply(void);

/* SECCOMP_PIDFD_GET_USERNS - ioctl(pidfd) opening the process's user
 * namespace, Linux 6.11 (linux/pidfd.h), which build headers may lack;
 * the control socket's peer check (supervisor/control.c) */
#define SECCOMP_PIDFD_GET_USERNS	_IO(0xFF, 9)

/* filter.c: helpers shared by the role files */
/* SOCK_TYPE_MASK - socket type without SOCK_NONBLOCK and SOCK_CLOEXEC */
#define SOCK_TYPE_MASK	0xf

scmp_filter_ctx filter_new(enum sandbox_mode mode);
void filter_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
		 const struct scmp_arg_cmp *cmp, unsigned ncmp);
void filter_allow_list(scmp_filter_ctx ctx, const int *nrs, size_t n);
void filter_add_memory(scmp_filter_ctx ctx);
void filter_add_exit(scmp_filter_ctx ctx);
void filter_add_inet_sockets(scmp_filter_ctx ctx);
void filter_add_fcntl(scmp_filter_ctx ctx);
void filter_add_sanitizer(scmp_filter_ctx ctx, enum seccomp_role role);
int filter_load(scmp_filter_ctx ctx);

/* ALLOW() - allow a system call whatever its arguments */
#define ALLOW(ctx, name)						\
	filter_rule((ctx), SCMP_ACT_ALLOW, SCMP_SYS(name), NULL, 0)

/* ALLOW_IF() - allow a system call when every comparison holds */
#define ALLOW_IF(ctx, name, ...)					\
	filter_rule((ctx), SCMP_ACT_ALLOW, SCMP_SYS(name),		\
		    (const struct scmp_arg_cmp[]){ __VA_ARGS__ },	\
		    sizeof((const struct scmp_arg_cmp[]){ __VA_ARGS__ }) /	\
		    sizeof(struct scmp_arg_cmp))

/* FAIL_IF() - make a system call fail with @err when the comparisons hold */
#define FAIL_IF(ctx, err, name, ...)					\
	filter_rule((ctx), SCMP_ACT_ERRNO(err), SCMP_SYS(name),		\
		    (const struct scmp_arg_cmp[]){ __VA_ARGS__ },	\
		    sizeof((const struct scmp_arg_cmp[]){ __VA_ARGS__ }) /	\
		    sizeof(struct scmp_arg_cmp))

/* FAIL() - make a system call fail with @err whatever its arguments */
#define FAIL(ctx, err, name)						\
	filter_rule((ctx), SCMP_ACT_ERRNO(err), SCMP_SYS(name), NULL, 0)

/* ARRAY_LEN() - entries in a fixed-size array */
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* NSPLICE_SECCOMP_H */
