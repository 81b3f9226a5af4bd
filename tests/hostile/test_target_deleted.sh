#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_target_deleted - the target namespace is deleted mid-transfer.
#
# Proves, with 200 framed transfers of up to 8 MiB each way (random pauses
# up to 200 ms, so most are in flight) when `ip netns del` removes the
# target:
#  - nsplice notices, logs "network namespace ... was removed: stopping",
#    exits with status 0 within 3 s and leaves no process behind;
#  - nothing is lost silently: every transfer either completed with both
#    sha256 matching, or failed; none hangs (each ends well within its
#    60 s timeout);
#  - a transfer cut off by the stop sees a reset, never a clean EOF: an
#    unframed protocol (HTTP/1.0, a plain download) would take a FIN for
#    the end of the data.
# Why it matters: a container going away must end its forwards promptly
# and visibly, not leave clients hanging or holding truncated data that
# looks whole.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NS="nsp-$$-gone"
make_netns "$NS"
alloc_ports 31800 HX X
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "$HX:$X" || die "nsplice did not come up"

hostile load 127.0.0.1 "$HX" --conns 200 --min-size 1M --pause-ms 200 --seed 11 \
	--timeout 60 >"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
LOADPID=$!
cleanup_pid "$LOADPID"
sleep 1.5
ip netns del "$NS"
note "ip netns del $NS"
if wait_nsplice_exit 3; then
	[[ $NSP_RC == 0 ]] && ok "nsplice stopped with status 0 in ${NSP_EXIT_MS} ms" ||
		fail "nsplice stopped with status $NSP_RC, expected 0"
else
	fail "nsplice still running 3 s after its target was deleted"
fi
grep -q -E '^\[supervisor\] network namespace .* was removed: stopping' "$NSP_LOG" &&
	ok "the supervisor logged why it stopped" ||
	{ fail "no 'network namespace ... was removed' line"; show_log "$NSP_LOG" 10; }
assert_no_nsplice_procs
T0=$(date +%s)
wait "$LOADPID" || true
OUT=$(cat "$TMPDIR_TEST/load.json")
note "load: $OUT"
(($(date +%s) - T0 <= 20)) && ok "every transfer ended within $(($(date +%s) - T0)) s of the stop" ||
	fail "transfers still ran $(($(date +%s) - T0)) s after the stop"
KINDS=$(jget "$OUT" kinds)
[[ $(jget "$OUT" corrupt) == 0 ]] && ok "no transfer completed corrupt" ||
	fail "$(jget "$OUT" corrupt) transfers completed with wrong data"
[[ $KINDS != *timeout* ]] && ok "no transfer hung: $KINDS" || fail "transfers hung: $KINDS"
TRUNC=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("truncated", 0))' "$KINDS")
((TRUNC == 0)) && ok "no cut-off transfer saw a clean EOF" ||
	fail "$TRUNC cut-off transfers saw a clean EOF instead of a reset"
figure "transfers=200 $KINDS (expected: ok + reset only) corrupt=$(jget "$OUT" corrupt)" \
	"exit_status=${NSP_RC:-none} stop_ms=${NSP_EXIT_MS:-?}"
finish
