#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_counters_relay_replaced - a forward's counters survive the relay's
# replacement.
#
# nsplice --netns NS -u HP:PORT -t HT:PORT --control CTL, echo servers
# (UDP and TCP) in NS.  Ten UDP echoes through HP and one TCP transfer
# through HT (and start_nsplice's readiness probe), no status asked; then `ctl add -t HN:NEWPORT`
# (a TCP target port the running relay may not connect to: a new relay
# is started, the old one drains).  Proves: right after the change, ctl
# status still counts the ten datagrams each way and the UDP flow, and
# the TCP connections and their bytes; and the new relay counts on from
# there (ten more echoes: twenty).
# Why it matters: a replaced relay's counters were taken from its last
# report, so everything since the last status or watchdog ping was lost:
# a UDP forward showed 0 datagrams after the change (found by an
# adversarial review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-cntrepl"
make_netns "$NS"
alloc_ports 32230 HP HT HN PORT NEWPORT
CTL=$TMPDIR_TEST/ctl.sock

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "sink server in $NS did not start"
start_nsplice --wait 127.0.0.1 "$HT" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	--control "$CTL" -u "$HP:$PORT" -t "$HT:$PORT" || die "nsplice did not start"
RELAY0=$(find_role relay)

# counts - "udp_to_server udp_to_client udp_flows tcp_accepted tcp_bytes"
# of the IPv4 forwards on HP and HT
counts() {
	echo "$(ctl_fwd "$CTL" "$HP" udp ipv4 datagrams_to_server \
		datagrams_to_client accepted)" \
		"$(ctl_fwd "$CTL" "$HT" tcp ipv4 accepted bytes_to_server)"
}

# One UDP flow (one socket), ten echoes
ECHO10='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.bind(("127.0.0.1", 0))
n = 0
for i in range(10):
    s.sendto(b"echo %d" % i, ("127.0.0.1", int(sys.argv[1])))
    try:
        n += s.recv(100) == b"echo %d" % i
    except OSError:
        pass
print(n)'
GOT=$(timeout 30 "$PY" -c "$ECHO10" "$HP")
[[ $GOT == 10 ]] || fail "only $GOT of 10 UDP echoes came back before the change"
check "a TCP transfer of 100,000 bytes" nstool send 100000 127.0.0.1 "$HT"

# No status was asked: the relay's last report is from its start
replace_relay "$CTL" "$RELAY0" -t "$HN:$NEWPORT"

read -r U1 U2 UF TA TB <<<"$(counts)"
note "after the change: UDP $U1/$U2 datagrams, $UF flows; TCP $TA connections, $TB bytes"
if [[ $U1 == 10 && $U2 == 10 && $UF == 1 ]]; then
	ok "UDP counters survive the replacement: 10 datagrams each way, 1 flow"
else
	fail "UDP counters after the replacement: $U1/$U2 datagrams, $UF flows (expected 10/10, 1)"
fi
# Two connections: start_nsplice's readiness probe, and the transfer
if [[ $TA == 2 && $TB == 100000 ]]; then
	ok "TCP counters survive the replacement: 2 connections, 100000 bytes"
else
	fail "TCP counters after the replacement: $TA connections, $TB bytes (expected 2, 100000)"
fi

GOT=$(timeout 30 "$PY" -c "$ECHO10" "$HP")
read -r U1 U2 UF TA TB <<<"$(counts)"
if [[ $GOT == 10 && $U1 == 20 && $U2 == 20 ]]; then
	ok "the new relay counts on: 20 datagrams each way"
else
	fail "after ten more echoes ($GOT back): $U1/$U2 datagrams (expected 20/20)"
fi
shutdown_nsplice --any-status 3
finish
