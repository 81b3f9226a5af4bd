#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f02_relay_pool_sides - a relay gets only the pool sockets a forward
# needs.
#
# Audit finding 2: with only `-t HP:TP` (host -> namespace), a relay that
# asked agent[host] for a pool socket got one, connected it to a service
# listening only on the host's 127.0.0.1:TP (Landlock allows TP: it is a
# target port) and read its reply: "the other side" included the host.
# Here gdb makes the live relay do the same - send a crafted POOL_REQ on
# its channel to the agent no forward needs, read the answer, connect
# whatever socket came to the host-only service.  Proves, for
#   A. -t 127.0.0.1/HP:TP, the relay asking agent[host] for an IPv4
#      socket (service on the host's 127.0.0.1:TP);
#   B. -t 127.0.0.1/HP:TP -T 127.0.0.1/HP2:TP2 (agent[host] serves IPv4
#      for the -T), the relay asking agent[host] for an IPv6 socket
#      (service on the host's ::1:TP2 only);
# that the agent hands out no socket, the service never sees a
# connection, the agent reports it and the supervisor logs a protocol
# violation by the relay and starts a new relay, and the forward works
# through the new relay.  Runs in every build (gdb, no test-only hook).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"
. "$(dirname "$0")/lib/load.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb is needed"

# x86_64 system calls and flags not in gdbcall.sh
SYS_recvmsg=47
MSG_DONTWAIT=0x40
MSG_POOL_REQ=9
AF_INET=2
AF_INET6=10
# AGENT_HOST_FD - the relay's channel to agent[host] (IPC_FD_AGENT_HOST)
AGENT_HOST_FD=4
# ANSWER_WAIT - seconds the agent gets to answer the crafted request
ANSWER_WAIT=1
# RESTART_WAIT - seconds for the supervisor to replace the relay
RESTART_WAIT=10

NS="nsp-$$-f02"
make_netns "$NS"
alloc_ports 15200 HP TP HP2 TP2

# gdb_sockaddr_any VAR ADDR PORT - gdb commands writing a sockaddr_in or
# sockaddr_in6 (loopback only: 127.0.0.1 or ::1) at VAR.
gdb_sockaddr_any() {
	local v=$1 port=$3 be
	be=$(((port >> 8) | ((port & 255) << 8)))
	if [[ $2 == ::1 ]]; then
		printf '%s\n' "set *(unsigned short *)$v = $AF_INET6" \
			"set *(unsigned short *)($v + 2) = $be" \
			"set *(long *)($v + 4) = 0" "set *(long *)($v + 12) = 0" \
			"set *(long *)($v + 20) = 0" \
			"set *(unsigned char *)($v + 23) = 1"
	else
		gdb_sockaddr "$v" "$port"
	fi
}

# relay_asks CHANFD FAMILY ADDR PORT OUT - in the live relay: send
# POOL_REQ {FAMILY, 1} on CHANFD, wait, take whatever answer came
# (recvmsg with room for descriptors) and connect() the first descriptor
# to ADDR:PORT.  gdb prints $1 (sendto), $2 (recvmsg), $3 (the fd, -1 if
# none), $4 (connect).
relay_asks() {
	local fd=$1 fam=$2 addr=$3 port=$4 out=$5 cmds=()
	local sa
	mapfile -t sa < <(gdb_sockaddr_any '($b + 1024)' "$addr" "$port")
	cmds=("set \$b = (long)malloc(4096)"
		"set *(unsigned short *)\$b = $MSG_POOL_REQ"
		"set *(unsigned short *)(\$b + 2) = 8"
		"set *(unsigned int *)(\$b + 4) = $fam"
		"set *(unsigned int *)(\$b + 8) = 1"
		"print (long)syscall($SYS_sendto, $fd, \$b, 12, $MSG_DONTWAIT, 0, 0)"
		"shell sleep $ANSWER_WAIT"
		"set *(long *)(\$b + 64) = 0" "set *(int *)(\$b + 72) = 0"
		"set *(long *)(\$b + 80) = \$b + 192"
		"set *(long *)(\$b + 88) = 1"
		"set *(long *)(\$b + 96) = \$b + 256"
		"set *(long *)(\$b + 104) = 128"
		"set *(int *)(\$b + 112) = 0"
		"set *(long *)(\$b + 192) = \$b + 512"
		"set *(long *)(\$b + 200) = 256"
		"set *(int *)(\$b + 272) = -1"
		"print (long)syscall($SYS_recvmsg, $fd, \$b + 64, $MSG_DONTWAIT, 0, 0, 0)"
		"print *(int *)(\$b + 272)"
		"${sa[@]}"
		"print (long)syscall($SYS_connect, *(int *)(\$b + 272), \$b + 1024, 28, 0, 0, 0)"
		"shell sleep 0.5")
	gdb_run "$RELAY" "$out" "${cmds[@]}"
}

# attack NAME CHANFD FAMILY ADDR PORT AGENT FAMNAME NSPLICE-ARGS... - one
# case: start nsplice, make the relay ask, check every promise.
attack() {
	local name=$1 fd=$2 fam=$3 addr=$4 port=$5 agent=$6 famname=$7
	local svc=$TMPDIR_TEST/$name-svc.log out=$TMPDIR_TEST/$name-gdb.out
	local got new
	shift 7
	start_accept_counter_at "" "$addr" "$port" "$svc" "host-only secret"
	local svc_pid=$BG_PID
	start_nsplice --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/$name-nsp.log" \
		--netns "$NS" "$@" || { kill "$svc_pid"; return 0; }
	RELAY=$(find_role relay) || die "$name: no relay"
	wait_filters "$RELAY" 1 5 || die "$name: relay not sandboxed"
	relay_asks "$fd" "$fam" "$addr" "$port" "$out"
	# Sent: sendto() returned 12, or the relay was killed during the
	# call (the supervisor can act before gdb regains control: gdb then
	# says so, or only that the process is gone), or the agent already
	# logged the request it refused.
	if [[ $(gdb_value "$out" 1) != 12 ]] &&
	   ! grep -q 'terminated with signal SIGKILL' "$out" &&
	   ! grep -q "relay asked for $famname sockets" \
		"$TMPDIR_TEST/$name-nsp.log"; then
		fail "$name: the crafted POOL_REQ was not sent"
		indent <"$out"
		expect_clean_stop
		kill "$svc_pid" 2>/dev/null || true
		return 0
	fi
	ok "$name: the relay sent POOL_REQ {$famname, 1} to agent $agent"
	got=$(gdb_value "$out" 3)
	if [[ -z $got || $got == -1 ]]; then
		ok "$name: agent $agent handed out no $famname socket (fd ${got:-none})"
	else
		fail "$name: agent $agent handed the relay a $famname socket (fd $got)"
	fi
	sleep 0.3
	if grep -q '^accepted' "$svc"; then
		fail "$name: the host-only service on $addr:$port got a connection"
		indent <"$svc"
	else
		ok "$name: the host-only service on $addr:$port saw no connection"
	fi
	check "$name: agent $agent reports the request" \
		grep -q -E "^\[agent $agent\] error: relay asked for $famname sockets, which no forward connects with from this side: protocol violation" "$NSP_LOG" || true
	check "$name: the supervisor names the relay" \
		grep -q -E "^\[supervisor\] error: protocol violation by relay: asked agent $agent for 1 $famname pool sockets" "$NSP_LOG" || true
	if new=$(wait_new_role relay "$RELAY" "$RESTART_WAIT"); then
		ok "$name: a new relay (pid $new) replaced pid $RELAY"
		wait_port 127.0.0.1 "$HP" >/dev/null 2>&1 || true
		probe_all "$name: the forward after the restart" 127.0.0.1 \
			"$HP:$TP"
	else
		fail "$name: no new relay within ${RESTART_WAIT}s"
		show_log "$NSP_LOG" 20
	fi
	expect_clean_stop
	kill "$svc_pid" 2>/dev/null || true
	wait_gone "$svc_pid" 5 || true
}

many_server "$NS" "$TP" "$TMPDIR_TEST/ns-srv.log"
attack v4-host "$AGENT_HOST_FD" "$AF_INET" 127.0.0.1 "$TP" host \
	IPv4 -t "127.0.0.1/$HP:$TP"
attack v6-host "$AGENT_HOST_FD" "$AF_INET6" ::1 "$TP2" host IPv6 \
	-t "127.0.0.1/$HP:$TP" -T "127.0.0.1/$HP2:$TP2"
finish
