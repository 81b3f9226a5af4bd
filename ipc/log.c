// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - role-tagged log lines, one write(2) each
 *
 * DOC: Theory of Operation
 *
 * See log.h.  Formatting happens into a stack buffer and the line goes out
 * with a single write() so it is atomic on the supervisor's log pipe.  No
 * allocation, no stdio: the relay may log under its seccomp filter, which
 * allows write() on descriptor 2 and nothing that opens files.
 *
 * The line is formatted LOG_PREFIX_LEN bytes into the buffer so the
 * sd-daemon "<N>" prefix of journal and syslog modes can be put in front
 * without a second write or a copy.  The syslog socket is opened by
 * log_syslog_open() before the supervisor's sandbox (which forbids
 * socket(AF_UNIX)); afterwards lines are send()s on it, and a line that
 * cannot be sent (syslog daemon gone, queue full) goes to stderr instead.
 *
 * The supervisor never blocks on its stderr either (log_set_no_block()):
 * a pipe nobody drains (`nsplice 2>&1 | slow-reader`) froze it in write(),
 * and with it SIGTERM, restarts, the control socket and the children's log
 * pipe, so the relay blocked too and traffic stopped.  Before each write
 * it polls stderr; a line that would block is dropped and counted, and the
 * next line that can go out is preceded by the count.  POLLOUT on a pipe
 * means a free page, and a line is at most LOG_LINE_MAX bytes, less than
 * a page.  Children keep blocking writes: their stderr is the supervisor's
 * log pipe, which it reads whenever it is not writing.
 *
 * log_sink_child() is the supervisor's half of the children's log pipe:
 * it makes the bytes terminal-safe with text_safe() (stderr may be a
 * terminal, and a compromised child must not reach it with escape
 * sequences, C0 or C1), and outside plain mode it reassembles lines (a
 * read may end mid-line), checks each child's priority prefix and writes
 * or sends the line with a priority the child may claim.  In plain mode
 * the bytes go out per read; a UTF-8 sequence cut by the end of a read is
 * held back (at most three bytes) until the next one completes it.
 *
 * Every line a process formats itself, and every message errfmt() makes,
 * goes through text_safe() too: they quote values from the command line,
 * a config file or a control request, and one place that cleans them all
 * cannot be forgotten by the next message.
 *
 * Syscalls: write; the supervisor also poll; in syslog mode also socket,
 * connect (at start), send, getpid; fstat at start for journal detection.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/text.h"

/* LOG_PREFIX_LEN - bytes of the "<N>" priority prefix, N one digit */
#define LOG_PREFIX_LEN		3

/* LOG_SYSLOG_PATH - the local syslog socket (journald or a syslogd) */
#define LOG_SYSLOG_PATH		"/dev/log"

/* LOG_SYSLOG_IDENT - identifier in front of every syslog message */
#define LOG_SYSLOG_IDENT	"nsplice"

/* LOG_SYSLOG_HDR_MAX - bytes of "<PRI>nsplice[PID]: " at most */
#define LOG_SYSLOG_HDR_MAX	48

/* LOG_PRI_CHILD_MIN - most severe syslog priority a child may claim */
#define LOG_PRI_CHILD_MIN	LOG_ERR

/* LOG_PRI_UNPREFIXED - priority of a child line without a valid prefix */
#define LOG_PRI_UNPREFIXED	LOG_WARNING

/* JOURNAL_STREAM_ENV - set by systemd: "DEV:INODE" of the journal stream */
#define JOURNAL_STREAM_ENV	"JOURNAL_STREAM"

int log_level = LOG_LVL_NOTICE;
static const char *log_role = "nsplice";
static enum log_mode log_out_mode = LOG_MODE_PLAIN;
static int log_syslog_fd = -1;
static pid_t log_syslog_pid;

/* log_no_block, log_dropped - the supervisor drops what stderr cannot
 * take at once, and counts it, see the DOC comment */
static bool log_no_block;
static unsigned long log_dropped;

/* sink_line, sink_len - a child line whose newline has not been read
 * yet, raw: it is cleaned once whole */
static char sink_line[LOG_LINE_MAX];
static size_t sink_len;

/* sink_held, sink_nheld - plain mode: the start of a UTF-8 sequence that
 * the last read cut, raw */
static char sink_held[TEXT_SEQ_MAX];
static size_t sink_nheld;

/**
 * log_set_no_block() - never block on stderr: drop and count instead
 * @on:		true for the supervisor
 */
void log_set_no_block(bool on)
{
	log_no_block = on;
}

/**
 * stderr_write() - write to stderr, without blocking if so asked
 * @buf:	bytes
 * @len:	their number, at most LOG_LINE_MAX plus a prefix
 *
 * Return: 0, or -1 if the bytes were not (all) written
 */
static int stderr_write(const char *buf, size_t len)
{
	struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };
	char note[96];
	int n;

	if (log_no_block) {
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
			log_dropped++;
			return -1;
		}
		if (log_dropped) {
			n = snprintf(note, sizeof(note), "[%s] warning: %lu log "
				     "writes dropped: stderr was not being "
				     "read\n", log_role, log_dropped);
			log_dropped = 0;
			if (n > 0 && write(STDERR_FILENO, note,
					   (size_t)n < sizeof(note) ?
					   (size_t)n : sizeof(note) - 1) < 0)
				return -1;
		}
	}
	return write(STDERR_FILENO, buf, len) == (ssize_t)len ? 0 : -1;
}

/**
 * log_init() - set the role tag and the most verbose level written
 * @role:	role name as shown in brackets, a string constant
 * @level:	enum log_level
 */
void log_init(const char *role, int level)
{
	log_role = role;
	log_level = level;
}

/* log_error_hook - called with each error line this process writes */
static void (*log_error_hook)(const char *line);

/**
 * log_set_error_hook() - see each error line this process logs
 * @hook:	called with the message (no role tag, no "error: "), after
 *		text_safe(); NULL to stop
 *
 * A container engine shows its user one line when nsplice fails to start
 * (supervisor/engine.c): the first error is that line.
 */
void log_set_error_hook(void (*hook)(const char *line))
{
	log_error_hook = hook;
}

/**
 * log_set_mode() - choose how lines go out from now on
 * @mode:	enum log_mode; LOG_MODE_SYSLOG sends to /dev/log only once
 *		log_syslog_open() succeeded, else it prefixes like journal
 */
void log_set_mode(enum log_mode mode)
{
	log_out_mode = mode;
}

/**
 * log_get_mode() - the current output mode, for the children's arguments
 *
 * Return: enum log_mode
 */
enum log_mode log_get_mode(void)
{
	return log_out_mode;
}

/**
 * log_mode_name() - the name of a mode, as in the --log-mode= role argument
 * @mode:	enum log_mode
 *
 * Return: "plain", "journal" or "syslog"
 */
const char *log_mode_name(enum log_mode mode)
{
	switch (mode) {
	case LOG_MODE_JOURNAL:
		return "journal";
	case LOG_MODE_SYSLOG:
		return "syslog";
	default:
		return "plain";
	}
}

/**
 * log_mode_parse() - the mode of a name made by log_mode_name()
 * @name:	"plain", "journal" or "syslog"
 *
 * Return: enum log_mode, or -1 for any other string
 */
int log_mode_parse(const char *name)
{
	static const enum log_mode all[] = { LOG_MODE_PLAIN,
					     LOG_MODE_JOURNAL,
					     LOG_MODE_SYSLOG };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, log_mode_name(all[i])))
			return (int)all[i];
	return -1;
}

/**
 * parse_dev_ino() - parse JOURNAL_STREAM's "DEV:INODE", both decimal
 * @v:		value
 * @dev:	device number, set on success
 * @ino:	inode number, set on success
 *
 * Return: 0, or -1 if malformed (then the mode is plain: a bad variable is
 * no reason to refuse to start, and plain lines are never wrong)
 */
static int parse_dev_ino(const char *v, uintmax_t *dev, uintmax_t *ino)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*dev = strtoumax(v, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return -1;
	*ino = strtoumax(end + 1, &end, 10);
	return errno || *end ? -1 : 0;
}

/**
 * log_mode_detect() - the mode the supervisor's surroundings call for
 * @want_syslog: --syslog was given
 *
 * systemd sets JOURNAL_STREAM for a service whose stderr is the journal;
 * the variable is inherited by anything the service starts, so it counts
 * only when it names the very file stderr is (sd-daemon(3)).
 *
 * Return: LOG_MODE_SYSLOG if asked for, LOG_MODE_JOURNAL if stderr is the
 * journal stream, else LOG_MODE_PLAIN
 */
enum log_mode log_mode_detect(bool want_syslog)
{
	const char *v = getenv(JOURNAL_STREAM_ENV);
	uintmax_t dev, ino;
	struct stat st;

	if (want_syslog)
		return LOG_MODE_SYSLOG;
	if (!v || parse_dev_ino(v, &dev, &ino) ||
	    fstat(STDERR_FILENO, &st))
		return LOG_MODE_PLAIN;
	if ((uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino)
		return LOG_MODE_JOURNAL;
	return LOG_MODE_PLAIN;
}

/**
 * log_start_error() - print why nsplice cannot start, before logging is set
 * @msg:	the message, one line
 *
 * "nsplice: MSG" on stderr, as a command-line tool says it; under a
 * service whose stderr is the journal, with the "<3>" prefix that makes it
 * an error there too, as every later error line is: `journalctl -p err`
 * must show why a service did not start.
 */
void log_start_error(const char *msg)
{
	fprintf(stderr, "%snsplice: %s\n",
		log_mode_detect(false) == LOG_MODE_JOURNAL ? "<3>" : "", msg);
}

/**
 * log_syslog_open() - connect to /dev/log, before the sandbox
 * @err:	error buffer
 * @errlen:	its size
 *
 * The supervisor's seccomp filter forbids socket(AF_UNIX), so the socket
 * is made here, once, and every later line is a send() on it.
 *
 * Return: 0, or -1 with @err naming the socket and the reason
 */
int log_syslog_open(char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX,
				   .sun_path = LOG_SYSLOG_PATH };
	int fd, saved;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errfmt(err, errlen, "--syslog: socket: %s",
			      strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		saved = errno;
		close(fd);
		return errfmt(err, errlen, "--syslog: cannot connect to "
			      LOG_SYSLOG_PATH ": %s", strerror(saved));
	}
	if (log_syslog_fd >= 0)
		close(log_syslog_fd);
	log_syslog_fd = fd;
	log_syslog_pid = getpid();
	return 0;
}

/**
 * level_pri() - the syslog priority of a log level
 * @level:	enum log_level
 *
 * Return: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO or LOG_DEBUG
 */
static int level_pri(int level)
{
	switch (level) {
	case LOG_LVL_WARN:
		return LOG_WARNING;
	case LOG_LVL_NOTICE:
		return LOG_NOTICE;
	case LOG_LVL_INFO:
		return LOG_INFO;
	case LOG_LVL_DEBUG:
	case LOG_LVL_TRACE:
		return LOG_DEBUG;
	default:
		return LOG_ERR;
	}
}

/**
 * syslog_send() - send one line to /dev/log
 * @pri:	syslog priority, 0..7
 * @text:	the line, without prefix and newline
 * @len:	its length
 *
 * No timestamp: journald and the syslog daemons stamp a message on
 * arrival, and formatting local time would need the time zone file.
 * MSG_DONTWAIT: a slow logger must never stall the supervisor.
 *
 * Return: 0, or -1 if it was not sent
 */
static int syslog_send(int pri, const char *text, size_t len)
{
	char msg[LOG_SYSLOG_HDR_MAX + LOG_LINE_MAX];
	int n;

	n = snprintf(msg, LOG_SYSLOG_HDR_MAX, "<%d>" LOG_SYSLOG_IDENT "[%d]: ",
		     LOG_DAEMON | pri, (int)log_syslog_pid);
	if (n < 0 || n >= LOG_SYSLOG_HDR_MAX || len > LOG_LINE_MAX)
		return -1;
	memcpy(msg + n, text, len);
	if (send(log_syslog_fd, msg, (size_t)n + len,
		 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -1;
	return 0;
}

/**
 * emit() - put one formatted line out the way the mode says
 * @pri:	syslog priority, 0..7
 * @line:	buffer whose first LOG_PREFIX_LEN bytes are free for the prefix
 * @len:	bytes after the prefix room, ending with a newline
 */
static void emit(int pri, char *line, size_t len)
{
	char *body = line + LOG_PREFIX_LEN;

	if (log_syslog_fd >= 0 && !syslog_send(pri, body, len - 1))
		return;
	if (log_out_mode != LOG_MODE_PLAIN && log_syslog_fd < 0) {
		line[0] = '<';
		line[1] = (char)('0' + pri);
		line[2] = '>';
		body = line;
		len += LOG_PREFIX_LEN;
	}
	if (stderr_write(body, len) < 0) {
		/* Nowhere left to report it. */
	}
}

/**
 * log_vwrite() - format and write one line
 * @level:	enum log_level of the line
 * @fmt:	printf format
 * @ap:		arguments
 */
static void __attribute__((format(printf, 2, 0)))
log_vwrite(int level, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "",
					   "", "" };
	char line[LOG_LINE_MAX];
	char *body = line + LOG_PREFIX_LEN;
	const size_t room = sizeof(line) - LOG_PREFIX_LEN;
	int saved = errno;
	int n, m, m0;

	n = snprintf(body, room, "[%s] %s", log_role,
		     tag[level < 0 || level > LOG_LVL_TRACE ? 0 : level]);
	if (n < 0)
		n = 0;
	if ((size_t)n > room - 2)
		n = (int)room - 2;
	m0 = n;
	m = vsnprintf(body + n, room - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > room - 2)
		n = (int)room - 2;
	n = (int)text_safe(body, body, (size_t)n, 0, NULL);
	body[n] = '\0';
	if (level == LOG_LVL_ERR && log_error_hook)
		log_error_hook(body + m0);
	body[n++] = '\n';
	emit(level_pri(level), line, (size_t)n);
	errno = saved;
}

/**
 * sink_plain() - copy a child's bytes to stderr, made terminal-safe
 * @buf:	bytes read from the log pipe
 * @n:		their number
 *
 * Plain mode adds nothing to a line, so bytes go out as they came, in
 * chunks, without waiting for the end of a line; only the start of a
 * UTF-8 sequence the read cut waits for the rest (see the DOC comment).
 */
static void sink_plain(const char *buf, size_t n)
{
	char work[TEXT_SEQ_MAX + LOG_LINE_MAX];
	size_t take, len, out;

	while (n) {
		take = n < LOG_LINE_MAX ? n : LOG_LINE_MAX;
		memcpy(work, sink_held, sink_nheld);
		memcpy(work + sink_nheld, buf, take);
		len = sink_nheld + take;
		out = text_safe(work, work, len, TEXT_KEEP_NL, &sink_nheld);
		/* text_safe() never writes past what it consumed */
		memcpy(sink_held, work + len - sink_nheld, sink_nheld);
		if (out && stderr_write(work, out) < 0 && !log_no_block)
			return;
		buf += take;
		n -= take;
	}
}

/**
 * sink_emit() - make one whole line of a child safe, write or send it
 * @text:	the line as read, newline included
 * @len:	its length
 *
 * The child's "<N>" prefix is replaced by one the supervisor vouches for:
 * at most as severe as LOG_PRI_CHILD_MIN, LOG_PRI_UNPREFIXED without one.
 */
static void sink_emit(const char *text, size_t len)
{
	char line[LOG_LINE_MAX + LOG_PREFIX_LEN];
	int pri = LOG_PRI_UNPREFIXED;

	if (len > LOG_PREFIX_LEN && text[0] == '<' && text[1] >= '0' &&
	    text[1] <= '7' && text[2] == '>') {
		pri = text[1] - '0';
		text += LOG_PREFIX_LEN;
		len -= LOG_PREFIX_LEN;
	}
	if (pri < LOG_PRI_CHILD_MIN)
		pri = LOG_PRI_CHILD_MIN;
	len = text_safe(line + LOG_PREFIX_LEN, text, len, TEXT_KEEP_NL, NULL);
	emit(pri, line, len);
}

/**
 * log_sink_child() - the supervisor's output for bytes from the log pipe
 * @buf:	bytes read from the children's log pipe
 * @n:		their number
 *
 * Called by the supervisor instead of write(2).  Outside plain mode a
 * line is emitted only once its newline has arrived; a "line" longer than
 * LOG_LINE_MAX (no child writes one) is cut into pieces.
 */
void log_sink_child(const char *buf, size_t n)
{
	size_t i;

	if (log_out_mode == LOG_MODE_PLAIN) {
		sink_plain(buf, n);
		return;
	}
	for (i = 0; i < n; i++) {
		sink_line[sink_len++] = buf[i];
		if (buf[i] != '\n' && sink_len < sizeof(sink_line) - 1)
			continue;
		if (buf[i] != '\n')
			sink_line[sink_len++] = '\n';
		sink_emit(sink_line, sink_len);
		sink_len = 0;
	}
}

/**
 * log_sink_flush() - emit a child's unterminated last line, at exit
 *
 * A child that died in the middle of a write leaves a partial line;
 * it is still evidence, so it goes out with a newline added.  In plain
 * mode, a cut UTF-8 sequence held back will never be completed: it goes
 * out as what it is, invalid bytes.
 */
void log_sink_flush(void)
{
	char out[TEXT_SEQ_MAX];
	size_t n;

	if (sink_nheld) {
		n = text_safe(out, sink_held, sink_nheld, 0, NULL);
		sink_nheld = 0;
		if (stderr_write(out, n) < 0 && !log_no_block)
			return;
	}
	if (!sink_len)
		return;
	sink_line[sink_len++] = '\n';
	sink_emit(sink_line, sink_len);
	sink_len = 0;
}

/**
 * log_msg() - write a line if @level is enabled
 * @level:	enum log_level
 * @fmt:	printf format, without trailing newline
 */
void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/**
 * log_ratelimited() - write at most one line per second for one call site
 * @rl:		state of this call site
 * @level:	enum log_level
 * @fmt:	printf format
 *
 * A peer can make some lines repeat at line rate (refused clients, for
 * example); this keeps them from filling the journal while still saying how
 * many were dropped.
 */
void log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_due(rl, level, 1))
		return;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/**
 * log_due() - may a line limited to one per period be written now
 * @rl:		state of that line
 * @level:	its level
 * @period:	seconds between two lines at least
 *
 * For conditions that come and go while they last (a limit reached, a
 * budget spent), so the log says it once rather than once a second.  The
 * lines dropped are counted and reported before the next one.
 *
 * Return: true if the caller should write the line now
 */
bool log_due(struct log_ratelimit *rl, int level, unsigned period)
{
	struct timespec now;

	if (level > log_level)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rl->last && now.tv_sec - rl->last < (time_t)period) {
		rl->suppressed++;
		return false;
	}
	if (rl->suppressed)
		log_msg(level, "(%u similar lines suppressed)", rl->suppressed);
	rl->last = now.tv_sec;
	rl->suppressed = 0;
	return true;
}

/**
 * errfmt() - format an error message into a caller's buffer
 * @buf:	buffer
 * @len:	its size
 * @fmt:	printf format
 *
 * Validation code reports errors this way so the caller decides whether
 * the line goes to stderr (usage errors) or to the log.  Messages quote
 * values from outside, so the result is made terminal-safe and one line
 * here, whoever prints it.
 *
 * Return: -1, so callers can write `return errfmt(...)`
 */
int errfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	text_safe_str(buf);
	return -1;
}

/**
 * fatal() - log an error and exit with status 1
 * @fmt:	printf format
 *
 * For broken invariants and startup failures only: a per-connection error
 * in the relay is never fatal.
 */
void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	_exit(EXIT_FAILURE);
}
