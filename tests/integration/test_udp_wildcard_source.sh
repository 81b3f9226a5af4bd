#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_wildcard_source - on a wildcard UDP forward, every reply comes
# from the address the client sent to.
#
# nsplice --netns NS -u '*/HP:PORT' (every address of both families),
# echo servers on the namespace's loopback and external addresses.  The
# host has 10.200.91.1 and a second address 10.200.91.11 on its veth,
# fd00:200:91::1 and fd00:200:91::11 likewise.  A client sends to each of
# 127.0.0.1, 127.0.0.2, 10.200.91.1, 10.200.91.11, ::1, fd00:200:91::1 and
# fd00:200:91::11, port HP, and must get its bytes back from exactly that
# address and port (udptool client), and so must a connected client,
# which the kernel gives no datagram from any other source (as dig).
# Then a -U '*/NP:HPORT' forward, the other way, from inside NS to its
# own external address.
# Why it matters: the kernel picks the source of a datagram sent from a
# wildcard socket by the route back; without IP_PKTINFO the relay's
# replies came from 127.0.0.1 for 127.0.0.2, from the primary for a
# secondary address, from a temporary IPv6 address for a stable one, and
# a DNS client dropped them all (found by an adversarial review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-udpwild"
X=91
make_netns "$NS" "$X"
ip addr add "10.200.$X.11/24" dev "$VETH_HOST"
ip addr add "fd00:200:$X::11/64" dev "$VETH_HOST" nodad
alloc_ports 25880 HP PORT NP HPORT

for a in 127.0.0.1 ::1 "10.200.$X.2" "fd00:200:$X::2"; do
	start_udp_echo "$NS" "$a" "$PORT"
done
start_bg "$TMPDIR_TEST/host-echo.out" timeout -k 2 "$LIFETIME" "$PY" "$UDPTOOL" \
	echo 127.0.0.1 "$HPORT" --lifetime "$LIFETIME"
udptool wait 127.0.0.1 "$HPORT" --timeout 10 >/dev/null ||
	die "the host's UDP echo server on 127.0.0.1:$HPORT did not start"
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" -u "*/$HP:$PORT" \
	-U "*/$NP:$HPORT" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u */$HP never answered"

# CONNECTED - python: a connected socket sends one datagram and must read
# it back (the kernel drops datagrams from any other source for it)
CONNECTED='
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
for attempt in range(5):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((sys.argv[1], int(sys.argv[2])))
    s.send(b"connected %d" % attempt)
    try:
        if s.recv(100) == b"connected %d" % attempt:
            sys.exit(0)
    except OSError as e:
        print("attempt %d: %s" % (attempt, e))
sys.exit(1)
'

for a in 127.0.0.1 127.0.0.2 "10.200.$X.1" "10.200.$X.11" ::1 \
	"fd00:200:$X::1" "fd00:200:$X::11"; do
	check "-u */$HP, sent to $a: replies from $a:$HP" \
		udptool client "$a" "$HP" --sizes 1,1400,65000 || true
	check "-u */$HP, connected to $a: the reply arrives" \
		timeout -k 2 30 "$PY" -c "$CONNECTED" "$a" "$HP" || true
done

# -U: a client in NS sends to its own addresses; the host's echo server
# listens on loopback, which the loopback rule lets only NS's loopback
# clients reach, so the source check is on 127.0.0.1 and 127.0.0.2
for a in 127.0.0.1 127.0.0.2; do
	check "-U */$NP, sent to $a in $NS: replies from $a:$NP" \
		ip netns exec "$NS" timeout -k 2 60 "$PY" "$UDPTOOL" client \
		"$a" "$NP" --sizes 1,1400 || true
done

if grep -q -E '^\[[a-z ]+\] error: ' "$NSP_LOG"; then
	fail "errors logged"
	grep 'error: ' "$NSP_LOG" | head | indent
else
	ok "no error in the log"
fi
finish
