#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_relay - the relay of a running nsplice is locked in.
#
# For nsplice run as root (--netns) and as the unprivileged user
# nsplice-test (COMMAND mode), reads from the live relay process:
#  - /proc/PID/status: CapInh, CapPrm, CapEff, CapBnd, CapAmb all zero,
#    NoNewPrivs 1, Seccomp 2 (a filter);
#  - its uid: the --runas user (nsplice, else nobody) as root, so pipe
#    pages are accounted to that user and not to root (and the relay says
#    it budgets against the user's soft limit); nsplice-test otherwise;
#  - its network, mount, IPC, UTS and user namespaces differ from the
#    host's, and its network namespace from the target's;
#  - its root directory is empty and read-only (even for root outside);
#  - /proc/PID/fd: 2 the log pipe, and otherwise only sockets, pipes and
#    its epoll instance - also while a connection is open;
#  - /proc/PID/limits: RLIMIT_NPROC, RLIMIT_FSIZE and RLIMIT_CORE 0,
#    RLIMIT_NOFILE soft = hard;
#  - its start-up log names the active layers, and the Landlock connect
#    rule for the one target port;
#  - and it still forwards: 8 concurrent echo round trips.
# Why it matters: this is the process that touches traffic from the
# untrusted side; each property is one wall a compromised relay would have
# to get through (SECURITY.md names this test for the relay).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"

sandbox_test_start

NS="nsp-$$-sbxrelay"
make_netns "$NS"
alloc_ports 30100 HPORT PORT UHPORT UPORT
TEST_UID=$(id -u "$TEST_USER")

# relay_checks DESC RELAY-PID UID TARGET-NETNS-LINK HPORT - everything the
# header lists, on one running relay.
relay_checks() {
	local desc=$1 pid=$2 uid=$3 target=$4 hport=$5 holder
	check_caps "$desc" "$pid"
	check_locked "$desc" "$pid"
	check_uid "$desc" "$pid" "$uid"
	check_relay_namespaces "$desc" "$pid" "$target"
	check_empty_root "$desc" "$pid"
	check_relay_fds "$desc" "$pid"
	check_limit "$desc" "$pid" "Max processes" 0
	check_limit "$desc" "$pid" "Max file size" 0
	check_limit "$desc" "$pid" "Max core file size" 0
	local nofile
	nofile=$(awk 'index($0, "Max open files") == 1 { print $4, $5 }' "/proc/$pid/limits")
	if [[ ${nofile% *} == "${nofile#* }" && ${nofile% *} -le 147456 ]]; then
		ok "$desc: Max open files is ${nofile% *}, soft = hard, within RELAY_NOFILE_MAX"
	else
		fail "$desc: Max open files is '$nofile'"
	fi
	check_log "$desc: start-up log names the layers" \
		'^\[relay\] sandbox: own user, mount, network, IPC and UTS namespaces; root an empty read-only tmpfs \(pivot_root\); uid [0-9]+; no capabilities; no_new_privs; .*Landlock ABI [0-9]+: no files.*seccomp allowlist, kill on violation'
	check_log "$desc: Landlock limits connect() to the target port" \
		'^\[relay\] sandbox: Landlock: TCP connect limited to 1 target port$'
	check_log "$desc: pipe pages budgeted against the user's soft limit" \
		"^\[relay\] pipes: .*half the user's soft limit"
	if check "$desc: 8 concurrent echo round trips through the relay" \
		nstool concurrent 127.0.0.1 "$hport" 8; then :; fi
	# With a flow open, the relay holds two more sockets, and nothing else.
	start_bg "$TMPDIR_TEST/hold.log" timeout -k 2 20 "$PY" "$NSTOOL" \
		hold 127.0.0.1 "$hport" --timeout 15
	holder=$BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -q holding "$TMPDIR_TEST/hold.log" 2>/dev/null && break
		sleep 0.05
	done
	check_relay_fds "$desc, with a connection open" "$pid"
	kill "$holder" 2>/dev/null || true
}

# 1. nsplice as root, --netns.
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
if start_nsplice --wait 127.0.0.1 "$HPORT" "$TMPDIR_TEST/root.log" \
	-v --netns "$NS" -t "127.0.0.1/$HPORT:$PORT"; then
	if relay=$(find_role relay); then
		relay_checks "root: relay" "$relay" "$(relay_uid_expected)" \
			"$(ip netns exec "$NS" readlink /proc/self/ns/net)" "$HPORT"
	else
		fail "root: no relay process"
	fi
	shutdown_nsplice 3 "root"
fi

# 2. nsplice as nsplice-test, COMMAND mode: the echo server is COMMAND.
if start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/user.log" \
	-v -t "127.0.0.1/$UHPORT:$UPORT" -- "$PY" "$USER_NSTOOL" echo-server \
	"$UPORT" --addr 127.0.0.1 --lifetime "$LIFETIME"; then
	cmd=$(find_command_pid 'nstool[.]py echo-server')
	if [[ -z $cmd ]] || ! wait_port 127.0.0.1 "$UPORT" "pid:$cmd" >/dev/null 2>&1 ||
		! wait_port 127.0.0.1 "$UHPORT" >/dev/null 2>&1; then
		fail "user: COMMAND or its forward did not come up"
		show_log "$NSP_LOG"
	elif relay=$(find_role relay); then
		nsplice_snapshot
		relay_checks "user: relay" "$relay" "$TEST_UID" \
			"$(readlink "/proc/$cmd/ns/net")" "$UHPORT"
	else
		fail "user: no relay process"
	fi
	shutdown_nsplice --any-status 3 "user"
fi

finish
