// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - the control socket's server
 *
 * DOC: Theory of Operation
 *
 * See ctlproto.h for the protocol; requests are parsed by ctl_req_parse()
 * (ctlproto.c) and reports formatted by ctl_format() (ctlfmt.c).  Here:
 *
 * - control_open() creates the socket before the supervisor's
 *   sandbox (which forbids socket(AF_UNIX)); everything after it uses only
 *   accept4, recvfrom, sendto, getsockopt, close, unlink, clock_gettime and
 *   the caller's poll().  Every client socket is non-blocking, every read
 *   is bounded by CTL_LINE_MAX, every client by a CTL_TIMEOUT_SEC deadline
 *   from accept to the end of its answer, and the number of clients by
 *   CTL_CLIENTS_MAX: beyond it the listener is left out of the poll set and
 *   connections wait in the kernel's backlog.  So a client can delay
 *   nobody but itself, and never block the supervisor.
 *
 * Answers are reference-counted buffers: a status report is formatted once
 * per format however many clients wait for it, and each client keeps its
 * own write offset.
 *
 * Who may connect: the peer's uid (SO_PEERCRED, fixed at connect()) must
 * be the supervisor's or root's; the socket's mode 0600 already says so,
 * the check holds even if someone loosens the mode or the directory.  A
 * uid is not enough: COMMAND runs as the caller's uid (rootless) or as
 * root (root mode) and shares the mount namespace, so it can reach the
 * socket.  It always runs in a user namespace of its own, though
 * (supervisor/netns.c), so the peer's user namespace must also be the
 * supervisor's (compared by device and inode with /proc/self/ns/user,
 * read in control_new()).  The peer is pinned as of connect() by
 * SO_PEERPIDFD (Linux 6.5) and its namespace read with ioctl(pidfd,
 * PIDFD_GET_USER_NAMESPACE) (6.11); before 6.11, /proc/PID/ns/user with
 * the pidfd checked alive afterwards, so the pid named that process;
 * before 6.5, /proc/PID/ns/user of SO_PEERCRED's pid, which a peer that
 * exits before the accept could have handed over to another process.
 * The kernel shows a process's namespace only to who could ptrace-read
 * it; the supervisor holds every capability in COMMAND's user namespace
 * (it made it), so COMMAND is never hidden.  A hidden peer is one with
 * privileges the supervisor lacks: root, which is let in as before, or a
 * process of the caller's uid that is not, so it is refused.
 *
 * The socket file: bound with umask CTL_SOCK_UMASK, so it is 0600 from
 * the moment it exists (unix_bind() applies the umask itself, so a
 * default ACL of the directory can only narrow it); nothing is done to it
 * by path after bind(), so a path swapped for a symlink in between
 * cannot redirect a chmod().  A path through a directory others may write
 * to without the sticky bit is refused, at any depth (dir_check()):
 * anyone there could replace the socket, or a directory above it, with
 * their own and answer `nsplice ctl` in nsplice's place.  At exit the
 * file is unlinked only if it is still the one bound at start.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "ipc/inany.h"
#include "ipc/log.h"
#include "ipc/text.h"
#include "seccomp/seccomp.h"
#include "supervisor/config/config.h"
#include "supervisor/control.h"
#include "supervisor/idmap.h"
#include "supervisor/supervisor.h"

/* SO_PEERPIDFD - asm-generic/socket.h of Linux 6.5, if the headers lack it */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD		77
#endif

/* CTL_ERR_MAX - one error message of the server, bytes */
#define CTL_ERR_MAX		512

/* CTL_SUN_PATH_MAX - size of sun_path, bytes with the NUL */
#define CTL_SUN_PATH_MAX	sizeof(((struct sockaddr_un *)NULL)->sun_path)

/* CTL_SOCK_MODE - mode of the socket file: owner read and write only */
#define CTL_SOCK_MODE		0600

/* CTL_SOCK_UMASK - umask while binding, so the file is never wider */
#define CTL_SOCK_UMASK		(0777 & ~CTL_SOCK_MODE)

/* CTL_DIR_SHARED - directory mode bits that let others replace entries */
#define CTL_DIR_SHARED		(S_IWGRP | S_IWOTH)

/* CTL_OVERFLOW_UID, CTL_OVERFLOW_UID_FILE - the uid an unmapped owner shows
 * as in a user namespace: the kernel's default, and where it is set */
#define CTL_OVERFLOW_UID	65534
#define CTL_OVERFLOW_UID_FILE	"/proc/sys/kernel/overflowuid"

/* CTL_LINKS_MAX - symlinks followed from a file's path to the file, as
 * the kernel's own limit for one lookup (MAXSYMLINKS) */
#define CTL_LINKS_MAX		40

/* CTL_LABEL_MAX - "WHAT PATH leads to" in front of a message, bytes */
#define CTL_LABEL_MAX		512

/* CTL_SELF_USERNS - the supervisor's user namespace */
#define CTL_SELF_USERNS		"/proc/self/ns/user"

/* CTL_PROC_PATH_MAX - bytes of "/proc/PID/ns/user" with the NUL */
#define CTL_PROC_PATH_MAX	48

/* MS_PER_SEC - time unit conversion */
#define MS_PER_SEC		1000ULL

/* CTL_TIMEOUT_MS - CTL_TIMEOUT_SEC in milliseconds */
#define CTL_TIMEOUT_MS		(CTL_TIMEOUT_SEC * MS_PER_SEC)

/* Answers the server writes itself (the status report is formatted) */
#define CTL_ANS_OK		"ok\n"
#define CTL_ANS_DENIED		"error: permission denied\n"
#define CTL_ANS_DENIED_NS	"error: permission denied: "

/**
 * struct ctl_answer - bytes to send, shared by the clients sending them
 * @refs:	holders: each client writing it, and its maker while it
 *		hands it out
 * @len:	bytes in @data
 * @data:	the answer
 */
struct ctl_answer {
	unsigned refs;
	size_t len;
	char data[];
};

/**
 * enum ctl_client_state - where a client is
 * @CL_FREE:	slot unused
 * @CL_READ:	reading its request line
 * @CL_WAIT:	waiting for control_status_ready()
 * @CL_CHANGE:	its add is applied, waiting for control_change_done()
 * @CL_WRITE:	writing its answer; closed once it is out
 */
enum ctl_client_state {
	CL_FREE = 0,
	CL_READ,
	CL_WAIT,
	CL_CHANGE,
	CL_WRITE,
};

/**
 * struct ctl_client - one connection
 * @fd:		its socket, non-blocking
 * @state:	enum ctl_client_state
 * @json:	CL_WAIT: wants the JSON report
 * @serial:	CL_CHANGE: the token control_change_done() names it by
 * @deadline:	CLOCK_MONOTONIC millisecond it is dropped at
 * @uid:	peer's uid, for log lines
 * @inlen:	bytes in @in
 * @in:		request bytes so far
 * @ans:	CL_WRITE: the answer
 * @off:	CL_WRITE: bytes of @ans already sent
 */
struct ctl_client {
	int fd;
	int state;
	bool json;
	uint32_t serial;
	uint64_t deadline;
	uid_t uid;
	size_t inlen;
	char in[CTL_LINE_MAX];
	struct ctl_answer *ans;
	size_t off;
};

/**
 * struct control - the control socket server
 * @fd:		listening socket
 * @owner:	uid allowed besides root
 * @userns:	the supervisor's user namespace: a peer must be in it
 * @no_userns:	the kernel has no user namespaces (no /proc/self/ns/user)
 * @ops:	what it asks of the supervisor
 * @ctx:	argument to @ops
 * @asked:	@ops->status was called and control_status_ready() not yet
 * @asked_at:	CLOCK_MONOTONIC millisecond of that call
 * @ncl:	clients in use
 * @serial:	last token given to a change request (ctl_client.serial)
 * @cl:		clients
 * @path:	socket path, unlinked by control_free()
 * @file:	the socket file's lstat() at start (st_ino 0: unknown), so
 *		that control_free() unlinks nothing else
 * @rl_denied:	rate limit of "refused a client" lines
 * @rl_accept:	rate limit of accept() failure lines
 */
struct control {
	int fd;
	uid_t owner;
	struct stat userns;
	bool no_userns;
	const struct ctl_ops *ops;
	void *ctx;
	bool asked;
	uint64_t asked_at;
	unsigned ncl;
	uint32_t serial;
	struct ctl_client cl[CTL_CLIENTS_MAX];
	char path[CTL_SUN_PATH_MAX];
	struct stat file;
	struct log_ratelimit rl_denied;
	struct log_ratelimit rl_accept;
};

/**
 * sun_from_path() - build a unix socket address
 * @sun:	output
 * @path:	path, checked to fit
 *
 * Return: its length for bind() and connect()
 */
static socklen_t sun_from_path(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	return (socklen_t)sizeof(*sun);
}

/**
 * path_clear() - make room for the socket at @path
 * @path:	socket path
 * @err:	error buffer
 * @errlen:	its size
 *
 * Only a socket nobody listens on (connect() says ECONNREFUSED: a
 * supervisor that died without unlinking it) is replaced.  Anything else
 * there is an error: a live socket means another nsplice owns the path, a
 * file or a directory is nothing of ours to delete.
 *
 * Return: 0 if nothing is at @path (any more), -1 otherwise
 */
static int path_clear(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 :
		       errfmt(err, errlen, "control socket %s: %s", path,
			      strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errfmt(err, errlen, "control socket %s: exists and is "
			      "not a socket, not replacing it", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errfmt(err, errlen, "control socket %s: socket: %s",
			      path, strerror(errno));
	ret = connect(fd, (struct sockaddr *)&sun, sun_from_path(&sun, path));
	if (!ret)
		errfmt(err, errlen, "control socket %s: in use by a running "
		       "process", path);
	else if (errno != ECONNREFUSED)
		errfmt(err, errlen, "control socket %s: cannot tell whether "
		       "it is in use: %s", path, strerror(errno));
	else if (unlink(path) && errno != ENOENT)
		errfmt(err, errlen, "control socket %s: removing the stale "
		       "socket: %s", path, strerror(errno));
	else
		ret = 1;
	close(fd);
	return ret == 1 ? 0 : -1;
}

/**
 * unmapped_owner() - the uid a directory of an owner our user namespace
 *		      does not map shows, if we are in such a namespace
 *
 * In the initial user namespace every uid is mapped, and real root is 0.
 * In another one (rootless podman, `unshare -r`), real root's directories
 * - /, /run, /run/user - show the kernel's overflow uid, as does every
 * owner the namespace does not map: from inside, they cannot be told
 * apart, and they are taken as root's.
 *
 * Return: the overflow uid (/proc/sys/kernel/overflowuid, 65534 if it
 * cannot be read) in a user namespace that does not map every uid, or
 * (uid_t)-1 (none) in the initial one
 */
static uid_t unmapped_owner(void)
{
	static struct idmap own;
	uint32_t v;

	if (idmap_read("uid_map", &own) ||
	    (own.n == 1 && !own.r[0].inside && !own.r[0].outside &&
	     own.r[0].count == UINT32_MAX))
		return (uid_t)-1;
	v = read_proc_u32(CTL_OVERFLOW_UID_FILE, CTL_OVERFLOW_UID);
	/* 0 and (uid_t)-1 are no overflow uid */
	return (uid_t)(v && v != UINT32_MAX ? v : CTL_OVERFLOW_UID);
}

/**
 * owner_trusted() - whether a file belongs to the supervisor's user or root
 * @st:		its stat() or lstat()
 * @unmapped:	unmapped_owner(), or (uid_t)-1
 *
 * Return: true if it does (a root outside our user namespace counts)
 */
static bool owner_trusted(const struct stat *st, uid_t unmapped)
{
	return st->st_uid == geteuid() || st->st_uid == 0 ||
	       (unmapped != (uid_t)-1 && st->st_uid == unmapped);
}

/**
 * dir_trusted() - whether only the supervisor's user or root can change the
 *		   entries of a directory
 * @st:		the directory's stat()
 * @unmapped:	unmapped_owner()
 *
 * Return: true if it belongs to either and nobody else may write to it,
 * or it is sticky (as /tmp is: there only an entry's owner may unlink or
 * rename it)
 */
static bool dir_trusted(const struct stat *st, uid_t unmapped)
{
	return owner_trusted(st, unmapped) &&
	       (!(st->st_mode & CTL_DIR_SHARED) || (st->st_mode & S_ISVTX));
}

/**
 * link_untrusted() - refuse a symlink that another user owns
 * @what:	what @path is, for messages
 * @path:	the path checked, for messages
 * @link:	the symlink on the way to it
 * @st:		@link's lstat()
 * @unmapped:	unmapped_owner()
 * @err:	error buffer
 * @errlen:	its size
 *
 * Whatever directory it sits in, a symlink's owner may re-point it at any
 * time (in a sticky one as anywhere; protected_symlinks covers only
 * world-writable sticky ones, and may be off), so one of another user's
 * lets them choose what the path names after it has been checked.
 *
 * Return: 0 if @link is ours or root's, or -1 with @err naming it
 */
static int link_untrusted(const char *what, const char *path,
			  const char *link, const struct stat *st,
			  uid_t unmapped, char *err, size_t errlen)
{
	if (owner_trusted(st, unmapped))
		return 0;
	return errfmt(err, errlen, "%s %s: %s is a symlink of uid %u, who may "
		      "point it elsewhere at any time: use a path without it, "
		      "or one of your own (or root's)", what, path, link,
		      (unsigned)st->st_uid);
}

/**
 * link_next() - the path a symlink leads to
 * @link:	the symlink's path
 * @next:	set to what it points to, completed with @link's directory
 *		if relative
 * @len:	size of @next, PATH_MAX
 *
 * Return: 0, or -1 with errno set (ENAMETOOLONG if it does not fit)
 */
static int link_next(const char *link, char *next, size_t len)
{
	char target[PATH_MAX];
	const char *slash = strrchr(link, '/');
	ssize_t n = readlink(link, target, sizeof(target));
	int dirlen = slash ? (int)(slash - link) : 0;

	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(target) ||
	    (size_t)snprintf(next, len, "%.*s%s%.*s", target[0] == '/' ? 0 :
			     dirlen, link, target[0] == '/' || !slash ? "" :
			     "/", (int)n, target) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/**
 * struct link_todo - symlink targets dir_walk() still has to walk
 * @path:	their paths, absolute
 * @n:		entries of @path waiting
 * @links:	symlinks met so far, all walks together
 */
struct link_todo {
	char path[CTL_LINKS_MAX][PATH_MAX];
	unsigned n;
	unsigned links;
};

/**
 * dir_walk_one() - check every prefix of one absolute path
 * @what:	what @path is, for messages ("control socket", "--pid-file")
 * @path:	the path checked, for messages
 * @dir:	absolute path to walk
 * @unmapped:	unmapped_owner()
 * @todo:	where a symlink's target goes, to be walked in turn
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err naming the first step that is not trusted
 */
static int dir_walk_one(const char *what, const char *path, const char *dir,
			uid_t unmapped, struct link_todo *todo, char *err,
			size_t errlen)
{
	char prefix[PATH_MAX];
	struct stat st;
	size_t i, len = strlen(dir);

	if (len >= sizeof(prefix) || dir[0] != '/')
		return errfmt(err, errlen, "%s %s: directory %s: not an "
			      "absolute path that fits", what, path, dir);
	for (i = 1; i <= len; i++) {
		if (i < len && dir[i] != '/')
			continue;
		/* the prefix up to here, "/" for the first component */
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(i > 1 ? i : 1),
			 dir);
		if (lstat(prefix, &st))
			return errfmt(err, errlen, "%s %s: directory %s: %s",
				      what, path, prefix, strerror(errno));
		if (S_ISLNK(st.st_mode)) {
			if (link_untrusted(what, path, prefix, &st, unmapped,
					   err, errlen))
				return -1;
			if (++todo->links > CTL_LINKS_MAX)
				return errfmt(err, errlen, "%s %s: more than "
					      "%d symlinks on the way", what,
					      path, CTL_LINKS_MAX);
			if (link_next(prefix, todo->path[todo->n],
				      sizeof(todo->path[0])))
				return errfmt(err, errlen, "%s %s: symlink %s: "
					      "%s", what, path, prefix,
					      strerror(errno));
			todo->n++;
			if (stat(prefix, &st))
				return errfmt(err, errlen, "%s %s: directory "
					      "%s: %s", what, path, prefix,
					      strerror(errno));
		}
		if (!dir_trusted(&st, unmapped))
			return errfmt(err, errlen, "%s %s: directory %s (owner "
				      "uid %u, mode %04o) lets others replace "
				      "it: use a directory only you (or root) "
				      "can write to, or a sticky one, on a "
				      "path of such directories", what, path,
				      prefix, (unsigned)st.st_uid,
				      (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/**
 * dir_walk() - check a directory and every directory above it
 * @what:	what @path is, for messages ("control socket", "--pid-file")
 * @path:	the path checked, for messages
 * @dir:	absolute path of its directory
 * @unmapped:	unmapped_owner()
 * @err:	error buffer
 * @errlen:	its size
 *
 * Each prefix of @dir is stat()ed as a lookup would reach it, symlinks
 * followed: a directory anywhere on the way that others may write to
 * lets them rename the rest of the path away and put their own in its
 * place, so that `nsplice ctl` talks to their server (or a pid file is
 * written where they chose) and nsplice, at exit, unlinks whatever is
 * then at the path.  A symlink on the way must itself be ours or
 * root's: in a sticky directory its owner may replace it whenever they
 * like (the kernel's protected_symlinks covers only world-writable
 * ones, and may be off), so judging it by the directory it points to at
 * start let another user re-point it at their own afterwards.  The same
 * holds for every link a symlink's target passes through: the path it
 * points to is walked the same way, so a link of ours that leads
 * through another user's link is refused too - the resolved path,
 * checked by dir_check(), has no links left to judge.  At most
 * CTL_LINKS_MAX links in all, walked from a list rather than by
 * recursion, so the work stays bounded however links branch.
 *
 * Return: 0, or -1 with @err naming the first directory that is not
 * trusted, from the top
 */
static int dir_walk(const char *what, const char *path, const char *dir,
		    uid_t unmapped, char *err, size_t errlen)
{
	char cur[PATH_MAX];
	struct link_todo *todo = calloc(1, sizeof(*todo));
	int ret = 0;

	if (!todo)
		return errfmt(err, errlen, "%s %s: out of memory", what, path);
	snprintf(cur, sizeof(cur), "%s", dir);
	for (;;) {
		ret = dir_walk_one(what, path, cur, unmapped, todo, err,
				   errlen);
		if (ret || !todo->n)
			break;
		todo->n--;
		memcpy(cur, todo->path[todo->n], sizeof(cur));
	}
	free(todo);
	return ret;
}

/**
 * dir_check() - refuse a path where others could replace what it names
 * @what:	what @path is, for messages ("control socket", "--pid-file")
 * @path:	the path
 * @err:	error buffer
 * @errlen:	its size
 *
 * Every directory from / down to @path's must belong to the
 * supervisor's user or root and be writable by nobody else unless it is
 * sticky (dir_trusted()): the path as given (a relative one from the
 * working directory), and the path with its symlinks resolved, whose
 * directories a lookup passes through too.  Used for the control socket,
 * the pid file and each step of the config file's path
 * (file_path_check()).
 *
 * Return: 0, or -1 with @err set
 */
int dir_check(const char *what, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], abs[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	const char *slash = strrchr(path, '/');
	uid_t unmapped = unmapped_owner();

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (dir[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", dir);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return errfmt(err, errlen, "%s %s: working directory: "
				      "%s", what, path, strerror(errno));
		if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, dir) >=
		    sizeof(abs))
			return errfmt(err, errlen, "%s %s: path too long",
				      what, path);
	}
	if (dir_walk(what, path, abs, unmapped, err, errlen))
		return -1;
	if (!realpath(abs, real))
		return errfmt(err, errlen, "%s %s: directory %s: %s", what,
			      path, abs, strerror(errno));
	return strcmp(real, abs) ? dir_walk(what, path, real, unmapped, err,
					    errlen)
				 : 0;
}

/**
 * file_path_check() - refuse a file that others could swap for another
 * @what:	what @path is, for messages ("config file")
 * @path:	the file's path
 * @err:	error buffer
 * @errlen:	its size
 *
 * A file that is read again later (the config file, at every SIGHUP) is
 * only as safe as the path to it: whoever may rename an entry of a
 * directory on the way, or re-point a symlink, can put a file of their
 * choosing there between two reads.  So the directories of @path go
 * through dir_check(), and while the last component is a symlink, the
 * symlink must be ours or root's (link_untrusted()) and the path it
 * leads to is checked the same way, for at most CTL_LINKS_MAX links.
 * The file itself (owner, mode) is its reader's to judge.
 *
 * Return: 0 (also if the file does not exist: opening it will say so),
 * or -1 with @err naming the component that is not trusted and why
 */
int file_path_check(const char *what, const char *path, char *err,
		    size_t errlen)
{
	char cur[PATH_MAX], next[PATH_MAX], label[CTL_LABEL_MAX];
	uid_t unmapped = unmapped_owner();
	struct stat st;
	int links;

	if ((size_t)snprintf(cur, sizeof(cur), "%s", path) >= sizeof(cur))
		return errfmt(err, errlen, "%s %s: path too long", what, path);
	snprintf(label, sizeof(label), "%s", what);
	for (links = 0;; links++) {
		/* past a symlink, say where the path came from */
		if (links == 1)
			snprintf(label, sizeof(label), "%s %s leads to", what,
				 path);
		if (dir_check(label, cur, err, errlen))
			return -1;
		if (lstat(cur, &st))
			return errno == ENOENT ? 0 :
			       errfmt(err, errlen, "%s %s: %s: %s", what, path,
				      cur, strerror(errno));
		if (!S_ISLNK(st.st_mode))
			return 0;
		if (link_untrusted(what, path, cur, &st, unmapped, err,
				   errlen))
			return -1;
		if (links == CTL_LINKS_MAX)
			return errfmt(err, errlen, "%s %s: more than %d "
				      "symlinks on the way to the file", what,
				      path, CTL_LINKS_MAX);
		if (link_next(cur, next, sizeof(next)))
			return errfmt(err, errlen, "%s %s: symlink %s: %s",
				      what, path, cur, strerror(errno));
		memcpy(cur, next, sizeof(cur));
	}
}

/**
 * sock_bind() - bind and listen at @path with mode 0600
 * @fd:		socket
 * @path:	path, free
 * @err:	error buffer
 * @errlen:	its size
 *
 * The umask makes the file 0600 from the moment it exists: unix_bind()
 * applies it before the file system sees the mode, and a default ACL can
 * only take permissions away from that.  Nothing touches @path after
 * bind() (no chmod(), which would follow a symlink put there meanwhile).
 *
 * Return: 0, or -1 with nothing left at @path
 */
static int sock_bind(int fd, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	socklen_t len = sun_from_path(&sun, path);
	mode_t old;
	int ret;

	old = umask(CTL_SOCK_UMASK);
	ret = bind(fd, (struct sockaddr *)&sun, len);
	umask(old);
	if (ret)
		return errfmt(err, errlen, "control socket %s: bind: %s", path,
			      strerror(errno));
	if (listen(fd, CTL_CLIENTS_MAX)) {
		errfmt(err, errlen, "control socket %s: %s", path,
		       strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/**
 * control_open() - create the listening control socket
 * @path:	socket path (--control)
 * @err:	error buffer
 * @errlen:	its size
 *
 * Runs before the sandbox: socket() and bind() are not allowed after it.
 * A stale socket at @path is replaced, nothing else is; a directory that
 * others may write to is refused (dir_check()).
 *
 * Return: listening socket (non-blocking, close-on-exec), or -1 with a
 * message and nothing created
 */
int control_open(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	int fd;

	if (!len)
		return errfmt(err, errlen, "control socket path is empty");
	if (len >= CTL_SUN_PATH_MAX)
		return errfmt(err, errlen, "control socket %.60s...: path too "
			      "long: %zu bytes, at most %zu", path, len,
			      CTL_SUN_PATH_MAX - 1);
	if (dir_check("control socket", path, err, errlen) ||
	    path_clear(path, err, errlen))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errfmt(err, errlen, "control socket %s: socket: %s",
			      path, strerror(errno));
	if (sock_bind(fd, path, err, errlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * control_new() - set up the server on a socket from control_open()
 * @listen_fd:	listening socket; owned by the server from now on
 * @path:	its path, unlinked by control_free()
 * @owner:	uid allowed to use it besides root (the supervisor's euid)
 * @ops:	callbacks into the supervisor
 * @ctx:	their argument
 *
 * Runs before the sandbox, like control_open(): it notes the supervisor's
 * user namespace, which every client must share.
 *
 * Return: the server, or NULL if memory ran out, @path does not fit or
 * the supervisor's user namespace cannot be read (@listen_fd is then
 * still the caller's)
 */
struct control *control_new(int listen_fd, const char *path, uid_t owner,
			    const struct ctl_ops *ops, void *ctx)
{
	struct control *c;
	unsigned i;

	if (strlen(path) >= CTL_SUN_PATH_MAX || !(c = calloc(1, sizeof(*c))))
		return NULL;
	if (stat(CTL_SELF_USERNS, &c->userns)) {
		if (errno != ENOENT) {
			nerr("control socket: %s: %s", CTL_SELF_USERNS,
			     strerror(errno));
			free(c);
			return NULL;
		}
		c->no_userns = true;
	}
	c->fd = listen_fd;
	c->owner = owner;
	c->ops = ops;
	c->ctx = ctx;
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* what control_free() may unlink: this file, nothing else */
	if (lstat(path, &c->file) || !S_ISSOCK(c->file.st_mode))
		c->file.st_ino = 0;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		c->cl[i].fd = -1;
	return c;
}

/**
 * answer_new() - an answer of one or two parts
 * @head:	first part
 * @body:	second part, or NULL
 * @blen:	its length
 *
 * Return: the answer with one reference, or NULL if memory ran out
 */
static struct ctl_answer *answer_new(const char *head, const char *body,
				     size_t blen)
{
	size_t hlen = strlen(head);
	struct ctl_answer *a;

	if (!(a = malloc(sizeof(*a) + hlen + blen)))
		return NULL;
	a->refs = 1;
	a->len = hlen + blen;
	memcpy(a->data, head, hlen);
	if (blen)
		memcpy(a->data + hlen, body, blen);
	return a;
}

/**
 * answer_put() - drop one reference to an answer
 * @a:		answer, or NULL
 */
static void answer_put(struct ctl_answer *a)
{
	if (a && !--a->refs)
		free(a);
}

/**
 * client_drop() - close a client and free its slot
 * @c:		server
 * @cl:		client in use
 */
static void client_drop(struct control *c, struct ctl_client *cl)
{
	close(cl->fd);
	answer_put(cl->ans);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	c->ncl--;
}

/**
 * client_write() - send what the socket takes of a client's answer
 * @c:		server
 * @cl:		client in CL_WRITE
 *
 * MSG_NOSIGNAL: a client that went away must not kill the supervisor
 * with SIGPIPE.  The client is closed once everything is out, or on any
 * error; on EAGAIN it stays and is polled for POLLOUT.
 */
static void client_write(struct control *c, struct ctl_client *cl)
{
	const struct ctl_answer *a = cl->ans;
	ssize_t n;

	while (cl->off < a->len) {
		n = send(cl->fd, a->data + cl->off, a->len - cl->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			ndebug("control: client of uid %u went away: %s",
			       (unsigned)cl->uid, strerror(errno));
			break;
		}
		cl->off += (size_t)n;
	}
	client_drop(c, cl);
}

/**
 * client_answer() - start writing an answer to a client
 * @c:		server
 * @cl:		client
 * @a:		answer, or NULL if making it ran out of memory; the client
 *		takes a reference of its own
 */
static void client_answer(struct control *c, struct ctl_client *cl,
			  struct ctl_answer *a)
{
	if (!a) {
		nwarn("control: out of memory for an answer");
		client_drop(c, cl);
		return;
	}
	a->refs++;
	cl->ans = a;
	cl->off = 0;
	cl->state = CL_WRITE;
	client_write(c, cl);
}

/**
 * client_say() - answer a client with a short fixed or formatted line
 * @c:		server
 * @cl:		client
 * @head:	"ok\n", or "error: " followed by @msg and a newline
 * @msg:	message for an error, or NULL; made terminal-safe with
 *		text_safe() (controls, C1 included, become '?') so the
 *		answer stays one line
 */
static void client_say(struct control *c, struct ctl_client *cl,
		       const char *head, const char *msg)
{
	char line[CTL_ERR_MAX + sizeof("error: \n")];
	struct ctl_answer *a;
	int n;

	if (msg) {
		n = snprintf(line, sizeof(line) - 1, "%s%s", head,
			     *msg ? msg : "failed");
		n = n < 0 ? 0 : n;
		n = (size_t)n < sizeof(line) - 2 ? n : (int)sizeof(line) - 2;
		n = (int)text_safe(line, line, (size_t)n, 0, NULL);
		line[n++] = '\n';
		line[n] = '\0';
		head = line;
	}
	a = answer_new(head, NULL, 0);
	client_answer(c, cl, a);
	answer_put(a);
}

/**
 * status_request() - make a client wait for the next status report
 * @c:		server
 * @cl:		client
 * @json:	it wants JSON
 *
 * The supervisor is asked once however many clients wait; if it has not
 * answered within CTL_TIMEOUT_SEC (a report lost to a restarting relay),
 * the next client asks again rather than waiting for an answer that may
 * never come.
 */
static void status_request(struct control *c, struct ctl_client *cl,
			   bool json)
{
	uint64_t now = (uint64_t)clock_ms();

	cl->state = CL_WAIT;
	cl->json = json;
	if (c->asked && now - c->asked_at < CTL_TIMEOUT_MS)
		return;
	c->asked = true;
	c->asked_at = now;
	c->ops->status(c->ctx);
}

/**
 * client_request() - act on a complete request line
 * @c:		server
 * @cl:		client in CL_READ, @cl->in holds the line
 */
static void client_request(struct control *c, struct ctl_client *cl)
{
	char err[CTL_ERR_MAX];
	struct ctl_req r;

	if (ctl_req_parse(cl->in, cl->inlen, &r, err, sizeof(err))) {
		ndebug("control: uid %u: bad request: %s", (unsigned)cl->uid,
		       err);
		client_say(c, cl, "error: ", err);
		return;
	}
	if (r.op == CTL_STATUS) {
		status_request(c, cl, r.json);
		return;
	}
	ninfo("control: uid %u: %s -%c %s", (unsigned)cl->uid,
	      r.op == CTL_ADD ? "add" : "remove", r.opt, r.spec);
	err[0] = '\0';
	cl->serial = ++c->serial;
	switch (c->ops->change(c->ctx, &r, cl->serial, err, sizeof(err))) {
	case 0:
		client_say(c, cl, CTL_ANS_OK, NULL);
		break;
	case 1:
		cl->state = CL_CHANGE;	/* control_change_done() answers */
		break;
	default:
		err[sizeof(err) - 1] = '\0';
		client_say(c, cl, "error: ", err);
	}
}

/**
 * control_change_done() - answer a client whose add was applied
 * @c:		server
 * @token:	the token @ops->change was given
 * @warning:	what the client should know (a listener that could not be
 *		bound), or NULL: "ok: WARNING" or "ok"
 *
 * A client that has gone meanwhile is not there to answer: nothing
 * happens.
 */
void control_change_done(struct control *c, uint32_t token,
			 const char *warning)
{
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->state != CL_CHANGE || cl->serial != token)
			continue;
		if (warning)
			client_say(c, cl, "ok: ", warning);
		else
			client_say(c, cl, CTL_ANS_OK, NULL);
		return;
	}
}

/**
 * client_read() - read what a client sent of its request
 * @c:		server
 * @cl:		client in CL_READ
 *
 * The line is complete at its newline or at end of file; a buffer full
 * without a newline is a line longer than CTL_LINE_MAX.
 */
static void client_read(struct control *c, struct ctl_client *cl)
{
	char err[CTL_ERR_MAX];
	ssize_t n;

	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_drop(c, cl);
		return;
	}
	cl->inlen += (size_t)n;
	if (!n || memchr(cl->in + cl->inlen - (size_t)n, '\n', (size_t)n)) {
		client_request(c, cl);
	} else if (cl->inlen == sizeof(cl->in)) {
		snprintf(err, sizeof(err), "request longer than %d bytes",
			 CTL_LINE_MAX);
		client_say(c, cl, "error: ", err);
	}
}

/**
 * peer_cred() - the pid and uid of a client, from SO_PEERCRED
 * @fd:		connected socket
 * @cred:	set on success
 *
 * Return: 0, or -1 if the kernel would not say
 */
static int peer_cred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) ||
	    len != sizeof(*cred))
		return -1;
	return 0;
}

/**
 * enum peer_ns - a client's user namespace, as the supervisor sees it
 * @PEER_NS_SAME:	the supervisor's own
 * @PEER_NS_OTHER:	another one: COMMAND's, a container's
 * @PEER_NS_HIDDEN:	the kernel will not show it (EACCES): the peer holds
 *			privileges over the supervisor's that it lacks
 * @PEER_NS_GONE:	the peer exited first, or the kernel could not tell
 */
enum peer_ns {
	PEER_NS_SAME,
	PEER_NS_OTHER,
	PEER_NS_HIDDEN,
	PEER_NS_GONE,
};

/**
 * ns_compare() - compare a user namespace with the supervisor's
 * @c:		server
 * @nsfd:	namespace descriptor, closed here
 *
 * Return: PEER_NS_SAME, PEER_NS_OTHER, or PEER_NS_GONE if fstat() failed
 */
static enum peer_ns ns_compare(const struct control *c, int nsfd)
{
	enum peer_ns r = PEER_NS_GONE;
	struct stat st;

	if (!fstat(nsfd, &st))
		r = st.st_dev == c->userns.st_dev &&
		    st.st_ino == c->userns.st_ino ? PEER_NS_SAME :
						    PEER_NS_OTHER;
	close(nsfd);
	return r;
}

/**
 * ns_by_proc() - a process's user namespace through /proc/PID/ns/user
 * @c:		server
 * @pid:	process
 *
 * Return: enum peer_ns
 */
static enum peer_ns ns_by_proc(const struct control *c, pid_t pid)
{
	char path[CTL_PROC_PATH_MAX];
	int nsfd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return errno == EACCES || errno == EPERM ? PEER_NS_HIDDEN :
							   PEER_NS_GONE;
	return ns_compare(c, nsfd);
}

/**
 * ns_by_pidfd() - the user namespace of the process a pidfd pins
 * @c:		server
 * @pidfd:	the peer as of connect() (SO_PEERPIDFD)
 * @pid:	its pid
 *
 * Before Linux 6.11 the ioctl is unknown (ENOTTY): /proc/PID/ns/user is
 * read instead, and the pidfd checked afterwards to still name a live
 * process, so the pid was not reused in between.
 *
 * Return: enum peer_ns
 */
static enum peer_ns ns_by_pidfd(const struct control *c, int pidfd,
				pid_t pid)
{
	int nsfd = ioctl(pidfd, SECCOMP_PIDFD_GET_USERNS, 0);
	enum peer_ns r;

	if (nsfd >= 0)
		return ns_compare(c, nsfd);
	if (errno == EACCES || errno == EPERM)
		return PEER_NS_HIDDEN;
	if (errno != ENOTTY && errno != EINVAL)
		return PEER_NS_GONE;	/* ESRCH: it exited */
	r = ns_by_proc(c, pid);
	if (pidfd_send_signal(pidfd, 0, NULL, 0))
		return PEER_NS_GONE;
	return r;
}

/**
 * peer_ns() - the user namespace of a client
 * @c:		server
 * @fd:		connected socket
 * @pid:	the client's pid (SO_PEERCRED)
 *
 * Return: enum peer_ns; PEER_NS_SAME when the kernel has no user
 * namespaces at all
 */
static enum peer_ns peer_ns(const struct control *c, int fd, pid_t pid)
{
	socklen_t len = sizeof(int);
	int pidfd = -1;
	enum peer_ns r;

	if (c->no_userns)
		return PEER_NS_SAME;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len))
		return errno == ENOPROTOOPT ? ns_by_proc(c, pid) :
					      PEER_NS_GONE;
	if (len != sizeof(int) || pidfd < 0)
		return PEER_NS_GONE;
	r = ns_by_pidfd(c, pidfd, pid);
	close(pidfd);
	return r;
}

/**
 * peer_refusal() - why a client of an allowed uid may not connect
 * @c:		server
 * @fd:		connected socket
 * @cred:	its SO_PEERCRED
 *
 * Only a peer in the supervisor's user namespace passes; a hidden one
 * only if it is root (see the theory of operation: COMMAND's processes
 * are never hidden, a root process with capabilities the supervisor
 * dropped is).
 *
 * Return: NULL if it may, else the reason, for the log and the answer
 */
static const char *peer_refusal(const struct control *c, int fd,
				const struct ucred *cred)
{
	switch (peer_ns(c, fd, cred->pid)) {
	case PEER_NS_SAME:
		return NULL;
	case PEER_NS_OTHER:
		return "not in nsplice's user namespace";
	case PEER_NS_HIDDEN:
		return cred->uid == 0 ? NULL : "its user namespace cannot be "
		       "checked";
	default:
		return "it exited before its user namespace was checked";
	}
}

/**
 * client_add() - take a new connection into a free slot
 * @c:		server, with fewer than CTL_CLIENTS_MAX clients
 * @fd:		accepted socket, non-blocking
 *
 * A peer that is neither the owner nor root, or is not in the
 * supervisor's user namespace, is told so and closed; it gets no further
 * than this.
 */
static void client_add(struct control *c, int fd)
{
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	struct ctl_client *cl = c->cl;
	const char *why;

	while (cl < c->cl + CTL_CLIENTS_MAX - 1 && cl->state != CL_FREE)
		cl++;
	if (cl->state != CL_FREE) {
		close(fd);	/* callers check the limit: not reached */
		return;
	}
	cl->fd = fd;
	cl->state = CL_READ;
	cl->deadline = (uint64_t)clock_ms() + CTL_TIMEOUT_MS;
	c->ncl++;
	cl->uid = cred.uid;
	if (peer_cred(fd, &cred) || (cred.uid != c->owner && cred.uid != 0)) {
		log_ratelimited(&c->rl_denied, LOG_LVL_WARN, "control: "
				"refused a client of uid %d: only uid %u and "
				"root may connect", (int)cred.uid,
				(unsigned)c->owner);
		client_say(c, cl, CTL_ANS_DENIED, NULL);
		return;
	}
	cl->uid = cred.uid;
	why = peer_refusal(c, fd, &cred);
	if (why) {
		log_ratelimited(&c->rl_denied, LOG_LVL_WARN, "control: "
				"refused pid %d (uid %u): %s", (int)cred.pid,
				(unsigned)cred.uid, why);
		client_say(c, cl, CTL_ANS_DENIED_NS, why);
	}
}

/**
 * accept_ready() - accept the connections waiting, up to the client limit
 * @c:		server
 */
static void accept_ready(struct control *c)
{
	int fd;

	while (c->ncl < CTL_CLIENTS_MAX) {
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			client_add(c, fd);
			continue;
		}
		if (errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EINTR)
			log_ratelimited(&c->rl_accept, LOG_LVL_WARN,
					"control: accept: %s",
					strerror(errno));
		return;
	}
}

/**
 * client_by_fd() - find the client using a descriptor
 * @c:		server
 * @fd:		descriptor
 *
 * Return: the client, or NULL
 */
static struct ctl_client *client_by_fd(struct control *c, int fd)
{
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].state != CL_FREE && c->cl[i].fd == fd)
			return &c->cl[i];
	return NULL;
}

/**
 * control_pollfds() - what the server waits for
 * @c:		server
 * @p:		entries to fill
 * @max:	room in @p; 1 + CTL_CLIENTS_MAX is always enough
 *
 * The listener comes first, and only while there is room for a client;
 * then clients reading (POLLIN) or writing (POLLOUT).  Clients waiting
 * for a status report are not polled: control_tick() bounds their wait.
 *
 * Return: entries filled
 */
unsigned control_pollfds(const struct control *c, struct pollfd *p,
			 unsigned max)
{
	const struct ctl_client *cl;
	unsigned n = 0, i;

	if (n < max && c->ncl < CTL_CLIENTS_MAX)
		p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (i = 0; i < CTL_CLIENTS_MAX && n < max; i++) {
		cl = &c->cl[i];
		if (cl->state == CL_READ)
			p[n++] = (struct pollfd){ .fd = cl->fd,
						  .events = POLLIN };
		else if (cl->state == CL_WRITE)
			p[n++] = (struct pollfd){ .fd = cl->fd,
						  .events = POLLOUT };
	}
	return n;
}

/**
 * control_events() - act on what poll() reported
 * @c:		server
 * @p:		the entries control_pollfds() filled, after poll()
 * @n:		their number
 *
 * A client is found by its descriptor and acted on only in the state the
 * entry was made for; everything is non-blocking, so an entry gone stale
 * (its client closed meanwhile, the number reused) costs one EAGAIN.
 */
void control_events(struct control *c, const struct pollfd *p, unsigned n)
{
	const short ready_in = POLLIN | POLLHUP | POLLERR;
	const short ready_out = POLLOUT | POLLHUP | POLLERR;
	struct ctl_client *cl;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == c->fd) {
			accept_ready(c);
			continue;
		}
		if (!(cl = client_by_fd(c, p[i].fd)))
			continue;
		if (cl->state == CL_READ && (p[i].revents & ready_in))
			client_read(c, cl);
		else if (cl->state == CL_WRITE && (p[i].revents & ready_out))
			client_write(c, cl);
	}
}

/**
 * report_answer() - the answer to every client waiting for one format
 * @st:		report, or NULL if the supervisor has none
 * @json:	JSON or text
 *
 * Return: the answer, "ok" and the report, or an error line; NULL if
 * memory ran out
 */
static struct ctl_answer *report_answer(const struct ctl_status *st,
					bool json)
{
	struct ctl_answer *a;
	size_t len;
	char *text;

	if (!st)
		return answer_new("error: status not available\n", NULL, 0);
	if (ctl_format(st, json, &text, &len))
		return answer_new("error: status report too large or out of "
				  "memory\n", NULL, 0);
	a = answer_new(CTL_ANS_OK, text, len);
	free(text);
	return a;
}

/**
 * control_status_ready() - answer every client waiting for a report
 * @c:		server
 * @st:		report, or NULL if none could be gathered (they get an
 *		error)
 *
 * Each format is built once, only if someone waits for it.
 */
void control_status_ready(struct control *c, const struct ctl_status *st)
{
	struct ctl_answer *ans[2] = { NULL, NULL };
	bool made[2] = { false, false };
	struct ctl_client *cl;
	unsigned i;

	c->asked = false;
	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		cl = &c->cl[i];
		if (cl->state != CL_WAIT)
			continue;
		if (!made[cl->json]) {
			ans[cl->json] = report_answer(st, cl->json);
			made[cl->json] = true;
		}
		client_answer(c, cl, ans[cl->json]);
	}
	answer_put(ans[0]);
	answer_put(ans[1]);
}

/**
 * control_tick() - drop clients past their deadline
 * @c:		server
 *
 * Called every 200 ms or so.  A client still sending or waiting is told
 * why, if its socket takes the line at once; one that does not read its
 * answer is just closed.
 */
void control_tick(struct control *c)
{
	char msg[CTL_ERR_MAX];
	struct ctl_client *cl;
	uint64_t now = (uint64_t)clock_ms();
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		cl = &c->cl[i];
		if (cl->state == CL_FREE || now < cl->deadline)
			continue;
		ndebug("control: client of uid %u timed out",
		       (unsigned)cl->uid);
		if (cl->state != CL_WRITE) {
			int n = snprintf(msg, sizeof(msg), "error: timed out "
					 "after %d s\n", CTL_TIMEOUT_SEC);

			if (send(cl->fd, msg, (size_t)n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* Best effort: it is dropped either way. */
			}
		}
		client_drop(c, cl);
	}
}

/**
 * control_free() - close every connection, the listener, and unlink it
 * @c:		server, or NULL
 */
void control_free(struct control *c)
{
	struct stat st;
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].state != CL_FREE)
			client_drop(c, &c->cl[i]);
	close(c->fd);
	/* Only the socket bound at start: if the path leads elsewhere now
	 * (a directory on it renamed by its owner), what is there is not
	 * ours to delete. */
	if (lstat(c->path, &st)) {
		if (errno != ENOENT)
			nwarn("control: %s: %s", c->path, strerror(errno));
	} else if (!c->file.st_ino || st.st_dev != c->file.st_dev ||
		   st.st_ino != c->file.st_ino) {
		nwarn("control: %s is no longer the socket nsplice made: "
		      "leaving it", c->path);
	} else if (unlink(c->path) && errno != ENOENT) {
		nwarn("control: removing %s: %s", c->path, strerror(errno));
	}
	free(c);
}
