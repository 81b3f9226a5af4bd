#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_port_owner - nobody else can bind a UDP port nsplice forwards,
# and nsplice does not share a port somebody else holds.
#
# Root nsplice --netns NS -u HP:PORT -u [::1]/HP6:PORT (echo servers on
# 127.0.0.1 and ::1 in NS).  Then, as the unprivileged test user:
#  - a socket with SO_REUSEADDR cannot bind 127.0.0.1:HP, 0.0.0.0:HP or
#    [::1]:HP6 (EADDRINUSE);
#  - the forward still echoes, and its replies come from the forwarded port.
# And the other way round: with the test user holding 127.0.0.1:HQ with
# SO_REUSEADDR, root nsplice -u 127.0.0.1/HQ:PORT does not start (exit 2,
# the port named), instead of sharing the port.
# Why it matters: on Linux SO_REUSEADDR on a UDP socket lets any other
# socket that sets it bind the same address and port, whatever its owner.
# The agents set it on UDP sockets once (a copy of the TCP rule, where it
# only steps over TIME-WAIT), and an audit had another user receive the
# forward's datagrams and answer its clients from the forwarded port.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user

NS="nsp-$$-udpown"
make_netns "$NS"
alloc_ports 24880 HP HP6 HQ PORT

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_udp_echo "$NS" ::1 "$PORT"
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-u "$HP:$PORT" -u "[::1]/$HP6:$PORT" || die "nsplice did not start"
timeout -k 2 20 "$PY" "$UDPTOOL" wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" \
	>/dev/null || die "-u $HP never answered"

for a in "127.0.0.1 $HP" "0.0.0.0 $HP" "::1 $HP6"; do
	read -r addr port <<<"$a"
	got=$(as_test_user timeout 10 "$PY" "$UDPTOOL" hold "$addr" "$port" \
		--reuseaddr 2>&1) || true
	[[ $got == EADDRINUSE ]] &&
		ok "another user cannot bind $addr:$port while nsplice forwards it" ||
		fail "another user binding $addr:$port with SO_REUSEADDR: $got"
done

check "-u $HP still echoes, replies from the forwarded port" \
	timeout -k 2 20 "$PY" "$UDPTOOL" client 127.0.0.1 "$HP" --sizes 1,1400
check "-u [::1]/$HP6 still echoes, replies from the forwarded port" \
	timeout -k 2 20 "$PY" "$UDPTOOL" client ::1 "$HP6" --sizes 1,1400
stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"

# The test user holds HQ with SO_REUSEADDR for the rest of the test
start_udp_hold "$TMPDIR_TEST/holder.out" setpriv --reuid="$TEST_USER" \
	--regid="$TEST_USER" --clear-groups --inh-caps=-all \
	-- 127.0.0.1 "$HQ" --reuseaddr

rc=0
timeout -k 2 20 "$NSPLICE" --netns "$NS" -u "127.0.0.1/$HQ:$PORT" \
	>"$TMPDIR_TEST/taken.log" 2>&1 || rc=$?
if ((rc == 2)) && grep -q -- "$HQ" "$TMPDIR_TEST/taken.log" &&
	! grep -q 'ready$' "$TMPDIR_TEST/taken.log"; then
	ok "a port another user holds is refused, exit 2: $(head -n1 "$TMPDIR_TEST/taken.log")"
else
	fail "nsplice -u on a port another user holds: exit $rc"
	indent <"$TMPDIR_TEST/taken.log"
fi
assert_no_nsplice_procs "no nsplice process left"

finish
