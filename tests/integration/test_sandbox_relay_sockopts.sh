#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_relay_sockopts - the relay reads only the socket options it
# needs and sends datagrams only with the flag it uses.
#
# A review found, with gdb inside the live relay: getsockopt() was allowed
# for any option, and SO_PEERPIDFD on a channel installed pidfds of the
# supervisor and an agent as new descriptors (against promise 1: the
# relay gains no descriptor but pipes and the sockets it is given); and
# sendmmsg() took any flags, where send() is held to MSG_NOSIGNAL and
# MSG_DONTWAIT.  Proves, each in a live relay that then dies of it:
#  - getsockopt(SO_PEERPIDFD) on its supervisor channel: killed by
#    seccomp, reported as such, and a new relay serves;
#  - sendmmsg() with MSG_CONFIRM (no datagram: vlen 0) on its UDP
#    listener: the same.
# The options the data path reads (SO_ERROR, SO_DOMAIN, SO_TYPE,
# SO_PROTOCOL, SO_ACCEPTCONN, SO_MEMINFO) are exercised by every other
# test that forwards; a filter without one of them kills the relay there.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"
. "$NSPLICE_TESTLIB/live.sh"
need_gdb
need_root
need_nsplice

SYS_getsockopt=55
SO_PEERPIDFD=77
MSG_CONFIRM=0x800
NS="nsp-$$-sopt"
make_netns "$NS"
alloc_ports 24480 P1 T1

start_udp_echo "$NS" 127.0.0.1 "$T1"
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" -u "127.0.0.1/$P1:$T1" ||
	die "nsplice did not start"
UDPTOOL_TIMEOUT=20 udptool wait 127.0.0.1 "$P1" --timeout 10 >/dev/null ||
	die "-u $P1 never answered"

# attempt NAME N CMD... - run the gdb commands CMD in the live relay; it
# must die of SIGSYS, the supervisor must say so (its Nth such report),
# and a new relay must serve -u P1
attempt() {
	local name=$1 n=$2 relay out
	shift 2
	relay=$(find_role relay) || { fail "$name: no relay"; return; }
	wait_filters "$relay" 2 10 || { fail "$name: the relay has no filter"; return; }
	out=$TMPDIR_TEST/gdb-${name// /-}.out
	gdb_run "$relay" "$out" "$@"
	if gdb_sigsys "$out"; then
		ok "$name: the relay (pid $relay) was killed by seccomp"
	else
		fail "$name: the relay survived the call, which returned '$(gdb_value "$out" 1)'"
		indent <"$out"
	fi
	wait_line "$NSP_LOG" "relay restarted \(pid [0-9]+, restart $n\)" 10 || true
	if (($(grep -c "relay (pid [0-9]*) was killed by seccomp (SIGSYS)" "$NSP_LOG") >= n)); then
		ok "$name: the supervisor reports the relay killed by seccomp"
	else
		fail "$name: no report of a relay killed by seccomp"
		show_log "$NSP_LOG"
	fi
	if UDPTOOL_TIMEOUT=20 udptool wait 127.0.0.1 "$P1" --timeout 10 >/dev/null; then
		ok "$name: a new relay serves -u $P1"
	else
		fail "$name: -u $P1 does not answer after the relay was replaced"
	fi
}

attempt "getsockopt SO_PEERPIDFD" 1 \
	"set \$v = (long)calloc(1, 16)" \
	"set \$l = (long)calloc(1, 16)" \
	"set *(int *)\$l = 4" \
	"print (long)syscall($SYS_getsockopt, 3, 1, $SO_PEERPIDFD, \$v, \$l)"

relay=$(find_role relay) || die "no relay"
LFD=$(proc_sock_fd "$relay" u "127.0.0.1:$P1")
[[ -n $LFD ]] || die "the relay's UDP listener not found"
attempt "sendmmsg MSG_CONFIRM" 2 \
	"print (long)syscall($SYS_sendmmsg, $LFD, 0, 0, $MSG_CONFIRM)"
finish
