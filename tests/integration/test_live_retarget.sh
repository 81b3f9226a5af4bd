#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_retarget - a reload that gives a TCP forward a new target port
# keeps its listening socket: no client is turned away.
#
# Proves, with a file of two forwards A (-> PA) and B (-> PB), ident
# servers on PB and PC and an echo server on PA in the namespace:
#   - A is given target PB (a port the running relay may already connect
#     to: B's) by a reload while a client opens one connection after
#     another to A: every one is answered, the answers move from PA to
#     PB, A's listening socket is the same one, no new relay was started,
#     and a connection opened on A before the reload still echoes;
#   - A is then given target PC, a port the relay was not started with
#     (Landlock): a new relay takes over, and again every connection of
#     the churning client is answered, by PB and then by PC, on the same
#     listening socket.
# Why it matters: moving a service to another port (blue/green) with a
# reload; when the forward was bound again instead, every client that
# came in the meantime was refused and those waiting in the backlog were
# dropped.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-lretgt"
make_netns "$NS"
alloc_ports 15300 A B PA PB PC
CONF=$TMPDIR_TEST/nsplice.conf
SOCK=$TMPDIR_TEST/ctl.sock

# reload_churned DESC WANT-PORTS - SIGHUP while a client connects to A over
# and over; every connection must be answered and the answering servers
# must be WANT-PORTS (an extended regex of a comma list, in order: "echo"
# for the echo server on PA, else the ident server's port).
reload_churned() {
	local desc=$1 want=$2 trig=$TMPDIR_TEST/churn-trigger-$RANDOM
	local log=$TMPDIR_TEST/churn-$RANDOM.log n
	start_live "$log" 30 churn 127.0.0.1 "$A" "$trig"
	local churn=$BG_PID
	wait_line "$log" '^started' 10 || { indent <"$log"; die "$desc: the churning client did not start"; }
	n=$(grep -c 'reload applied' "$NSP_LOG" || true)
	sleep 0.3
	kill -HUP "$NSP_PID"
	for ((i = 0; i < 100; i++)); do
		(($(grep -c 'reload applied' "$NSP_LOG" || true) > n)) && break
		sleep 0.05
	done
	(($(grep -c 'reload applied' "$NSP_LOG" || true) > n)) ||
		{ show_log "$NSP_LOG" 15; die "$desc: no 'reload applied' within 5 s"; }
	# Long enough for a replaced relay to hand the listener over
	sleep 1.5
	touch "$trig"
	wait_done "$churn" 15
	local res
	res=$(grep '^connections' "$log" || true)
	if ((DONE_RC == 0)) && grep -q -E "ports ($want)\$" <<<"$res"; then
		ok "$desc: every connection during the reload was answered, by $want ($res)"
	else
		fail "$desc: expected every connection answered, by ports $want (exit $DONE_RC)"
		indent <"$log"
		show_log "$NSP_LOG" 15
	fi
}

start_ns_server "$NS" "$TMPDIR_TEST/ns.log" serve "echo=$PA" "ident=$PB" \
	"ident=$PC" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PC" "$NS" || die "servers in $NS did not start"

write_conf "tcp-ports = $A:$PA" "tcp-ports = $B:$PB"
start_nsplice --wait 127.0.0.1 "$A" --wait 127.0.0.1 "$B" \
	"$TMPDIR_TEST/nsplice.log" -v -c "$CONF" --control "$SOCK" --netns "$NS" ||
	die "nsplice -c FILE did not come up"
check "A ($A -> $PA) echoes" nstool concurrent 127.0.0.1 "$A" 2 --timeout 10 || true
INO_A=$(listen_inodes "$A")
[[ -n $INO_A ]] || die "no listening socket on host port $A"
RELAY=$(find_role relay) || die "no relay process"
TRIG=$TMPDIR_TEST/hold-trigger
start_live "$TMPDIR_TEST/hold.log" 60 hold 127.0.0.1 "$A" "$TRIG"
HOLD=$BG_PID
wait_line "$TMPDIR_TEST/hold.log" '^ready' 10 || { indent <"$TMPDIR_TEST/hold.log"; die "no connection on A"; }

# 1. A new target port the relay already connects to: in place.
write_conf "tcp-ports = $A:$PB" "tcp-ports = $B:$PB"
reload_churned "A: $PA -> $PB (B's target)" "echo,$PB"
if [[ $(listen_inodes "$A") == "$INO_A" ]]; then
	ok "A: $PA -> $PB kept A's listening sockets ($INO_A)"
else
	fail "A: $PA -> $PB changed A's listening sockets: $INO_A -> $(listen_inodes "$A")"
fi
if [[ $(find_role relay) == "$RELAY" ]] && ! grep -q 'relay replaced' "$NSP_LOG"; then
	ok "A: $PA -> $PB needed no new relay"
else
	fail "A: $PA -> $PB replaced the relay though $PB was allowed"
	show_log "$NSP_LOG" 15
fi
touch "$TRIG"
wait_done "$HOLD" 15
client_verdict "$DONE_RC" "$TMPDIR_TEST/hold.log" \
	"A: the connection opened before the reload (to $PA) still echoes" \
	"A: the connection opened before the reload did not survive it" 15

# 2. A port the relay was not started with: a new relay takes over.
write_conf "tcp-ports = $A:$PC" "tcp-ports = $B:$PB"
reload_churned "A: $PB -> $PC (a new port: new relay)" "$PB,$PC|$PC"
if grep -q 'relay replaced' "$NSP_LOG"; then
	ok "A: $PB -> $PC started a new relay ($(grep -m1 'relay replaced' "$NSP_LOG"))"
else
	fail "A: $PB -> $PC: no 'relay replaced' in the log although $PC is new"
fi
if [[ $(listen_inodes "$A") == "$INO_A" ]]; then
	ok "A: $PB -> $PC kept A's listening sockets ($INO_A)"
else
	fail "A: $PB -> $PC changed A's listening sockets: $INO_A -> $(listen_inodes "$A")"
fi
check "B ($B -> $PB) still answers" nstool ident 127.0.0.1 "$B" --timeout 5 || true
out=$(timeout -k 2 15 "$NSPLICE" ctl "$SOCK" status 2>&1) || true
if grep -q -E ":$A -> $PC " <<<"$out"; then
	ok "ctl status shows A with its new target ($(grep -m1 -E ":$A -> $PC " <<<"$out" | sed "s/^ *//"))"
else
	fail "ctl status does not show A ($A) with its new target $PC"
	indent <<<"$out"
fi

stop_checked ""
finish
