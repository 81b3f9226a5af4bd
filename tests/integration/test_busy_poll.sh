#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_busy_poll - --busy-poll USEC: the relay polls instead of sleeping
# while traffic flows, and sleeps again once it stops.
#
# An echo server (TCP and UDP) in a namespace; nsplice -t and -u to it,
# first without the option, then with --busy-poll 1000.  Each run makes
# 300 one-byte TCP round trips, one at a time, and counts the times the
# relay slept in the meantime (voluntary_ctxt_switches of its thread):
#  - without the option it sleeps once per hop, so at least once per
#    round trip (the reference; the check below means nothing without it);
#  - with it, a reply or the next request arrives within the window, so
#    it sleeps less than a quarter as often;
#  - the UDP forward carries 1 to 65,000-byte datagrams intact, answered
#    from the forwarded port;
#  - once traffic stops the relay sleeps: its CPU time over the next 2 s
#    grows by at most 10 ticks (a relay that kept polling would take the
#    whole 2 s: about 200);
#  - -v names the setting, and --busy-poll 1001 (past BUSY_POLL_MAX) and
#    "50us" are refused with exit 2, naming the value.
# Why: the option's gain is the sleeps it saves (README.md, "Busy polling");
# its promise is that an idle relay still costs nothing.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-busypoll"
make_netns "$NS"
alloc_ports 32240 HP PORT UHP UPORT
ROUNDS=300

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT"
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
start_udp_echo "$NS" 127.0.0.1 "$UPORT"

# relay_sleeps PID - times the relay's thread has slept so far
relay_sleeps() {
	awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"
}

# relay_ticks PID - the relay's CPU time so far, clock ticks
relay_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# run_rounds LABEL ARGS... - start nsplice with ARGS, make ROUNDS round
# trips; sets SLEEPS (the relay's sleeps meanwhile) and RELAY
run_rounds() {
	local label=$1 before
	shift
	start_nsplice --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/$label.log" \
		-v --netns "$NS" -t "$HP:$PORT" -u "$UHP:$UPORT" "$@" ||
		die "nsplice $label did not start"
	RELAY=$(find_role relay) || die "$label: no relay"
	# One warm-up exchange: the first connection sets the flow up
	nstool pingpong 127.0.0.1 "$HP" 5 --timeout 10 >/dev/null ||
		die "$label: warm-up round trips failed"
	before=$(relay_sleeps "$RELAY")
	if nstool pingpong 127.0.0.1 "$HP" "$ROUNDS" --timeout 60 \
		>"$TMPDIR_TEST/$label.rt" 2>&1; then
		ok "$label: $(cat "$TMPDIR_TEST/$label.rt") through -t $HP"
	else
		fail "$label: round trips failed: $(cat "$TMPDIR_TEST/$label.rt")"
	fi
	SLEEPS=$(($(relay_sleeps "$RELAY") - before))
	note "$label: the relay slept $SLEEPS times in $ROUNDS round trips"
	if udptool client 127.0.0.1 "$UHP" --sizes 1,1400,65000 --repeat 20 \
		>"$TMPDIR_TEST/$label.udp" 2>&1; then
		ok "$label: -u $UHP: 60 datagrams echoed intact from the forwarded port"
	else
		fail "$label: -u $UHP: $(cat "$TMPDIR_TEST/$label.udp")"
	fi
}

run_rounds plain
REF=$SLEEPS
((REF >= ROUNDS)) &&
	ok "without --busy-poll the relay slept at least once per round trip ($REF)" ||
	fail "without --busy-poll the relay slept only $REF times in $ROUNDS round trips: the reference measures nothing"
shutdown_nsplice 3

run_rounds busy --busy-poll 1000
((SLEEPS * 4 < REF)) &&
	ok "--busy-poll 1000: the relay slept $SLEEPS times, under a quarter of $REF" ||
	fail "--busy-poll 1000: the relay slept $SLEEPS times, against $REF without it"
grep -q "busy-poll: 1000 us after each event" "$TMPDIR_TEST/busy.log" &&
	ok "-v: the relay names the setting" ||
	fail "-v: no 'busy-poll: 1000 us' line in the relay's log"
sleep 0.2
t0=$(relay_ticks "$RELAY")
sleep 2
t1=$(relay_ticks "$RELAY")
(((t1 - t0) <= 10)) &&
	ok "idle: the relay used $((t1 - t0)) ticks of CPU in 2 s (it sleeps)" ||
	fail "idle: the relay used $((t1 - t0)) ticks of CPU in 2 s: it keeps polling"
shutdown_nsplice 3

for bad in 1001 50us; do
	rc=0
	timeout 10 "$NSPLICE" --netns "$NS" -t "$HP:$PORT" --busy-poll "$bad" \
		>"$TMPDIR_TEST/bad.out" 2>&1 || rc=$?
	if ((rc == 2)) && grep -q -- "--busy-poll \"$bad\"" "$TMPDIR_TEST/bad.out"; then
		ok "--busy-poll $bad: exit 2, $(head -n1 "$TMPDIR_TEST/bad.out")"
	else
		fail "--busy-poll $bad: exit $rc: $(cat "$TMPDIR_TEST/bad.out")"
	fi
done
finish
