#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ipc_live - a compromised peer inside a real run, the supervisor
# included.
#
# lib/fakepeer.py inject takes a duplicate of one end of a live channel
# from a running nsplice process (pidfd_getfd(), which root may do even to
# the non-dumpable relay) and sends a hostile message through it, so the
# process at the other end receives it as if its peer had been taken over:
#  - supervisor <- relay: unknown type;
#  - supervisor <- agent target: a message with a descriptor attached;
#  - relay <- agent host: a datagram larger than any message;
#  - agent host <- relay: unknown type.
# Proves for each: the receiver logs one line naming the sender and the
# violation; the supervisor records it (its own error line, the relay's
# AGENT_BAD report, or the receiver's exit with status 1); nsplice then
# either stops with status 1
# within 5 s and leaves no process behind, or replaces the offending child
# (restart with back-off) and serves the forward again; it never hangs.
# Before the injection one transfer shows the run was healthy.
# Why it matters: the supervisor is the one process a fake child must not
# confuse, and a receiver's violation must reach someone who acts on it.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

FAKE="$HOSTILE_LIB/fakepeer.py"
NS="nsp-$$-live"
make_netns "$NS"
alloc_ports 31700 HX X
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"

# live_case N SENDER FD CASE RECEIVER-REGEX SUPERVISOR-REGEX STOPS
# Start nsplice, inject CASE through descriptor FD of role SENDER, check
# the receiver's and the supervisor's log lines; STOPS=1 if the
# supervisor must stop, 0 if a restart is also acceptable.
live_case() {
	local n=$1 sender=$2 fd=$3 case=$4 rre=$5 sre=$6 stops=$7 pid out
	start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice-$n.log" \
		--netns "$NS" -t "$HX:$X" || { fail "case $n: nsplice did not come up"; return; }
	out=$(hostile load 127.0.0.1 "$HX" --conns 2 --up 64K --down 64K) || true
	load_ok "case $n: healthy before the injection" "$out" || true
	pid=$(find_role "$sender")
	[[ -n $pid ]] || { fail "case $n: no $sender process"; return; }
	out=$(timeout 10 "$PY" "$FAKE" inject "$pid" "$fd" "$case" 2>&1) ||
		{ fail "case $n: injecting through $sender fd $fd failed: $out"; return; }
	if wait_until 5 grep -q -E -e "$rre" "$NSP_LOG"; then
		ok "case $n ($sender fd $fd, $case): receiver logged: $(grep -E -e "$rre" "$NSP_LOG" | head -n1)"
	else
		fail "case $n ($sender fd $fd, $case): no log line matching '$rre'"
		show_log "$NSP_LOG" 10
	fi
	if wait_until 5 grep -q -E -e "$sre" "$NSP_LOG"; then
		ok "case $n: supervisor recorded it: $(grep -E -e "$sre" "$NSP_LOG" | head -n1)"
	else
		fail "case $n: supervisor recorded nothing matching '$sre'"
	fi
	if wait_nsplice_exit 5; then
		[[ $NSP_RC == 1 ]] && ok "case $n: nsplice stopped with status 1 in ${NSP_EXIT_MS} ms" ||
			fail "case $n: nsplice stopped with status $NSP_RC, expected 1"
		assert_no_nsplice_procs "case $n: no nsplice process left"
	elif ((stops)); then
		fail "case $n: nsplice still running 5 s after the supervisor saw a bad message"
		stop_nsplice KILL 2 || true
	else
		out=$(hostile load 127.0.0.1 "$HX" --conns 2 --up 64K --down 64K --timeout 10) || true
		load_ok "case $n: the forward serves again after the restart" "$out" || true
		stop_nsplice TERM 3 || fail "case $n: SIGTERM: nsplice still running after 3 s"
		assert_no_nsplice_procs "case $n: no nsplice process left"
	fi
}

live_case 1 relay 3 unknown \
	'^\[supervisor\] error: .*(bad message|protocol violation).*relay.*unknown type' \
	'^\[supervisor\] error: .*(bad message|protocol violation).*relay' 0
live_case 2 'agent target' 3 extra-fd \
	'^\[supervisor\] error: .*(bad message|protocol violation).*agent target.*unexpected descriptors' \
	'^\[supervisor\] error: .*(bad message|protocol violation).*agent target' 0
live_case 3 'agent host' 4 oversized \
	'^\[relay\] error: agent host: protocol violation: message truncated' \
	'^\[supervisor\] error: protocol violation by agent host: .*reported by the relay' 0
live_case 4 relay 4 unknown \
	'^\[agent host\] error: bad message from the relay: unknown type' \
	'^\[supervisor\] .*agent host \(pid [0-9]+\) exited with status 1' 0
figure "live injections=4 (supervisor<-relay, supervisor<-agent target," \
	"relay<-agent host, agent host<-relay); see ok/not ok lines"
finish
