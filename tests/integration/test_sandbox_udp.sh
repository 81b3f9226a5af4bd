#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_udp - UDP forwards leave the sandbox as tight as TCP's.
#
# With nsplice --netns NS -u HP:PORT serving 40 UDP flows (so the relay
# holds a listening UDP socket, 40 flow sockets and a pool), read back
# from the live relay:
#  - /proc/PID/status: no capabilities, NoNewPrivs 1, Seccomp 2;
#  - its descriptors are only the log pipe, sockets, pipes and epoll;
# then, with gdb inside the live processes (each call runs under that
# process's own seccomp filter and Landlock rules):
#  - relay: sendmmsg() on a channel (descriptor 3), the one way it could
#    pass a descriptor out with the call UDP added, is killed (SIGSYS);
#    sendmsg() and socket(AF_INET, SOCK_DGRAM) are killed too; each time
#    the supervisor logs it and a new relay serves the UDP forward again;
#  - agent target: connect() is in its allowlist for UDP flow sockets,
#    but a TCP connect() to a listener of its namespace fails with EACCES
#    (Landlock) and that listener never sees a connection: agents still
#    never open TCP connections.
# Why it matters: SECURITY.md's relay and agent promises must survive the
# system calls UDP needed (recvmmsg, sendmmsg, agent connect()).  On a
# build without these rules, sendmmsg() would be killed anyway (so the
# relay part holds there too) but the agent's TCP connect() case fails
# (connect() would be killed by seccomp, not refused by Landlock).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/sandbox.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb is not installed"

EACCES=13

NS="nsp-$$-udpsbx"
make_netns "$NS"
alloc_ports 23500 HP PORT LT

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_accept_counter "$NS" "$LT" "$TMPDIR_TEST/accept.log"
wait_port 127.0.0.1 "$LT" "$NS" || die "TCP listener in $NS did not start"
sleep 0.3
ACC0=$(wc -l <"$TMPDIR_TEST/accept.log")

start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" -u "$HP:$PORT" ||
	die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "UDP forward $HP never answered"
udptool flows 127.0.0.1 "$HP" --count 40 >"$TMPDIR_TEST/flows.out" ||
	fail "40 flows: $(cat "$TMPDIR_TEST/flows.out")"

RELAY=$(find_role relay) || die "no relay"
check_caps "relay with UDP flows" "$RELAY"
check_locked "relay with UDP flows" "$RELAY"
check_relay_fds "relay with UDP flows" "$RELAY"
nsock=$(find /proc/"$RELAY"/fd -lname 'socket:*' 2>/dev/null | wc -l)
if ((nsock >= 40)); then
	ok "the relay holds $nsock sockets while 40 UDP flows are open"
else
	fail "the relay holds only $nsock sockets with 40 UDP flows open"
fi

# relay_attack NAME GDB-CMD... - run the commands in the live relay; ok if
# seccomp killed it, the supervisor said so, and a new relay serves -u.
relay_attack() {
	local name=$1 pid out
	shift
	pid=$(find_role relay) || { fail "$name: no relay"; return; }
	wait_filters "$pid" 2 10 || { fail "$name: relay has no filter"; return; }
	out=$TMPDIR_TEST/gdb-$name.out
	gdb_run "$pid" "$out" "$@"
	if gdb_sigsys "$out" && wait_gone "$pid" 5 &&
		grep -q "relay (pid $pid) was killed by seccomp (SIGSYS)" "$NSP_LOG"; then
		ok "relay: $name is killed by seccomp (SIGSYS), and the supervisor logged it"
	else
		fail "relay: $name was not killed; the call returned '$(gdb_value "$out" 1)'"
		grep -v '^\[' "$out" | tail -n 5 | indent
	fi
	if wait_new_role relay "$pid" 15 >/dev/null &&
		udptool wait 127.0.0.1 "$HP" --timeout 15 >/dev/null; then
		ok "relay: after $name, a new relay serves -u $HP again"
	else
		fail "relay: after $name, -u $HP is not served again"
		show_log "$NSP_LOG"
	fi
}

relay_attack "sendmmsg() on channel 3" \
	"print (long)syscall($SYS_sendmmsg, 3, 0, 0, 0)"
relay_attack "sendmsg()" \
	"print (long)syscall($SYS_sendmsg, 3, 0, 0)"
relay_attack "socket(AF_INET, SOCK_DGRAM)" \
	"print (long)syscall($SYS_socket, 2, 2, 0)"

# Agent target: TCP connect() refused by Landlock, the agent lives on
AGENT=$(find_role "agent target") || die "no agent target"
wait_filters "$AGENT" 2 10 || fail "agent target has no filter"
out=$TMPDIR_TEST/gdb-agent.out
mapfile -t cmds < <(
	echo "set \$sa = (long)calloc(1, 64)"
	gdb_sockaddr "\$sa" "$LT"
	echo "set \$s = (long)syscall($SYS_socket, 2, 1, 0)"
	echo "print (long)syscall($SYS_connect, \$s, \$sa, 16)"
	echo "print (int)*(int *)__errno_location()"
	echo "call (long)syscall($SYS_close, \$s)")
gdb_run "$AGENT" "$out" "${cmds[@]}"
rc=$(gdb_value "$out" 1)
err=$(gdb_value "$out" 2)
if ! gdb_sigsys "$out" && [[ $rc == -1 && $err == "$EACCES" ]] &&
	pid_alive "$AGENT"; then
	ok "agent target: TCP connect() to 127.0.0.1:$LT fails with EACCES (Landlock), the agent lives on"
else
	fail "agent target: TCP connect() returned '$rc' errno '$err'"
	grep -v '^\[' "$out" | tail -n 8 | indent
fi
sleep 0.3
if (($(wc -l <"$TMPDIR_TEST/accept.log") == ACC0)); then
	ok "agent target: the namespace's TCP listener saw no connection from it"
else
	fail "agent target: the namespace's TCP listener accepted a connection"
fi
if udptool client 127.0.0.1 "$HP" --sizes 1,1400 >/dev/null; then
	ok "the UDP forward still works after all that"
else
	fail "the UDP forward does not work any more"
fi

shutdown_nsplice --any-status 3
finish
