#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_reload - UDP forwards come and go at run time, alone.
#
# nsplice -c FILE (udp-ports = A:PA) --control SOCK, echo servers for A, B
# and C in the namespace.  While one client flow sends through A every
# 100 ms for the whole test (it must lose nothing and stay ONE source at
# the target, so A's flow and socket were never touched):
#  - the file gains "udp-ports = B:PB" and SIGHUP: B answers;
#  - `nsplice ctl SOCK add -u C:PC`: C answers, `status` lists it with
#    source ctl, counts its bytes and datagrams both ways and its drops
#    by reason;
#  - `nsplice ctl SOCK remove -u B:PB`: B answers no more;
#  - TCP on the same port number as A (-t A:PA in the file) is a separate
#    forward: adding it does not disturb A's UDP flow.  The file starts
#    with a TCP forward X:PA, so the TCP target port PA is one the relay
#    already may reach and no new relay is needed: a change that needs a
#    new relay moves live UDP flows to new sockets, so the target sees a
#    new source port (README, UDP), which is not what this test is about.
# Why it matters: reload and ctl add/remove must change
# UDP forwards without disturbing the others.  On a build without UDP the
# "udp-ports" key is unknown and nsplice does not start.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

# count_lines FILE - lines in FILE, 0 if it does not exist
count_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

NS="nsp-$$-udprl"
make_netns "$NS"
alloc_ports 23600 A PA B PB C PC X
CONF=$TMPDIR_TEST/nsplice.conf
SOCK=$TMPDIR_TEST/ctl.sock

for p in "$PA" "$PB" "$PC"; do
	start_bg "$TMPDIR_TEST/echo-$p.out" ip netns exec "$NS" \
		timeout -k 2 "$LIFETIME" "$PY" "$UDPTOOL" echo 127.0.0.1 "$p" \
		--log "$TMPDIR_TEST/src-$p.log" --lifetime "$LIFETIME"
	ip netns exec "$NS" timeout 20 "$PY" "$UDPTOOL" wait 127.0.0.1 "$p" \
		--timeout 10 >/dev/null || die "echo server on $p did not start"
done

printf 'udp-ports = %s:%s\ntcp-ports = %s:%s\n' "$A" "$PA" "$X" "$PA" >"$CONF"
start_nsplice "$TMPDIR_TEST/nsplice.log" -v -c "$CONF" --control "$SOCK" \
	--netns "$NS" || die "nsplice did not start"
udptool wait 127.0.0.1 "$A" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	{ show_log "$NSP_LOG"; die "udp-ports $A:$PA never answered"; }
ok "config file: udp-ports = $A:$PA answers"

SRC0=$(count_lines "$TMPDIR_TEST/src-$PA.log")
start_bg "$TMPDIR_TEST/persist.out" timeout -k 2 60 "$PY" "$UDPTOOL" \
	persist 127.0.0.1 "$A" --duration 8
PERSIST=$BG_PID

# SIGHUP adds B (and TCP on A's port number)
printf 'udp-ports = %s:%s\nudp-ports = %s:%s\n' "$A" "$PA" "$B" "$PB" >"$CONF"
printf 'tcp-ports = %s:%s\ntcp-ports = %s:%s\n' "$X" "$PA" "$A" "$PA" >>"$CONF"
kill -HUP "$NSP_PID"
wait_line "$NSP_LOG" 'reload applied' 5 || fail "SIGHUP: no 'reload applied' in 5 s"
if udptool wait 127.0.0.1 "$B" --timeout 10 >/dev/null; then
	ok "SIGHUP: the new udp-ports $B:$PB answers"
else
	fail "SIGHUP: udp-ports $B:$PB does not answer"
	show_log "$NSP_LOG"
fi

# ctl add -u C
if timeout 15 "$NSPLICE" ctl "$SOCK" add -u "$C:$PC" >"$TMPDIR_TEST/add.out" 2>&1 &&
	udptool wait 127.0.0.1 "$C" --timeout 10 >/dev/null &&
	udptool client 127.0.0.1 "$C" --sizes 100,1000 >/dev/null; then
	ok "ctl add -u $C:$PC: it answers"
else
	fail "ctl add -u $C:$PC: $(cat "$TMPDIR_TEST/add.out")"
fi
timeout 15 "$NSPLICE" ctl "$SOCK" status >"$TMPDIR_TEST/status.out" 2>&1 || true
line=$(grep -E -- "-u 127\.0\.0\.1:$C " "$TMPDIR_TEST/status.out" | head -n1 || true)
if [[ $line =~ source\ ctl && $line =~ bytes\ c-\>s\ ([0-9]+)\ s-\>c\ ([0-9]+) ]] &&
	((BASH_REMATCH[1] >= 1100 && BASH_REMATCH[2] >= 1100)); then
	ok "ctl status: $line"
else
	fail "ctl status has no right line for -u $C"
	indent <"$TMPDIR_TEST/status.out"
fi
udpline=$(grep -A1 -E -- "-u 127\.0\.0\.1:$C " "$TMPDIR_TEST/status.out" | tail -n1)
if [[ $udpline =~ datagrams\ c-\>s\ ([0-9]+)\ s-\>c\ ([0-9]+)\ +drops\ no_socket\ [0-9]+ ]] &&
	((BASH_REMATCH[1] >= 2 && BASH_REMATCH[2] >= 2)); then
	ok "ctl status counts datagrams each way and drops by reason:$udpline"
else
	fail "ctl status has no datagram counters for -u $C: '$udpline'"
fi

# ctl remove -u B
if timeout 15 "$NSPLICE" ctl "$SOCK" remove -u "$B:$PB" >"$TMPDIR_TEST/rm.out" 2>&1 &&
	sleep 0.5 && udptool silent 127.0.0.1 "$B" --wait 1 >/dev/null; then
	ok "ctl remove -u $B:$PB: it answers no more"
else
	fail "ctl remove -u $B:$PB: $(cat "$TMPDIR_TEST/rm.out")"
fi

if wait "$PERSIST"; then
	ok "the flow through $A lost nothing during reload, add and remove: $(tail -n1 "$TMPDIR_TEST/persist.out")"
else
	fail "the flow through $A was disturbed"
	indent <"$TMPDIR_TEST/persist.out"
fi
if grep -q 'relay replaced' "$NSP_LOG"; then
	fail "a new relay was started: the test's changes should not need one"
fi
seen=$(udptool sources "$TMPDIR_TEST/src-$PA.log" --from "$SRC0")
if [[ $seen == "sources 1 "* ]]; then
	ok "it stayed one source at the target (its socket was never replaced)"
else
	fail "it reached the target from more than one source: $seen"
fi

shutdown_nsplice --any-status 3
finish
