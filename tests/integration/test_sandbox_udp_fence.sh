#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_udp_fence - where a compromised relay can send through the
# UDP sockets of loopback forwards: nowhere but their own namespace.
#
# Setting: nsplice runs in a namespace of its own (NSH, its host side) with
# -u HP:PORT (target NS's loopback) and -U UP:UPT (listening on NS's
# loopback, target NSH's loopback), echo servers on both loopbacks (both
# families), and a namespace OUT reachable from NS (10.205.0.2, fd00:205::2)
# and from NSH (10.206.0.2, fd00:206::2) over veths, with UDP servers that log
# every datagram they get: "other machines".  Client flows of both families
# run through both forwards, so the relay holds listening sockets and flow
# sockets of each family on each side.  Then, with gdb inside the live
# relay (each call under its own seccomp filter and Landlock rules):
#  - on each flow socket: connect(AF_UNSPEC) disconnects it (connect() is
#    in the relay's filter for its TCP pool sockets, and seccomp cannot
#    tell the two apart), then connect() to OUT and send(), then
#    sendmmsg() naming OUT;
#  - on each listening socket: sendmmsg() naming OUT (and, for IPv4,
#    connect() to OUT);
# IPv4 calls fail with EINVAL, IPv6 ones are accepted and dropped by the
# kernel; OUT's servers receive nothing, the relay is not killed, and
# both forwards serve new clients afterwards.  And the relay asks both
# agents for sockets of kind external (connected to the agent's own
# address, not bound to loopback, so re-aimable) for every forward:
# these forwards listen on loopback, so neither agent gives any.
# Control (so the test can fail): a plain process in NS and in NSH does
# the same with a socket connected to loopback but not bound first, and
# OUT gets its datagrams - which is what the relay could do with its flow
# sockets before the agents bound them to the loopback address
# (nsagent/udp.c).
# Why it matters: SECURITY.md promise 18 says exactly what a compromised
# relay can send where with UDP forwards; this is the part the kernel
# enforces.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb is not installed"
command -v ss >/dev/null || die "ss is not installed"

EINVAL=22

NSH="nsp-$$-fhost"
NS="nsp-$$-fence"
OUT="nsp-$$-fout"
make_netns "$NSH"
make_netns "$NS"
make_netns "$OUT"
# veth_to_out NETNS NET - a veth from NETNS to OUT: NETNS gets 10.NET.0.1
# and fd00:NET::1, OUT 10.NET.0.2 and fd00:NET::2 (gone with the namespaces)
veth_to_out() {
	local ns=$1 net=$2
	ip link add "vf$$-$net" netns "$ns" type veth peer name "vo$$-$net" \
		netns "$OUT" || die "cannot create the veth between $ns and $OUT"
	ip -n "$ns" addr add "10.$net.0.1/24" dev "vf$$-$net"
	ip -n "$ns" -6 addr add "fd00:$net::1/64" dev "vf$$-$net" nodad
	ip -n "$OUT" addr add "10.$net.0.2/24" dev "vo$$-$net"
	ip -n "$OUT" -6 addr add "fd00:$net::2/64" dev "vo$$-$net" nodad
	ip -n "$ns" link set "vf$$-$net" up
	ip -n "$OUT" link set "vo$$-$net" up
}
veth_to_out "$NS" 205
veth_to_out "$NSH" 206
alloc_ports 23540 HP PORT UP UPT PO

# run_in NETNS CMD... - run CMD in NETNS, bounded
run_in() { local ns=$1; shift; in_netns "$ns" timeout -k 2 60 "$@"; }
for a in 127.0.0.1 ::1; do
	start_udp_echo "$NS" "$a" "$PORT"
	start_udp_echo "$NSH" "$a" "$UPT"
done
OUTS=(10.205.0.2 fd00:205::2 10.206.0.2 fd00:206::2)
for a in "${OUTS[@]}"; do
	: >"$TMPDIR_TEST/out-$a.log"
	start_udp_echo "$OUT" "$a" "$PO" --log "$TMPDIR_TEST/out-$a.log"
done
# out_count ADDR - datagrams OUT's server on ADDR has received
out_count() { wc -l <"$TMPDIR_TEST/out-$1.log"; }
# out_grows ADDR BASE SECONDS - true once OUT's server on ADDR has more
# than BASE datagrams (the first IPv6 one waits for neighbour discovery)
out_grows() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		(($(out_count "$1") > $2)) && return 0
		sleep 0.1
	done
	return 1
}

# Control: an unbound socket, connected to loopback, re-aimed at OUT
CONTROL='
import ctypes, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.connect(("::1" if fam == socket.AF_INET6 else "127.0.0.1", int(sys.argv[3])))
libc = ctypes.CDLL(None, use_errno=True)
if libc.connect(s.fileno(), (ctypes.c_ubyte * 28)(), 28):
    sys.exit("AF_UNSPEC connect failed")
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"control")
'
for a in "${OUTS[@]}"; do
	if [[ $a == *205* ]]; then ns=$NS lp=$PORT; else ns=$NSH lp=$UPT; fi
	n0=$(out_count "$a")
	run_in "$ns" "$PY" -c "$CONTROL" "$a" "$PO" "$lp" ||
		fail "control: the re-aimed plain socket in $ns could not send to [$a]:$PO"
	if out_grows "$a" "$n0" 5; then
		ok "control: from $ns, a socket connected to loopback but not bound first reaches [$a]:$PO once re-aimed"
	else
		fail "control: OUT's server on [$a]:$PO got nothing from a plain re-aimed socket in $ns; the test cannot tell"
	fi
done

wrap=$TMPDIR_TEST/nsplice-in-nsh
printf '#!/bin/sh\nexec ip netns exec %s %q "$@"\n' "$NSH" "$NSPLICE" >"$wrap"
chmod +x "$wrap"
start_nsplice --bin "$wrap" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-u "$HP:$PORT" -U "$UP:$UPT" || die "nsplice did not start"
# clients NETNS PORT - one IPv4 and one IPv6 client flow through PORT
clients() {
	local a
	for a in 127.0.0.1 ::1; do
		run_in "$1" "$PY" "$UDPTOOL" client "$a" "$2" --sizes 1,1400 \
			>"$TMPDIR_TEST/client.out" 2>&1 || {
			note "client [$a]:$2 in $1: $(tr '\n' ' ' <"$TMPDIR_TEST/client.out")"
			return 1
		}
	done
}
run_in "$NSH" "$PY" "$UDPTOOL" wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u $HP never answered"
run_in "$NS" "$PY" "$UDPTOOL" wait 127.0.0.1 "$UP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-U $UP never answered"
clients "$NSH" "$HP" || fail "IPv4 and IPv6 clients through -u $HP"
clients "$NS" "$UP" || fail "IPv4 and IPv6 clients through -U $UP"
RELAY=$(find_role relay) || die "no relay"
wait_filters "$RELAY" 2 10 || die "the relay has no filter"

# relay_fd NETNS COLUMN ADDR:PORT - a descriptor of the relay's that is a
# UDP socket in NETNS whose local (COLUMN 4) or peer (5) address is
# ADDR:PORT, from ss's process column.  awk reads all of ss's output: an
# early exit would kill ss with SIGPIPE, and pipefail would end the test.
relay_fd() {
	ip netns exec "$1" ss -uanpH 2>/dev/null |
		awk -v col="$2" -v want="$3" -v pid="$RELAY" '
			fd == "" && $col == want && index($0, "pid=" pid ",") {
				match($0, "pid=" pid ",fd=[0-9]+")
				fd = substr($0, RSTART, RLENGTH); sub(/.*fd=/, "", fd) }
			END { print fd }'
}

# attack NAME NETNS COLUMN SOCKADDR KIND OUTADDR - find the relay's socket
# (see relay_fd) and, in the live relay, aim it at [OUTADDR]:PO: a KIND
# "flow" socket is disconnected, connected there and sent on; a KIND
# "listener" one is connected there only for IPv4 (an IPv6 one would be
# accepted and leave the forward connected away); both then sendmmsg()
# one byte naming it.  Pass if IPv4 calls fail with EINVAL, IPv6 ones are
# not killed, and OUT's server on OUTADDR receives nothing.  A flow socket
# is connected back to SOCKADDR at the end: the one ss finds may be an
# idle pool socket, which a later flow would otherwise take.
attack() {
	local name=$1 ns=$2 col=$3 sock=$4 kind=$5 a=$6 fd len=16 out n0
	local v=() cmds=() want home=${4%:*}
	[[ $a == *:* ]] && len=28
	home=${home#[}
	home=${home%]}
	fd=$(relay_fd "$ns" "$col" "$sock") || fd=""
	if [[ -z $fd ]]; then
		fail "$name: the relay holds no UDP socket at $sock in $ns"
		ip netns exec "$ns" ss -uanp | indent
		return
	fi
	out=$TMPDIR_TEST/gdb-$name.out
	n0=$(out_count "$a")
	mapfile -t cmds < <(
		echo "set \$un = (long)calloc(1, 64)"
		echo "set \$sa = (long)calloc(1, 64)"
		gdb_sockaddr_ip "\$sa" "$a" "$PO"
		echo "set \$buf = (long)calloc(1, 8)"
		echo "set \$m = (long)calloc(1, 128)"
		gdb_msghdr "\$m" "\$sa" "\$buf" "$len"
		if [[ $kind == flow ]]; then
			echo "print (long)syscall($SYS_connect, $fd, \$un, $len)"
		else
			echo "print 0L"
		fi
		if [[ $kind == flow || $len == 16 ]]; then
			echo "print (long)syscall($SYS_connect, $fd, \$sa, $len)"
		else
			echo "print -1L"
		fi
		echo "print (int)*(int *)__errno_location()"
		echo "print (long)syscall($SYS_sendmmsg, $fd, \$m, 1, 0x40)"
		echo "print (int)*(int *)__errno_location()"
		if [[ $kind == flow ]]; then
			echo "print (long)syscall($SYS_sendto, $fd, \$buf, 1, 0x40, 0, 0)"
			echo "set \$home = (long)calloc(1, 64)"
			gdb_sockaddr_ip "\$home" "$home" "${4##*:}"
			echo "print (long)syscall($SYS_connect, $fd, \$home, $len)"
		fi)
	gdb_run "$RELAY" "$out" "${cmds[@]}"
	if gdb_sigsys "$out"; then
		fail "$name: the relay was killed by seccomp"
		return
	fi
	for i in 1 2 3 4 5 6 7; do v+=("$(gdb_value "$out" "$i")"); done
	[[ $kind != flow || ${v[6]} == 0 ]] ||
		fail "$name: could not connect it back to $4: '${v[6]}'"
	note "$name (descriptor $fd): disconnect=${v[0]} connect=${v[1]} errno ${v[2]}, sendmmsg=${v[3]} errno ${v[4]}, send=${v[5]:-n/a}"
	[[ ${v[0]} == 0 ]] || fail "$name: connect(AF_UNSPEC) returned '${v[0]}': the attack did not start"
	if ((len == 16)); then
		want="-1 $EINVAL -1 $EINVAL"
		if [[ "${v[1]} ${v[2]} ${v[3]} ${v[4]}" == "$want" ]]; then
			ok "$name: connect() and sendmmsg() naming $a fail with EINVAL"
		else
			fail "$name: naming $a was not refused"
		fi
	fi
	if ! out_grows "$a" "$n0" 1; then
		ok "$name: OUT's server on [$a]:$PO received nothing"
	else
		fail "$name: OUT's server on [$a]:$PO received a datagram from the relay"
		tail -n 3 "$TMPDIR_TEST/out-$a.log" | indent
	fi
}

attack "-u IPv4 flow socket" "$NS" 5 "127.0.0.1:$PORT" flow 10.205.0.2
attack "-u IPv6 flow socket" "$NS" 5 "[::1]:$PORT" flow fd00:205::2
attack "-U IPv4 flow socket" "$NSH" 5 "127.0.0.1:$UPT" flow 10.206.0.2
attack "-U IPv6 flow socket" "$NSH" 5 "[::1]:$UPT" flow fd00:206::2
attack "-u IPv4 listening socket" "$NSH" 4 "127.0.0.1:$HP" listener 10.206.0.2
attack "-u IPv6 listening socket" "$NSH" 4 "[::1]:$HP" listener fd00:206::2
attack "-U IPv4 listening socket" "$NS" 4 "127.0.0.1:$UP" listener 10.205.0.2
attack "-U IPv6 listening socket" "$NS" 4 "[::1]:$UP" listener fd00:205::2

# ask_external - in the live relay, ask each agent (channels 4 and 5) for
# a UDP socket of kind external (UDP_POOL_REQ, kind 1) for every forward
# id 0..FWD_IDS-1, then read the answers (UDP_POOL_FDS, type 31) off the
# channels and close what came.  Every forward here listens on loopback,
# so its clients are loopback ones and take fenced loopback-bound sockets;
# an external one is connected to the agent's own address, unbound, and
# could be re-aimed anywhere: no agent may hand one out.  The relay is
# idle meanwhile (no client), so no answer of its own is taken from it.
FWD_IDS=8
ask_external() {
	local out=$TMPDIR_TEST/gdb-ask.out cmds=() ch id k got answers
	mapfile -t cmds < <(
		echo "set \$q = (long)calloc(1, 64)"
		echo "set \$h = (long)calloc(1, 64)"
		echo "set \$iov = (long)calloc(1, 16)"
		echo "set \$buf = (long)calloc(1, 64)"
		echo "set \$cm = (long)calloc(1, 64)"
		for ch in 4 5; do
			for ((id = 0; id < FWD_IDS; id++)); do
				echo "set *(unsigned short *)\$q = 30"
				echo "set *(unsigned short *)(\$q + 2) = 12"
				echo "set *(unsigned int *)(\$q + 4) = $id"
				echo "set *(unsigned int *)(\$q + 8) = 1"
				echo "set *(unsigned int *)(\$q + 12) = 1"
				echo "printf \"request %d %d %d\\n\", $ch, $id, (int)syscall($SYS_sendto, $ch, \$q, 16, 0x40, 0, 0)"
			done
		done
		echo "shell sleep 0.5"
		for ch in 4 5; do
			for ((k = 0; k < FWD_IDS + 4; k++)); do
				echo "set *(long *)\$iov = \$buf"
				echo "set *(long *)(\$iov + 8) = 64"
				echo "set *(long *)(\$h + 16) = \$iov"
				echo "set *(long *)(\$h + 24) = 1"
				echo "set *(long *)(\$h + 32) = \$cm"
				echo "set *(long *)(\$h + 40) = 64"
				echo "set *(unsigned short *)\$buf = 0"
				echo "set *(int *)(\$cm + 16) = -1"
				echo "set \$r = (int)syscall($SYS_recvmsg, $ch, \$h, 0x40000040)"
				echo "printf \"answer %d %d %d %d %d %d %d\\n\", $ch, \$r, *(unsigned short *)\$buf, *(unsigned int *)(\$buf + 4), *(unsigned int *)(\$buf + 8), *(unsigned int *)(\$buf + 12), *(int *)(\$cm + 16)"
				echo "if \$r > 0 && *(unsigned int *)(\$buf + 12) > 0 && *(int *)(\$cm + 16) > 5"
				echo "print (long)syscall($SYS_close, *(int *)(\$cm + 16))"
				echo "end"
			done
		done)
	gdb_run "$RELAY" "$out" "${cmds[@]}"
	if gdb_sigsys "$out"; then
		fail "asking the agents for external UDP sockets: the relay was killed by seccomp"
		return
	fi
	answers=$(awk '$1 == "answer" && $3 > 0 && $4 == 31' "$out" | wc -l)
	got=$(awk '$1 == "answer" && $3 > 0 && $4 == 31 && $7 > 0' "$out")
	if ((answers == 0)); then
		fail "asking the agents for external UDP sockets: no UDP_POOL_FDS answer came (the check proves nothing)"
		indent <"$out"
	elif [[ -z $got ]]; then
		ok "asked for external UDP sockets of loopback forwards, the agents gave none ($answers answers)"
	else
		fail "an agent gave the relay external UDP sockets for a loopback forward (channel, rc, type, id, kind, count, fd):"
		indent <<<"$got"
	fi
}
ask_external

if pid_alive "$RELAY" && [[ $(find_role relay) == "$RELAY" ]]; then
	ok "the relay survived the calls: its filter allows them, the kernel refused them"
else
	fail "the relay died during the calls"
fi
if clients "$NSH" "$HP" && clients "$NS" "$UP"; then
	ok "-u $HP and -U $UP still serve new IPv4 and IPv6 clients"
else
	fail "-u $HP or -U $UP does not serve new clients any more"
	show_log "$NSP_LOG"
fi

shutdown_nsplice --any-status 3
finish
