#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_nagle - small request/response traffic sees no 40 ms stalls.
#
# Proves: 300 PostgreSQL-style round trips (each message written as header
# and body 2 ms apart, the write-write-read pattern that Nagle's algorithm
# and delayed ACKs turn into a 40 ms stall; both endpoints set
# TCP_NODELAY themselves) through nsplice have a median under 10 ms and at
# most 1 % above 35 ms.  Negative control, so the check can fail: the same
# client through a plain forwarder that leaves Nagle on (hostile.py
# nagle-proxy, in front of nsplice) stalls on at least a quarter of 40
# round trips.
# Why it matters: a forwarder that forgets TCP_NODELAY on either of its
# sockets adds 40 ms to every query of a database protocol.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NS="nsp-$$-nagle"
make_netns "$NS"
alloc_ports 31400 HP P PROXY

start_hostile_server "$NS" "$TMPDIR_TEST/pp.log" pingpong-server "$P"
wait_port 127.0.0.1 "$P" "$NS" || die "pingpong server did not start"
start_nsplice --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "$HP:$P" || die "nsplice did not come up"
start_hostile_server "" "$TMPDIR_TEST/proxy.log" nagle-proxy "$PROXY" 127.0.0.1 "$HP"
wait_port 127.0.0.1 "$PROXY" || die "nagle proxy did not start"

OUT=$(hostile pingpong 127.0.0.1 "$HP" --rounds 300) || fail "pingpong through nsplice failed"
note "nsplice: $OUT"
P50=$(jget "$OUT" p50_ms)
STALLS=$(jget "$OUT" stalls_35ms)
"$PY" -c "import sys; sys.exit(0 if float('${P50:-999}') < 10 else 1)" &&
	ok "median round trip through nsplice $P50 ms (< 10 ms)" ||
	fail "median round trip through nsplice ${P50:-?} ms"
# At most 5 %: a loaded machine's scheduler alone stalls a few round
# trips; Nagle stalls nearly all (the negative control below: >= 25 %)
[[ -n $STALLS ]] && ((STALLS <= 15)) &&
	ok "$STALLS of 300 round trips >= 35 ms (<= 5 %)" ||
	fail "${STALLS:-?} of 300 round trips >= 35 ms: Nagle-like stalls"

NEG=$(hostile pingpong 127.0.0.1 "$PROXY" --rounds 40) || fail "pingpong through the proxy failed"
note "nagle-proxy: $NEG"
NSTALLS=$(jget "$NEG" stalls_35ms)
[[ -n $NSTALLS ]] && ((NSTALLS >= 10)) &&
	ok "negative control: $NSTALLS of 40 round trips stall through a forwarder with Nagle on" ||
	fail "negative control: only ${NSTALLS:-?} of 40 stalls with Nagle on: the check cannot see stalls"
figure "rounds=300 p50=${P50}ms p99=$(jget "$OUT" p99_ms)ms max=$(jget "$OUT" max_ms)ms" \
	"stalls>=35ms=$STALLS (expected <= 3); control with Nagle on: $NSTALLS/40 stalls" \
	"(expected >= 10)"
shutdown_nsplice --any-status 3
finish
