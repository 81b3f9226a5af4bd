# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# hostile.sh - shared helpers of the fault suite (tests/hostile/).
#
# Source it after common.sh:
#   . "${NSPLICE_TESTLIB:?}/common.sh"
#   . "${HOSTILE_LIB:?}/hostile.sh"
# It adds the traffic tool (hostile.py), JSON field access, per-process
# figures read from /proc (CPU ticks, RSS, descriptors) and `figure`, which
# prints one "# figure: ..." line per number the README reports.  Every
# wait is bounded; every process started goes through start_bg or
# start_nsplice, so common.sh's EXIT trap removes it.

HOSTILE_PY="${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.py"
# CLK_TCK - clock ticks per second, for CPU figures
CLK_TCK=$(getconf CLK_TCK)

# hostile, hostile_in, start_hostile_server - common.sh's nstool,
# nstool_in and start_ns_server, with hostile.py in place of nstool.py (and
# HOSTILE_TIMEOUT in place of NSTOOL_TIMEOUT) for the call.

# hostile ARGS... - run hostile.py in the host netns, bounded.
hostile() {
	NSTOOL=$HOSTILE_PY NSTOOL_TIMEOUT=${HOSTILE_TIMEOUT:-150} nstool "$@"
}

# hostile_in NETNS ARGS... - run hostile.py inside NETNS, bounded.
hostile_in() {
	NSTOOL=$HOSTILE_PY NSTOOL_TIMEOUT=${HOSTILE_TIMEOUT:-150} nstool_in "$@"
}

# start_hostile_server NETNS LOG ARGS... - a hostile.py server in NETNS
# (empty: the host) in the background; BG_PID is set.
start_hostile_server() {
	NSTOOL=$HOSTILE_PY start_ns_server "$@"
}

# jget JSON KEY - print field KEY of the JSON object JSON ("" if absent;
# dicts and lists as JSON).
jget() {
	"$PY" -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2], "")
print(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}

# cpu_ticks PID - user+system CPU ticks of PID so far (empty if gone).
cpu_ticks() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

# rss_kib PID - resident set size of PID in KiB.
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }

# fd_count PID - number of open descriptors of PID.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# fd_kinds PID - "sockets=N pipes=M other=K" of PID's descriptors.
fd_kinds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
		awk '/^socket:/ { s++; next } /^pipe:/ { p++; next } { o++ }
			END { printf "sockets=%d pipes=%d other=%d\n", s, p, o }'
}

# sock_count PID - open sockets of PID.
sock_count() { fd_kinds "$1" | sed 's/sockets=\([0-9]*\).*/\1/'; }

# pipe_count PID - open pipe ends of PID (two per pipe).
pipe_count() { fd_kinds "$1" | sed 's/.*pipes=\([0-9]*\).*/\1/'; }

# PIPE_POOL_FDS - pipe ends the relay's pool may keep for reuse when idle:
# PIPE_POOL_IDLE_MAX (relay/pipes.h) pipes, two ends each.  The relay holds
# other pipe ends for its whole life (its log pipe on 2, and the pipe that
# keeps 0 and 1 taken, udp_hold_low_fds()): tests count those on a fresh
# relay with pipe_count and add them (a pipe that a readiness probe left
# in the pool is counted there too, so the bound is at most one pipe loose).
PIPE_POOL_FDS=$((2 * 64))

# log_count REGEX [FILE] - lines of FILE (default the nsplice log)
# matching the ERE REGEX.
log_count() { grep -c -E -e "$1" "${2:-$NSP_LOG}" 2>/dev/null || true; }

# relay_pid - pid of the current nsplice instance's relay (or nothing).
relay_pid() { find_role 'relay' || true; }

# agent_pid SIDE - pid of agent host|target of the current instance.
agent_pid() { find_role "agent $1" || true; }

# figure TEXT... - one line of figures for the README.
figure() { printf '# figure: %s: %s\n' "$TEST_NAME" "$*"; }

# idle_cpu_pct PID SECONDS - CPU use of PID over SECONDS, in percent.
idle_cpu_pct() {
	local a b
	a=$(cpu_ticks "$1")
	sleep "$2"
	b=$(cpu_ticks "$1")
	[[ -n $a && -n $b ]] || { echo 999; return; }
	echo $(((b - a) * 100 / (CLK_TCK * $2)))
}

# wait_until SECONDS CMD... - poll CMD every 50 ms until it succeeds;
# returns 1 if it never did within SECONDS.
wait_until() {
	local max_ms=$(($1 * 1000)) t0
	shift
	t0=$(date +%s%3N)
	until "$@"; do
		(($(date +%s%3N) - t0 > max_ms)) && return 1
		sleep 0.05
	done
	return 0
}

# load_ok DESC JSON [MAX-FAILED] - ok if the load run JSON completed every
# transfer (or all but MAX-FAILED) and none arrived corrupt.
load_ok() {
	local desc=$1 j=$2 maxf=${3:-0} okn failed corrupt
	okn=$(jget "$j" ok)
	failed=$(jget "$j" failed)
	corrupt=$(jget "$j" corrupt)
	if [[ -z $okn ]]; then
		fail "$desc: the load tool printed no result"
		return 1
	fi
	if ((corrupt == 0 && failed <= maxf)); then
		ok "$desc: $okn ok, $failed failed (<= $maxf allowed), 0 corrupt"
		return 0
	fi
	fail "$desc: $okn ok, $failed failed (<= $maxf allowed), $corrupt corrupt: $(jget "$j" kinds)"
	return 1
}
