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
# Then, with two UDP ports forwarded, a flood of new clients on one port
# fills only its share, half the table (the drop counted and a warning
# naming the port), and the other port still opens new flows.
# Why it matters: issue 14 (UDP) asks that 10,000 concurrent flows fit in
# the default limits; DNS and QUIC load brings many short flows at once,
# and a flood of source ports on one forward must not starve the others.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

FLOWS=10000
UDPTOOL_TIMEOUT=150
# the clients hold 10,000 sockets at once: soft limit up to the hard one
# (root here may lack CAP_SYS_RESOURCE, so the hard limit stays)
ulimit -Sn "$(ulimit -Hn)" || die "cannot raise the soft descriptor limit"
(($(ulimit -Sn) > FLOWS + 100)) ||
	die "descriptor limit $(ulimit -Sn) is too low for $FLOWS client sockets"

NS="nsp-$$-udp10k"
CTL=$TMPDIR_TEST/ctl.sock
make_netns "$NS"
alloc_ports 23860 HP PORT HP2

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

# status_line PORT - the udp counters line of forward -u 127.0.0.1:PORT
# (empty if ctl fails: the checks then fail with what they got)
status_line() {
	{ timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		grep -A1 -E -- "-u 127\.0\.0\.1:$1 " | tail -n1; } || true
}
# status_drops PORT - its flow_limit drop count
status_drops() { status_line "$1" | sed -n 's/.*flow_limit \([0-9]*\).*/\1/p'; }
# status_open PORT - its flows open
status_open() {
	{ timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		sed -n "s/.*-u 127\.0\.0\.1:$1 .* open \([0-9]*\) .*/\1/p" | sed -n 1p; } || true
}

# fill_and_overflow PORT LIMIT WHAT - top forward PORT up to exactly LIMIT
# open flows, then one more client must get no answer and be counted as
# a flow_limit drop.  A client socket may get the port of a closed one
# (the probe's), and the same client address and port is the same flow,
# so there may be one flow fewer than sockets: the top-up comes from
# 127.0.0.2 and the extra client from 127.0.0.3, addresses no earlier
# client used, so that each is surely a new flow.
fill_and_overflow() {
	local port=$1 limit=$2 what=$3 open d0 d1
	open=$(status_open "$port")
	if [[ $open =~ ^[0-9]+$ ]] && ((open < limit)); then
		note "$open flows open on $port; $((limit - open)) more to reach $limit"
		udptool flows 127.0.0.1 "$port" --count $((limit - open)) --timeout 30 \
			--src 127.0.0.2 >"$TMPDIR_TEST/fill.out" ||
			fail "topping up $port: $(cat "$TMPDIR_TEST/fill.out")"
		open=$(status_open "$port")
	fi
	if [[ $open == "$limit" ]]; then
		ok "ctl status: $open flows open on -u $port, $what"
	else
		fail "ctl status: '$open' flows open on -u $port, expected $limit ($what)"
	fi
	d0=$(status_drops "$port")
	if udptool silent 127.0.0.1 "$port" --wait 2 --src 127.0.0.3 \
		>"$TMPDIR_TEST/silent.out"; then
		ok "one more client of -u $port gets no answer ($what)"
	else
		fail "one more client of -u $port was answered ($what): $(cat "$TMPDIR_TEST/silent.out")"
	fi
	d1=$(status_drops "$port")
	if [[ $d0 =~ ^[0-9]+$ && $d1 =~ ^[0-9]+$ ]] && ((d1 > d0)); then
		ok "ctl status counts its datagram as a flow_limit drop on -u $port ($d0 -> $d1)"
	else
		fail "ctl status flow_limit drops of -u $port did not grow: '$d0' -> '$d1'"
		timeout 10 "$NSPLICE" ctl "$CTL" status 2>&1 | indent
	fi
}

fill_and_overflow "$HP" "$slots" "every slot"
if pid_alive "$RELAY" && [[ $(find_role relay) == "$RELAY" ]]; then
	ok "the same relay serves on: no restart at the limit"
else
	fail "the relay was replaced or died at the flow limit"
fi
shutdown_nsplice --any-status 3

# Two UDP ports: a flood of new clients on one takes at most half the
# table, and the other port's clients are still served
share=$((slots / 2))
start_nsplice "$TMPDIR_TEST/nsplice2.log" --netns "$NS" --control "$CTL" \
	-u "$HP:$PORT" -u "$HP2:$PORT" --udp-timeout 600 || die "nsplice did not start again"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP never answered"
udptool flows 127.0.0.1 "$HP" --count $((share - 1)) --timeout 120 \
	>"$TMPDIR_TEST/flows2.out" ||
	fail "$((share - 1)) client flows on -u $HP: $(tail -n 3 "$TMPDIR_TEST/flows2.out")"
fill_and_overflow "$HP" "$share" "its share, half of the $slots slots, with two UDP ports"
if grep -q "UDP port $HP on the host side: $share flows open, its share" "$NSP_LOG"; then
	ok "a warning names the port that reached its share"
else
	fail "no warning naming UDP port $HP at its share"
	show_log "$NSP_LOG" 10
fi
if udptool client 127.0.0.1 "$HP2" --sizes 1,1400 >/dev/null &&
	udptool flows 127.0.0.1 "$HP2" --count 200 --timeout 30 --src 127.0.0.4 \
		>"$TMPDIR_TEST/flows3.out"; then
	ok "-u $HP2 still opens new flows while -u $HP holds its share: $(cat "$TMPDIR_TEST/flows3.out")"
else
	fail "-u $HP2 is starved by -u $HP's flood"
fi

shutdown_nsplice --any-status 3
finish
