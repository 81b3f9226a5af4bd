#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_full_target - a UDP target that never reads costs nsplice
# nothing: no queue, no busy loop, no harm to another forward.
#
# nsplice --netns NS -u HP:PORT -u HP2:PORT2: on PORT a "sink" binds with
# the smallest receive buffer and never reads; on PORT2 an echo server.
# A client sends 20,000 datagrams of 1,400 bytes (27 MB) to HP as fast as
# it can.  Then:
#  - the kernel of NS counts receive-buffer drops (UdpRcvbufErrors): the
#    datagrams the sink could not take were dropped there, at the full
#    buffer, not held anywhere on the way;
#  - the relay's resident memory grew by less than 8 MiB (what it could
#    have queued was 27 MB) and ctl status counts the datagrams it passed
#    on, and every one it did not as a drop (sent = passed + dropped);
#  - once the flood is over, the relay uses less than 0.2 s of CPU in 2 s:
#    it does not spin on the full target (a relay that waited for EPOLLOUT
#    or retried would);
#  - the other forward answers during and after, from the same relay;
#  - a burst into that forward while the relay is stopped: what its
#    listener dropped is counted though no datagram came after the drops.
# On loopback a send to a full receive buffer does not fail (the datagram
# is dropped at the receiver), so nsplice's sends to the sink never fail:
# the kernel of NS counts those drops.  nsplice's own listening socket,
# though, drops what the relay cannot read in time, and those are counted
# (buffer_full, from SO_RXQ_OVFL): sent = passed on + counted as dropped.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-udpfull"
CTL=$TMPDIR_TEST/ctl.sock
make_netns "$NS"
alloc_ports 23880 HP PORT HP2 PORT2

# The sink: smallest receive buffer, never reads, lives for the test
start_udp_hold "$TMPDIR_TEST/sink.out" ip netns exec "$NS" -- 127.0.0.1 "$PORT" \
	--rcvbuf 1
start_udp_echo "$NS" 127.0.0.1 "$PORT2"

start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" \
	-u "$HP:$PORT" -u "$HP2:$PORT2" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP2" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP2 never answered"
RELAY=$(find_role relay) || die "no relay"

# rss_kb PID - resident memory
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID - user + system time
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# rcvbuf_errors - UdpRcvbufErrors of NS
rcvbuf_errors() {
	ip netns exec "$NS" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

rss0=$(rss_kb "$RELAY")
err0=$(rcvbuf_errors)
"$PY" - "$HP" >"$TMPDIR_TEST/flood.out" 2>&1 <<'EOF' || fail "the flood client failed: $(cat "$TMPDIR_TEST/flood.out")"
import select, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
payload = b"x" * 1400
sent = 0
end = time.monotonic() + 20
while sent < 20000 and time.monotonic() < end:
    try:
        s.sendto(payload, ("127.0.0.1", int(sys.argv[1])))
        sent += 1
    except BlockingIOError:
        select.select([], [s], [], 0.05)
print("sent %d" % sent)
EOF
note "flood: $(cat "$TMPDIR_TEST/flood.out") datagrams of 1400 bytes to -u $HP"
if udptool client 127.0.0.1 "$HP2" --sizes 1,1400 >/dev/null; then
	ok "-u $HP2 answers right after the flood into the full target"
else
	fail "-u $HP2 does not answer after the flood"
fi
err1=$(rcvbuf_errors)
if ((err1 - err0 > 1000)); then
	ok "the kernel of $NS dropped $((err1 - err0)) datagrams at the sink's full buffer"
else
	fail "only $((err1 - err0)) receive-buffer drops in $NS: the flood did not fill the sink"
fi
rss1=$(rss_kb "$RELAY")
if ((rss1 - rss0 < 8192)); then
	ok "the relay's resident memory grew by $((rss1 - rss0)) KiB for 27 MB sent: nothing queued"
else
	fail "the relay's resident memory grew by $((rss1 - rss0)) KiB during the flood"
fi
line=$(timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
	grep -A1 -E -- "-u 127\.0\.0\.1:$HP " | tail -n1)
if [[ $line =~ datagrams\ c-\>s\ ([0-9]+) ]] && ((BASH_REMATCH[1] > 1000)); then
	ok "ctl status counts the datagrams passed on:$line"
else
	fail "ctl status has no datagram count for -u $HP: '$line'"
fi
# Every datagram sent is passed on or counted as dropped, including those
# nsplice's own listening socket dropped at its full receive buffer (the
# kernel's SO_RXQ_OVFL count): the client's sends never fail on loopback.
sent=$(sed -n 's/^sent \([0-9]*\)$/\1/p' "$TMPDIR_TEST/flood.out")
passed=$(sed -n 's/.*datagrams c->s \([0-9]*\).*/\1/p' <<<"$line")
dropped=$(grep -o -E '(no_socket|flow_limit|buffer_full|refused|truncated) [0-9]+' <<<"$line" |
	awk '{ n += $2 } END { print n + 0 }')
if [[ -n $sent && -n $passed ]] && ((passed + dropped == sent)); then
	ok "all $sent datagrams accounted for: $passed passed on, $dropped counted as dropped"
else
	fail "sent ${sent:-?}, passed on ${passed:-?}, counted as dropped $dropped: some went uncounted"
fi

c0=$(cpu_ticks "$RELAY")
sleep 2
c1=$(cpu_ticks "$RELAY")
hz=$(getconf CLK_TCK)
if (((c1 - c0) * 10 < 2 * hz)); then
	ok "after the flood the relay used $((c1 - c0)) ticks of CPU in 2 s (of $hz per s): no busy loop"
else
	fail "after the flood the relay used $((c1 - c0)) ticks of CPU in 2 s: it spins"
fi
# The same sum when the drops come last: with the relay stopped, the
# listener's buffer fills and drops the rest of a burst, and no datagram
# after it carries the kernel's count (SO_RXQ_OVFL comes with the next
# datagram).  ctl status must still count them.
# counts PORT - "passed dropped" for -u 127.0.0.1:PORT from ctl status
counts() {
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		grep -A1 -E -- "-u 127\.0\.0\.1:$1 " | tail -n1 | awk '{
			for (i = 1; i < NF; i++) {
				if ($i == "c->s") p = $(i + 1)
				if ($i ~ /^(no_socket|flow_limit|buffer_full|refused|truncated)$/)
					d += $(i + 1)
			}
		} END { print p + 0, d + 0 }'
}
read -r p0 d0 < <(counts "$HP2")
kill -STOP "$RELAY"
"$PY" - "$HP2" >"$TMPDIR_TEST/burst.out" 2>&1 <<'EOF' || fail "the burst client failed: $(cat "$TMPDIR_TEST/burst.out")"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(b"y" * 1400, ("127.0.0.1", int(sys.argv[1])))
print("sent 2000")
EOF
kill -CONT "$RELAY"
for ((i = 0; i < 50; i++)); do
	read -r p1 d1 < <(counts "$HP2")
	((p1 - p0 + d1 - d0 >= 2000)) && break
	sleep 0.1
done
if ((d1 > d0 && p1 - p0 + d1 - d0 == 2000)); then
	ok "a burst of 2000 into a stopped relay: $((p1 - p0)) passed on, $((d1 - d0)) counted as dropped, with no datagram after"
else
	fail "a burst of 2000 into a stopped relay: $((p1 - p0)) passed on, $((d1 - d0)) counted as dropped"
fi

if udptool client 127.0.0.1 "$HP2" --sizes 1,1400,65000 >/dev/null &&
	[[ $(find_role relay) == "$RELAY" ]]; then
	ok "the same relay still serves -u $HP2"
else
	fail "-u $HP2 is not served by the same relay any more"
fi

shutdown_nsplice --any-status 3
finish
