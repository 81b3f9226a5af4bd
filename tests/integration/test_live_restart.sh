#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_restart - a killed relay or agent is restarted, ports stay bound.
#
# Proves, for each child in turn (relay, agent host, agent target), killed
# with SIGKILL:
#   - the -t port on the host and the -T port in the namespace never stop
#     listening: `ss -Hltn` polled every 20 ms from before the kill until
#     after the restart never misses them;
#   - a connection attempted right after the kill (inside the 100 ms
#     back-off, from a client already started and waiting for the signal)
#     succeeds on both forwards: it waits in the listen backlog;
#   - the child is restarted (new pid, the log says so), `nsplice ctl
#     status --json` shows it running with restarts 1, and both forwards
#     work afterwards; the new agent target is in the same namespace;
# and, on a fresh instance, that 5 restarts within 60 s are the most
# nsplice grants one child: kills 1-5 of the relay (each after the
# previous restart) are healed, the 6th makes nsplice give up: exit
# status 1, a log line saying so, nothing left.
# Why it matters: a relay crash (or a seccomp kill) must cost a client a
# few milliseconds, not a refused connection or a port another process can
# grab; a child that keeps dying must not be restarted for ever.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-lrestart"
make_netns "$NS"
alloc_ports 17000 H P TN HE H2
SOCK=$TMPDIR_TEST/ctl.sock

# The poller: ss every 20 ms for DURATION_MS; one line per miss, a summary.
POLL='end=$(( $(date +%s%3N) + $2 )); n=0; miss=0
while (( $(date +%s%3N) < end )); do
	if [[ -z $(ss -Hltn "sport = :$1") ]]; then
		miss=$((miss + 1)); echo "missing at $(date +%s%3N)"
	fi
	n=$((n + 1)); sleep 0.02
done
echo "polls=$n missing=$miss"'

# ctl_status_procs - `ctl status --json` processes as "name|pid|state|restarts".
ctl_status_procs() {
	timeout -k 2 15 "$NSPLICE" ctl "$SOCK" status --json |
		"$PY" "$LIVETOOL" status-lines --procs -
}

start_ns_server "$NS" "$TMPDIR_TEST/ns-echo.log" echo-server "$P" --addr 127.0.0.1 --addr ::1
start_ns_server "" "$TMPDIR_TEST/host-echo.log" echo-server "$HE" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"
wait_port 127.0.0.1 "$HE" || die "echo server on the host did not start"
start_nsplice --wait 127.0.0.1 "$H" --wait-in "$NS" 127.0.0.1 "$TN" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$SOCK" \
	-t "$H:$P" -T "$TN:$HE" || die "nsplice did not come up"
NS_INO=$(stat -L -c %i "/run/netns/$NS")

# kill_and_watch ROLE - the whole check for one child.
kill_and_watch() {
	local role=$1 victim newpid trig polls i line tag=${1// /-}
	victim=$(find_role "$role") || { fail "SIGKILL $role: no such process"; nsplice_ps | indent; return 0; }
	trig=$TMPDIR_TEST/trigger-$tag
	start_bg "$TMPDIR_TEST/poll-h-$tag.log" bash -c "$POLL" _ "$H" 3000
	polls=("$BG_PID")
	start_bg "$TMPDIR_TEST/poll-n-$tag.log" ip netns exec "$NS" bash -c "$POLL" _ "$TN" 3000
	polls+=("$BG_PID")
	start_bg "$TMPDIR_TEST/cli-h-$tag.log" timeout -k 2 30 \
		"$PY" "$LIVETOOL" trigger-echo 127.0.0.1 "$H" "$trig" 20
	local cli_h=$BG_PID
	start_bg "$TMPDIR_TEST/cli-n-$tag.log" ip netns exec "$NS" timeout -k 2 30 \
		"$PY" "$LIVETOOL" trigger-echo 127.0.0.1 "$TN" "$trig" 20
	local cli_n=$BG_PID
	wait_line "$TMPDIR_TEST/cli-h-$tag.log" waiting 5 || true
	wait_line "$TMPDIR_TEST/cli-n-$tag.log" waiting 5 || true
	sleep 0.3
	note "killing 'nsplice: $role' pid $victim with SIGKILL"
	kill -KILL "$victim"
	touch "$trig"

	wait_done "$cli_h" 25
	client_verdict "$DONE_RC" "$TMPDIR_TEST/cli-h-$tag.log" \
		"SIGKILL $role: a -t connection made at once succeeded ($(tail -n1 "$TMPDIR_TEST/cli-h-$tag.log"))" \
		"SIGKILL $role: a -t connection made right after the kill failed"
	wait_done "$cli_n" 25
	client_verdict "$DONE_RC" "$TMPDIR_TEST/cli-n-$tag.log" \
		"SIGKILL $role: a -T connection made at once succeeded ($(tail -n1 "$TMPDIR_TEST/cli-n-$tag.log"))" \
		"SIGKILL $role: a -T connection made right after the kill failed"
	wait_line "$NSP_LOG" "$role restarted \(pid [0-9]+, restart 1\)" 3 || true
	if line=$(grep -m1 -E "$role restarted \(pid [0-9]+, restart 1\)" "$NSP_LOG"); then
		ok "SIGKILL $role: restarted: $line"
	else
		fail "SIGKILL $role: no '$role restarted (pid N, restart 1)' in the log within 3 s"
		show_log "$NSP_LOG" 15
	fi
	newpid=$(find_role "$role") || newpid=""
	if [[ -n $newpid && $newpid != "$victim" ]] && pid_alive "$newpid"; then
		ok "SIGKILL $role: a new $role runs (pid $newpid, was $victim)"
	else
		fail "SIGKILL $role: no new $role process (found '${newpid}', killed $victim)"
		nsplice_ps | indent
	fi
	for i in "${polls[@]}"; do wait_done "$i" 10; done
	for f in "poll-h-$tag:host port $H" "poll-n-$tag:namespace port $TN"; do
		local log=$TMPDIR_TEST/${f%%:*}.log what=${f#*:}
		if grep -q -E '^polls=[0-9]+ missing=0$' "$log" && (($(sed -n 's/^polls=\([0-9]*\).*/\1/p' "$log") >= 20)); then
			ok "SIGKILL $role: $what listening at every one of $(sed -n 's/^polls=\([0-9]*\).*/\1/p' "$log") polls over 3 s"
		else
			fail "SIGKILL $role: $what missing from 'ss -ltn' ($(tail -n1 "$log"))"
			head -n 5 "$log" | indent
		fi
	done
	nsplice_snapshot
	line=$(ctl_status_procs 2>&1 | grep -E "^$role\|" || true)
	if [[ $line == "$role|$newpid|running|1" ]]; then
		ok "SIGKILL $role: ctl status shows '$line'"
	else
		fail "SIGKILL $role: ctl status shows '$line', expected '$role|$newpid|running|1'"
		ctl_status_procs 2>&1 | indent || true
	fi
	check "after restarting $role: -t $H:$P works" nstool concurrent 127.0.0.1 "$H" 4 --timeout 10 || true
	check "after restarting $role: -T $TN:$HE works" nstool_in "$NS" concurrent 127.0.0.1 "$TN" 4 --timeout 10 || true
	pid_alive "$NSP_PID" || die "SIGKILL $role: nsplice exited"
}

kill_and_watch relay
kill_and_watch 'agent host'
kill_and_watch 'agent target'
pid=$(find_role 'agent target') || pid=""
ino=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null || echo none)
if [[ $ino == "$NS_INO" ]]; then
	ok "the restarted agent target is in $NS (netns inode $ino)"
else
	fail "the restarted agent target (pid $pid) is in netns inode $ino, $NS is $NS_INO"
fi
line=$(ctl_status_procs 2>&1 | paste -sd' ' -)
if grep -q -E "relay\|[0-9]+\|running\|1 .*agent target\|[0-9]+\|running\|1 agent host\|[0-9]+\|running\|1" <<<"$line"; then
	ok "ctl status: every child restarted once: $line"
else
	fail "ctl status after the three kills: $line"
fi
stop_checked ""

# --------------------------------------------------------------- give up
start_nsplice --wait 127.0.0.1 "$H2" "$TMPDIR_TEST/giveup.log" --netns "$NS" \
	-t "$H2:$P" || die "nsplice (give-up run) did not come up"
T0=$(date +%s)
gave_up=0
for k in 1 2 3 4 5 6; do
	victim=$(find_role relay) || { fail "kill $k: no relay process"; nsplice_ps | indent; break; }
	note "kill $k: relay pid $victim"
	kill -KILL "$victim"
	for ((i = 0; i < 80; i++)); do
		grep -q -E "relay restarted \(pid [0-9]+, restart $k\)" "$NSP_LOG" && break
		pid_alive "$NSP_TPID" || break
		sleep 0.05
	done
	if ! pid_alive "$NSP_TPID"; then
		gave_up=$k
		break
	fi
	if ((k == 6)); then
		break
	fi
	if grep -q -E "relay restarted \(pid [0-9]+, restart $k\)" "$NSP_LOG"; then
		ok "kill $k of the relay: restarted ($(grep -m1 -E "restart $k\)" "$NSP_LOG"))"
	else
		fail "kill $k of the relay: not restarted within 4 s"
		show_log "$NSP_LOG" 10
	fi
	# Wait until the new relay serves before the next kill.
	wait_port 127.0.0.1 "$H2" >/dev/null 2>&1 || true
	nsplice_snapshot
done
if ((gave_up != 0 && gave_up != 6)); then
	fail "nsplice exited after only $gave_up kills of the relay"
fi
if wait_nsplice_exit 5; then
	if ((NSP_RC == 1)); then
		ok "6th kill of the relay within $(($(date +%s) - T0 + 1)) s (after 5 restarts): nsplice exited with status 1"
	else
		fail "6 kills of the relay: nsplice exited with status $NSP_RC, expected 1"
	fi
else
	fail "6 kills of the relay within 60 s: nsplice still running 5 s after the 6th kill"
	grep -E 'restart' "$NSP_LOG" | indent
	kill -TERM "$NSP_PID" 2>/dev/null || true
	wait_nsplice_exit 3 || true
fi
if line=$(grep -m1 -i -E '^\[supervisor\] error: relay .*giving up' "$NSP_LOG"); then
	ok "the log says the supervisor gave up: $line"
else
	fail "no '[supervisor] error: relay ... giving up' line in the log"
	show_log "$NSP_LOG" 10
fi
assert_no_nsplice_procs "give-up: no nsplice process left"
if port_listening "$H2"; then
	fail "give-up: port $H2 still listening"
fi
finish
