#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_burst - new UDP clients arriving all at once lose nothing.
#
# nsplice --netns NS -u HP:PORT, fresh (its socket pool at its first size,
# 8), an echo server in NS.  Then, each client a new socket that sends ONE
# datagram and never resends (udptool flows --once):
#  - a burst of 200 new clients at once: all 200 answered, from the
#    forwarded port, and ctl status counts no drop;
#  - a second burst of 200 on the same forward: the same.
# Why it matters: the relay may not create sockets; the agent sends them
# on request, a round trip after a client finds the pool empty.  A client
# that found it empty lost its first datagram: 8 of 20 clients of a burst
# were answered, 29 of 200, where podman's own rootlessport and
# docker-proxy answer all (adversarial reviews, twice).  For DNS that is
# a resend seconds later, for syslog or statsd the data is gone.  Those
# datagrams now wait in a bounded hold for their flow's socket.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-udpburst"
CTL=$TMPDIR_TEST/ctl.sock
make_netns "$NS"
alloc_ports 26880 HP PORT

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" \
	-u "$HP:$PORT" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP never answered"

# drops - the sum of the drop counters of -u 127.0.0.1:HP in ctl status
drops() {
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		grep -A1 -E -- "-u 127\.0\.0\.1:$HP " | tail -n1 |
		grep -o -E '(no_socket|flow_limit|buffer_full|refused|truncated) [0-9]+' |
		awk '{ n += $2 } END { print n + 0 }'
}

for burst in 1 2; do
	if udptool flows 127.0.0.1 "$HP" --count 200 --once --timeout 5 \
		>"$TMPDIR_TEST/burst$burst.out"; then
		ok "burst $burst: 200 new clients at once, one datagram each, no resend: $(cat "$TMPDIR_TEST/burst$burst.out")"
	else
		fail "burst $burst: $(cat "$TMPDIR_TEST/burst$burst.out")"
	fi
	d=$(drops)
	((d == 0)) && ok "burst $burst: ctl status counts no drop" ||
		fail "burst $burst: ctl status counts $d dropped datagrams"
done

shutdown_nsplice --any-status 3
finish
