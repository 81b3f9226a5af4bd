#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_fallback - the relay's sandbox without user namespaces.
#
# user.max_user_namespaces is a limit of each user namespace, so instead of
# switching user namespaces off for the whole machine (which also needs
# CAP_SYS_RESOURCE, not always granted to a root test runner), the test
# creates a user namespace C mapping ids 0-65535 to themselves, sets the
# limit to 0 inside C only, and runs nsplice in C: "root" there has uid 0
# and every capability over what C owns, and no new user namespace can be
# created, exactly the situation of a host with user namespaces off.
# Proves:
#  - root (uid 0 in C, --pid of a network namespace C owns): the relay
#    gets its own mount, network, IPC and UTS namespaces all the same, and
#    the empty read-only root (pivot_root); it runs as the --runas user,
#    holds no capability (bounding set included), has NoNewPrivs 1 and
#    Seccomp 2, says "no user namespace" in its log, and forwards; its
#    user namespace is the supervisor's;
#  - nsplice-test in C (--pid of a container whose user namespace was
#    made before the limit): the relay warns that it cannot create
#    namespaces and runs with NoNewPrivs, no effective/permitted
#    capability, Seccomp 2 and Landlock (connect still limited), and
#    forwards: the documented degraded mode.
# Why it matters: some hosts disable user namespaces; nsplice must neither
# refuse to run there nor silently drop the layers that remain.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"

sandbox_test_start

TEST_UID=$(id -u "$TEST_USER")
TEST_GID=$(id -g "$TEST_USER")
alloc_ports 30400 HPORT PORT UHPORT UPORT

# 1. The user namespace C, held by a sleep, ids 0-65535 mapped to
# themselves (written from here: root outside may map any range).
start_bg "$TMPDIR_TEST/holder.log" unshare -U sleep "$LIFETIME"
C=$BG_PID
for ((i = 0; i < 100; i++)); do
	[[ $(readlink "/proc/$C/ns/user") != "$(readlink /proc/self/ns/user)" ]] && break
	sleep 0.05
done
echo "0 0 65536" >"/proc/$C/uid_map" && echo "0 0 65536" >"/proc/$C/gid_map" ||
	die "cannot map ids in the test's user namespace"
C_USERNS=$(readlink "/proc/$C/ns/user")

# in_c [-u] CMD... - run CMD in C, as uid 0 there, or with -u as nsplice-test.
in_c() {
	if [[ $1 == -u ]]; then
		shift
		nsenter -t "$C" -U -S "$TEST_UID" -G "$TEST_GID" -- "$@"
	else
		nsenter -t "$C" -U -- "$@"
	fi
}

# ns_server [-u] PORT - start an echo server on PORT in a new network
# namespace inside C (with -u: as nsplice-test, in a new user namespace of
# its own too, like a rootless container); print its pid.
ns_server() {
	local who=() unsh=(unshare -n) tool=$NSTOOL p i
	if [[ $1 == -u ]]; then
		who=(-S "$TEST_UID" -G "$TEST_GID")
		unsh=(unshare -r -n)
		tool=$USER_NSTOOL
		shift
	fi
	start_bg "$TMPDIR_TEST/server-$1.log" nsenter -t "$C" -U "${who[@]}" -- \
		"${unsh[@]}" sh -c "ip link set lo up && exec $PY $tool echo-server $1 --addr 127.0.0.1 --lifetime $LIFETIME"
	for ((i = 0; i < 100; i++)); do
		p=$(pgrep -f "nstool.py echo-server $1 " | head -n1) || true
		[[ -n $p ]] && wait_port 127.0.0.1 "$1" "pid:$p" >/dev/null 2>&1 && break
		sleep 0.05
	done
	echo "$p"
}

# A wrapper that starts nsplice inside C, for start_nsplice --bin: nsenter
# execs (no fork for a user namespace), so NSP_PID is still the supervisor.
wrapper() {
	local w=$TMPDIR_TEST/nsplice-in-c$1
	printf '#!/bin/sh\nexec nsenter -t %s -U %s -- %s "$@"\n' "$C" "$2" "$3" >"$w"
	chmod 755 "$w"
	echo "$w"
}
ROOT_BIN=$(wrapper root "" "$NSPLICE")
USER_BIN=$(wrapper user "-S $TEST_UID -G $TEST_GID" "$USER_NSPLICE")

# Both targets exist before the limit drops to 0 inside C.
TARGET=$(ns_server "$PORT")
[[ -n $TARGET ]] || die "echo server in C did not start"
CTR=$(ns_server -u "$UPORT")
[[ -n $CTR ]] || die "rootless container in C did not start"
in_c sh -c 'echo 0 > /proc/sys/user/max_user_namespaces' ||
	die "cannot set user.max_user_namespaces in C"
if in_c unshare -U true 2>/dev/null; then
	die "C can still create user namespaces"
fi
ok "inside C, no user namespace can be created any more"

# 2. Root in C.
if start_nsplice --bin "$ROOT_BIN" --wait 127.0.0.1 "$HPORT" \
	"$TMPDIR_TEST/root.log" -v --pid "$TARGET" -t "127.0.0.1/$HPORT:$PORT"; then
	if relay=$(find_role relay); then
		d="root, no user namespaces: relay"
		check_caps "$d" "$relay"
		check_locked "$d" "$relay"
		check_uid "$d" "$relay" "$(relay_uid_expected)"
		check_relay_namespaces "$d" "$relay" \
			"$(readlink "/proc/$TARGET/ns/net")" "$C_USERNS"
		check_empty_root "$d" "$relay"
		check_relay_fds "$d" "$relay"
		check_log "$d: says why" '^\[relay\] no user namespace for the relay'
		check_log "$d: names its layers" \
			'^\[relay\] sandbox: own mount, network, IPC and UTS namespaces; root an empty read-only tmpfs \(pivot_root\); .*Landlock ABI'
		check "$d: forwards" nstool concurrent 127.0.0.1 "$HPORT" 4
	else
		fail "root: no relay process"
	fi
	shutdown_nsplice --any-status 3 "root"
fi

# 3. nsplice-test in C.
if start_nsplice --bin "$USER_BIN" --wait 127.0.0.1 "$UHPORT" \
	"$TMPDIR_TEST/user.log" -v --pid "$CTR" -t "127.0.0.1/$UHPORT:$UPORT"; then
	if relay=$(find_role relay); then
		d="user, no user namespaces: relay"
		for f in CapPrm CapEff CapInh CapAmb; do
			check_status "$d" "$relay" "$f" 0000000000000000
		done
		check_locked "$d" "$relay"
		check_uid "$d" "$relay" "$TEST_UID"
		check_log "$d: warns" \
			'^\[relay\] warning: cannot create namespaces for the relay .*seccomp and Landlock alone'
		check_log "$d: names its layers" \
			"^\[relay\] sandbox: nsplice's namespaces \(none could be created\); root unchanged; .*Landlock ABI [0-9]+: no files, no TCP bind"
		check_log "$d: connect() still limited" \
			'^\[relay\] sandbox: Landlock: TCP connect limited to 1 target port$'
		check "$d: forwards" nstool concurrent 127.0.0.1 "$UHPORT" 4
	else
		fail "user: no relay process"
	fi
	shutdown_nsplice --any-status 3 "user"
fi

finish
