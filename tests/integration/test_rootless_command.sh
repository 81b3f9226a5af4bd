#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_rootless_command - COMMAND mode run by an unprivileged user.
#
# As the system user nsplice-test (no capabilities, no groups), with a copy
# of the binary the user can execute, proves:
#  - COMMAND runs in a NEW network namespace (not the host's), as uid 0
#    there, with lo up;
#  - `nsplice -t HPORT:PORT -- python3 -m http.server --bind 127.0.0.1 PORT`
#    serves the page to curl on the host's 127.0.0.1:HPORT;
#  - every nsplice process runs as nsplice-test, none as root;
#  - 256 MiB each way through a rootless forward arrive intact;
#  - nsplice exits with COMMAND's status (3 for `exit 3`, 137 for a
#    COMMAND killed by SIGKILL), leaving nothing behind; a COMMAND that
#    cannot be executed gives 127 (not found) or 126, as env(1) does,
#    and no "ready" line;
#  - SIGTERM to nsplice: status 0, and no process left, COMMAND included;
#  - COMMAND starts only once nsplice serves: with a -t port taken on the
#    host, nsplice exits 2 and COMMAND never ran (it used to run, and
#    nsplice exited 0 when COMMAND ended before the bind failed); a -T
#    port answers COMMAND's very first connect().
# Why it matters: rootless containers (podman-style) are the main users of
# COMMAND mode; needing root, or running anything as root, or leaving the
# COMMAND running after the forwarder died, would each be a defect.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary
SIZE=${NSPLICE_TEST_TRANSFER:-256M}
TEST_UID=$(id -u "$TEST_USER")
alloc_ports 28000 HPORT PORT H1 H2 P1 P2 HQ PQ HB HT

# wait_command REGEX NSPORT HPORT - find the COMMAND (a descendant of
# nsplice whose args match REGEX), wait for it to listen on NSPORT inside
# its namespace, then for the forward HPORT on the host.  Sets CMD_PID.
wait_command() {
	local i
	CMD_PID=""
	for ((i = 0; i < 100; i++)); do
		CMD_PID=$(for p in $(nsplice_pids); do
			ps -o pid=,args= -p "$p" 2>/dev/null; done |
			awk -v re="$1" '$0 ~ re { print $1; exit }') || true
		[[ -n $CMD_PID ]] && break
		pid_alive "$NSP_PID" || break
		sleep 0.05
	done
	if [[ -z $CMD_PID ]]; then
		fail "COMMAND /$1/ not found among nsplice's descendants"
		nsplice_ps | indent
		show_log "$NSP_LOG"
		return 1
	fi
	if ! wait_port 127.0.0.1 "$2" "pid:$CMD_PID" >"$TMPDIR_TEST/w" 2>&1; then
		fail "COMMAND did not listen on $2 in its namespace"
		indent <"$TMPDIR_TEST/w"
		show_log "$NSP_LOG"
		return 1
	fi
	if ! wait_port 127.0.0.1 "$3" >"$TMPDIR_TEST/w" 2>&1; then
		fail "forward 127.0.0.1:$3 not accepting"
		indent <"$TMPDIR_TEST/w"
		show_log "$NSP_LOG"
		return 1
	fi
	nsplice_snapshot
}

# check_users - every process of the nsplice tree runs as nsplice-test.
check_users() {
	local bad
	nsplice_ps "pid=,uid=,user:20=,args=" >"$TMPDIR_TEST/ps"
	bad=$(awk -v u="$TEST_UID" '$2 != u' "$TMPDIR_TEST/ps")
	if [[ -s $TMPDIR_TEST/ps && -z $bad ]]; then
		ok "all $(wc -l <"$TMPDIR_TEST/ps") processes of the nsplice tree run as $TEST_USER"
	else
		fail "processes of the nsplice tree not running as $TEST_USER (uid $TEST_UID):"
		indent <"$TMPDIR_TEST/ps"
	fi
	for role in supervisor 'agent host' 'agent target' relay; do
		grep -q -E "^ *[0-9]+ +$TEST_UID +[^ ]+ +nsplice: $role" "$TMPDIR_TEST/ps" ||
			fail "no 'nsplice: $role' process running as $TEST_USER"
	done
}

# expect_exit DESC WANT ARGS... - run nsplice ARGS as the user; it must
# exit by itself within 10 s with status WANT and leave nothing behind.
expect_exit() {
	local desc=$1 want=$2
	shift 2
	start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/exit.log" "$@" || return 0
	if ! wait_nsplice_exit 10; then
		fail "$desc: nsplice still running after 10 s"
		show_log "$NSP_LOG"
		return 0
	fi
	if [[ $NSP_RC == "$want" ]]; then
		ok "$desc: exit status $want"
	else
		fail "$desc: exit status $NSP_RC, expected $want"
		show_log "$NSP_LOG" 10
	fi
	assert_no_nsplice_procs "$desc: no process left"
}

# 1. The namespace COMMAND runs in.
HOSTNS=$(readlink /proc/self/ns/net)
expect_exit "COMMAND runs as uid 0 in a new netns with lo up" 0 \
	-t "$HQ:$PQ" -- "$PY" -c "
import os, socket, sys
if os.readlink('/proc/self/ns/net') == '$HOSTNS': sys.exit(4)
if os.getuid() != 0: sys.exit(3)
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
socket.create_connection(s.getsockname(), 2).close()
"

# 2. HTTP server as COMMAND.
mkdir -p "$TMPDIR_TEST/www"
echo "rootless-$RUN_TAG" >"$TMPDIR_TEST/www/token.txt"
chmod -R a+rX "$TMPDIR_TEST/www"
if start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/http.log" \
	-t "$HPORT:$PORT" -- "$PY" -m http.server --bind 127.0.0.1 \
	--directory "$TMPDIR_TEST/www" "$PORT" &&
	wait_command 'http[.]server' "$PORT" "$HPORT"; then
	got=$(timeout 10 curl -s --max-time 5 "http://127.0.0.1:$HPORT/token.txt" || true)
	if [[ $got == "rootless-$RUN_TAG" ]]; then
		ok "curl http://127.0.0.1:$HPORT/ gets the page served by COMMAND"
	else
		fail "curl http://127.0.0.1:$HPORT/token.txt returned '$got'"
		show_log "$NSP_LOG" 10
	fi
	if [[ $(readlink "/proc/$CMD_PID/ns/net") != "$HOSTNS" ]]; then
		ok "COMMAND (pid $CMD_PID) is in its own network namespace"
	else
		fail "COMMAND (pid $CMD_PID) runs in the host's network namespace"
	fi
	check_users
	if stop_nsplice TERM 5; then
		[[ $NSP_RC == 0 ]] && ok "SIGTERM: exit status 0" ||
			fail "SIGTERM: exit status $NSP_RC, expected 0"
	else
		fail "SIGTERM: nsplice still running after 5 s"
	fi
	if pid_alive "$CMD_PID"; then
		fail "SIGTERM: COMMAND (pid $CMD_PID) still running"
	else
		ok "SIGTERM: COMMAND is gone"
	fi
	assert_no_nsplice_procs "SIGTERM: no process left"
	port_listening "$HPORT" && fail "port $HPORT still listening after exit" ||
		ok "port $HPORT closed after exit"
fi

# 3. Bulk transfer through a rootless forward; COMMAND is the nstool servers.
if start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/xfer.log" \
	-t "$H1:$P1" -t "$H2:$P2" -- "$PY" "$USER_NSTOOL" serve "sink=$P1" \
	"source=$P2,$SIZE" --addr 127.0.0.1 --addr ::1 --lifetime "$LIFETIME" &&
	wait_command 'nstool[.]py serve' "$P1" "$H1"; then
	if check "rootless: $SIZE host -> namespace intact" nstool send "$SIZE" 127.0.0.1 "$H1"; then
		note "rootless up: $CHECK_OUT"
	fi
	if check "rootless: $SIZE namespace -> host intact" nstool recv "$SIZE" 127.0.0.1 "$H2"; then
		note "rootless down: $CHECK_OUT"
	fi
	shutdown_nsplice 2 "transfer run"
fi

# 4. Exit status of COMMAND becomes nsplice's.
expect_exit "COMMAND 'exit 3'" 3 -t "$HQ:$PQ" -- sh -c 'exit 3'
expect_exit "COMMAND killed by SIGKILL" 137 -t "$HQ:$PQ" -- sh -c 'kill -9 $$'
expect_exit "COMMAND that does not exist (as env(1): 127)" 127 -t "$HQ:$PQ" -- \
	/nonexistent/nsplice-no-such-command
if grep -q "; ready" "$NSP_LOG"; then
	fail "a COMMAND that cannot run was announced as ready"
else
	ok "a COMMAND that cannot run is not announced as ready"
fi
expect_exit "COMMAND that is not executable (as env(1): 126)" 126 -t "$HQ:$PQ" -- \
	/etc/passwd

# 5. COMMAND waits until nsplice serves.
start_ns_server "" "$TMPDIR_TEST/busy.log" echo-server "$HB" --addr 127.0.0.1
wait_port 127.0.0.1 "$HB" || die "could not occupy port $HB"
mkdir "$TMPDIR_TEST/cmd"
chown "$TEST_USER" "$TMPDIR_TEST/cmd"
MARK=$TMPDIR_TEST/cmd/ran
expect_exit "-t port in use on the host (bad input: 2)" 2 -t "$HB" -- \
	sh -c "echo ran >$MARK"
if [[ -e $MARK ]]; then
	fail "COMMAND ran although a -t port could not be bound"
else
	ok "COMMAND did not run: a -t port could not be bound"
fi
# -T HT: the namespace's 127.0.0.1:HT reaches the host's echo server on HB
# (held above); COMMAND connects at once, with no retry.
expect_exit "-T port answers COMMAND's first connect()" 0 -T "$HT:$HB" -- \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$HT"

finish
