#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_maxconns_flood - a connection flood past --max-conns.
#
# NEEDS --max-conns (commit 1ea7d68 and earlier reject the option, so the
# test fails at start on a tree without it).
# nsplice runs with --max-conns 20.  Proves, with 150 framed transfers
# started at once, each holding its flow 2 s before moving data:
#  - the limit holds: while they run, at most 20 connections reach the
#    server (counted in the target namespace), and the relay has at most
#    20 flows' worth of sockets more than when idle;
#  - the rest wait in the accept backlog instead of being reset: all 150
#    complete, every sha256 matches;
#  - no spin: at the limit, with 130 clients waiting, the relay uses under
#    10 % of a CPU;
#  - a warning logged once: exactly one relay warning that the connection
#    limit was reached;
#  - afterwards new connections are served at once.
# Why it matters: --max-conns is the operator's bound on what one
# container's clients can make nsplice hold; past it, clients must queue,
# not fail, and the relay must not busy-loop on a full listener.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

MAX=20
CONNS=150
NS="nsp-$$-maxc"
make_netns "$NS"
alloc_ports 32000 HX X
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" --max-conns $MAX -t "$HX:$X" || die "nsplice --max-conns $MAX did not come up"
RELAY=$(relay_pid)
[[ -n $RELAY ]] || die "no relay process found"
hostile load 127.0.0.1 "$HX" --conns 1 --up 1K --down 1K >/dev/null ||
	die "a single transfer failed"
SOCKS0=$(sock_count "$RELAY")

# server_conns - established connections to the server in the namespace.
server_conns() { in_netns "$NS" ss -Htn state established "( sport = :$X )" | wc -l; }

hostile load 127.0.0.1 "$HX" --conns $CONNS --max-size 256K --pause-ms 0 \
	--hold-ms 2000 --timeout 60 >"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
LOADPID=$!
cleanup_pid "$LOADPID"
sleep 0.7
# Counted while the first MAX flows hold (2 s): past that, a flow that
# closes is replaced at once, and a pool refill landing then would be
# counted beside a full set of flows
RSOCK=$(($(sock_count "$RELAY") - SOCKS0))
PEAK=0
for ((i = 0; i < 10; i++)); do
	c=$(server_conns)
	((c > PEAK)) && PEAK=$c
	sleep 0.1
done
((PEAK <= MAX && PEAK >= MAX / 2)) && ok "at most $MAX connections reach the server (peak $PEAK)" ||
	fail "$PEAK connections reached the server with --max-conns $MAX"
((RSOCK <= 2 * MAX)) && ok "relay holds $RSOCK sockets more than idle (<= $((2 * MAX)))" ||
	fail "relay holds $RSOCK sockets more than idle with --max-conns $MAX"
CPU=$(idle_cpu_pct "$RELAY" 1)
((CPU < 10)) && ok "relay at its limit with clients waiting: ${CPU}% CPU" ||
	fail "relay at its limit uses ${CPU}% CPU: spinning"
wait "$LOADPID" || true
OUT=$(cat "$TMPDIR_TEST/load.json")
note "load: $OUT"
load_ok "$CONNS transfers through --max-conns $MAX" "$OUT" || true
WARN=$(log_count '^\[(relay|supervisor)\] warning: .*(max-conns|limit)')
((WARN == 1)) && ok "the relay warned once that it reached --max-conns" ||
	{ fail "the relay warned $WARN times that it reached --max-conns (want 1)"; show_log "$NSP_LOG" 8; }
OUT2=$(hostile load 127.0.0.1 "$HX" --conns 10 --max-size 64K --timeout 5) || true
load_ok "transfers after the flood" "$OUT2" || true
figure "max_conns=$MAX connections=$CONNS peak_at_server=$PEAK ok=$(jget "$OUT" ok)" \
	"failed=$(jget "$OUT" failed) (expected 0) relay_cpu_at_limit=${CPU}% warnings=$WARN (expected 1)"
assert_still_running
shutdown_nsplice --any-status 3
finish
