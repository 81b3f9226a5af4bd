# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# load.sh - helpers of the finding-1 tests (a forward table grown large).
#
# DOC: Theory of Operation
# Source it after common.sh.  Finding 1 of the audit: glibc's qsort() called
# sysinfo(), which the supervisor's filter did not allow, once the forward
# table it sorts passed ~1 KiB; any way of growing the table far enough
# (ctl add, reload, auto) killed the supervisor with SIGSYS.  Each test here
# grows the table one of those ways, then proves the supervisor is alive
# and every forward carries traffic to its own target port (manyports.py
# answers with the port it accepted on).  Every wait is bounded.

MANYPORTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/manyports.py"

# free_block N VAR - VAR = first port of N consecutive ports from 5000
# up (steps of N, below 14000) on which no socket is bound on the host,
# checked with one ss call.  Other tests take their ports from 14000 up,
# one at a time as they go: a block of thousands in their region, taken
# first, made them fail under ctest -j ("no free port range near
# 21000").  TIME-WAIT sockets do not count: nsplice's listeners
# (SO_REUSEADDR) bind over them, and thousands of probes leave them
# behind for a minute, which would otherwise use up every block.
free_block() {
	local n=$1 var=$2 base used
	used=$(ss -Htuan state all exclude time-wait |
		awk '{ p = $5; sub(/.*:/, "", p); print p }' | sort -un)
	for ((base = 5000; base + n <= 14000; base += n)); do
		if ! awk -v lo="$base" -v hi=$((base + n - 1)) \
			'$1 >= lo && $1 <= hi { found = 1 } END { exit !found }' <<<"$used"; then
			printf -v "$var" '%s' "$base"
			return 0
		fi
	done
	die "no block of $n free ports in 5000-13999"
}

# f01_start NAME COUNT VAR - the start of every finding-1 test: root and
# the binary are needed, NS is a new namespace nsp-PID-NAME, VAR the first
# of COUNT free consecutive host ports (free_block).
f01_start() {
	need_root
	need_nsplice
	NS="nsp-$$-$1"
	make_netns "$NS"
	free_block "$2" "$3"
}

# expect_block_closed FIRST N SECONDS DESC - ok DESC once neither the
# first nor the last port of FIRST..FIRST+N-1 listens, polled for up to
# SECONDS; fail "DESC: ports still listen" if they still do.
expect_block_closed() {
	local first=$1 last=$(($1 + $2 - 1)) i
	for ((i = 0; i < $3 * 10; i++)); do
		port_listening "$first" || port_listening "$last" || break
		sleep 0.1
	done
	if ! port_listening "$first" && ! port_listening "$last"; then
		ok "$4"
	else
		fail "$4: ports still listen"
	fi
}

# many_server NETNS PORTS LOG - manyports.py serving PORTS on 127.0.0.1
# and ::1 of NETNS; waits (<= 20 s) until every socket is bound.
many_server() {
	local ns=$1 ports=$2 log=$3 i
	start_bg "$log" ip netns exec "$ns" timeout -k 2 "$LIFETIME" \
		"$PY" "$MANYPORTS" serve "$ports" 127.0.0.1 ::1 --lifetime "$LIFETIME"
	for ((i = 0; i < 400; i++)); do
		grep -q '^listening' "$log" 2>/dev/null && return 0
		pid_alive "$BG_PID" || break
		sleep 0.05
	done
	indent <"$log"
	die "manyports server on $ports in $ns did not start"
}

# probe_all DESC HOST PAIRS - ok if every LPORT:TPORT pair of PAIRS answers
# through HOST with its own target port; evidence on failure.
probe_all() {
	local desc=$1 host=$2 pairs=$3 out rc=0
	out=$(timeout -k 2 200 "$PY" "$MANYPORTS" probe "$host" "$pairs" \
		--timeout 5 2>&1) || rc=$?
	if ((rc == 0)); then
		ok "$desc: $(tail -n1 <<<"$out")"
	else
		fail "$desc (exit $rc)"
		head -n 10 <<<"$out" | indent
		tail -n 1 <<<"$out" | indent
		show_log "$NSP_LOG" 15
	fi
}

# wait_all_listen FIRST N SECONDS - wait until host ports FIRST..FIRST+N-1
# all listen on 127.0.0.1 and ::1 (2N sockets); returns 1 if they did not
# within SECONDS (or nsplice died).
wait_all_listen() {
	local first=$1 n=$2 i have
	for ((i = 0; i < $3 * 10; i++)); do
		have=$(ss -Hltn | awk -v lo="$first" -v hi=$((first + n - 1)) \
			'{ p = $4; sub(/.*:/, "", p) } p >= lo && p <= hi { c++ } END { print c + 0 }')
		((have >= 2 * n)) && return 0
		pid_alive "$NSP_PID" || return 1
		sleep 0.1
	done
	note "only $have of $((2 * n)) sockets listen on $first-$((first + n - 1))"
	return 1
}

# expect_alive WHAT - ok if the supervisor still runs (a SIGSYS kill would
# have ended it with status 159).
expect_alive() {
	if pid_alive "$NSP_PID"; then
		ok "supervisor alive after $1"
	else
		wait_nsplice_exit 5 || true
		fail "supervisor died after $1 (exit ${NSP_RC:-?}; 159 is SIGSYS)"
		show_log "$NSP_LOG" 20
	fi
}

# expect_clean_stop - SIGTERM; ok if nsplice exits 0 within 10 s and
# leaves no process behind.
expect_clean_stop() {
	if stop_nsplice TERM 10 && [[ $NSP_RC == 0 ]]; then
		ok "SIGTERM: nsplice exited 0"
	else
		fail "SIGTERM: nsplice exit ${NSP_RC:-still running}"
		show_log "$NSP_LOG" 20
	fi
	assert_no_nsplice_procs
}
