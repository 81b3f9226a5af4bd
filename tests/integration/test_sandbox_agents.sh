#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_agents - the agents of a running nsplice keep nothing extra.
#
# Reads from the live agent processes:
#  - root, --netns, a host port below 1024: agent[host] holds exactly
#    CAP_NET_BIND_SERVICE (permitted, effective, bounding), agent[target]
#    nothing; both NoNewPrivs 1, Seccomp 2;
#  - root: both are non-dumpable: a root process without CAP_SYS_PTRACE
#    cannot ptrace them, while it can ptrace a dumpable control process
#    (a negative case paired with a positive one, so a broken probe cannot
#    pass);
#  - root, --pid of a rootless container (a user namespace owned by
#    nsplice-test): uid 0 inside that user namespace, with every
#    capability there, cannot ptrace agent[target] (which lives in the
#    container's network namespace) but can ptrace the container's own
#    process;
#  - nsplice-test, COMMAND mode: both agents hold no capability at all
#    (the bounding set of agent[host] stays full: an unprivileged process
#    cannot empty it, and it gives nothing without file capabilities and
#    with NO_NEW_PRIVS), NoNewPrivs 1, Seccomp 2; /proc/PID/environ of
#    each belongs to root although
#    they run as nsplice-test (non-dumpable); nsplice-test cannot read
#    their environ (but can read its own dumpable process's); and root
#    inside COMMAND's user namespace - which agent[target] has joined -
#    cannot ptrace agent[target], but can ptrace COMMAND.
# Why it matters: agent[target] lives inside the untrusted namespace; if
# root in the container could ptrace it, it would own its sockets and its
# channel to the relay (SECURITY.md names this test for the agents).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"

sandbox_test_start

NS="nsp-$$-sbxagent"
make_netns "$NS"
alloc_ports 30200 HPORT PORT UHPORT UPORT PHPORT PPORT
TEST_UID=$(id -u "$TEST_USER")
# A free privileged port on the host's loopback for --keep-bind-cap.
LOW=""
for p in 913 914 915 916 917 918 919; do
	port_free "$p" && LOW=$p && break
done
[[ -n $LOW ]] || die "no free port in 913-919"

# The probe: optionally join the user namespace of a process (becoming
# uid 0 there, with all its capabilities), then try to read the target's
# environ and to PTRACE_ATTACH it.  Exit 0 only if the attach worked.
PROBE=$TMPDIR_TEST/ptrace_probe.py
cat >"$PROBE" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                        ctypes.c_void_p]
args = sys.argv[1:]
if args[0] == "--userns-of":
    fd = os.open("/proc/%s/ns/user" % args[1], os.O_RDONLY)
    if libc.setns(fd, 0x10000000) != 0:  # CLONE_NEWUSER
        print("setns: " + os.strerror(ctypes.get_errno()))
        sys.exit(2)
    args = args[2:]
pid = int(args[0])
eff = [l.split()[1] for l in open("/proc/self/status")
       if l.startswith("CapEff")][0]
print("probe: uid %d, CapEff %s" % (os.getuid(), eff))
try:
    open("/proc/%d/environ" % pid, "rb").read()
    print("environ: readable")
except OSError as e:
    print("environ: " + e.strerror)
if libc.ptrace(16, pid, None, None) != 0:  # PTRACE_ATTACH
    print("attach: " + os.strerror(ctypes.get_errno()))
    sys.exit(1)
os.waitpid(pid, 0x40000000)  # __WALL
libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
print("attach: ok")
EOF
chmod 644 "$PROBE"

# expect_probe DESC WANT PROBE-COMMAND... - run the probe.  WANT:
# "denied": PTRACE_ATTACH fails with EPERM; "sealed": that, and reading
# environ fails too; "allowed": both succeed.  (Root outside keeps other
# capabilities that may open environ, so root's probes check the attach.)
expect_probe() {
	local desc=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [[ $want == denied && $rc == 1 && $out == *"attach: Operation not permitted"* ]]; then
		ok "$desc: $(echo "$out" | paste -sd';' | sed 's/;/; /g')"
	elif [[ $want == sealed && $rc == 1 && $out == *"attach: Operation not permitted"* &&
		$out == *"environ: Permission denied"* ]]; then
		ok "$desc: $(echo "$out" | paste -sd';' | sed 's/;/; /g')"
	elif [[ $want == allowed && $rc == 0 && $out == *"environ: readable"* ]]; then
		ok "$desc: $(echo "$out" | paste -sd';' | sed 's/;/; /g')"
	else
		fail "$desc: expected $want, got (exit $rc):"
		echo "$out" | indent
	fi
}

# root_without_ptrace CMD... - run CMD as root without CAP_SYS_PTRACE.
root_without_ptrace() {
	setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace -- "$@"
}

# 1. Root, --netns, a privileged host port.
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
if start_nsplice --wait 127.0.0.1 "$HPORT" --wait 127.0.0.1 "$LOW" \
	"$TMPDIR_TEST/root.log" --netns "$NS" -t "127.0.0.1/$HPORT:$PORT" \
	-t "127.0.0.1/$LOW:$PORT"; then
	host=$(find_role 'agent host') || fail "root: no agent host"
	target=$(find_role 'agent target') || fail "root: no agent target"
	check_caps "root: agent host (port $LOW)" "$host" "$CAP_NET_BIND_SERVICE_MASK"
	check_locked "root: agent host" "$host"
	check_caps "root: agent target" "$target"
	check_locked "root: agent target" "$target"
	# Control: dumpable, no capabilities, so the probe may attach.
	start_bg "$TMPDIR_TEST/ctl.log" setpriv --bounding-set=-all \
		--inh-caps=-all -- sleep 60
	ctl=$BG_PID	# env and setpriv exec: the pid is sleep's
	sleep 0.2
	expect_probe "root without CAP_SYS_PTRACE: control (dumpable sleep)" \
		allowed root_without_ptrace /usr/bin/python3 "$PROBE" "$ctl"
	expect_probe "root without CAP_SYS_PTRACE: agent host is not dumpable" \
		denied root_without_ptrace /usr/bin/python3 "$PROBE" "$host"
	expect_probe "root without CAP_SYS_PTRACE: agent target is not dumpable" \
		denied root_without_ptrace /usr/bin/python3 "$PROBE" "$target"
	shutdown_nsplice --any-status 3 "root"
fi

# 2. Root, --pid of a rootless container owned by nsplice-test.
start_bg "$TMPDIR_TEST/ctr.log" setpriv --reuid="$TEST_USER" \
	--regid="$TEST_USER" --clear-groups --inh-caps=-all -- \
	unshare -r -n sh -c "ip link set lo up && exec $PY $NSTOOL echo-server $PPORT --addr 127.0.0.1 --lifetime $LIFETIME"
CTR=""
for ((i = 0; i < 100; i++)); do
	CTR=$(pgrep -f "nstool.py echo-server $PPORT" | head -n1) || true
	[[ -n $CTR ]] && wait_port 127.0.0.1 "$PPORT" "pid:$CTR" >/dev/null 2>&1 && break
	sleep 0.05
done
[[ -n $CTR ]] || die "rootless container did not start"
if start_nsplice --wait 127.0.0.1 "$PHPORT" "$TMPDIR_TEST/pid.log" \
	--pid "$CTR" -t "127.0.0.1/$PHPORT:$PPORT"; then
	target=$(find_role 'agent target') || fail "--pid: no agent target"
	check_caps "--pid: agent target" "$target"
	check_locked "--pid: agent target" "$target"
	expect_probe "--pid: container root, control (the container's process)" \
		allowed as_test_user /usr/bin/python3 "$PROBE" --userns-of "$CTR" "$CTR"
	expect_probe "--pid: container root cannot ptrace agent target" \
		sealed as_test_user /usr/bin/python3 "$PROBE" --userns-of "$CTR" "$target"
	shutdown_nsplice --any-status 3 "--pid"
fi

# 3. nsplice-test, COMMAND mode.
if start_nsplice --as-user --bin "$USER_NSPLICE" "$TMPDIR_TEST/user.log" \
	-t "127.0.0.1/$UHPORT:$UPORT" -- "$PY" "$USER_NSTOOL" echo-server \
	"$UPORT" --addr 127.0.0.1 --lifetime "$LIFETIME"; then
	cmd=$(find_command_pid 'nstool[.]py echo-server')
	if [[ -z $cmd ]] || ! wait_port 127.0.0.1 "$UHPORT" >/dev/null 2>&1; then
		fail "user: COMMAND or its forward did not come up"
		show_log "$NSP_LOG"
	else
		nsplice_snapshot
		host=$(find_role 'agent host') || fail "user: no agent host"
		target=$(find_role 'agent target') || fail "user: no agent target"
		for a in "host:$host" "target:$target"; do
			pid=${a#*:}
			bnd=0000000000000000
			[[ ${a%%:*} == host ]] && bnd=$(status_field self CapBnd)
			check_status "user: agent ${a%%:*}" "$pid" CapBnd "$bnd"
			for f in CapPrm CapEff CapInh CapAmb; do
				check_status "user: agent ${a%%:*}" "$pid" "$f" 0000000000000000
			done
			check_locked "user: agent ${a%%:*}" "$pid"
			check_uid "user: agent ${a%%:*}" "$pid" "$TEST_UID"
			# The kernel gives a non-dumpable process's private
			# /proc files to root (world-readable dirs keep euid).
			owner=$(stat -c %u "/proc/$pid/environ")
			if [[ $owner == 0 ]]; then
				ok "user: agent ${a%%:*}: /proc/$pid/environ belongs to root (non-dumpable)"
			else
				fail "user: agent ${a%%:*}: /proc/$pid/environ belongs to uid $owner: dumpable"
			fi
		done
		start_bg "$TMPDIR_TEST/uctl.log" setpriv --reuid="$TEST_USER" \
			--regid="$TEST_USER" --clear-groups --inh-caps=-all -- sleep 60
		uctl=$BG_PID
		sleep 0.2
		expect_probe "user: nsplice-test, control (its own sleep)" \
			allowed as_test_user /usr/bin/python3 "$PROBE" "$uctl"
		expect_probe "user: nsplice-test cannot ptrace its agent host" \
			sealed as_test_user /usr/bin/python3 "$PROBE" "$host"
		expect_probe "user: root in COMMAND's user namespace, control (COMMAND)" \
			allowed as_test_user /usr/bin/python3 "$PROBE" --userns-of "$cmd" "$cmd"
		expect_probe "user: root in COMMAND's user namespace cannot ptrace agent target" \
			sealed as_test_user /usr/bin/python3 "$PROBE" --userns-of "$cmd" "$target"
		check "user: forwarding still works" nstool concurrent 127.0.0.1 "$UHPORT" 4
	fi
	shutdown_nsplice --any-status 3 "user"
fi

finish
