#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_engine_docker_proxy.sh - nsplice as dockerd's userland proxy
#
# DOC: Theory of Operation
#
# Does what dockerd --userland-proxy-path does (moby's cmd/docker-proxy
# and libnetwork's portmapper define the contract), in a network namespace the test makes: the
# "container" is the namespace's end of a veth pair (10.200.211.2,
# fd00:200:211::2) with
# a TCP sink, a TCP ident and a UDP echo server on it, and the proxy runs
# in the same namespace, as dockerd's does.  A small launcher (written
# below, python3, like dockerd's os/exec) starts a symlink named
# docker-proxy to $NSPLICE with the status pipe on fd 3 and, for
# -use-listen-fd, a listener it bound itself on fd 4; it reads the
# status with dockerd's 16 s deadline, records it, and waits for the
# proxy's exit status.  Checked:
#
#  - TCP and UDP: "0\n" within 16 s, bytes go both ways to the container
#    address, UDP replies come from the host port; both sockets of a TCP
#    connection have keepalive on, as Go's net package sets it; the
#    status pipe is held by no process once ready; a proxy file of
#    another name (userland-proxy) serves all the same; SIGINT: exit 0,
#    every process gone,
#    the port free;
#  - -use-listen-fd, TCP listening and UDP bound: served through the very
#    socket the launcher made (same inode in an nsplice process, the only
#    socket on that port), not left on fd 4 of the supervisor;
#  - IPv6: -host-ip ::1 to fd00:200:211::2; no -host-ip: IPv4 and IPv6
#    clients both served, as by moby's proxy on ":PORT";
#  - dockerd's unit environment (NOTIFY_SOCKET, RUNTIME_DIRECTORY): two
#    proxies at once both serve, neither writes to the notify socket nor
#    makes anything in the runtime directory;
#  - failures: the port in use gives exactly "1\nlisten tcp4
#    127.0.0.1:P: bind: address already in use" and exit 1 within 16 s;
#    -proto sctp, -host-port 70000, an unknown flag and -use-listen-fd
#    without fd 4 give "1\n..." naming the problem and exit 1; nothing
#    is left running; a descriptor 3 that is a file is refused, not
#    written to; -v prints a version;
#  - rootless docker: uid 0 of a user namespace an unprivileged user made
#    (mapped to the user and a subordinate range, as rootlesskit's child
#    is) with its own network namespace: TCP works, SIGINT exits 0.
. "${NSPLICE_TESTLIB:?}/common.sh"

need_root
need_nsplice

# STATUS_WAIT - dockerd's deadline for the status pipe, seconds
STATUS_WAIT=16
# VETH_X, CTR4, CTR6 - the "container" addresses: the namespace's end of
# make_netns's veth pair
VETH_X=211
CTR4=10.200.$VETH_X.2
CTR6=fd00:200:$VETH_X::2

NS=nspdp$$
make_netns "$NS" "$VETH_X"

BIN=$TMPDIR_TEST/bin
mkdir -p "$BIN"
chmod 755 "$BIN"
cp "$NSPLICE" "$BIN/nsplice"
chmod 755 "$BIN/nsplice"
ln -s nsplice "$BIN/docker-proxy"
PROXY=$BIN/docker-proxy
UDPTOOL=$TESTLIB/udptool.py

LAUNCHER=$TMPDIR_TEST/dp_launch.py
cat >"$LAUNCHER" <<'EOF'
"""dp_launch.py DIR STATUS_WAIT LIFETIME [--listen tcp|udp ADDR PORT] -- PROXY ARGS

Start PROXY as dockerd does: status pipe on fd 3, optionally a listener
bound here on fd 4 (its inode in DIR/inode, closed here once the proxy
runs).  DIR/pid: the proxy's pid; DIR/pipe: the status pipe's inode;
DIR/status: what came on the pipe within STATUS_WAIT s (to EOF after a
"1"); DIR/ms: how long that took; DIR/rc: the proxy's exit status, or
"timeout" after LIFETIME s."""
import fcntl, os, select, socket, subprocess, sys, time

d, wait, life = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rest = sys.argv[4:]
sock = None
if rest[0] == "--listen":
    proto, addr, port = rest[1], rest[2], int(rest[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp"
                         else socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((addr, port))
    if proto == "tcp":
        sock.listen(128)
    rest = rest[4:]
cmd = rest[1:]
r, w = os.pipe()
# the child gets the write end as 3 and the socket as 4, nothing else
high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in [r, w] + ([sock.fileno()] if sock else [])]
for fd in [r, w]:
    os.close(fd)
r = high[0]
def child_fds():
    os.dup2(high[1], 3)
    if sock:
        os.dup2(high[2], 4)
open(d + "/pipe", "w").write(str(os.fstat(high[1]).st_ino))
if sock:
    open(d + "/inode", "w").write(str(os.fstat(sock.fileno()).st_ino))
env = dict(os.environ)
p = subprocess.Popen(cmd, preexec_fn=child_fds, pass_fds=(3, 4) if sock
                     else (3,), stdin=subprocess.DEVNULL,
                     stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT,
                     env=env)
open(d + "/pid", "w").write(str(p.pid))
for fd in high[1:]:
    os.close(fd)
if sock:
    sock.close()
t0 = time.monotonic()
got = b""
while time.monotonic() - t0 < wait:
    ready, _, _ = select.select([r], [], [], max(0, wait - (time.monotonic() - t0)))
    if not ready:
        break
    b = os.read(r, 4096)
    if not b:
        break
    got += b
    if got == b"0\n":
        break
open(d + "/ms", "w").write(str(int((time.monotonic() - t0) * 1000)))
open(d + "/status", "wb").write(got)
os.close(r)
try:
    rc = p.wait(timeout=life)
except subprocess.TimeoutExpired:
    p.kill()
    rc = "timeout"
open(d + "/rc", "w").write(str(rc))
EOF

DP_N=0
# dp_start [--listen PROTO ADDR PORT] [--in CMDPREFIX] ARGS... - start the
# launcher in $NS; DP_DIR is its record directory, DP_PID the proxy's
# pid once known, DP_TAG its environment tag.
dp_start() {
	local listen=()
	if [[ $1 == --listen ]]; then
		listen=(--listen "$2" "$3" "$4")
		shift 4
	fi
	DP_N=$((DP_N + 1))
	DP_DIR=$TMPDIR_TEST/dp$DP_N
	DP_TAG="$RUN_TAG-dp$DP_N"
	mkdir -p "$DP_DIR"
	note "docker-proxy ${listen[*]} $*"
	start_bg "$DP_DIR/launcher.log" env "NSPLICE_TEST_TAG=$DP_TAG" \
		ip netns exec "$NS" timeout -k 2 "$LIFETIME" "$PY" "$LAUNCHER" \
		"$DP_DIR" "$STATUS_WAIT" "$LIFETIME" "${listen[@]}" -- \
		"$PROXY" "$@"
	DP_LPID=$BG_PID
	DP_PID=""
}

# dp_status - wait for the launcher's status record (bounded); DP_STATUS
# is what came on the pipe, DP_MS how long it took, DP_PID the proxy.
dp_status() {
	local i
	for ((i = 0; i < (STATUS_WAIT + 4) * 20; i++)); do
		[[ -f $DP_DIR/status ]] && break
		sleep 0.05
	done
	DP_PID=$(cat "$DP_DIR/pid" 2>/dev/null || true)
	[[ -n $DP_PID ]] && cleanup_pid "$DP_PID"
	DP_STATUS=$(cat "$DP_DIR/status" 2>/dev/null; echo x)
	DP_STATUS=${DP_STATUS%x}
	DP_MS=$(cat "$DP_DIR/ms" 2>/dev/null || echo none)
	[[ -f $DP_DIR/status ]]
}

# dp_rc SECONDS - wait for the proxy's exit status; DP_RC.
dp_rc() {
	local i
	DP_RC=""
	for ((i = 0; i < $1 * 20; i++)); do
		if [[ -f $DP_DIR/rc ]]; then
			DP_RC=$(cat "$DP_DIR/rc")
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# dp_ready WHAT - ok/fail: "0\n" within the deadline; snapshot the tree
dp_ready() {
	if dp_status && [[ $DP_STATUS == $'0\n' ]]; then
		ok "$1: status 0 after ${DP_MS} ms"
		DP_TREE=$(proc_tree "$DP_PID" | paste -sd' ' -)
		return 0
	fi
	fail "$1: status $(printf '%q' "$DP_STATUS") after $DP_MS ms"
	show_log "$DP_DIR/log"
	return 1
}

# tree_fds - every descriptor link of the proxy's process tree
tree_fds() {
	local p f l
	for p in $(proc_tree "$DP_PID"); do
		for f in "/proc/$p/fd/"*; do
			l=$(readlink "$f" 2>/dev/null) && echo "$p ${f##*/} $l"
		done
	done
}

# dp_stop WHAT PORT PROTO - SIGINT: exit 0, every process gone, port free
dp_stop() {
	local what=$1 port=$2 proto=$3 p left=() i
	kill -INT "$DP_PID" 2>/dev/null || true
	if dp_rc 10 && [[ $DP_RC == 0 ]]; then
		ok "$what: SIGINT: exit status 0"
	else
		fail "$what: SIGINT: exit status ${DP_RC:-none within 10 s}"
		show_log "$DP_DIR/log"
	fi
	for ((i = 0; i < 20; i++)); do
		left=()
		for p in $DP_TREE $(tagged_pids "$DP_TAG\$"); do
			[[ $p == "$DP_LPID" ]] && continue
			pid_alive "$p" || continue
			[[ $(ps -o args= -p "$p") == *@(nsplice|docker-proxy)* ]] &&
				left+=("$p")
		done
		((${#left[@]} == 0)) && break
		sleep 0.05
	done
	if ((${#left[@]} == 0)); then
		ok "$what: every process of the proxy is gone"
	else
		fail "$what: left running: ${left[*]}"
		ps -o pid,args -p "$(printf '%s,' "${left[@]}")0" | indent
	fi
	# listening (TCP) or bound (UDP): TIME-WAIT of the traffic is fine
	if [[ -z $(in_netns "$NS" ss -Hn"${proto:0:1}"l "sport = :$port") ]]
	then
		ok "$what: port $port free"
	else
		fail "$what: port $port still in use"
		in_netns "$NS" ss -Hnap "sport = :$port" | indent
	fi
}

# dp_refused WHAT WANT-REGEX ARGS... - status "1\n..." matching, exit 1,
# within the deadline, nothing left
dp_refused() {
	local what=$1 want=$2 p alive=""
	shift 2
	dp_start "$@"
	if dp_status && [[ $DP_STATUS =~ ^1$'\n'$want$ ]]; then
		ok "$what: $(printf '%q' "$DP_STATUS") after $DP_MS ms"
	else
		fail "$what: status $(printf '%q' "$DP_STATUS"), want 1\\n$want"
		show_log "$DP_DIR/log"
	fi
	if dp_rc "$STATUS_WAIT" && [[ $DP_RC == 1 ]]; then
		ok "$what: exit status 1"
	else
		fail "$what: exit status ${DP_RC:-none within ${STATUS_WAIT} s}"
	fi
	for p in $(tagged_pids "$DP_TAG\$"); do
		[[ $p == "$DP_LPID" ]] || ! pid_alive "$p" || alive+=" $p"
	done
	if [[ -z $alive ]]; then
		ok "$what: nothing left running"
	else
		fail "$what: left running:$alive"
	fi
}

alloc_ports 27100 P_TCP P_UDP P_LTCP P_LUDP P_BUSY P_V6 C_SINK C_IDENT C_UDP \
	P_E1 P_E2 P_ANY P_NAME

start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$C_SINK" \
	--addr "$CTR4" --addr "$CTR6"
start_ns_server "$NS" "$TMPDIR_TEST/ident.log" ident-server "$C_IDENT" \
	--addr "$CTR4"
start_bg "$TMPDIR_TEST/udp.log" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo "$CTR4" "$C_UDP" --lifetime "$LIFETIME"
wait_port "$CTR4" "$C_SINK" "$NS" || die "sink server did not start"
wait_port "$CTR4" "$C_IDENT" "$NS" || die "ident server did not start"
in_netns "$NS" timeout 20 "$PY" "$UDPTOOL" wait "$CTR4" "$C_UDP" ||
	die "UDP echo server did not start"

# ---------------------------------------------------------------- TCP
dp_start -proto tcp -host-ip 127.0.0.1 -host-port "$P_TCP" \
	-container-ip "$CTR4" -container-port "$C_SINK"
if dp_ready "tcp"; then
	check "tcp: 1 MiB through the proxy to $CTR4:$C_SINK" \
		nstool_in "$NS" send 1M 127.0.0.1 "$P_TCP" --timeout 20
	# Go's net package turns keepalive on for the real proxy's accepted
	# and dialled connections; a vanished client must not hold its
	# connection into the container for good
	start_bg "$TMPDIR_TEST/hold.log" ip netns exec "$NS" timeout -k 2 20 "$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(15)' "$P_TCP"
	for ((i = 0; i < 40; i++)); do
		ka=$(in_netns "$NS" ss -tnoH state established \
			"( sport = :$P_TCP or dport = :$C_SINK )" | grep -c "timer:(keepalive" || true)
		((ka >= 2)) && break
		sleep 0.1
	done
	if ((ka >= 2)); then
		ok "tcp: both sockets of a connection have keepalive, as Go sets it on docker-proxy's"
	else
		fail "tcp: $ka of the connection's two sockets have a keepalive timer:"
		in_netns "$NS" ss -tnoH state established | indent
	fi
	kill_pids "$BG_PID"
	held=$(tree_fds | grep "pipe:\[$(cat "$DP_DIR/pipe")\]" || true)
	if [[ -n $held ]]; then
		fail "tcp: status pipe still held once ready:"
		printf '%s\n' "$held" | indent
	else
		ok "tcp: no process holds the status pipe once ready"
	fi
	dp_stop "tcp" "$P_TCP" tcp
fi

# dockerd runs userland-proxy-path whatever its name: so does nsplice,
# from dockerd's flags alone
ln -s nsplice "$BIN/userland-proxy"
PROXY=$BIN/userland-proxy
dp_start -proto tcp -host-ip 127.0.0.1 -host-port "$P_NAME" \
	-container-ip "$CTR4" -container-port "$C_SINK"
PROXY=$BIN/docker-proxy
if dp_ready "tcp, proxy named userland-proxy"; then
	check "tcp, proxy named userland-proxy: 1 MiB to $CTR4:$C_SINK" \
		nstool_in "$NS" send 1M 127.0.0.1 "$P_NAME" --timeout 20
	dp_stop "tcp, proxy named userland-proxy" "$P_NAME" tcp
fi

# ident: the connection reaches the container address, not loopback
dp_start --listen tcp 127.0.0.1 "$P_LTCP" -proto tcp -host-ip 127.0.0.1 \
	-host-port "$P_LTCP" -container-ip "$CTR4" -container-port "$C_IDENT" \
	-use-listen-fd
if dp_ready "tcp -use-listen-fd"; then
	out=$(nstool_in "$NS" ident 127.0.0.1 "$P_LTCP" 2>&1 || true)
	if [[ $out == *"port=$C_IDENT addr=$CTR4 "* ]]; then
		ok "tcp -use-listen-fd: reached $CTR4:$C_IDENT ($out)"
	else
		fail "tcp -use-listen-fd: ident answered: $out"
	fi
	ino=$(cat "$DP_DIR/inode")
	holders=$(tree_fds | grep "socket:\[$ino\]" || true)
	if [[ -n $holders ]]; then
		ok "tcp -use-listen-fd: the launcher's socket $ino is in nsplice"
	else
		fail "tcp -use-listen-fd: socket $ino not held by the proxy"
	fi
	n=$(in_netns "$NS" ss -Hltn "sport = :$P_LTCP" | wc -l)
	if ((n == 1)) &&
		[[ $(in_netns "$NS" ss -Hltne "sport = :$P_LTCP" 2>/dev/null) == *"ino:$ino "* ]]
	then
		ok "tcp -use-listen-fd: the only listener on $P_LTCP is it"
	else
		fail "tcp -use-listen-fd: $n listeners on $P_LTCP:"
		in_netns "$NS" ss -Hltnpe "sport = :$P_LTCP" | indent
	fi
	if [[ -n $(tree_fds | grep "^$DP_PID 4 socket:\[$ino\]" || true) ]]
	then
		fail "tcp -use-listen-fd: still on fd 4 of the supervisor"
	else
		ok "tcp -use-listen-fd: not kept on fd 4"
	fi
	dp_stop "tcp -use-listen-fd" "$P_LTCP" tcp
fi

# ---------------------------------------------------------------- UDP
dp_start -proto udp -host-ip 127.0.0.1 -host-port "$P_UDP" \
	-container-ip "$CTR4" -container-port "$C_UDP"
if dp_ready "udp"; then
	check "udp: echoed through the proxy, replies from 127.0.0.1:$P_UDP" \
		in_netns "$NS" timeout 30 "$PY" "$UDPTOOL" client 127.0.0.1 \
		"$P_UDP" --sizes 1,512,1400,8000
	dp_stop "udp" "$P_UDP" udp
fi

dp_start --listen udp 127.0.0.1 "$P_LUDP" -proto udp -host-ip 127.0.0.1 \
	-host-port "$P_LUDP" -container-ip "$CTR4" -container-port "$C_UDP" \
	-use-listen-fd
if dp_ready "udp -use-listen-fd"; then
	check "udp -use-listen-fd: echoed, replies from 127.0.0.1:$P_LUDP" \
		in_netns "$NS" timeout 30 "$PY" "$UDPTOOL" client 127.0.0.1 \
		"$P_LUDP" --sizes 1,1400
	ino=$(cat "$DP_DIR/inode")
	n=$(in_netns "$NS" ss -Huan "sport = :$P_LUDP" | wc -l)
	holders=$(tree_fds | grep "socket:\[$ino\]" || true)
	if [[ -n $holders ]] && ((n == 1)) &&
		[[ $(in_netns "$NS" ss -Huane "sport = :$P_LUDP" 2>/dev/null) == *"ino:$ino "* ]]
	then
		ok "udp -use-listen-fd: the launcher's socket $ino is the only one"
	else
		fail "udp -use-listen-fd: socket $ino not used ($n on the port)"
		in_netns "$NS" ss -Huanpe "sport = :$P_LUDP" | indent
	fi
	dp_stop "udp -use-listen-fd" "$P_LUDP" udp
fi

# ---------------------------------------------------------------- IPv6
dp_start -proto tcp -host-ip ::1 -host-port "$P_V6" -container-ip "$CTR6" \
	-container-port "$C_SINK"
if dp_ready "tcp ::1"; then
	check "tcp ::1: 256 KiB through the proxy to [$CTR6]:$C_SINK" \
		nstool_in "$NS" send 256K ::1 "$P_V6" --timeout 20
	dp_stop "tcp ::1" "$P_V6" tcp
fi

# ------------------------------------------------------- no -host-ip
# moby's proxy listens on ":PORT" then: both families (dockerd always
# passes -host-ip; by hand one may not)
dp_start -proto tcp -host-port "$P_ANY" -container-ip "$CTR4" \
	-container-port "$C_SINK"
if dp_ready "tcp, no -host-ip"; then
	check "tcp, no -host-ip: 256 KiB from 127.0.0.1:$P_ANY" \
		nstool_in "$NS" send 256K 127.0.0.1 "$P_ANY" --timeout 20
	check "tcp, no -host-ip: 256 KiB from [::1]:$P_ANY" \
		nstool_in "$NS" send 256K ::1 "$P_ANY" --timeout 20
	dp_stop "tcp, no -host-ip" "$P_ANY" tcp
fi

# ----------------------------------------------- dockerd's unit environment
# dockerd under systemd passes its unit's NOTIFY_SOCKET (and, with
# RuntimeDirectory=, RUNTIME_DIRECTORY) to every proxy: none may speak to
# systemd for dockerd, nor make a control socket there (one path for every
# proxy: the second one failed as "in use").
NOTIFY_REC=$TMPDIR_TEST/notify.rec
start_bg "$TMPDIR_TEST/notify.log" timeout -k 2 "$LIFETIME" "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".up", "w").close()
while True:
    m = s.recv(4096)
    with open(sys.argv[2], "ab") as f:
        f.write(m + b"\n")
' "$TMPDIR_TEST/notify.sock" "$NOTIFY_REC"
for ((i = 0; i < 100; i++)); do
	[[ -e $TMPDIR_TEST/notify.sock.up ]] && break
	sleep 0.05
done
mkdir -p "$TMPDIR_TEST/rt"
export NOTIFY_SOCKET=$TMPDIR_TEST/notify.sock RUNTIME_DIRECTORY=$TMPDIR_TEST/rt
dp_start -proto tcp -host-ip 127.0.0.1 -host-port "$P_E1" \
	-container-ip "$CTR4" -container-port "$C_SINK"
E1_DIR=$DP_DIR
dp_ready "unit environment, first proxy" && E1_TREE=$DP_TREE
E1_PID=$DP_PID
dp_start -proto tcp -host-ip 127.0.0.1 -host-port "$P_E2" \
	-container-ip "$CTR4" -container-port "$C_SINK"
unset NOTIFY_SOCKET RUNTIME_DIRECTORY
dp_status || true
if [[ -z $(ls -A "$TMPDIR_TEST/rt") ]]; then
	ok "while both run, nothing in dockerd's RUNTIME_DIRECTORY"
else
	fail "in dockerd's RUNTIME_DIRECTORY: $(ls -A "$TMPDIR_TEST/rt")"
fi
if dp_ready "unit environment, second proxy at the same time"; then
	check "unit environment: 1 MiB through the second proxy" \
		nstool_in "$NS" send 1M 127.0.0.1 "$P_E2" --timeout 20
	dp_stop "unit environment, second proxy" "$P_E2" tcp
fi
DP_DIR=$E1_DIR DP_PID=$E1_PID DP_TREE=${E1_TREE:-}
dp_stop "unit environment, first proxy" "$P_E1" tcp
if [[ -s $NOTIFY_REC ]]; then
	fail "the proxies wrote to dockerd's NOTIFY_SOCKET: $(tr '\n' '|' <"$NOTIFY_REC")"
else
	ok "no proxy wrote to dockerd's NOTIFY_SOCKET"
fi

# ------------------------------------------------------------ failures
start_ns_server "$NS" "$TMPDIR_TEST/busy.log" echo-server "$P_BUSY"
wait_port 127.0.0.1 "$P_BUSY" "$NS" || die "busy-port holder did not start"
dp_refused "port in use" \
	"listen tcp4 127.0.0.1:$P_BUSY: bind: address already in use" \
	-proto tcp -host-ip 127.0.0.1 -host-port "$P_BUSY" -container-ip "$CTR4" \
	-container-port "$C_SINK"
if [[ $DP_MS =~ ^[0-9]+$ ]] && ((DP_MS < STATUS_WAIT * 1000)); then
	ok "port in use: told within ${STATUS_WAIT} s"
else
	fail "port in use: told after $DP_MS ms"
fi
dp_refused "-proto sctp" "unsupported protocol sctp" -proto sctp \
	-host-ip 127.0.0.1 -host-port "$P_TCP" -container-ip "$CTR4" \
	-container-port 80
dp_refused "-host-port 70000" \
	"invalid value \"70000\" for flag -host-port: .*" -proto tcp \
	-host-ip 127.0.0.1 -host-port 70000 -container-ip "$CTR4" \
	-container-port 80
dp_refused "unknown flag" "flag provided but not defined: -frobnicate" \
	-proto tcp -frobnicate -host-port "$P_TCP" -container-port 80
dp_refused "-use-listen-fd without fd 4" \
	"socket activation: inherited fd 4 .*: not open" -proto tcp \
	-host-ip 127.0.0.1 -host-port "$P_TCP" -container-ip "$CTR4" \
	-container-port 80 -use-listen-fd

# by hand: a descriptor 3 that is a file is not written to; -v answers
: >"$TMPDIR_TEST/fd3"
rc=0
timeout -k 2 20 "$PROXY" -proto tcp -host-ip 127.0.0.1 -host-port "$P_TCP" \
	-container-ip 127.0.0.2 -container-port 80 3>"$TMPDIR_TEST/fd3" \
	2>"$TMPDIR_TEST/fd3.err" || rc=$?
if ((rc == 1)) && [[ ! -s $TMPDIR_TEST/fd3 ]]; then
	ok "fd 3 a regular file: exit 1, nothing written to it"
else
	fail "fd 3 a regular file: exit $rc, file holds $(printf '%q' "$(cat "$TMPDIR_TEST/fd3")")"
fi
rc=0
out=$(timeout -k 2 20 "$PROXY" -v 2>&1) || rc=$?
if ((rc == 0)) && [[ $out == "docker-proxy "* ]]; then
	ok "-v: $out"
else
	fail "-v: exit $rc: $out"
fi

# ------------------------------------------------- rootless (rootlesskit)
# rootlesskit's child: uid 0 of a user namespace the user made, mapped to
# the user and to a subordinate range (written here by root, as
# newuidmap would from /etc/subuid), with its own network namespace
ensure_test_user
user_copy_binary
ln -s nsplice "$USER_DIR/docker-proxy"
cp "$LAUNCHER" "$USER_DIR/dp_launch.py"
chmod 644 "$USER_DIR/dp_launch.py"
URUN=$(mktemp -d /tmp/nsplice-dp-user.XXXXXX)
cleanup_cmd "rm -rf '$URUN'"
chown "$TEST_USER" "$URUN"
# SUBID_BASE, SUBID_N - the subordinate range mapped to 1..SUBID_N
SUBID_BASE=3100000
SUBID_N=65536
cat >"$USER_DIR/rootless.sh" <<EOF
set -u
ip link set lo up
$PY $USER_NSTOOL sink-server 8080 --addr 127.0.0.2 --lifetime 60 &
$PY $USER_NSTOOL wait-port 127.0.0.2 8080 --timeout 10 >/dev/null
timeout -k 2 60 $PY $USER_DIR/dp_launch.py $URUN $STATUS_WAIT 60 -- \\
	$USER_DIR/docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port 18080 \\
	-container-ip 127.0.0.2 -container-port 8080 &
for i in \$(seq 1 400); do [ -f $URUN/status ] && break; sleep 0.05; done
echo "id=\$(id -u)"
printf 'status=%q\n' "\$(cat $URUN/status; echo x)"
$PY $USER_NSTOOL send 256K 127.0.0.1 18080 --timeout 20 && echo traffic=ok
kill -INT "\$(cat $URUN/pid)"
for i in \$(seq 1 200); do [ -f $URUN/rc ] && break; sleep 0.05; done
echo "rc=\$(cat $URUN/rc 2>/dev/null)"
kill %1 2>/dev/null || true
EOF
# the shell waits (bounded) for its mapping, then execs as uid 0 in it
# shellcheck disable=SC2016 # $(seq ...) and $0 are that shell's
start_bg "$TMPDIR_TEST/rootless.log" setpriv --reuid="$TEST_USER" \
	--regid="$TEST_USER" --clear-groups --inh-caps=-all -- unshare -Un \
	bash -c 'for i in $(seq 1 200); do [ -s /proc/self/uid_map ] && break
		sleep 0.05; done; exec bash "$0"' "$USER_DIR/rootless.sh"
RL_PID=$BG_PID
for ((i = 0; i < 100; i++)); do
	[[ $(readlink "/proc/$RL_PID/ns/user") != "$(readlink /proc/self/ns/user)" ]] &&
		break
	sleep 0.05
done
uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")
# write_map FILE TEXT - a map is written once, in one write()
write_map() {
	"$PY" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, sys.argv[2].encode())' "$1" "$2"
}
printf -v gmap '0 %s 1\n1 %s %s\n' "$gid" "$SUBID_BASE" "$SUBID_N"
printf -v umap '0 %s 1\n1 %s %s\n' "$uid" "$SUBID_BASE" "$SUBID_N"
write_map "/proc/$RL_PID/gid_map" "$gmap" || fail "rootless: cannot write gid_map"
write_map "/proc/$RL_PID/uid_map" "$umap" || fail "rootless: cannot write uid_map"
for ((i = 0; i < 90 * 20; i++)); do
	pid_alive "$RL_PID" || break
	sleep 0.05
done
rl=$(cat "$TMPDIR_TEST/rootless.log")
if [[ $rl == *id=0* && $rl == *"status=\$'0\\nx'"* && $rl == *traffic=ok* &&
	$rl == *rc=0* ]]; then
	ok "rootless (uid 0 of $TEST_USER's user+net namespace): ready, traffic, SIGINT exit 0"
else
	fail "rootless (uid 0 of $TEST_USER's user+net namespace):"
	printf '%s\n' "$rl" | indent
	show_log "$URUN/log"
fi

finish
