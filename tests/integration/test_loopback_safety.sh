#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_loopback_safety - non-loopback clients never reach loopback-only
# services in the namespace unless the user asked for it.
#
# Setup: namespace A has a veth to the host (host 10.200.71.1 /
# fd00:200:71::1, namespace 10.200.71.2 / fd00:200:71::2).  In A an ident
# server (answers the address and port it was reached on) listens ONLY on
# 127.0.0.1 and ::1 port PL; another listens ONLY on A's veth addresses,
# port PE.  nsplice listens on all host addresses (`*/`).  A
# "non-loopback client" is a host socket connecting to the host's veth
# address, so its source address is not a loopback one.
# Proves:
#  - non-loopback client -> */HL:PL is reset without any data (it is sent
#    to A's external address where nothing listens), IPv4 and IPv6, and
#    the log line says so (loopback safety), not "nothing listens there";
#  - loopback client -> */HL:PL reaches the loopback server, same family;
#  - non-loopback client -> */HE:PE reaches the server on A's external
#    address of its own family; a loopback client of HE goes to A's
#    loopback (nothing there: reset);
#  - explicit target */HX:127.0.0.1/PL opts in: the non-loopback client
#    reaches the loopback server;
#  - namespace B with no external address: a non-loopback client is reset
#    without data, and nsplice keeps serving loopback clients.
# Why it matters: services bound to 127.0.0.1 in a container trust their
# clients to be local (admin consoles, debug ports, databases); a
# forwarder that lets the network reach them is a remote hole.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

X=71
NSA="nsp-$$-lsa"
NSB="nsp-$$-lsb"
make_netns "$NSA" "$X"
make_netns "$NSB"
H4=10.200.$X.1
H6=fd00:200:$X::1
A4=10.200.$X.2
A6=fd00:200:$X::2
alloc_ports 27000 HL HE HX HN PL PE

start_ns_server "$NSA" "$TMPDIR_TEST/a-lo.log" ident-server "$PL" --addr 127.0.0.1 --addr ::1
start_ns_server "$NSA" "$TMPDIR_TEST/a-ext.log" ident-server "$PE" --addr "$A4" --addr "$A6"
start_ns_server "$NSB" "$TMPDIR_TEST/b-lo.log" ident-server "$PL" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PL" "$NSA" || die "loopback server in $NSA did not start"
wait_port ::1 "$PL" "$NSA" || die "loopback server in $NSA did not start"
wait_port "$A4" "$PE" "$NSA" || die "external server in $NSA did not start"
wait_port "$A6" "$PE" "$NSA" || die "external server in $NSA did not start"
wait_port ::1 "$PL" "$NSB" || die "loopback server in $NSB did not start"
# The host reaches A's addresses directly (sanity of the setup).
nstool ident "$A4" "$PE" >/dev/null || die "setup: host cannot reach $A4:$PE over the veth"

# expect_ident DESC WANT HOST PORT - the ident line starts with WANT.
expect_ident() {
	local desc=$1 want=$2 out rc=0
	out=$(nstool ident "$3" "$4" 2>&1) || rc=$?
	if ((rc == 0)) && [[ $out == "$want"* ]]; then
		ok "$desc ($out)"
	else
		fail "$desc: expected '$want...', got: $out"
	fi
}

# expect_reset DESC HOST PORT - refused or reset, no data, within 3 s.
expect_reset() {
	check "$1" nstool expect-reset "$2" "$3" || true
}

note "phase 1: namespace $NSA with external addresses $A4 $A6"
if start_nsplice --wait 127.0.0.1 "$HL" --wait "$H4" "$HE" --wait "$H4" "$HX" \
	"$TMPDIR_TEST/nsplice-a.log" --netns "$NSA" \
	-t "*/$HL:$PL" -t "*/$HE:$PE" -t "*/$HX:127.0.0.1/$PL"; then
	expect_reset "non-loopback IPv4 client ($H4) -> */$HL:$PL: reset, loopback-only server not reached" "$H4" "$HL"
	expect_reset "non-loopback IPv6 client ($H6) -> */$HL:$PL: reset, loopback-only server not reached" "$H6" "$HL"
	# the log says why: loopback safety, not "nothing listens there"
	if grep -q -- "-t $HL:$PL: cannot connect to port $PL in the namespace at its external address: Connection refused (the client is not on loopback" "$NSP_LOG"; then
		ok "the refusal's log line names loopback safety: $(grep -m1 'at its external address' "$NSP_LOG")"
	else
		fail "no log line naming loopback safety for the refused non-loopback client"
		show_log "$NSP_LOG"
	fi
	expect_ident "loopback IPv4 client -> */$HL:$PL reaches the namespace's 127.0.0.1" \
		"port=$PL addr=127.0.0.1 " 127.0.0.1 "$HL"
	expect_ident "loopback IPv6 client -> */$HL:$PL reaches the namespace's ::1" \
		"port=$PL addr=::1 " ::1 "$HL"
	expect_ident "non-loopback IPv4 client -> */$HE:$PE reaches the namespace's $A4" \
		"port=$PE addr=$A4 " "$H4" "$HE"
	expect_ident "non-loopback IPv6 client -> */$HE:$PE reaches the namespace's $A6" \
		"port=$PE addr=$A6 " "$H6" "$HE"
	expect_reset "loopback IPv4 client -> */$HE:$PE goes to the namespace's loopback (nothing there): reset" \
		127.0.0.1 "$HE"
	expect_ident "explicit target */$HX:127.0.0.1/$PL: non-loopback IPv4 client reaches the loopback server (opt-in)" \
		"port=$PL addr=127.0.0.1 " "$H4" "$HX"
	expect_ident "after all that, loopback clients are still served" \
		"port=$PL addr=127.0.0.1 " 127.0.0.1 "$HL"
	shutdown_nsplice 2 "phase 1"
fi

note "phase 2: namespace $NSB with loopback only"
if start_nsplice --wait 127.0.0.1 "$HN" --wait "$H4" "$HN" \
	"$TMPDIR_TEST/nsplice-b.log" --netns "$NSB" -t "*/$HN:$PL"; then
	expect_reset "no external address, non-loopback IPv4 client ($H4): reset without data" "$H4" "$HN"
	expect_reset "no external address, non-loopback IPv6 client ($H6): reset without data" "$H6" "$HN"
	expect_ident "no external address: nsplice keeps serving IPv4 loopback clients" \
		"port=$PL addr=127.0.0.1 " 127.0.0.1 "$HN"
	expect_ident "no external address: nsplice keeps serving IPv6 loopback clients" \
		"port=$PL addr=::1 " ::1 "$HN"
	assert_still_running
	shutdown_nsplice 2 "phase 2"
fi

finish
