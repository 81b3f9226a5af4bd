#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_halfclose_hup - data, FIN and hang-up arriving together.
#
# Proves, 300 round trips each way, IPv4 and IPv6:
#  - the client sends a request and SHUT_WR; the server reads to EOF, then
#    writes an 8 KiB answer and closes at once.  The relay already sent the
#    server its FIN, so the answer, the server's FIN and the hang-up reach
#    the relay's server socket together (EPOLLIN|EPOLLRDHUP|EPOLLHUP): the
#    client must get the whole answer and a clean EOF, never a reset;
#  - the mirror image: the server sends its 8 KiB and FIN first, the client
#    reads it all, then sends its request and closes, so the client socket
#    reports the three events together;
#  - afterwards every flow is gone from the relay.
# Why it matters: treating EPOLLHUP as an error before reading (pasta
# issue #7 in relay/splice.c's list) resets exactly the connections whose
# last answer is short, e.g. every HTTP/1.0 request.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

ROUNDS=300
NS="nsp-$$-hup"
make_netns "$NS"
alloc_ports 31300 HA A HE E

start_hostile_server "$NS" "$TMPDIR_TEST/a.log" answer-server "$A" 8K \
	--addr 127.0.0.1 --addr ::1
start_hostile_server "$NS" "$TMPDIR_TEST/e.log" early-server "$E" 8K \
	--addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$A" "$NS" || die "answer server did not start"
wait_port ::1 "$E" "$NS" || die "early server did not start"
start_nsplice --wait 127.0.0.1 "$HA" --wait ::1 "$HE" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "$HA:$A" -t "$HE:$E" || die "nsplice did not come up"
RELAY=$(relay_pid)
SOCKS0=$(sock_count "$RELAY")

FIG=""
for lo in 127.0.0.1 ::1; do
	for kind in answer:$HA early:$HE; do
		name=${kind%%:*}
		port=${kind#*:}
		OUT=$(hostile answer-client "$lo" "$port" 8K --rounds $ROUNDS) || true
		if [[ $(jget "$OUT" ok) == "$ROUNDS" ]]; then
			ok "$lo $name-close: $ROUNDS round trips, whole answer and clean EOF each"
		else
			fail "$lo $name-close: $(jget "$OUT" kinds) of $ROUNDS (want all ok)"
		fi
		FIG="$FIG $lo/$name ok=$(jget "$OUT" ok)/$ROUNDS"
	done
done
figure "$FIG (expected all ok, 0 resets)"
sock_back() { (($(sock_count "$RELAY") <= SOCKS0 + 64)); }
wait_until 5 sock_back && ok "no flow left in the relay ($(fd_kinds "$RELAY"))" ||
	fail "relay holds $(fd_kinds "$RELAY"), $SOCKS0 sockets before"
assert_still_running
shutdown_nsplice --any-status 3
finish
