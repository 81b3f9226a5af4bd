#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_10k_flows - 10,000 concurrent UDP flows fit in the default
# limits, and the one after them is dropped and counted, not queued.
#
# nsplice runs with its defaults (the relay lowers its descriptor limit to
# 20,000 and gives UDP flows half of it); only --udp-timeout is raised so
# that no flow can expire while 10,000 clients are set up.  One probe flow
# plus 9,999 client sockets at once make 10,000 flows: each client must
# get its own payload back from the forwarded port, the namespace must
# hold one relay socket per flow, and ctl status must count every slot
# open (topped up from 127.0.0.2 if a client reused the probe's port, as
# the same address and port is the same flow).  Then one more client,
# from 127.0.0.3, so surely a new flow, is not answered,
# `ctl status` counts its datagram as dropped for "flow limit", and the
# relay is neither restarted nor killed.
# Why it matters: issue 14 (UDP) asks that 10,000 concurrent flows fit in
# the default limits; DNS and QUIC load brings many short flows at once.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

FLOWS=10000
UDPTOOL="$NSPLICE_TESTLIB/udptool.py"
# udptool ARGS... - run udptool.py in the host netns, bounded
udptool() { timeout -k 2 150 "$PY" "$UDPTOOL" "$@"; }
# the clients hold 10,000 sockets at once: soft limit up to the hard one
# (root here may lack CAP_SYS_RESOURCE, so the hard limit stays)
ulimit -Sn "$(ulimit -Hn)" || die "cannot raise the soft descriptor limit"
(($(ulimit -Sn) > FLOWS + 100)) ||
	die "descriptor limit $(ulimit -Sn) is too low for $FLOWS client sockets"

NS="nsp-$$-udp10k"
CTL=$TMPDIR_TEST/ctl.sock
make_netns "$NS"
alloc_ports 23860 HP PORT

start_udp_echo "$NS" 127.0.0.1 "$PORT"

start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" -v \
	-u "$HP:$PORT" --udp-timeout 600 || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP never answered"
slots=$(sed -n 's/.*UDP: \([0-9]*\) flow slots.*/\1/p' "$NSP_LOG" | head -n1)
if [[ $slots =~ ^[0-9]+$ ]] && ((slots >= FLOWS)); then
	ok "the relay has $slots UDP flow slots with its default limits"
else
	fail "the relay has '${slots}' UDP flow slots, fewer than $FLOWS"
	show_log "$NSP_LOG"
fi

# The probe of 'udptool wait' is one flow
n=$((FLOWS - 1))
if udptool flows 127.0.0.1 "$HP" --count "$n" --timeout 120 \
	>"$TMPDIR_TEST/flows.out"; then
	ok "$n more client flows at once (10,000 in all): $(cat "$TMPDIR_TEST/flows.out")"
else
	fail "$n more client flows at once: $(tail -n 3 "$TMPDIR_TEST/flows.out")"
	show_log "$NSP_LOG"
fi
RELAY=$(find_role relay) || die "no relay"
nflow=$(ip netns exec "$NS" ss -Huanp "dport = :$PORT" | grep -c "pid=$RELAY," || true)
note "the relay holds $nflow UDP sockets in $NS connected to port $PORT (flows and pool)"
if ((nflow >= FLOWS)); then
	ok "one relay socket per flow in the namespace: $nflow connected to $PORT"
else
	fail "only $nflow relay sockets in $NS are connected to port $PORT"
fi

# status_drops - the flow_limit drop count of the forward
status_drops() {
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		sed -n 's/.*drops no_socket [0-9]* flow_limit \([0-9]*\).*/\1/p' | head -n1
}
# status_open - flows open on the IPv4 forward
status_open() {
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		sed -n "s/.*-u 127\.0\.0\.1:$HP .* open \([0-9]*\) .*/\1/p" | head -n1
}
# A client socket may get the port of a closed one (the probe's): the
# same client address and port is the same flow, so there may be one flow
# fewer than sockets.  Fill the table to exactly its size first, and
# send the extra flow, from addresses no earlier client used, so that
# each is surely a new flow.
open=$(status_open)
if [[ $open =~ ^[0-9]+$ ]] && ((open < slots)); then
	note "$open flows open; $((slots - open)) more to fill the table"
	udptool flows 127.0.0.1 "$HP" --count $((slots - open)) --timeout 30 --src 127.0.0.2 \
		>"$TMPDIR_TEST/fill.out" || fail "filling the table: $(cat "$TMPDIR_TEST/fill.out")"
	open=$(status_open)
fi
if [[ $open == "$slots" ]]; then
	ok "ctl status: $open flows open, every slot"
else
	fail "ctl status: '$open' flows open, expected $slots"
fi
d0=$(status_drops)
if udptool silent 127.0.0.1 "$HP" --wait 2 --src 127.0.0.3 >"$TMPDIR_TEST/silent.out"; then
	ok "one more flow gets no answer while all $slots slots are taken"
else
	fail "one more flow was answered with all slots taken: $(cat "$TMPDIR_TEST/silent.out")"
fi
d1=$(status_drops)
if [[ $d0 =~ ^[0-9]+$ && $d1 =~ ^[0-9]+$ ]] && ((d1 > d0)); then
	ok "ctl status counts its datagram as dropped for the flow limit ($d0 -> $d1)"
else
	fail "ctl status flow_limit drops did not grow: '$d0' -> '$d1'"
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>&1 | indent
fi
if pid_alive "$RELAY" && [[ $(find_role relay) == "$RELAY" ]]; then
	ok "the same relay serves on: no restart at the limit"
else
	fail "the relay was replaced or died at the flow limit"
fi

shutdown_nsplice --any-status 3
finish
