#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_spoofed_loopback - a datagram from an IPv4-mapped loopback
# address that came from outside never reaches a loopback-only service.
#
# Echo servers that log every datagram listen only on the namespace's
# loopback (127.0.0.1 and ::1, port PORT).  nsplice --netns NS
# -u '*/HP:PORT' has an IPv6-only wildcard listener on the host.  From
# the namespace's side of the veth (a machine on the host's network), a
# hand-made IPv6 frame (udptool spoof6) carries a UDP datagram to the
# host's fd00:200:X::1, port HP, from ::ffff:127.0.0.1: the kernel drops
# 127.0.0.1 or ::1 from outside, but not an IPv4-mapped source, over UDP.
# Proves:
#  - the injection path works: the same frame from an ordinary remote
#    address (fd00:200:X::9) is counted as a datagram passed on (its flow
#    goes to the namespace's external address, where nothing listens);
#  - the spoofed one reaches neither loopback echo server, is counted as
#    drops.bad_source, and a warning names it;
#  - a genuine local client (127.0.0.1) still reaches them;
#  - a dual-stack wildcard socket from systemd (ListenDatagram=[::]:HP2,
#    V6ONLY off) still serves a genuine IPv4 loopback client, which it
#    sees as ::ffff:127.0.0.1 (its arrival on lo is what tells it apart:
#    nsplice turns on IPV6_RECVPKTINFO on inherited wildcard sockets),
#    while the same spoofed frame to HP2 is dropped there too.  (The
#    client's first datagram, which woke the socket's activation, waited
#    in the socket before that option was on: it carries no device and is
#    dropped as bad_source too; its retry is answered.)  Nor does a
#    spoofed frame from the address and port of a genuine client that has
#    a flow ride that flow: the check is made for every datagram.
# Why it matters: loopback safety (README; SECURITY.md, promise 15) - a
# remote sender reached a service listening only on the namespace's
# loopback through any IPv6 wildcard UDP forward (found by an
# adversarial review, one-way but delivered).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
command -v systemd-socket-activate >/dev/null ||
	die "systemd-socket-activate missing (Debian package systemd)"

NS="nsp-$$-udpspoof"
X=93
make_netns "$NS" "$X"
alloc_ports 32200 HP HP2 PORT SPORT
HOSTMAC=$(cat "/sys/class/net/$VETH_HOST/address")
for a in 127.0.0.1 ::1; do
	start_udp_echo "$NS" "$a" "$PORT" --log "$TMPDIR_TEST/echo-$a.log"
done

# reached - datagrams the loopback-only echo servers have seen
reached() { cat "$TMPDIR_TEST"/echo-*.log 2>/dev/null | wc -l; }

# spoof SRC DPORT PAYLOAD [SPORT] - one frame from the namespace's veth
# to the host, from port SPORT (default 40000)
spoof() {
	ip netns exec "$NS" timeout 10 "$PY" "$UDPTOOL" spoof6 "$VETH_NS" \
		"$HOSTMAC" "$1" "fd00:200:$X::1" "$2" "$3" --sport "${4:-40000}" \
		>/dev/null || die "could not send a frame from $1"
}

# udp_fwd CTL PORT - "passed_on bad_source" of the IPv6 UDP forward on PORT
udp_fwd() { ctl_fwd "$1" "$2" udp ipv6 datagrams_to_server bad_source; }

# wait_dgrams CTL PORT N - until the forward has passed on N datagrams
wait_dgrams() {
	local i
	for ((i = 0; i < 50; i++)); do
		read -r d _ <<<"$(udp_fwd "$1" "$2")"
		[[ ${d:-0} -ge $3 ]] && return 0
		sleep 0.1
	done
	return 1
}

# after_spoof - on the dual-stack forward, wait until bad_source passes
# C1, leaving "passed on" and bad_source in E2 and C2, then a while more
# for a datagram that would get through anyway
after_spoof() {
	local i
	for ((i = 0; i < 30; i++)); do
		read -r E2 C2 <<<"$(udp_fwd "$CTL2" "$HP2")"
		((${C2:-0} > ${C1:-0})) && break
		sleep 0.1
	done
	sleep 0.5
}

# --- an IPv6-only wildcard listener of nsplice's own
CTL=$TMPDIR_TEST/ctl.sock
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" -u "*/$HP:$PORT" \
	--control "$CTL" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u */$HP never answered"
read -r D0 B0 <<<"$(udp_fwd "$CTL" "$HP")"
[[ -n $D0 && -n $B0 ]] || die "no IPv6 UDP forward on $HP in ctl status --json"

spoof "fd00:200:$X::9" "$HP" "remote"
if wait_dgrams "$CTL" "$HP" $((D0 + 1)); then
	ok "a hand-made frame from fd00:200:$X::9 reaches the forward (passed on)"
else
	fail "the injected frame never reached the forward: $(udp_fwd "$CTL" "$HP")"
fi

read -r D1 B1 <<<"$(udp_fwd "$CTL" "$HP")"
N0=$(reached)
spoof "::ffff:127.0.0.1" "$HP" "spoofed"
for ((i = 0; i < 30; i++)); do
	read -r D2 B2 <<<"$(udp_fwd "$CTL" "$HP")"
	((B2 > B1)) && break
	sleep 0.1
done
sleep 0.5	# time for a datagram that would get through anyway
N1=$(reached)
if ((N1 == N0)); then
	ok "the spoofed ::ffff:127.0.0.1 datagram reached no loopback-only server"
else
	fail "the spoofed datagram reached a loopback-only server ($((N1 - N0)) datagrams)"
	tail -n 3 "$TMPDIR_TEST"/echo-*.log | indent
fi
if ((B2 == B1 + 1 && D2 == D1)); then
	ok "counted as drops.bad_source ($B1 -> $B2), not passed on"
else
	fail "bad_source $B1 -> $B2, passed on $D1 -> $D2 (expected +1, +0)"
fi
if grep -q "dropped a datagram from ::ffff:127.0.0.1" "$NSP_LOG"; then
	ok "a warning names the spoofed source"
else
	fail "no warning about the spoofed source"
	show_log "$NSP_LOG"
fi
if udptool client 127.0.0.1 "$HP" --sizes 1,1400 >"$TMPDIR_TEST/c1.out" &&
	(($(reached) > N1)); then
	ok "a genuine 127.0.0.1 client still reaches the namespace's loopback"
else
	fail "the genuine local client failed"
	indent <"$TMPDIR_TEST/c1.out"
fi
shutdown_nsplice --any-status 3

# --- a dual-stack wildcard socket from systemd
CTL2=$TMPDIR_TEST/ctl2.sock
NSPLICE_REAL=$NSPLICE
cat >"$TMPDIR_TEST/wrap.sh" <<WEOF
#!/bin/sh
exec systemd-socket-activate --datagram -l '[::]:$HP2' "$NSPLICE_REAL" "\$@"
WEOF
chmod +x "$TMPDIR_TEST/wrap.sh"
start_nsplice --bin "$TMPDIR_TEST/wrap.sh" "$TMPDIR_TEST/act.log" \
	--netns "$NS" -u "::/$HP2:$PORT" --control "$CTL2" ||
	die "wrapper did not start"
if [[ $(ss -Huane "sport = :$HP2") == *v6only:0* ]]; then
	ok "systemd-socket-activate's [::]:$HP2 is dual-stack"
else
	fail "[::]:$HP2 is not a dual-stack socket: $(ss -Huane "sport = :$HP2")"
fi
N2=$(reached)
if udptool client 127.0.0.1 "$HP2" --sizes 1,1400 --timeout 2 --retries 8 \
	>"$TMPDIR_TEST/c2.out" && (($(reached) > N2)); then
	ok "a genuine IPv4 loopback client of the dual-stack socket reaches the namespace's loopback"
else
	fail "the genuine IPv4 client of the dual-stack socket failed"
	indent <"$TMPDIR_TEST/c2.out"
	show_log "$NSP_LOG"
fi
read -r E1 C1 <<<"$(udp_fwd "$CTL2" "$HP2")"
N3=$(reached)
spoof "::ffff:127.0.0.1" "$HP2" "spoofed2"
after_spoof
if (($(reached) == N3 && C2 == C1 + 1 && E2 == E1)); then
	ok "on the dual-stack socket, the spoofed frame is dropped too (bad_source $C1 -> $C2)"
else
	fail "dual-stack: spoofed frame: reached $(($(reached) - N3)), bad_source $C1 -> $C2, passed on $E1 -> $E2"
fi

# A genuine IPv4 loopback client from a known port has a flow; the same
# address and port spoofed from outside must not ride it
GOT=$(timeout 20 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.settimeout(1)
for attempt in range(5):
    s.sendto(b"genuine", ("127.0.0.1", int(sys.argv[1])))
    try:
        if s.recv(100) == b"genuine":
            print("answered")
            break
    except OSError:
        pass' "$HP2" "$SPORT") || true
[[ $GOT == answered ]] ||
	fail "the genuine client from 127.0.0.1:$SPORT got no answer"
N4=$(reached)
read -r E1 C1 <<<"$(udp_fwd "$CTL2" "$HP2")"
spoof "::ffff:127.0.0.1" "$HP2" "hijack" "$SPORT"
after_spoof
if (($(reached) == N4 && C2 == C1 + 1)); then
	ok "a spoofed frame from a genuine client's address and port does not ride its flow"
else
	fail "spoofed frame from 127.0.0.1:$SPORT's flow: reached $(($(reached) - N4)), bad_source $C1 -> $C2"
fi
shutdown_nsplice --any-status 3
finish
