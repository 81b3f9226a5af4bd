// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * landlock.c - Landlock layers: no files, no TCP bind, connect to targets
 *
 * DOC: Theory of Operation
 *
 * Landlock lets an unprivileged process take rights away from itself, in
 * layers that stack and can never be removed.  nsplice uses it beside
 * seccomp because seccomp cannot look at the address of a connect(): only
 * Landlock can say "TCP connect to these ports only".
 *
 * The ABI version is asked once (landlock_abi()) and every part is used
 * only if the kernel has it:
 *  - ABI 1-3, 5: every filesystem access right the kernel knows is
 *    handled and none is granted, so no file can be opened, created,
 *    executed or truncated, whatever the mount namespace shows;
 *  - ABI 4: TCP bind() handled with no port granted (denied), and, in a
 *    second layer added once the target ports are known, TCP connect()
 *    handled with exactly those ports granted;
 *  - ABI 6: signals and abstract unix sockets scoped to the domain, so the
 *    process cannot signal or reach anything outside its own sandbox.
 * Denials return EACCES, and the kernel (ABI 7) logs them to the audit
 * log.
 *
 * Syscalls: landlock_create_ruleset, landlock_add_rule,
 * landlock_restrict_self, close.
 */
#include <errno.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp/landlock.h"

/* LL_FS_ABI1 - filesystem rights of ABI 1: EXECUTE .. MAKE_SYM */
#define LL_FS_ABI1		((1ULL << 13) - 1)

/* LL_FS_REFER, LL_FS_TRUNCATE, LL_FS_IOCTL_DEV - added in ABI 2, 3, 5 */
#define LL_FS_REFER		(1ULL << 13)
#define LL_FS_TRUNCATE		(1ULL << 14)
#define LL_FS_IOCTL_DEV		(1ULL << 15)

/* LL_ABI_* - first ABI versions of the filesystem rights above */
#define LL_ABI_REFER		2
#define LL_ABI_TRUNCATE		3
#define LL_ABI_IOCTL_DEV	5

/* LL_ATTR_SIZE_* - size of struct ll_ruleset_attr each ABI knows, bytes */
#define LL_ATTR_SIZE_FS		8
#define LL_ATTR_SIZE_NET	16
#define LL_ATTR_SIZE_SCOPE	24

/**
 * struct ll_ruleset_attr - struct landlock_ruleset_attr as of ABI 6
 * @handled_access_fs:	filesystem rights handled (denied unless granted)
 * @handled_access_net:	network rights handled
 * @scoped:		IPC scopes
 */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/**
 * struct ll_net_port_attr - struct landlock_net_port_attr (ABI 4)
 * @allowed_access:	rights granted for @port
 * @port:		TCP port, host byte order
 */
struct ll_net_port_attr {
	/* Read by the kernel only, never by nsplice */
	/* cppcheck-suppress unusedStructMember */
	uint64_t allowed_access;
	uint64_t port;
};

/**
 * landlock_abi() - the Landlock ABI version of the running kernel
 *
 * Return: the version, or 0 if Landlock is missing or disabled
 */
int landlock_abi(void)
{
	static int abi = -1;
	long v;

	if (abi >= 0)
		return abi;
	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
		    LANDLOCK_CREATE_RULESET_VERSION);
	abi = v > 0 ? (int)v : 0;
	return abi;
}

/**
 * fs_rights() - every filesystem right an ABI version knows
 * @abi:	version, at least 1
 *
 * Return: access mask
 */
static uint64_t fs_rights(int abi)
{
	uint64_t m = LL_FS_ABI1;

	if (abi >= LL_ABI_REFER)
		m |= LL_FS_REFER;
	if (abi >= LL_ABI_TRUNCATE)
		m |= LL_FS_TRUNCATE;
	if (abi >= LL_ABI_IOCTL_DEV)
		m |= LL_FS_IOCTL_DEV;
	return m;
}

/**
 * attr_size() - bytes of struct ll_ruleset_attr to pass for an ABI
 * @abi:	version
 *
 * Return: size
 */
static size_t attr_size(int abi)
{
	if (abi >= LL_ABI_SCOPE)
		return LL_ATTR_SIZE_SCOPE;
	if (abi >= LL_ABI_NET)
		return LL_ATTR_SIZE_NET;
	return LL_ATTR_SIZE_FS;
}

/**
 * enforce() - restrict the calling thread with a ruleset, then close it
 * @fd:		ruleset descriptor
 *
 * NO_NEW_PRIVS must already be set.
 *
 * Return: 0, or -1 with errno set
 */
static int enforce(int fd)
{
	int rc = (int)syscall(SYS_landlock_restrict_self, fd, 0);
	int err = errno;

	close(fd);
	errno = err;
	return rc;
}

/**
 * landlock_restrict_base() - the first layer: no files, no bind, scoped
 * @deny_bind:	also deny every TCP bind() (the relay binds nothing)
 * @got:	filled with what the layer restricts
 *
 * Return: 0, 1 if the kernel has no Landlock (nothing done), or -1 with
 * errno set
 */
int landlock_restrict_base(bool deny_bind, struct ll_layers *got)
{
	struct ll_ruleset_attr attr = { 0 };
	int abi = landlock_abi();
	int fd;

	*got = (struct ll_layers){ .abi = abi };
	if (!abi)
		return 1;
	attr.handled_access_fs = fs_rights(abi);
	if (deny_bind && abi >= LL_ABI_NET)
		attr.handled_access_net = LL_NET_BIND_TCP;
	if (abi >= LL_ABI_SCOPE)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size(abi),
			  0);
	if (fd < 0 || enforce(fd))
		return -1;
	got->fs = true;
	got->bind = attr.handled_access_net != 0;
	got->scope = attr.scoped != 0;
	return 0;
}

/**
 * landlock_restrict_connect() - allow TCP connect() to these ports only
 * @ports:	ports, host byte order; duplicates are fine
 * @n:		entries in @ports; 0 denies every connect()
 *
 * A layer of its own: it handles only the connect right, so it leaves
 * what the base layer decided untouched.
 *
 * Return: 0, 1 if the kernel has no Landlock network support (nothing
 * done), or -1 with errno set
 */
int landlock_restrict_connect(const uint16_t *ports, unsigned n)
{
	struct ll_ruleset_attr attr = { 0 };
	struct ll_net_port_attr rule = { .allowed_access = LL_NET_CONNECT_TCP };
	unsigned i;
	int fd, err;

	if (landlock_abi() < LL_ABI_NET)
		return 1;
	attr.handled_access_net = LL_NET_CONNECT_TCP;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, LL_ATTR_SIZE_NET,
			  0);
	if (fd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		rule.port = ports[i];
		if (syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, &rule,
			    0)) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
	}
	return enforce(fd);
}
