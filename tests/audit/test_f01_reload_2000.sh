#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctest-labels: integration
#
# test_f01_reload_2000 - a SIGHUP reload to 2,000 forwards keeps nsplice up.
#
# Audit finding 1: a reload that grew the forward table past ~60 entries
# killed the supervisor (glibc's qsort() -> sysinfo(), not in its seccomp
# filter), and a service manager restarting it crashed it again on the same
# file.  Proves: from a file with one forward, a rewrite to 2,000 forwards
# (20 lines of 100-port ranges) and SIGHUP: the supervisor lives, all 2,000
# host ports listen on 127.0.0.1 and ::1, every one reaches its own
# namespace port over 127.0.0.1 and a sample of 200 over ::1, the forward
# kept from before still works; a second reload back to one forward closes
# the 2,000 ports; SIGTERM ends it cleanly.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$(dirname "$0")/lib/load.sh"

# N, LINES - forwards after the reload, and config lines they take
N=2000
LINES=20
# TBASE - first target port in the namespace
TBASE=40000

f01_start f01rl $((N + 1)) HBASE
KEEP=$((HBASE + N))
CONF=$TMPDIR_TEST/nsplice.conf

# write_conf - the file: the kept forward, then LINES x N/LINES ports when
# $1 is "big".
write_conf() {
	local i per=$((N / LINES)) h t
	{
		echo "# finding 1: a forward table grown by a reload"
		echo "tcp-ports = $KEEP:$((TBASE + N))"
		if [[ $1 == big ]]; then
			for ((i = 0; i < LINES; i++)); do
				h=$((HBASE + i * per))
				t=$((TBASE + i * per))
				echo "tcp-ports = $h-$((h + per - 1)):$t-$((t + per - 1))"
			done
		fi
	} >"$CONF.new"
	mv -f "$CONF.new" "$CONF"
}

many_server "$NS" "$TBASE-$((TBASE + N))" "$TMPDIR_TEST/srv.log"
write_conf small
start_nsplice --wait 127.0.0.1 "$KEEP" "$TMPDIR_TEST/nsp.log" \
	--netns "$NS" -c "$CONF" || die "nsplice did not start"

write_conf big
kill -HUP "$NSP_PID"
if wait_all_listen "$HBASE" "$N" 60; then
	ok "reload to $((N + 1)) forwards: all $N new ports listen on 127.0.0.1 and ::1"
else
	fail "reload to $((N + 1)) forwards: the new ports do not all listen"
	show_log "$NSP_LOG" 15
fi
expect_alive "a reload to $((N + 1)) forwards"
PAIRS="$HBASE-$((HBASE + N - 1)):$TBASE-$((TBASE + N - 1))"
probe_all "$N forwards over 127.0.0.1" 127.0.0.1 "$PAIRS"
probe_all "200 of them over ::1" ::1 \
	"$HBASE-$((HBASE + 199)):$TBASE-$((TBASE + 199))"
probe_all "the forward kept from before" 127.0.0.1 "$KEEP:$((TBASE + N))"
expect_alive "traffic over $N forwards"

write_conf small
kill -HUP "$NSP_PID"
expect_block_closed "$HBASE" "$N" 30 \
	"reload back to one forward closed the $N ports"
probe_all "the kept forward after shrinking" 127.0.0.1 "$KEEP:$((TBASE + N))"
expect_alive "a reload back to one forward"
expect_clean_stop
finish
