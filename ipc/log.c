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
 * The supervisor bounds what it copies from the log pipe: all children
 * write to one pipe, and a compromised relay that wrote gigabytes to it
 * made the supervisor spend a CPU copying them to the user's terminal,
 * disk or journal, and answer its control socket in seconds.  A token
 * bucket (struct log_budget) lets through LOG_BUDGET_BURST bytes at once
 * and LOG_BUDGET_RATE a second after that.  Up to -v that is far above
 * what the children say (start-up, forwards added, warnings that are
 * themselves limited to one a second: a few KiB); with -d or --trace
 * every connection adds lines (measured: 2500 connections a second make
 * 440 KB/s with -d, 930 KB/s with --trace), so there the bucket is
 * LOG_BUDGET_BURST_DEBUG and LOG_BUDGET_RATE_DEBUG: the user asked for
 * that volume.  What is over budget is dropped, cut at line ends so the
 * lines that do go out are whole, and counted; log_sink_report() says
 * how much in one line at most every LOG_DROP_REPORT_SEC.
 *
 * Dropping still costs a read() per chunk.  The alternative, not reading
 * the pipe while over budget, would make every child block in its next
 * write() of a log line, and the pipe is shared: an honest busy relay
 * (or agent) would stall its data path behind a debug line.  So the
 * supervisor keeps draining, in chunks of 64 KiB, and only once a flood
 * passes LOG_DISCARD_MAX bytes in LOG_DISCARD_WINDOW_MS (32 MiB/s, a
 * rate no honest child logs at, --trace included) does it stop reading
 * until the window ends (log_sink_paused()): then the flooding writer
 * waits in its own write(), and the supervisor's CPU for a flood of any
 * size stays a few milliseconds a second.
 *
 * Every line a process formats itself, and every message errfmt() makes,
 * goes through text_safe() too: they quote values from the command line,
 * a config file or a control request, and one place that cleans them all
 * cannot be forgotten by the next message.
 *
 * Syscalls: write; the supervisor also poll and clock_gettime; in syslog
 * mode also socket, connect (at start), send, getpid; fstat at start for
 * journal detection.
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

#include "ipc/clock.h"
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

/* sink_mid_line - plain mode: the last byte copied was not a newline */
static bool sink_mid_line;

/* sink_budget - what the supervisor may still copy from the log pipe */
static struct log_budget sink_budget;

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
		if (out)
			sink_mid_line = work[out - 1] != '\n';
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
 * sink_bytes() - the supervisor's output for bytes within the budget
 * @buf:	bytes read from the children's log pipe
 * @n:		their number
 *
 * Outside plain mode a line is emitted only once its newline has arrived;
 * a "line" longer than LOG_LINE_MAX (no child writes one) is cut into
 * pieces.
 */
static void sink_bytes(const char *buf, size_t n)
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
 * log_sink_child() - the supervisor's output for bytes from the log pipe
 * @buf:	bytes read from the children's log pipe
 * @n:		their number
 *
 * Called by the supervisor instead of write(2).  Only what the budget
 * admits goes out (see the DOC comment); when it starts dropping, a line
 * already begun is ended, so the next line out, a child's or the drop
 * report, starts a line of its own.
 */
void log_sink_child(const char *buf, size_t n)
{
	bool was_dropping = sink_budget.dropping;
	size_t off, len;

	len = log_budget_admit(&sink_budget, buf, n, log_level, clock_ms(),
			       &off);
	sink_bytes(buf + off, len);
	if (!was_dropping && sink_budget.dropping)
		log_sink_flush();
}

/**
 * log_sink_paused() - should the supervisor leave the log pipe unread now
 *
 * Return: true while a flood has used up this window's reads, see
 * log_budget_paused()
 */
bool log_sink_paused(void)
{
	return log_budget_paused(&sink_budget, clock_ms());
}

/**
 * log_sink_report() - say how much of the children's log was dropped
 * @force:	say it now (at exit), not only once the interval passed
 *
 * One warning at most every LOG_DROP_REPORT_SEC, from the supervisor
 * itself, so it is not subject to the budget it reports on.
 */
void log_sink_report(bool force)
{
	uint64_t bytes, lines;
	int64_t ms;
	bool debug = log_level >= LOG_LVL_DEBUG;

	if (!log_budget_report(&sink_budget, clock_ms(), force, &bytes,
			       &lines, &ms))
		return;
	nwarn("children's log over its budget (%u KiB/s, %u KiB at once): "
	      "%" PRIu64 " bytes (%" PRIu64 " lines) dropped in the last "
	      "%" PRId64 " s", (debug ? LOG_BUDGET_RATE_DEBUG :
				LOG_BUDGET_RATE) / 1024,
	      (debug ? LOG_BUDGET_BURST_DEBUG : LOG_BUDGET_BURST) / 1024,
	      bytes, lines, ms < CLOCK_MS_PER_S ? 1 : ms / CLOCK_MS_PER_S);
}

/**
 * budget_drop() - count bytes dropped from the log pipe
 * @b:		budget
 * @buf:	the bytes
 * @n:		their number
 * @now:	clock_ms()
 *
 * Newlines are counted with memchr(), the only per-byte work a dropped
 * byte costs.
 */
static void budget_drop(struct log_budget *b, const char *buf, size_t n,
			int64_t now)
{
	const char *p = buf, *end = buf + n;

	if (!n)
		return;
	if (!b->drop_bytes)
		b->drop_since = now;
	b->drop_bytes += n;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		b->drop_lines++;
		p++;
	}
	b->mid_line = buf[n - 1] != '\n';
}

/**
 * budget_refill() - add what the time since the last refill earned
 * @b:		budget
 * @level:	the log level: -d and --trace get a bigger bucket
 * @now:	clock_ms()
 */
static void budget_refill(struct log_budget *b, int level, int64_t now)
{
	const bool debug = level >= LOG_LVL_DEBUG;
	const int64_t rate = debug ? LOG_BUDGET_RATE_DEBUG : LOG_BUDGET_RATE;
	const int64_t full = (int64_t)(debug ? LOG_BUDGET_BURST_DEBUG :
				       LOG_BUDGET_BURST) * CLOCK_MS_PER_S;
	int64_t elapsed = now - b->refill_at;

	if (!b->refill_at || elapsed >= full / rate)
		b->credit = full;
	else if (elapsed > 0)
		b->credit += elapsed * rate;
	if (b->credit > full)
		b->credit = full;	/* also when the level was lowered */
	if (elapsed > 0 || !b->refill_at)
		b->refill_at = now;
}

/**
 * log_budget_admit() - how much of a read from the log pipe may go out
 * @b:		budget of that pipe, zeroed before the first call
 * @buf:	the bytes read
 * @n:		their number
 * @level:	the log level (the children's is the supervisor's)
 * @now:	clock_ms()
 * @off:	set to the offset of the bytes that may go out
 *
 * The bytes buf[*off, *off + return) may go out; the rest is dropped and
 * counted.  Over budget, the cut is after the last newline that fits, and
 * copying resumes, once LOG_BUDGET_RESUME bytes are earned again, after
 * the next newline: a child's line goes out whole or not at all (a child
 * writes each line with one write(), see log.h).  Everything read counts
 * towards the discard window of log_budget_paused().
 *
 * Return: number of bytes that may go out, from @off
 */
size_t log_budget_admit(struct log_budget *b, const char *buf, size_t n,
			int level, int64_t now, size_t *off)
{
	const char *nl;
	size_t start = 0, avail, len;

	*off = 0;
	if (now - b->window_at >= LOG_DISCARD_WINDOW_MS || now < b->window_at) {
		b->window_at = now;
		b->window_bytes = 0;
	}
	b->window_bytes += n;
	budget_refill(b, level, now);
	if (b->dropping && b->credit < (int64_t)LOG_BUDGET_RESUME *
	    CLOCK_MS_PER_S) {
		budget_drop(b, buf, n, now);
		return 0;
	}
	b->dropping = false;
	if (b->mid_line) {
		nl = n ? memchr(buf, '\n', n) : NULL;
		start = nl ? (size_t)(nl - buf) + 1 : n;
		budget_drop(b, buf, start, now);
	}
	avail = (size_t)(b->credit / CLOCK_MS_PER_S);
	len = n - start;
	if (len > avail) {
		/* over budget: keep the lines that fit whole */
		for (len = avail; len && buf[start + len - 1] != '\n'; len--)
			;
		b->dropping = true;
		budget_drop(b, buf + start + len, n - start - len, now);
	}
	b->credit -= (int64_t)len * CLOCK_MS_PER_S;
	*off = start;
	return len;
}

/**
 * log_budget_paused() - has a flood used up this window's reads
 * @b:		budget of the pipe
 * @now:	clock_ms()
 *
 * While true the supervisor does not poll the pipe, so a child that keeps
 * writing blocks in its own write() instead of costing the supervisor a
 * read for every 64 KiB; the window is short, so an honest child that
 * wrote a line meanwhile waits at most LOG_DISCARD_WINDOW_MS plus a timer
 * tick.
 *
 * Return: true if LOG_DISCARD_MAX bytes were read in the current window
 */
bool log_budget_paused(struct log_budget *b, int64_t now)
{
	return b->window_bytes >= LOG_DISCARD_MAX && now >= b->window_at &&
	       now - b->window_at < LOG_DISCARD_WINDOW_MS;
}

/**
 * log_budget_report() - is a drop report due, and what does it say
 * @b:		budget of the pipe
 * @now:	clock_ms()
 * @force:	due whatever the interval (at exit)
 * @bytes:	set to the bytes dropped since the last report
 * @lines:	set to the newlines among them
 * @ms:		set to the milliseconds since the first of them
 *
 * The first report comes at once, later ones at most every
 * LOG_DROP_REPORT_SEC; the counts restart after each.
 *
 * Return: true if a report is due (the outputs are set), else false
 */
bool log_budget_report(struct log_budget *b, int64_t now, bool force,
		       uint64_t *bytes, uint64_t *lines, int64_t *ms)
{
	if (!b->drop_bytes)
		return false;
	if (!force && b->reported &&
	    now - b->reported_at < LOG_DROP_REPORT_SEC * CLOCK_MS_PER_S)
		return false;
	*bytes = b->drop_bytes;
	*lines = b->drop_lines;
	*ms = now - b->drop_since;
	b->drop_bytes = 0;
	b->drop_lines = 0;
	b->reported = true;
	b->reported_at = now;
	return true;
}

/**
 * log_sink_flush() - end a child's unterminated line: at exit, or when
 * the budget starts dropping
 *
 * A child that died in the middle of a write leaves a partial line;
 * it is still evidence, so it goes out with a newline added.  In plain
 * mode, a cut UTF-8 sequence held back will never be completed: it goes
 * out as what it is, invalid bytes, and a line already begun gets its
 * newline, so the supervisor's next line starts a line of its own.
 */
void log_sink_flush(void)
{
	char out[TEXT_SEQ_MAX + 1];
	size_t n = 0;

	if (sink_nheld) {
		n = text_safe(out, sink_held, sink_nheld, 0, NULL);
		sink_nheld = 0;
		sink_mid_line = true;
	}
	if (sink_mid_line)
		out[n++] = '\n';
	sink_mid_line = false;
	if (n && stderr_write(out, n) < 0 && !log_no_block)
		return;
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
