// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sandbox.c - isolation of the relay, the agents and the supervisor
 *
 * DOC: Theory of Operation
 *
 * The relay holds the sockets it was given and its pipes; it may not create
 * a socket, open a file, exec, fork, or gain any privilege.  Right after
 * exec and the common child set-up (cmd/role.c), sandbox_relay_enter() runs
 * these stages, in this order, each named for what it takes away:
 *
 *  1. descriptors - only the log pipe (2) and the channels (3-5) are open:
 *     no terminal, whose TIOCSTI could type into the user's shell
 *     (bubblewrap's CVE-2017-5226);
 *  2. identity - as root: change to the --runas user (nsplice, else
 *     nobody) with libcap-ng, keeping in the permitted set only what the
 *     fallback of stage 3 needs.  Pipe pages are accounted to the real
 *     uid, so from here on they land on that user, never on root;
 *  3. namespaces - unshare a user, mount, network, IPC and UTS namespace,
 *     as that user (so the user namespace belongs to it).  Without user
 *     namespaces (user.max_user_namespaces=0): as root, the same minus the
 *     user namespace, with the capabilities kept in stage 2; unprivileged,
 *     a warning, and seccomp and Landlock have to do alone;
 *  4. root - make every mount private, mount an empty read-only tmpfs
 *     (one inode, four KiB, nosuid, nodev, noexec) on an existing
 *     directory, pivot_root() into it and detach the old root: no file
 *     is reachable by any path.  Fallback: chroot() into a directory that
 *     is deleted as soon as it is entered (nothing can ever be created in
 *     it);
 *  5. capabilities - every set empty (libcap-ng), the bounding set
 *     included (prctl: libcap-ng would look for it in /proc);
 *  6. flags - NO_NEW_PRIVS, non-dumpable (no ptrace, no core, /proc/PID
 *     owned by root), parent-death signal re-armed (a uid change clears it);
 *  7. rlimits - RLIMIT_NPROC 0, RLIMIT_FSIZE 0, RLIMIT_CORE 0,
 *     RLIMIT_NOFILE capped at RELAY_NOFILE_MAX (soft and hard);
 *  8. landlock - no filesystem access, no TCP bind, signals and abstract
 *     unix sockets scoped; TCP connect is limited to the target ports in a
 *     second layer once they are known (sandbox_relay_connect_lock());
 *  9. seccomp - the relay's allowlist (seccomp/relay.c), last, because the
 *     stages above need calls it forbids.
 * It then says, at info level, which layers are active.
 *
 * Agents (sandbox_agent_enter()) have entered their namespace and dropped
 * their capabilities already (nsagent/enter.c); they add Landlock (no
 * files, scoped) and their own allowlist.  The supervisor
 * (sandbox_supervisor_enter()) keeps, as root, only CAP_KILL; the
 * spawner that execs its children (sandbox_spawner_enter()) keeps the
 * capabilities the children need.  Both load their filters once COMMAND
 * is forked; the children inherit the spawner's.
 *
 * Syscalls: capget, capset, prctl, setgroups, setresgid, setresuid,
 * unshare, openat and write (uid_map), mount, umount2, pivot_root, chdir,
 * fchdir, chroot, mkdir, rmdir, prlimit64, landlock_*, seccomp.
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/msg.h"
#include "ipc/portset.h"
#include "seccomp/landlock.h"
#include "seccomp/sandbox.h"

/* Equal by today's definitions, which is the point: the assertion holds
 * whichever of the three constants is changed later */
/* NOLINTNEXTLINE(misc-redundant-expression) */
_Static_assert(RELAY_NOFILE_MAX >= 2U * FLOW_SLOTS_MAX + RELAY_NOFILE_RESERVE,
	       "RELAY_NOFILE_MAX must cover the largest flow table");

/* RELAY_NS - namespaces the relay creates for itself */
#define RELAY_NS	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET |	\
			 CLONE_NEWIPC | CLONE_NEWUTS)

/* EMPTY_ROOT_FLAGS, EMPTY_ROOT_OPTS - the relay's root file system: the
 * root directory is its only inode, and it is read-only */
#define EMPTY_ROOT_FLAGS	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define EMPTY_ROOT_OPTS		"size=4k,nr_inodes=1,mode=0555"

/* EMPTY_DIR_TEMPLATE - chroot fallback: deleted as soon as it is entered */
#define EMPTY_DIR_TEMPLATE	"/tmp/nsplice-empty.XXXXXX"

/* ID_MAP_MAX - bytes of one uid_map or gid_map line */
#define ID_MAP_MAX		64


/* LOG_LAYERS_MAX - bytes of the line naming the active layers */
#define LOG_LAYERS_MAX		400

/* empty_root_dirs - existing directories the empty tmpfs is mounted on */
static const char *const empty_root_dirs[] = { "/tmp", "/proc", "/dev" };

/* spawner_caps - what a root spawner keeps: the children it execs need them
 * (a root child execs with the bounding set as its capabilities) */
static const int spawner_caps[] = {
	CAP_SYS_ADMIN,		/* agent[target]: setns(); relay: fallback */
	CAP_SETUID,		/* relay: --runas */
	CAP_SETGID,
	CAP_SETPCAP,		/* children: clear their bounding set */
	CAP_SYS_CHROOT,		/* relay: fallback root */
	CAP_NET_BIND_SERVICE,	/* agents: ports below 1024 */
	CAP_KILL,		/* stopping a relay that runs as --runas */
};

/* supervisor_caps - what a root supervisor keeps for itself: since the
 * spawner starts the children, only signalling a relay that runs as
 * --runas (another uid) is left to it */
static const int supervisor_caps[] = {
	CAP_KILL,
};

/* relay_fallback_caps - kept across the uid change for stage 3's fallback */
static const int relay_fallback_caps[] = {
	CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETPCAP,
};

static struct sandbox_cfg cfg;

/**
 * struct sandbox_state - what the relay's stages achieved, for the report
 * @sandboxed:	this process is a sandboxed child (LeakSanitizer stays off)
 * @ns:		CLONE_NEW* flags of the namespaces created
 * @root:	what the root directory became, NULL if unchanged
 * @bounding:	the bounding set could be cleared
 * @nofile:	RLIMIT_NOFILE set
 * @uid:	uid the relay runs as
 * @ll:		Landlock layers
 * @connect:	the connect layer: -1 pending, 0 applied, 1 unsupported
 * @ports:	bitmap of target ports collected for it
 * @nports:	distinct ports in @ports
 */
static struct sandbox_state {
	bool sandboxed;
	unsigned ns;
	const char *root;
	bool bounding;
	rlim_t nofile;
	uid_t uid;
	struct ll_layers ll;
	int connect;
	uint8_t ports[PORTSET_BYTES];
	unsigned nports;
} sbx = { .connect = -1 };

#ifdef NSPLICE_SANITIZE
int __lsan_is_turned_off(void);

/**
 * __lsan_is_turned_off() - LeakSanitizer hook: no leak check in sandboxes
 *
 * The check stops the world with a ptrace()ing helper thread, which no
 * sandboxed filter allows; the supervisor keeps its leak check.
 *
 * Return: non-zero in a sandboxed child
 */
int __lsan_is_turned_off(void)
{
	return sbx.sandboxed;
}
#endif

/**
 * sandbox_configure() - remember the role arguments for the stages
 * @c:		configuration, copied
 */
void sandbox_configure(const struct sandbox_cfg *c)
{
	cfg = *c;
}

/**
 * parent_watch() - re-arm the parent-death signal and check the parent
 *
 * The kernel clears PR_SET_PDEATHSIG on a uid change; a supervisor that
 * died in between would leave this process orphaned.
 */
static void parent_watch(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		fatal("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != cfg.parent)
		fatal("supervisor %d is gone", (int)cfg.parent);
}

/**
 * stage_descriptors() - only the log pipe and the channels are open
 *
 * Should: find 0 and 1 closed and 2 a pipe (cmd/role.c closed the rest).
 * Mustn't: run on with a terminal, which TIOCSTI could type into.
 */
static void stage_descriptors(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < IPC_FD_LOG; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fatal("descriptor %d is open: expected only the log "
			      "pipe and the channels", fd);
	if (fstat(IPC_FD_LOG, &st) || !S_ISFIFO(st.st_mode))
		fatal("descriptor %d is not the supervisor's log pipe",
		      IPC_FD_LOG);
}

/**
 * stage_identity() - as root, become the --runas user
 *
 * Should: drop supplementary groups, set all three uids and gids, empty
 * the bounding set, keep only those of relay_fallback_caps it has
 * (permitted), for stage 3 without user namespaces.  One it lacks - a
 * service manager's bounding set without CAP_SYS_CHROOT, as the shipped
 * nsplice@.service has - is not asked for: asking made libcap-ng's change
 * of uid fail with EPERM, and the relay with it, although stage 3 needs
 * the fallback only where user namespaces are unavailable.
 * Mustn't: keep uid 0 anywhere, or any other capability.
 */
static void stage_identity(void)
{
	bool have[ARRAY_LEN(relay_fallback_caps)];
	size_t i;
	int rc;

	if (!cfg.runas)
		return;
	capng_get_caps_process();
	for (i = 0; i < ARRAY_LEN(relay_fallback_caps); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED,
					(unsigned)relay_fallback_caps[i]);
	capng_clear(CAPNG_SELECT_BOTH);
	for (i = 0; i < ARRAY_LEN(relay_fallback_caps); i++)
		if (have[i])
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				     (unsigned)relay_fallback_caps[i]);
	/* The bounding set is emptied now, while CAP_SETPCAP is ours for
	 * sure (libcap-ng lets it go with the uid); a new user namespace
	 * refills it, and stage 5 empties it there again. */
	rc = capng_change_id((int)cfg.uid, (int)cfg.gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc)
		fatal("cannot change to uid %u, gid %u (libcap-ng error %d): "
		      "%s", (unsigned)cfg.uid, (unsigned)cfg.gid, rc,
		      strerror(errno));
	parent_watch();
}

/**
 * write_id_map() - write one line to a /proc/self map file
 * @file:	"uid_map", "gid_map" or "setgroups"
 * @text:	content
 *
 * Return: 0 or -1
 */
static int write_id_map(const char *file, const char *text)
{
	char path[ID_MAP_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/**
 * map_self() - map our own uid and gid into the new user namespace
 * @uid:	uid outside
 * @gid:	gid outside
 *
 * Only the identity is mapped, one id each, so a directory created by
 * stage 4's fallback has an owner; nothing else can ever be mapped.  Not
 * done after a --runas change: the process is then non-dumpable, its
 * /proc files belong to root, and making it dumpable again, even briefly,
 * would let any process of that user ptrace it.
 */
static void map_self(uid_t uid, gid_t gid)
{
	char line[ID_MAP_MAX];

	snprintf(line, sizeof(line), "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_id_map("uid_map", line) ||
	    write_id_map("setgroups", "deny"))
		nwarn("cannot map uid %u in the relay's user namespace: %s",
		      (unsigned)uid, strerror(errno));
	snprintf(line, sizeof(line), "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (write_id_map("gid_map", line))
		nwarn("cannot map gid %u in the relay's user namespace: %s",
		      (unsigned)gid, strerror(errno));
}

/**
 * stage_namespaces() - fresh, empty user, mount, net, IPC, UTS namespaces
 *
 * Should: create them as the user of stage 2, so the user namespace is
 * owned by that user and its capabilities reach nothing outside.
 * Mustn't: stop when user namespaces are off: root still gets the other
 * four, and everybody still gets seccomp and Landlock.
 */
static void stage_namespaces(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int err;

	sbx.uid = uid;
	if (!unshare(RELAY_NS)) {
		sbx.ns = RELAY_NS;
		/* After a uid change the process is not dumpable and its
		 * /proc files belong to root: there is no map to write.  As
		 * uid 0 of a user namespace that does not map the --runas
		 * user (supervisor.c, runas_check()) there is none either:
		 * mapping the parent's uid 0 needs CAP_SETFCAP at unshare()
		 * time (the kernel's verify_root_map()), which the spawner's
		 * bounding set has dropped. */
		if (!cfg.runas && uid != 0)
			map_self(uid, gid);
		return;
	}
	err = errno;
	if (!unshare(RELAY_NS & ~CLONE_NEWUSER)) {
		sbx.ns = RELAY_NS & ~CLONE_NEWUSER;
		ninfo("no user namespace for the relay (%s): using mount, "
		      "network, IPC and UTS namespaces and uid %u", strerror(err),
		      (unsigned)uid);
		return;
	}
	nwarn("cannot create namespaces for the relay (%s): it shares "
	      "nsplice's namespaces, with seccomp and Landlock alone",
	      strerror(err));
}

/**
 * empty_root_dir() - an existing directory to mount the empty root on
 *
 * Return: a path
 */
static const char *empty_root_dir(void)
{
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_LEN(empty_root_dirs); i++)
		if (!stat(empty_root_dirs[i], &st) && S_ISDIR(st.st_mode))
			return empty_root_dirs[i];
	return "/";
}

/**
 * pivot_to_empty_tmpfs() - make an empty read-only tmpfs the root
 *
 * No writable directory is needed: pivot_root(".", ".") stacks the old
 * root over the new one, and the detach takes it away.
 *
 * Return: 0, or -1 with errno set
 */
static int pivot_to_empty_tmpfs(void)
{
	const char *dir = empty_root_dir();

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("nsplice", dir, "tmpfs", EMPTY_ROOT_FLAGS, EMPTY_ROOT_OPTS) ||
	    chdir(dir) || syscall(SYS_pivot_root, ".", ".") ||
	    umount2(".", MNT_DETACH) || chdir("/"))
		return -1;
	return 0;
}

/**
 * chroot_to_deleted_dir() - chroot into a fresh directory, then delete it
 *
 * A deleted directory stays empty: the kernel refuses to create anything
 * in it.  Nobody has to clean it up either.
 *
 * Return: 0, or -1 with errno set
 */
static int chroot_to_deleted_dir(void)
{
	char dir[] = EMPTY_DIR_TEMPLATE;
	int fd, rc, err;

	if (!mkdtemp(dir))
		return -1;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	rmdir(dir);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	rc = fchdir(fd) || chroot(".") || chdir("/") ? -1 : 0;
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/**
 * stage_root() - no file reachable by any path
 *
 * Should: leave the relay in an empty, read-only root whose old tree is
 * detached, not just hidden.
 * Mustn't: propagate the tmpfs mount to the caller's mount namespace
 * (every mount is made private first).
 */
static void stage_root(void)
{
	if (!(sbx.ns & CLONE_NEWNS))
		return;
	if (!pivot_to_empty_tmpfs()) {
		sbx.root = "an empty read-only tmpfs (pivot_root)";
		return;
	}
	nwarn("pivot_root into an empty tmpfs: %s; using chroot into an "
	      "empty directory", strerror(errno));
	if (chroot_to_deleted_dir())
		fatal("cannot chroot into an empty directory: %s",
		      strerror(errno));
	sbx.root = "a deleted empty directory (chroot)";
}

/**
 * caps_left() - does any capability set still hold something
 *
 * Read back from the kernel, not from libcap-ng's idea of it.
 *
 * Return: true if a capability is left in the effective, permitted or
 * inheritable set
 */
static bool caps_left(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i;

	if (syscall(SYS_capget, &h, d))
		return true;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return true;
	return false;
}

/**
 * drop_bounding() - empty the bounding set
 *
 * With prctl() rather than libcap-ng, which learns the bounding set from
 * /proc/PID/status: the empty root of stage 4 has no /proc.
 *
 * Return: true if the set is empty now
 */
static bool drop_bounding(void)
{
	unsigned long cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return false;
	return true;
}

/**
 * stage_caps() - no capability in any set
 *
 * Should: clear effective, permitted, inheritable and ambient (libcap-ng)
 * and the bounding set.
 * Mustn't: continue with a capability left; only the bounding set may
 * stay (unprivileged without user namespaces: no CAP_SETPCAP to clear it).
 */
static void stage_caps(void)
{
	sbx.bounding = drop_bounding();
	if (!sbx.bounding)
		nwarn("cannot clear the bounding set (no CAP_SETPCAP)");
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS))
		fatal("cannot drop capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		fatal("cannot clear ambient capabilities: %s", strerror(errno));
	if (caps_left())
		fatal("capabilities left after dropping them all");
}

/**
 * stage_flags() - no new privileges, no dumps, death with the parent
 *
 * Should: set NO_NEW_PRIVS (Landlock and seccomp need it too), make the
 * process non-dumpable, re-arm the parent-death signal.
 */
static void stage_flags(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fatal("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		fatal("PR_SET_DUMPABLE: %s", strerror(errno));
	parent_watch();
}

/**
 * set_limit() - set the soft and hard value of one resource limit
 * @res:	RLIMIT_*
 * @v:		value
 */
static void set_limit(int res, rlim_t v)
{
	struct rlimit rl = { v, v };

	if (setrlimit(res, &rl))
		fatal("setrlimit(%d, %llu): %s", res, (unsigned long long)v,
		      strerror(errno));
}

/**
 * stage_rlimits() - no processes, no file growth, no cores, bounded fds
 *
 * RLIMIT_NOFILE is lowered to RELAY_NOFILE_MAX if the hard limit is
 * above it; the relay sizes its flow table from what is left.
 */
static void stage_rlimits(void)
{
	struct rlimit rl;

	set_limit(RLIMIT_NPROC, 0);
	set_limit(RLIMIT_FSIZE, 0);
	set_limit(RLIMIT_CORE, 0);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		fatal("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	sbx.nofile = rl.rlim_max < RELAY_NOFILE_MAX ? rl.rlim_max
						    : RELAY_NOFILE_MAX;
	set_limit(RLIMIT_NOFILE, sbx.nofile);
}

/**
 * stage_landlock() - first Landlock layer, as far as the kernel goes
 * @deny_bind:	also deny every TCP bind() (relay)
 */
static void stage_landlock(bool deny_bind)
{
	if (landlock_restrict_base(deny_bind, &sbx.ll) < 0)
		fatal("Landlock ABI %d: %s", sbx.ll.abi, strerror(errno));
}

/**
 * stage_seccomp() - load a role's allowlist, the last stage
 * @ctx:	filter built by seccomp/ROLE.c
 */
static void stage_seccomp(scmp_filter_ctx ctx)
{
	int rc = filter_load(ctx);

	if (rc)
		fatal("cannot load the seccomp filter: %s", strerror(-rc));
}

/**
 * ns_text() - the namespaces created, for the report
 *
 * Return: a string constant
 */
static const char *ns_text(void)
{
	if (sbx.ns == RELAY_NS)
		return "own user, mount, network, IPC and UTS namespaces";
	if (sbx.ns)
		return "own mount, network, IPC and UTS namespaces";
	return "nsplice's namespaces (none could be created)";
}

/**
 * landlock_text() - the Landlock layers, for the report
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static const char *landlock_text(char *buf, size_t len)
{
	if (!sbx.ll.abi) {
		snprintf(buf, len, "Landlock not available");
		return buf;
	}
	snprintf(buf, len, "Landlock ABI %d: no files%s%s", sbx.ll.abi,
		 sbx.ll.bind ? ", no TCP bind, TCP connect to target ports "
			       "once configured" : "",
		 sbx.ll.scope ? ", signals and abstract sockets scoped" : "");
	return buf;
}

/**
 * relay_report() - say which layers are active
 */
static void relay_report(void)
{
	char ll[LOG_LAYERS_MAX / 2];

	ninfo("sandbox: %s; root %s; uid %u; no capabilities%s; "
	      "no_new_privs; rlimits nproc 0, fsize 0, core 0, nofile %llu; "
	      "%s; seccomp %s", ns_text(), sbx.root ? sbx.root : "unchanged",
	      (unsigned)sbx.uid, sbx.bounding ? "" : " (bounding set kept)",
	      (unsigned long long)sbx.nofile, landlock_text(ll, sizeof(ll)),
	      cfg.mode == SANDBOX_LOG ? "LOG ONLY (--sandbox=log)" :
					"allowlist, kill on violation");
}

/**
 * sandbox_relay_enter() - run the relay's stages, see the header
 *
 * Exits if a stage fails where failing open would break a promise.
 */
void sandbox_relay_enter(void)
{
	sbx.sandboxed = true;
	stage_descriptors();
	stage_identity();
	stage_namespaces();
	stage_root();
	stage_caps();
	stage_flags();
	stage_rlimits();
	stage_landlock(true);
	stage_seccomp(seccomp_relay_filter(cfg.mode));
	relay_report();
}

/**
 * sandbox_relay_connect_pending() - are the connect rules still to come
 *
 * Return: true until sandbox_relay_connect_lock() ran
 */
bool sandbox_relay_connect_pending(void)
{
	return sbx.connect < 0;
}

/**
 * sandbox_relay_connect_allow() - collect one target port
 * @port:	TCP port a forward connects to, host byte order
 */
void sandbox_relay_connect_allow(uint16_t port)
{
	if (portset_has(sbx.ports, port))
		return;
	portset_add(sbx.ports, port);
	sbx.nports++;
}

/**
 * sandbox_relay_connect_lock() - allow connect() to the collected ports
 *
 * Called once, when the first FORWARD batch is complete and before any
 * listener can accept.  A forward added later with a new target port
 * cannot be served until the relay is restarted (SECURITY.md).
 */
void sandbox_relay_connect_lock(void)
{
	uint16_t *ports;
	unsigned p, n = 0;

	if (!sandbox_relay_connect_pending())
		return;
	ports = calloc(sbx.nports ? sbx.nports : 1, sizeof(*ports));
	if (!ports)
		fatal("out of memory for the connect rules");
	for (p = 0; p < PORTSET_PORTS; p++)
		if (portset_has(sbx.ports, (uint16_t)p))
			ports[n++] = (uint16_t)p;
	sbx.connect = landlock_restrict_connect(ports, n);
	free(ports);
	if (sbx.connect < 0)
		fatal("Landlock: cannot limit TCP connect: %s",
		      strerror(errno));
	if (sbx.connect)
		nwarn("Landlock has no network rules on this kernel: "
		      "connect() is not limited to the target ports");
	else
		ninfo("sandbox: Landlock: TCP connect limited to %u target "
		      "port%s", n, n == 1 ? "" : "s");
}

#ifdef NSPLICE_TESTING
/**
 * sandbox_relay_tick() - test builds: make the --test-attempt, once
 *
 * Only once the connect layer is in force, and attempt.c finds a pool
 * socket to use: the relay is then serving, fully sandboxed.
 */
void sandbox_relay_tick(void)
{
	static bool done;

	if (done || !cfg.attempt || sandbox_relay_connect_pending())
		return;
	done = sandbox_attempt_run(cfg.attempt, sbx.ports);
}
#endif

/**
 * sandbox_agent_enter() - Landlock and the agents' allowlist
 *
 * Called once the agent has entered its namespace and dropped its
 * capabilities (NO_NEW_PRIVS is set), with its timer created.
 */
void sandbox_agent_enter(void)
{
	char ll[LOG_LAYERS_MAX / 2];

	sbx.sandboxed = true;
	stage_landlock(false);
	/* connect() is in the agents' allowlist for UDP flow sockets only
	 * (nsagent/udp.c): a Landlock layer with no TCP port allowed keeps
	 * every TCP connect() out, where the kernel has network rules */
	if (landlock_restrict_connect(NULL, 0) < 0)
		fatal("Landlock: denying TCP connect(): %s", strerror(errno));
	stage_seccomp(seccomp_agent_filter(cfg.mode));
	ndebug("sandbox: %s; seccomp %s", landlock_text(ll, sizeof(ll)),
	       cfg.mode == SANDBOX_LOG ? "LOG ONLY (--sandbox=log)" :
					 "allowlist, kill on violation");
}

/**
 * keep_caps() - as root, keep only the capabilities of a list
 * @keep:	the capabilities to keep
 * @n:		their number
 *
 * A root child execs with the bounding set as its capabilities, so the
 * bounding set is reduced too.  A capability the process does not have
 * (root in a container) is not asked for.
 *
 * Return: 0, or -1 if libcap-ng failed
 */
static int keep_caps(const int *keep, size_t n)
{
	bool have[ARRAY_LEN(spawner_caps)];
	size_t i;

	if (n > ARRAY_LEN(have) || capng_get_caps_process())
		return -1;
	for (i = 0; i < n; i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED,
						(unsigned)keep[i]);
	capng_clear(CAPNG_SELECT_BOTH);
	for (i = 0; i < n; i++)
		if (have[i])
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE |
				     CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				     (unsigned)keep[i]);
	return capng_apply(CAPNG_SELECT_BOTH) ? -1 : 0;
}

/**
 * reduce_and_load() - keep listed capabilities, NO_NEW_PRIVS, filter
 * @ctx:	the filter to load
 * @keep:	capabilities kept as root
 * @n:		their number
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int reduce_and_load(scmp_filter_ctx ctx, const int *keep, size_t n,
			   char *err, size_t errlen)
{
	int rc;

	if (geteuid() == 0 && keep_caps(keep, n)) {
		seccomp_release(ctx);
		return errfmt(err, errlen, "cannot reduce capabilities");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		seccomp_release(ctx);
		return errfmt(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
			      strerror(errno));
	}
	rc = filter_load(ctx);
	if (rc)
		return errfmt(err, errlen, "cannot load the seccomp filter: "
			      "%s", strerror(-rc));
	return 0;
}

/**
 * sandbox_supervisor_enter() - reduce the supervisor, load its filter
 * @mode:	enum sandbox_mode
 * @err:	error buffer
 * @errlen:	its size
 *
 * Must run after COMMAND and the spawner are forked (COMMAND never
 * inherits an nsplice filter; the spawner loads its own, which its
 * children inherit) and before the first child.
 *
 * Return: 0, or -1 with @err filled
 */
int sandbox_supervisor_enter(enum sandbox_mode mode, char *err,
			     size_t errlen)
{
	if (mode == SANDBOX_LOG)
		nwarn("--sandbox=log: seccomp violations are LOGGED, NOT "
		      "BLOCKED, in every nsplice process; for finding a "
		      "missing system call only, never in production");
	return reduce_and_load(seccomp_supervisor_filter(mode), supervisor_caps,
			       ARRAY_LEN(supervisor_caps), err, errlen);
}

/**
 * sandbox_spawner_enter() - reduce the spawner, load its filter
 * @mode:	enum sandbox_mode
 * @err:	error buffer
 * @errlen:	its size
 *
 * The capabilities the children need (they exec with them as their
 * bounding set); the filter is the one every child inherits.
 *
 * Return: 0, or -1 with @err filled
 */
int sandbox_spawner_enter(enum sandbox_mode mode, char *err, size_t errlen)
{
	return reduce_and_load(seccomp_spawner_filter(mode), spawner_caps,
			       ARRAY_LEN(spawner_caps), err, errlen);
}
