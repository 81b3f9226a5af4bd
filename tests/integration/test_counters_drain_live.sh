#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_counters_drain_live - a connection live across the relay's
# replacement is counted: open while it runs, every byte once it ends.
#
# nsplice --netns NS -t HT:PORT --control CTL, a sink server in NS.  A
# client sends 8 MiB through HT, paced to last about four seconds, and
# reads the sink's answer (sha256 hex + newline, 65 bytes); half a second
# in, `ctl add -t HN:NEWPORT` (a TCP target port the running relay may not
# connect to) starts a new relay and the old one drains, still carrying
# the transfer.  Proves: while it runs, ctl status shows the forward with
# a connection open; once it ended and the old relay exited, the
# forward's counters hold all 8 MiB client to server and the answer back,
# and nothing is open any more.  Likewise for UDP (-u HU:UPORT, an echo
# server in NS that answers after 1.5 s): three requests sent just before
# the change are answered during the old relay's grace, through it, and
# those three datagrams back are counted.
# Why it matters: the supervisor counted only the relay in service; the
# draining one's connection showed as "open 0" and its bytes after the
# replacement were never counted (10.9 MB of 11.7 MB uncounted in a
# review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-cntdrain"
make_netns "$NS"
alloc_ports 32300 HT HN HU PORT NEWPORT UPORT
CTL=$TMPDIR_TEST/ctl.sock
SIZE=$((8 << 20))

start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "sink server in $NS did not start"
# UDP echo, each answer 1.5 s late: in flight across the replacement
SLOW_ECHO='
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2000)
    time.sleep(1.5)
    s.sendto(d, a)'
start_bg "$TMPDIR_TEST/slowecho.out" ip netns exec "$NS" \
	timeout -k 2 "$LIFETIME" "$PY" -c "$SLOW_ECHO" "$UPORT"
for ((i = 0; i < 50; i++)); do
	[[ -n $(ip netns exec "$NS" ss -Hunl "sport = :$UPORT") ]] && break
	sleep 0.1
done
start_nsplice --wait 127.0.0.1 "$HT" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	--control "$CTL" -t "$HT:$PORT" -u "$HU:$UPORT" || die "nsplice did not start"
RELAY0=$(find_role relay) || die "no relay found"

read -r B0S B0C <<<"$(ctl_fwd "$CTL" "$HT" tcp ipv4 bytes_to_server \
	bytes_to_client)"
[[ -n $B0C ]] || die "no status before the transfer"

# SIZE bytes in 64 KiB chunks every 30 ms (about 4 s), then the answer
SLOW_SEND='
import socket, sys, time
size, port = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
chunk = b"x" * 65536
sent = 0
while sent < size:
    s.sendall(chunk[:size - sent])
    sent += min(len(chunk), size - sent)
    time.sleep(0.03)
s.shutdown(socket.SHUT_WR)
answer = b""
while len(answer) < 100:
    b = s.recv(100)
    if not b:
        break
    answer += b
print(sent, len(answer))'
start_bg "$TMPDIR_TEST/send.out" timeout -k 2 60 "$PY" -c "$SLOW_SEND" \
	"$SIZE" "$HT"
SENDER=$BG_PID
sleep 0.3

# Three requests on one flow; their answers come back in the grace
UDP3='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for i in range(3):
    s.sendto(b"req %d" % i, ("127.0.0.1", int(sys.argv[1])))
n = 0
try:
    for i in range(3):
        n += s.recv(100).startswith(b"req ")
except OSError:
    pass
print(n)'
start_bg "$TMPDIR_TEST/udp.out" timeout -k 2 20 "$PY" -c "$UDP3" "$HU"
UDPCLIENT=$BG_PID
sleep 0.2

replace_relay "$CTL" "$RELAY0" -t "$HN:$NEWPORT"

read -r OPEN MIDS <<<"$(ctl_fwd "$CTL" "$HT" tcp ipv4 open bytes_to_server)"
if pid_alive "$SENDER" && pid_alive "$RELAY0"; then
	note "mid-transfer, on the draining relay: open $OPEN, $((MIDS - B0S)) bytes counted"
	[[ ${OPEN:-0} -ge 1 ]] &&
		ok "ctl status shows the transfer on the draining relay as open ($OPEN)" ||
		fail "ctl status shows open ${OPEN:-none} while the transfer runs on the draining relay"
else
	fail "the transfer or the old relay ended before the replacement was done: the test proves nothing"
fi

for ((i = 0; i < 300; i++)); do
	pid_alive "$SENDER" || break
	sleep 0.1
done
for ((i = 0; i < 100; i++)); do
	pid_alive "$UDPCLIENT" || break
	sleep 0.1
done
read -r SENT ANSWER <"$TMPDIR_TEST/send.out" || true
[[ $SENT == "$SIZE" && $ANSWER == 65 ]] &&
	ok "the transfer completed: $SENT bytes sent, $ANSWER bytes answered" ||
	fail "the transfer did not complete: $(cat "$TMPDIR_TEST/send.out")"
for ((i = 0; i < 100; i++)); do
	pid_alive "$RELAY0" || break
	sleep 0.1
done
pid_alive "$RELAY0" && fail "the old relay (pid $RELAY0) still runs with no flow left" ||
	ok "the old relay exited with its last flow"

read -r OPEN S C <<<"$(ctl_fwd "$CTL" "$HT" tcp ipv4 open bytes_to_server \
	bytes_to_client)"
note "after the transfer: open $OPEN, $((S - B0S)) bytes to the server, $((C - B0C)) back"
if ((S - B0S >= SIZE && C - B0C >= 65)); then
	ok "every byte of the transfer is counted: $((S - B0S)) to the server, $((C - B0C)) back"
else
	fail "counted $((S - B0S)) of $SIZE bytes to the server, $((C - B0C)) of 65 back"
fi
[[ $OPEN == 0 ]] && ok "nothing open once the old relay exited" ||
	fail "open $OPEN after every connection ended"
read -r UGOT <"$TMPDIR_TEST/udp.out" || true
read -r D1 D2 <<<"$(ctl_fwd "$CTL" "$HU" udp ipv4 datagrams_to_server \
	datagrams_to_client)"
[[ $UGOT == 3 ]] && ok "the three UDP answers came back during the grace" ||
	fail "UDP answers: ${UGOT:-none} of 3"
[[ $D1 == 3 && $D2 == 3 ]] &&
	ok "UDP answers the draining relay sent are counted: 3 datagrams each way" ||
	fail "UDP datagrams counted: $D1 to the server, $D2 back (expected 3, 3)"
shutdown_nsplice --any-status 3
finish
