#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_refused_logged - failures a client only sees as a reset, and
# what "auto" does, are in the log at the default level.
#
# Proves:
#  - a connection whose target does not listen: a warning naming the
#    forward and the target ("-t P:Q: cannot connect to 127.0.0.1:Q in
#    the namespace: Connection refused (nothing listens there?)"); 30 such
#    connections within a second give at most 3 lines (rate limit); an
#    IPv6 client's line names [::1]:Q and why a service on 127.0.0.1
#    alone does not take it;
#  - -t auto: a server that starts listening in the namespace gives one
#    line "-t auto: port A listens in the namespace: forwarding it"; when
#    it stops, one line "... port A no longer listens in the namespace:
#    forward removed";
#  - -t auto: a namespace port the host cannot bind (taken on the host,
#    on both addresses) gives exactly one line per address, "-t auto:
#    cannot listen on 127.0.0.1:B on the host: address already in use;
#    not forwarded there" and the same for [::1]:B, however many scans
#    see it (waits 3 scan periods);
#  - -t auto: a port taken on the host on 127.0.0.1 only gives the line
#    for 127.0.0.1:C and none for [::1]:C, which is forwarded: an echo
#    through [::1]:C works;
#  - -t auto: a namespace that opens 200 ports and closes them, three
#    times in 9 s, gets at most 8 lines naming a port, then one line
#    counting the other changes (1200 or more in all): which ports
#    listen is the namespace's choice, and it must not flood the host's
#    journal.
# Why it matters: a forward that silently resets clients, or an auto port
# that silently is not forwarded, sends users hunting in the wrong place.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-uxr"
make_netns "$NS"
alloc_ports 31600 HP DEAD A B C

# lt_server NETNS PORT LOG - livetool echo-server on 127.0.0.1 and ::1 of
# NETNS, which stops listening on SIGUSR1; LT_PID is the server itself
# (as in test_live_auto.sh)
lt_server() {
	local ns=$1 port=$2 log=$3 i
	start_bg "$log" ip netns exec "$ns" timeout -k 2 "$LIFETIME" "$PY" \
		"$LIVETOOL" echo-server "$port" "$LIFETIME" 127.0.0.1 ::1
	for ((i = 0; i < 100; i++)); do
		if grep -q '^listening' "$log" 2>/dev/null; then
			LT_PID=$(sed -n 's/^listening pid=//p' "$log")
			return 0
		fi
		sleep 0.05
	done
	die "server on port $port in $ns did not start"
}

# wait_log FILE REGEX - wait (<= 5 s) for a line matching REGEX
wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q -E "$2" "$1" && return 0
		sleep 0.05
	done
	return 1
}

# 1. refused connections
start_nsplice "$TMPDIR_TEST/refused.log" --netns "$NS" -t "$HP:$DEAD" ||
	die "nsplice did not start"
# wait_port would count as a refused connection too: wait for the ready
# line instead
wait_log "$TMPDIR_TEST/refused.log" 'ready$' || die "nsplice did not get ready"
for ((i = 0; i < 30; i++)); do
	nstool expect-reset 127.0.0.1 "$HP" >/dev/null 2>&1 || true
done
sleep 0.5
re="^\[relay\] warning: -t $HP:$DEAD: cannot connect to 127\.0\.0\.1:$DEAD in the namespace: Connection refused \(nothing listens there\?\)"
n=$(grep -c -E "$re" "$TMPDIR_TEST/refused.log" || true)
if ((n >= 1 && n <= 3)); then
	ok "refused connections logged at the default level, rate-limited ($n lines for 30)"
else
	fail "refused connections: $n matching lines, expected 1..3"
	indent <"$TMPDIR_TEST/refused.log"
fi
# An IPv6 client is sent to ::1, where a service on 127.0.0.1 alone is
# not: the line names the address, so `ss` showing the port listening does
# not contradict it.  After the rate limit's second.
sleep 1.1
nstool expect-reset ::1 "$HP" >/dev/null 2>&1 || true
re="^\[relay\] warning: -t $HP:$DEAD: cannot connect to \[::1\]:$DEAD in the namespace: Connection refused \(nothing listens on ::1 there\? an IPv6 client reaches ::1 only"
if wait_log "$TMPDIR_TEST/refused.log" "$re"; then
	ok "a refused IPv6 client: the line names [::1]:$DEAD and says why a 127.0.0.1 service is not reached"
else
	fail "a refused IPv6 client: no line naming [::1]:$DEAD"
	indent <"$TMPDIR_TEST/refused.log"
fi
stop_nsplice TERM 5 || fail "nsplice did not stop"

# 2. auto: added, removed, cannot bind
start_ns_server "" "$TMPDIR_TEST/hostb.log" sink-server "$B" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$B" || die "host server on $B did not start"
start_ns_server "" "$TMPDIR_TEST/hostc.log" sink-server "$C" --addr 127.0.0.1
wait_port 127.0.0.1 "$C" || die "host server on $C did not start"
start_nsplice "$TMPDIR_TEST/auto.log" --netns "$NS" -t auto ||
	die "nsplice -t auto did not start"
wait_log "$TMPDIR_TEST/auto.log" 'ready$' || die "nsplice -t auto not ready"
lt_server "$NS" "$A" "$TMPDIR_TEST/a.log"
if wait_log "$TMPDIR_TEST/auto.log" "^\[supervisor\] -t auto: port $A listens in the namespace: forwarding it\$"; then
	ok "auto: the new port is logged"
else
	fail "auto: no line for the new port $A"
	indent <"$TMPDIR_TEST/auto.log"
fi
kill -USR1 "$LT_PID"
if wait_log "$TMPDIR_TEST/auto.log" "^\[supervisor\] -t auto: port $A no longer listens in the namespace: forward removed\$"; then
	ok "auto: the removed port is logged"
else
	fail "auto: no line for the removal of port $A"
	indent <"$TMPDIR_TEST/auto.log"
fi
start_ns_server "$NS" "$TMPDIR_TEST/nsb.log" sink-server "$B" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$B" "$NS" || die "namespace server on $B did not start"
start_ns_server "$NS" "$TMPDIR_TEST/nsc.log" echo-server "$C" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$C" "$NS" || die "namespace server on $C did not start"
wait_log "$TMPDIR_TEST/auto.log" "cannot listen on .*:$B on the host" || true
wait_log "$TMPDIR_TEST/auto.log" "cannot listen on .*:$C on the host" || true
sleep 3		# three more scans
for a in 127.0.0.1 '\[::1\]'; do
	n=$(grep -c -E "^\[supervisor\] -t auto: cannot listen on $a:$B on the host: address already in use; not forwarded there\$" "$TMPDIR_TEST/auto.log" || true)
	if ((n == 1)); then
		ok "auto: ${a//\\/}:$B, taken on the host, is logged once"
	else
		fail "auto: $n lines for ${a//\\/}:$B that cannot be bound, expected 1"
		indent <"$TMPDIR_TEST/auto.log"
	fi
done
n=$(grep -c -E "^\[supervisor\] -t auto: cannot listen on 127\.0\.0\.1:$C on the host: address already in use; not forwarded there\$" "$TMPDIR_TEST/auto.log" || true)
m=$(grep -c -E "cannot listen on \[::1\]:$C " "$TMPDIR_TEST/auto.log" || true)
if ((n == 1 && m == 0)); then
	ok "auto: 127.0.0.1:$C, taken on the host, is logged once and [::1]:$C not at all"
else
	fail "auto: $n lines for 127.0.0.1:$C (expected 1), $m for [::1]:$C (expected 0)"
	indent <"$TMPDIR_TEST/auto.log"
fi
check "auto: [::1]:$C is forwarded while 127.0.0.1:$C is taken on the host" \
	nstool concurrent ::1 "$C" 1 --timeout 10
if grep -q -E "port $A listens.*" "$TMPDIR_TEST/auto.log" &&
	(($(grep -c -E "port $A listens" "$TMPDIR_TEST/auto.log") == 1)); then
	ok "auto: one line per added port (not one per family)"
else
	fail "auto: not exactly one line for port $A"
fi
stop_nsplice TERM 5 || fail "nsplice -t auto did not stop"

# 3. auto: a namespace that opens and closes 200 ports, three times
alloc_range 31620 FL 200
start_nsplice "$TMPDIR_TEST/flap.log" --netns "$NS" -t auto ||
	die "nsplice -t auto (flapping) did not start"
wait_log "$TMPDIR_TEST/flap.log" 'ready$' || die "nsplice -t auto (flapping) not ready"
ip netns exec "$NS" timeout 20 "$PY" - "$FL" <<'EOF' || fail "the flapping server failed"
import socket, sys, time
first = int(sys.argv[1])
for _ in range(3):
    ss = []
    for p in range(first, first + 200):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", p))
        s.listen()
        ss.append(s)
    time.sleep(1.5)	# a scan or more sees them
    for s in ss:
        s.close()
    time.sleep(1.5)
EOF
summary='^\[supervisor\] auto: ([0-9]+) more ports started listening, ([0-9]+) stopped and [0-9]+ addresses could not be bound in the last [0-9]+ s, not logged one by one \(ctl status lists the forwards\)$'
for ((i = 0; i < 100; i++)); do
	grep -q -E "$summary" "$TMPDIR_TEST/flap.log" && break
	sleep 0.1
done
named=$(grep -c -E "port [0-9]+ (listens|no longer listens) in the namespace" "$TMPDIR_TEST/flap.log" || true)
line=$(grep -E "$summary" "$TMPDIR_TEST/flap.log" | head -n 1)
if [[ $line =~ $summary ]] && ((named <= 8 &&
	named + BASH_REMATCH[1] + BASH_REMATCH[2] >= 1200)); then
	ok "auto: 600 ports came and 600 went: $named lines name a port, then one line counts the others: ${line#* auto: }"
else
	fail "auto: $named lines name a port; summary: '${line:-none}' (1200 changes expected in all)"
	indent <"$TMPDIR_TEST/flap.log" | head -n 20
fi
stop_nsplice TERM 5 || fail "nsplice -t auto (flapping) did not stop"

finish
