#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_nofile_exhaustion - more connections than RLIMIT_NOFILE allows.
#
# nsplice runs under RLIMIT_NOFILE 1024 (soft and hard, inherited by every
# child; the least nsplice starts with), which leaves the relay about 240
# flows after its reserve (relay/relay.c, fd_reserve()).  Proves, with 600
# framed transfers started at once, each holding its flow for 2 s before
# moving data:
#  - data intact: all 600 complete, every sha256 matches; the ones beyond
#    the limit wait in the kernel's accept backlog and go through as slots
#    free up;
#  - no spin: while the relay is full and 360 clients wait, it uses under
#    10 % of a CPU (a listener left armed at the limit would be reported
#    by a level-triggered epoll again and again);
#  - a warning logged once: the relay says (exactly once for the run) that
#    it reached its connection limit;
#  - afterwards the relay is back to its idle descriptors and serves.
# Why it matters: a forwarder that accepts beyond its descriptors resets
# clients, or fails a recvmsg() of pool sockets (MSG_CTRUNC) and dies.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NOFILE=1024
CONNS=600
NS="nsp-$$-nofile"
make_netns "$NS"
alloc_ports 31500 HX X

start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HX" --bin "$(command -v prlimit)" \
	"$TMPDIR_TEST/nsplice.log" --nofile=$NOFILE:$NOFILE -- "$NSPLICE" \
	-v --netns "$NS" -t "$HX:$X" || die "nsplice did not come up"
# start_nsplice saw prlimit, which exec'd nsplice: same pid.
RELAY=$(relay_pid)
[[ -n $RELAY ]] || die "no relay process found"
LIM=$(awk '/Max open files/ { print $4 }' "/proc/$RELAY/limits")
[[ $LIM == "$NOFILE" ]] && ok "relay runs with RLIMIT_NOFILE $LIM" ||
	fail "relay's RLIMIT_NOFILE is $LIM, expected $NOFILE"
SLOTS=$(sed -n 's/.*flow table: \([0-9]*\) slots.*/\1/p' "$NSP_LOG" | head -n1)
note "relay flow table: ${SLOTS:-?} slots"
[[ -n $SLOTS ]] && ((SLOTS < CONNS / 2)) && ok "flow table ($SLOTS) is well below $CONNS" ||
	fail "flow table '${SLOTS:-?}' not below $CONNS: the scenario would not exhaust it"
hostile load 127.0.0.1 "$HX" --conns 1 --up 1K --down 1K >/dev/null ||
	die "a single transfer failed"
SOCKS0=$(sock_count "$RELAY")

hostile load 127.0.0.1 "$HX" --conns $CONNS --max-size 1M --pause-ms 0 \
	--hold-ms 2000 --timeout 60 >"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
LOADPID=$!
cleanup_pid "$LOADPID"
sleep 0.7
OPEN=$(($(sock_count "$RELAY") - SOCKS0))
CPU=$(idle_cpu_pct "$RELAY" 1)
((CPU < 10)) && ok "relay at its limit with clients waiting: ${CPU}% CPU (no spin)" ||
	fail "relay at its limit uses ${CPU}% CPU: spinning"
wait "$LOADPID" || true
OUT=$(cat "$TMPDIR_TEST/load.json")
note "load: $OUT"
load_ok "$CONNS transfers through a relay with room for ${SLOTS:-?}" "$OUT" || true
WARN=$(log_count '^\[(relay|supervisor)\] warning: .*(limit|descriptor)')
((WARN == 1)) && ok "the relay warned once that it reached its limit" ||
	{ fail "the relay warned $WARN times that it reached its limit (want exactly 1)"; show_log "$NSP_LOG" 8; }
(($(log_count 'error:') == 0)) && ok "no error logged" ||
	{ fail "errors logged"; grep 'error:' "$NSP_LOG" | head | indent; }
sock_back() { (($(sock_count "$RELAY") <= SOCKS0 + 32)); }
wait_until 5 sock_back && ok "relay back to idle ($(fd_kinds "$RELAY"))" ||
	fail "relay holds $(fd_kinds "$RELAY"), $SOCKS0 sockets before"
OUT2=$(hostile load 127.0.0.1 "$HX" --conns 20 --max-size 1M) || true
load_ok "transfers after the flood" "$OUT2" || true
figure "rlimit_nofile=$NOFILE flow_slots=$SLOTS connections=$CONNS ok=$(jget "$OUT" ok)" \
	"failed=$(jget "$OUT" failed) (expected 0) corrupt=$(jget "$OUT" corrupt)" \
	"sockets_open_at_peak~$OPEN relay_cpu_at_limit=${CPU}% warnings=$WARN (expected 1)"
assert_still_running
shutdown_nsplice --any-status 3
finish
