#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_attempts - a relay that tries to get out is stopped.
#
# Needs a test-only build (cmake -DNSPLICE_TESTING=ON, never installed):
# `nsplice --test-relay-attempt=WHAT` makes the relay, once fully
# sandboxed and serving (connect rules in force, a pool socket in hand),
# try WHAT once - what a compromised relay would try first.  Proves, as
# root and as nsplice-test (COMMAND mode):
#  - creating a socket, opening a file, listen() or bind() on a pool
#    socket, sendmsg() with a descriptor (passing a socket out), and, as
#    root, exec, fork, kill, ptrace, unshare, mount, PROT_EXEC memory,
#    ioctl(TIOCSTI), setsockopt(TCP_ULP), write() to a channel and
#    io_uring_setup: the relay is killed by seccomp, and the supervisor
#    reports "relay (pid N) was killed by seccomp (SIGSYS)" as the cause;
#    each restarted relay tries again and dies again, so after 5 restarts
#    the supervisor gives up and exits 1;
#  - a relay asking agent[host] for too many sockets: the agent refuses
#    it as a protocol violation and exits, and is restarted;
#  - connect() of a pool socket to a port no forward targets fails with
#    EACCES (Landlock), the relay keeps running and still forwards;
#  - escape sequences a relay writes to its log never reach the
#    supervisor's stderr (a terminal, often): control bytes become '?';
#  - --sandbox=log: the start-up warning is printed, a socket() is only
#    logged (it succeeds), and the relay keeps forwarding.
# Without the test-only hooks (a release build) it proves instead that
# the hook does not exist: --test-relay-attempt is an unknown option
# (exit 2) and --version does not claim a testing build.  CMake runs it
# again as sandbox.attempts in the testing build, with
# NSPLICE_REQUIRE_TESTING=1, where a release binary is a failure.
# Why it matters: the property tests show the walls exist; this shows
# they hold when pushed (SECURITY.md names this test for the relay).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"

need_root
need_nsplice

# --- release build: the hook must not exist --------------------------------
if ! "$NSPLICE" --version 2>/dev/null | grep -q NSPLICE_TESTING; then
	[[ -z ${NSPLICE_REQUIRE_TESTING:-} ]] ||
		die "$NSPLICE is not an NSPLICE_TESTING build"
	note "release build: checking that the test-only hook is absent"
	rc=0
	out=$("$NSPLICE" --test-relay-attempt=socket --netns /nonexistent -t 1 2>&1) || rc=$?
	if [[ $rc == 2 && $out == *"--test-relay-attempt=socket"*"unknown option"* ]]; then
		ok "release build: --test-relay-attempt is an unknown option (exit 2)"
	else
		fail "release build: --test-relay-attempt gave exit $rc: $out"
	fi
	check "release build: --version names no testing build" \
		bash -c "'$NSPLICE' --version | grep -qv TESTING"
	finish
fi

ensure_test_user
user_copy_binary
NS="nsp-$$-sbxtry"
make_netns "$NS"
alloc_ports 30300 HPORT PORT UHPORT UPORT
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"

# Attempts seccomp must stop; the first five are tried in both modes.
KILLED_BOTH=(socket open listen sendmsg-fd bind)
KILLED_ROOT=(exec fork kill ptrace unshare mount mmap-exec ioctl-tiocsti
	setsockopt-ulp write-channel io-uring)

# start_mode MODE LOG ARGS... - start nsplice as root (--netns) or as the
# test user (COMMAND mode, the echo server as COMMAND).
start_mode() {
	local mode=$1 log=$2
	shift 2
	if [[ $mode == root ]]; then
		start_nsplice "$log" -v --netns "$NS" \
			-t "127.0.0.1/$HPORT:$PORT" "$@"
	else
		start_nsplice --as-user --bin "$USER_NSPLICE" "$log" -v \
			-t "127.0.0.1/$UHPORT:$UPORT" "$@" -- "$PY" "$USER_NSTOOL" \
			echo-server "$UPORT" --addr 127.0.0.1 --lifetime "$LIFETIME"
	fi
}

# expect_killed MODE WHAT - the relay tries WHAT and seccomp kills it.
expect_killed() {
	local mode=$1 what=$2 d="$1: $2"
	start_mode "$mode" "$TMPDIR_TEST/$mode-$what.log" \
		--test-relay-attempt="$what" || return 0
	if ! wait_nsplice_exit 10; then
		fail "$d: nsplice still running 10 s later (the attempt was not stopped)"
		show_log "$NSP_LOG"
		stop_nsplice KILL 3 || true
		return 0
	fi
	if grep -q -E "^\[relay\] test attempt $what: trying" "$NSP_LOG" &&
		! grep -q -E "^\[relay\] test attempt $what: [^t]" "$NSP_LOG"; then
		ok "$d: the relay tried it and never returned from the call"
	else
		fail "$d: the relay did not try, or survived, the attempt"
		show_log "$NSP_LOG" 10
	fi
	check_log "$d: the supervisor names the relay and seccomp" \
		'^\[supervisor\] error: relay \(pid [0-9]+\) was killed by seccomp \(SIGSYS\)$'
	# Every restarted relay is given the same attempt and dies of it:
	# after 5 restarts the supervisor gives up.
	check_log "$d: the supervisor gives up on a relay that keeps dying" \
		'^\[supervisor\] error: relay ended again after 5 restarts within 60 s: giving up$'
	[[ $NSP_RC == 1 ]] && ok "$d: nsplice exits 1" ||
		fail "$d: nsplice exit status $NSP_RC, expected 1"
	assert_no_nsplice_procs "$d: no process left"
}

# expect_refused MODE - connect() to a port no forward targets: EACCES
# from Landlock; the relay lives on and still forwards.
expect_refused() {
	local mode=$1 d="$1: connect-other-port" hport i
	[[ $mode == root ]] && hport=$HPORT || hport=$UHPORT
	start_mode "$mode" "$TMPDIR_TEST/$mode-connect.log" \
		--test-relay-attempt=connect-other-port || return 0
	for ((i = 0; i < 100; i++)); do
		grep -q "test attempt connect-other-port: [^t]" "$NSP_LOG" && break
		sleep 0.05
	done
	check_log "$d: Landlock refuses it" \
		'^\[relay\] test attempt connect-other-port: Permission denied$'
	wait_port 127.0.0.1 "$hport" >/dev/null 2>&1 || true
	check "$d: the relay still forwards to the target port" \
		nstool concurrent 127.0.0.1 "$hport" 4
	stop_nsplice TERM 3 || fail "$d: nsplice still running 3 s after SIGTERM"
	assert_no_nsplice_procs "$d: no process left"
}

# expect_agent_violation MODE - the relay asks agent[host] for more sockets
# than a request may carry: the agent must refuse it as a protocol
# violation (not serve it) and exit; the supervisor restarts it, and the
# relay, which makes the attempt once, goes on serving.
expect_agent_violation() {
	local mode=$1 d="$1: pool-overask" i
	start_mode "$mode" "$TMPDIR_TEST/$mode-overask.log" \
		--test-relay-attempt=pool-overask || return 0
	for ((i = 0; i < 100; i++)); do
		grep -q -E '^\[supervisor\] agent host restarted' "$NSP_LOG" && break
		sleep 0.1
	done
	check_log "$d: the relay sent the oversized request" \
		'^\[relay\] test attempt pool-overask: succeeded$'
	check_log "$d: agent host rejects it as a bad message" \
		'^\[agent host\] error: bad message from the relay: socket count out of range$'
	check_log "$d: the supervisor names agent host" \
		'^\[supervisor\] error: agent host \(pid [0-9]+\) exited with status 1$'
	check_log "$d: the supervisor starts a new agent host" \
		'^\[supervisor\] agent host restarted \(pid [0-9]+, restart 1\)$'
	stop_nsplice TERM 3 || fail "$d: nsplice still running 3 s after SIGTERM"
	[[ ${NSP_RC:-} == 0 ]] && ok "$d: SIGTERM afterwards exits 0" ||
		fail "$d: exit status ${NSP_RC:-?} after SIGTERM, expected 0"
	assert_no_nsplice_procs "$d: no process left"
}

for what in "${KILLED_BOTH[@]}" "${KILLED_ROOT[@]}"; do
	expect_killed root "$what"
done
expect_refused root
for what in "${KILLED_BOTH[@]}"; do
	expect_killed user "$what"
done
expect_refused user
expect_agent_violation root
expect_agent_violation user

# log-escape: a relay may write anything to its log pipe; the supervisor
# must not pass terminal control bytes on to its stderr.
if start_mode root "$TMPDIR_TEST/escape.log" --test-relay-attempt=log-escape; then
	for ((i = 0; i < 100; i++)); do
		grep -q "test attempt log-escape: [^t]" "$NSP_LOG" && break
		sleep 0.05
	done
	check_log "log-escape: the line arrives, defanged" \
		'^\[relay\] escape: \?\]0;owned\?\?\[2J$'
	if LC_ALL=C grep -q "$(printf '[\033\007]')" "$NSP_LOG"; then
		fail "log-escape: an ESC or BEL byte reached the supervisor's stderr"
	else
		ok "log-escape: no ESC or BEL byte reached the supervisor's stderr"
	fi
	shutdown_nsplice --any-status 3 "log-escape"
fi

# --sandbox=log: loud warning, violations logged instead of fatal.
if start_mode root "$TMPDIR_TEST/log.log" --sandbox=log \
	--test-relay-attempt=socket; then
	for ((i = 0; i < 100; i++)); do
		grep -q "test attempt socket: [^t]" "$NSP_LOG" && break
		sleep 0.05
	done
	check_log "--sandbox=log: warned at start" \
		'^\[supervisor\] warning: --sandbox=log: seccomp violations are LOGGED, NOT BLOCKED'
	check_log "--sandbox=log: the relay says so" \
		'^\[relay\] sandbox: .*seccomp LOG ONLY \(--sandbox=log\)$'
	check_log "--sandbox=log: socket() was only logged" \
		'^\[relay\] test attempt socket: succeeded$'
	wait_port 127.0.0.1 "$HPORT" >/dev/null 2>&1 || true
	check "--sandbox=log: the relay still forwards" \
		nstool concurrent 127.0.0.1 "$HPORT" 4
	shutdown_nsplice --any-status 3 "--sandbox=log"
fi

finish
