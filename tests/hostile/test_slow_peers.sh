#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_slow_peers - slow readers and readers that never read.
#
# Proves, with 16 clients reading 4 KiB every 100 ms and 16 that never
# read, each fed by a server that writes as fast as the path lets it
# (hostile.py slowpeers: both ends in one process, so the bytes written
# and read are counted exactly):
#  - back-pressure holds: what sits between server and client stays
#    within the four socket buffers on the path (tcp_rmem/tcp_wmem maxima
#    of both namespaces) plus 1 MiB (the relay's one 512 KiB pipe and
#    slack), and stops growing (under 1 MiB in the second half);
#  - the slow readers still get their 40 KB/s;
#  - the relay's RSS stays under 64 MiB and grows under 16 MiB; with only
#    the stalled peers connected its pipes stay within one per stalled
#    connection plus the idle pool, and it uses under 30 % of a CPU (no
#    busy loop);
#  - meanwhile other connections keep full speed: a 256 MiB upload and a
#    1,000-transfer load run at >= 50 % of the rate measured before the
#    stalled peers existed, all intact.
# Why it matters: a forwarder that reads while it cannot write buffers
# without bound (memory) or spins on a level-triggered epoll (CPU), and
# one stuck connection then slows every other.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

NS="nsp-$$-slow"
make_netns "$NS"
alloc_ports 31100 HSLOW SLOW HSINK SINK HX X

start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$SINK"
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$SINK" "$NS" || die "sink server did not start"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
start_nsplice --wait 127.0.0.1 "$HSINK" --wait 127.0.0.1 "$HX" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HSLOW:$SLOW" \
	-t "$HSINK:$SINK" -t "$HX:$X" || die "nsplice did not come up"
RELAY=$(relay_pid)
[[ -n $RELAY ]] || die "no relay process found"
# The relay's own pipe ends (log, low descriptors), and any pipe that
# start_nsplice's probe connection left in the pool, before the load
PIPES0=$(pipe_count "$RELAY")

# mbps OUT - the MBps figure of an nstool send line.
mbps() { sed -n 's/.*MBps=\([0-9]*\).*/\1/p' <<<"$1"; }

BASE=$(nstool send 256M 127.0.0.1 "$HSINK") || die "baseline upload failed: $BASE"
BASE_RATE=$(mbps "$BASE")
LBASE=$(hostile load 127.0.0.1 "$HX" --conns 1000 --max-size 1M --pause-ms 0) || true
load_ok "baseline: 1000 transfers up to 1 MiB" "$LBASE" || true
note "baseline: upload $BASE_RATE MB/s, load $(jget "$LBASE" secs) s"

hostile slowpeers --netns "/run/netns/$NS" --tport "$SLOW" --relay-pid "$RELAY" \
	127.0.0.1 "$HSLOW" --slow 16 --never 16 --seconds 12 \
	>"$TMPDIR_TEST/slow.json" 2>"$TMPDIR_TEST/slow.err" &
SLOWPID=$!
cleanup_pid "$SLOWPID"
sleep 3
RATE_OUT=$(nstool send 256M 127.0.0.1 "$HSINK") || fail "upload beside the stalled peers failed: $RATE_OUT"
RATE=$(mbps "$RATE_OUT")
# One more try while the peers still stall (12 s): the alone figure was
# taken seconds earlier, and a busy moment between the two is not a
# slowdown the stalled peers caused
if ((RATE * 2 < BASE_RATE)); then
	note "upload beside stalled peers at $RATE MB/s: measured again"
	RATE_OUT=$(nstool send 256M 127.0.0.1 "$HSINK") || fail "upload beside the stalled peers failed: $RATE_OUT"
	R2=$(mbps "$RATE_OUT")
	((R2 > RATE)) && RATE=$R2
fi
LOUT=$(hostile load 127.0.0.1 "$HX" --conns 1000 --max-size 1M --pause-ms 0) || true
load_ok "1000 transfers beside the stalled peers" "$LOUT" || true
wait "$SLOWPID" || fail "slowpeers tool failed: $(cat "$TMPDIR_TEST/slow.err")"
S=$(cat "$TMPDIR_TEST/slow.json")
note "slowpeers: $S"
[[ -n $S ]] || die "slowpeers printed nothing: $(cat "$TMPDIR_TEST/slow.err")"

((RATE * 2 >= BASE_RATE)) &&
	ok "upload beside stalled peers at $RATE MB/s (alone: $BASE_RATE MB/s)" ||
	fail "upload beside stalled peers at $RATE MB/s, alone $BASE_RATE MB/s (< 50 %)"
LSECS=$(jget "$LOUT" secs)
LBSECS=$(jget "$LBASE" secs)
"$PY" -c "import sys; sys.exit(0 if $LSECS <= 2 * $LBSECS + 1 else 1)" &&
	ok "load beside stalled peers took $LSECS s (alone: $LBSECS s)" ||
	fail "load beside stalled peers took $LSECS s, alone $LBSECS s"

INFL=$(jget "$S" inflight_max)
GROW=$(jget "$S" inflight_growth_2nd_half)
# tcp_max NETNS rmem|wmem - the largest buffer size of the sysctl.
tcp_max() { in_netns "$1" cat "/proc/sys/net/ipv4/tcp_$2" | awk '{ print $3 }'; }
BOUND=$(($(tcp_max pid:$$ rmem) + $(tcp_max pid:$$ wmem) + \
	$(tcp_max "$NS" rmem) + $(tcp_max "$NS" wmem) + (1 << 20)))
((INFL <= BOUND)) &&
	ok "bytes in flight per stalled connection <= $INFL (socket buffers + pipe: $BOUND)" ||
	fail "$INFL bytes in flight on one stalled connection, more than buffers + pipe ($BOUND)"
((GROW < 1 << 20)) && ok "in-flight bytes stop growing (+$GROW in the 2nd half)" ||
	fail "in-flight bytes grew by $GROW in the 2nd half: no back-pressure"
SRATE=$(jget "$S" slow_read_rate_min)
((SRATE >= 30000)) && ok "slow readers still read $SRATE B/s (4 KiB / 100 ms)" ||
	fail "a slow reader got only $SRATE B/s"
[[ $(jget "$S" errors) == "[]" ]] && ok "no stalled connection failed" ||
	fail "stalled connections failed: $(jget "$S" errors)"
RSS0=$(jget "$S" rss_kib_first)
RSS=$(jget "$S" rss_kib_max)
((RSS < 65536 && RSS - RSS0 < 16384)) && ok "relay RSS $RSS KiB (first $RSS0 KiB)" ||
	fail "relay RSS $RSS KiB (first $RSS0 KiB)"
TICKS=$(jget "$S" relay_cpu_ticks)
SECS=$(jget "$S" seconds)
# The upload and the load ran inside the window: they are most of it.
note "relay CPU during the window: $TICKS ticks in $SECS s (incl. the upload and load)"
CPU=$(idle_cpu_pct "$RELAY" 2)
note "relay CPU after the window: ${CPU}%"

# Stalled peers alone: hold 32 again and measure the relay's CPU.
hostile slowpeers --netns "/run/netns/$NS" --tport "$SLOW" --relay-pid "$RELAY" \
	127.0.0.1 "$HSLOW" --slow 16 --never 16 --seconds 4 \
	>"$TMPDIR_TEST/slow2.json" 2>"$TMPDIR_TEST/slow2.err" || true
S2=$(cat "$TMPDIR_TEST/slow2.json")
T2=$(jget "$S2" relay_cpu_ticks)
PIPES=$(jget "$S2" pipes_max)
# 32 stalled connections hold at most one pipe each (one direction moves),
# two ends per pipe; plus the idle pool and the relay's own pipe ends.
PIPES_MAX=$((2 * 32 + PIPE_POOL_FDS + PIPES0))
[[ -n $PIPES ]] && ((PIPES <= PIPES_MAX)) &&
	ok "relay pipe ends with only stalled peers: $PIPES (<= $PIPES_MAX)" ||
	fail "relay holds ${PIPES:-?} pipe ends for 32 stalled connections"
if [[ -n $T2 ]] && ((T2 * 100 < 30 * CLK_TCK * 4)); then
	ok "relay CPU with only stalled peers: $T2 ticks in 4 s (< 30 %)"
else
	fail "relay CPU with only stalled peers: ${T2:-?} ticks in 4 s: spinning"
fi
figure "stalled=32 (16 slow, 16 never) inflight_max=$INFL growth=$GROW" \
	"rss_kib=$RSS pipes=$PIPES upload=$RATE/$BASE_RATE MB/s" \
	"load=$(jget "$LOUT" ok)/1000 ok in $LSECS s (alone $LBSECS s)" \
	"relay_cpu_stalled_only=$T2 ticks/4 s"

assert_still_running
shutdown_nsplice --any-status 3
finish
