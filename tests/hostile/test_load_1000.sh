#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_load_1000 - 1,000 concurrent connections, 1 byte to 8 MiB each way.
#
# Proves: 1,000 framed transfers started at once through one -t forward
# (sizes log-uniform from 1 byte to 8 MiB, drawn independently for each
# direction, the four extreme pairs included; both senders pause at
# random up to 20 ms) all complete, and every one's sha256 matches in both
# directions (hostile.py "xfer": the client checks what it received
# against the stream and what the server received against what it sent,
# and that EOF follows).  Afterwards the relay is back to its idle
# descriptor count (no flow, pipe or socket leaked), idles at ~0 % CPU,
# and still forwards.
# Why it matters: concurrency bugs of a splice relay (a pipe lent to two
# flows, a stale epoll event for a reused slot, a missed half-close) show
# up as a few corrupt or hung transfers among many.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

CONNS=${HOSTILE_CONNS:-1000}
NS="nsp-$$-load"
make_netns "$NS"
alloc_ports 31000 HPORT PORT

start_hostile_server "$NS" "$TMPDIR_TEST/srv.log" xfer-server "$PORT"
wait_port 127.0.0.1 "$PORT" "$NS" || die "xfer server in $NS did not start"
start_nsplice --wait 127.0.0.1 "$HPORT" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "$HPORT:$PORT" || die "nsplice did not come up"
RELAY=$(relay_pid)
[[ -n $RELAY ]] || die "no relay process found"
# The relay's own pipe ends (log, low descriptors), and any pipe that
# start_nsplice's probe connection left in the pool, before the load
PIPES0=$(pipe_count "$RELAY")
# One short transfer first, so the pools and first pipes exist.
hostile load 127.0.0.1 "$HPORT" --conns 1 --up 1K --down 1K >/dev/null ||
	die "a single transfer failed"
SOCKS0=$(sock_count "$RELAY")

OUT=$(hostile load 127.0.0.1 "$HPORT" --conns "$CONNS" --pause-ms 20 \
	--seed 7 --timeout 120) || true
note "load: $OUT"
load_ok "$CONNS concurrent transfers, 1 B..8 MiB each way, random pauses" "$OUT" || true
[[ $(jget "$OUT" min_size) == 1 && $(jget "$OUT" max_size) == 8388608 ]] &&
	ok "sizes span 1 byte to 8 MiB" ||
	fail "sizes were $(jget "$OUT" min_size)..$(jget "$OUT" max_size)"
figure "connections=$(jget "$OUT" conns) ok=$(jget "$OUT" ok)" \
	"failed=$(jget "$OUT" failed) (expected 0) corrupt=$(jget "$OUT" corrupt)" \
	"bytes_up=$(jget "$OUT" bytes_up) bytes_down=$(jget "$OUT" bytes_down)" \
	"secs=$(jget "$OUT" secs)"

assert_still_running
pid_alive "$RELAY" && ok "the same relay still running" || fail "the relay died"

# Every flow has closed: the relay's sockets return to their idle number
# (channels, listeners, the pool, which may hold up to POOL_FILL_GOAL = 32
# more than it did before; refills may still be on their way, hence the
# short wait) and at most PIPE_POOL_FDS pipe ends stay for reuse, beside
# the PIPES0 the relay held before the load.
fds_back() {
	(($(sock_count "$RELAY") <= SOCKS0 + 32 &&
		$(pipe_count "$RELAY") <= PIPES0 + PIPE_POOL_FDS))
}
if wait_until 5 fds_back; then
	ok "relay descriptors back to idle: $(fd_kinds "$RELAY") (sockets before: $SOCKS0, pipe ends before: $PIPES0)"
else
	fail "relay holds $(fd_kinds "$RELAY") after the load, $SOCKS0 sockets before, at most $PIPES0 + $PIPE_POOL_FDS pipe ends allowed"
	# Which flows are still open, and in what state
	note "relay's TCP sockets on the host side, then in $NS:"
	ss -tanpH 2>/dev/null | grep "pid=$RELAY," | indent || true
	ip netns exec "$NS" ss -tanpH 2>/dev/null | grep "pid=$RELAY," | indent || true
fi
CPU=$(idle_cpu_pct "$RELAY" 2)
((CPU <= 5)) && ok "relay idles after the load (${CPU}% CPU over 2 s)" ||
	fail "relay uses ${CPU}% CPU while idle: spinning"

OUT=$(hostile load 127.0.0.1 "$HPORT" --conns 4 --up 1M --down 1M) || true
load_ok "fresh transfers after the load" "$OUT" || true
(($(log_count 'error:') == 0)) && ok "no error in the log" ||
	{ fail "errors logged"; grep 'error:' "$NSP_LOG" | head | indent; }

shutdown_nsplice --any-status 3
finish
