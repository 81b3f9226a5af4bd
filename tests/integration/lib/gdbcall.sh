# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# gdbcall.sh - make system calls from inside a live nsplice role with gdb,
# as the audit did: each call runs under that process's own seccomp filter
# and Landlock rules, so a forbidden one kills it (SIGSYS) and an allowed
# one returns its result.  Source it after common.sh.  Every gdb run is
# bounded by GDB_TIMEOUT seconds; gdb detaches at the end (batch mode), so
# a process that survives goes on as before.
#
# x86_64 system call numbers used by the audit tests (the seccomp filters
# cover the native architecture only).
SYS_close=3
SYS_dup2=33
SYS_socket=41
SYS_connect=42
SYS_sendto=44
SYS_sendmsg=46
SYS_recvmsg=47
SYS_setsockopt=54
SYS_execve=59
SYS_openat=257
SYS_dup3=292
SYS_execveat=322
SYS_sendmmsg=307
MSG_FASTOPEN=0x20000000
AT_EMPTY_PATH=0x1000
AT_FDCWD=-100
O_CLOEXEC=0x80000
GDB_TIMEOUT=${GDB_TIMEOUT:-60}

# need_gdb - end the test unless gdb is installed.
need_gdb() { command -v gdb >/dev/null || die "gdb is not installed"; }

# proc_sock_fd PID PROTO ADDR:PORT - PID's descriptor of its socket whose
# local address is ADDR:PORT, PROTO t or u, in the current namespace
# (ss's process column; awk reads all of ss's output, as an early exit
# would kill ss with SIGPIPE and pipefail end the test).
proc_sock_fd() {
	ss "-${2}anpH" 2>/dev/null |
		awk -v want="$3" -v pid="$1" '
			fd == "" && $4 == want && index($0, "pid=" pid ",") {
				match($0, "pid=" pid ",fd=[0-9]+")
				fd = substr($0, RSTART, RLENGTH); sub(/.*fd=/, "", fd) }
			END { print fd }'
}

# gdb_run PID OUT CMD... - attach to PID, run each gdb command CMD, detach;
# gdb's output goes to OUT.  The binary and libraries are read from the
# test's own root (sysroot /): the relay's root is an empty tmpfs.
gdb_run() {
	local pid=$1 out=$2 c args=()
	shift 2
	for c in "$@"; do args+=(-ex "$c"); done
	timeout -k 5 "$GDB_TIMEOUT" gdb -nx -q -batch -iex "set sysroot /" \
		"$NSPLICE" -p "$pid" "${args[@]}" >"$out" 2>&1 </dev/null || true
}

# gdb_value OUT N - the value gdb printed as $N (empty if none).
gdb_value() { sed -n "s/^\\\$$2 = //p" "$1" | tail -n 1; }

# gdb_sigsys OUT - true if the process died of SIGSYS during the calls.
gdb_sigsys() { grep -q "signal SIGSYS" "$1"; }

# gdb_execed OUT - true if the process executed another program.
gdb_execed() { grep -q "is executing new program" "$1"; }

# gdb_sockaddr VAR PORT - gdb commands that write a sockaddr_in for
# 127.0.0.1:PORT at the inferior address in convenience variable VAR.
gdb_sockaddr() {
	local v=$1 port=$2
	printf '%s\n' "set *(unsigned short *)$v = 2" \
		"set *(unsigned short *)($v + 2) = $(((port >> 8) | ((port & 255) << 8)))" \
		"set *(unsigned int *)($v + 4) = 0x0100007f"
}

# gdb_sockaddr_ip VAR ADDR PORT - gdb commands that write a sockaddr_in
# (ADDR has no ':') or sockaddr_in6 for ADDR:PORT at VAR, which must hold
# 28 zeroed bytes (calloc).
gdb_sockaddr_ip() {
	local v=$1 addr=$2 port=$3 off=4 fam=2 i b
	if [[ $addr == *:* ]]; then off=8 fam=10; fi
	echo "set *(unsigned short *)$v = $fam"
	echo "set *(unsigned short *)($v + 2) = $(((port >> 8) | ((port & 255) << 8)))"
	i=0
	for b in $("$PY" -c 'import ipaddress, sys
print(" ".join(str(b) for b in ipaddress.ip_address(sys.argv[1]).packed))' "$addr"); do
		echo "set *(unsigned char *)($v + $((off + i))) = $b"
		i=$((i + 1))
	done
}
# gdb_msghdr VAR NAME DATA [NAMELEN] - gdb commands that write, at VAR, a
# msghdr naming the sockaddr at NAME (NAMELEN bytes, 16 if not given) with
# one iovec of 1 byte at DATA (the iovec itself sits at VAR + 64).
gdb_msghdr() {
	local v=$1 name=$2 data=$3 len=${4:-16}
	printf '%s\n' "set *(long *)$v = $name" "set *(int *)($v + 8) = $len" \
		"set *(long *)($v + 64) = $data" "set *(long *)($v + 72) = 1" \
		"set *(long *)($v + 16) = $v + 64" "set *(long *)($v + 24) = 1"
}

# wait_gone PID SECONDS - wait until PID is gone or a zombie; 1 if not.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	return 1
}

# wait_new_role ROLE OLD SECONDS - print the pid of ROLE once it is not
# OLD (a restarted child); 1 if none within SECONDS.
wait_new_role() {
	local i p
	for ((i = 0; i < $3 * 20; i++)); do
		p=$(find_role "$1") || true
		if [[ -n $p && $p != "$2" ]]; then
			echo "$p"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# wait_filters PID N SECONDS - wait until PID runs under at least N stacked
# seccomp filters (a fresh child loads its own after start-up); 1 if not.
wait_filters() {
	local i n
	for ((i = 0; i < $3 * 20; i++)); do
		n=$(awk '$1 == "Seccomp_filters:" { print $2 }' "/proc/$1/status" 2>/dev/null)
		[[ -n $n && $n -ge $2 ]] && return 0
		sleep 0.05
	done
	return 1
}

# start_accept_counter_at NETNS ADDR PORT LOG [REPLY] - a TCP listener on
# ADDR:PORT only (an IPv6 one is v6-only) in NETNS (empty: the host) that
# writes "listening" once bound, then one "accepted" line per connection
# to LOG, and sends REPLY (plus a newline) to each if given.  Returns once
# it listens (dies after 5 s if it does not); BG_PID is set.
start_accept_counter_at() {
	local ns=$1 addr=$2 port=$3 log=$4 reply=${5:-} i run=()
	local prog='
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print("listening", flush=True)
s.settimeout(0.2)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    try:
        c, a = s.accept()
    except socket.timeout:
        continue
    print("accepted", a, flush=True)
    if sys.argv[4]:
        c.sendall(sys.argv[4].encode() + b"\n")
    c.close()
'
	[[ -z $ns ]] || run=(ip netns exec "$ns")
	start_bg "$log" "${run[@]}" timeout -k 2 "$LIFETIME" "$PY" -c "$prog" \
		"$addr" "$port" "$LIFETIME" "$reply"
	for ((i = 0; i < 100; i++)); do
		grep -q '^listening' "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	die "service on $addr:$port did not start"
}

# start_accept_counter NETNS PORT LOG - start_accept_counter_at on
# 127.0.0.1:PORT, no reply.
start_accept_counter() {
	start_accept_counter_at "$1" 127.0.0.1 "$2" "$3"
}
