#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctest-labels: integration
#
# test_f01_auto_150 - a namespace opening 150 listeners under -t auto.
#
# Audit finding 1: with `-t auto`, a process inside the namespace that
# opened ~60 listening ports made the supervisor sort a grown forward table,
# glibc's qsort() called sysinfo() and the supervisor's seccomp filter
# killed it: a container could take down its own port forwarding.
# Proves: nsplice -t auto, then a namespace server opens 150 ports on
# 127.0.0.1 and ::1 at once: the supervisor lives, all 150 appear on the
# host (bounded wait), each reaches its own namespace port over 127.0.0.1
# and ::1; when the server goes away the ports close again; SIGTERM ends
# nsplice cleanly.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$(dirname "$0")/lib/load.sh"

# N - listeners the namespace opens
N=150

f01_start f01auto "$N" BASE
SOCK=$TMPDIR_TEST/ctl.sock

start_nsplice "$TMPDIR_TEST/nsp.log" --netns "$NS" -t auto \
	--control "$SOCK" || die "nsplice -t auto did not start"
for ((i = 0; i < 100; i++)); do
	grep -q 'forwarding' "$NSP_LOG" && break
	sleep 0.05
done

many_server "$NS" "$BASE-$((BASE + N - 1))" "$TMPDIR_TEST/srv.log"
SRV=$BG_PID
if wait_all_listen "$BASE" "$N" 20; then
	ok "-t auto: all $N namespace listeners forwarded from the host"
else
	fail "-t auto: not all $N namespace listeners are forwarded"
	show_log "$NSP_LOG" 15
fi
expect_alive "$N namespace listeners under -t auto"
PAIRS="$BASE-$((BASE + N - 1)):$BASE-$((BASE + N - 1))"
probe_all "$N auto forwards over 127.0.0.1" 127.0.0.1 "$PAIRS"
probe_all "$N auto forwards over ::1" ::1 "$PAIRS"
expect_alive "traffic over $N auto forwards"

kill_pids "$SRV"
expect_block_closed "$BASE" "$N" 10 \
	"-t auto: the $N ports closed after the namespace server went away"
expect_alive "$N auto forwards going away"
expect_clean_stop
finish
