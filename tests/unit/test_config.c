// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_config.c - unit test of the config file, reload and change
 *
 * DOC: Theory of Operation
 *
 * Three layers are exercised, each with what must work and what must be
 * refused:
 *
 * - config_parse_text(): every kind of line (comments, flags, "key=value"
 *   without blanks, repeated forwards) and every refusal, checked against
 *   its whole "FILE:LINE: KEY ..." prefix and a piece of the reason, and
 *   against a configuration left all zeroes;
 * - config_from_args() with -c: real files in a private directory (also a
 *   directory, a FIFO, a missing and an oversized file), precedence of the
 *   command line, one target in all, the new options' values and errors;
 * - config_reload() and config_change(): the result keeps command-line and
 *   control-socket forwards, takes the file's anew, refuses bad input
 *   leaving the result empty, never touches the running configuration
 *   (compared byte for byte with a snapshot), and owns its memory (the
 *   running one is freed before the result is read).
 *
 * Reload warnings go to descriptor 2 through log.c; they are captured by
 * pointing descriptor 2 at a file for the call.  Prints one line per
 * failing check and a final "N passed, N failed" line; the exit status is
 * non-zero if anything failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/config/config.h"
#include "ipc/log.h"
#include "unit.h"

/* ARGV_MAX - arguments in one simulated command line */
#define ARGV_MAX		32
/* DIR_BUF - room for the test directory's path, bytes */
#define DIR_BUF			128
/* PATH_BUF - room for a path in the test directory, bytes */
#define PATH_BUF		512
/* WANT_BUF - room for an expected message naming a path, bytes */
#define WANT_BUF		(PATH_BUF + 128)
/* CAPTURE_MAX - bytes of captured log output read back */
#define CAPTURE_MAX		4096
/* LOW_PORT - a privileged port */
#define LOW_PORT		80
/* ALL_PORTS - ports 1..65535 */
#define ALL_PORTS		65535U
/* LOW_PORTS - ports below 1024, which need CAP_NET_BIND_SERVICE */
#define LOW_PORTS		1023U

static char dir[DIR_BUF];
static char *arg_pool[ARGV_MAX * 64];
static unsigned arg_pool_n;

/**
 * path_of() - a file name in the test directory
 * @name:	base name
 * @buf:	output, PATH_BUF bytes
 *
 * Return: @buf
 */
static char *path_of(const char *name, char *buf)
{
	snprintf(buf, PATH_BUF, "%s/%s", dir, name);
	return buf;
}

/**
 * write_file() - create or replace a file in the test directory
 * @name:	base name
 * @text:	content
 * @len:	its length
 *
 * Return: the path, in static storage overwritten by the next call
 */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[PATH_BUF];
	FILE *f;

	path_of(name, path);
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return path;
}

/**
 * write_text() - write_file() for a terminated text
 * @name:	base name
 * @text:	content
 *
 * Return: the path
 */
static const char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

/**
 * args() - parse a command line given as a NULL-terminated list
 * @cfg:	filled
 * @err:	error buffer, CONFIG_ERR_MAX bytes
 * @first:	first argument after the program name
 * @...:	more arguments, then NULL
 *
 * The arguments are copied into a pool that lives until the end, as argv
 * does for nsplice.
 *
 * Return: config_from_args()'s result
 */
static int args(struct nsp_config *cfg, char *err, const char *first, ...)
{
	char *argv[ARGV_MAX + 1];
	const char *a = first;
	int argc = 0;
	va_list ap;

	argv[argc++] = strdup("nsplice");
	va_start(ap, first);
	for (; a && argc < ARGV_MAX; a = va_arg(ap, const char *))
		argv[argc++] = strdup(a);
	va_end(ap);
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++)
		arg_pool[arg_pool_n++] = argv[i];
	err[0] = '\0';
	return config_from_args(argc, argv, cfg, err, CONFIG_ERR_MAX);
}

/**
 * has() - check that a message contains a piece, and report
 * @what:	case name
 * @err:	message
 * @want:	expected piece
 *
 * Return: true if found
 */
static bool has(const char *what, const char *err, const char *want)
{
	return check(strstr(err, want) != NULL,
		      "%s: message \"%s\" lacks \"%s\"", what, err, want);
}

/**
 * count_src() - listeners of one source with one listen port
 * @cfg:	configuration
 * @port:	listen port, 0 for any
 * @src:	CONFIG_SRC_*
 *
 * Return: how many
 */
static unsigned count_src(const struct nsp_config *cfg, unsigned port,
			  int src)
{
	unsigned i, n = 0;

	for (i = 0; i < cfg->nfwd; i++)
		if ((!port || cfg->fwd[i].m.listen_port == port) &&
		    cfg->fwd[i].src == src)
			n++;
	return n;
}

/**
 * text_ok() - parse file text that must be accepted
 * @cfg:	filled
 * @text:	content
 *
 * Return: true if accepted
 */
static bool text_ok(struct nsp_config *cfg, const char *text)
{
	char err[CONFIG_ERR_MAX] = "";

	return check(!config_parse_text(cfg, NULL, "t.conf", text,
					strlen(text), CONFIG_SRC_FILE, NULL,
					err, sizeof(err)),
		      "\"%s\" refused: %s", text, err);
}

/**
 * text_bad() - parse file text that must be refused, check the message
 * @text:	content
 * @len:	its length
 * @want:	expected start of the message ("t.conf:1: key ...")
 * @why:	expected piece of the reason
 */
static void text_bad(const char *text, size_t len, const char *want,
		     const char *why)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config cfg;
	int rc;

	memset(&cfg, 0xa5, sizeof(cfg));
	rc = config_parse_text(&cfg, NULL, "t.conf", text, len,
			       CONFIG_SRC_FILE, NULL, err, sizeof(err));
	if (!check(rc == -1, "\"%.60s\" accepted, expected %s", text, want))
		return config_free(&cfg);
	check(all_zero(&cfg, sizeof(cfg)), "\"%.60s\": config not emptied",
	       text);
	check(!strncmp(err, want, strlen(want)),
	       "\"%.60s\": message \"%s\" does not start with \"%s\"", text,
	       err, want);
	has(text, err, why);
}

/**
 * bad() - text_bad() for a terminated text
 * @text:	content
 * @want:	expected start of the message
 * @why:	expected piece of the reason
 */
static void bad(const char *text, const char *want, const char *why)
{
	text_bad(text, strlen(text), want, why);
}

/**
 * test_text_valid() - accepted files give the settings they say
 */
static void test_text_valid(void)
{
	struct nsp_config c;

	if (text_ok(&c, "# a comment\n\n  netns = web  \n"
		    "tcp-ports=8080:80 # web\n\t# indented comment\n"
		    "tcp-ports = 8443\ntcp-ns-ports = 127.0.0.1/5432\n"
		    "max-conns=1000\nidle-timeout = 3600\nkeepalive = 60\n"
		    "busy-poll = 50\n"
		    "control = /run/n.sock\nquiet\nsyslog = no\n"
		    "pid-file = /run/a#b.pid # trailing comment\n"
		    "sandbox = log\nuserns = /proc/1/ns/user")) {
		check(c.target == TARGET_NETNS &&
		       !strcmp(c.netns_path, "/run/netns/web"), "netns NAME");
		check(c.nfwd == 5 && count_src(&c, 0, CONFIG_SRC_FILE) == 5,
		       "forwards add up, all from the file: %u", c.nfwd);
		check(c.max_conns == 1000 && c.idle_timeout == 3600 &&
		       c.busy_poll_us == 50, "numbers");
		check(c.ka_idle == 60 && c.ka_intvl == KEEPALIVE_DEF_INTVL &&
		       c.ka_cnt == KEEPALIVE_DEF_CNT, "keepalive defaults");
		check(!strcmp(c.control_path, "/run/n.sock"), "control");
		check(c.log_level == LOG_LVL_ERR && !c.use_syslog,
		       "quiet, syslog = no");
		check(!strcmp(c.pid_file, "/run/a#b.pid"),
		       "'#' inside a value, comment after a blank: \"%s\"",
		       c.pid_file);
		check(c.sandbox == 1 && !strcmp(c.userns_path,
						 "/proc/1/ns/user"),
		       "sandbox, userns (no final newline)");
		config_free(&c);
	}
	if (text_ok(&c, "trace = yes\nsyslog = true\nkeepalive = 5,6,7\n")) {
		check(c.log_level == LOG_LVL_TRACE && c.use_syslog &&
		       c.ka_idle == 5 && c.ka_intvl == 6 && c.ka_cnt == 7,
		       "flags = yes/true, full keepalive");
		config_free(&c);
	}
	if (text_ok(&c, "debug = false\nkeepalive = off\npid = 42\n")) {
		check(c.log_level == LOG_LVL_NOTICE && !c.ka_idle &&
		       !c.ka_intvl && !c.ka_cnt && c.pid == 42 &&
		       c.target == TARGET_PID, "flag = false, keepalive off");
		config_free(&c);
	}
	if (text_ok(&c, "tcp-ports = auto,~22\ntcp-ns-ports = 8000\n")) {
		check(c.nautos == 1 && c.autos[0].src == CONFIG_SRC_FILE &&
		       !strcmp(c.autos[0].spec, "auto,~22") && c.nfwd == 2,
		       "auto rule from a file");
		config_free(&c);
	}
}

/**
 * test_text_quotes() - quoted values: quotes removed, '#' kept, refusals
 */
static void test_text_quotes(void)
{
	struct nsp_config c;

	if (text_ok(&c, "tcp-ports = \"9200:80\"\n"
		    "tcp-ns-ports='5432' # comment\n"
		    "pid-file = \"/run/a #b'c.pid\"  # the '#' is kept\n"
		    "control = '/run/x\\\"y.sock'\nquiet = \"yes\"\n"
		    "userns = /x/it's\n")) {
		check(c.nfwd == 4 && c.fwd[0].m.listen_port == 9200 &&
		       !strcmp(c.fwd[0].spec, "9200:80"),
		       "quoted spec without its quotes: \"%s\"",
		       c.nfwd ? c.fwd[0].spec : "");
		check(!strcmp(c.pid_file, "/run/a #b'c.pid"),
		       "'#' and the other quote inside quotes: \"%s\"",
		       c.pid_file);
		check(!strcmp(c.control_path, "/run/x\\\"y.sock"),
		       "no escapes: \"%s\"", c.control_path);
		check(c.log_level == LOG_LVL_ERR, "quoted flag value");
		check(!strcmp(c.userns_path, "/x/it's"), "a quote inside an "
		       "unquoted value is kept: \"%s\"", c.userns_path);
		config_free(&c);
	}
	bad("tcp-ports = \"9200:80\n", "t.conf:1: tcp-ports: quote \" not "
	    "closed", "between two \"");
	bad("tcp-ports = '9200:80 # x\n", "t.conf:1: tcp-ports: quote ' not "
	    "closed", "on its line");
	bad("tcp-ports = \"9200\":80\n", "t.conf:1: tcp-ports: text after the "
	    "closing quote \"", "whole value quoted");
	bad("tcp-ports = \"92\"00\"\n", "t.conf:1: tcp-ports: text after",
	    "quoted");
	bad("netns = \"\"\n", "t.conf:1: netns: value missing", "VALUE");
	/* An overlap is found after every line parsed: it still names
	 * the file and both lines */
	bad("netns = x\ntcp-ports = 8080\n\ntcp-ports = 8080:80\n",
	    "t.conf:4: -t \"8080:80\": port 8080 on 127.0.0.1 overlaps",
	    "with -t \"8080\" (t.conf:2)");
	bad("tcp-ports = \"9200 80\"\n", "t.conf:1: tcp-ports \"9200 80\":",
	    "");
}

/**
 * test_text_lines() - line-level refusals
 */
static void test_text_lines(void)
{
	char big[CONFIG_LINE_MAX + 16];
	struct nsp_config c;

	bad("quiet\nbogus = 1\n", "t.conf:2: \"bogus\": unknown key",
	    "without its dashes");
	bad("--netns = x\n", "t.conf:1: \"--netns\": unknown key", "dashes");
	bad("tcp-ports 8080\n", "t.conf:1: tcp-ports: missing '='",
	    "\"tcp-ports = VALUE\"");
	bad("netns\n", "t.conf:1: netns: value missing", "netns = VALUE");
	bad("netns =   # nothing\n", "t.conf:1: netns: value missing", "=");
	bad("= 5\n", "t.conf:1: no key before '='", "key = value");
	text_bad("quiet\ntcp-ports = 80\0\n",
		 sizeof("quiet\ntcp-ports = 80\0\n") - 1,
		 "t.conf:2: NUL byte at column 15", "expected text");
	bad("tcp-ports = 80\r\n", "t.conf:1: control character 0x0d",
	    "printable");
	bad("netns = a\033[2Jb\n", "t.conf:1: control character 0x1b",
	    "printable");
	memset(big, 'x', sizeof(big));
	memcpy(big, "netns = ", 8);
	big[CONFIG_LINE_MAX + 1] = '\n';
	text_bad(big, CONFIG_LINE_MAX + 2, "t.conf:1: line of 4097 bytes",
		 "at most 4096 bytes");
	memcpy(big, "quiet   #", 9);
	big[CONFIG_LINE_MAX] = '\n';
	if (check(!config_parse_text(&c, NULL, "t.conf", big,
				     CONFIG_LINE_MAX + 1, CONFIG_SRC_FILE,
				     NULL, big, 0),
		   "a line of exactly 4096 bytes is accepted"))
		config_free(&c);
	bad("config = /x\n", "t.conf:1: config: not allowed in a config file",
	    "command line");
	bad("help\n", "t.conf:1: help: not allowed", "command line");
	bad("version\n", "t.conf:1: version: not allowed", "command line");
	bad("command = sh\n", "t.conf:1: command: not allowed", "command");
	bad("debug = maybe\n", "t.conf:1: debug \"maybe\": not a yes/no value",
	    "yes, no, true or false");
}

/**
 * test_text_values() - value refusals and repeats, with FILE:LINE
 */
static void test_text_values(void)
{
	char path[CONFIG_ERR_MAX];

	bad("max-conns = 5\nmax-conns = 6\n",
	    "t.conf:2: max-conns \"6\": already set by max-conns on line 1",
	    "once in a file");
	bad("quiet\ndebug\n", "t.conf:2: debug: already set by quiet on "
	    "line 1", "once");
	bad("netns = a\npid = 1\n", "t.conf:2: pid \"1\": already set by netns "
	    "on line 1", "once");
	bad("max-conns = 0\n", "t.conf:1: max-conns \"0\": too small",
	    "expected 1 to 65536 connections");
	bad("max-conns = 65537\n", "t.conf:1: max-conns \"65537\": too large",
	    "1 to 65536");
	bad("max-conns = -1\n", "t.conf:1: max-conns \"-1\": not a number",
	    "expected");
	bad("idle-timeout = 604801\n",
	    "t.conf:1: idle-timeout \"604801\": too large", "0 to 604800");
	bad("busy-poll = 1001\n",
	    "t.conf:1: busy-poll \"1001\": too large",
	    "0 to 1000 microseconds");
	bad("keepalive = 0\n", "t.conf:1: keepalive \"0\": IDLE too small",
	    "IDLE[,INTVL[,CNT]]");
	bad("keepalive = 1,x\n", "t.conf:1: keepalive \"1,x\": INTVL not a "
	    "number", "or off");
	bad("keepalive = 1,2,128\n", "t.conf:1: keepalive \"1,2,128\": CNT "
	    "too large", "CNT 1-127");
	bad("keepalive = 1,2,3,4\n", "t.conf:1: keepalive \"1,2,3,4\": more "
	    "than three values", "IDLE");
	bad("keepalive = 32768\n", "t.conf:1: keepalive \"32768\": IDLE too "
	    "large", "1-32767");
	memset(path, 'a', sizeof(path));
	memcpy(path, "control = /", 11);
	memcpy(path + 11 + 107, "\n", 2);
	bad(path, "t.conf:1: control \"/aaa", "path too long (108 bytes): "
	    "expected at most 107 bytes");
	bad("tcp-ports = 70000\n", "t.conf:1: tcp-ports \"70000\": port "
	    "\"70000\" out of range", "1-65535");
	bad("tcp-ns-ports = auto,8080:80\n", "t.conf:1: tcp-ns-ports "
	    "\"auto,8080:80\": \"8080:80\" maps a port", "same port");
	bad("tcp-ports = 8080\n\ntcp-ports = 8080\n", "t.conf:3: -t \"8080\": "
	    "port 8080 on 127.0.0.1 overlaps with -t \"8080\"", "once");
	/* forwards that send to each other: a loop by construction */
	bad("udp-ports = 9000\nudp-ns-ports = 9000\n", "-u \"9000\" (t.conf:1) "
	    "sends its clients to port 9000, where -U \"9000\" (t.conf:2) "
	    "listens", "forwarding loop");
	bad("tcp-ports = 9000:9001\ntcp-ns-ports = 9001:9002\n"
	    "tcp-ports = 9002:9003\ntcp-ns-ports = 9003:9000\n", "-t "
	    "\"9000:9001\" (t.conf:1) sends its clients to port 9001, where -T \"9001:9002\"",
	    "forwarding loop");
	bad("netns = bad name\n", "t.conf:1: netns \"bad name\": bad name",
	    "/run/netns/");
	bad("sandbox = off\n", "t.conf:1: sandbox \"off\": unknown mode",
	    "enforce or log");
	bad("pid = 0\n", "t.conf:1: pid \"0\": too small", "process id");
	/* Only root resolves it; otherwise it is ignored with a warning
	 * (integration.sandbox_supervisor runs that as nsplice-test) */
	if (geteuid() == 0)
		bad("runas = no-such-user-xyz\n", "t.conf:1: runas "
		    "\"no-such-user-xyz\": no such user", "existing user");
}

/**
 * test_files() - reading real files: kinds, sizes, names in messages
 */
static void test_files(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF], want[WANT_BUF];
	struct nsp_config c;
	char *huge;

	path_of("a-dir", p);
	mkdir(p, 0700);
	check(args(&c, err, "-c", p, "--netns", "x", NULL) == -1, "dir");
	has("directory", err, "not a regular file");
	path_of("fifo", p);
	mkfifo(p, 0600);
	check(args(&c, err, "-c", p, "--netns", "x", NULL) == -1, "fifo");
	has("FIFO (and no hang)", err, "not a regular file");
	path_of("missing.conf", p);
	check(args(&c, err, "-c", p, "--netns", "x", NULL) == -1, "missing");
	has("missing file", err, "cannot open: No such file");
	huge = calloc(1, CONFIG_FILE_MAX + 2);
	memset(huge, '\n', CONFIG_FILE_MAX + 1);
	snprintf(p, sizeof(p), "%s", write_file("huge.conf", huge,
						CONFIG_FILE_MAX + 1));
	free(huge);
	check(args(&c, err, "-c", p, "--netns", "x", NULL) == -1, "huge");
	has("file over 1 MiB", err, "expected a config file of at most "
	    "1048576 bytes");
	snprintf(p, sizeof(p), "%s", write_text("line3.conf", "quiet\n\n"
						"max-conns = none\n"));
	check(args(&c, err, "-c", p, "--netns", "x", NULL) == -1, "line 3");
	snprintf(want, sizeof(want), "%s:3: max-conns \"none\": not a number",
		 p);
	check(!strncmp(err, want, strlen(want)), "message \"%s\" does not "
	       "start with \"%s\"", err, want);
	check(args(&c, err, "-c", "", "--netns", "x", NULL) == -1 &&
	       strstr(err, "-c \"\": empty path"), "-c \"\": %s", err);
}

/**
 * test_precedence() - the command line wins, key by key, lists whole
 */
static void test_precedence(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF], cwd[PATH_BUF];
	struct nsp_config c;

	snprintf(p, sizeof(p), "%s", write_text("prec.conf",
		 "tcp-ports = 8080\ntcp-ports = 8081\nmax-conns = 5\n"
		 "idle-timeout = 60\nquiet\ncontrol = /run/file.sock\n"
		 "tcp-ns-ports = 5432\n"));
	if (check(!args(&c, err, "--netns", "x", "-c", p, "--max-conns", "7",
			 "-t", "9090", "-d", NULL), "precedence: %s", err)) {
		check(c.max_conns == 7 && c.idle_timeout == 60,
		       "command line wins, file fills in: %u %u",
		       c.max_conns, c.idle_timeout);
		check(c.log_level == LOG_LVL_DEBUG, "-d wins over quiet");
		check(!count_src(&c, 8080, CONFIG_SRC_FILE) &&
		       !count_src(&c, 8081, CONFIG_SRC_FILE) &&
		       count_src(&c, 9090, CONFIG_SRC_ARGS) == 2 &&
		       count_src(&c, 5432, CONFIG_SRC_FILE) == 2 &&
		       c.nfwd == 4, "-t replaces every tcp-ports of the file, "
		       "tcp-ns-ports stays: %u", c.nfwd);
		check(!strcmp(c.config_path, p) &&
		       !strcmp(c.control_path, "/run/file.sock"),
		       "config path, control from the file");
		config_free(&c);
	}
	if (check(!args(&c, err, "--netns", "x", "-c", p, "-t", "8080",
			 "-T", "none", NULL), "same port as the file: %s",
		   err)) {
		check(count_src(&c, 8080, CONFIG_SRC_ARGS) == 2 &&
		       c.nfwd == 2, "-t 8080 replaces the file's 8080 and "
		       "8081, -T none its tcp-ns-ports: %u", c.nfwd);
		config_free(&c);
	}
	snprintf(p, sizeof(p), "%s", write_text("target.conf",
		 "quiet\nnetns = web\nuserns = /proc/1/ns/user\n"));
	if (check(!args(&c, err, "-c", p, NULL), "target from file: %s",
		   err)) {
		check(c.target == TARGET_NETNS && c.args_given == 0 &&
		       !strcmp(c.userns_path, "/proc/1/ns/user"),
		       "target from the file, nothing from args");
		config_free(&c);
	}
	if (check(!args(&c, err, "-c", p, "--netns", "other", NULL),
		   "the unit's command line: %s", err)) {
		check(c.target == TARGET_NETNS &&
		       !strcmp(c.netns_path, "/run/netns/other") &&
		       !c.userns_path, "--netns wins over netns, the file's "
		       "userns goes with it");
		config_free(&c);
	}
	if (check(!args(&c, err, "--pid", "1", "-c", p, NULL), "--pid over "
		   "netns: %s", err)) {
		check(c.target == TARGET_PID && c.pid == 1 && !c.userns_path,
		       "--pid wins over the file's netns");
		config_free(&c);
	}
	if (check(!args(&c, err, "-c", p, "--", "true", NULL), "COMMAND: %s",
		   err)) {
		check(c.target == TARGET_COMMAND, "COMMAND wins");
		config_free(&c);
	}
	snprintf(p, sizeof(p), "%s", write_text("userns.conf",
		 "userns = /proc/1/ns/user\n"));
	if (check(!args(&c, err, "-c", p, "--netns", "web", NULL), "userns "
		   "alone in the file: %s", err)) {
		check(!strcmp(c.userns_path, "/proc/1/ns/user"), "a file's "
		       "userns without netns goes with --netns");
		config_free(&c);
	}
	check(args(&c, err, "-c", p, "--pid", "1", NULL) == -1, "userns "
	       "with --pid");
	has("userns with --pid", err, "only valid with --netns");
	snprintf(p, sizeof(p), "%s", write_text("notarget.conf", "quiet\n"));
	check(args(&c, err, "-c", p, NULL) == -1, "no target at all");
	has("no target", err, "missing target");
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir))
		return (void)check(false, "chdir");
	if (check(!args(&c, err, "-c", "target.conf", NULL), "relative -c: "
		   "%s", err)) {
		path_of("target.conf", p);
		check(!strcmp(c.config_path, p), "relative -c made absolute: "
		       "%s", c.config_path);
		config_free(&c);
	}
	if (chdir(cwd))
		check(false, "chdir back");
}

/**
 * test_new_options() - the new command-line options and their errors
 */
static void test_new_options(void)
{
	char err[CONFIG_ERR_MAX], longp[200];
	struct nsp_config c;

	if (check(!args(&c, err, "--pid", "1", "--max-conns", "65536",
			 "--idle-timeout", "0", "--keepalive", "30,5",
			 "--control", "ctl.sock", "--syslog", NULL),
		   "new options: %s", err)) {
		check(c.max_conns == 65536 && !c.idle_timeout &&
		       c.ka_idle == 30 && c.ka_intvl == 5 &&
		       c.ka_cnt == KEEPALIVE_DEF_CNT && c.use_syslog &&
		       !strcmp(c.control_path, "ctl.sock"),
		       "new option values");
		config_free(&c);
	}
	args(&c, err, "--pid", "1", "--max-conns", "0", NULL);
	has("--max-conns 0", err, "--max-conns \"0\": too small: expected 1 "
	    "to 65536 connections");
	args(&c, err, "--pid", "1", "--busy-poll", "50us", NULL);
	has("--busy-poll 50us", err, "--busy-poll \"50us\": not a number: "
	    "expected 0 to 1000 microseconds (0: off)");
	args(&c, err, "--pid", "1", "--idle-timeout", "1w", NULL);
	has("--idle-timeout 1w", err, "--idle-timeout \"1w\": not a number: "
	    "expected 0 to 604800 seconds");
	args(&c, err, "--pid", "1", "--keepalive", "10,,3", NULL);
	has("--keepalive 10,,3", err, "--keepalive \"10,,3\": INTVL not a "
	    "number");
	memset(longp, 'p', sizeof(longp));
	longp[108] = '\0';
	args(&c, err, "--pid", "1", "--control", longp, NULL);
	has("--control long", err, "path too long (108 bytes)");
	args(&c, err, "--pid", "1", "--control", "", NULL);
	has("--control empty", err, "--control \"\": empty path");
	args(&c, err, "--pid", "1", "--max-conns", NULL);
	has("--max-conns without value", err, "--max-conns: missing value");
}

/**
 * bit() - is a port set in an auto rule's bitmap
 * @r:		rule
 * @p:		port
 *
 * Return: true if allowed
 */
static bool bit(const struct auto_rule *r, unsigned p)
{
	return r->allowed[p / 8] & (1U << (p % 8));
}

/**
 * count_bits() - ports an auto rule allows
 * @r:		rule
 *
 * Return: how many
 */
static unsigned count_bits(const struct auto_rule *r)
{
	unsigned p, n = 0;

	for (p = 0; p < 65536; p++)
		n += bit(r, p);
	return n;
}

/**
 * test_autos() - "auto" specs become rules with the right templates
 */
static void test_autos(void)
{
	char err[CONFIG_ERR_MAX];
	const struct auto_rule *r;
	struct portspec_env env;
	struct nsp_config c;
	unsigned lo;

	/* Bare "auto" starts at this namespace's unprivileged port start */
	portspec_env_read(&env);
	lo = env.unpriv_first ? env.unpriv_first : 1;
	if (check(!args(&c, err, "--pid", "1", "-t", "auto", "-T",
			 "*/auto,~22", "-t", "192.0.2.1/auto,8000-8100",
			 "-t", "8080", NULL), "autos: %s", err) &&
	    check(c.nautos == 3 && c.nfwd == 2, "three rules and -t 8080")) {
		r = &c.autos[0];
		check(r->opt == 't' && r->src == CONFIG_SRC_ARGS &&
		       r->ntmpl == 2 && r->tmpl[0].m.family == AF_INET &&
		       r->tmpl[1].m.family == AF_INET6 &&
		       r->tmpl[0].m.listen_side == SIDE_HOST &&
		       r->tmpl[0].m.listen_addr.a4.s_addr == htonl(0x7f000001) &&
		       r->tmpl[0].tolerate == FWD_TOL_ANY &&
		       r->tmpl[1].tolerate == FWD_TOL_ANY,
		       "-t auto: loopback of both families, best effort");
		check(!bit(r, 0) && (lo == 1 || !bit(r, lo - 1)) &&
		       bit(r, lo) && bit(r, 65535) &&
		       count_bits(r) == ALL_PORTS - (lo - 1),
		       "auto allows the unprivileged start..65535");
		r = &c.autos[1];
		check(r->opt == 'T' && r->ntmpl == 2 &&
		       r->tmpl[0].m.listen_side == SIDE_TARGET &&
		       !r->tmpl[0].m.listen_addr.a4.s_addr && !bit(r, 22) &&
		       count_bits(r) == ALL_PORTS - (lo - 1) - (lo <= 22),
		       "-T */auto,~22: wildcard, 22 left out");
		r = &c.autos[2];
		check(r->ntmpl == 1 && bit(r, 8000) && bit(r, 8100) &&
		       !bit(r, 7999) && count_bits(r) == 101,
		       "ADDR/auto,LIST: one family, listed ports");
		check(config_side_needs_low_ports(&c, SIDE_HOST) ==
		       (lo <= LOW_PORTS) &&
		       config_side_needs_low_ports(&c, SIDE_TARGET) ==
		       (lo <= LOW_PORTS),
		       "bare auto rules need no low ports (ip_unprivileged_"
		       "port_start %u)", lo);
		config_free(&c);
	}
	if (check(!args(&c, err, "--pid", "1", "-t", "auto,25,8000", NULL),
		   "auto low: %s", err)) {
		check(config_side_needs_low_ports(&c, SIDE_HOST) &&
		       bit(&c.autos[0], 25) && count_bits(&c.autos[0]) == 2,
		       "auto naming port 25 needs low ports");
		config_free(&c);
	}
	if (check(!args(&c, err, "--pid", "1", "-t", "127.0.0.1/auto,8000",
			 NULL), "auto high: %s", err)) {
		check(!config_side_needs_low_ports(&c, SIDE_HOST),
		       "auto of high ports needs no low ports");
		config_free(&c);
	}
	args(&c, err, "--pid", "1", "-t", "auto", "-t", "*/auto,~1-1100",
	     NULL);
	has("two overlapping autos", err, "-t \"*/auto,~1-1100\": port 1101 "
	    "on 0.0.0.0 overlaps with -t \"auto\"");
	if (check(!args(&c, err, "--pid", "1", "-t", "127.0.0.1/auto",
			 "-t", "::1/auto", "-T", "auto", NULL),
		   "disjoint autos: %s", err))
		config_free(&c);
}

/**
 * snapshot() - copy what a configuration's arrays hold, for comparison
 * @cfg:	configuration
 * @fwd:	set to a copy of the listeners (free() it)
 *
 * Return: number of listeners copied
 */
static unsigned snapshot(const struct nsp_config *cfg, struct fwd_entry **fwd)
{
	*fwd = malloc((cfg->nfwd + 1) * sizeof(**fwd));
	memcpy(*fwd, cfg->fwd, cfg->nfwd * sizeof(**fwd));
	return cfg->nfwd;
}

/**
 * unchanged() - report whether a configuration still equals its snapshot
 * @what:	case name
 * @cfg:	configuration
 * @shot:	struct copy taken before
 * @fwd:	listeners copied before
 * @n:		their number
 */
static void unchanged(const char *what, const struct nsp_config *cfg,
		      const struct nsp_config *shot,
		      const struct fwd_entry *fwd, unsigned n)
{
	check(!memcmp(cfg, shot, sizeof(*cfg)) && cfg->nfwd == n &&
	       !memcmp(cfg->fwd, fwd, n * sizeof(*fwd)),
	       "%s: running configuration changed", what);
}

/**
 * owns_specs() - no spec text of @fresh lies in @running's storage
 * @fresh:	derived configuration
 * @running:	source
 *
 * Return: true if every spec pointer differs from every running one
 */
static bool owns_specs(const struct nsp_config *fresh,
		       const struct nsp_config *running)
{
	unsigned i, j;

	for (i = 0; i < fresh->nfwd; i++)
		for (j = 0; j < running->nfwd; j++)
			if (fresh->fwd[i].spec == running->fwd[j].spec)
				return false;
	return (!fresh->netns_path ||
		fresh->netns_path != running->netns_path) &&
	       (!fresh->config_path ||
		fresh->config_path != running->config_path);
}

/**
 * capture_start() - point descriptor 2 at a file
 * @saved:	set to a copy of the old descriptor 2
 *
 * Return: the file's path
 */
static const char *capture_start(int *saved)
{
	static char p[PATH_BUF];
	int fd;

	path_of("stderr.log", p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	*saved = dup(2);
	dup2(fd, 2);
	close(fd);
	return p;
}

/**
 * capture_end() - restore descriptor 2 and read what was written
 * @saved:	descriptor from capture_start()
 * @path:	its file
 * @buf:	output, CAPTURE_MAX bytes
 */
static void capture_end(int saved, const char *path, char *buf)
{
	ssize_t n;
	int fd;

	dup2(saved, 2);
	close(saved);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, CAPTURE_MAX - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/**
 * test_reload() - reload keeps args/ctl forwards, replaces the file's
 */
static void test_reload(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF], log[CAPTURE_MAX], w[WANT_BUF];
	struct nsp_config run, ctl, fresh, shot;
	struct fwd_entry *fwd;
	const char *cap;
	unsigned n;
	int saved;

	snprintf(p, sizeof(p), "%s", write_text("reload.conf",
		 "netns = web\ntcp-ports = 8080\nmax-conns = 5\n"
		 "tcp-ns-ports = auto\n"));
	if (!check(!args(&run, err, "-c", p, "-T", "9090", "--idle-timeout",
			  "9", NULL), "reload start: %s", err))
		return;
	check(!run.nautos && count_src(&run, 8080, CONFIG_SRC_FILE) == 2,
	       "start: -T replaced the file's tcp-ns-ports = auto");
	if (!check(!config_change(&run, true, 't', "7070", &ctl, err,
				   sizeof(err)), "add 7070: %s", err))
		return config_free(&run);
	config_free(&run);
	write_text("reload.conf", "netns = web\n\ntcp-ports = 8081\n"
		   "max-conns = 6\nidle-timeout = 10\ntcp-ns-ports = 9999\n");
	shot = ctl;
	n = snapshot(&ctl, &fwd);
	cap = capture_start(&saved);
	if (check(!config_reload(&ctl, &fresh, err, sizeof(err)),
		   "reload: %s", err)) {
		capture_end(saved, cap, log);
		check(count_src(&fresh, 9090, CONFIG_SRC_ARGS) == 2 &&
		       count_src(&fresh, 7070, CONFIG_SRC_CTL) == 2 &&
		       count_src(&fresh, 8081, CONFIG_SRC_FILE) == 2 &&
		       !count_src(&fresh, 8080, CONFIG_SRC_FILE) &&
		       !count_src(&fresh, 9999, CONFIG_SRC_FILE) &&
		       fresh.nfwd == 6 && !fresh.nautos,
		       "reload: args and ctl kept, file's replaced, its "
		       "tcp-ns-ports left out for -T (%u, %u)",
		       fresh.nfwd, fresh.nautos);
		check(fresh.max_conns == 5 && fresh.idle_timeout == 9,
		       "reload: settings not applied");
		snprintf(w, sizeof(w), "%s:4: max-conns changed: takes effect "
			 "at the next start", p);
		has("reload warning", log, w);
		check(!strstr(log, "idle-timeout"), "no warning for a "
		       "setting given on the command line: %s", log);
		check(owns_specs(&fresh, &ctl), "reload result owns its "
		       "strings");
		unchanged("reload", &ctl, &shot, fwd, n);
		config_free(&ctl);
		check(!strcmp(fresh.netns_path, "/run/netns/web") &&
		       !strcmp(fresh.config_path, p) &&
		       !strcmp(fresh.fwd[0].spec, fresh.fwd[0].m.listen_port ==
			       7070 ? "7070" : fresh.fwd[0].spec),
		       "reload result readable after the running one is freed");
		config_free(&fresh);
	} else {
		capture_end(saved, cap, log);
		config_free(&ctl);
	}
	free(fwd);
}

/**
 * test_reload_refused() - bad files and conflicts change nothing
 */
static void test_reload_refused(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF];
	struct nsp_config run, fresh, shot;
	struct fwd_entry *fwd;
	unsigned n;

	snprintf(p, sizeof(p), "%s", write_text("refuse.conf",
						"tcp-ports = 8080\n"));
	if (!check(!args(&run, err, "--pid", "1", "-c", p, "-T", "9090",
			  NULL), "refuse start: %s", err))
		return;
	write_text("refuse.conf", "tcp-ports = 8080\nnetns = web\n"
		   "userns = /proc/1/ns/user\n");
	if (check(!config_reload(&run, &fresh, err, sizeof(err)), "--pid "
		   "wins over the file's netns on reload: %s", err)) {
		check(fresh.target == TARGET_PID && fresh.pid == 1 &&
		       !fresh.userns_path, "reload keeps --pid");
		config_free(&fresh);
	}
	shot = run;
	n = snapshot(&run, &fwd);
	write_text("refuse.conf", "tcp-ports = 8080\nmax-conns = x\n");
	memset(&fresh, 0xa5, sizeof(fresh));
	check(config_reload(&run, &fresh, err, sizeof(err)) == -1 &&
	       all_zero(&fresh, sizeof(fresh)), "bad file: refused, empty");
	has("bad file", err, ":2: max-conns \"x\": not a number");
	write_text("refuse.conf", "tcp-ports = 8080\ntcp-ports = 8080\n");
	check(config_reload(&run, &fresh, err, sizeof(err)) == -1 &&
	       all_zero(&fresh, sizeof(fresh)), "overlap in the file refused");
	has("reload overlap", err, "overlaps");
	write_text("refuse.conf", "tcp-ports = 8080\nuserns = /proc/1/ns/user\n");
	check(config_reload(&run, &fresh, err, sizeof(err)) == -1,
	       "userns beside --pid refused");
	has("reload userns", err, "userns \"/proc/1/ns/user\": only valid");
	write_text("refuse.conf", "tcp-ports = 8080\nproxy-protocol = 7777\n");
	check(config_reload(&run, &fresh, err, sizeof(err)) == -1,
	       "proxy-protocol on an unused port refused");
	has("reload proxy-protocol", err, "refuse.conf:2: proxy-protocol: "
	    "port 7777: no TCP forward");
	unlink(p);
	check(config_reload(&run, &fresh, err, sizeof(err)) == -1,
	       "missing file refused");
	has("reload missing", err, "cannot open");
	unchanged("refused reloads", &run, &shot, fwd, n);
	free(fwd);
	config_free(&run);
	if (check(!args(&run, err, "--pid", "1", NULL), "%s", err)) {
		check(config_reload(&run, &fresh, err, sizeof(err)) == -1,
		       "reload without -c");
		has("reload without -c", err, "no config file");
		config_free(&run);
	}
}

/**
 * control_is() - start with RUNTIME_DIRECTORY set, check the control path
 * @rtdir:	RUNTIME_DIRECTORY
 * @conf:	-c FILE, or NULL
 * @control:	--control PATH, or NULL
 * @want:	control path expected, or NULL for none
 */
static void control_is(const char *rtdir, const char *conf,
		       const char *control, const char *want)
{
	char err[CONFIG_ERR_MAX];
	struct nsp_config c;
	int rc;

	setenv("RUNTIME_DIRECTORY", rtdir, 1);
	if (conf && control)
		rc = args(&c, err, "--pid", "1", "-c", conf, "--control",
			  control, NULL);
	else if (conf)
		rc = args(&c, err, "--pid", "1", "-c", conf, NULL);
	else
		rc = args(&c, err, "--pid", "1", NULL);
	unsetenv("RUNTIME_DIRECTORY");
	if (!check(!rc, "RUNTIME_DIRECTORY=%s: %s", rtdir, err))
		return;
	check(want ? c.control_path && !strcmp(c.control_path, want) :
		      !c.control_path, "RUNTIME_DIRECTORY=%s -c %s: control "
	       "\"%s\", expected \"%s\"", rtdir, conf ? conf : "-",
	       c.control_path ? c.control_path : "(none)",
	       want ? want : "(none)");
	config_free(&c);
}

/**
 * test_control_default() - the control socket follows the instance
 */
static void test_control_default(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF], q[PATH_BUF], log[CAPTURE_MAX];
	char longdir[CONFIG_ERR_MAX];
	struct nsp_config run, fresh;
	const char *cap;
	int saved;

	snprintf(p, sizeof(p), "%s", write_text("web.conf",
						"tcp-ports = 8080\n"));
	snprintf(q, sizeof(q), "%s", write_text("db.conf",
		 "tcp-ports = 8080\ncontrol = /run/f.sock\n"));
	control_is("/run/nsplice/web", p, NULL, "/run/nsplice/web/web.sock");
	control_is("/run/nsplice/web:/run/other", p, NULL,
		   "/run/nsplice/web/web.sock");
	control_is("/run/nsplice/web", p, "/run/c.sock", "/run/c.sock");
	control_is("/run/nsplice/web", q, NULL, "/run/f.sock");
	control_is("/run/nsplice/web", NULL, NULL,
		   "/run/nsplice/web/nsplice.sock");
	control_is("run/relative", p, NULL, NULL);
	control_is("", p, NULL, NULL);
	memset(longdir, 'd', sizeof(longdir));
	longdir[0] = '/';
	longdir[100] = '\0';
	setenv("RUNTIME_DIRECTORY", longdir, 1);
	check(args(&run, err, "--pid", "1", "-c", p, NULL) == -1,
	       "default path over sun_path refused");
	has("long RUNTIME_DIRECTORY", err, "path too long");
	if (check(!args(&run, err, "--pid", "1", "-c", p, "--control",
			 "/run/c.sock", NULL), "--control beside a long "
		   "RUNTIME_DIRECTORY: %s", err))
		config_free(&run);
	setenv("RUNTIME_DIRECTORY", "/run/nsplice/web", 1);
	if (!check(!args(&run, err, "--pid", "1", "-c", p, NULL), "%s",
		    err)) {
		unsetenv("RUNTIME_DIRECTORY");
		return;
	}
	cap = capture_start(&saved);
	if (check(!config_reload(&run, &fresh, err, sizeof(err)),
		   "reload with a default control: %s", err)) {
		capture_end(saved, cap, log);
		check(!strstr(log, "control"), "the default control socket is "
		       "not a change on reload: %s", log);
		config_free(&fresh);
	} else {
		capture_end(saved, cap, log);
	}
	unsetenv("RUNTIME_DIRECTORY");
	config_free(&run);
}

/**
 * test_loops_one_ns() - a forward into nsplice's own namespace that sends
 *			 its clients to its own port is a loop; another
 *			 port, or two namespaces, is not
 */
static void test_loops_one_ns(void)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config run;

	if (args(&run, err, "--netns", "x", "-u", "9000", "-t", "9100:80",
		 NULL)) {
		check(false, "loops: set-up refused: %s", err);
		return;
	}
	check(!config_check_loops(&run, false, err, sizeof(err)),
	      "loops: -u 9000 into another namespace refused: %s", err);
	check(config_check_loops(&run, true, err, sizeof(err)) == -1,
	      "loops: -u 9000 into nsplice's own namespace accepted");
	has("loops, one namespace", err, "-u \"9000\" sends its clients to "
	    "its own listener (port 9000, the target namespace is nsplice's "
	    "own)");
	config_free(&run);
	if (args(&run, err, "--netns", "x", "-t", "9100:80", "-u",
		 "9000:10.0.0.2/9000", NULL)) {
		check(false, "loops: set-up refused: %s", err);
		return;
	}
	check(!config_check_loops(&run, true, err, sizeof(err)),
	      "loops: another port, an explicit target, one namespace: "
	      "refused: %s", err);
	config_free(&run);
}

/**
 * retarget_ok() - a reload to @ip moves every explicit target there, in
 *		   its family, and gives no other forward one
 * @run:	running configuration
 * @ip:		the container's new address
 */
static void retarget_ok(const struct nsp_config *run, const char *ip)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config fresh;
	union inany a;
	unsigned i;
	int af;

	inany_parse(ip, &af, &a);
	if (!check(!config_retarget(run, af, &a, &fresh, err, sizeof(err)),
		   "retarget to %s refused: %s", ip, err))
		return;
	check(fresh.nfwd == run->nfwd, "retarget to %s: %u forwards, were %u",
	      ip, fresh.nfwd, run->nfwd);
	for (i = 0; i < fresh.nfwd && i < run->nfwd; i++) {
		const struct msg_forward *m = &fresh.fwd[i].m;

		if (run->fwd[i].m.flags & FWD_F_TARGET_ADDR)
			check((m->flags & FWD_F_TARGET_ADDR) &&
			      m->target_family == af &&
			      inany_equal(af, &m->target_addr, &a),
			      "retarget: forward %u not moved to %s", i, ip);
		else
			check(!(m->flags & FWD_F_TARGET_ADDR),
			      "retarget: forward %u gained a target", i);
	}
	config_free(&fresh);
}

/**
 * test_retarget() - rootlessport's reload: a new address for explicit
 *		     targets of its family (of the other family when none
 *		     has it), never loopback
 */
static void test_retarget(void)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config run, fresh;
	union inany a;
	int af;

	if (args(&run, err, "--netns", "x", "-t", "8080:10.0.0.2/80", "-u",
		 "5353:10.0.0.2/53", "-t", "9090", NULL)) {
		check(false, "retarget: set-up refused: %s", err);
		return;
	}
	inany_parse("127.0.0.1", &af, &a);
	memset(&fresh, 0xa5, sizeof(fresh));
	check(config_retarget(&run, af, &a, &fresh, err, sizeof(err)) == -1 &&
	      all_zero(&fresh, sizeof(fresh)), "retarget to 127.0.0.1 accepted");
	has("retarget 127.0.0.1", err, "loopback is never a target");
	/* No IPv6 target: the container moved to an IPv6-only network, and
	 * every explicit target follows it, as with podman's rootlessport */
	retarget_ok(&run, "fd00::5");
	retarget_ok(&run, "10.0.0.9");
	config_free(&run);
	if (args(&run, err, "--netns", "x", "-t", "9090", NULL)) {
		check(false, "retarget: set-up refused: %s", err);
		return;
	}
	inany_parse("10.0.0.9", &af, &a);
	check(config_retarget(&run, af, &a, &fresh, err, sizeof(err)) == -1,
	      "retarget with no explicit target accepted");
	has("retarget, no explicit target", err,
	    "no forward goes to a container address");
	config_free(&run);
}

/**
 * change_bad() - a change that must be refused, leaving things alone
 * @run:	running configuration
 * @add:	add or remove
 * @opt:	't' or 'T'
 * @spec:	SPEC
 * @want:	piece of the message
 */
static void change_bad(const struct nsp_config *run, bool add, char opt,
		       const char *spec, const char *want)
{
	char err[CONFIG_ERR_MAX] = "";
	struct nsp_config fresh, shot = *run;
	struct fwd_entry *fwd;
	unsigned n = snapshot(run, &fwd);

	memset(&fresh, 0xa5, sizeof(fresh));
	check(config_change(run, add, opt, spec, &fresh, err,
			     sizeof(err)) == -1 &&
	       all_zero(&fresh, sizeof(fresh)),
	       "%s -%c \"%s\": not refused, or result not empty",
	       add ? "add" : "remove", opt, spec);
	has(spec, err, want);
	unchanged(spec, run, &shot, fwd, n);
	free(fwd);
}

/**
 * test_change() - control-socket add and remove
 */
static void test_change(void)
{
	char err[CONFIG_ERR_MAX];
	struct nsp_config run, a, b;

	if (!check(!args(&run, err, "--pid", "1", "-t", "9090", "-t",
			  "8080:80", "-T", "5432", NULL), "change: %s", err))
		return;
	if (check(!config_change(&run, true, 't', "7070-7071", &a, err,
				  sizeof(err)), "add: %s", err)) {
		check(count_src(&a, 7070, CONFIG_SRC_CTL) == 2 &&
		       count_src(&a, 7071, CONFIG_SRC_CTL) == 2 &&
		       a.nfwd == run.nfwd + 4 && owns_specs(&a, &run),
		       "add: four CTL listeners, own strings");
		if (check(!config_change(&a, false, 't', "7070-7071", &b,
					  err, sizeof(err)),
			   "remove added: %s", err)) {
			check(b.nfwd == run.nfwd && !count_src(&b, 0,
				CONFIG_SRC_CTL), "remove: back as before");
			config_free(&b);
		}
		config_free(&a);
	}
	if (check(!config_change(&run, false, 't', "9090", &a, err,
				  sizeof(err)), "remove args: %s", err)) {
		check(a.nfwd == run.nfwd - 2 && !count_src(&a, 9090,
			CONFIG_SRC_ARGS), "remove a command-line forward");
		config_free(&a);
	}
	if (check(!config_change(&run, true, 'T', "auto,~22", &a, err,
				  sizeof(err)), "add auto: %s", err)) {
		check(a.nautos == 1 && a.autos[0].src == CONFIG_SRC_CTL &&
		       a.autos[0].opt == 'T', "auto rule added");
		change_bad(&a, false, 'T', "auto", "the -T auto rule is -T "
			   "auto,~22 (give the SPEC as status lists it");
		change_bad(&a, false, 't', "auto,~22", "there is no -t auto "
			   "rule");
		change_bad(&a, true, 'T', "auto", "overlaps with -T "
			   "\"auto,~22\"");
		if (check(!config_change(&a, false, 'T', "auto,~22", &b, err,
					  sizeof(err)), "remove auto: %s",
			   err)) {
			check(!b.nautos, "auto rule removed");
			config_free(&b);
		}
		config_free(&a);
	}
	change_bad(&run, true, 't', "9090", "-t \"9090\": port 9090 on "
		   "127.0.0.1 overlaps");
	change_bad(&run, true, 't', "70000", "-t \"70000\": port \"70000\" "
		   "out of range");
	change_bad(&run, false, 't', "6060", "-t 6060 is not forwarded");
	change_bad(&run, false, 't', "8080:81", "-t 8080:81 is not forwarded: "
		   "port 8080 on 127.0.0.1 is forwarded another way");
	change_bad(&run, false, 't', "9090-9091", "-t 9090-9091 is not "
		   "forwarded whole: port 9091 on 127.0.0.1 is not forwarded");
	change_bad(&run, false, 'T', "9090", "-T 9090 is not forwarded");
	if (check(!config_change(&run, false, 't', "127.0.0.1/9090", &a, err,
				  sizeof(err)), "remove one family: %s", err)) {
		check(a.nfwd == run.nfwd - 1 && count_src(&a, 9090,
			CONFIG_SRC_ARGS) == 1 && a.fwd[0].m.id == 0,
		       "ADDR/PORT removes that listener alone");
		change_bad(&a, false, 't', "9090", "port 9090 on 127.0.0.1 is "
			   "not forwarded");
		config_free(&a);
	}
	change_bad(&run, false, 't', "none", "forwards nothing");
	change_bad(&run, true, 'x', "80", "expected -t or -T (TCP), -u or -U");
	config_free(&run);
}

/**
 * struct refusal - a removal that must be refused, and its message
 * @opt:	option
 * @spec:	SPEC
 * @want:	piece the message must hold
 * @bad:	piece it must not hold, or NULL
 */
struct refusal {
	char opt;
	const char *spec;
	const char *want;
	const char *bad;
};

/**
 * remove_refused() - removals that must fail, each with its message
 * @run:	running configuration
 * @cases:	the removals
 * @n:		their number
 */
static void remove_refused(const struct nsp_config *run,
			   const struct refusal *cases, size_t n)
{
	char err[CONFIG_ERR_MAX];
	struct nsp_config fresh;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct refusal *c = &cases[i];

		err[0] = '\0';
		check(config_change(run, false, c->opt, c->spec, &fresh, err,
				     sizeof(err)) == -1,
		       "remove -%c %s: not refused", c->opt, c->spec);
		has(c->spec, err, c->want);
		if (c->bad)
			check(!strstr(err, c->bad), "remove -%c %s: message "
			      "\"%s\" has \"%s\"", c->opt, c->spec, err,
			      c->bad);
	}
}

/* auto_refusals - removals meeting -T auto,~9999, -t 127.0.0.1/auto,
 * 8000-8010 and -t [::1]/auto,8000-8010 */
static const struct refusal auto_refusals[] = {
	{ 'T', "8080", "-T 8080 is not forwarded: port 8080 belongs to the "
	  "auto rule -T auto,~9999, which forwards it while it listens on "
	  "the host (status lists it under auto rules); remove -T auto,~9999 "
	  "stops the whole rule, add -T auto,~9999,~8080 then brings it back "
	  "without the port", NULL },
	{ 't', "8005", "port 8005 belongs to the auto rule -t 127.0.0.1/auto,"
	  "8000-8010, which forwards it while it listens in the namespace",
	  NULL },
	{ 't', "[::1]/8005", "auto rule -t [::1]/auto,8000-8010,", NULL },
	/* excluded, privileged, not listed, another protocol: no rule's */
	{ 'T', "9999", "-T 9999 is not forwarded", "auto rule" },
	{ 'T', "80", "-T 80 is not forwarded", "auto rule" },
	{ 't', "9000", "-t 9000 is not forwarded", "auto rule" },
	{ 'u', "8005", "-u 8005 is not forwarded", "auto rule" },
	{ 't', "auto", "no -t auto rule has this SPEC; there are 2, -t "
	  "127.0.0.1/auto,8000-8010 the first", NULL },
	{ 'U', "auto", "there is no -U auto rule", NULL },
};

/* file_refusal - a port of the -c file's -t auto,5000-5010 */
static const struct refusal file_refusal = {
	't', "5005", "belongs to the auto rule -t auto,5000-5010, which "
	"forwards it while it listens in the namespace (status lists it under "
	"auto rules); the rule is the -c file's: make it auto,5000-5010,~5005 "
	"there and reload (remove -t auto,5000-5010 stops the whole rule until "
	"the next reload)", NULL
};

/**
 * test_change_auto() - a removal that meets an auto rule names it
 *
 * A port an auto rule forwards is no forward of its own: the refusal
 * says whose it is, as status lists the rule, and how to stop it; a port
 * no rule may take (excluded, privileged, another option) is refused as
 * before, with no rule named.  A rule's SPEC given wrong names the right
 * one.
 */
static void test_change_auto(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF];
	struct nsp_config run;

	if (!check(!args(&run, err, "--pid", "1", "-T", "auto,~9999", "-t",
			  "127.0.0.1/auto,8000-8010", "-t",
			  "[::1]/auto,8000-8010", NULL), "change auto: %s",
		   err))
		return;
	remove_refused(&run, auto_refusals,
		       sizeof(auto_refusals) / sizeof(auto_refusals[0]));
	config_free(&run);
	snprintf(p, sizeof(p), "%s", write_text("fauto.conf",
		 "netns = web\ntcp-ports = auto,5000-5010\n"));
	if (!check(!args(&run, err, "-c", p, NULL), "change auto file: %s",
		   err))
		return;
	remove_refused(&run, &file_refusal, 1);
	config_free(&run);
}

/**
 * test_auto_owns() - which table listeners status counts for a rule
 */
static void test_auto_owns(void)
{
	char err[CONFIG_ERR_MAX];
	const struct auto_rule *r;
	struct nsp_config run;
	struct msg_forward m;

	if (!check(!args(&run, err, "--pid", "1", "-t", "auto,~9999", "-u",
			  "auto", NULL), "auto owns: %s", err))
		return;
	r = &run.autos[0];
	m = r->tmpl[r->ntmpl - 1].m;
	m.listen_port = 8080;
	m.target_port = 8080;
	check(config_auto_owns(r, &m), "auto owns: its own port 8080");
	m.listen_port = 9999;
	check(!config_auto_owns(r, &m), "auto owns: an excluded port");
	m.listen_port = 80;
	check(!config_auto_owns(r, &m), "auto owns: a privileged port");
	m.listen_port = 8080;
	m.flags |= FWD_F_UDP;
	check(!config_auto_owns(r, &m), "auto owns: a UDP listener");
	check(config_auto_owns(&run.autos[1], &m), "auto owns: the UDP rule's");
	m.flags &= (uint8_t)~FWD_F_UDP;
	m.listen_side = SIDE_TARGET;
	check(!config_auto_owns(r, &m), "auto owns: the other side");
	m.listen_side = r->tmpl[0].m.listen_side;
	strcpy(m.ifname, "eth0");
	check(!config_auto_owns(r, &m), "auto owns: another interface");
	m.ifname[0] = '\0';
	m.listen_addr.b[0] ^= 0x20;
	check(!config_auto_owns(r, &m), "auto owns: another address");
	config_free(&run);
}

/**
 * main() - run every group, print the summary
 *
 * Return: 0 if every check passed, 1 otherwise
 */
/**
 * count_pp() - listeners of one listen port with FWD_F_PROXY
 * @cfg:	configuration
 * @port:	listen port
 *
 * Return: how many
 */
static unsigned count_pp(const struct nsp_config *cfg, unsigned port)
{
	unsigned i, n = 0;

	for (i = 0; i < cfg->nfwd; i++)
		if (cfg->fwd[i].m.listen_port == port &&
		    (cfg->fwd[i].m.flags & FWD_F_PROXY))
			n++;
	return n;
}

/**
 * test_proxy_protocol() - --proxy-protocol PORTS: parsing, sources,
 *			   reload and control-socket marks
 */
static void test_proxy_protocol(void)
{
	char err[CONFIG_ERR_MAX], p[PATH_BUF];
	struct nsp_config c, fresh, ctl;

	if (check(!args(&c, err, "--netns", "web", "-t", "8080", "-t",
			 "9000-9001", "--proxy-protocol", "8080,9001", NULL),
		   "pp: %s", err)) {
		check(count_pp(&c, 8080) == 2 && count_pp(&c, 9001) == 2 &&
		       !count_pp(&c, 9000), "pp: exactly the ports listed");
		config_free(&c);
	}
	check(args(&c, err, "--netns", "web", "-t", "8080",
		    "--proxy-protocol", "8080,7777", NULL) == -1 &&
	       has("pp unused port", err, "--proxy-protocol: port 7777: no "
		   "TCP forward listens on it"), "pp: unused port refused");
	check(args(&c, err, "--netns", "web", "-t", "8080",
		    "--proxy-protocol", "8080:80", NULL) == -1 &&
	       has("pp mapping", err, "--proxy-protocol \"8080:80\": a "
		   "mapping is not a port"), "pp: mapping refused");
	check(args(&c, err, "--netns", "web", "-t", "8080",
		    "--proxy-protocol", "127.0.0.1/8080", NULL) == -1 &&
	       has("pp address", err, "an address or interface is not a port"),
	       "pp: address refused");
	check(args(&c, err, "--netns", "web", "-t", "8080",
		    "--proxy-protocol", "auto", NULL) == -1 &&
	       has("pp auto", err, "are not port lists"), "pp: auto refused");
	if (check(!args(&c, err, "--netns", "web", "-T", "auto",
			 "--proxy-protocol", "5432", NULL), "pp auto: %s", err))
		config_free(&c);

	/* The file's lines add up; the message names the one with the port */
	snprintf(p, sizeof(p), "%s", write_text("pp.conf",
		 "netns = web\ntcp-ports = 4359\nproxy-protocol = 4360\n"));
	check(args(&c, err, "-c", p, NULL) == -1 &&
	       has("pp file line", err, "pp.conf:3: proxy-protocol: port "
		   "4360: no TCP forward listens on it"),
	       "pp: an unused port in the file names its line");
	write_text("pp.conf", "netns = web\nproxy-protocol = 4359\n"
		   "tcp-ports = 4359,4361\nproxy-protocol = 4361-4362\n");
	check(args(&c, err, "-c", p, NULL) == -1 &&
	       has("pp file 2nd line", err, "pp.conf:4: proxy-protocol: port "
		   "4362: no TCP"), "pp: of two lines, the one with the port");

	snprintf(p, sizeof(p), "%s", write_text("pp.conf",
		 "netns = web\ntcp-ports = 8080\ntcp-ports = 9090\n"
		 "proxy-protocol = 8080\n"));
	if (check(!args(&c, err, "-c", p, "--proxy-protocol", "9090", NULL),
		   "pp file: %s", err)) {
		check(!count_pp(&c, 8080) && count_pp(&c, 9090) == 2,
		       "pp: the command line's list replaces the file's");
		config_free(&c);
	}
	if (!check(!args(&c, err, "-c", p, NULL), "pp file: %s", err))
		return;
	check(count_pp(&c, 8080) == 2 && !count_pp(&c, 9090),
	       "pp: proxy-protocol from the file");
	if (check(!config_change(&c, true, 't', "7070", &ctl, err,
				  sizeof(err)) &&
		   !config_pp_mark(&ctl, 't', "7070", err, sizeof(err)),
		   "pp ctl: %s", err)) {
		check(count_pp(&ctl, 7070) == 2 && count_pp(&ctl, 8080) == 2,
		       "pp: ctl add --proxy-protocol marks its forwards");
		write_text("pp.conf", "netns = web\ntcp-ports = 8080\n");
		if (check(!config_reload(&ctl, &fresh, err, sizeof(err)),
			   "pp reload: %s", err)) {
			check(!count_pp(&fresh, 8080) &&
			       count_pp(&fresh, 7070) == 2, "pp: a reload "
			       "without it turns it off; ctl's mark stays");
			config_free(&fresh);
		}
		write_text("pp.conf", "netns = web\ntcp-ports = 8080\n"
			   "proxy-protocol = 8081\n");
		check(config_reload(&ctl, &fresh, err, sizeof(err)) == -1 &&
		       has("pp reload unused", err, "port 8081: no TCP "
			   "forward"), "pp: reload naming an unused port "
		       "refused");
		config_free(&ctl);
	}
	check(config_change(&c, true, 't', "auto", &ctl, err,
			     sizeof(err)) ||
	       (config_pp_mark(&ctl, 't', "auto", err, sizeof(err)) == -1 &&
		has("pp ctl auto", err, "not auto")),
	       "pp: ctl add auto --proxy-protocol refused");
	if (ctl.fwd || ctl.autos)
		config_free(&ctl);
	config_free(&c);
}

int main(void)
{
	char tmpl[] = "/tmp/nsplice-test-config.XXXXXX";
	char cmd[PATH_BUF + 16];
	unsigned i;

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	log_init("test", LOG_LVL_INFO);
	test_text_valid();
	test_text_quotes();
	test_text_lines();
	test_text_values();
	test_files();
	test_precedence();
	test_new_options();
	test_autos();
	test_reload();
	test_reload_refused();
	test_control_default();
	test_change();
	test_change_auto();
	test_auto_owns();
	test_retarget();
	test_loops_one_ns();
	test_proxy_protocol();
	for (i = 0; i < arg_pool_n; i++)
		free(arg_pool[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("could not remove %s\n", dir);
	return unit_summary(NULL);
}
