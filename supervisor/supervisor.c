// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * supervisor.c - process lifecycle: start the children, watch, stop
 *
 * DOC: Theory of Operation
 *
 * The supervisor lives in the caller's namespaces and holds the validated
 * configuration, the handles of the target namespace and the children's
 * pids.  It never sees a connection and never parses traffic: the only
 * bytes it reads from children are fixed-size catalogue messages and log
 * lines, which it copies to its stderr.
 *
 * Start: open nsplice's own binary once; find or create the target
 * namespace (netns.c); create the log pipe; fork the spawner
 * (spawner.c), which takes the binary, and close it; create five
 * SOCK_SEQPACKET channels (supervisor to each child, each agent to the
 * relay); start the relay and both agents (spawn.c, through the spawner);
 * then follow the start-up protocol (startup.c).  In between, once COMMAND
 * and the spawner are forked and before the first child, the supervisor
 * isolates itself (seccomp/sandbox.c): as root it keeps only the
 * capabilities its children need, and it loads its seccomp filter, which
 * has no exec, fork or namespace calls.  Children inherit the spawner's
 * filter, not this one.  The spawner's end is fatal: nsplice stops with
 * status 1.
 *
 * Watch: one poll() loop over a signalfd (SIGCHLD, SIGTERM, SIGINT,
 * SIGHUP), the log pipe, the three channels, those of replaced relays
 * still draining (their counters: live.c), a timer and, for --pid, the
 * target's pidfd.  The timer notices `ip netns del` and enforces the
 * shutdown deadline.
 *
 * Stop (sup_stop): close every channel, which each child takes as the order
 * to exit; send COMMAND SIGTERM; after STOP_GRACE_SEC, SIGKILL whatever is
 * left.  Every child is reaped and its end logged with its cause.  A child
 * that ends while nsplice is not stopping is restarted or, before it ever
 * served, ends nsplice (restart.c has the policy).
 *
 * Exit status: COMMAND's (128+N for signal N) in COMMAND mode; 0 on
 * SIGTERM/SIGINT or when the target goes away; 1 when something failed.
 */
#include <bsd/unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/clock.h"
#include "ipc/log.h"
#include "ipc/proctitle.h"
#include "seccomp/sandbox.h"
#include "supervisor/activation.h"
#include "supervisor/control.h"
#include "supervisor/engine.h"
#include "supervisor/idmap.h"
#include "supervisor/notify.h"
#include "supervisor/spawner.h"
#include "supervisor/supervisor.h"

/* STOP_GRACE_SEC - seconds children get to exit before SIGKILL */
#define STOP_GRACE_SEC		2

/* TIMER_PERIOD_MS - how often the netns path and deadlines are checked */
#define TIMER_PERIOD_MS		200

/* LOG_COPY_BUF - bytes read from the log pipe at once: a pipe's default
 * capacity, so a flood, most of it dropped, costs few reads */
#define LOG_COPY_BUF		(64 * 1024)

/* LOG_COPY_READS - reads of the log pipe per poll round at most, so that
 * signals, channels and the control socket are served during a flood */
#define LOG_COPY_READS		16

/* NOFILE_MIN - smallest RLIMIT_NOFILE hard limit nsplice starts with: the
 * relay's fixed reserve plus a few hundred flows */
#define NOFILE_MIN		1024U

/* PIDFILE_MODE - permissions of --pid-file */
#define PIDFILE_MODE		0644

/**
 * enum sup_poll - slots of the supervisor's poll array
 */
enum sup_poll {
	P_CHAN0 = 0,		/* CH_COUNT channel slots start here */
	P_DRAIN0 = CH_COUNT,	/* then DRAIN_MAX of draining relays */
	P_SIG = CH_COUNT + DRAIN_MAX,
	P_LOG,
	P_TIMER,
	P_TARGET,
	P_COUNT
};

/**
 * now_sec() - monotonic clock in seconds
 *
 * Return: seconds
 */
static long now_sec(void)
{
	return (long)(clock_ms() / CLOCK_MS_PER_S);
}

/**
 * sup_stop() - begin shutdown, keeping the first exit status asked for
 * @s:		supervisor state
 * @code:	exit status
 * @why:	reason logged at info level (-v: the user asked for the stop,
 *		or COMMAND ended, and knows why), or NULL if already logged
 */
void sup_stop(struct supervisor *s, int code, const char *why)
{
	int i;

	if (s->stopping)
		return;
	s->stopping = true;
	s->exit_code = code;
	if (why)
		ninfo("%s", why);
	notify_send("STOPPING=1");
	restart_stop_all(s);
	for (i = 0; i < CH_COUNT; i++)
		if (s->ch[i].pid <= 0)
			s->ch[i].ended = true;	/* was waiting for a restart */
	netns_command_close(s);		/* a COMMAND still waiting never runs */
	if (s->cmd_pid > 0)
		kill(s->cmd_pid, SIGTERM);
	s->stop_deadline = now_sec() + STOP_GRACE_SEC;
}

/**
 * status_text() - describe how a process ended
 * @st:		status from waitpid()
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static const char *status_text(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		snprintf(buf, len, "was killed by seccomp (SIGSYS)");
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (SIG%s)",
			 WTERMSIG(st), sigabbrev_np(WTERMSIG(st)) ?
			 sigabbrev_np(WTERMSIG(st)) : "?");
	else
		snprintf(buf, len, "ended with status 0x%x", st);
	return buf;
}

/**
 * reaped_command() - COMMAND ended: nsplice ends with its status
 * @s:		supervisor state
 * @st:		status from waitpid()
 */
static void reaped_command(struct supervisor *s, int st)
{
	char why[128], how[64];
	int code = WIFEXITED(st) ? WEXITSTATUS(st) :
		   WIFSIGNALED(st) ? 128 + WTERMSIG(st) : EXIT_FAILURE;

	s->cmd_pid = 0;
	snprintf(why, sizeof(why), "COMMAND %s",
		 status_text(st, how, sizeof(how)));
	sup_stop(s, code, why);
}

/**
 * severity() - how much an exit status says about the cause of a failure
 * @st:		status from waitpid()
 *
 * Return: 2 for a signal, 1 for a non-zero exit, 0 for a clean exit
 */
static int severity(int st)
{
	if (WIFSIGNALED(st))
		return 2;
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/**
 * on_channel() - receive every pending message from one child
 * @s:		supervisor state
 * @id:		child
 */
static void on_channel(struct supervisor *s, enum sup_child_id id)
{
	struct sup_child *c = &s->ch[id];
	const char *why;
	struct ipc_msg m;
	int ret;

	while (c->chan.fd >= 0 && !s->stopping) {
		ret = ipc_recv(&c->chan, &m, &why);
		if (ret == IPC_AGAIN)
			return;
		if (ret == 1) {
			startup_on_msg(s, id, &m);
			continue;
		}
		if (ret == IPC_EOF ||
		    (ret == IPC_ERR_IO && errno == ECONNRESET)) {
			/* Usually the child is exiting: SIGCHLD tells why. */
			ipc_chan_close(&c->chan);
			c->eof_at = now_sec();
			return;
		}
		/* ipc_recv() closed nothing: the child is compromised or
		 * broken; it is killed and restarted. */
		nerr("protocol violation by %s: bad message: %s", c->name,
		     why);
		if (c->pid > 0)
			kill(c->pid, SIGKILL);
		ipc_chan_close(&c->chan);
		return;
	}
}

/**
 * stop_signal() - did a signal that stops nsplice end this process
 * @st:		status from waitpid()
 *
 * SIGTERM and SIGINT reach every child when the whole process group or
 * cgroup is signalled (timeout(1), Ctrl-C, systemd's KillMode=
 * control-group): such an end is part of a normal stop, not a failure.
 *
 * Return: true for an end by SIGTERM or SIGINT
 */
static bool stop_signal(int st)
{
	return WIFSIGNALED(st) &&
	       (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGINT);
}

/**
 * failed_unserved() - a child ended before it ever served
 * @s:		supervisor state
 * @c:		the child
 * @pid:	its pid
 * @st:		status from waitpid()
 *
 * Served: the child said HELLO - it entered its namespace, built its
 * sandbox and speaks the protocol - or nsplice was ready once.  A child
 * that ends before, during the first start, met something a second try
 * would meet again (a namespace it may not enter, a sandbox the kernel
 * refuses): no restart, exit 2.  A child that exits with status 1 went
 * through fatal(), whose line already gave the cause; only a signal or
 * another status needs saying here.
 */
static void failed_unserved(struct supervisor *s, struct sup_child *c,
			    pid_t pid, int st)
{
	char how[64];

	status_text(st, how, sizeof(how));
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_FAILURE)
		ninfo("%s (pid %d) %s during start-up", c->name, (int)pid,
		      how);
	else
		nerr("%s (pid %d) %s during start-up", c->name, (int)pid, how);
	c->reported = true;
	sup_stop(s, EXIT_USAGE, NULL);
}

/**
 * reaped_child() - a relay or agent ended
 * @s:		supervisor state
 * @c:		which child
 * @st:		status from waitpid()
 *
 * An end while nsplice is not stopping is logged with its cause and the
 * child is restarted (restart.c), if it has served (failed_unserved());
 * while stopping, how each child ended is reported by report_child_ends()
 * once all are reaped.  An end by SIGTERM or SIGINT outside a stop is
 * judged at the next timer tick (judge_deferred()): when the whole group
 * is signalled, a child's end may be read before the supervisor's own
 * signal, which then makes it part of the stop.
 */
static void reaped_child(struct supervisor *s, struct sup_child *c, int st)
{
	enum sup_child_id id = (enum sup_child_id)(c - s->ch);
	pid_t pid = c->pid;
	char how[64];

	c->status = st;
	if (s->stopping || (stop_signal(st) && !c->ended)) {
		c->ended = true;
		return;
	}
	c->ended = false;
	if (c != &s->ch[CH_RELAY]) {
		/* SIGCHLD can be read before the agent's last messages: a
		 * BOUND it sent just before it ended would be lost, and its
		 * successor would try to bind a port the relay's copy of the
		 * listener still holds.  Its answers describe listeners that
		 * outlive it, so they are taken first (its HELLO too).  (A
		 * dead relay's are not: its successor is sent everything
		 * anyway, and a relay that got its configuration was heard
		 * saying HELLO.)  The pid is reaped: nothing may signal it
		 * any more. */
		c->pid = 0;
		on_channel(s, id);
	}
	if (!s->ready && !c->hello) {
		failed_unserved(s, c, pid, st);
	} else {
		nerr("%s (pid %d) %s", c->name, (int)pid,
		     status_text(st, how, sizeof(how)));
		c->reported = true;
	}
	restart_child_died(s, id);
	if (c == &s->ch[CH_RELAY])
		live_stats_abort(s);
}

/**
 * judge_deferred() - a child ended by SIGTERM or SIGINT and nsplice did
 *		      not stop since: it was signalled alone, restart it
 * @s:		supervisor state
 */
static void judge_deferred(struct supervisor *s)
{
	int i;

	for (i = 0; i < CH_COUNT && !s->stopping; i++)
		if (s->ch[i].pid > 0 && s->ch[i].ended)
			reaped_child(s, &s->ch[i], s->ch[i].status);
}

/**
 * report_child_ends() - log how every child ended, the cause first
 * @s:		supervisor state, all children reaped
 *
 * When one child dies its siblings lose their channels and end too, and a
 * killed process can take longer to become a zombie than a sibling takes
 * to notice and exit, so reaping order proves nothing.  The most violent
 * end (a signal, then a non-zero status) is the cause and is logged as the
 * error; the others follow as consequences.  An end already logged when
 * it was reaped (the child that gave up after its restarts, one that
 * ended before nsplice served) is the cause and is not repeated; an end
 * by SIGTERM or SIGINT while stopping is part of the stop.
 */
static void report_child_ends(struct supervisor *s)
{
	int i, sev, worst = -1;
	char how[64];

	for (i = 0; i < CH_COUNT; i++)
		if (s->ch[i].ended && s->ch[i].reported)
			worst = CH_COUNT;	/* the cause was logged */
	for (i = 0; i < CH_COUNT && worst < CH_COUNT; i++)
		if (s->ch[i].ended && (worst < 0 || severity(s->ch[i].status) >
				       severity(s->ch[worst].status)))
			worst = i;
	for (i = 0; i < CH_COUNT; i++) {
		const struct sup_child *c = &s->ch[i];

		if (!c->ended || c->reported)
			continue;
		status_text(c->status, how, sizeof(how));
		sev = stop_signal(c->status) ? 0 : severity(c->status);
		if (s->child_failed && i == worst)
			nerr("%s (pid %d) %s", c->name, (int)c->pid, how);
		else if (sev)
			nwarn("%s (pid %d) %s while stopping", c->name,
			      (int)c->pid, how);
		else
			ndebug("%s (pid %d) %s", c->name, (int)c->pid, how);
	}
}

/**
 * reaped_spawner() - the spawner ended: no child can be started any more
 * @s:		supervisor state
 * @st:		status from waitpid()
 */
static void reaped_spawner(struct supervisor *s, int st)
{
	char how[64];

	s->spawner_pid = 0;
	if (s->spawner_fd >= 0)
		close(s->spawner_fd);
	s->spawner_fd = -1;
	status_text(st, how, sizeof(how));
	if (s->stopping && (stop_signal(st) || !severity(st))) {
		ndebug("spawner %s", how);	/* signalled with the group */
		return;
	}
	/* The cause is logged here; the relay and agents then end for
	 * want of their parent's channels, so report_child_ends() must not
	 * name one of them (an "agent host exited with status 0") as the
	 * error: child_failed stays false. */
	nerr("spawner %s: stopping", how);
	sup_stop(s, EXIT_FAILURE, NULL);
}

/**
 * stop_spawner() - end and reap the spawner before the supervisor exits
 * @s:		supervisor state
 *
 * The spawner ends by itself once its channel closes (spawner.c), but
 * after the supervisor has gone: an orphan left for init (or a container's
 * PID 1, or podman's conmon) to reap, so nsplice's exit did not mean that
 * all its processes were gone - on the development machine every stopped
 * nsplice left a "[nsplice] <defunct>" under PID 1 for 5-10 s.  SIGKILL
 * after closing the channel makes the wait bounded: the spawner holds
 * nothing that needs a clean exit, and a wait on it cannot hang.
 */
static void stop_spawner(struct supervisor *s)
{
	int st;

	if (s->spawner_fd >= 0)
		close(s->spawner_fd);
	s->spawner_fd = -1;
	if (s->spawner_pid <= 0)
		return;
	kill(s->spawner_pid, SIGKILL);
	while (waitpid(s->spawner_pid, &st, 0) < 0 && errno == EINTR)
		;
	s->spawner_pid = 0;
}

/**
 * reap() - collect every child that has ended
 * @s:		supervisor state
 */
static void reap(struct supervisor *s)
{
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == s->cmd_pid) {
			reaped_command(s, st);
			continue;
		}
		if (pid == s->spawner_pid) {
			reaped_spawner(s, st);
			continue;
		}
		if (restart_reap(s, pid, st))
			continue;
		for (i = 0; i < CH_COUNT; i++)
			if (s->ch[i].pid == pid && !s->ch[i].ended)
				reaped_child(s, &s->ch[i], st);
	}
}

/**
 * on_signal() - read the signalfd and act
 * @s:		supervisor state
 */
static void on_signal(struct supervisor *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(s);
			break;
		case SIGTERM:
		case SIGINT:
			sup_stop(s, EXIT_SUCCESS,
				 si.ssi_signo == SIGTERM ? "SIGTERM: stopping"
							 : "SIGINT: stopping");
			break;
		case SIGHUP:
			if (!s->stopping)
				live_reload(s);
			break;
		}
	}
}

/**
 * check_silent_children() - a child closed its channel but did not exit
 * @s:		supervisor state
 *
 * It gets STOP_GRACE_SEC to exit (and be reported with its cause); a child
 * that stays behind a closed channel is useless, and suspect: it is
 * killed, and restarted like any child that dies.
 */
static void check_silent_children(struct supervisor *s)
{
	int i;

	for (i = 0; i < CH_COUNT && !s->stopping; i++) {
		struct sup_child *c = &s->ch[i];

		if (c->pid > 0 && !c->ended && c->eof_at &&
		    now_sec() > c->eof_at + STOP_GRACE_SEC) {
			nerr("%s (pid %d) closed its channel but did not exit: "
			     "killing it", c->name, (int)c->pid);
			kill(c->pid, SIGKILL);
			c->eof_at = 0;
		}
	}
}

/**
 * copy_logs() - copy children's log lines to stderr, defanged and bounded
 * @s:		supervisor state
 * @final:	the children are gone: read what is left even if paused
 *
 * A child is hostile: the bytes are made safe and kept within the log
 * budget by log_sink_child(), and a flood is read at most LOG_COPY_READS
 * times a round and not at all while log_sink_paused() (ipc/log.c has
 * why), so it cannot hold the loop.
 */
static void copy_logs(struct supervisor *s, bool final)
{
	static char buf[LOG_COPY_BUF];
	ssize_t n;
	int i;

	for (i = 0; i < LOG_COPY_READS && (final || !log_sink_paused()); i++) {
		n = read(s->log_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		log_sink_child(buf, (size_t)n);
	}
	log_sink_report(false);
}

/**
 * on_timer() - periodic checks: namespace still there, deadline passed
 * @s:		supervisor state
 */
static void on_timer(struct supervisor *s)
{
	uint64_t ticks;
	char why[sizeof(s->cfg->netns_buf) + 64];

	if (read(s->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	check_silent_children(s);
	judge_deferred(s);
	restart_tick(s);
	live_tick(s);
	fwdtab_retry(s);
	fwdtab_auto_log_tick(s);
	log_sink_report(false);	/* drops while the pipe was left unread */
	if (!s->stopping && netns_gone(s)) {
		snprintf(why, sizeof(why), "network namespace %s was removed: "
			 "stopping", s->cfg->netns_path);
		nnotice("%s", why);	/* why nsplice ends on its own */
		sup_stop(s, EXIT_SUCCESS, NULL);
	}
	if (!s->stopping || now_sec() <= s->stop_deadline)
		return;
	restart_kill_all(s);
	if (s->cmd_pid > 0)
		kill(s->cmd_pid, SIGKILL);
}

/**
 * all_gone() - has every child and COMMAND been reaped
 * @s:		supervisor state
 *
 * Return: true if the supervisor may exit
 */
static bool all_gone(const struct supervisor *s)
{
	return restart_all_gone(s) && s->cmd_pid <= 0;
}

/**
 * fill_pollfds() - the supervisor's poll set for one round
 * @s:		supervisor state
 * @p:		output, P_COUNT + CTL_CLIENTS_MAX + 1 + ENGINE_POLLFDS slots
 * @nctl:	set to the control socket's slots after P_COUNT
 * @neng:	set to the engine's slots after those
 */
static void fill_pollfds(struct supervisor *s, struct pollfd *p,
			 unsigned *nctl, unsigned *neng)
{
	int i;

	for (i = 0; i < CH_COUNT; i++)
		p[P_CHAN0 + i] = (struct pollfd){ s->ch[i].chan.fd, POLLIN, 0 };
	for (i = 0; i < DRAIN_MAX; i++)
		p[P_DRAIN0 + i] = (struct pollfd){
			s->drain[i].pid > 0 ? s->drain[i].chan.fd : -1,
			POLLIN, 0 };
	p[P_SIG] = (struct pollfd){ s->sig_fd, POLLIN, 0 };
	p[P_LOG] = (struct pollfd){ log_sink_paused() ? -1 : s->log_fd,
				    POLLIN, 0 };
	p[P_TIMER] = (struct pollfd){ s->timer_fd, POLLIN, 0 };
	p[P_TARGET] = (struct pollfd){
		s->cfg->target == TARGET_PID && !s->stopping ?
		s->target_pidfd : -1, POLLIN, 0 };
	*nctl = s->ctl && !s->stopping ?
		control_pollfds(s->ctl, p + P_COUNT, CTL_CLIENTS_MAX + 1) : 0;
	*neng = s->stopping ? 0 : engine_pollfds(s->eng, p + P_COUNT + *nctl,
						 ENGINE_POLLFDS);
}

/**
 * loop() - the supervisor's poll loop, until everything has ended
 * @s:		supervisor state
 */
static void loop(struct supervisor *s)
{
	struct pollfd p[P_COUNT + CTL_CLIENTS_MAX + 1 + ENGINE_POLLFDS];
	unsigned nctl, neng;
	int i;

	while (!(s->stopping && all_gone(s))) {
		fill_pollfds(s, p, &nctl, &neng);
		if (poll(p, P_COUNT + nctl + neng, -1) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (p[P_SIG].revents)
			on_signal(s);
		if (p[P_LOG].revents)
			copy_logs(s, false);
		for (i = 0; i < CH_COUNT; i++)
			if (p[P_CHAN0 + i].revents)
				on_channel(s, (enum sup_child_id)i);
		/* a slot reaped or evicted meanwhile reads nothing */
		for (i = 0; i < DRAIN_MAX; i++)
			if (p[P_DRAIN0 + i].revents)
				restart_drain_read(s, &s->drain[i],
						   DRAIN_MSGS_MAX);
		if (p[P_TIMER].revents)
			on_timer(s);
		if (p[P_TARGET].revents && !s->stopping) {
			/* Why nsplice ends on its own: seen by default */
			nnotice("target process exited: stopping");
			sup_stop(s, EXIT_SUCCESS, NULL);
		}
		if (nctl && s->ctl)
			control_events(s->ctl, p + P_COUNT, nctl);
		if (neng)
			engine_events(s, s->eng, p + P_COUNT + nctl, neng);
	}
	copy_logs(s, true);
}

/**
 * setup_signals() - block the signals handled through the signalfd
 * @s:		supervisor state
 *
 * Return: 0 or -1
 */
static int setup_signals(struct supervisor *s)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return s->sig_fd < 0 ? -1 : 0;
}

/**
 * setup_timer() - periodic timer for namespace, deadline and watchdog checks
 * @s:		supervisor state; the sd_notify variables are read already
 *
 * A watchdog whose half period is shorter than TIMER_PERIOD_MS makes the
 * timer tick that often, so no ping is ever more than a tick late.
 *
 * Return: 0 or -1
 */
static int setup_timer(struct supervisor *s)
{
	long ms = TIMER_PERIOD_MS, wd_ms = notify_watchdog_ping_ms();
	struct itimerspec its;

	if (wd_ms && wd_ms < ms)
		ms = wd_ms;
	its.it_interval.tv_sec = its.it_value.tv_sec = 0;
	its.it_interval.tv_nsec = its.it_value.tv_nsec = ms * 1000000L;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		return -1;
	return timerfd_settime(s->timer_fd, 0, &its, NULL);
}

/* PIDFILE_READ_MAX - bytes of an existing pid file looked at */
#define PIDFILE_READ_MAX	32

/**
 * pid_text() - does a buffer hold a pid file's text, "DIGITS" and an
 *		optional newline
 * @b:		text
 * @n:		its length
 *
 * Return: true for a pid file's text, false for anything else (empty
 * included)
 */
static bool pid_text(const char *b, size_t n)
{
	size_t i;

	if (n && b[n - 1] == '\n')
		n--;
	if (!n || n > 10)
		return false;
	for (i = 0; i < n; i++)
		if (b[i] < '0' || b[i] > '9')
			return false;
	return true;
}

/* PIDFILE_GONE - lock_pid_file(): the file lost its name meanwhile */
#define PIDFILE_GONE		(-2)

/* PIDFILE_TRIES - times write_pid_file() opens a file that keeps losing
 * its name before it gives up */
#define PIDFILE_TRIES		5

/**
 * lock_pid_file() - open a pid file and take its lock
 * @path:	file name
 * @where:	where it was given, for messages (config_where())
 * @err:	error buffer
 * @errlen:	its size
 *
 * See write_pid_file().  The lock is checked to be on the file the path
 * still names: an nsplice that ends unlinks its file and only then lets
 * its lock go, so a start that opened the file just before would lock a
 * file without a name, run without a pid file, and let a third nsplice
 * create a new one beside it (a review reproduced it with a delayed
 * flock()).
 *
 * Return: the open, locked descriptor; PIDFILE_GONE if the file lost its
 * name (try again); -1 with @err set
 */
static int lock_pid_file(const char *path, const char *where, char *err,
			 size_t errlen)
{
	char buf[PIDFILE_READ_MAX + 1];
	struct stat st, now;
	ssize_t got;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		  O_NONBLOCK | O_NOCTTY, PIDFILE_MODE);
	if (fd < 0)
		return errfmt(err, errlen, "%s \"%s\": %s%s", where, path,
			      strerror(errno), errno == ELOOP ?
			      " (a symbolic link, which is not followed): "
			      "expected a pid file's own path" : "");
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return errfmt(err, errlen, "%s \"%s\": not a regular file: "
			      "expected a pid file's path", where, path);
	}
	/* Another user's file: whoever owns it may write another pid in it
	 * for a later `kill $(cat FILE)` (or it is another daemon's) */
	if (st.st_uid != geteuid()) {
		close(fd);
		return errfmt(err, errlen, "%s \"%s\": the file exists and "
			      "belongs to uid %u, not to nsplice's user (uid "
			      "%u): expected a pid file only nsplice writes",
			      where, path, (unsigned)st.st_uid,
			      (unsigned)geteuid());
	}
	got = st.st_size ? read(fd, buf, sizeof(buf)) : 0;
	if (got < 0 || (got && (st.st_size > PIDFILE_READ_MAX ||
				!pid_text(buf, (size_t)got)))) {
		close(fd);
		return errfmt(err, errlen, "%s \"%s\": the file exists and does "
			      "not hold a pid: expected a pid file's path (it "
			      "would be overwritten, and removed at exit)",
			      where, path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(fd);
		if (e != EWOULDBLOCK)
			return errfmt(err, errlen, "%s \"%s\": cannot lock it: "
				      "%s", where, path, strerror(e));
		buf[got > 0 ? (size_t)got - (buf[got - 1] == '\n') : 0] = '\0';
		return errfmt(err, errlen, "%s \"%s\": in use by a running "
			      "nsplice (pid %s): expected a pid file no other "
			      "nsplice holds", where, path, got > 0 ? buf : "?");
	}
	if (lstat(path, &now) || now.st_dev != st.st_dev ||
	    now.st_ino != st.st_ino) {
		close(fd);
		return PIDFILE_GONE;
	}
	return fd;
}

/**
 * write_pid_file() - write the supervisor's pid for service managers
 * @path:	file name
 * @where:	where it was given, for messages (config_where())
 * @err:	error buffer
 * @errlen:	its size
 *
 * A file that is already there is replaced only if it is empty or a pid
 * file (a stale one of an earlier run): --pid-file naming any other file,
 * a typo or a config file's line, would otherwise have it truncated, and
 * deleted at exit; so is only one that belongs to nsplice's user, and it
 * is made PIDFILE_MODE.  Symlinks are not followed, and the directories
 * on the way must be ones only nsplice's user or root may change (as for
 * the control socket, dir_check()): through a directory another user
 * could rename, root wrote its pid into, and at exit removed, a file of
 * that user's choosing.  The file stays open and
 * locked (flock(), which ends with the process however it ends) while
 * nsplice runs: a second nsplice given the same path is refused rather
 * than overwrite the running one's pid, which a service manager or a
 * `kill $(cat FILE)` would then miss.  A pid is not proof of life (pids
 * are reused), a lock is.
 *
 * Return: the open, locked descriptor, or -1 with @err set
 */
static int write_pid_file(const char *path, const char *where, char *err,
			  size_t errlen)
{
	char buf[PIDFILE_READ_MAX + 1];
	int fd, n, tries = 0;

	if (dir_check(where, path, err, errlen))
		return -1;
	while ((fd = lock_pid_file(path, where, err, errlen)) == PIDFILE_GONE)
		if (++tries == PIDFILE_TRIES)
			return errfmt(err, errlen, "%s \"%s\": replaced each "
				      "time it was locked: expected a pid file "
				      "no other program replaces", where, path);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	/* A stale file of ours may have been left writable by others */
	if (fchmod(fd, PIDFILE_MODE) || ftruncate(fd, 0) ||
	    pwrite(fd, buf, (size_t)n, 0) != n) {
		errfmt(err, errlen, "%s \"%s\": %s", where, path,
		       strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * remove_pid_file() - remove the pid file at exit, if it is still ours
 * @path:	file name
 * @fd:		its locked descriptor (write_pid_file()), closed here; -1
 *		if this run never wrote it
 *
 * The path may name another file by now (replaced by hand); only one that
 * still holds this run's pid goes, and the lock is let go after that, so
 * a run starting meanwhile either finds the file locked or creates a new
 * one.
 */
static void remove_pid_file(const char *path, int fd)
{
	char buf[PIDFILE_READ_MAX + 1], want[PIDFILE_READ_MAX];
	ssize_t got;
	int rfd, n;

	if (fd < 0)
		return;
	rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		   O_NOCTTY);
	if (rfd >= 0) {
		got = read(rfd, buf, sizeof(buf));
		close(rfd);
		n = snprintf(want, sizeof(want), "%d\n", (int)getpid());
		if (got == n && !memcmp(buf, want, (size_t)n))
			unlink(path);
	}
	close(fd);
}

/**
 * check_nofile() - is the descriptor limit enough to run at all
 * @s:		supervisor state: @nofile is set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Children park descriptors above SECCOMP_EXE_FD before exec, and the
 * relay needs its reserve (channels, pools, listeners, pipes) before the
 * first flow: below NOFILE_MIN children would fail one after another with
 * nothing but an exit status to show for it.  The soft limit is raised to
 * the hard one, as every child does.
 *
 * Return: 0, or -1 with @err set
 */
static int check_nofile(struct supervisor *s, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return errfmt(err, errlen, "getrlimit: %s", strerror(errno));
	if (rl.rlim_max < NOFILE_MIN)
		return errfmt(err, errlen, "RLIMIT_NOFILE hard limit %llu is "
			      "too low: nsplice needs at least %u descriptors "
			      "(ulimit -Hn, LimitNOFILE=)",
			      (unsigned long long)rl.rlim_max, NOFILE_MIN);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	s->nofile = rl.rlim_max == RLIM_INFINITY ? ULONG_MAX
						  : (unsigned long)rl.rlim_max;
	return 0;
}

/**
 * start_spawner() - fork the spawner and hand it the binary
 * @s:		supervisor state, COMMAND forked, log pipe created
 * @err:	error buffer
 * @errlen:	its size
 *
 * The supervisor keeps no way to exec: its copy of the binary is closed.
 *
 * Return: 0, or EXIT_FAILURE with @err set
 */
static int start_spawner(struct supervisor *s, char *err, size_t errlen)
{
	s->spawner_pid = spawner_start(s->exe_fd, s->log_wfd, s->cfg->sandbox,
				       &s->spawner_fd);
	close(s->exe_fd);
	s->exe_fd = -1;
	if (s->spawner_pid < 0) {
		s->spawner_pid = 0;
		errfmt(err, errlen, "cannot start the spawner: %s",
		       strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}

/**
 * runas_check() - can the relay change to its user in our user namespace?
 * @s:		supervisor state; relay_keeps_uid set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Real root maps every id.  uid 0 of a user namespace (`unshare -r`,
 * podman's rootless helper without subordinate ids) may map only itself,
 * and then setresuid() to nobody fails in the relay, which ended nsplice
 * with "cannot change to uid 65534".  The default user unmapped, the relay
 * keeps uid 0 of that namespace - outside it, the unprivileged uid that
 * owns it, as when nsplice runs unprivileged - and every other stage of
 * its sandbox (its own user namespace, no capabilities, seccomp,
 * Landlock) is the same.  A user named with --runas must be mapped.  A
 * map that cannot be read changes nothing: the relay then reports what
 * it could not do.
 *
 * Return: 0, or -1 for an unmapped --runas user
 */
static int runas_check(struct supervisor *s, char *err, size_t errlen)
{
	static struct idmap uids, gids;

	if (geteuid() != 0 || !s->cfg->runas_name ||
	    idmap_read("uid_map", &uids) || idmap_read("gid_map", &gids) ||
	    (idmap_has(&uids, (uint32_t)s->cfg->runas_uid) &&
	     idmap_has(&gids, (uint32_t)s->cfg->runas_gid)))
		return 0;
	if (s->cfg->runas_given)
		return errfmt(err, errlen, "--runas %s: uid %u or gid %u is "
			      "not mapped in nsplice's user namespace "
			      "(/proc/self/uid_map, gid_map): name a user it "
			      "maps, or leave --runas out",
			      s->cfg->runas_name, (unsigned)s->cfg->runas_uid,
			      (unsigned)s->cfg->runas_gid);
	s->relay_keeps_uid = true;
	ninfo("the relay keeps uid 0 of nsplice's user namespace, which does "
	      "not map user %s (uid %u): outside it, that is the uid that "
	      "owns the namespace; the rest of its sandbox is unchanged",
	      s->cfg->runas_name, (unsigned)s->cfg->runas_uid);
	return 0;
}

/**
 * prepare() - everything before the children start
 * @s:		supervisor state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, EXIT_USAGE for a bad target, or EXIT_FAILURE
 */
static int prepare(struct supervisor *s, char *err, size_t errlen)
{
	char where[CONFIG_WHERE_MAX];
	int logp[2];

	if (geteuid() == 0 && !s->cfg->runas_name) {
		errfmt(err, errlen, "no user to run the relay as: neither "
		       RUNAS_DEFAULT " nor " RUNAS_FALLBACK " exists; name "
		       "one with --runas USER");
		return EXIT_FAILURE;
	}
	if (geteuid() != 0 && s->cfg->runas_given)
		nwarn("--runas %s ignored: nsplice is not root, the relay keeps "
		      "your uid", s->cfg->runas_name);
	if (runas_check(s, err, errlen))
		return EXIT_FAILURE;
	if (check_nofile(s, err, errlen))
		return EXIT_FAILURE;
	s->exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (s->exe_fd < 0) {
		errfmt(err, errlen, "cannot open /proc/self/exe: %s",
		       strerror(errno));
		return EXIT_FAILURE;
	}
	if (setup_signals(s) || setup_timer(s)) {
		errfmt(err, errlen, "signals: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if (s->cfg->target == TARGET_COMMAND) {
		if (netns_command_start(s, err, errlen))
			return EXIT_FAILURE;
	} else if (netns_open(s, err, errlen)) {
		return EXIT_USAGE;
	}
	/* --netns /proc/self/ns/net, --pid $$: one namespace on both sides */
	s->one_ns = s->netns_fd >= 0 && netns_is_own(s->netns_fd);
	if (s->one_ns && config_check_loops(s->cfg, true, err, errlen))
		return EXIT_USAGE;
	if (s->cfg->pid_file) {
		s->pid_fd = write_pid_file(s->cfg->pid_file,
					   config_where(s->cfg, WHERE_PID_FILE,
							where, sizeof(where)),
					   err, errlen);
		if (s->pid_fd < 0)
			return EXIT_FAILURE;
	}
	if (pipe2(logp, O_CLOEXEC)) {
		errfmt(err, errlen, "pipe: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	s->log_fd = logp[0];
	s->log_wfd = logp[1];
	fcntl(s->log_fd, F_SETFL, O_NONBLOCK);
	return start_spawner(s, err, errlen);
}

/**
 * early() - what must happen before anything opens a descriptor or forks
 * @s:		supervisor state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Socket activation's descriptors sit at 3 and up, where nsplice puts its
 * own; NOTIFY_SOCKET and LISTEN_* must not reach COMMAND; the sockets for
 * systemd, syslog and the control socket must exist before the seccomp
 * filter forbids socket(AF_UNIX).
 *
 * Return: 0, or EXIT_FAILURE with @err set
 */
static int early(struct supervisor *s, char *err, size_t errlen)
{
	int fd;

	if (activation_collect(err, errlen) || notify_init(err, errlen))
		return EXIT_FAILURE;
	if (activation_count())
		ninfo("socket activation: %u inherited listener%s",
		      activation_count(), activation_count() == 1 ? "" : "s");
	log_set_mode(log_mode_detect(s->cfg->use_syslog));
	if (s->cfg->use_syslog && log_syslog_open(err, errlen))
		return EXIT_FAILURE;
	sup_auto_explain(s->cfg);
	if (fwdtab_init(s)) {
		errfmt(err, errlen, "out of memory");
		return EXIT_FAILURE;
	}
	if (!s->cfg->control_path)
		return 0;
	fd = control_open(s->cfg->control_path, err, errlen);
	if (fd < 0 || live_control(s, fd)) {
		if (fd >= 0)
			close(fd);
		return EXIT_FAILURE;
	}
	return 0;
}

/**
 * supervisor_main() - run nsplice for a validated configuration
 * @cfg:	configuration
 * @eng:	a container engine's contract (engine.h), or NULL
 *
 * Return: exit status
 */
int supervisor_main(const struct nsp_config *cfg, struct engine *eng)
{
	char err[CONFIG_ERR_MAX];
	struct supervisor s;
	int ret, rc, i;

	memset(&s, 0, sizeof(s));
	s.cfg = s.cfg_initial = cfg;
	s.exe_fd = s.netns_fd = s.userns_fd = s.target_pidfd = -1;
	s.spawner_fd = s.pid_fd = s.cmd_go_fd = s.cmd_sync_fd = -1;
	s.sig_fd = s.timer_fd = s.log_fd = s.log_wfd = -1;
	for (i = 0; i < DRAIN_MAX; i++)
		s.drain[i].chan.fd = -1;
	s.drain_pending.chan.fd = -1;
	s.eng = eng;
	log_init("supervisor", cfg->log_level);
	log_set_no_block(true);
	proctitle_set("nsplice: supervisor");

	ret = early(&s, err, sizeof(err));
	if (!ret)
		ret = prepare(&s, err, sizeof(err));
	if (!ret && sandbox_supervisor_enter(cfg->sandbox, err, sizeof(err)))
		ret = EXIT_FAILURE;
	/* Too many listeners for the descriptor limit is the forwards'
	 * fault as much as the limit's: the usage status, as for a port
	 * that cannot be bound. */
	if (!ret && (rc = fwdtab_apply(&s, err, sizeof(err))))
		ret = rc == FWDTAB_OVER ? EXIT_USAGE : EXIT_FAILURE;
	if (ret) {
		log_start_error(err);
		if (eng)
			engine_fail(eng, "%s", err);
		if (s.cmd_pid > 0)
			kill(s.cmd_pid, SIGKILL);
		stop_spawner(&s);
		live_fini(&s);
		fwdtab_fini(&s);
		if (cfg->pid_file)
			remove_pid_file(cfg->pid_file, s.pid_fd);
		return engine_finish(eng, ret);
	}
	live_init(&s);
	if (restart_start_all(&s)) {
		nerr("cannot start children: %s", strerror(errno));
		sup_stop(&s, EXIT_FAILURE, NULL);
	}
	loop(&s);
	stop_spawner(&s);
	log_sink_flush();
	log_sink_report(true);
	report_child_ends(&s);
	live_fini(&s);
	fwdtab_fini(&s);
	if (cfg->pid_file)
		remove_pid_file(cfg->pid_file, s.pid_fd);
	return engine_finish(eng, s.exit_code);
}
