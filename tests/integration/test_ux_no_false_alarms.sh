#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_no_false_alarms - a normal end prints no error and no warning.
#
# Proves (each case: no line with "error" or "warning" in the output):
#  - COMMAND that exits at once (`-- true`), ten times, at the default
#    level and with -q: exit 0 (no "[relay] error: supervisor: sending
#    HELLO: Broken pipe");
#  - SIGTERM to the supervisor after traffic: exit 0;
#  - SIGTERM to the whole process group, as timeout(1) does (the test
#    signals its timeout wrapper, which passes it to the group) and as
#    `kill -TERM -- -PGID` does: every child gets SIGTERM too; no "killed
#    by signal 15" line, no "epoll_ctl ... No such file or directory";
#  - SIGINT to the whole group (Ctrl-C at a terminal): the same.
# Why it matters: an operator who sees errors on every stop learns to
# ignore them, and misses the one that matters.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-uxa"
make_netns "$NS"
alloc_ports 31500 SPORT H1 H2 H3 H4 HC
start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$SPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$SPORT" "$NS" || die "namespace server did not start"

# ALARM_RE - what must not appear on a normal end
ALARM_RE='error|warning|killed by signal|epoll_ctl'

# user_view FILE - FILE without the line that --sandbox=log prints at every
# start (the suite-wide NSPLICE_TEST_SANDBOX_LOG run): what a user of an
# enforcing nsplice sees; written to FILE.user, whose name is printed
user_view() {
	grep -v -E '^\[supervisor\] warning: --sandbox=log: ' "$1" >"$1.user" || true
	printf '%s\n' "$1.user"
}

# quiet DESC FILE - ok if FILE has no alarm line
quiet() {
	if grep -q -i -E "$ALARM_RE" "$(user_view "$2")"; then
		fail "$1: alarm on a normal end"
		indent <"$2"
	else
		ok "$1: no error or warning ($(wc -l <"$2") lines)"
	fi
}

# 1. COMMAND exits at once
for q in "" -q; do
	bad=0
	for ((i = 0; i < 10; i++)); do
		rc=0
		timeout -k 2 20 "$NSPLICE" $q -t "$HC" -- true \
			>"$TMPDIR_TEST/cmd.out" 2>&1 </dev/null || rc=$?
		if ((rc != 0)) || grep -q -i -E "$ALARM_RE" "$(user_view "$TMPDIR_TEST/cmd.out")"; then
			bad=1
			fail "COMMAND exits at once${q:+ ($q)}, run $i: exit $rc"
			indent <"$TMPDIR_TEST/cmd.out"
			break
		fi
	done
	((bad)) || ok "COMMAND exits at once${q:+ ($q)}: 10 runs, exit 0, no error or warning"
done

# run_and_stop PORT LOG HOW - start, send traffic, stop HOW: sup (SIGTERM
# to the supervisor), group-timeout (SIGTERM to timeout, which signals the
# group), group-kill (kill -TERM -- -PGID), group-int (SIGINT to the group)
run_and_stop() {
	local port=$1 log=$2 how=$3
	start_nsplice --wait 127.0.0.1 "$port" "$log" --netns "$NS" \
		-t "$port:$SPORT" || die "nsplice did not start"
	check "$how: a round trip first" nstool send 65536 127.0.0.1 "$port"
	case $how in
	sup) kill -TERM "$NSP_PID" ;;
	group-timeout) kill -TERM "$NSP_TPID" ;;
	group-kill) kill -TERM -- "-$NSP_TPID" ;;
	group-int) kill -INT -- "-$NSP_TPID" ;;
	esac
	if wait_nsplice_exit 5; then
		ok "$how: nsplice ended (status $NSP_RC)"
	else
		fail "$how: nsplice still running after 5 s"
	fi
	assert_no_nsplice_procs "$how: no nsplice process left"
	quiet "$how" "$log"
}

run_and_stop "$H1" "$TMPDIR_TEST/sup.log" sup
[[ $NSP_RC == 0 ]] || fail "SIGTERM to the supervisor: exit $NSP_RC, expected 0"
run_and_stop "$H2" "$TMPDIR_TEST/gto.log" group-timeout
run_and_stop "$H3" "$TMPDIR_TEST/gkill.log" group-kill
run_and_stop "$H4" "$TMPDIR_TEST/gint.log" group-int

finish
