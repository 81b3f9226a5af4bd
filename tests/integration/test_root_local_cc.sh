#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_local_cc - the relay's loopback legs use a congestion control
# that does not pace.
#
# Proves: with BBR as the default congestion control of both namespaces
# (reno where the kernel has no BBR), the sockets nsplice owns on a
# loopback leg use cubic (reno if cubic is missing or not in
# net.ipv4.tcp_allowed_congestion_control): the socket accepted on
# a loopback listener and the pool socket connected to a loopback target,
# for a -t and a -T forward, and the pool socket connected to the target
# namespace's own address for a client from another namespace (NC, over a
# veth: "another machine" as far as nsplice can tell), which the relay
# sends to that external address.  Everything else keeps the namespace
# default: the clients' and servers' own sockets, and sockets accepted on a
# wildcard listener, whose clients may be on other machines.  nsplice runs
# inside a namespace of its own (NSH) so that its host side has a default
# the test can set without touching the machine's.
# Why it matters: a pacing congestion control on loopback sends from a
# timer on another CPU, segments arrive out of order and are retransmitted
# for nothing, and a single stream through nsplice ran at 0.72-0.73x direct
# instead of 0.92-0.96x (ipc/localcc.c, tests/bench/README.md).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NSH="nsp-$$-cch"
NS="nsp-$$-cct"
NC="nsp-$$-ccc"
make_netns "$NSH"
make_netns "$NS"
make_netns "$NC"
# NC reaches NSH over a veth; NS has an external address on a veth pair of
# its own (this kernel has no dummy links); all go away with their
# namespaces
ip link add "vc$$h" netns "$NSH" type veth peer name "vc$$c" netns "$NC" ||
	die "cannot create the veth between $NSH and $NC"
ip -n "$NSH" addr add 10.203.0.1/24 dev "vc$$h"
ip -n "$NSH" link set "vc$$h" up
ip -n "$NC" addr add 10.203.0.2/24 dev "vc$$c"
ip -n "$NC" link set "vc$$c" up
ip -n "$NS" link add ext0 type veth peer name ext1 ||
	die "cannot create a veth pair in $NS"
ip -n "$NS" addr add 10.204.0.2/24 dev ext0
ip -n "$NS" link set ext1 up
ip -n "$NS" link set ext0 up
alloc_ports 23760 PL PW PS PT PTS

modprobe tcp_bbr 2>/dev/null || true
avail=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
if [[ " $avail " == *" bbr "* ]]; then DEF=bbr; else DEF=reno; fi
# The relay is unprivileged: it may set only what the machine allows
# (net.ipv4.tcp_allowed_congestion_control), and falls back to reno
allowed=$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)
if [[ " $avail " == *" cubic "* && " $allowed " == *" cubic "* ]]; then
	WANT=cubic
else
	WANT=reno
fi
[[ $DEF != "$WANT" ]] ||
	die "kernel offers neither bbr nor cubic ($avail): nothing to tell apart"
for n in "$NSH" "$NS" "$NC"; do
	ip netns exec "$n" sysctl -qw "net.ipv4.tcp_congestion_control=$DEF" ||
		die "cannot set the default congestion control of $n to $DEF"
done
note "namespace default $DEF, expected on loopback legs $WANT (available: $avail; allowed: $allowed)"

# Echo servers: in NS for the -t forwards, in NSH for the -T one
start_ns_server "$NS" "$TMPDIR_TEST/srv.log" echo-server "$PS" --addr 127.0.0.1 \
	--addr 10.204.0.2
start_ns_server "$NSH" "$TMPDIR_TEST/hsrv.log" echo-server "$PTS" --addr 127.0.0.1
wait_port 127.0.0.1 "$PS" "$NS" || die "echo server in $NS did not start"
wait_port 127.0.0.1 "$PTS" "$NSH" || die "echo server in $NSH did not start"

wrap=$TMPDIR_TEST/nsplice-in-nsh
printf '#!/bin/sh\nexec ip netns exec %s %q "$@"\n' "$NSH" "$NSPLICE" >"$wrap"
chmod 755 "$wrap"
start_nsplice --bin "$wrap" --wait-in "$NSH" 127.0.0.1 "$PL" \
	--wait-in "$NSH" 127.0.0.1 "$PW" --wait-in "$NS" 127.0.0.1 "$PT" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "127.0.0.1/$PL:$PS" -t "0.0.0.0/$PW:$PS" -T "127.0.0.1/$PT:$PTS" ||
	die "nsplice did not come up"

# One held echo connection per forward, and one from NC
hold() {	# hold NETNS ADDR PORT
	start_bg "$TMPDIR_TEST/hold-$1-$3.log" ip netns exec "$1" \
		"$PY" "$NSTOOL" hold "$2" "$3" --timeout 30
	HOLD_PIDS+=("$BG_PID")
	HOLD_LOGS+=("$TMPDIR_TEST/hold-$1-$3.log")
}
HOLD_PIDS=()
HOLD_LOGS=()
hold "$NSH" 127.0.0.1 "$PL"
hold "$NSH" 127.0.0.1 "$PW"
hold "$NS" 127.0.0.1 "$PT"
hold "$NC" 10.203.0.1 "$PW"
for log in "${HOLD_LOGS[@]}"; do
	for ((i = 0; i < 50; i++)); do
		grep -q holding "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q holding "$log" || die "no echo round trip: $(basename "$log")"
done

# cc_of NETNS LOCAL|PEER PORT - congestion control of each established TCP
# socket in NETNS whose local (or peer) port is PORT, one per line
cc_of() {
	ip netns exec "$1" ss -tinH state established |
		awk -v side="$2" -v port="$3" -v names="$avail" '
		BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) cc[a[i]] = 1 }
		/^[^ \t]/ { split($3, l, ":"); split($4, p, ":")
			    want = (side == "local" ? l[length(l)] : p[length(p)]) == port
			    next }
		want { for (i = 1; i <= NF; i++) if ($i in cc) { print $i; break }
		       want = 0 }'
}

# expect WHAT NETNS LOCAL|PEER PORT CC COUNT
expect() {
	local got
	got=$(cc_of "$2" "$3" "$4" | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd, -)
	if [[ $got == "${5}x$6" ]]; then
		ok "$1: $5"
	else
		fail "$1: expected $6 socket(s) with $5, got '${got:-none}'"
		ip netns exec "$2" ss -tinH state established | indent
	fi
}

expect "-t: socket accepted on the loopback listener" "$NSH" local "$PL" "$WANT" 1
expect "-t: the client's own socket keeps the default" "$NSH" peer "$PL" "$DEF" 1
expect "-t: sockets accepted on the wildcard listener (a loopback and a remote client) keep the default" \
	"$NSH" local "$PW" "$DEF" 2
expect "-t: pool sockets connected to the loopback target (2) and to the namespace's external address (1)" \
	"$NS" peer "$PS" "$WANT" 3
expect "-t: the server's own sockets keep the default" "$NS" local "$PS" "$DEF" 3
expect "-T: socket accepted on the loopback listener" "$NS" local "$PT" "$WANT" 1
expect "-T: pool socket connected to the loopback target" "$NSH" peer "$PTS" "$WANT" 1
expect "-T: the server's own socket keeps the default" "$NSH" local "$PTS" "$DEF" 1

check "data still flows: 4 concurrent echo round trips through the loopback forward" \
	nstool_in "$NSH" concurrent 127.0.0.1 "$PL" 4 || show_log "$NSP_LOG" 10
kill_pids "${HOLD_PIDS[@]}"
shutdown_nsplice 5
finish
