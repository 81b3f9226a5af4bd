#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_listener_repair - a compromised relay that spoils the
# listening sockets it shares with an agent, then dies, costs no forward.
#
# The attack (a review with gdb inside the live relay): the relay's filter
# allows connect(), shutdown(), fcntl(F_SETFL) and setsockopt(SO_LINGER)
# on any socket it holds, and it holds the listeners, whose open files it
# shares with the agent.  connect(AF_UNSPEC) stopped a TCP listener for
# both; connect() to some port made a UDP forward answer only that port.
# After the relay was replaced, the agent handed the same dead sockets to
# the new relay, which refused them as the agent's fault: the agent was
# restarted without its copies, nobody bound the ports again, and `ctl
# status` kept saying "bound".
#
# Setting: -t 127.0.0.1/P1 to a TCP echo server in NS, -u 127.0.0.1/P2 and
# -u 127.0.0.1/P3 to UDP echo servers there.  In the live relay, with gdb:
# the TCP listener is made blocking, given linger {1, 0} and disconnected;
# the first UDP socket is connected to port 9; the second is connected
# and its reading side shut down (which nothing can undo: it then reads
# as ready for ever).  Proves:
#  - control: after the attack, P1 refuses connections and P2 answers no
#    client (so the test can fail);
#  - after a SIGKILL of that relay, the new one serves all three forwards:
#    the agent repaired the first two sockets in place and bound the
#    third again (logged), and was not restarted (same pid, no protocol
#    violation in the log);
#  - `ctl status` lists the three forwards bound, the relay running.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"
. "$NSPLICE_TESTLIB/live.sh"
need_root
need_nsplice
need_gdb

SYS_shutdown=48
SYS_fcntl=72
NS="nsp-$$-lrep"
make_netns "$NS"
alloc_ports 24470 P1 P2 P3 T1 T2 T3
SOCK=$TMPDIR_TEST/ctl.sock

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$T1" --addr 127.0.0.1
wait_port 127.0.0.1 "$T1" "$NS" || die "TCP echo server in $NS did not start"
start_udp_echo "$NS" 127.0.0.1 "$T2"
start_udp_echo "$NS" 127.0.0.1 "$T3"
start_nsplice --wait 127.0.0.1 "$P1" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	--control "$SOCK" -t "127.0.0.1/$P1:$T1" -u "127.0.0.1/$P2:$T2" \
	-u "127.0.0.1/$P3:$T3" || die "nsplice did not come up"

# udp_serves PORT - one echo through 127.0.0.1:PORT
udp_serves() {
	UDPTOOL_TIMEOUT=20 udptool client 127.0.0.1 "$1" --sizes 1,1400 \
		>"$TMPDIR_TEST/udp-$1.out" 2>&1
}
# tcp_serves PORT - one echoed connection through 127.0.0.1:PORT
tcp_serves() {
	nstool concurrent 127.0.0.1 "$1" 1 --timeout 5 >/dev/null 2>&1
}
tcp_serves "$P1" || die "-t $P1 does not serve before the attack"
udp_serves "$P2" || die "-u $P2 does not serve before the attack"
udp_serves "$P3" || die "-u $P3 does not serve before the attack"

RELAY=$(find_role relay) || die "no relay"
AGENT=$(find_role 'agent host') || die "no host agent"
wait_filters "$RELAY" 2 10 || die "the relay has no filter"

L1=$(proc_sock_fd "$RELAY" t "127.0.0.1:$P1")
U2=$(proc_sock_fd "$RELAY" u "127.0.0.1:$P2")
U3=$(proc_sock_fd "$RELAY" u "127.0.0.1:$P3")
[[ -n $L1 && -n $U2 && -n $U3 ]] ||
	die "the relay's sockets not found (tcp $L1, udp $U2 $U3)"

OUT=$TMPDIR_TEST/gdb.out
mapfile -t CMDS < <(
	echo "set \$un = (long)calloc(1, 64)"
	echo "set \$lin = (long)calloc(1, 16)"
	echo "set *(int *)\$lin = 1"
	echo "set \$sa = (long)calloc(1, 64)"
	gdb_sockaddr "\$sa" 9
	echo "print (long)syscall($SYS_fcntl, $L1, 4, 2)"
	echo "print (long)syscall($SYS_setsockopt, $L1, 1, 13, \$lin, 8)"
	echo "print (long)syscall($SYS_connect, $L1, \$un, 16)"
	echo "print (long)syscall($SYS_connect, $U2, \$sa, 16)"
	echo "print (long)syscall($SYS_connect, $U3, \$sa, 16)"
	echo "print (long)syscall($SYS_shutdown, $U3, 0)")
gdb_run "$RELAY" "$OUT" "${CMDS[@]}"
gdb_sigsys "$OUT" && die "the relay was killed by seccomp during the attack"
v=()
for i in 1 2 3 4 5 6; do v+=("$(gdb_value "$OUT" "$i")"); done
if [[ ${v[*]} == "0 0 0 0 0 0" ]]; then
	ok "in the relay: TCP listener made blocking, linger {1, 0}, disconnected; UDP sockets connected to port 9, one shut down"
else
	fail "the attack's calls returned '${v[*]}', expected all 0"
	indent <"$OUT"
fi
if tcp_serves "$P1"; then
	fail "control: -t $P1 still serves after connect(AF_UNSPEC) in the relay"
else
	ok "control: -t $P1 refuses connections after the attack"
fi
if udp_serves "$P2"; then
	fail "control: -u $P2 still answers after its socket was connected to port 9"
else
	ok "control: -u $P2 answers no client after the attack"
fi

note "killing the relay (pid $RELAY) with SIGKILL"
kill -KILL "$RELAY"
wait_line "$NSP_LOG" "relay restarted \(pid [0-9]+, restart 1\)" 10 ||
	fail "no 'relay restarted' in the log within 10 s"
# serves_soon KIND PORT - true once KIND (tcp/udp) serves PORT, within 10 s
serves_soon() {
	local i
	for ((i = 0; i < 20; i++)); do
		"${1}_serves" "$2" && return 0
		sleep 0.5
	done
	return 1
}
serves_soon tcp "$P1" && ok "the new relay serves -t $P1 (listener repaired in place)" ||
	{ fail "-t $P1 does not serve after the relay was replaced"; show_log "$NSP_LOG"; }
serves_soon udp "$P2" && ok "the new relay serves -u $P2 (socket disconnected again)" ||
	{ fail "-u $P2 does not serve after the relay was replaced"; indent <"$TMPDIR_TEST/udp-$P2.out"; }
serves_soon udp "$P3" && ok "the new relay serves -u $P3 (socket bound again)" ||
	{ fail "-u $P3 does not serve after the relay was replaced"; indent <"$TMPDIR_TEST/udp-$P3.out"; }
check "the agent says it bound UDP port $P3 again" \
	grep -q "UDP port $P3: the relay left its socket unusable; bound again" "$NSP_LOG"
now=$(find_role 'agent host') || now=""
if [[ $now == "$AGENT" ]] && ! grep -q "protocol violation" "$NSP_LOG"; then
	ok "the host agent was not restarted (pid $AGENT) and no violation was logged"
else
	fail "the host agent is now '$now' (was $AGENT), or a violation was logged:"
	grep -E "violation|restarted" "$NSP_LOG" | indent
fi
RELAY2=$(find_role relay) || RELAY2=""
[[ -n $RELAY2 && $RELAY2 != "$RELAY" ]] && wait_filters "$RELAY2" 2 10 &&
	ok "the new relay (pid $RELAY2) is sandboxed" ||
	fail "no new sandboxed relay (found '$RELAY2')"
st=$(timeout -k 2 15 "$NSPLICE" ctl "$SOCK" status 2>&1) || true
if (($(grep -c -E "^  -[tu] 127\.0\.0\.1:($P1|$P2|$P3) .*bound yes" <<<"$st") == 3)) &&
	grep -q -E "^  relay  pid $RELAY2  running  restarts 1$" <<<"$st"; then
	ok "ctl status: the three forwards bound, the new relay running"
else
	fail "ctl status does not show the three forwards bound and relay $RELAY2 running:"
	indent <<<"$st"
fi
finish
