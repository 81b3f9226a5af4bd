// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_sd_daemon.c - the systemd-facing modules against a fake manager:
 *		      sd_notify, socket activation, journal and syslog logging
 *
 * DOC: Theory of Operation
 *
 * The integration tests need the supervisor wired to these modules; this
 * test proves the modules alone, in one process, with every input that
 * systemd would give and the hostile ones it never gives:
 *
 * - notify: NOTIFY_SOCKET as a path and as an @abstract name reaches a
 *   datagram socket this test binds, byte for byte; a relative path, an
 *   empty or overlong value, a bad WATCHDOG_USEC or WATCHDOG_PID fail;
 *   WATCHDOG_PID of another process means no watchdog; the variables are
 *   gone from the environment afterwards, also after an error;
 * - activation: two listening sockets on fds 3 and 4 with names are
 *   collected, moved to >= ACTIVATION_FD_MIN and close-on-exec, 3 and 4
 *   closed; each is taken once by its exact address; an untaken one is
 *   named in the error; a TCP socket is not taken for a UDP forward; a
 *   non-listening TCP socket, a UDP-Lite socket, a pipe, a
 *   closed fd, a name count that does not match and a LISTEN_PID of another
 *   process are refused or ignored, and a failure leaves nothing open;
 * - log: JOURNAL_STREAM selects journal mode only when it names stderr;
 *   journal lines carry "<N>"; children's lines through log_sink_child()
 *   are defanged, reassembled across reads, and a forged "<0>" becomes
 *   "<3>", an unprefixed one "<4>"; in plain mode bytes pass unchanged
 *   but defanged; a start-up error ("nsplice: ...") carries "<3>" only
 *   in the journal.  Syslog mode's datagrams go to the fixed /dev/log and
 *   are not covered here.
 *
 * Each failure prints one line; the last line is "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/log.h"
#include "supervisor/activation.h"
#include "supervisor/notify.h"

/* ERR_LEN - size of error buffers, bytes */
#define ERR_LEN		512

/* BUF_LEN - size of receive and capture buffers, bytes */
#define BUF_LEN		4096

static unsigned n_pass, n_fail;

/**
 * expect() - count and report one check
 * @ok:		the check passed
 * @fmt:	printf format naming the check
 */
static void __attribute__((format(printf, 2, 3)))
expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		n_pass++;
		return;
	}
	n_fail++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/**
 * bound_dgram() - a datagram socket bound to a path or abstract name
 * @name:	path, or "@name"
 *
 * Return: the socket; exits on failure (the test cannot go on)
 */
static int bound_dgram(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				    strlen(name));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sun.sun_path, name, strlen(name));
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		unlink(name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len)) {
		perror("bind");
		exit(2);
	}
	return fd;
}

/**
 * recv_text() - one datagram as a string, waiting at most a second
 * @fd:		socket
 * @buf:	output, BUF_LEN bytes
 *
 * Return: @buf ("" if nothing came)
 */
static const char *recv_text(int fd, char *buf)
{
	struct timeval tv = { .tv_sec = 1 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, BUF_LEN - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/**
 * env_clean() - are the sd_notify variables gone
 *
 * Return: true if none is set
 */
static bool env_clean(void)
{
	return !getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC") &&
	       !getenv("WATCHDOG_PID");
}

/**
 * test_notify_ok() - path and abstract sockets receive what is sent
 */
static void test_notify_ok(void)
{
	char err[ERR_LEN], buf[BUF_LEN], path[64], pid[32];
	int fd;

	snprintf(path, sizeof(path), "/tmp/nsplice-notify-%d", (int)getpid());
	fd = bound_dgram(path);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "3000000", 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	expect(!notify_init(err, sizeof(err)), "notify_init path: %s", err);
	expect(notify_enabled(), "notify enabled with a path");
	expect(notify_watchdog_usec() == 3000000, "watchdog 3 s, got %llu",
	       (unsigned long long)notify_watchdog_usec());
	expect(notify_watchdog_ping_ms() == 1500, "pings every 1.5 s, got %ld",
	       notify_watchdog_ping_ms());
	expect(env_clean(), "variables removed after success");
	notify_send("READY=1\nSTATUS=%d forwards", 3);
	expect(!strcmp(recv_text(fd, buf), "READY=1\nSTATUS=3 forwards"),
	       "path datagram, got \"%s\"", buf);
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "@nsplice-notify-%d", (int)getpid());
	fd = bound_dgram(path);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "1000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	expect(!notify_init(err, sizeof(err)), "notify_init abstract: %s",
	       err);
	expect(notify_watchdog_usec() == 0, "WATCHDOG_PID of another process"
	       " means no watchdog");
	expect(notify_watchdog_ping_ms() == 0, "no watchdog: no pings");
	notify_send("STOPPING=1");
	expect(!strcmp(recv_text(fd, buf), "STOPPING=1"),
	       "abstract datagram, got \"%s\"", buf);
	close(fd);
	notify_close();
	expect(!notify_enabled(), "closed");
	expect(!notify_init(err, sizeof(err)) && !notify_enabled(),
	       "no NOTIFY_SOCKET: 0 and disabled");
	notify_send("READY=1");		/* must be a harmless no-op */
}

/**
 * test_notify_bad() - malformed variables are errors naming them
 */
static void test_notify_bad(void)
{
	static const struct {
		const char *sock, *usec, *pid, *word;
	} bad[] = {
		{ "relative/path", NULL, NULL, "NOTIFY_SOCKET" },
		{ "", NULL, NULL, "NOTIFY_SOCKET" },
		{ "@", NULL, NULL, "NOTIFY_SOCKET" },
		{ "vsock:2:1234", NULL, NULL, "NOTIFY_SOCKET" },
		{ "/run/x", "abc", NULL, "WATCHDOG_USEC" },
		{ "/run/x", "0", NULL, "WATCHDOG_USEC" },
		{ "/run/x", "-5", NULL, "WATCHDOG_USEC" },
		{ "/run/x", "99999999999999999999999", NULL, "WATCHDOG_USEC" },
		{ "/run/x", "100", "x1", "WATCHDOG_PID" },
	};
	char err[ERR_LEN], longname[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		setenv("NOTIFY_SOCKET", bad[i].sock, 1);
		if (bad[i].usec)
			setenv("WATCHDOG_USEC", bad[i].usec, 1);
		if (bad[i].pid)
			setenv("WATCHDOG_PID", bad[i].pid, 1);
		expect(notify_init(err, sizeof(err)) == -1 &&
		       strstr(err, bad[i].word) && !notify_enabled() &&
		       env_clean(), "bad case %zu (%s) refused, got \"%s\"",
		       i, bad[i].word, err);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	expect(notify_init(err, sizeof(err)) == -1 && strstr(err, "longer"),
	       "overlong NOTIFY_SOCKET refused, got \"%s\"", err);
}

/**
 * listener() - a listening TCP socket on 127.0.0.1 or ::1, any port
 * @af:		AF_INET or AF_INET6
 * @port:	its port, set
 *
 * Return: the socket
 */
static int listener(int af, uint16_t *port)
{
	union sockaddr_inany sa;
	socklen_t len;
	union inany lo;
	int fd = socket(af, SOCK_STREAM, 0);

	inany_loopback(af, &lo);
	len = sockaddr_from_inany(&sa, af, &lo, 0, 0);
	if (fd < 0 || bind(fd, &sa.sa, len) || listen(fd, 4)) {
		perror("listener");
		exit(2);
	}
	len = sizeof(sa);
	getsockname(fd, &sa.sa, &len);
	*port = ntohs(af == AF_INET ? sa.sin.sin_port : sa.sin6.sin6_port);
	return fd;
}

/**
 * place() - put @fd on descriptor @num, not close-on-exec, as systemd does
 * @fd:		descriptor, closed
 * @num:	target number
 */
static void place(int fd, int num)
{
	if (fd != num) {
		dup2(fd, num);
		close(fd);
	}
}

/**
 * fd_open() - is a descriptor open
 * @fd:		descriptor
 *
 * Return: true if open
 */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/**
 * set_listen_env() - the variables systemd sets
 * @n:		LISTEN_FDS
 * @names:	LISTEN_FDNAMES, or NULL
 * @pid:	LISTEN_PID, 0 for ours
 */
static void set_listen_env(const char *n, const char *names, int pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid ? pid : (int)getpid());
	setenv("LISTEN_PID", buf, 1);
	setenv("LISTEN_FDS", n, 1);
	if (names)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

/**
 * test_activation_ok() - two sockets collected, taken, one left over
 */
static void test_activation_ok(void)
{
	char err[ERR_LEN], want[128];
	union inany lo4, lo6;
	uint16_t p4, p6;
	int a, b;

	place(listener(AF_INET, &p4), 3);
	place(listener(AF_INET6, &p6), 4);
	set_listen_env("2", "web:web6", 0);
	expect(!activation_collect(err, sizeof(err)), "collect: %s", err);
	expect(activation_count() == 2, "2 sockets, got %u",
	       activation_count());
	expect(!fd_open(3) && !fd_open(4), "fds 3 and 4 closed");
	expect(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS") &&
	       !getenv("LISTEN_FDNAMES"), "variables removed");
	inany_loopback(AF_INET, &lo4);
	inany_loopback(AF_INET6, &lo6);
	expect(activation_take(AF_INET, &lo4, p4, true) < 0,
	       "a TCP socket is not taken for a UDP forward");
	expect(activation_take(AF_INET, &lo4, (uint16_t)(p4 + 1), false) < 0,
	       "wrong port not taken");
	expect(activation_take(AF_INET6, &lo4, p4, false) < 0, "wrong family");
	a = activation_take(AF_INET, &lo4, p4, false);
	expect(a >= ACTIVATION_FD_MIN && (fcntl(a, F_GETFD) & FD_CLOEXEC),
	       "IPv4 socket moved up and close-on-exec: fd %d", a);
	expect(activation_take(AF_INET, &lo4, p4, false) < 0, "taken only once");
	snprintf(want, sizeof(want), "inherited socket web6 (fd 4, [::1]:%u) "
		 "matches no -t forward", (unsigned)p6);
	expect(activation_check_all_taken(err, sizeof(err)) == -1 &&
	       strstr(err, want), "untaken socket named: \"%s\"", err);
	b = activation_take(AF_INET6, &lo6, p6, false);
	expect(b >= ACTIVATION_FD_MIN, "IPv6 socket taken: fd %d", b);
	expect(!activation_check_all_taken(err, sizeof(err)),
	       "all taken: %s", err);
	close(a);
	close(b);
}

/**
 * bad_one() - a refused set-up leaves no descriptor and names the culprit
 * @what:	case name
 * @fd3:	descriptor for 3, or -1 for none
 * @n:		LISTEN_FDS
 * @names:	LISTEN_FDNAMES or NULL
 * @word:	text the error must contain
 */
static void bad_one(const char *what, int fd3, const char *n,
		    const char *names, const char *word)
{
	char err[ERR_LEN] = "";
	uint16_t port;

	place(listener(AF_INET, &port), 4);	/* a good one after it */
	if (fd3 >= 0)
		place(fd3, 3);
	else
		close(3);
	set_listen_env(n, names, 0);
	expect(activation_collect(err, sizeof(err)) == -1 &&
	       strstr(err, word) && activation_count() == 0,
	       "%s refused naming \"%s\", got \"%s\"", what, word, err);
	expect(!fd_open(ACTIVATION_FD_MIN) && !fd_open(ACTIVATION_FD_MIN + 1),
	       "%s: nothing left at %d", what, ACTIVATION_FD_MIN);
	close(3);
	close(4);
}

/**
 * test_activation_bad() - every kind of descriptor that is no listener
 */
static void test_activation_bad(void)
{
	char err[ERR_LEN];
	int p[2];

	bad_one("unlistened TCP", socket(AF_INET, SOCK_STREAM, 0), "2", NULL,
		"fd 3 (unknown): not listening");
	/* UDP is taken (ListenDatagram=, -u); UDP-Lite is neither */
	bad_one("UDP-Lite", socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE), "2",
		"a:b", "fd 3 (a): not a TCP or UDP socket");
	bad_one("unix", socket(AF_UNIX, SOCK_STREAM, 0), "2", NULL,
		"not an IPv4 or IPv6 socket");
	if (pipe(p))
		exit(2);
	close(p[1]);
	bad_one("pipe", p[0], "2", NULL, "fd 3 (unknown): not a socket");
	bad_one("closed", -1, "2", NULL, "fd 3 (unknown): not open");
	bad_one("name count", socket(AF_INET, SOCK_STREAM, 0), "2", "one",
		"LISTEN_FDNAMES");
	bad_one("bad name", socket(AF_INET, SOCK_STREAM, 0), "2", "a b:c",
		"LISTEN_FDNAMES");
	bad_one("bad count", socket(AF_INET, SOCK_STREAM, 0), "x", NULL,
		"LISTEN_FDS");
	bad_one("too many", socket(AF_INET, SOCK_STREAM, 0), "65", NULL,
		"LISTEN_FDS");
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	expect(!activation_collect(err, sizeof(err)) &&
	       activation_count() == 0 && !getenv("LISTEN_FDS"),
	       "LISTEN_PID of another process ignored and removed");
	setenv("LISTEN_PID", "nope", 1);
	expect(activation_collect(err, sizeof(err)) == -1 &&
	       strstr(err, "LISTEN_PID"), "bad LISTEN_PID refused");
}

/**
 * capture() - run @fn with stderr going to a file, return what it wrote
 * @fn:		code that logs
 * @out:	output, BUF_LEN bytes
 *
 * Return: @out
 */
static const char *capture(void (*fn)(void), char *out)
{
	char path[] = "/tmp/nsplice-logcap.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	unlink(path);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, BUF_LEN - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return out;
}

/**
 * start_error_journal() - log_start_error() with stderr as the journal
 *			   stream, for capture()
 */
static void start_error_journal(void)
{
	char js[64];
	struct stat st;

	fstat(STDERR_FILENO, &st);
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_start_error("x.conf:1: bad line");
	unsetenv("JOURNAL_STREAM");
}

/**
 * start_error_plain() - log_start_error() without a journal, for capture()
 */
static void start_error_plain(void)
{
	unsetenv("JOURNAL_STREAM");
	log_start_error("x.conf:1: bad line");
}

/**
 * log_lines() - lines of the supervisor and of children, for capture()
 */
static void log_lines(void)
{
	static const char child[] = "<6>[relay] up\n<0>[relay] forged\x1b]0;"
				    "x\x07\n<7>[agent host] spl";

	nwarn("careful %d", 1);
	log_sink_child(child, sizeof(child) - 1);
	log_sink_child("it\nplain line\n", 14);
	log_sink_child("<6>[relay] partial", 18);
	log_sink_flush();
}

/**
 * test_log() - mode detection, prefixes, and what children may claim
 */
static void test_log(void)
{
	char buf[BUF_LEN], js[64];
	struct stat st;

	fstat(STDERR_FILENO, &st);
	setenv("JOURNAL_STREAM", "1:2", 1);
	expect(log_mode_detect(false) == LOG_MODE_PLAIN, "foreign stream");
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	expect(log_mode_detect(false) == LOG_MODE_JOURNAL, "stderr is it");
	expect(log_mode_detect(true) == LOG_MODE_SYSLOG, "--syslog wins");
	setenv("JOURNAL_STREAM", "12:", 1);
	expect(log_mode_detect(false) == LOG_MODE_PLAIN, "malformed: plain");
	expect(log_mode_parse("journal") == LOG_MODE_JOURNAL &&
	       log_mode_parse("syslog") == LOG_MODE_SYSLOG &&
	       log_mode_parse("plain") == LOG_MODE_PLAIN &&
	       log_mode_parse("Journal") == -1, "mode names");

	log_init("supervisor", LOG_LVL_INFO);
	log_set_mode(LOG_MODE_JOURNAL);
	capture(log_lines, buf);
	expect(!strcmp(buf, "<4>[supervisor] warning: careful 1\n"
		       "<6>[relay] up\n"
		       "<3>[relay] forged?]0;x?\n"
		       "<7>[agent host] split\n"
		       "<4>plain line\n"
		       "<6>[relay] partial\n"),
	       "journal lines, got:\n%s", buf);
	log_set_mode(LOG_MODE_PLAIN);
	capture(log_lines, buf);
	expect(!strcmp(buf, "[supervisor] warning: careful 1\n<6>[relay] up\n"
		       "<0>[relay] forged?]0;x?\n<7>[agent host] split\n"
		       "plain line\n<6>[relay] partial\n"),
	       "plain lines pass unchanged but defanged, got:\n%s", buf);
	log_sink_flush();
	capture(start_error_journal, buf);
	expect(!strcmp(buf, "<3>nsplice: x.conf:1: bad line\n"),
	       "a start-up error in the journal is an error, got: %s", buf);
	capture(start_error_plain, buf);
	expect(!strcmp(buf, "nsplice: x.conf:1: bad line\n"),
	       "a start-up error on a terminal, got: %s", buf);
}

/**
 * main() - run every case
 *
 * Return: 0 if every check passed
 */
int main(void)
{
	test_notify_ok();
	test_notify_bad();
	test_activation_ok();
	test_activation_bad();
	test_log();
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
