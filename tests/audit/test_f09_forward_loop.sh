#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f09_forward_loop - a forwarding loop between two nsplice instances
# is contained: the other forwards of both keep serving.
#
# Audit finding 9: instance A runs `--netns NS -T P`, instance B runs
# `--netns NS -t auto` on the same namespace, so B forwards A's namespace
# listener back to the host; one connection to [::1]:P then loops
# B -> A -> B -> ... and used to fill both relays' flow tables within
# seconds, after which every other forward of both instances hung.
#
# Here both instances run with --max-conns 60 (a table of 60 flows, so the
# loop fills in milliseconds and nothing else on the machine is touched)
# and each has one more forward: A `-t Q` to an ident server in NS, B
# `-T R` to an ident server on the host.  One connection goes into the
# loop; then, for about 5 s, the test proves:
#  - A's `-t Q` and B's `-T R` serve every fresh connection (ident line
#    read, each within 3 s), round after round;
#  - the loop is capped, not grown to the limit: each relay holds at most
#    about half its table on P (its port's share), counted as established
#    connections to P;
#  - each instance logs a warning naming the looping forward (A: "-T P",
#    B: "-t P");
#  - relay CPU stays bounded while the loop sits at its share: over 3 s,
#    each relay uses under 30 % of one CPU (utime+stime from /proc).
# On the code before the fix the loop took all 60 slots of each relay and
# the ident connections of the other forwards waited in the backlog until
# they timed out: the "serve" checks fail.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

MAXC=60
ROUNDS=10
NS="nsp-$$-f09"
make_netns "$NS"
alloc_ports 23000 P Q R

# ident servers: Q in the namespace (A's -t Q), R on the host (B's -T R)
start_ns_server "$NS" "$TMPDIR_TEST/srv-q.log" ident-server "$Q" --addr 127.0.0.1 --addr ::1
start_ns_server "" "$TMPDIR_TEST/srv-r.log" ident-server "$R" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$Q" "$NS" || die "ident server on $Q in $NS did not start"
wait_port 127.0.0.1 "$R" || die "ident server on host $R did not start"

LOG_A=$TMPDIR_TEST/nsplice-a.log
LOG_B=$TMPDIR_TEST/nsplice-b.log
start_nsplice --wait 127.0.0.1 "$Q" --wait-in "$NS" 127.0.0.1 "$P" "$LOG_A" \
	--netns "$NS" --max-conns "$MAXC" -T "$P" -t "$Q" || die "instance A did not start"
RELAY_A=$(find_role relay) || die "no relay in instance A"
start_nsplice --wait-in "$NS" 127.0.0.1 "$R" "$LOG_B" \
	--netns "$NS" --max-conns "$MAXC" -t auto -T "$R" || die "instance B did not start"
RELAY_B=$(find_role relay) || die "no relay in instance B"

# B's auto scan forwards A's namespace listener on P back to the host
for ((i = 0; i < 100; i++)); do
	[[ -n $(ss -Hltn "( sport = :$P )" | grep '\[::1\]') ]] && break
	sleep 0.05
done
[[ -n $(ss -Hltn "( sport = :$P )" | grep '\[::1\]') ]] ||
	die "instance B did not forward [::1]:$P (auto) within 5 s"
ok "the loop is in place: A -T $P in the namespace, B -t auto forwards it back"

# One connection into the loop, held open by the client (no data)
start_bg "$TMPDIR_TEST/loop-client.log" timeout -k 2 60 "$PY" -c \
	"import socket, sys, time
s = socket.create_connection(('::1', int(sys.argv[1])), 5)
print('connected', flush=True)
time.sleep(50)" "$P"
LOOP_CLIENT=$BG_PID
sleep 0.5
pid_alive "$LOOP_CLIENT" || { indent <"$TMPDIR_TEST/loop-client.log"; die "the loop client did not connect"; }

# ident_ok NETNS PORT WANT - one fresh connection gets the ident line of
# the server on PORT within 3 s.
ident_ok() {
	local ns=$1 port=$2 out
	if [[ -n $ns ]]; then
		out=$(NSTOOL_TIMEOUT=5 nstool_in "$ns" ident 127.0.0.1 "$port" --timeout 3 2>&1) || return 1
	else
		out=$(NSTOOL_TIMEOUT=5 nstool ident 127.0.0.1 "$port" --timeout 3 2>&1) || return 1
	fi
	[[ $out == *"port=$port "* ]]
}

GOOD_A=0
GOOD_B=0
for ((i = 0; i < ROUNDS; i++)); do
	ident_ok "" "$Q" && GOOD_A=$((GOOD_A + 1))
	ident_ok "$NS" "$R" && GOOD_B=$((GOOD_B + 1))
	sleep 0.5
done
((GOOD_A == ROUNDS)) && ok "A's other forward (-t $Q) served $ROUNDS of $ROUNDS fresh connections during the loop" ||
	fail "A's other forward (-t $Q) served only $GOOD_A of $ROUNDS connections during the loop"
((GOOD_B == ROUNDS)) && ok "B's other forward (-T $R) served $ROUNDS of $ROUNDS fresh connections during the loop" ||
	fail "B's other forward (-T $R) served only $GOOD_B of $ROUNDS connections during the loop"

# Connections of the loop: to host [::1]:P (accepted by B) and to the
# namespace's [::1]:P (accepted by A); each relay's share is half its table.
HOST_LOOP=$(ss -Htn state established "( dport = :$P )" | wc -l)
NS_LOOP=$(in_netns "$NS" ss -Htn state established "( dport = :$P )" | wc -l)
note "loop connections: $HOST_LOOP to host port $P, $NS_LOOP to namespace port $P"
if ((HOST_LOOP >= 5 && NS_LOOP >= 5)); then
	ok "the loop did run (it is what is being contained)"
else
	fail "the loop did not run: $HOST_LOOP/$NS_LOOP connections"
fi
# + the backlog: one queued connection per capped listener, and slack
SHARE_MAX=$((MAXC / 2 + 4))
((HOST_LOOP <= SHARE_MAX && NS_LOOP <= SHARE_MAX)) &&
	ok "the loop holds at most its port's share of each relay (<= $SHARE_MAX)" ||
	fail "the loop grew past its share: $HOST_LOOP/$NS_LOOP connections, share $((MAXC / 2))"

# The log names the looping forward
if grep -q -E "^\[relay\] warning: forward -T $P .*share" "$LOG_A"; then
	ok "A warned about its forward -T $P"
else
	fail "A did not name its looping forward -T $P"
	show_log "$LOG_A" 10
fi
if grep -q -E "^\[relay\] warning: forward -t $P .*share" "$LOG_B"; then
	ok "B warned about its forward -t $P"
else
	fail "B did not name its looping forward -t $P"
	show_log "$LOG_B" 10
fi

# cpu_ticks PID - utime + stime of PID, clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

HZ=$(getconf CLK_TCK)
A0=$(cpu_ticks "$RELAY_A")
B0=$(cpu_ticks "$RELAY_B")
sleep 3
A1=$(cpu_ticks "$RELAY_A")
B1=$(cpu_ticks "$RELAY_B")
LIMIT=$((HZ * 3 * 30 / 100))
note "relay CPU over 3 s: A $((A1 - A0)) ticks, B $((B1 - B0)) ticks (limit $LIMIT, $HZ per s)"
((A1 - A0 < LIMIT && B1 - B0 < LIMIT)) && ok "relay CPU stays bounded during the loop" ||
	fail "a relay spins during the loop: A $((A1 - A0)), B $((B1 - B0)) ticks in 3 s"

pid_alive "$RELAY_A" && pid_alive "$RELAY_B" && ok "both relays are still running" ||
	fail "a relay died during the loop"

finish
