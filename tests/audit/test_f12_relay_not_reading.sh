#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f12_relay_not_reading - a relay that stops reading its channel, or
# a draining one that never finishes a report, cannot stop the supervisor.
#
# Finding of a fifth audit: the supervisor's channels to its children are
# blocking sockets, and every `ctl status` queues a request to the relay
# in service and, since draining relays are counted, to each of those
# too.  A relay that reads nothing (SIGSTOP here, a compromised one in
# earnest) let about 280 requests pile up; the next send() blocked the
# supervisor for good: no control socket, no SIGTERM, no restarts.  And a
# draining relay that kept sending STATS records without its STATS_DONE
# held every status answer back.
#
# A channel holds net.unix.max_dgram_qlen messages (10 by default) or
# its send buffer's worth; the buffer is made small here as well
# (net.core.wmem_default lowered while nsplice starts, restored at once)
# so that a handful of requests fill it either way.  Proves:
#  1. relay in service stopped: once status requests filled its channel,
#     nsplice answers `ctl status` again, the stopped relay was killed and a new
#     one serves the forward, and the log says why;
#  2. the same for a replaced relay still draining (a connection held
#     open through it), stopped;
#  3. a draining relay that sends STATS records every 0.3 s and never
#     its STATS_DONE (from inside it, with gdb): `ctl status` still
#     answers within 5 s, repeatedly.
# Why it matters: SECURITY.md promises a compromised relay cannot take
# the supervisor down, and the control socket answers at once.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
need_gdb

NS="nsp-$$-f12"
make_netns "$NS"
alloc_ports 32400 HA HB HC HN PORT NEWPORT
CTL=$TMPDIR_TEST/ctl.sock
SMALL=4608
WMEM=$(cat /proc/sys/net/core/wmem_default)
cleanup_cmd "echo $WMEM >/proc/sys/net/core/wmem_default"

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
start_ns_server "$NS" "$TMPDIR_TEST/echo2.log" echo-server "$NEWPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
wait_port 127.0.0.1 "$NEWPORT" "$NS" || die "echo server in $NS did not start"

# start_small LOG HP ARGS... - nsplice with channels of SMALL bytes
start_small() {
	local log=$1 hp=$2 rc=0
	shift 2
	echo "$SMALL" >/proc/sys/net/core/wmem_default
	start_nsplice --wait 127.0.0.1 "$hp" "$log" --netns "$NS" \
		--control "$CTL" "$@" || rc=$?
	echo "$WMEM" >/proc/sys/net/core/wmem_default
	return "$rc"
}

# status_until N PATTERN - up to N ctl status requests one after another
# (the supervisor asks the relay once per report, however many clients
# wait), until the log matches PATTERN; each is bounded
status_until() {
	local i
	for ((i = 0; i < $1; i++)); do
		grep -q "$2" "$NSP_LOG" && return 0
		timeout -k 2 20 "$NSPLICE" ctl "$CTL" status >/dev/null 2>&1 || true
	done
}

# start_draining LOG HP - nsplice -t HP:PORT with small channels, a
# connection held through HP, then a new relay (ctl add of a new target
# port): the first relay drains, carrying that connection.  Sets
# OLD_RELAY.
start_draining() {
	start_small "$1" "$2" -t "$2:$PORT" || die "nsplice did not start"
	OLD_RELAY=$(find_role relay) || die "no relay"
	start_bg "$1.hold" timeout -k 2 60 "$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
time.sleep(50)' "$2"
	sleep 0.5
	replace_relay "$CTL" "$OLD_RELAY" -t "$HN:$NEWPORT"
}

# answers DESC - ctl status must answer within 5 s
answers() {
	if timeout -k 2 8 "$NSPLICE" ctl "$CTL" status >"$TMPDIR_TEST/st.out" 2>&1; then
		ok "$1: ctl status answers"
	else
		fail "$1: ctl status: $(head -n 3 "$TMPDIR_TEST/st.out")"
	fi
}

# stop_until_killed PID WHAT WHO LINE - SIGSTOP the relay PID, ask for
# status until its channel is full and it is killed: ctl status must
# answer, and the log must hold LINE (WHAT and WHO name it in results)
stop_until_killed() {
	kill -STOP "$1"
	cleanup_cmd "kill -CONT $1 2>/dev/null"
	status_until 12 "reads nothing from its full channel"
	answers "$2 stopped, after its channel filled"
	if grep -q "$4" "$NSP_LOG"; then
		ok "$3 was killed, and the log says why"
	else
		fail "no '$4' in the log"
		show_log "$NSP_LOG" 15
	fi
}

# echo_ok HP DESC - one echo through HP
echo_ok() {
	if nstool pingpong 127.0.0.1 "$1" 3 --timeout 10 \
		>"$TMPDIR_TEST/pp.out" 2>&1; then
		ok "$2"
	else
		fail "$2: $(tail -n 2 "$TMPDIR_TEST/pp.out")"
	fi
}

# ------------------------------------------------- 1. relay in service
start_small "$TMPDIR_TEST/n1.log" "$HA" -t "$HA:$PORT" || die "nsplice did not start"
R1=$(find_role relay) || die "no relay"
stop_until_killed "$R1" "1. relay in service" "1. the relay" \
	"relay reads nothing from its full channel: killed"
R2=""
for ((i = 0; i < 50; i++)); do
	R2=$(find_role relay) || true
	[[ -n $R2 && $R2 != "$R1" ]] && break
	sleep 0.1
done
if [[ -n $R2 && $R2 != "$R1" ]] && ! kill -0 "$R1" 2>/dev/null; then
	ok "1. the stopped relay ($R1) is gone, a new one ($R2) runs"
else
	fail "1. relay before $R1, now '${R2:-none}'"
fi
echo_ok "$HA" "1. the forward serves through the new relay"
kill -CONT "$R1" 2>/dev/null || true
shutdown_nsplice 10 "stopped relay"

# ------------------------------------------- 2. draining relay stopped
start_draining "$TMPDIR_TEST/n2.log" "$HB"
D1=$OLD_RELAY
stop_until_killed "$D1" "2. draining relay" "2. the draining relay" \
	"replaced relay (pid $D1) reads nothing from its full channel: killed"
for ((i = 0; i < 30; i++)); do kill -0 "$D1" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$D1" 2>/dev/null; then
	fail "2. the stopped draining relay $D1 still exists"
else
	ok "2. the stopped draining relay $D1 is gone"
fi
echo_ok "$HB" "2. the forward serves through the new relay"
kill -CONT "$D1" 2>/dev/null || true
shutdown_nsplice 10 "stopped draining relay"

# -------------------------- 3. a draining relay that never ends a report
start_draining "$TMPDIR_TEST/n3.log" "$HC"
D2=$OLD_RELAY
# STATS (type 21, 112 bytes of zeros: forward 0) on the relay's channel
# to the supervisor (descriptor 3), every 0.3 s for about 12 s
cmds=('set $p = (char *)syscall(9, 0, 4096, 3, 0x22, -1, 0)'
	'set *(unsigned short *)$p = 21' 'set *(unsigned short *)($p + 2) = 112')
for ((i = 0; i < 40; i++)); do
	cmds+=("print (long)syscall($SYS_sendto, 3, \$p, 116, 0x40, 0, 0)" "shell sleep 0.3")
done
gdb_run "$D2" "$TMPDIR_TEST/gdb3.out" "${cmds[@]}" &
GDB=$!
sleep 2
for k in 1 2 3; do
	answers "3. draining relay sending STATS without end, request $k"
done
wait "$GDB" 2>/dev/null || true
if grep -q '^\$[0-9]* = 116' "$TMPDIR_TEST/gdb3.out"; then
	ok "3. the draining relay did send STATS records meanwhile"
else
	fail "3. gdb sent nothing: $(tail -n 3 "$TMPDIR_TEST/gdb3.out")"
fi
shutdown_nsplice --any-status 10

finish
