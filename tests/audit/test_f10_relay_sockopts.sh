#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f10_relay_sockopts - the relay may set SO_LINGER and TCP_CONGESTION
# and no other socket option.
#
# Audit finding 10e: the relay's allowlist permitted setsockopt()
# SO_RCVLOWAT, TCP_NODELAY and TCP_QUICKACK, which the relay never sets
# (least privilege).  With gdb inside the live relay (its filter applies),
# the test calls setsockopt(3, ...) with each of them: the relay must be
# killed by seccomp (the supervisor logs "relay (pid N) was killed by
# seccomp (SIGSYS)") and restarted.  Positive control: SO_LINGER, which the
# relay uses to reset a peer, and TCP_CONGESTION, which it sets on pool
# sockets bound for a loopback target (ipc/localcc.c), return without
# killing it, and the forward serves after the restarts.  On the code before the fix none of the three
# killed the relay.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice

NS="nsp-$$-f10"
make_netns "$NS"
alloc_ports 23700 FPORT
start_ns_server "$NS" "$TMPDIR_TEST/ident.log" ident-server "$FPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$FPORT" "$NS" || die "ident server in $NS did not start"
start_nsplice --wait 127.0.0.1 "$FPORT" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "127.0.0.1/$FPORT:$FPORT" || die "nsplice did not start"

# sockopt NAME LEVEL OPT LEN KILLED - setsockopt(3, LEVEL, OPT, &zeros,
# LEN) in the live relay; KILLED 1: it must kill the relay, 0: not.
sockopt() {
	local name=$1 pid out
	pid=$(find_role relay) || { fail "$name: no relay"; return; }
	wait_filters "$pid" 2 10 || { fail "$name: relay has no filter"; return; }
	out=$TMPDIR_TEST/gdb-$name.out
	gdb_run "$pid" "$out" "set \$v = (long)calloc(1, 16)" \
		"call (long)syscall($SYS_setsockopt, 3, $2, $3, \$v, $4)"
	if (($5)); then
		if gdb_sigsys "$out" && wait_gone "$pid" 5 &&
			grep -q "relay (pid $pid) was killed by seccomp (SIGSYS)" "$NSP_LOG"; then
			ok "$name: relay killed by seccomp (SIGSYS), supervisor logged it"
		else
			fail "$name: relay $pid not killed; setsockopt returned '$(gdb_value "$out" 1)'"
		fi
		wait_new_role relay "$pid" 10 >/dev/null || fail "$name: relay not restarted"
	elif ! gdb_sigsys "$out" && pid_alive "$pid" && [[ -n $(gdb_value "$out" 1) ]]; then
		ok "$name: allowed, returned $(gdb_value "$out" 1); relay alive"
	else
		fail "$name: the relay did not survive an allowed option"
		tail -n 5 "$out" | indent
	fi
}

# SOL_SOCKET 1: SO_LINGER 13 (struct linger, 8 bytes), SO_RCVLOWAT 18;
# IPPROTO_TCP 6: TCP_NODELAY 1, TCP_QUICKACK 12, TCP_CONGESTION 13 (a name;
# the empty one is refused with ENOENT, which is all the control needs).
sockopt SO_LINGER 1 13 8 0
sockopt TCP_CONGESTION 6 13 6 0
sockopt SO_RCVLOWAT 1 18 4 1
sockopt TCP_NODELAY 6 1 4 1
sockopt TCP_QUICKACK 6 12 4 1

if wait_port 127.0.0.1 "$FPORT" >/dev/null 2>&1 &&
	line=$(nstool ident 127.0.0.1 "$FPORT" 2>&1); then
	ok "forward serves after the restarts: $line"
else
	fail "forward does not serve after the restarts: ${line:-}"
	show_log "$NSP_LOG"
fi
shutdown_nsplice --any-status 5
finish
