#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f05_agent_fastopen - an agent cannot open a TCP connection, not even
# through sendmsg(MSG_FASTOPEN) on a socket moved onto its relay channel's
# descriptor.
#
# Audit finding 5: the agents' filter checked MSG_FASTOPEN on sendto() but
# not on sendmsg(), which it allowed on descriptors 3 and 4; dup3() onto 4
# is allowed (RELAY_CHAN moves the new relay channel there), so a
# compromised agent could put a fresh TCP socket on 4 and connect with
# sendmsg(4, {127.0.0.1:PORT}, MSG_FASTOPEN).
#
# For agent[host] (host netns) and agent[target] (the namespace), the test
# runs a listener on 127.0.0.1 of that side and, with gdb inside the live
# agent (its own seccomp filter applies to each call):
#  a. socket(); sendmsg(that socket, MSG_FASTOPEN) to the listener;
#  b. socket(); dup3(it, 4, O_CLOEXEC); sendmsg(4, MSG_FASTOPEN) - the
#     audit's attack;
#  c. socket(); dup2(it, 4); sendmsg(4, MSG_FASTOPEN);
#  d. socket(); dup3(it, 4, 0); sendto(4, MSG_FASTOPEN).
# Each must end with the agent killed by seccomp (the supervisor logs
# "agent SIDE (pid N) was killed by seccomp (SIGSYS)" and restarts it) and
# the listener must never see a connection.  On the code before the fix,
# attack b returned 1 (one byte sent) and the listener accepted.
# Positive control: the restarted agent still serves the forward.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice

NS="nsp-$$-f05"
make_netns "$NS"
alloc_ports 23500 FPORT LHOST LTARGET
start_ns_server "$NS" "$TMPDIR_TEST/ident.log" ident-server "$FPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$FPORT" "$NS" || die "ident server in $NS did not start"
start_accept_counter "" "$LHOST" "$TMPDIR_TEST/accept-host.log"
start_accept_counter "$NS" "$LTARGET" "$TMPDIR_TEST/accept-target.log"
wait_port 127.0.0.1 "$LHOST" || die "host listener did not start"
wait_port 127.0.0.1 "$LTARGET" "$NS" || die "namespace listener did not start"
# wait_port connected once to each: count from here
sleep 0.3
declare -A BASE
for side in host target; do
	BASE[$side]=$(wc -l <"$TMPDIR_TEST/accept-$side.log")
done

start_nsplice --wait 127.0.0.1 "$FPORT" "$TMPDIR_TEST/nsplice.log" \
	--netns "$NS" -t "127.0.0.1/$FPORT:$FPORT" || die "nsplice did not start"

# attack SIDE PORT CASE - run attack CASE (a-d) in the live agent of SIDE
# against 127.0.0.1:PORT of its namespace; ok if the agent was killed by
# seccomp, fail if the call went through.
attack() {
	local side=$1 port=$2 c=$3 pid out send cmds
	pid=$(find_role "agent $side") || { fail "$side/$c: no agent $side"; return; }
	wait_filters "$pid" 2 10 || { fail "$side/$c: agent $side has no filter"; return; }
	out=$TMPDIR_TEST/gdb-$side-$c.out
	send="call (long)syscall($SYS_sendmsg, \$fd, \$msg, $MSG_FASTOPEN)"
	mapfile -t cmds < <(
		echo "set \$sa = (long)calloc(1, 256)"
		echo "set \$msg = \$sa + 32"
		gdb_sockaddr "\$sa" "$port"
		gdb_msghdr "\$msg" "\$sa" "\$sa + 16"
		echo "set \$s = (long)syscall($SYS_socket, 2, 1, 0)"
		case $c in
		a) echo "set \$fd = \$s"; echo "$send" ;;
		b) echo "set \$fd = (long)syscall($SYS_dup3, \$s, 4, $O_CLOEXEC)"
		   echo "$send" ;;
		c) echo "set \$fd = (long)syscall($SYS_dup2, \$s, 4)"; echo "$send" ;;
		d) echo "set \$fd = (long)syscall($SYS_dup3, \$s, 4, 0)"
		   echo "call (long)syscall($SYS_sendto, \$fd, \$sa + 16, 1, $MSG_FASTOPEN, \$sa, 16)" ;;
		esac)
	gdb_run "$pid" "$out" "${cmds[@]}"
	if gdb_sigsys "$out" && wait_gone "$pid" 5 &&
		grep -q "agent $side (pid $pid) was killed by seccomp (SIGSYS)" "$NSP_LOG"; then
		ok "$side/$c: agent killed by seccomp (SIGSYS), supervisor logged it"
	else
		fail "$side/$c: agent $pid not killed by seccomp; the call returned '$(gdb_value "$out" 1)'"
		grep -v '^\[' "$out" | tail -n 5 | indent
	fi
	wait_new_role "agent $side" "$pid" 10 >/dev/null ||
		fail "$side/$c: agent $side not restarted"
}

for c in a b c d; do
	attack host "$LHOST" "$c"
	attack target "$LTARGET" "$c"
done

sleep 0.5
for side in host target; do
	n=$(wc -l <"$TMPDIR_TEST/accept-$side.log")
	if ((n != BASE[$side])); then
		fail "$side: the listener accepted $((n - BASE[$side])) connection(s) from the agent"
	else
		ok "$side: the listener never saw a connection"
	fi
done

# The restarted agents still do their job.
if wait_port 127.0.0.1 "$FPORT" >/dev/null 2>&1 &&
	line=$(nstool ident 127.0.0.1 "$FPORT" 2>&1); then
	ok "forward still serves after the restarts: $line"
else
	fail "forward does not serve after the restarts: $line"
	show_log "$NSP_LOG"
fi

shutdown_nsplice --any-status 5
finish
