#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_send_errors - a datagram the relay cannot send costs only
# itself, and ctl status counts it under the right name.
#
# nsplice --netns NS -d -u '[::1]/HP:127.0.0.1/PORT' (an IPv6 listener,
# an IPv4 target, an echo server there) -u HP2:PORT2 (nothing listens on
# PORT2).  Proves:
#  - an IPv6 client's 65,527-byte datagram, legal over IPv6 but larger
#    than IPv4 can carry (65,507), is dropped alone: the five small
#    datagrams sent right after it on the same flow, in the same batch,
#    are all answered, three rounds over; status counts the big ones as
#    drops.truncated (3) and none as refused;
#  - ICMP errors (port unreachable) that the relay's sends run into are
#    counted in the forward's "errors", as the ones its reads run into:
#    the figure ctl status shows equals the relay's own count, which its
#    debug line gives when the forward is removed.
# Why it matters: one oversized datagram used to drop the rest of its
# flow's batch, counted as "refused" (an ICMP reason), and errors missed
# every ICMP error met on the sending side (found by an adversarial
# review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-udpsenderr"
make_netns "$NS"
alloc_ports 32220 HP HP2 PORT PORT2
CTL=$TMPDIR_TEST/ctl.sock

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_nsplice "$TMPDIR_TEST/nsplice.log" -d --netns "$NS" --control "$CTL" \
	-u "[::1]/$HP:127.0.0.1/$PORT" -u "127.0.0.1/$HP2:$PORT2" ||
	die "nsplice did not start"
udptool wait ::1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u [::1]/$HP never answered"

OUT=$(timeout 30 "$PY" - "$HP" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1.0)
want = set()
for rnd in range(3):
    s.sendto(b"B" * 65527, ("::1", int(sys.argv[1])))
    for i in range(5):
        p = b"small %d %d" % (rnd, i)
        want.add(p)
        s.sendto(p, ("::1", int(sys.argv[1])))
    time.sleep(0.2)
got = set()
end = time.monotonic() + 3
while want - got and time.monotonic() < end:
    try:
        got.add(s.recv(70000))
    except socket.timeout:
        break
print("answered %d/%d" % (len(want & got), len(want)))
PYEOF
) || true
if [[ $OUT == "answered 15/15" ]]; then
	ok "each 65,527-byte datagram dropped alone: the 15 small ones after them $OUT"
else
	fail "small datagrams behind an oversized one: ${OUT:-no answer}"
fi
read -r TRUNC REF <<<"$(ctl_fwd "$CTL" "$HP" udp ipv6 truncated refused)"
if [[ $TRUNC == 3 && $REF == 0 ]]; then
	ok "status counts the 3 oversized datagrams as truncated, none as refused"
else
	fail "status: truncated ${TRUNC:-?} refused ${REF:-?} (expected 3 and 0)"
fi

# Bursts to a port nothing listens on: ICMP errors on both paths
timeout 30 "$PY" - "$HP2" <<'PYEOF' || fail "the burst client failed"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for burst in range(3):
    for i in range(30):
        s.sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.3)
PYEOF
sleep 0.5
ERRS=$(ctl_fwd "$CTL" "$HP2" udp ipv4 errors)
if "$NSPLICE" ctl "$CTL" remove -u "127.0.0.1/$HP2:$PORT2" >"$TMPDIR_TEST/rm.out" 2>&1; then
	for ((i = 0; i < 50; i++)); do
		grep -q "ICMP errors" "$NSP_LOG" && break
		sleep 0.1
	done
else
	fail "ctl remove failed: $(cat "$TMPDIR_TEST/rm.out")"
fi
RELAY_ERRS=$(sed -n 's/.*UDP forward [0-9]*: .*; \([0-9]*\) ICMP errors$/\1/p' "$NSP_LOG" | tail -n1)
if [[ -n $ERRS && -n $RELAY_ERRS ]] && ((ERRS >= 1 && ERRS == RELAY_ERRS)); then
	ok "status counts every ICMP error the relay met: errors $ERRS, relay $RELAY_ERRS"
else
	fail "status errors ${ERRS:-?}, the relay counted ${RELAY_ERRS:-?} ICMP errors"
	grep "ICMP" "$NSP_LOG" | indent
fi
shutdown_nsplice --any-status 3
finish
