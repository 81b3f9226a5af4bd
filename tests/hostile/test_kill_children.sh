#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_kill_children - kill -9 of the relay and of each agent under load.
#
# NEEDS restart with back-off and the control socket (commit 1ea7d68
# and earlier stop nsplice with status 1 on any child's death and reject
# --control), so it fails on a tree without them.
# nsplice runs with --control PATH; for each of relay, agent host, agent
# target in turn, while 100 framed transfers run, the child gets SIGKILL.
# Proves for each:
#  - the forwarded port stays bound throughout (sampled every 50 ms for
#    3 s after the kill: the agent, or the relay's copy, holds it);
#  - a connection attempted right after the kill succeeds (five transfers
#    started within 100 ms of the kill all complete intact);
#  - a new process of that role appears within 5 s (new pid), and
#    `nsplice ctl PATH status --json` reports it running with its restart
#    counted;
#  - nothing lost: no transfer completes with wrong data, none hangs; for
#    an agent's death, every transfer in flight completes (the relay holds
#    the flows, an agent only listeners and spare sockets);
# and at the end nsplice stops on SIGTERM with status 0, leaving nothing.
# Why it matters: a crash of one sandboxed process must cost at most the
# connections it carried, never the service.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NS="nsp-$$-kchild"
make_netns "$NS"
alloc_ports 32100 HX X
CTL="$TMPDIR_TEST/ctl.sock"
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" --control "$CTL" -t "$HX:$X" ||
	die "nsplice --control did not come up"

# ctl_proc NAME FIELD - FIELD (pid, state, restarts) of process NAME in
# the JSON status report (found wherever the report lists it).
ctl_proc() {
	timeout 5 "$NSPLICE" ctl "$CTL" status --json 2>/dev/null |
		"$PY" -c 'import json, sys
def walk(o):
    if isinstance(o, dict):
        if o.get("name") == sys.argv[1]:
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
for p in walk(doc):
    print(p.get(sys.argv[2], ""))
    break' "$1" "$2"
}

FIG=""
for role in relay "agent host" "agent target"; do
	OLD=$(find_role "$role") || { fail "$role: no such process"; continue; }
	hostile load 127.0.0.1 "$HX" --conns 100 --min-size 256K --max-size 4M \
		--pause-ms 100 --seed 17 --timeout 30 \
		>"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
	LOADPID=$!
	cleanup_pid "$LOADPID"
	sleep 0.7
	kill -KILL "$OLD"
	note "kill -9 $role ($OLD)"
	sleep 0.1
	DURING=$(hostile load 127.0.0.1 "$HX" --conns 5 --up 64K --down 64K --timeout 10 &
		GONE=0
		for ((i = 0; i < 60; i++)); do
			port_listening "$HX" || GONE=$((GONE + 1))
			sleep 0.05
		done
		echo "unbound=$GONE" >"$TMPDIR_TEST/bound.txt"
		wait) || true
	GONE=$(sed -n 's/unbound=//p' "$TMPDIR_TEST/bound.txt")
	[[ $GONE == 0 ]] && ok "$role killed: port $HX stayed bound (60 samples over 3 s)" ||
		fail "$role killed: port $HX was not listening in ${GONE:-?} of 60 samples"
	load_ok "$role killed: connections attempted during the restart" "$DURING" || true
	newer() { NEW=$(find_role "$role") && [[ $NEW != "$OLD" ]]; }
	if wait_until 5 newer; then
		ok "$role restarted: pid $OLD -> $NEW"
	else
		fail "$role not restarted within 5 s"
		show_log "$NSP_LOG" 8
	fi
	R=$(ctl_proc "$role" restarts) || true
	S=$(ctl_proc "$role" state) || true
	[[ -n $R ]] && ((R >= 1)) && [[ $S == running ]] &&
		ok "$role: ctl status says $S, restarts $R" ||
		fail "$role: ctl status says state '${S:-?}', restarts '${R:-?}'"
	wait "$LOADPID" || true
	OUT=$(cat "$TMPDIR_TEST/load.json")
	note "$role load: $OUT"
	KINDS=$(jget "$OUT" kinds)
	if [[ $role == relay ]]; then
		[[ $(jget "$OUT" corrupt) == 0 && $KINDS != *timeout* ]] &&
			ok "$role killed: no transfer corrupt or hung: $KINDS" ||
			fail "$role killed: $KINDS, corrupt $(jget "$OUT" corrupt)"
	else
		load_ok "$role killed: every transfer in flight completes" "$OUT" || true
	fi
	FIG="$FIG; $role: unbound_samples=${GONE:-?} during=$(jget "$DURING" ok)/5 inflight=$KINDS"
	pid_alive "$NSP_PID" || die "nsplice died after $role was killed"
	nsplice_snapshot
done
figure "${FIG#; }"
stop_nsplice TERM 3 || fail "SIGTERM: nsplice still running after 3 s"
[[ ${NSP_RC:-} == 0 ]] && ok "SIGTERM: exit status 0" || fail "SIGTERM: exit status ${NSP_RC:-none}"
assert_no_nsplice_procs
finish
