#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_supervisor - the supervisor keeps only CAP_KILL, the spawner
# only what the children need, and COMMAND none of nsplice's restrictions.
#
# Reads from the live processes:
#  - root (--netns): the supervisor has NoNewPrivs 1, Seccomp 2, and its
#    permitted, effective and bounding sets are exactly CAP_KILL (0x20,
#    to stop a relay running as --runas), or nothing if the test runner
#    lacks it; the spawner, the process that execs the children
#    (test_f06_supervisor_exec proves the supervisor itself cannot exec),
#    has exactly the capabilities the children need (CAP_KILL, CAP_SETGID,
#    CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
#    CAP_SYS_ADMIN: 0x2405e0), or those of them the runner has;
#  - --runas of a missing user or of root, and an unknown --sandbox mode,
#    are usage errors (exit 2, one line naming the option); not root
#    (nsplice-test), --runas is ignored whatever it names, with one
#    warning (nsplice(1));
#  - root and nsplice-test (COMMAND mode): COMMAND, the user's program,
#    has exactly one seccomp filter, its own (no TIOCSTI, seccomp/command.c;
#    none of nsplice's), and no NO_NEW_PRIVS (it is forked before the
#    supervisor restricts itself), while the supervisor has both.
# Why it matters: the spawner is the only process that can start
# children, so it cannot drop everything; the supervisor, which parses
# control requests and configuration files, keeps next to nothing; what
# each keeps is listed in SECURITY.md, and this test pins it.  COMMAND must behave as if started
# without nsplice.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"

sandbox_test_start

# SUPERVISOR_CAPS - CAP_KILL(5)
SUPERVISOR_CAPS=0x20
# SPAWNER_CAPS - CAP_KILL(5) SETGID(6) SETUID(7) SETPCAP(8)
# NET_BIND_SERVICE(10) SYS_CHROOT(18) SYS_ADMIN(21)
SPAWNER_CAPS=0x2405e0
NS="nsp-$$-sbxsup"
make_netns "$NS"
alloc_ports 30500 HPORT PORT CPORT UPORT

# 0. Bad sandbox options are usage errors: exit 2, one line, nothing started.
# expect_usage DESC REGEX ARGS... - nsplice ARGS exits 2 with one stderr
# line matching REGEX.
expect_usage() {
	local desc=$1 re=$2 out rc=0
	shift 2
	out=$("$NSPLICE" "$@" 2>&1 >/dev/null) || rc=$?
	if [[ $rc == 2 && $(wc -l <<<"$out") == 1 && $out =~ $re ]]; then
		ok "$desc: exit 2: $out"
	else
		fail "$desc: exit $rc, output: $out"
	fi
}
expect_usage "--runas of a missing user" '--runas "nsplice-no-such-user": no such user' \
	--runas nsplice-no-such-user --netns "$NS" -t "$HPORT"
expect_usage "--runas root" '--runas "root": uid or gid 0' \
	--runas root --netns "$NS" -t "$HPORT"
expect_usage "--sandbox with an unknown mode" '--sandbox "off": unknown mode: expected enforce or log' \
	--sandbox off --netns "$NS" -t "$HPORT"
# Not root: COMMAND's status, and exactly one line about --runas.
for u in nsplice-no-such-user root nobody; do
	rc=0
	out=$(as_test_user "$USER_NSPLICE" --runas "$u" -t "127.0.0.1/$UPORT" \
		-- true 2>&1 >/dev/null) || rc=$?
	n=$(grep -c -- '--runas' <<<"$out" || true)
	if [[ $rc == 0 && $n == 1 && $out == *"--runas $u ignored: nsplice is not root"* ]]; then
		ok "not root: --runas $u ignored with one warning"
	else
		fail "not root: --runas $u: exit $rc, output: $out"
	fi
done

mine=$(status_field self CapPrm)
want=$(printf '%016x' $((SUPERVISOR_CAPS & 16#$mine)))
want_spawner=$(printf '%016x' $((SPAWNER_CAPS & 16#$mine)))

# 1. Root, --netns.
if start_nsplice --wait 127.0.0.1 "$HPORT" "$TMPDIR_TEST/root.log" \
	--netns "$NS" -t "127.0.0.1/$HPORT:$PORT"; then
	for f in CapPrm CapEff CapBnd; do
		check_status "root: supervisor" "$NSP_PID" "$f" "$want"
	done
	check_status "root: supervisor" "$NSP_PID" CapAmb 0000000000000000
	check_locked "root: supervisor" "$NSP_PID"
	# The spawner execs the children: their capabilities, its own filter.
	if SPAWNER=$(find_role spawner); then
		for f in CapPrm CapEff CapBnd; do
			check_status "root: spawner" "$SPAWNER" "$f" "$want_spawner"
		done
		check_locked "root: spawner" "$SPAWNER"
	else
		fail "root: no nsplice: spawner"
	fi
	shutdown_nsplice --any-status 3 "root"
fi

# command_checks DESC - COMMAND (a sleep) is unrestricted, the supervisor not.
command_checks() {
	local desc=$1 cmd
	cmd=$(find_command_pid '^ *[0-9]+ sleep')
	if [[ -z $cmd ]]; then
		fail "$desc: COMMAND not found"
		nsplice_ps | indent
		return
	fi
	check_status "$desc: COMMAND" "$cmd" Seccomp 2
	check_status "$desc: COMMAND" "$cmd" Seccomp_filters 1
	check_status "$desc: COMMAND" "$cmd" NoNewPrivs 0
	check_locked "$desc: supervisor" "$NSP_PID"
}

# 2. Root, COMMAND mode.
if start_nsplice "$TMPDIR_TEST/rootcmd.log" -t "127.0.0.1/$CPORT:$PORT" \
	-- sleep "$LIFETIME"; then
	wait_port 127.0.0.1 "$CPORT" >/dev/null 2>&1 || true
	command_checks "root COMMAND mode"
	shutdown_nsplice --any-status 3 "root COMMAND"
fi

# 3. nsplice-test, COMMAND mode.
if start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/user.log" \
	-t "127.0.0.1/$UPORT:$PORT" -- sleep "$LIFETIME"; then
	wait_port 127.0.0.1 "$UPORT" >/dev/null 2>&1 || true
	command_checks "user COMMAND mode"
	for f in CapPrm CapEff CapAmb; do
		check_status "user: supervisor" "$NSP_PID" "$f" 0000000000000000
	done
	shutdown_nsplice --any-status 3 "user COMMAND"
fi

finish
