#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f04_command_control - finding 4: COMMAND cannot use --control.
#
# The attack (audit, finding 4): in COMMAND mode, COMMAND shares the mount
# namespace and - seen through SO_PEERCRED - the uid of nsplice (the
# caller's uid when rootless, root as root), so it could run `nsplice ctl
# PATH add -T PORT` and open a forward from inside the namespace to the
# host's loopback, which only the caller may decide.
#
# Proves, rootless (nsplice run by the test user) and as root, with
# `--control PATH` and a COMMAND that runs `nsplice ctl PATH add -T PORT`
# and `nsplice ctl PATH status` itself:
#  - both requests from COMMAND are refused (exit 1, "permission denied:
#    not in nsplice's user namespace"), and the forward was not added;
#  - the log names the refused peer's pid and uid;
#  - the same requests from the caller, outside, work (status lists the
#    forwards, `add -T` adds one);
#  - nothing is left behind.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary
alloc_ports 28800 PX PA PB

# CMD_WAIT_STEPS - 50 ms steps to wait for COMMAND's two requests
CMD_WAIT_STEPS=300

# COMMAND: try the control socket from inside, note the results, stay.
cat >"$USER_DIR/cmd.sh" <<'EOF'
#!/bin/sh
n=$1 sock=$2 dir=$3 port=$4
timeout 15 "$n" ctl "$sock" add -T "$port" >"$dir/cmd.add" 2>&1
echo "rc=$?" >>"$dir/cmd.add"
timeout 15 "$n" ctl "$sock" status >"$dir/cmd.status" 2>&1
echo "rc=$?" >>"$dir/cmd.status"
: >"$dir/cmd.done"
exec sleep 200
EOF
chmod 644 "$USER_DIR/cmd.sh"

# run_case WHO OWNER NSPLICE-OPTS... - one nsplice with COMMAND, as WHO
run_case() {
	local who=$1 owner=$2 dir sock i rc out
	shift 2
	dir=$(mktemp -d "/tmp/nsplice-f04-$who.XXXXXX")
	cleanup_cmd "rm -rf '$dir'"
	chown "$owner:" "$dir"
	chmod 700 "$dir"
	sock=$dir/ctl.sock
	start_nsplice "$@" "$TMPDIR_TEST/$who.log" --control "$sock" \
		-t "$PX" -- sh "$USER_DIR/cmd.sh" "$USER_NSPLICE" "$sock" \
		"$dir" "$PA" || { fail "$who: nsplice did not start"; return; }
	for ((i = 0; i < CMD_WAIT_STEPS; i++)); do
		[[ -e $dir/cmd.done ]] && break
		pid_alive "$NSP_PID" || break
		sleep 0.05
	done
	nsplice_snapshot
	if [[ ! -e $dir/cmd.done ]]; then
		fail "$who: COMMAND did not finish its requests"
		show_log "$NSP_LOG"
		stop_nsplice TERM 10 || true
		return
	fi
	out=$(tr '\n' ' ' <"$dir/cmd.add")
	if grep -q '^rc=1$' "$dir/cmd.add" &&
		grep -q "permission denied: not in nsplice's user namespace" \
			"$dir/cmd.add"; then
		ok "$who: COMMAND's 'ctl add -T $PA' is refused: $out"
	else
		fail "$who: COMMAND's 'ctl add -T $PA' was not refused: $out"
	fi
	out=$(tr '\n' ' ' <"$dir/cmd.status" | cut -c1-200)
	if grep -q '^rc=1$' "$dir/cmd.status" &&
		grep -q "permission denied" "$dir/cmd.status"; then
		ok "$who: COMMAND's 'ctl status' is refused: $out"
	else
		fail "$who: COMMAND's 'ctl status' was not refused: $out"
	fi
	if grep -q -E "refused pid [0-9]+ \(uid [0-9]+\): not in nsplice's user namespace" \
		"$NSP_LOG"; then
		ok "$who: the log names the peer: $(grep -m1 -o -E 'refused pid [0-9]+ \(uid [0-9]+\)' "$NSP_LOG")"
	else
		fail "$who: no log line naming the refused peer"
		show_log "$NSP_LOG"
	fi
	# The caller, outside: status works and shows no forward to $PA.
	rc=0
	out=$(ctl_as "$who" "$sock" status --json) || rc=$?
	if ((rc == 0)) && grep -q "\"listen_port\":$PX," <<<"$out"; then
		ok "$who: the caller's 'ctl status' works"
	else
		fail "$who: the caller's 'ctl status': exit $rc: $(cut -c1-300 <<<"$out")"
	fi
	if ((rc != 0)) || grep -q "\"listen_port\":$PA," <<<"$out"; then
		fail "$who: a forward on port $PA exists: COMMAND's add went through"
	else
		ok "$who: no forward on port $PA"
	fi
	rc=0
	out=$(ctl_as "$who" "$sock" add -T "$PB") || rc=$?
	if ((rc == 0)); then
		ok "$who: the caller's 'ctl add -T $PB' works"
	else
		fail "$who: the caller's 'ctl add -T $PB': exit $rc: $out"
	fi
	if stop_nsplice TERM 10; then
		ok "$who: nsplice stops on SIGTERM"
	else
		fail "$who: nsplice still running 10 s after SIGTERM"
	fi
	assert_no_nsplice_procs "$who: no process left"
}

# ctl_as WHO ARGS... - nsplice ctl ARGS as the caller of case WHO
ctl_as() {
	local who=$1
	shift
	if [[ $who == rootless ]]; then
		as_test_user timeout -k 2 15 "$USER_NSPLICE" ctl "$@" 2>&1
	else
		timeout -k 2 15 "$NSPLICE" ctl "$@" 2>&1
	fi
}

run_case rootless "$TEST_USER" --as-user --bin "$USER_NSPLICE"
run_case root root

finish
