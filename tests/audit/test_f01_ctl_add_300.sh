#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctest-labels: integration
#
# test_f01_ctl_add_300 - `nsplice ctl add` of 300 forwards keeps nsplice up.
#
# Audit finding 1: `nsplice ctl PATH add -t 20000-20100:9000-9100` killed
# the supervisor (SIGSYS, exit 159): sorting the grown forward table made
# glibc's qsort() call sysinfo(), which its seccomp filter did not allow.
# Proves: one ctl request adding 300 forwards (a range mapped to a range)
# is answered, the supervisor lives, and every one of the 300 host ports
# reaches its own namespace port over 127.0.0.1 and ::1; the first forward
# still works; SIGTERM ends it cleanly.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$(dirname "$0")/lib/load.sh"

# N - forwards added by the one ctl request
N=300
# TBASE - first target port in the namespace
TBASE=9000

f01_start f01ctl $((N + 1)) HBASE
FIRST=$((HBASE + N))
SOCK=$TMPDIR_TEST/ctl.sock

many_server "$NS" "$TBASE-$((TBASE + N))" "$TMPDIR_TEST/srv.log"
start_nsplice --wait 127.0.0.1 "$FIRST" "$TMPDIR_TEST/nsp.log" \
	--netns "$NS" -t "$FIRST:$((TBASE + N))" --control "$SOCK" ||
	die "nsplice did not start"

rc=0
out=$(timeout -k 2 30 "$NSPLICE" ctl "$SOCK" add \
	-t "$HBASE-$((HBASE + N - 1)):$TBASE-$((TBASE + N - 1))" 2>&1) || rc=$?
if ((rc == 0)); then
	ok "ctl add of $N forwards answered: $out"
else
	fail "ctl add of $N forwards: exit $rc: $out"
fi
expect_alive "ctl add of $N forwards"
wait_all_listen "$HBASE" "$N" 20 || fail "the $N added ports do not all listen"
PAIRS="$HBASE-$((HBASE + N - 1)):$TBASE-$((TBASE + N - 1))"
probe_all "$N forwards over 127.0.0.1" 127.0.0.1 "$PAIRS"
probe_all "$N forwards over ::1" ::1 "$PAIRS"
probe_all "the first forward" 127.0.0.1 "$FIRST:$((TBASE + N))"
expect_alive "traffic over $N forwards"
expect_clean_stop
finish
