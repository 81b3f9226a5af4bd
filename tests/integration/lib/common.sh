# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# common.sh - shared helpers of the nsplice integration tests.
#
# Source it first thing:  . "${NSPLICE_TESTLIB:?}/common.sh"
# It turns on `set -euo pipefail`, installs one EXIT trap that kills every
# process the test registered (by pid, TERM then KILL after 2 s, including
# their descendants and anything carrying this run's environment tag) and
# deletes every namespace the test created, so a failing test leaves
# nothing behind.  Nothing here sends traffic anywhere but loopback or
# namespaces the test made.
#
# Conventions: `ok`/`fail` print TAP-like "ok - ..."/"not ok - ..." lines and
# count; `finish` prints a summary and exits 1 if anything failed; `die`
# fails and exits at once.  Every wait is bounded (~50 ms steps).

set -euo pipefail

TESTLIB=${NSPLICE_TESTLIB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
NSTOOL="$TESTLIB/nstool.py"
PY=/usr/bin/python3
TEST_NAME=$(basename "${0%.sh}")
# Unique per run: tags the environment of everything we start (only of
# what we start: the test shell itself does not carry it).
RUN_TAG="nsptest-$$-$(date +%s%N)"
# How long any server or nsplice instance may live at most (seconds).
LIFETIME=${NSPLICE_TEST_LIFETIME:-240}
WAIT_TIMEOUT=${NSPLICE_TEST_WAIT:-15}

N_OK=0
N_FAIL=0
TMPDIR_TEST=$(mktemp -d "/tmp/nsplice-${TEST_NAME}.XXXXXX")
chmod 755 "$TMPDIR_TEST"

# ------------------------------------------------------------------ logging

# note MSG... - print a comment line.
note() { printf '# %s\n' "$*"; }

# ok MSG... - record and print a passed check.
ok() { N_OK=$((N_OK + 1)); printf 'ok - %s\n' "$*"; }

# fail MSG... - record and print a failed check; the test goes on.
fail() { N_FAIL=$((N_FAIL + 1)); printf 'not ok - %s\n' "$*"; }

# die MSG... - fail and stop the test now (cleanup still runs).
die() { fail "$*"; printf 'Bail out! %s\n' "$*"; exit 1; }

# indent - copy stdin to stdout with a "#   " prefix (for evidence).
indent() { sed 's/^/#   /'; }

# show_log FILE [LINES] - print the tail of a log as comments.
show_log() {
	local f=$1 n=${2:-30}
	if [[ -s $f ]]; then
		note "--- last $n lines of $f:"
		tail -n "$n" "$f" | indent
	else
		note "--- $f is empty"
	fi
}

# check DESC CMD... - run CMD; ok/fail DESC; output kept in CHECK_OUT and
# printed as comments on failure.  Returns CMD's status (never exits).
check() {
	local desc=$1 rc=0
	shift
	CHECK_OUT=$("$@" 2>&1) || rc=$?
	if ((rc == 0)); then
		ok "$desc"
	else
		fail "$desc (exit $rc)"
		printf '%s\n' "$CHECK_OUT" | indent
	fi
	return $rc
}

# finish - print the summary, exit 0 if every check passed, 1 otherwise.
finish() {
	note "$TEST_NAME: ok=$N_OK not_ok=$N_FAIL"
	if ((N_FAIL > 0 || N_OK == 0)); then
		exit 1
	fi
	exit 0
}

# need_root - fail the test (never skip) unless running as root.
need_root() {
	[[ $(id -u) == 0 ]] || die "$TEST_NAME needs root (uid is $(id -u))"
}

# need_nsplice - fail unless $NSPLICE names an executable file.
need_nsplice() {
	[[ -n ${NSPLICE:-} ]] || die "NSPLICE is not set"
	[[ -x $NSPLICE && -f $NSPLICE ]] || die "NSPLICE=$NSPLICE is not an executable file"
}

# --------------------------------------------------------------- processes

# proc_start PID - print the start time (clock ticks) of PID, or nothing.
proc_start() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	printf '%s\n' "${20}"
}

# proc_state PID - print the state letter of PID, or nothing if gone.
proc_state() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	printf '%s\n' "${rest%% *}"
}

# pid_alive PID - true if PID exists and is not a zombie.
pid_alive() {
	local s
	s=$(proc_state "$1")
	[[ -n $s && $s != Z && $s != X ]]
}

# still_running PID:START... - print, one per line, each PID that is alive
# and still the process started at START (proc_start): a pid reused by a
# newer process does not count.
still_running() {
	local e
	for e in "$@"; do
		[[ $(proc_start "${e%%:*}") == "${e#*:}" ]] && pid_alive "${e%%:*}" &&
			printf '%s\n' "${e%%:*}"
	done
	return 0
}

# proc_tree PID - print PID and all its descendants, one per line.
proc_tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1; seen[$1] = 1 }
		END {
			if (!(root in seen)) exit
			q[0] = root; n = 1
			for (i = 0; i < n; i++) {
				print q[i]
				c = split(kids[q[i]], a, " ")
				for (j = 1; j <= c; j++) q[n++] = a[j]
			}
		}'
}

# tagged_pids REGEX - pids whose environment has NSPLICE_TEST_TAG or
# NSPLICE_TEST_RUN whose value matches ^REGEX (ERE).
tagged_pids() {
	grep -l -z -E "^NSPLICE_TEST_(TAG|RUN)=$1" /proc/[0-9]*/environ 2>/dev/null |
		sed -e 's|^/proc/||' -e 's|/environ$||' |
		grep -v -x -e "$$" -e "$BASHPID" || true
}

# ------------------------------------------------------------ cleanup

CLEANUP_PIDS=()    # "pid:starttime"
CLEANUP_NETNS=()
CLEANUP_CMDS=()

# cleanup_pid PID - kill PID (and its descendants) at exit.
cleanup_pid() { CLEANUP_PIDS+=("$1:$(proc_start "$1")"); }

# cleanup_netns NAME - `ip netns del NAME` at exit.
cleanup_netns() { CLEANUP_NETNS+=("$1"); }

# cleanup_cmd CMD... - run CMD (one string, eval'd) at exit, last first.
cleanup_cmd() { CLEANUP_CMDS+=("$*"); }

# kill_pids PID... - TERM the given pids, wait up to 2 s, then KILL.
kill_pids() {
	local p i left
	(($# == 0)) && return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		left=0
		for p in "$@"; do pid_alive "$p" && left=1 && break
		done
		((left == 0)) && return 0
		sleep 0.05
	done
	kill -KILL "$@" 2>/dev/null || true
}

# run_cleanup - the EXIT trap: processes, then commands, then namespaces.
run_cleanup() {
	local rc=$? entry p s victims=() i
	set +e
	trap - EXIT INT TERM
	for entry in "${CLEANUP_PIDS[@]}"; do
		p=${entry%%:*}
		s=${entry#*:}
		[[ -n $s && $(proc_start "$p") == "$s" ]] || continue
		while read -r i; do victims+=("$i"); done < <(proc_tree "$p")
	done
	while read -r i; do victims+=("$i"); done < <(tagged_pids "$RUN_TAG")
	if ((${#victims[@]} > 0)); then
		kill_pids $(printf '%s\n' "${victims[@]}" | sort -un)
	fi
	for ((i = ${#CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_CMDS[i]}" >/dev/null 2>&1
	done
	for entry in "${CLEANUP_NETNS[@]}"; do
		ip netns del "$entry" >/dev/null 2>&1
	done
	[[ -n ${NSPLICE_TEST_KEEP:-} ]] && note "kept $TMPDIR_TEST" || rm -rf "$TMPDIR_TEST"
	exit "$rc"
}
trap run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bg LOG CMD... - run CMD in the background (stdin /dev/null, output
# to LOG), register it for cleanup, leave its pid in BG_PID.
start_bg() {
	local log=$1
	shift
	env "NSPLICE_TEST_RUN=$RUN_TAG" "$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	cleanup_pid "$BG_PID"
}

# start_udp_echo NETNS ADDR PORT [ARGS...] - udptool.py's echo server on
# ADDR:PORT in NETNS for the test's lifetime (ARGS: e.g. --log FILE);
# returns once it answers, dies if it does not within 10 s.
start_udp_echo() {
	local ns=$1 a=$2 p=$3
	shift 3
	start_bg "$TMPDIR_TEST/udpecho-$ns-$a-$p.out" ip netns exec "$ns" \
		timeout -k 2 "$LIFETIME" "$PY" "$TESTLIB/udptool.py" echo "$a" "$p" \
		--lifetime "$LIFETIME" "$@"
	ip netns exec "$ns" timeout 20 "$PY" "$TESTLIB/udptool.py" wait "$a" "$p" \
		--timeout 10 >/dev/null || die "UDP echo server [$a]:$p in $ns did not start"
}

# UDPTOOL - the UDP tests' echo server and checking clients
UDPTOOL=$TESTLIB/udptool.py

# udptool ARGS... - run udptool.py in the host netns, bounded by
# UDPTOOL_TIMEOUT seconds (default 60)
udptool() { timeout -k 2 "${UDPTOOL_TIMEOUT:-60}" "$PY" "$UDPTOOL" "$@"; }

# ctl_fwd CTL PORT tcp|udp ipv4|ipv6 FIELD... - the FIELDs of one forward
# in `nsplice ctl CTL status --json`, on one line (livetool.py
# status-fields: a UDP drop reason is a field too); nothing, and status 1,
# if there is no such forward or no answer
ctl_fwd() {
	local ctl=$1 out
	shift
	out=$(timeout 10 "$NSPLICE" ctl "$ctl" status --json 2>/dev/null |
		"$PY" "$TESTLIB/livetool.py" status-fields - "$@") &&
		printf '%s\n' "$out"
}

# start_udp_hold LOG [RUNNER...] -- ADDR PORT [ARGS...] - udptool.py's hold
# (bind ADDR:PORT with ARGS, never read) for the test's lifetime, started
# through RUNNER (e.g. ip netns exec NS, or setpriv to the test user);
# returns once it has bound, dies if it has not within 5 s.
start_udp_hold() {
	local log=$1 runner=() i
	shift
	while (($#)) && [[ $1 != -- ]]; do
		runner+=("$1")
		shift
	done
	shift
	start_bg "$log" "${runner[@]}" timeout -k 2 "$LIFETIME" "$PY" "$UDPTOOL" \
		hold "$@" --lifetime "$LIFETIME"
	for ((i = 0; i < 100; i++)); do
		grep -q bound "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	die "UDP socket on [$1]:$2 did not bind: $(cat "$log" 2>/dev/null)"
}

# nstool ARGS... - run nstool.py (bounded by timeout) in the host netns.
nstool() {
	timeout -k 2 "${NSTOOL_TIMEOUT:-150}" "$PY" "$NSTOOL" "$@"
}

# nstool_in NETNS ARGS... - run nstool.py inside NETNS (name or pid:PID).
nstool_in() {
	local ns=$1
	shift
	in_netns "$ns" timeout -k 2 "${NSTOOL_TIMEOUT:-150}" "$PY" "$NSTOOL" "$@"
}

# in_netns NETNS CMD... - run CMD in NETNS: a name under /run/netns, or
# pid:PID for the network namespace of a process.
in_netns() {
	local ns=$1
	shift
	if [[ $ns == pid:* ]]; then
		nsenter -t "${ns#pid:}" -n -- "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# start_ns_server NETNS LOG NSTOOL-ARGS... - start an nstool server in
# NETNS (empty for the host) in the background; BG_PID is set.
start_ns_server() {
	local ns=$1 log=$2
	shift 2
	if [[ -n $ns ]]; then
		start_bg "$log" ip netns exec "$ns" timeout -k 2 "$LIFETIME" \
			"$PY" "$NSTOOL" "$@" --lifetime "$LIFETIME"
	else
		start_bg "$log" timeout -k 2 "$LIFETIME" \
			"$PY" "$NSTOOL" "$@" --lifetime "$LIFETIME"
	fi
}

# -------------------------------------------------------------- namespaces

# make_netns NAME [X] - create netns NAME with lo up.  With X (1..254) also
# a veth pair: host side 10.200.X.1/24 + fd00:200:X::1/64, namespace side
# 10.200.X.2/24 + fd00:200:X::2/64 (IPv6 with nodad, usable at once).
make_netns() {
	local name=$1 x=${2:-} h n
	ip netns add "$name" || die "ip netns add $name failed"
	cleanup_netns "$name"
	ip -n "$name" link set lo up
	[[ -z $x ]] && return 0
	if [[ -n $(ip -4 -o addr show to "10.200.$x.0/24") ]]; then
		die "10.200.$x.0/24 is already in use on the host"
	fi
	h="nv${x}h$$"
	n="nv${x}n$$"
	h=${h:0:15}
	n=${n:0:15}
	ip link add "$h" type veth peer name "$n" netns "$name" ||
		die "cannot create veth $h/$n"
	cleanup_cmd "ip link del $h"
	ip addr add "10.200.$x.1/24" dev "$h"
	ip addr add "fd00:200:$x::1/64" dev "$h" nodad
	ip link set "$h" up
	ip -n "$name" addr add "10.200.$x.2/24" dev "$n"
	ip -n "$name" addr add "fd00:200:$x::2/64" dev "$n" nodad
	ip -n "$name" link set "$n" up
	VETH_HOST=$h
	VETH_NS=$n
}

# ------------------------------------------------------------------- ports

# port_listening PORT [NETNS] - true if a TCP socket listens on PORT.
port_listening() {
	local port=$1 ns=${2:-} out
	if [[ -n $ns ]]; then
		out=$(in_netns "$ns" ss -Hltn "sport = :$port")
	else
		out=$(ss -Hltn "sport = :$port")
	fi
	[[ -n $out ]]
}

# port_free PORT - true if nothing listens on or is bound to PORT on the
# host, TCP or UDP (a UDP test handed a bound port once measured another
# suite's forwarder, which answered its probes).
port_free() {
	[[ -z $(ss -Hatun "sport = :$1") ]]
}

PORT_NEXT=""
# alloc_ports BASE VAR... - give each VAR the next free host port from BASE
# (deterministic: the first call sets the base, later calls continue).
alloc_ports() {
	local base=$1 v
	shift
	[[ -z $PORT_NEXT ]] && PORT_NEXT=$base
	for v in "$@"; do
		while ! port_free "$PORT_NEXT"; do
			PORT_NEXT=$((PORT_NEXT + 1))
			((PORT_NEXT < base + 900)) || die "no free port near $base"
		done
		printf -v "$v" '%s' "$PORT_NEXT"
		PORT_NEXT=$((PORT_NEXT + 1))
	done
}

# alloc_range BASE VAR N - VAR = first port of N consecutive free ports.
alloc_range() {
	local base=$1 var=$2 n=$3 i good
	[[ -z $PORT_NEXT ]] && PORT_NEXT=$base
	while :; do
		((PORT_NEXT + n < base + 900)) || die "no free port range near $base"
		good=1
		for ((i = 0; i < n; i++)); do
			port_free $((PORT_NEXT + i)) || { good=0; PORT_NEXT=$((PORT_NEXT + i + 1)); break; }
		done
		((good)) && break
	done
	printf -v "$var" '%s' "$PORT_NEXT"
	PORT_NEXT=$((PORT_NEXT + n))
}

# wait_port HOST PORT [NETNS] - wait (<= WAIT_TIMEOUT s, 50 ms steps) until
# a TCP connect to HOST:PORT succeeds, from NETNS (name or pid:PID) if given.
wait_port() {
	local host=$1 port=$2 ns=${3:-}
	if [[ -n $ns ]]; then
		nstool_in "$ns" wait-port "$host" "$port" --timeout "$WAIT_TIMEOUT"
	else
		nstool wait-port "$host" "$port" --timeout "$WAIT_TIMEOUT"
	fi
}

# ------------------------------------------------------------------ nsplice

NSP_N=0
NSP_SEEN=()     # "pid:starttime" of every nsplice process seen
# start_nsplice [--wait HOST PORT]... [--wait-in NETNS HOST PORT]...
#               [--as-user] [--bin PATH] LOGFILE ARGS...
# Start nsplice ARGS in the background under `timeout` (its own process
# group), stdout+stderr to LOGFILE.  Sets NSP_TPID (the timeout wrapper),
# NSP_PID (the nsplice supervisor), NSP_TAG (environment tag), NSP_LOG.
# Waits until every --wait forward accepts a connection.  Returns 1 (after
# printing the log) if nsplice died or a forward never came up.
start_nsplice() {
	local waits=() as_user=0 bin=${NSPLICE:-} log i w wns whost wport
	while [[ ${1:-} == --* ]]; do
		case $1 in
		--wait) waits+=("|$2|$3"); shift 3 ;;
		--wait-in) waits+=("$2|$3|$4"); shift 4 ;;
		--as-user) as_user=1; shift ;;
		--bin) bin=$2; shift 2 ;;
		*) break ;;
		esac
	done
	log=$1
	shift
	NSP_N=$((NSP_N + 1))
	NSP_TAG="$RUN_TAG-n$NSP_N"
	NSP_LOG=$log
	NSP_SEEN=()
	local argv=(env "NSPLICE_TEST_TAG=$NSP_TAG" timeout -k 5 "$LIFETIME" "$bin" "$@")
	if ((as_user)); then
		argv=(setpriv --reuid=nsplice-test --regid=nsplice-test
			--clear-groups --inh-caps=-all -- "${argv[@]}")
	fi
	if ((as_user)); then
		note "start (as $TEST_USER): nsplice $*"
	else
		note "start: nsplice $*"
	fi
	(cd / && exec "${argv[@]}") >"$log" 2>&1 </dev/null &
	NSP_TPID=$!
	cleanup_pid "$NSP_TPID"
	NSP_PID=""
	for ((i = 0; i < 60; i++)); do
		NSP_PID=$(pgrep -P "$NSP_TPID" | head -n1) || true
		[[ -n $NSP_PID ]] && break
		pid_alive "$NSP_TPID" || break
		sleep 0.05
	done
	if [[ -z $NSP_PID ]]; then
		if ((${#waits[@]} == 0)) && ! pid_alive "$NSP_TPID"; then
			note "nsplice exited at once"
			return 0
		fi
		fail "nsplice did not start: $*"
		show_log "$log"
		return 1
	fi
	cleanup_pid "$NSP_PID"
	for w in "${waits[@]}"; do
		IFS='|' read -r wns whost wport <<<"$w"
		if ! pid_alive "$NSP_PID"; then
			fail "nsplice exited before its forwards came up: $*"
			show_log "$log"
			return 1
		fi
		if ! wait_port "$whost" "$wport" "$wns" >"$TMPDIR_TEST/wait.out" 2>&1; then
			fail "forward ${wns:+(in $wns) }$whost:$wport not accepting within ${WAIT_TIMEOUT}s: nsplice $*"
			indent <"$TMPDIR_TEST/wait.out"
			show_log "$log"
			return 1
		fi
	done
	nsplice_snapshot
	return 0
}

# nsplice_snapshot - remember the current nsplice process tree (for
# assert_no_nsplice_procs).
nsplice_snapshot() {
	local p
	[[ -n ${NSP_PID:-} ]] || return 0
	while read -r p; do
		NSP_SEEN+=("$p:$(proc_start "$p")")
		cleanup_pid "$p"
	done < <(proc_tree "$NSP_PID")
}

# nsplice_pids - print the supervisor pid and its current descendants.
nsplice_pids() { proc_tree "$NSP_PID"; }

# nsplice_ps [FIELDS] - `ps -o FIELDS` of the current nsplice tree.
nsplice_ps() {
	local pids
	pids=$(nsplice_pids | paste -sd, -)
	[[ -n $pids ]] || return 0
	ps -o "${1:-pid=,user:20=,args=}" -p "$pids"
}

# find_role ROLE-REGEX - pid of the first nsplice descendant whose args
# match ^nsplice: ROLE-REGEX.
find_role() {
	local p
	for p in $(nsplice_pids); do
		if ps -o args= -p "$p" 2>/dev/null | grep -q -E "^nsplice: $1"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# replace_relay CTL OLD OPT SPEC - `nsplice ctl CTL add OPT SPEC`, whose
# new target port the relay OLD (a pid) may not connect to, and wait up
# to 5 s for the relay that replaces it: ok or fail for each, NEW_RELAY
# set to its pid (empty if none came).
replace_relay() {
	local ctl=$1 old=$2 i p
	shift 2
	if "$NSPLICE" ctl "$ctl" add "$@" >"$TMPDIR_TEST/add.out" 2>&1; then
		ok "ctl add of a new target port: $(tr '\n' ' ' <"$TMPDIR_TEST/add.out")"
	else
		fail "ctl add failed: $(cat "$TMPDIR_TEST/add.out")"
	fi
	NEW_RELAY=""
	for ((i = 0; i < 50; i++)); do
		for p in $(nsplice_pids); do
			[[ $p != "$old" ]] &&
				ps -o args= -p "$p" 2>/dev/null | grep -q '^nsplice: relay' &&
				NEW_RELAY=$p
		done
		[[ -n $NEW_RELAY ]] && break
		sleep 0.1
	done
	[[ -n $NEW_RELAY ]] && ok "a new relay replaced the old one (pid $old -> $NEW_RELAY)" ||
		fail "no new relay after the new target port"
}

# wait_nsplice_exit SECONDS - wait until nsplice (and its timeout wrapper)
# exited; sets NSP_RC (its exit status) and NSP_EXIT_MS.  Returns 1 if it
# was still running after SECONDS.
wait_nsplice_exit() {
	local max_ms=$(($1 * 1000)) t0 now rc=0
	t0=$(date +%s%3N)
	while pid_alive "$NSP_TPID"; do
		now=$(date +%s%3N)
		if ((now - t0 > max_ms)); then
			NSP_EXIT_MS=$((now - t0))
			NSP_RC=""
			return 1
		fi
		sleep 0.02
	done
	NSP_EXIT_MS=$(($(date +%s%3N) - t0))
	wait "$NSP_TPID" || rc=$?
	NSP_RC=$rc
	return 0
}

# stop_nsplice SIGNAL SECONDS - send SIGNAL to the supervisor and wait.
stop_nsplice() {
	kill -s "$1" "$NSP_PID" 2>/dev/null || true
	wait_nsplice_exit "$2"
}

# expect_serves DESC PORT LOG - ok DESC once 127.0.0.1:PORT accepts and one
# connection through it echoes; else fail and show LOG
expect_serves() {
	if wait_port 127.0.0.1 "$2" >/dev/null 2>&1 &&
		nstool concurrent 127.0.0.1 "$2" 1 --timeout 10 >/dev/null 2>&1; then
		ok "$1"
	else
		fail "$1: 127.0.0.1:$2 does not serve"
		show_log "$3"
	fi
}

# assert_no_fd_loss LOG WHAT - ok/fail: the relay's LOG shows no descriptor
# the kernel dropped or listener lost to the descriptor limit, under WHAT.
assert_no_fd_loss() {
	if grep -q -e "lost to the descriptor limit" -e "descriptors dropped" "$1"; then
		fail "the relay lost descriptors $2"
		grep -e "lost to" -e "dropped" "$1" | head -n3 | indent
	else
		ok "no descriptor lost by the relay $2"
	fi
}

# assert_no_nsplice_procs [WHAT] - ok/fail: no process of the last nsplice
# instance is left: none of the pids seen in its tree (same start time),
# nothing in its process group, nothing carrying its environment tag.
# Zombies count as gone (dead; PID 1 may reap them late).  Allows 1 s for
# the last exits to complete.
assert_no_nsplice_procs() {
	local what=${1:-no nsplice process left} i e p s left=()
	for ((i = 0; i < 20; i++)); do
		left=()
		for e in "${NSP_SEEN[@]}"; do
			p=${e%%:*}
			s=${e#*:}
			[[ -n $s && $(proc_start "$p") == "$s" ]] && pid_alive "$p" && left+=("$p")
		done
		while read -r p; do pid_alive "$p" && left+=("$p"); done < <(pgrep -g "$NSP_TPID" 2>/dev/null || true)
		while read -r p; do pid_alive "$p" && left+=("$p"); done < <(tagged_pids "$NSP_TAG\$")
		((${#left[@]} == 0)) && break
		sleep 0.05
	done
	if ((${#left[@]} == 0)); then
		ok "$what"
		return 0
	fi
	fail "$what: still present:"
	ps -o pid,ppid,user,stat,args -p "$(printf '%s\n' "${left[@]}" | sort -un | paste -sd, -)" | indent || true
	return 1
}

# assert_still_running [OK-DESC [FAIL-DESC]] - ok if the supervisor
# ($NSP_PID) still runs, else fail and show the tail of $NSP_LOG.
assert_still_running() {
	if pid_alive "$NSP_PID"; then
		ok "${1:-nsplice still running}"
	else
		fail "${2:-nsplice died}"
		show_log "$NSP_LOG"
	fi
}

# shutdown_nsplice [--any-status] SECONDS [WHAT] - the usual end of a run:
# SIGTERM to the supervisor; fail unless it exits within SECONDS, with
# status 0 (not checked with --any-status), leaving no process behind.
# WHAT ("phase 1") prefixes the lines.  Returns what
# assert_no_nsplice_procs returns, as the open-coded endings did (under
# set -e a process left behind ends the test there).
shutdown_nsplice() {
	local any=0 what
	if [[ $1 == --any-status ]]; then
		any=1
		shift
	fi
	what=${2:+$2: }
	stop_nsplice TERM "$1" ||
		fail "${what}SIGTERM: nsplice still running after $1 s"
	if ((!any)) && [[ ${NSP_RC:-} != 0 ]]; then
		fail "${what}SIGTERM: exit status ${NSP_RC:-none}, expected 0"
	fi
	assert_no_nsplice_procs "${what}no nsplice process left"
}

# ------------------------------------------------------- unprivileged user

TEST_USER=nsplice-test
# ensure_test_user - create the system user nsplice-test if missing
# (idempotent, serialised with flock so concurrent runs are safe).
ensure_test_user() {
	mkdir -p /run/lock
	flock -w 30 /run/lock/nsplice-test-user.lock sh -c \
		"id -u $TEST_USER >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $TEST_USER" ||
		die "cannot create user $TEST_USER"
	id -u "$TEST_USER" >/dev/null || die "user $TEST_USER missing"
}

# as_test_user CMD... - run CMD as nsplice-test, no groups, no capabilities.
as_test_user() {
	setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups \
		--inh-caps=-all -- "$@"
}

# user_copy_binary - copy $NSPLICE and nstool.py into a fresh directory
# the unprivileged user can read; sets USER_DIR, USER_NSPLICE, USER_NSTOOL.
user_copy_binary() {
	USER_DIR=$(mktemp -d /tmp/nsplice-user.XXXXXX)
	cleanup_cmd "rm -rf '$USER_DIR'"
	chmod 755 "$USER_DIR"
	cp "$NSPLICE" "$USER_DIR/nsplice"
	cp "$NSTOOL" "$USER_DIR/nstool.py"
	chmod 755 "$USER_DIR/nsplice"
	chmod 644 "$USER_DIR/nstool.py"
	USER_NSPLICE=$USER_DIR/nsplice
	USER_NSTOOL=$USER_DIR/nstool.py
}
