#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_permanent_errors - what fails before nsplice first served is
# reported once and nsplice exits 2; restarts are for children that crash
# after they have served.
#
# "Served": nsplice reached its ready state once - every child said HELLO,
# every start-up listener was bound (BOUND answered) and the relay took its
# configuration (RELAY_READY).  Before that, a child's end, a namespace
# that cannot be entered, a port that cannot be bound, are permanent.
#
# Proves, each at -v so that every line a restart would print is visible:
#  - an unprivileged user's --netns on root's namespace: exit 2, one error
#    line, no child ever started (no [relay] or [agent ...] line), no
#    restart, no "(pid 0)", no epoll_ctl warning;
#  - a port taken on the host: exit 2, exactly one error line, no restart
#    ("restarting"/"restarted" never printed), no "(pid 0)";
#  - after serving, a relay killed with SIGKILL IS restarted (the restart
#    line), and the forward works again: the rule above does not disable
#    the restarts that matter.
# Why it matters: retrying what cannot succeed takes seconds, prints dozens
# of lines that bury the cause, and ends with status 1 where the README
# promises 2 for "nothing started".
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary

NS="nsp-$$-uxp"
make_netns "$NS"
alloc_ports 31400 HTAKEN HFREE HOK SPORT
AS_USER=(setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups
	--inh-caps=-all --)

start_ns_server "" "$TMPDIR_TEST/host.log" sink-server "$HTAKEN" --addr 127.0.0.1
wait_port 127.0.0.1 "$HTAKEN" || die "host server did not start"
start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$SPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$SPORT" "$NS" || die "namespace server did not start"

# ERR_RE - an error line: a role's "error:", or nsplice's own message
ERR_RE='^(\[[a-z ]+\] error: |nsplice: )'

# no_line DESC FILE REGEX - ok if no line of FILE matches REGEX
no_line() {
	if grep -q -E "$3" "$2"; then
		fail "$1: found /$3/"
		indent <"$2"
	else
		ok "$1"
	fi
}

# permanent DESC CAUSE CMD... - run CMD (bounded): exit 2, exactly one
# error line, matching CAUSE, and none of the marks of a restart
permanent() {
	local desc=$1 cause=$2 rc=0 out=$TMPDIR_TEST/$RANDOM.out
	shift 2
	timeout -k 2 30 "$@" >"$out" 2>&1 </dev/null || rc=$?
	if [[ $rc == 2 ]]; then
		ok "$desc: exit 2"
	else
		fail "$desc: exit $rc, expected 2"
		indent <"$out"
	fi
	if (($(grep -c -E "$ERR_RE" "$out") == 1)) &&
		grep -E "$ERR_RE" "$out" | grep -q -E "$cause"; then
		ok "$desc: one error line: $(grep -E "$ERR_RE" "$out")"
	else
		fail "$desc: $(grep -c -E "$ERR_RE" "$out") error lines, expected 1 matching /$cause/"
		indent <"$out"
	fi
	no_line "$desc: no restart" "$out" 'restart'
	no_line "$desc: no pid 0" "$out" '\(pid 0\)'
	no_line "$desc: no epoll_ctl warning" "$out" 'epoll_ctl'
	PERM_OUT=$out
}

permanent "unprivileged --netns on root's namespace" \
	"^nsplice: --netns $NS: cannot enter its network namespace: " \
	"${AS_USER[@]}" "$USER_NSPLICE" -v --netns "$NS" -t "$HFREE"
no_line "unprivileged --netns: no child was started" "$PERM_OUT" \
	'^\[(relay|agent [a-z]+)\]'
permanent "-t on a port taken on the host" \
	"^\[supervisor\] error: -t $HTAKEN: cannot listen on 127\.0\.0\.1:$HTAKEN: " \
	"$NSPLICE" -v --netns "$NS" -t "$HTAKEN"

# After serving: a crash is restarted.
start_nsplice --wait 127.0.0.1 "$HOK" "$TMPDIR_TEST/served.log" \
	--netns "$NS" -t "$HOK:$SPORT" || die "nsplice did not start"
RELAY=$(find_role relay) || die "no relay process"
kill -KILL "$RELAY"
for ((i = 0; i < 100; i++)); do
	grep -q 'relay restarted' "$TMPDIR_TEST/served.log" && break
	sleep 0.05
done
if grep -q '^\[supervisor\] relay restarted' "$TMPDIR_TEST/served.log"; then
	ok "a relay killed after serving is restarted"
else
	fail "no restart of a relay killed after serving"
	indent <"$TMPDIR_TEST/served.log"
fi
check "the forward works after the restart" \
	nstool send 4096 127.0.0.1 "$HOK"
stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"

finish
