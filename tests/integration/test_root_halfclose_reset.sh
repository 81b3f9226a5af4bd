#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_halfclose_reset - TCP close semantics survive the relay.
#
# Proves:
#  - half-close: a client that sends its request and shuts down writing
#    still gets the server's whole 1 MiB answer, which the server only
#    sends after seeing EOF (the relay forwards FIN one way and keeps the
#    other way open);
#  - reset: when the server aborts a connection with RST mid-transfer the
#    client sees a reset (ECONNRESET), never a clean EOF that would make a
#    truncated download look complete; afterwards fresh connections work;
#  - nothing listening in the namespace: the client's connection is reset
#    (or refused), without data, within 3 s, and nsplice keeps serving.
# All over IPv4 and IPv6.
# Why it matters: protocols such as HTTP/1.0 uploads, rsync and ssh rely
# on half-close; turning a reset into EOF silently corrupts data; a dead
# backend must not hang clients nor take the forwarder down.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-close"
make_netns "$NS"
alloc_ports 25000 H1 H2 H3 P1 P2 P3

start_ns_server "$NS" "$TMPDIR_TEST/srv.log" serve "halfclose=$P1" "reset=$P2" \
	--addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$P1" "$NS" || die "servers in $NS did not start"
wait_port ::1 "$P2" "$NS" || die "servers in $NS did not start"

start_nsplice --wait 127.0.0.1 "$H1" --wait ::1 "$H3" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$H1:$P1" -t "$H2:$P2" -t "$H3:$P3" ||
	die "nsplice did not come up"

for lo in 127.0.0.1 ::1; do
	check "$lo half-close: whole 1 MiB answer after the client's SHUT_WR" \
		nstool halfclose-client "$lo" "$H1" || true
	check "$lo reset: client sees ECONNRESET when the server aborts mid-transfer" \
		nstool reset-client "$lo" "$H2" || true
	check "$lo reset: a second connection to the same forward is reset again" \
		nstool reset-client "$lo" "$H2" || true
	check "$lo reset: other forwards still work afterwards" \
		nstool halfclose-client "$lo" "$H1" || true
	check "$lo no server: connection reset/refused without data within 3 s" \
		nstool expect-reset "$lo" "$H3" || true
	check "$lo no server: nsplice keeps serving afterwards" \
		nstool halfclose-client "$lo" "$H1" || true
done

assert_still_running
shutdown_nsplice 2
finish
