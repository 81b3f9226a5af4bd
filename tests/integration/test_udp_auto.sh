#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_auto - "-u auto" follows the UDP servers of the namespace.
#
# nsplice --netns NS -u auto,PORTS (PORTS the test's own: P1, P2 and a TCP
# port Q), and in the namespace:
#  - a UDP echo server on 127.0.0.1:P1 started before nsplice, and one on
#    P2 started after: both become forwards (the host's 127.0.0.1:P1 and
#    :P2 answer, from those ports);
#  - a TCP listener on Q: no UDP forward for it (nothing on the host's UDP
#    port Q);
#  - a connected UDP socket on an allowed port R (a client, as the
#    relay's flow sockets are) is not taken for a server: no forward;
#  - the server on P2 stops: its forward goes (the host's UDP port P2 is
#    free again), P1's stays.
# Then nsplice --netns NS -U auto alone: a UDP server of the host on S is
# forwarded into NS, but a client socket of the host that sent without
# bind() (an ephemeral port) is not: forwarded, it let the namespace send
# datagrams into the host's client, a DNS answer to a query it never saw.
# Why it matters: `auto` must work on UDP as on TCP (sock_diag
# scan of bound UDP sockets).  On a build without it, "-u auto" is an
# unknown option or finds nothing, and the first check fails.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

# udp_bound PORT - true if a UDP socket is bound to PORT on the host
udp_bound() { [[ -n $(ss -Huan "sport = :$1") ]]; }
# wait_unbound PORT SECONDS - wait until nothing is bound to UDP PORT
wait_unbound() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		udp_bound "$1" || return 0
		sleep 0.1
	done
	return 1
}

NS="nsp-$$-udpauto"
make_netns "$NS"
alloc_ports 23700 P1 P2 Q R S

start_udp_echo "$NS" 127.0.0.1 "$P1"
start_ns_server "$NS" "$TMPDIR_TEST/tcp.log" echo-server "$Q" --addr 127.0.0.1
wait_port 127.0.0.1 "$Q" "$NS" || die "TCP server on $Q did not start"

start_nsplice "$TMPDIR_TEST/nsplice.log" -d --netns "$NS" \
	-u "auto,$P1,$P2,$Q,$R" || die "nsplice did not start"
if udptool wait 127.0.0.1 "$P1" --timeout "$WAIT_TIMEOUT" >/dev/null &&
	udptool client 127.0.0.1 "$P1" --sizes 1,1400 >/dev/null; then
	ok "-u auto: the namespace's UDP server on $P1 is forwarded from the host's 127.0.0.1:$P1"
else
	fail "-u auto: no forward for the UDP server on $P1"
	show_log "$NSP_LOG"
fi

start_bg "$TMPDIR_TEST/echo2.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo 127.0.0.1 "$P2" --lifetime "$LIFETIME"
ECHO2=$BG_PID
if udptool wait 127.0.0.1 "$P2" --timeout "$WAIT_TIMEOUT" >/dev/null; then
	ok "-u auto: a UDP server started later on $P2 is forwarded too"
else
	fail "-u auto: the UDP server started on $P2 was not forwarded"
fi
if udp_bound "$Q"; then
	fail "-u auto: the TCP listener on $Q got a UDP forward"
else
	ok "-u auto: the TCP listener on $Q got no UDP forward"
fi
# A connected UDP socket on an allowed port R (what the relay's flow
# sockets are, on ephemeral ports) is a client, not a server
start_bg "$TMPDIR_TEST/client-r.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.connect(("127.0.0.1", int(sys.argv[2])))
print("connected", flush=True)
time.sleep(float(sys.argv[3]))' "$R" "$P1" "$LIFETIME"
for ((i = 0; i < 50; i++)); do
	grep -q connected "$TMPDIR_TEST/client-r.out" && break
	sleep 0.1
done
sleep 3	# three scans
if udp_bound "$R"; then
	fail "-u auto: a connected UDP socket on $R (a client) got a forward"
else
	ok "-u auto: a connected UDP socket on $R (a client, like flow sockets) got no forward"
fi

kill "$ECHO2"
if wait_unbound "$P2" 10; then
	ok "-u auto: once the server on $P2 is gone, the host's UDP port $P2 is free again"
else
	fail "-u auto: the host's UDP port $P2 still bound 10 s after its server ended"
fi
if udptool client 127.0.0.1 "$P1" --sizes 100 >/dev/null; then
	ok "-u auto: the forward of $P1 is still there"
else
	fail "-u auto: the forward of $P1 went away too"
fi

shutdown_nsplice --any-status 3

# -U auto alone: the host's UDP server on S (below the ephemeral range) is
# forwarded into NS; a client socket of the host that sent without bind()
# (the kernel gave it an ephemeral port, as a resolver's gets) is not
ns_udp_bound() { [[ -n $(ip netns exec "$NS" ss -Huan "sport = :$1") ]]; }
start_bg "$TMPDIR_TEST/hostecho.out" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo 127.0.0.1 "$S" --lifetime "$LIFETIME"
start_bg "$TMPDIR_TEST/eph.out" timeout -k 2 "$LIFETIME" \
	"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"q", ("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[2]))' "$S" "$LIFETIME"
for ((i = 0; i < 50; i++)); do
	E=$(head -n1 "$TMPDIR_TEST/eph.out" 2>/dev/null)
	[[ -n $E ]] && break
	sleep 0.1
done
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
start_nsplice "$TMPDIR_TEST/nsplice-U.log" -v --netns "$NS" -U auto ||
	die "nsplice -U auto did not start"
for ((i = 0; i < 50; i++)); do
	ns_udp_bound "$S" && break
	sleep 0.1
done
if ns_udp_bound "$S"; then
	ok "-U auto: the host's UDP server on $S is forwarded into the namespace"
else
	fail "-U auto: no forward for the host's UDP server on $S"
	show_log "$NSP_LOG"
fi
sleep 2.5	# more scans
if [[ -z $E ]] || ((E < eph_lo || E > eph_hi)); then
	fail "-U auto: the client socket's port '$E' is not in the ephemeral range $eph_lo-$eph_hi"
elif ns_udp_bound "$E"; then
	fail "-U auto: the host's client socket on ephemeral port $E got a forward into the namespace"
else
	ok "-U auto: the host's client socket on ephemeral port $E got no forward"
fi
# ... and -v says why, so a user looking for that port finds out
if grep -q -- "-U auto: ports $eph_lo-$eph_hi (the ephemeral range) are left out" "$NSP_LOG"; then
	ok "-U auto: -v names the ephemeral range it leaves out"
else
	fail "-U auto: -v does not say that ports $eph_lo-$eph_hi are left out"
	show_log "$NSP_LOG"
fi
shutdown_nsplice --any-status 3
finish
