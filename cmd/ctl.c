// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl.c - `nsplice ctl PATH REQUEST...`: talk to a running supervisor
 *
 * DOC: Theory of Operation
 *
 *   nsplice ctl PATH status [--json]
 *   nsplice ctl PATH add -t|-T|-u|-U SPEC [--proxy-protocol]
 *   nsplice ctl PATH remove -t|-T|-u|-U SPEC
 *
 * The arguments become one request line ("status json", "add -t 8080"),
 * checked with ctl_req_parse(), the parser the server runs, and the SPEC
 * of an add or remove with portspec_parse(), as -t/-T parse it, so a bad
 * request or a SPEC that does not parse is a usage error (status 2)
 * before anything is connected to.
 * Then: connect to PATH, make sure the server runs as our user or as
 * root (peer_untrusted()), send the line, shutdown(SHUT_WR) so the server
 * sees the end of the request even without waiting for the newline, and
 * read until the server closes.  Every step is bounded: connect() by
 * CONNECT_TIMEOUT_MS (a unix socket whose backlog is full answers EAGAIN
 * rather than blocking, so it is retried until then), the exchange by
 * IO_TIMEOUT_MS (the server's own deadline plus slack), the answer by
 * CTL_ANSWER_MAX.
 *
 * The first line of the answer decides: "ok" prints the rest on stdout
 * and exits 0; "ok: WARNING" prints WARNING on stderr and exits 0 (an add
 * whose port cannot be bound yet); "error: MESSAGE" prints MESSAGE on
 * stderr and exits 1, as
 * does a failure to connect or a malformed answer.  A server that refuses
 * a client before reading its request (permission denied) may answer and
 * close before the request is even sent, so EPIPE on sending still reads
 * the answer; and it closes with unread bytes, which Linux reports to the
 * client as ECONNRESET once the answer is read: an answer with a complete
 * first line is taken as it is then.
 *
 * Everything shown is terminal-safe (text_safe()): a message may quote
 * the user's arguments or the server's words, and the body of an "ok"
 * answer (a status report, whose strings come from the namespace's side)
 * keeps only its newlines and tabs of all control characters.
 */
#include <bsd/string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "ipc/clock.h"
#include "ipc/text.h"
#include "supervisor/config/config.h"
#include "supervisor/config/portspec.h"
#include "supervisor/ctlproto.h"

/* CONNECT_TIMEOUT_MS - how long connecting may take, milliseconds */
#define CONNECT_TIMEOUT_MS	5000

/* CONNECT_RETRY_MS - pause between attempts while the backlog is full */
#define CONNECT_RETRY_MS	50

/* IO_TIMEOUT_MS - sending the request and reading the whole answer,
 * milliseconds: the server gives up after CTL_TIMEOUT_SEC, plus slack */
#define IO_TIMEOUT_MS		((CTL_TIMEOUT_SEC + 2) * 1000)

/* READ_CHUNK - bytes the answer buffer grows by, at least */
#define READ_CHUNK		65536

/* ANSWER_ERR_SHOW_MAX - bytes of a server message shown on stderr */
#define ANSWER_ERR_SHOW_MAX	1024

/* SAY_MAX - one message of the client on stderr, bytes: room for a whole
 * server message and the client's own words around it */
#define SAY_MAX			(ANSWER_ERR_SHOW_MAX + 256)

/* PATH_MAX_CTL - longest socket path taken, bytes with the NUL */
#define PATH_MAX_CTL		4096

/* SUN_PATH_MAX - size of sun_path, bytes with the NUL */
#define SUN_PATH_MAX		sizeof(((struct sockaddr_un *)NULL)->sun_path)


/**
 * struct ctl_answer_buf - the answer as read so far
 * @p:		bytes, NUL-terminated once complete
 * @len:	bytes in @p
 * @cap:	bytes allocated
 */
struct ctl_answer_buf {
	char *p;
	size_t len;
	size_t cap;
};

/**
 * ctl_usage() - print the client's usage
 * @f:		stdout for --help, stderr for a usage error
 */
static void ctl_usage(FILE *f)
{
	fprintf(f, "Usage: nsplice ctl PATH status [--json]\n"
		   "       nsplice ctl PATH add -t|-T|-u|-U SPEC "
		   "[--proxy-protocol]\n"
		   "       nsplice ctl PATH remove -t|-T|-u|-U SPEC\n"
		   "Talk to the nsplice started with --control PATH: show its "
		   "status, or add or\nremove forwards as -t/-T/-u/-U would "
		   "(SPEC as on the command line, one word).\n"
		   "Exit status: 0 ok; 1 refused by nsplice (e.g. not "
		   "forwarded) or no\nconnection; 2 bad usage (e.g. a SPEC "
		   "that does not parse).\n");
}

/**
 * say() - print one message of the client on stderr, terminal-safe
 * @fmt:	printf format, without "nsplice ctl: " and the newline
 */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char msg[SAY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_safe_str(msg);
	fprintf(stderr, "nsplice ctl: %s\n", msg);
}

/**
 * build_status() - the request line of "status [--json]"
 * @argc:	number of words after "status"
 * @argv:	those words
 * @line:	output, CTL_LINE_MAX bytes, with the newline
 *
 * "--json" is spelt "json" on the wire.
 *
 * Return: 0, or -1 (after a message) on a usage error
 */
static int build_status(int argc, char **argv, char *line)
{
	if (argc == 1 && !strcmp(argv[0], "--json")) {
		strlcpy(line, "status json\n", CTL_LINE_MAX);
		return 0;
	}
	if (argc) {
		say("status: unexpected argument \"%.60s\": expected "
		    "--json or nothing",
		    strcmp(argv[0], "--json") ? argv[0] : argv[1]);
		return -1;
	}
	strlcpy(line, "status\n", CTL_LINE_MAX);
	return 0;
}

/**
 * build_request() - the request line from the words after PATH
 * @argc:	number of words, at least one
 * @argv:	words
 * @line:	output, CTL_LINE_MAX bytes, with the newline
 *
 * Add and remove pass their option and SPEC through as they are, for
 * ctl_req_parse() to judge.
 *
 * Return: 0, or -1 (after a message) on a usage error
 */
static int build_request(int argc, char **argv, char *line)
{
	size_t len = 0, n;
	int i;

	if (!strcmp(argv[0], "status"))
		return build_status(argc - 1, argv + 1, line);
	/* "add -t 80 -t 81" is the user's idea of one request; the
	 * protocol's "at most 4 words" would not tell them what to do */
	if ((!strcmp(argv[0], "add") || !strcmp(argv[0], "remove")) &&
	    argc > 3 && argv[3][0] == '-' && strcmp(argv[3], "--proxy-protocol")) {
		say("%s: one -t|-T|-u|-U SPEC per request, \"%s\" is a second "
		    "option: run nsplice ctl once per SPEC", argv[0], argv[3]);
		return -1;
	}
	if (argc > 4 && !strcmp(argv[3], "--proxy-protocol")) {
		say("%s: \"%s\" after --proxy-protocol: it is the last word, "
		    "given once", argv[0], argv[4]);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (!n) {
			/* The server would only see two spaces in a row; the
			 * user typed an empty SPEC (-U "$PORTS" with nothing
			 * in it), so say it as -t/-T/-u/-U on the command line
			 * do. */
			if (i > 0 && argv[i - 1][0] == '-')
				say("%s \"\": empty spec", argv[i - 1]);
			else
				say("argument %d is empty: expected a word", i + 2);
			return -1;
		}
		if (strpbrk(argv[i], " \t")) {
			say("argument \"%.60s\": expected one word, without "
			    "spaces or tabs", argv[i]);
			return -1;
		}
		if (len + n + 2 > CTL_LINE_MAX) {
			say("request too long: at most %d bytes",
			    CTL_LINE_MAX - 1);
			return -1;
		}
		memcpy(line + len, argv[i], n);
		len += n;
		line[len++] = i + 1 < argc ? ' ' : '\n';
		line[len] = '\0';
	}
	return 0;
}

/**
 * check_spec() - parse the SPEC of an add or remove as the server will
 * @r:		parsed request
 *
 * A SPEC that does not parse is the caller's typing, not the server's
 * state, so it is a usage error before anything is connected to, with
 * the words -t/-T would print.  What only the running configuration can
 * judge (an overlap, a forward that is not there) stays the server's.
 *
 * Return: 0, or -1 (after a message)
 */
static int check_spec(const struct ctl_req *r)
{
	char why[PORTSPEC_ERR_MAX];
	struct portspec_env env;
	struct portspec *ps;
	int ret = 0;

	if (r->op != CTL_ADD && r->op != CTL_REMOVE)
		return 0;
	ps = malloc(sizeof(*ps));
	if (!ps) {
		say("out of memory");
		return -1;
	}
	portspec_env_read(&env);
	if (portspec_parse(r->spec, &env, ps, why, sizeof(why))) {
		say("-%c \"%s\": %s", r->opt, r->spec, why);
		ret = -1;
	} else if (r->op == CTL_REMOVE && ps->none) {
		say("-%c %s: forwards nothing: expected the SPEC of forwards "
		    "to remove", r->opt, r->spec);
		ret = -1;
	}
	free(ps);
	return ret;
}

/**
 * check_request() - validate the line as the server will
 * @line:	request line
 *
 * Return: 0, or -1 (after a message)
 */
static int check_request(const char *line)
{
	char err[CONFIG_ERR_MAX];
	struct ctl_req r;

	if (ctl_req_parse(line, strlen(line), &r, err, sizeof(err))) {
		say("%s", err);
		return -1;
	}
	return check_spec(&r);
}

/**
 * wait_fd() - poll one descriptor until an event or a deadline
 * @fd:		descriptor
 * @events:	POLLIN or POLLOUT
 * @deadline:	clock_ms() value to give up at
 *
 * Return: 0 when ready, -1 with errno (ETIMEDOUT at the deadline)
 */
static int wait_fd(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int rc;

	while ((left = deadline - clock_ms()) > 0) {
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}

/**
 * connect_wait() - finish a connect() that did not complete at once
 * @fd:		socket
 * @deadline:	clock_ms() value to give up at
 *
 * AF_UNIX answers a full backlog with EAGAIN and no later notice, so
 * that case is retried after a pause; EINPROGRESS is polled for.
 *
 * Return: 1 to try connect() again, 0 if connected, -1 with errno
 */
static int connect_wait(int fd, long deadline)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (errno == EAGAIN) {
		if (deadline - clock_ms() <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(NULL, 0, CONNECT_RETRY_MS);
		return 1;
	}
	if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -1;
	errno = soerr;
	return soerr ? -1 : 0;
}

/**
 * sun_fill() - put a socket path into sun_path, however long it is
 * @path:	socket path, non-empty
 * @sun:	address to fill
 * @dirfd:	set to an O_PATH descriptor of the directory when @path is
 *		too long for sun_path, else -1; the caller closes it after
 *		connect()
 *
 * A path longer than sun_path (rootlessport's control socket sits beside
 * podman's in a directory named after the 64-digit container id) is
 * reached through /proc/self/fd/N/NAME, N the directory opened here.
 *
 * Return: 0, or -1 (after a message)
 */
static int sun_fill(const char *path, struct sockaddr_un *sun, int *dirfd)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX_CTL];

	*dirfd = -1;
	if (strlen(path) < SUN_PATH_MAX) {
		memcpy(sun->sun_path, path, strlen(path) + 1);
		return 0;
	}
	if (!slash || (size_t)(slash - path) >= sizeof(dir)) {
		say("socket path \"%.60s...\": too long", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	*dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0) {
		say("socket directory \"%.60s...\": %s", dir, strerror(errno));
		return -1;
	}
	if (snprintf(sun->sun_path, SUN_PATH_MAX, "/proc/self/fd/%d/%s",
		     *dirfd, slash + 1) >= (int)SUN_PATH_MAX) {
		say("socket name \"%.60s...\": too long", slash + 1);
		close(*dirfd);
		return -1;
	}
	return 0;
}

/**
 * peer_untrusted() - refuse a server that is neither us nor root
 * @fd:		connected socket
 * @path:	its path, for the message
 *
 * The server admits only its own user and root (control.c); the client
 * holds it to the same rule, because a path is only as good as whoever
 * could put a socket there: a name in a sticky directory while nsplice
 * is down, a symlink on the way that another user re-points.  Their
 * server would otherwise answer "ok" to a remove that never happened,
 * or show a status of its choosing.  Root asking about another user's
 * instance asks as that user (runuser), as podman's own tools do.
 *
 * Return: 0 if the server runs as our effective uid or as root, else -1
 * (after a message)
 */
static int peer_untrusted(int fd, const char *path)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		say("%s: cannot tell who serves it: %s", path,
		    strerror(errno));
		return -1;
	}
	if (cred.uid == geteuid() || cred.uid == 0)
		return 0;
	say("%s is served by uid %u (pid %d), which is neither you nor root: "
	    "not asking it (to reach another user's nsplice, run ctl as that "
	    "user, e.g. runuser -u USER -- nsplice ctl ...)", path,
	    (unsigned)cred.uid, (int)cred.pid);
	return -1;
}

/**
 * ctl_connect() - connect to the control socket within the time limit
 * @path:	socket path, non-empty
 *
 * Return: connected non-blocking socket, or -1 (after a message)
 */
static int ctl_connect(const char *path)
{
	long deadline = clock_ms() + CONNECT_TIMEOUT_MS;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc, dirfd;

	if (sun_fill(path, &sun, &dirfd))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say("socket: %s", strerror(errno));
		if (dirfd >= 0)
			close(dirfd);
		return -1;
	}
	do {
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (rc)
			rc = connect_wait(fd, deadline);
	} while (rc == 1);
	if (dirfd >= 0)
		close(dirfd);
	if (rc) {
		say("connecting to %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (peer_untrusted(fd, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * send_request() - send the line and end our half of the connection
 * @fd:		connected socket
 * @line:	request line
 * @deadline:	clock_ms() value to give up at
 *
 * Return: 0, or -1 with errno
 */
static int send_request(int fd, const char *line, long deadline)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		if (wait_fd(fd, POLLOUT, deadline))
			return -1;
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			off += (size_t)n;
	}
	return shutdown(fd, SHUT_WR);
}

/**
 * answer_room() - make room to read more of the answer
 * @a:		answer so far
 *
 * Return: 0, or -1 with errno (EFBIG past CTL_ANSWER_MAX)
 */
static int answer_room(struct ctl_answer_buf *a)
{
	size_t cap;
	char *p;

	if (a->cap - a->len > 1)
		return 0;
	if (a->cap > CTL_ANSWER_MAX) {
		errno = EFBIG;
		return -1;
	}
	cap = a->cap + (a->cap > READ_CHUNK ? a->cap : READ_CHUNK);
	cap = cap > (size_t)CTL_ANSWER_MAX + 2 ? (size_t)CTL_ANSWER_MAX + 2
					       : cap;
	if (!(p = realloc(a->p, cap)))
		return -1;
	a->p = p;
	a->cap = cap;
	return 0;
}

/**
 * read_answer() - read until the server closes the connection
 * @fd:		connected socket
 * @a:		answer, filled and NUL-terminated
 * @deadline:	clock_ms() value to give up at
 *
 * Return: 0, or -1 with errno
 */
static int read_answer(int fd, struct ctl_answer_buf *a, long deadline)
{
	ssize_t n;

	for (;;) {
		if (answer_room(a) || wait_fd(fd, POLLIN, deadline))
			return -1;
		n = recv(fd, a->p + a->len, a->cap - a->len - 1, 0);
		if (!n || (n < 0 && errno == ECONNRESET &&
			   memchr(a->p, '\n', a->len)))
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			a->len += (size_t)n;
		if (a->len > CTL_ANSWER_MAX) {
			errno = EFBIG;
			return -1;
		}
	}
	a->p[a->len] = '\0';
	return 0;
}

/**
 * print_error() - show the server's message, one line, printable
 * @msg:	message
 * @end:	the newline that ends it
 */
static void print_error(const char *msg, const char *end)
{
	if (end - msg > ANSWER_ERR_SHOW_MAX)
		end = msg + ANSWER_ERR_SHOW_MAX;
	say("%.*s", (int)(end - msg), msg);
}

/**
 * print_answer() - print an answer and choose the exit status
 * @path:	socket path, for messages
 * @a:		complete answer; an "ok" body is made terminal-safe in place
 *
 * "ok: WARNING" is done, with something to know (an added port that
 * cannot be bound yet): the warning goes to stderr, the status is 0.
 *
 * Return: EXIT_SUCCESS for "ok", EXIT_FAILURE otherwise
 */
static int print_answer(const char *path, struct ctl_answer_buf *a)
{
	char *nl = memchr(a->p, '\n', a->len);
	size_t body;

	if (nl && nl - a->p > 4 && !memcmp(a->p, "ok: ", 4)) {
		say("warning: %.*s", (int)(nl - a->p - 4 > ANSWER_ERR_SHOW_MAX ?
					ANSWER_ERR_SHOW_MAX :
					nl - a->p - 4), a->p + 4);
		return EXIT_SUCCESS;
	}

	if (nl && nl - a->p == 2 && !memcmp(a->p, "ok", 2)) {
		body = text_safe(nl + 1, nl + 1, a->len - 3,
				 TEXT_KEEP_NL | TEXT_KEEP_TAB, NULL);
		if ((body && fwrite(nl + 1, 1, body, stdout) != body) ||
		    fflush(stdout)) {
			say("writing the answer: %s", strerror(errno));
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	if (nl && !strncmp(a->p, "error: ", 7)) {
		print_error(a->p + 7, nl);
		return EXIT_FAILURE;
	}
	if (!a->len)
		say("%s: connection closed without an answer", path);
	else
		say("%s: malformed answer (%zu bytes): expected \"ok\" or "
		    "\"error: ...\"", path, a->len);
	return EXIT_FAILURE;
}

/**
 * ctl_exchange() - connect, send the request, print the answer
 * @path:	socket path
 * @line:	checked request line
 *
 * Return: process exit status
 */
static int ctl_exchange(const char *path, const char *line)
{
	struct ctl_answer_buf a = { 0 };
	long deadline;
	int fd, ret;

	if ((fd = ctl_connect(path)) < 0)
		return EXIT_FAILURE;
	deadline = clock_ms() + IO_TIMEOUT_MS;
	if ((send_request(fd, line, deadline) && errno != EPIPE &&
	     errno != ECONNRESET) || read_answer(fd, &a, deadline)) {
		say("%s: %s", path, errno == EFBIG ?
		    "answer longer than 64 MiB" : strerror(errno));
		ret = EXIT_FAILURE;
	} else {
		ret = print_answer(path, &a);
	}
	free(a.p);
	close(fd);
	return ret;
}

/**
 * ctl_main() - `nsplice ctl PATH REQUEST...`
 * @argc:	argument count
 * @argv:	arguments, argv[0] is "ctl"
 *
 * Return: 0 ok, 1 error or connection failure, 2 usage error
 */
int ctl_main(int argc, char **argv)
{
	char line[CTL_LINE_MAX];
	const char *path;

	if (argc == 2 && (!strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "--help"))) {
		ctl_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (argc < 3) {
		ctl_usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[1];
	if (!*path || strlen(path) >= PATH_MAX_CTL) {
		say("socket path \"%.60s\": expected 1 to %d bytes", path,
		    PATH_MAX_CTL - 1);
		return EXIT_USAGE;
	}
	if (build_request(argc - 2, argv + 2, line) || check_request(line))
		return EXIT_USAGE;
	return ctl_exchange(path, line);
}
