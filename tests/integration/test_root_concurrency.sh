#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_concurrency - many simultaneous connections stay separate.
#
# Proves: 200 connections opened at the same time through one forward
# (all connected before any sends: a barrier holds them) each get their
# own distinct 1-64 KiB payload echoed back intact by a server in the
# namespace, over IPv4 and then IPv6; nsplice is still up afterwards and
# a later burst works too (no descriptor or pipe leak on the first).
# Why it matters: a relay that mixes up pipes or descriptors between
# flows, runs out of them, or serialises connections shows up only under
# concurrency, and then leaks one user's data to another.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

N=${NSPLICE_TEST_CONNS:-200}
NS="nsp-$$-conc"
make_netns "$NS"
alloc_ports 26000 HPORT PORT

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
wait_port ::1 "$PORT" "$NS" || die "echo server in $NS did not start"

start_nsplice --wait 127.0.0.1 "$HPORT" --wait ::1 "$HPORT" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HPORT:$PORT" ||
	die "nsplice did not come up"

check "reference: $N concurrent echo connections directly in the namespace" \
	nstool_in "$NS" concurrent 127.0.0.1 "$PORT" "$N" || true
for round in 1 2; do
	for lo in 127.0.0.1 ::1; do
		if check "round $round $lo: $N concurrent connections through nsplice, all payloads intact" \
			nstool concurrent "$lo" "$HPORT" "$N"; then
			note "$CHECK_OUT"
		else
			show_log "$NSP_LOG" 15
		fi
	done
done

assert_still_running
shutdown_nsplice 2
finish
