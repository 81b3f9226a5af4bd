#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_no_socket - a client the other side has no socket for takes
# nothing from the other forwards.
#
# The namespace NS has only its loopback: no external address, so its
# agent has no socket for a client that is not local (loopback safety).
# nsplice --netns NS -u '*/HP:PORT' -u HP2:PORT; a machine on the host's
# network (namespace CL, over a veth) sends 65,507-byte datagrams to the
# host's 10.200.X.1:HP, five a second, for the whole test.  Proves:
#  - that remote client's datagrams are dropped and counted (no_socket),
#    its flow does not stay open, and a warning says why;
#  - meanwhile, 100 new local clients at once on HP2, one datagram each
#    and no resend, are all answered, twice: the datagrams of new flows
#    wait in the relay's hold (1 MiB, shared by all forwards) while their
#    sockets come, and the remote client's no longer fill it.
# Why it matters: before, the remote client's flow waited for good, its
# datagrams filled the shared hold, and 100 clients of every other
# forward got 8 to 76 answers (found by an adversarial review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-udpnosock"
CL="nsp-$$-udpnscl"
X=94
make_netns "$NS"
make_netns "$CL" "$X"
alloc_ports 32210 HP HP2 PORT
CTL=$TMPDIR_TEST/ctl.sock

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" \
	-u "*/$HP:$PORT" -u "$HP2:$PORT" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP2" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP2 never answered"

# The remote sender, bounded: 5 datagrams a second for at most LIFETIME
start_bg "$TMPDIR_TEST/remote.out" ip netns exec "$CL" \
	timeout -k 2 "$LIFETIME" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while True:
    s.sendto(b"r" * 65507, (sys.argv[1], int(sys.argv[2])))
    n += 1
    print(n, flush=True)
    time.sleep(0.2)' "10.200.$X.1" "$HP"
REMOTE=$BG_PID
sleep 3.5	# 17 datagrams of 65,507 bytes: 16 filled the 1 MiB hold, before the fix

for burst in 1 2; do
	if udptool flows 127.0.0.1 "$HP2" --count 100 --once --timeout 5 \
		>"$TMPDIR_TEST/burst$burst.out"; then
		ok "burst $burst while the remote client sends: 100 new local clients, no resend: $(cat "$TMPDIR_TEST/burst$burst.out")"
	else
		fail "burst $burst while the remote client sends: $(cat "$TMPDIR_TEST/burst$burst.out")"
	fi
	sleep 1
done
pid_alive "$REMOTE" || die "the remote sender stopped early"
SENT=$(tail -n1 "$TMPDIR_TEST/remote.out")

read -r OPEN DROPS PASSED <<<"$(ctl_fwd "$CTL" "$HP" udp ipv4 open no_socket \
	datagrams_to_server)"
note "remote client: sent about $SENT; forward: open $OPEN, no_socket $DROPS, passed on $PASSED"
if [[ -n $DROPS ]] && ((DROPS >= SENT - 2 && DROPS <= SENT + 1 && PASSED == 0)); then
	ok "the remote client's datagrams are counted as dropped (no_socket $DROPS of about $SENT sent, none passed on)"
else
	fail "remote client: no_socket ${DROPS:-?}, passed on ${PASSED:-?}, of about $SENT sent"
fi
# A datagram that arrives after the 1 s drop backoff opens a flow that
# waits for the agent's answer (no socket) and ends with it: sampled while
# the client sends, that moment may show "open 1" (ASan, once).  What must
# not happen is a flow that stays: so the client stops, and 1.5 s later
# (past the backoff and any answer) none may be open.
kill "$REMOTE" 2>/dev/null || true
sleep 1.5
OPEN=$(ctl_fwd "$CTL" "$HP" udp ipv4 open || true)
if [[ $OPEN == 0 ]]; then
	ok "no flow stays open for the remote client"
else
	fail "${OPEN:-?} flows open on the wildcard forward 1.5 s after the remote client stopped"
fi
if grep -q "has no socket for remote clients" "$NSP_LOG"; then
	ok "a warning says why the remote client's datagrams are dropped"
else
	fail "no warning about the remote client"
	show_log "$NSP_LOG"
fi
shutdown_nsplice --any-status 3
finish
