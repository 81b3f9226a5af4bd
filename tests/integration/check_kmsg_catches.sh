#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check_kmsg_catches - the "no seccomp violation" check can fail.
#
# The suite-wide run (seccomp.no_violation_logged, lib/kmsg.py) only proves
# something if a violation actually shows up in what it reads.  This case
# makes one on purpose: in an NSPLICE_TESTING build, a relay in
# --sandbox=log mode told to attempt socket() (seccomp/attempt.c) goes on
# running and the kernel logs the call; `kmsg.py check` over that window
# must then exit 1 and name syscall 41 (socket).  Registered with label
# sandbox, so it runs in the enforcing sandbox run, before the fixture's
# mark of the log-mode run, and its own violation never counts there.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-kmsg"
make_netns "$NS"
alloc_ports 16800 HP
MARK=$TMPDIR_TEST/kmsg.mark
"$PY" "$TESTLIB/kmsg.py" mark "$MARK" >/dev/null || die "kmsg.py mark failed"

start_nsplice "$TMPDIR_TEST/nsp.log" -v --sandbox=log --netns "$NS" \
	-t "$HP:80" --test-relay-attempt=socket || die "nsplice did not start"
for ((i = 0; i < 100; i++)); do
	grep -q 'test attempt socket: [^t]' "$NSP_LOG" && break
	sleep 0.05
done
if grep -q 'test attempt socket: succeeded' "$NSP_LOG"; then
	ok "log mode: the relay's socket() went through (logged, not killed)"
else
	fail "log mode: the attempt did not run as expected"
	show_log "$NSP_LOG" 10
fi
stop_nsplice TERM 10 || true

rc=0
out=$("$PY" "$TESTLIB/kmsg.py" check "$MARK" "$NSPLICE" 2>&1) || rc=$?
if ((rc == 1)) && grep -q 'syscall 41 = socket' <<<"$out"; then
	ok "kmsg.py check fails and names socket(): $(tail -n1 <<<"$out")"
else
	fail "kmsg.py check did not catch the logged violation (exit $rc)"
	indent <<<"$out"
fi
finish
