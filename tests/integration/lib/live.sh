# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# live.sh - helpers of the test_live_*.sh integration tests.
#
# DOC: Theory of Operation
# Source it after common.sh.  The live tests change a running nsplice and
# check that what was open before survives: a client from livetool.py is
# started in the background, announces itself with a line in its log
# ("ready", "started", "waiting"), is released by a trigger file the test
# creates at the moment of the change, and its exit status is the verdict.
# The helpers here are those steps: start such a client, wait for a line,
# wait for the client to end, turn its status into ok/fail with evidence,
# and stop nsplice with the usual checks.  Every wait is bounded (50 ms
# steps) and never exits the test by itself under `set -e`.

LIVETOOL="$TESTLIB/livetool.py"
# LIVE_GRACE - how much longer than its own timeout a client may live, s
LIVE_GRACE=30

# listen_inodes PORT - the socket inodes listening on host PORT (TCP),
# sorted: the same inodes after a change prove the listener was kept.
listen_inodes() {
	ss -Hltne "sport = :$1" | grep -o 'ino:[0-9]*' | sort | paste -sd' ' -
}

# write_conf LINE... - replace the config file $CONF atomically with
# LINEs, mode 0644 (nsplice refuses a file others may write).
write_conf() {
	printf '%s\n' "$@" >"$CONF.new"
	chmod 644 "$CONF.new"
	mv -f "$CONF.new" "$CONF"
}

# wait_line FILE REGEX SECONDS - wait (<= SECONDS) until FILE has a line
# matching REGEX (ERE).  Returns 1 if it never came.
wait_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -E "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_done PID SECONDS - wait (<= SECONDS) for the background job PID;
# its exit status in DONE_RC (that of `wait`, 127 if it was reaped).
wait_done() {
	local i
	DONE_RC=0
	for ((i = 0; i < $2 * 20; i++)); do pid_alive "$1" || break; sleep 0.05; done
	wait "$1" || DONE_RC=$?
}

# wait_listen yes|no PORT NETNS MAXMS - poll (50 ms) until PORT is (yes) or
# is not (no) listening in NETNS ("" = host); WAITED_MS is set.  Returns 1
# if that did not happen within MAXMS.
wait_listen() {
	local want=$1 port=$2 ns=$3 max=$4 t0 now state
	t0=$(date +%s%3N)
	while :; do
		state=no
		port_listening "$port" "$ns" && state=yes
		now=$(date +%s%3N)
		WAITED_MS=$((now - t0))
		[[ $state == "$want" ]] && return 0
		((WAITED_MS > max)) && return 1
		sleep 0.05
	done
}

# ctl_replace CTL SECONDS ARGS... - `nsplice ctl CTL add ARGS` (a forward
# whose target port the running relay may not reach) and wait (<= SECONDS)
# for the new relay to take over: one more "relay replaced" in $NSP_LOG.
# Returns 1 if ctl failed (a fail line with its output) or no new relay
# came (the caller says what that means).
ctl_replace() {
	local ctl=$1 secs=$2 n i out=$TMPDIR_TEST/ctl-replace.out
	shift 2
	n=$(grep -c 'relay replaced' "$NSP_LOG" || true)
	timeout 15 "$NSPLICE" ctl "$ctl" add "$@" >"$out" 2>&1 ||
		{ fail "ctl add $*: $(cat "$out")"; return 1; }
	for ((i = 0; i < secs * 20; i++)); do
		(($(grep -c 'relay replaced' "$NSP_LOG" || true) > n)) && return 0
		sleep 0.05
	done
	return 1
}

# await_port PORT FAIL-MSG NSP-LINES - wait until host 127.0.0.1:PORT
# accepts; if not, fail FAIL-MSG with the evidence and NSP-LINES of the
# nsplice log, and return 1.
await_port() {
	local out=$TMPDIR_TEST/await-$1.out
	wait_port 127.0.0.1 "$1" >"$out" 2>&1 && return 0
	fail "$2"
	indent <"$out"
	show_log "$NSP_LOG" "$3"
	return 1
}

# start_live LOG TIMEOUT SUBCOMMAND ARGS... - run `livetool.py SUBCOMMAND
# ARGS TIMEOUT` in the background (killed LIVE_GRACE s after TIMEOUT);
# its pid in BG_PID.
start_live() {
	local log=$1 t=$2
	shift 2
	start_bg "$log" timeout -k 2 $((t + LIVE_GRACE)) "$PY" "$LIVETOOL" "$@" "$t"
}

# start_client LOG READY-REGEX DIE-MSG TIMEOUT SUBCOMMAND ARGS... -
# start_live, then wait (<= 10 s) for its READY-REGEX line; if it never
# comes, show its log and die DIE-MSG.  Its pid in BG_PID.
start_client() {
	local log=$1 ready=$2 msg=$3
	shift 3
	start_live "$log" "$@"
	wait_line "$log" "$ready" 10 || { indent <"$log"; die "$msg"; }
}

# client_verdict RC LOG OK-MSG FAIL-MSG [NSP-LINES [REGEX]] - ok OK-MSG if
# RC is 0 (and LOG has a line matching REGEX, if given); otherwise fail
# "FAIL-MSG (exit RC)", LOG as evidence, and NSP-LINES of the nsplice log.
client_verdict() {
	local rc=$1 log=$2 lines=${5:-} re=${6:-}
	if ((rc == 0)) && { [[ -z $re ]] || grep -q "$re" "$log"; }; then
		ok "$3"
		return 0
	fi
	fail "$4 (exit $rc)"
	indent <"$log"
	[[ -z $lines ]] || show_log "$NSP_LOG" "$lines"
	return 0
}

# paced_verdict PID LOG BYTES OK-MSG FAIL-MSG NSP-LINES - release a paced
# download (the trigger must exist), wait (<= 30 s) and judge it: exit 0
# and "complete bytes=BYTES".
paced_verdict() {
	wait_done "$1" 30
	client_verdict "$DONE_RC" "$2" "$4" "$5" "$6" "^complete bytes=$3"
}

# stop_checked PREFIX [any] - SIGTERM nsplice: fail unless it is gone within
# 3 s, unless "any" also unless it exited 0, then assert that no process of
# it is left.  Each message starts with PREFIX.
stop_checked() {
	stop_nsplice TERM 3 || fail "${1}nsplice still running 3 s after SIGTERM"
	if [[ ${2:-} != any ]]; then
		[[ ${NSP_RC:-} == 0 ]] || fail "${1}exit status ${NSP_RC:-none} after SIGTERM, expected 0"
	fi
	assert_no_nsplice_procs "${1}no nsplice process left"
}
