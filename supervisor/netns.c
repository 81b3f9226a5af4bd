// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netns.c - find, or create, the target namespace and watch its lifetime
 *
 * DOC: Theory of Operation
 *
 * The supervisor never enters the target namespace; it only opens handles
 * to it, which agent[target] receives as descriptors and joins (see
 * nsagent/enter.c).  Three ways to name the target:
 *
 * --netns PATH: the file must be a network namespace (NS_GET_NSTYPE).  Its
 * identity (device, inode) is kept so that `ip netns del` - which unmounts
 * and unlinks the path while our own handles keep the namespace alive - is
 * noticed by a periodic stat() and ends nsplice.
 *
 * --pid PID: pinned with a pidfd first, then /proc/PID/ns/net is opened and
 * the pidfd is checked again, so a pid reused in between is not mistaken
 * for the target.  The pidfd becomes readable when the target exits.
 *
 * COMMAND: a child unshares a user and a network namespace and waits; the
 * supervisor maps the caller's uid and gid to 0 in it (like `unshare -r`;
 * root maps every id it has: the whole range, or in a user namespace
 * what that namespace maps) and opens its namespace handles; the child
 * then brings lo up, loads COMMAND's filter and waits again.  It execs
 * COMMAND only when nsplice first serves (netns_command_release(), from
 * live.c's first_ready()): started at once, a COMMAND that connected to
 * a -T port at its first step found nothing listening yet, and one that
 * ended before a host port turned out to be taken made nsplice exit 0
 * with no error at all - the failure was never reached.  A start-up
 * that fails kills the waiting child, so COMMAND never runs then.  Each
 * step's result comes back through a close-on-exec pipe, so EOF there
 * means the exec succeeded.
 *
 * COMMAND keeps the caller's session and terminal (an interactive shell
 * needs both for job control), so the filter (seccomp/command.c) is what
 * stops it from pushing keystrokes into the caller's terminal: TIOCSTI
 * and TIOCLINUX fail with EPERM, on any descriptor, /dev/tty opened
 * afresh included.  COMMAND is forked before the supervisor's sandbox and
 * inherits no other filter.  Its user namespace is new in both modes, so
 * it never shares the supervisor's: the control socket tells it apart by
 * that (supervisor/control.c).
 *
 * User namespace to join: when nsplice is not root, agent[target] must join
 * the user namespace that owns the target netns (NS_GET_USERNS) before
 * setns(netns), or the kernel answers EPERM.  If that is our own user
 * namespace there is nothing to join.
 *
 * Problems here are bad input (exit 2): the user named something that is
 * not a usable namespace; nothing has been started yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/log.h"
#include "seccomp/seccomp.h"
#include "supervisor/idmap.h"
#include "supervisor/supervisor.h"

/* NETNS_RUN_DIR - where `ip netns add NAME` mounts NAME */
#define NETNS_RUN_DIR	"/run/netns/"

/**
 * ns_type_is() - check the kind of a namespace descriptor
 * @fd:		namespace file descriptor
 * @type:	CLONE_NEWNET or CLONE_NEWUSER
 *
 * Return: true if @fd is a namespace of that kind
 */
static bool ns_type_is(int fd, int type)
{
	return ioctl(fd, NS_GET_NSTYPE) == type;
}

/**
 * same_ns() - tell whether two namespace descriptors name one namespace
 * @a:		descriptor
 * @b:		descriptor
 *
 * Return: true if device and inode match
 */
static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/**
 * own_ns() - is a namespace one nsplice runs in
 * @fd:		namespace descriptor
 * @self:	nsplice's own namespace of that kind, "/proc/self/ns/KIND"
 *
 * Return: true if @fd is the namespace of that kind nsplice runs in
 */
static bool own_ns(int fd, const char *self)
{
	int own = open(self, O_RDONLY | O_CLOEXEC);
	bool same = own >= 0 && same_ns(own, fd);

	if (own >= 0)
		close(own);
	return same;
}

/**
 * own_userns() - is a user namespace nsplice's own
 * @fd:		user namespace descriptor
 *
 * Return: true if @fd is the user namespace nsplice runs in
 */
static bool own_userns(int fd)
{
	return own_ns(fd, "/proc/self/ns/user");
}

/**
 * netns_is_own() - is a network namespace nsplice's own
 * @fd:		network namespace descriptor
 *
 * Return: true if @fd is the network namespace nsplice runs in
 */
bool netns_is_own(int fd)
{
	return own_ns(fd, "/proc/self/ns/net");
}

/**
 * owner_userns() - user namespace agent[target] must join, if any
 * @netns_fd:	target network namespace
 *
 * Return: descriptor of the owning user namespace, or -1 if none is needed
 * (root, or the netns belongs to our own user namespace) or none can be had
 */
static int owner_userns(int netns_fd)
{
	int fd;

	if (geteuid() == 0)
		return -1;
	fd = ioctl(netns_fd, NS_GET_USERNS);
	if (fd < 0)
		return -1;	/* owner is above us: setns() reports it */
	if (own_userns(fd)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/**
 * probe_enter() - can agent[target] enter the target namespace at all
 * @s:		supervisor state, netns_fd and userns_fd set
 *
 * The agent joins the namespaces after exec, with the supervisor's
 * credentials; when the kernel refuses it (an unprivileged user naming a
 * namespace root made), it would only find out once every child is up,
 * far from the option that caused it.  A throwaway child tries the same
 * setns() calls now, before anything starts, so the error can name the
 * option.
 *
 * Return: 0 if it could, else the errno of the refusal
 */
static int probe_enter(const struct supervisor *s)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 0;	/* the agent will tell */
	if (!pid) {
		if (s->userns_fd >= 0 && setns(s->userns_fd, CLONE_NEWUSER))
			_exit(errno);
		_exit(setns(s->netns_fd, CLONE_NEWNET) ? errno : 0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 0;
}

/**
 * enter_error() - the error line for a namespace that cannot be entered
 * @what:	"--netns NAME" or "--pid PID" as the user wrote it
 * @error:	errno from probe_enter()
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: -1
 */
static int enter_error(const char *what, int error, char *err, size_t errlen)
{
	return errfmt(err, errlen, "%s: cannot enter its network namespace: "
		      "%s%s", what, strerror(error), error == EPERM ?
		      " (it belongs to a user namespace you have no "
		      "privileges in: run nsplice as its owner or as root)" :
		      "");
}

/**
 * open_netns_path() - open and check --netns
 * @s:		supervisor state; netns_fd and netns_st are set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int open_netns_path(struct supervisor *s, char *err, size_t errlen)
{
	const char *path = s->cfg->netns_path;
	char what[sizeof(s->cfg->netns_buf) + CONFIG_WHERE_MAX];
	char where[CONFIG_WHERE_MAX];
	int e;

	config_where(s->cfg, WHERE_TARGET, where, sizeof(where));
	s->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->netns_fd < 0)
		return errfmt(err, errlen, "%s \"%s\": cannot open: %s: "
			       "expected a network namespace file%s", where,
			       path, strerror(errno), errno == ENOENT &&
			       !strncmp(path, NETNS_RUN_DIR,
					strlen(NETNS_RUN_DIR)) ?
			       " (`ip netns list` shows the names there, `ip "
			       "netns add NAME` makes one)" : "");
	if (!ns_type_is(s->netns_fd, CLONE_NEWNET) ||
	    fstat(s->netns_fd, &s->netns_st))
		return errfmt(err, errlen, "%s \"%s\": not a network "
			       "namespace", where, path);
	if (!s->cfg->userns_path) {
		s->userns_fd = owner_userns(s->netns_fd);
	} else {
		s->userns_fd = open(s->cfg->userns_path, O_RDONLY | O_CLOEXEC);
		if (s->userns_fd < 0 ||
		    !ns_type_is(s->userns_fd, CLONE_NEWUSER))
			return errfmt(err, errlen, "%s \"%s\": %s: "
				      "expected a user namespace file",
				      config_where(s->cfg, WHERE_USERNS, where,
						   sizeof(where)),
				      s->cfg->userns_path, s->userns_fd < 0 ?
				      strerror(errno) : "not a user namespace");
		/* The kernel refuses setns() into the namespace one is in
		 * (EINVAL); being there already is what --userns asks */
		if (own_userns(s->userns_fd)) {
			close(s->userns_fd);
			s->userns_fd = -1;
		}
	}
	/* As the user wrote it: NAME for a path `ip netns` made */
	snprintf(what, sizeof(what), "%s %s", where,
		 strncmp(path, NETNS_RUN_DIR, strlen(NETNS_RUN_DIR)) ? path :
		 path + strlen(NETNS_RUN_DIR));
	e = probe_enter(s);
	return e ? enter_error(what, e, err, errlen) : 0;
}

/**
 * open_pid() - open --pid's process and its network namespace
 * @s:		supervisor state; target_pidfd, netns_fd, userns_fd are set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int open_pid(struct supervisor *s, char *err, size_t errlen)
{
	char path[64], where[CONFIG_WHERE_MAX], what[CONFIG_WHERE_MAX + 16];
	pid_t pid = s->cfg->pid;
	int e;

	config_where(s->cfg, WHERE_TARGET, where, sizeof(where));
	s->target_pidfd = pidfd_open(pid, 0);
	if (s->target_pidfd < 0)
		return errfmt(err, errlen, "%s %d: %s: expected a running "
			       "process", where, (int)pid, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	s->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->netns_fd < 0)
		return errfmt(err, errlen, "%s %d: cannot open %s: %s%s", where,
			       (int)pid, path, strerror(errno),
			       errno == EACCES || errno == EPERM ?
			       " (the process is another user's: run nsplice "
			       "as that user or as root)" : "");
	/* Still the same process?  Signal 0 through the pidfd tells. */
	if (pidfd_send_signal(s->target_pidfd, 0, NULL, 0))
		return errfmt(err, errlen, "%s %d: process exited during "
			       "start-up", where, (int)pid);
	s->userns_fd = owner_userns(s->netns_fd);
	snprintf(what, sizeof(what), "%s %d", where, (int)pid);
	e = probe_enter(s);
	return e ? enter_error(what, e, err, errlen) : 0;
}

/**
 * netns_open() - open the handles of a --netns or --pid target
 * @s:		supervisor state
 * @err:	error buffer (usage error: exit 2)
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
int netns_open(struct supervisor *s, char *err, size_t errlen)
{
	if (s->cfg->target == TARGET_NETNS)
		return open_netns_path(s, err, errlen);
	return open_pid(s, err, errlen);
}

/**
 * netns_gone() - has the --netns path been removed or replaced
 * @s:		supervisor state
 *
 * Return: true if the path no longer names the namespace we started with
 */
bool netns_gone(const struct supervisor *s)
{
	struct stat st;

	if (s->cfg->target != TARGET_NETNS)
		return false;
	if (stat(s->cfg->netns_path, &st))
		return true;
	return st.st_dev != s->netns_st.st_dev ||
	       st.st_ino != s->netns_st.st_ino;
}

/**
 * write_file() - write a short string to a /proc file
 * @path:	file
 * @text:	content
 *
 * Return: 0 or -1
 */
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/**
 * root_map() - the map root writes for COMMAND: every id of our namespace
 * @file:	"uid_map" or "gid_map"
 * @map:	filled, NUL-terminated
 * @len:	its size, IDMAP_TEXT_MAX + 1
 *
 * Real root maps the whole range, so files keep their owners.  uid 0 of a
 * user namespace (`unshare -r`, podman's rootless helper) can only map the
 * ids its own namespace maps, and is refused the whole range with EPERM,
 * so it maps exactly those.  A map that cannot be read or is not the
 * kernel's format falls back to the whole range, whose refusal then names
 * the problem.
 */
static void root_map(const char *file, char *map, size_t len)
{
	static struct idmap own;

	if (idmap_read(file, &own) || idmap_identity(&own, map, len))
		snprintf(map, len, "0 0 4294967295");
}

/**
 * map_ids() - map the caller to uid/gid 0 in COMMAND's user namespace
 * @pid:	COMMAND's process, already in its new user namespace
 *
 * Written from the parent namespace: only there does root hold the
 * CAP_SETUID that a full-range map needs.  Root maps what it has (see
 * root_map()); anyone else may only map itself, and must deny setgroups()
 * first.
 *
 * Return: 0 or -1
 */
static int map_ids(pid_t pid)
{
	char path[64], map[IDMAP_TEXT_MAX + 1];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0)
		root_map("uid_map", map, sizeof(map));
	else
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (uid != 0 && write_file(path, "deny"))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (write_file(path, map))
		return -1;
	if (uid == 0)
		root_map("gid_map", map, sizeof(map));
	else
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return write_file(path, map);
}

/**
 * lo_up() - bring the loopback interface of the current netns up
 *
 * Return: 0 or -1
 */
static int lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/**
 * enum cmd_stage - steps of command_child(), for error messages
 * @CMD_UNSHARE:	unshare(CLONE_NEWUSER | CLONE_NEWNET)
 * @CMD_LO:		bringing lo up
 * @CMD_FILTER:		loading COMMAND's seccomp filter (no TIOCSTI)
 * @CMD_EXEC:		execvp(COMMAND)
 */
enum cmd_stage { CMD_UNSHARE, CMD_LO, CMD_FILTER, CMD_EXEC };

static const char *const cmd_stage_what[] = {
	"cannot create a user and network namespace for COMMAND",
	"cannot bring up lo in COMMAND's namespace",
	"cannot load COMMAND's seccomp filter (TIOCSTI)",
	"cannot run COMMAND",
};

/**
 * stage_report() - tell the supervisor how a step of command_child() went
 * @fd:		sync pipe
 * @stage:	enum cmd_stage
 * @e:		errno, 0 for success
 *
 * A failed step ends the child.  A failed exec ends it with env(1)'s
 * status, 127 for a program not found and 126 for one that cannot run:
 * nsplice is forwarding by then and ends with COMMAND's status.
 */
static void stage_report(int fd, int stage, int e)
{
	int msg[2] = { stage, e };

	if (write(fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(127);
	if (e)
		_exit(stage == CMD_EXEC && e != ENOENT ? EXIT_CMD_CANNOT_RUN
							 : EXIT_CMD_NOT_FOUND);
}

/**
 * command_child() - COMMAND's process: make the namespace, wait, exec
 * @cmd:	COMMAND and arguments
 * @sync_w:	reports (stage, errno) pairs to the supervisor
 * @go_r:	one byte once the supervisor has mapped ids and opened
 *		handles, a second when nsplice serves (EOF: it never will)
 *
 * The filter goes last before exec, once the child no longer needs any
 * ioctl of its own; it holds CAP_SYS_ADMIN in its new user namespace
 * from unshare() on, which lets it load the filter without NO_NEW_PRIVS.
 * Signals are unblocked before the second wait, so the supervisor's
 * SIGTERM at a failed start-up ends the child there.
 */
static void __attribute__((noreturn))
command_child(char **cmd, int sync_w, int go_r)
{
	sigset_t none;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	stage_report(sync_w, CMD_UNSHARE,
		     unshare(CLONE_NEWUSER | CLONE_NEWNET) ? errno : 0);
	if (read(go_r, &c, 1) != 1)
		_exit(127);
	stage_report(sync_w, CMD_LO, lo_up() ? errno : 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	stage_report(sync_w, CMD_FILTER, -seccomp_command_apply());
	if (read(go_r, &c, 1) != 1)
		_exit(127);
	execvp(cmd[0], cmd);
	stage_report(sync_w, CMD_EXEC, errno);
	_exit(127);
}

/**
 * read_report() - read one (stage, errno) pair from command_child()
 * @fd:		sync pipe
 * @stage:	stage expected
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 if that stage succeeded, -1 otherwise
 */
static int read_report(int fd, int stage, char *err, size_t errlen)
{
	int msg[2];

	if (read(fd, msg, sizeof(msg)) != sizeof(msg))
		return errfmt(err, errlen, "%s: it exited",
			      cmd_stage_what[stage]);
	if (msg[0] != stage)
		return errfmt(err, errlen, "%s: out of order",
			      cmd_stage_what[stage]);
	if (!msg[1])
		return 0;
	return errfmt(err, errlen, "%s: %s", cmd_stage_what[stage],
		      strerror(msg[1]));
}

/**
 * open_command_ns() - open the handles of the COMMAND child's namespaces
 * @s:		supervisor state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int open_command_ns(struct supervisor *s, char *err, size_t errlen)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)s->cmd_pid);
	s->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)s->cmd_pid);
	s->userns_fd = geteuid() ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	s->target_pidfd = pidfd_open(s->cmd_pid, 0);
	if (s->netns_fd < 0 || s->target_pidfd < 0 ||
	    (geteuid() && s->userns_fd < 0))
		return errfmt(err, errlen, "cannot open the namespaces of "
			       "COMMAND: %s", strerror(errno));
	fcntl(s->target_pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/**
 * netns_command_start() - create COMMAND's namespace, COMMAND waiting
 * @s:		supervisor state; cmd_pid, netns_fd, userns_fd, target_pidfd,
 *		cmd_go_fd and cmd_sync_fd set
 * @err:	error buffer
 * @errlen:	its size
 *
 * The child is left ready to exec, waiting for netns_command_release().
 *
 * Return: 0, or -1 (exit 1)
 */
int netns_command_start(struct supervisor *s, char *err, size_t errlen)
{
	int sync[2], go[2];

	if (pipe2(sync, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return errfmt(err, errlen, "pipe: %s", strerror(errno));
	s->cmd_pid = fork();
	if (s->cmd_pid < 0)
		return errfmt(err, errlen, "fork: %s", strerror(errno));
	if (s->cmd_pid == 0)
		command_child(s->cfg->command, sync[1], go[0]);
	close(sync[1]);
	close(go[0]);
	s->cmd_go_fd = go[1];
	s->cmd_sync_fd = sync[0];
	if (read_report(sync[0], CMD_UNSHARE, err, errlen))
		return -1;
	if (map_ids(s->cmd_pid))
		return errfmt(err, errlen, "cannot map ids in COMMAND's user "
			      "namespace: %s", strerror(errno));
	if (open_command_ns(s, err, errlen) ||
	    write(go[1], "g", 1) != 1 ||
	    read_report(sync[0], CMD_LO, err, errlen) ||
	    read_report(sync[0], CMD_FILTER, err, errlen))
		return -1;
	return 0;
}

/**
 * netns_command_release() - nsplice serves: let COMMAND run
 * @s:		supervisor state; its COMMAND pipes are closed
 *
 * A COMMAND that cannot be executed is reported here; its child ends
 * with 127 or 126 (stage_report()), which nsplice then exits with as
 * with any COMMAND's status.  The read waits only for the exec itself:
 * EOF comes with it (close-on-exec).
 *
 * Return: 0 if COMMAND runs (or there is none), -1 if it could not be
 * executed
 */
int netns_command_release(struct supervisor *s)
{
	int msg[2], ret = 0;

	if (s->cmd_go_fd < 0)
		return 0;
	if (write(s->cmd_go_fd, "g", 1) == 1 &&
	    read(s->cmd_sync_fd, msg, sizeof(msg)) == sizeof(msg) &&
	    msg[0] == CMD_EXEC) {
		nerr("cannot run \"%s\": %s", s->cfg->command[0],
		     strerror(msg[1]));
		ret = -1;
	}
	netns_command_close(s);
	return ret;
}

/**
 * netns_command_close() - close the pipes to a COMMAND not yet released
 * @s:		supervisor state
 *
 * A waiting COMMAND reads EOF and ends without running (127): nsplice
 * never served.
 */
void netns_command_close(struct supervisor *s)
{
	if (s->cmd_go_fd >= 0)
		close(s->cmd_go_fd);
	if (s->cmd_sync_fd >= 0)
		close(s->cmd_sync_fd);
	s->cmd_go_fd = s->cmd_sync_fd = -1;
}
