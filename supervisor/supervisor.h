/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervisor.h - the supervisor's state, shared by its source files
 *
 * DOC: Theory of Operation
 *
 * See supervisor.c for the role.  The state is one struct supervisor, owned
 * by supervisor_main(); spawn.c starts children (through the spawner,
 * spawner.c, the one process that may exec), netns.c finds or creates
 * the target namespace, startup.c speaks the start-up protocol with the
 * children over their channels.
 */
#ifndef NSPLICE_SUPERVISOR_H
#define NSPLICE_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ipc/ipc.h"
#include "supervisor/config/config.h"
#include "supervisor/control.h"

struct engine;

/**
 * enum sup_child_id - the supervisor's children, index into sup->ch[]
 * @CH_AGENT_HOST:	agent that stays in the supervisor's netns
 * @CH_AGENT_TARGET:	agent that enters the target netns
 * @CH_RELAY:		relay
 */
enum sup_child_id {
	CH_AGENT_HOST = SIDE_HOST,
	CH_AGENT_TARGET = SIDE_TARGET,
	CH_RELAY,
	CH_COUNT
};

/* RESTART_MAX, RESTART_WINDOW_SEC - give up after this many restarts of
 * one child within this many seconds */
#define RESTART_MAX		5
#define RESTART_WINDOW_SEC	60

/* DRAIN_MAX - replaced relays kept alive to finish their flows */
#define DRAIN_MAX		4

/**
 * struct sup_child - one child process and its channel
 * @name:	"agent host", "agent target", "relay"
 * @pid:	pid, 0 while not running
 * @chan:	channel to it
 * @hello:	HELLO received
 * @ready:	relay: RELAY_READY for its first batch received
 * @ended:	reaped (stopping), @status is valid
 * @reported:	its end was logged when it was reaped: not again at exit
 * @status:	status from waitpid()
 * @eof_at:	CLOCK_MONOTONIC second its channel closed, 0 if open
 * @restarts:	restarts so far
 * @restart_t:	CLOCK_MONOTONIC seconds of the last RESTART_MAX restarts
 * @restart_at:	CLOCK_MONOTONIC milliseconds when the next start is due,
 *		0 if none is scheduled
 * @bind_out:	agents: BIND and UNBIND sent and not yet answered
 * @batches_out: relay: FORWARD batches sent and not yet READY
 * @pump_next:	agents: where the search for BIND/UNBIND work resumes
 * @peer_end:	relay: agent ends of its agent channels, held until the
 *		relay is READY and the agent can take them (RELAY_CHAN)
 */
struct sup_child {
	const char *name;
	pid_t pid;
	struct ipc_chan chan;
	bool hello;
	bool ready;
	bool ended;
	bool reported;
	int status;
	long eof_at;
	unsigned restarts;
	long restart_t[RESTART_MAX];
	long long restart_at;
	unsigned bind_out;
	unsigned batches_out;
	uint32_t pump_next;
	int peer_end[SIDE_COUNT];
};

/**
 * enum sup_fwd_state - where a forward is on its way to a listening socket
 * @FS_FREE:		slot unused
 * @FS_RELAY:		waiting for the relay to learn it (FORWARD batch)
 * @FS_BIND:		relay knows it; BIND not sent yet
 * @FS_BINDING:		BIND sent, BOUND not yet received
 * @FS_BOUND:		listening
 * @FS_FAILED:		the bind failed; not listening
 * @FS_UNBIND:		removed; UNBIND not sent yet
 * @FS_UNBINDING:	removed; UNBIND sent, waiting for UNBOUND before the
 *			id may be reused
 * @FS_COUNT:		number of states
 */
enum sup_fwd_state {
	FS_FREE = 0,
	FS_RELAY,
	FS_BIND,
	FS_BINDING,
	FS_BOUND,
	FS_FAILED,
	FS_UNBIND,
	FS_UNBINDING,
	FS_COUNT
};

/**
 * struct sup_fwd - one forward in the supervisor's table (index = id)
 * @e:		the forward; @e.m.id is the slot index
 * @spec:	copy of the SPEC text (@e.spec points here)
 * @state:	enum sup_fwd_state
 * @batch:	relay batch it was sent in (FS_RELAY)
 * @ctl_token:	the `ctl add` that made it (control.c gives each request
 *		a token of its own, never 0), else 0
 * @in_relay:	the current relay was sent its FORWARD
 * @bind_pending: BIND sent, BOUND not received (also while removing)
 * @agent_holds: the agent of its side holds its socket (lost when the
 *		agent is restarted; the relay's copy keeps the port bound)
 * @remove_relay: FORWARD_DEL still to be sent (relay not ready)
 * @fail_logged: a failed bind of it was logged; retries are quiet until
 *		one succeeds
 * @last_errno: errno of its last failed bind (0: none, or above 255)
 * @retry_gap:	seconds between bind retries, doubling up to
 *		BIND_RETRY_MAX_S, 0 if none is due
 * @retry_at:	clock second of the next bind retry (FS_FAILED)
 * @cnt:	counters from the current relay
 * @base:	counters from relays that are gone
 */
struct sup_fwd {
	struct fwd_entry e;
	char *spec;
	unsigned state;
	uint32_t batch;
	uint32_t ctl_token;
	bool in_relay;
	bool bind_pending;
	bool agent_holds;
	bool remove_relay;
	bool fail_logged;
	uint8_t last_errno;
	uint16_t retry_gap;
	uint64_t retry_at;
	struct msg_stats cnt;
	struct msg_stats base;
};

/**
 * struct sup_drain_fwd - what a replaced relay last reported of a forward
 * @last:	its counters, highest seen of each; @last.id is the forward's
 *		id, the key the entries are sorted by
 * @gone:	the forward's slot was freed since: its id may name another
 */
struct sup_drain_fwd {
	struct msg_stats last;
	bool gone;
};

/**
 * struct sup_drain - a replaced relay finishing its flows
 * @pid:	pid, 0 if the slot is free
 * @chan:	channel to it (closing it would stop it at once)
 * @seq:	STATS_REQ of the status report waiting for it, 0 if none
 * @flows:	flows open, from its last STATS_DONE
 * @fwd:	its forwards when it was replaced, by id, malloc'd (NULL if
 *		none, or out of memory: then nothing more of it is counted)
 * @nfwd:	entries of @fwd
 */
struct sup_drain {
	pid_t pid;
	struct ipc_chan chan;
	uint32_t seq;
	uint32_t flows;
	struct sup_drain_fwd *fwd;
	uint32_t nfwd;
};

struct control;


/**
 * enum sup_auto_event - what an auto port line says (sup_auto_logged())
 * @SUP_AUTO_GONE:	a port stopped listening: forward removed
 * @SUP_AUTO_NEW:	a port started listening: forwarding it
 * @SUP_AUTO_FAILED:	an address of a port could not be bound
 * @SUP_AUTO_EVENTS:	number of kinds
 */
enum sup_auto_event {
	SUP_AUTO_GONE = 0,
	SUP_AUTO_NEW,
	SUP_AUTO_FAILED,
	SUP_AUTO_EVENTS,
};

/* CTL_ADD_WAITS - `ctl add` answers that may wait for binds at once: one
 * per control client, so every add waits (live.c checks it) */
#define CTL_ADD_WAITS		CTL_CLIENTS_MAX

/* AUTO_SETS - port sets of auto forwards: listening side x TCP or UDP */
#define AUTO_SETS		(SIDE_COUNT * 2)

/**
 * sup_auto_set() - which set of auto ports a forward belongs to
 * @e:		forward
 *
 * Return: 0..AUTO_SETS - 1, from its listening side and protocol
 */
static inline unsigned sup_auto_set(const struct fwd_entry *e)
{
	return e->m.listen_side + (e->m.flags & FWD_F_UDP ? SIDE_COUNT : 0);
}

/**
 * struct supervisor - everything the supervisor holds
 * @cfg:	validated configuration, replaced by reloads and changes
 * @cfg_initial: the configuration from the command line (owned by main)
 * @cfg_owned:	@cfg when a reload or change replaced @cfg_initial, else
 *		NULL
 * @pid_fd:	the --pid-file, open and locked (flock()) while nsplice
 *		runs, so a second nsplice cannot take it over; or -1
 * @exe_fd:	nsplice's own binary, opened once, handed to the spawner
 *		and closed before the supervisor's filter (-1 from then on)
 * @spawner_pid: the spawner (spawner.c), which execs every child; 0 once
 *		reaped
 * @spawner_fd:	channel to the spawner, or -1
 * @netns_fd:	target network namespace
 * @userns_fd:	user namespace agent[target] joins first, or -1
 * @netns_st:	identity of --netns at start, to notice `ip netns del`
 * @target_pidfd: pidfd of the --pid target or of COMMAND, or -1
 * @cmd_pid:	COMMAND's pid, 0 if none or reaped
 * @cmd_go_fd:	pipe that lets COMMAND's child exec, until nsplice first
 *		serves; -1 after (or without COMMAND)
 * @cmd_sync_fd: pipe of that child's reports, for as long; -1 after
 * @sig_fd:	signalfd for SIGCHLD, SIGTERM, SIGINT, SIGHUP
 * @timer_fd:	periodic check of --netns, restarts and deadlines
 * @log_fd:	read end of the children's log pipe
 * @log_wfd:	write end, handed to each child as its descriptor 2
 * @ch:		children
 * @drain:	replaced relays still finishing flows
 * @ft:		forward table, FWD_ID_MAX slots, allocated at start
 * @ft_next:	where the search for a free slot starts (ids are reused as
 *		late as possible)
 * @nft:	slots in use
 * @nstate:	slots per enum sup_fwd_state and side
 * @batch_seq:	last relay batch number handed out
 * @relay_ports: bitmap of ports the current relay may connect to
 * @relay_pools: POOL_ALLOW_* families of each side's pool sockets that
 *		forwards sent to the current relay connect with
 * @pool_allow:	POOL_ALLOW_* families each agent was last told; never
 *		narrower than what the relay it serves was sent
 * @relay_replace: the relay must be replaced (new target ports)
 * @relay_new:	a replacement relay is starting; the old one is in
 *		@drain_pending until the new one is READY
 * @relay_keeps_uid: nsplice is uid 0 of a user namespace that does not map
 *		the relay's default user: the relay keeps uid 0 there
 *		(runas_check())
 * @one_ns:	the target network namespace is nsplice's own: both sides
 *		are one, and a forward to its own port is a loop
 *		(config_check_loops())
 * @drain_pending: the relay being replaced, if @relay_new
 * @listening:	ports listening on each side (PORTS reports): [0] TCP IPv4,
 *		[1] TCP IPv6, [2] UDP IPv4, [3] UDP IPv6
 * @listening_next: a complete report being collected (@scan_full), in the
 *		same layout; it replaces @listening at its last message
 * @scan_seen:	a complete scan of each side arrived
 * @scan_full:	the side's next report is complete: it goes to
 *		@listening_next (live_agent_conf())
 * @auto_failed: auto ports whose bind failure was logged, by
 *		sup_auto_set() and family ([0] IPv4, [1] IPv6), so each
 *		address is logged once; cleared when the port goes
 * @ctl:	control socket server, or NULL
 * @ctl_token_now: the `ctl add` being applied (fwd_add() marks its
 *		slots), 0 otherwise
 * @ctl_wait:	`ctl add` answers waiting for their listeners' binds
 *		(token 0: free), see live.c
 * @stats_seq:	last STATS_REQ sequence number
 * @stats_want:	a status report waits for STATS_DONE @stats_seq
 * @status_owed: a status report waits: for the relay (@stats_want) or a
 *		draining one (sup_drain.seq)
 * @stats_at_ms: when the relay last reported
 * @stats_wait_ms: when the relay last showed progress on @stats_want
 *		(the request, or one of its STATS records)
 * @replace_seq: the STATS_REQ a relay about to be replaced was sent for
 *		its last counters, 0 if none is outstanding
 * @replace_ask_ms: when it was sent
 * @replace_ready: its answer came (or never will): replace now
 * @relay_silent: the relay let a status report wait STATS_WAIT_MS: it
 *		is shown as "not answering" until it answers again
 * @wd_owed:	watchdog: a ping to the relay is unanswered, WATCHDOG=1
 *		goes out with its answer
 * @wd_missed:	watchdog: a deadline passed with @wd_owed (warned once)
 * @flows:	from the last STATS_DONE
 * @flow_limit:	from the last STATS_DONE
 * @waiting:	from the last STATS_DONE
 * @eng:	a container engine's contract (engine.h), or NULL
 * @ready:	every listener bound and the relay serving
 * @reloading:	RELOADING=1 sent, READY=1 due once the change is applied
 * @stopping:	shutdown in progress
 * @nofile:	hard RLIMIT_NOFILE at start, which every child raises its
 *		soft limit to: the descriptor budget (fwdtab.c)
 * @auto_skipped: auto ports last left out for the listener budget
 * @auto_log:	auto port lines of the current window (sup_auto_logged()):
 *		@auto_log.start_ms, lines named, and those counted instead
 *		per enum sup_auto_event
 * @retry_next:	clock second of the earliest bind retry due, 0 if none
 *		(fwdtab_retry())
 * @child_failed: a relay or agent failure, not yet logged as the error,
 *		is why nsplice stops (not set when the spawner dies: its
 *		end is logged as the cause at once)
 * @exit_code:	status to exit with
 * @stop_deadline: CLOCK_MONOTONIC second after which children are killed
 * @wd_next_ms:	when the next watchdog ping is due, 0 without a watchdog
 */
struct supervisor {
	const struct nsp_config *cfg;
	const struct nsp_config *cfg_initial;
	struct nsp_config *cfg_owned;
	int pid_fd;
	int exe_fd;
	pid_t spawner_pid;
	int spawner_fd;
	int netns_fd;
	int userns_fd;
	struct stat netns_st;
	int target_pidfd;
	pid_t cmd_pid;
	int cmd_go_fd;
	int cmd_sync_fd;
	int sig_fd;
	int timer_fd;
	int log_fd;
	int log_wfd;
	struct sup_child ch[CH_COUNT];
	struct sup_drain drain[DRAIN_MAX];
	struct sup_fwd *ft;
	uint32_t ft_next;
	uint32_t nft;
	uint32_t nstate[FS_COUNT][SIDE_COUNT];
	uint32_t batch_seq;
	uint8_t relay_ports[PORTSET_BYTES];
	uint32_t relay_pools[SIDE_COUNT];
	uint32_t pool_allow[SIDE_COUNT];
	bool relay_replace;
	bool relay_new;
	bool relay_keeps_uid;
	bool one_ns;
	struct sup_drain drain_pending;
	uint8_t listening[SIDE_COUNT][4][PORTSET_BYTES];
	uint8_t listening_next[SIDE_COUNT][4][PORTSET_BYTES];
	bool scan_seen[SIDE_COUNT];
	bool scan_full[SIDE_COUNT];
	uint8_t auto_failed[AUTO_SETS][2][PORTSET_BYTES];
	struct control *ctl;
	uint32_t ctl_token_now;
	uint32_t replace_seq;
	struct {
		uint32_t token;
		long long since_ms;
	} ctl_wait[CTL_ADD_WAITS];
	uint32_t stats_seq;
	bool stats_want;
	bool status_owed;
	bool replace_ready;
	long long stats_at_ms;
	long long stats_wait_ms;
	long long replace_ask_ms;
	bool relay_silent;
	bool wd_owed;
	bool wd_missed;
	uint32_t flows;
	uint32_t flow_limit;
	uint32_t waiting;
	struct engine *eng;
	bool ready;
	bool reloading;
	bool stopping;
	unsigned long nofile;
	unsigned auto_skipped;
	struct {
		long long start_ms;
		unsigned named;
		unsigned more[SUP_AUTO_EVENTS];
	} auto_log;
	uint64_t retry_next;
	bool child_failed;
	int exit_code;
	long stop_deadline;
	long long wd_next_ms;
};

int supervisor_main(const struct nsp_config *cfg, struct engine *eng);
void sup_stop(struct supervisor *s, int code, const char *why);

/* spawn.c */
pid_t spawn_role(const struct supervisor *s, enum sup_child_id id,
		 const int *fds, int nfds);

/* netns.c */
int netns_open(struct supervisor *s, char *err, size_t errlen);
bool netns_is_own(int fd);
/* SUP_SEND_WAIT_MS - how long a message to a child waits for room in its
 * channel, twice at most: a child that reads nothing that long while its
 * queue is full is stopped or compromised, and is killed */
#define SUP_SEND_WAIT_MS	1000

/* EXIT_CMD_NOT_FOUND, EXIT_CMD_CANNOT_RUN - COMMAND could not be executed
 * (no such file; any other reason), as env(1) and timeout(1) say it */
#define EXIT_CMD_NOT_FOUND	127
#define EXIT_CMD_CANNOT_RUN	126

int netns_command_start(struct supervisor *s, char *err, size_t errlen);
int netns_command_release(struct supervisor *s);
void netns_command_close(struct supervisor *s);
bool netns_gone(const struct supervisor *s);

/* startup.c */
void startup_on_msg(struct supervisor *s, enum sup_child_id id,
		    struct ipc_msg *m);
uint32_t read_proc_u32(const char *path, uint32_t fallback);
void sup_relay_limits(const struct supervisor *s,
		      struct msg_relay_limits *lim);
void sup_bind_failed(struct supervisor *s, const struct fwd_entry *e,
		     int error);
const char *sup_lower_first(const char *text, char *buf, size_t len);
void sup_bind_failed_auto(struct supervisor *s, const struct fwd_entry *e,
			  int error);
bool sup_side_scans(const struct supervisor *s, int side);
bool sup_side_scans_cfg(const struct nsp_config *cfg, int side);
void sup_auto_explain(const struct nsp_config *cfg);
int sup_chan_send(struct ipc_chan *c, pid_t pid, const char *who,
		  unsigned type, const void *payload, const int *fds,
		  unsigned nfds);
int sup_send(struct supervisor *s, enum sup_child_id id, unsigned type,
	     const void *payload, const int *fds, unsigned nfds);
void sup_violation(struct supervisor *s, enum sup_child_id id,
		   const struct ipc_msg *m, const char *why);

/* fwdtab.c */
int fwdtab_init(struct supervisor *s);
void fwdtab_fini(struct supervisor *s);
/* FWDTAB_OVER - fwdtab_apply(): more listening sockets than the budget */
#define FWDTAB_OVER	(-2)
int fwdtab_apply(struct supervisor *s, char *err, size_t errlen);
void fwdtab_pump(struct supervisor *s);
void fwdtab_relay_config(struct supervisor *s);
void fwdtab_relay_ready(struct supervisor *s, uint32_t count);
void fwdtab_relay_gone(struct supervisor *s);
void fwdtab_agent_gone(struct supervisor *s, enum sup_child_id id);
void fwdtab_retry(struct supervisor *s);
int fwdtab_ctl_result(const struct supervisor *s, uint32_t token,
		      char *buf, size_t len);
bool sup_auto_logged(struct supervisor *s, enum sup_auto_event ev);
void fwdtab_auto_log_tick(struct supervisor *s);
void fwdtab_bound(struct supervisor *s, enum sup_child_id id,
		  const struct msg_bound *b);
void fwdtab_unbound(struct supervisor *s, enum sup_child_id id, uint32_t fid);
void fwdtab_ports(struct supervisor *s, enum sup_child_id id,
		  const struct msg_ports *p);
void fwdtab_stats(struct supervisor *s, const struct msg_stats *st);
void fwdtab_drain_start(const struct supervisor *s, struct sup_drain *d);
void fwdtab_drain_stats(struct supervisor *s, struct sup_drain *d,
			const struct msg_stats *st);
uint32_t fwdtab_drain_open(const struct supervisor *s, uint32_t id);
void fwdtab_drain_end(struct sup_drain *d);
void fwdtab_pool_allow(struct supervisor *s, enum sup_child_id id);
void fwdtab_pool_denied(struct supervisor *s, enum sup_child_id id,
			const struct msg_pool_denied *d);
bool fwdtab_settled(const struct supervisor *s);
unsigned fwdtab_count(const struct supervisor *s, unsigned state, int side);
unsigned fwdtab_auto_ports(const struct supervisor *s,
			   const struct auto_rule *r);

/* udp.c */
void udp_target_send(struct supervisor *s, const struct msg_forward *m);
void udp_target_del(struct supervisor *s, const struct msg_forward *m);
void udp_targets_resend(struct supervisor *s, enum sup_child_id id);
bool udp_fwd_needs_relay_port(const struct msg_forward *m);

/* restart.c */
int restart_start_all(struct supervisor *s);
void restart_child_died(struct supervisor *s, enum sup_child_id id);
void restart_tick(struct supervisor *s);
void restart_relay_ready(struct supervisor *s);
void restart_replace_relay(struct supervisor *s);
void restart_agent_hello(struct supervisor *s, enum sup_child_id id);
void restart_agent_bad(struct supervisor *s, enum sup_child_id id,
		       uint32_t side);
bool restart_reap(struct supervisor *s, pid_t pid, int st);
/* DRAIN_MSGS_MAX - messages taken from a draining relay per poll round */
#define DRAIN_MSGS_MAX		256
int restart_drain_send(struct sup_drain *d, unsigned type,
		       const void *payload);
void restart_drain_read(struct supervisor *s, struct sup_drain *d,
			unsigned max);
void restart_stop_all(struct supervisor *s);
void restart_kill_all(struct supervisor *s);
bool restart_all_gone(const struct supervisor *s);

/* live.c */
void live_init(struct supervisor *s);
void live_reload(struct supervisor *s);
void live_stats_done(struct supervisor *s, const struct msg_stats_done *d);
void live_tick(struct supervisor *s);
void live_settled(struct supervisor *s);
void live_stats_abort(struct supervisor *s);
bool live_replace_counted(struct supervisor *s);
void live_stats_progress(struct supervisor *s);
void live_drain_msg(struct supervisor *s, struct sup_drain *d,
		    const struct ipc_msg *m);
void live_drain_gone(struct supervisor *s);
void live_agent_conf(struct supervisor *s, enum sup_child_id id);
void live_fini(struct supervisor *s);
int live_control(struct supervisor *s, int fd);
int live_retarget(struct supervisor *s, int af, const union inany *addr,
		  char *err, size_t errlen);

#endif /* NSPLICE_SUPERVISOR_H */
