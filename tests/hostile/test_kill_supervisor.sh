#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_kill_supervisor - the supervisor is killed with SIGKILL under load.
#
# Proves, with 200 framed transfers running: after `kill -9` of the
# supervisor no nsplice process survives (relay and agents die by their
# parent-death signal, the relay's re-armed after its uid change) within
# 1 s, the forwarded port stops listening, every transfer ends (none
# hangs) and none completes with wrong data.
# Why it matters: a relay orphaned by a crashed supervisor would keep
# forwarding with nobody to stop or restart it; a service manager expects
# the whole tree gone.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NS="nsp-$$-ksup"
make_netns "$NS"
alloc_ports 31850 HX X
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "$HX:$X" || die "nsplice did not come up"
note "processes: $(nsplice_ps 'pid=,args=' | paste -sd';' -)"

hostile load 127.0.0.1 "$HX" --conns 200 --min-size 1M --pause-ms 200 --seed 13 \
	--timeout 60 >"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
LOADPID=$!
cleanup_pid "$LOADPID"
sleep 1.5
kill -KILL "$NSP_PID"
note "kill -9 $NSP_PID (supervisor)"
assert_no_nsplice_procs "no nsplice process survives the supervisor's SIGKILL"
port_gone() { ! port_listening "$HX"; }
wait_until 2 port_gone && ok "port $HX no longer listening" ||
	fail "port $HX still listening after the supervisor died"
T0=$(date +%s)
wait "$LOADPID" || true
OUT=$(cat "$TMPDIR_TEST/load.json")
note "load: $OUT"
(($(date +%s) - T0 <= 20)) && ok "every transfer ended within $(($(date +%s) - T0)) s" ||
	fail "transfers still ran $(($(date +%s) - T0)) s after the kill"
KINDS=$(jget "$OUT" kinds)
[[ $(jget "$OUT" corrupt) == 0 ]] && ok "no transfer completed corrupt" ||
	fail "$(jget "$OUT" corrupt) transfers completed with wrong data"
[[ $KINDS != *timeout* ]] && ok "no transfer hung: $KINDS" || fail "transfers hung: $KINDS"
figure "transfers=200 $KINDS corrupt=$(jget "$OUT" corrupt) survivors=0 expected"
finish
