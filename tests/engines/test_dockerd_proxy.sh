#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_dockerd_proxy - nsplice as the userland proxy of a real rootful
# dockerd 20.10 (`--userland-proxy-path`), end to end.
#
# DOC: Theory of Operation
#
# dockerd starts one userland proxy per published port, protocol and
# address family; nsplice is a drop-in for it when it is run through a
# link named docker-proxy (cmd/dockerproxy.c; contract in
# /work/shared/ENGINES.md, driven by hand in
# tests/integration/test_engine_docker_proxy.sh).  This test runs the
# real thing: dockerd, containerd and runc from Debian's packages,
# downloaded and unpacked, never installed (tests/engines/lib/dockerd.sh),
# in a network and mount namespace of their own, with
# `--userland-proxy-path` naming a docker-proxy link to the nsplice binary
# under test (DP_HELPER unset) or to dockerd's own docker-proxy
# (DP_HELPER=real: every case must pass there too, which is what makes
# the test a statement about compatibility rather than about nsplice's own
# reading of the contract).  All traffic stays in dockerd's namespace.
# Cases:
#   a. -p 127.0.0.1:PA:80 to busybox httpd: the page is served on
#      127.0.0.1:PA; dockerd started exactly one proxy for it, running the
#      binary under test; the connection really goes through it (rootful
#      dockerd DNATs published ports, but not loopback traffic when the
#      userland proxy is on: while a request is half sent, the accepted
#      end of that very connection, 127.0.0.1:PA, belongs to the proxy's
#      process tree).  nsplice: the proxy is "nsplice: supervisor" and its
#      tree has a "nsplice: relay" with Seccomp 2, NoNewPrivs 1 and no
#      effective capability, although dockerd runs it as root; the real
#      proxy: its argv is dockerd's "-proto tcp -host-ip 127.0.0.1
#      -host-port PA ..." (nsplice's argv holds its process title);
#   b. -p PB:80: dockerd starts two proxies (0.0.0.0 and ::); the page is
#      served on 127.0.0.1:PB and on [::1]:PB;
#   c. -p PU:5353/udp to a UDP echo server (tests/engines/tools/udpecho.c):
#      two proxies; a datagram sent to 127.0.0.1:PU and one sent to
#      [::1]:PU come back intact, from port PU;
#   d. the port in use (a listener of the test on 127.0.0.1:PE in
#      dockerd's namespace): `docker run -p 127.0.0.1:PE:80` exits 125
#      with dockerd's message carrying the proxy's own,
#      "Error starting userland proxy: listen tcp4 127.0.0.1:PE: bind:
#      address already in use", the failed proxy is gone and the test's
#      listener still owns the port;
#   e. `docker stop` of a, b and c: every process of every proxy of the
#      container (dockerd sends SIGINT) exits within STOP_MAX_S and the
#      port can be bound again; `docker rm` succeeds;
#   f. teardown (lib/dockerd.sh): dockerd exits on SIGTERM; no process of
#      it, containerd, the shims, the containers or the proxies is left,
#      nothing is left in its network namespace (so the namespace is
#      gone), the containers' cgroup parent is removed, /etc/docker was
#      not created.
# NSPLICE_TEST_SANDBOX_LOG (the suite's --sandbox=log run of an
# NSPLICE_TESTING build) is in dockerd's environment, which dockerd hands
# to every proxy; with DP_HELPER=real case a checks that it arrives.
# Why it matters: rootful docker runs the userland proxy as root with
# every capability, in the namespace where published ports are served;
# a drop-in must behave as the real one in every case above for
# `docker run -p` to keep working, and the sandbox of its relay is what
# nsplice adds there.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
ENGINES_LIB=${NSPLICE_ENGINES_LIB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/lib" && pwd)}
. "$ENGINES_LIB/dockerd.sh"
TOOLS_SRC=$(cd "$ENGINES_LIB/../tools" && pwd)

# PA, PB, PU, PE - the host ports of cases a to d; dockerd's network
# namespace is the test's own, so no other user of the machine can hold
# them
PA=18080
PB=18081
PU=18082
PE=18083
# STOP_MAX_S - most seconds for every proxy process to exit after
# `docker stop`
STOP_MAX_S=10
# HTTP_WAIT_S - most seconds for a container's httpd to answer
HTTP_WAIT_S=15
# UDP_TRIES - datagrams sent before the UDP case gives up (1 s each)
UDP_TRIES=10
# HOLD_S - most seconds the port-in-use listener lives
HOLD_S=120
# HOLD_WAIT_S - most seconds for that listener to be up
HOLD_WAIT_S=5
# GET_MAX_S - most seconds one HTTP request may take
GET_MAX_S=5
# THROUGH_MAX_S - most seconds for the half-sent request check of case a
THROUGH_MAX_S=30
# PAGE - what the image's httpd serves at /
PAGE="nsplice engines test page"

need_root
DP_HELPER=${DP_HELPER:-nsplice}
[[ $DP_HELPER == real ]] || need_nsplice
dk_setup
if [[ $DP_HELPER == real ]]; then
	ln -s "$DK_REAL_PROXY" "$DK_DIR/proxy/docker-proxy"
else
	ln -s "$NSPLICE" "$DK_DIR/proxy/docker-proxy"
fi
WANT_EXE=$(readlink -f "$DK_DIR/proxy/docker-proxy")
note "proxy under test: $DP_HELPER ($WANT_EXE)"
mkdir -p "$DK_DIR/tools"
engine_build_tool "$TOOLS_SRC/udpecho.c" "$DK_DIR/tools/udpecho"
dk_start "$DK_DIR/proxy/docker-proxy"
dk_build_image "$DK_DIR/tools/udpecho"

# get URL - print the body of URL fetched in dockerd's netns (bounded),
# nothing on failure.
get() { in_dk curl -sf -m "$GET_MAX_S" "$1" 2>/dev/null || true; }

# wait_http URL - wait (bounded) until URL answers in dockerd's netns.
wait_http() {
	local i
	for ((i = 0; i < HTTP_WAIT_S * 10; i++)); do
		in_dk curl -sf -m 2 -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# run_ctr NAME ARGS... - dk_run; fail with docker's output if it fails.
run_ctr() {
	local name=$1
	shift
	dk_run "$name" "$@" && return 0
	fail "docker run $name $* failed"
	indent <"$DK_DIR/$name.run"
	return 1
}

# relay_of ROOT - pid of the first "nsplice: relay" in ROOT's tree.
relay_of() {
	local p
	for p in $(proc_tree "$1"); do
		[[ $(ps -o args= -p "$p" 2>/dev/null) == "nsplice: relay"* ]] && echo "$p" && return 0
	done
	return 1
}

# check_proxies WHAT PORT PROTO N ARGS-REGEX... - ok/fail: dockerd runs
# exactly N proxies holding PORT/PROTO, each one the binary under test;
# with nsplice each is a supervisor with a sandboxed relay; with the real
# proxy every ARGS-REGEX matches the argv of one of them (dockerd starts
# them in no fixed order; nsplice's argv holds its title).  Sets ROOTS.
check_proxies() {
	local what=$1 port=$2 proto=$3 n=$4 r exe args relay st re hit
	shift 4
	mapfile -t ROOTS < <(dk_proxy_roots "$port" "$proto")
	if ((${#ROOTS[@]} != n)); then
		fail "$what: $n proxies of dockerd expected on $proto port $port, found ${#ROOTS[@]} (${ROOTS[*]})"
		in_dk ss -Hanp "sport = :$port" | indent
		return 0
	fi
	for r in "${ROOTS[@]}"; do
		exe=$(readlink "/proc/$r/exe" 2>/dev/null || true)
		args=$(ps -o args= -p "$r" 2>/dev/null || true)
		if [[ $exe != "$WANT_EXE" ]]; then
			fail "$what: proxy pid $r runs '$exe', want $WANT_EXE"
			continue
		fi
		if [[ $DP_HELPER == real ]]; then
			ok "$what: proxy pid $r is $exe: $args"
			continue
		fi
		relay=$(relay_of "$r") || true
		st=$(grep -E '^(Seccomp|NoNewPrivs|CapEff):' "/proc/${relay:-0}/status" 2>/dev/null |
			awk '{print $1 $2}' | paste -sd' ' -) || true
		if [[ $args == "nsplice: supervisor"* && -n $relay &&
			$st == *"NoNewPrivs:1"* && $st == *"Seccomp:2"* &&
			$st == *"CapEff:0000000000000000"* ]]; then
			ok "$what: proxy pid $r is $exe ('$args'), its relay $relay is sandboxed: $st"
		else
			fail "$what: proxy pid $r ('$args') relay '${relay:-none}': $st"
			ps -o pid,ppid,user,args -p "$(proc_tree "$r" | paste -sd, -)" | indent || true
		fi
	done
	[[ $DP_HELPER == real ]] || return 0
	for re in "$@"; do
		hit=0
		for r in "${ROOTS[@]}"; do
			[[ $(ps -o args= -p "$r" 2>/dev/null) =~ $re ]] && hit=1
		done
		((hit)) || fail "$what: no proxy's argv matches '$re'"
	done
}

# through_proxy PORT - in dockerd's netns, connect to 127.0.0.1:PORT, send
# half a request, print "OWNERS pid..." (the processes holding the
# accepted end of that connection, looked up until one shows, at most
# 2 s), finish the request and print "BODY text".
through_proxy() {
	in_dk timeout -k 2 "$THROUGH_MAX_S" "$PY" - "$1" <<-'EOF'
		import re, socket, subprocess, sys, time
		port = int(sys.argv[1])
		s = socket.create_connection(("127.0.0.1", port), timeout=10)
		lport = s.getsockname()[1]
		s.sendall(b"GET / HTTP/1.0\r\n")
		owners = []
		for _ in range(40):
		    out = subprocess.run(["ss", "-Htnp", "state", "established",
		        "( sport = :%d and dport = :%d )" % (port, lport)],
		        capture_output=True, text=True, timeout=10).stdout
		    owners = re.findall(r"pid=(\d+)", out)
		    if owners:
		        break
		    time.sleep(0.05)
		print("OWNERS " + " ".join(owners), flush=True)
		s.sendall(b"\r\n")
		data = b""
		while True:
		    b = s.recv(65536)
		    if not b:
		        break
		    data += b
		print("BODY " + data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip())
	EOF
}

# udp_roundtrip ADDR PORT - in dockerd's netns, send datagrams to
# ADDR:PORT until one comes back; print "match|mismatch SRCPORT" or "none".
udp_roundtrip() {
	in_dk timeout -k 2 $((UDP_TRIES + 10)) "$PY" "$ENGINES_LIB/udprt.py" \
		"$1" "$2" "$UDP_TRIES"
}

# port_rebindable PORT PROTO - true if, in dockerd's netns, PROTO PORT can
# be bound on 0.0.0.0 and on [::] (V6ONLY) again, and TCP listened on.
port_rebindable() {
	in_dk "$PY" - "$1" "$2" <<-'EOF'
		import socket, sys
		port, proto = int(sys.argv[1]), sys.argv[2]
		kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
		for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
		    s = socket.socket(fam, kind)
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    if fam == socket.AF_INET6:
		        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
		    s.bind((addr, port))
		    if proto == "tcp":
		        s.listen(1)
		    s.close()
	EOF
}

# dockerd_proxies - pids of dockerd's children running the proxy binary.
dockerd_proxies() {
	local p
	for p in $(pgrep -P "$DK_PID"); do
		[[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$WANT_EXE" ]] && echo "$p"
	done
	return 0
}

# ------------------------------------------------------------- a. 127.0.0.1
# The first container also proves dockerd can run one here at all: if it
# cannot, every later case would only wait for its timeout.
run_ctr ca -p "127.0.0.1:$PA:80" "$DK_IMAGE" httpd -f -p 80 -h /www ||
	die "dockerd cannot run a container with a published port: stopping"
wait_http "http://127.0.0.1:$PA/" || true
check_proxies "a. -p 127.0.0.1:$PA:80" "$PA" tcp 1 \
	"-proto tcp -host-ip 127\.0\.0\.1 -host-port $PA -container-ip [0-9.]+ -container-port 80"
A_ROOTS=("${ROOTS[@]}")
body=$(get "http://127.0.0.1:$PA/")
if [[ $body == "$PAGE" ]]; then
	ok "a. -p 127.0.0.1:$PA:80 serves the container's page"
else
	fail "a. -p 127.0.0.1:$PA:80: got '$body'"
fi
out=$(through_proxy "$PA" 2>&1) || true
owners=$(sed -n 's/^OWNERS //p' <<<"$out")
tree=" $(for r in "${A_ROOTS[@]}"; do proc_tree "$r"; done | paste -sd' ' -) "
in_tree=1
for p in $owners; do [[ $tree == *" $p "* ]] || in_tree=0; done
if [[ -n $owners ]] && ((in_tree)) && [[ $(sed -n 's/^BODY //p' <<<"$out") == "$PAGE" ]]; then
	ok "a. a connection to 127.0.0.1:$PA is accepted by the proxy (pids $owners), not DNATed, and served"
else
	fail "a. connection to 127.0.0.1:$PA: accepted end held by '${owners:-nobody}' (proxy tree:$tree):"
	indent <<<"$out"
fi
if [[ -n ${NSPLICE_TEST_SANDBOX_LOG:-} && $DP_HELPER == real && ${#A_ROOTS[@]} -gt 0 ]]; then
	if tr '\0' '\n' <"/proc/${A_ROOTS[0]}/environ" 2>/dev/null |
		grep -qx "NSPLICE_TEST_SANDBOX_LOG=$NSPLICE_TEST_SANDBOX_LOG"; then
		ok "a. NSPLICE_TEST_SANDBOX_LOG reached the proxy through dockerd"
	else
		fail "a. NSPLICE_TEST_SANDBOX_LOG is not in the proxy's environment"
	fi
fi

# -------------------------------------------------------------- b. dual stack
if run_ctr cb -p "$PB:80" "$DK_IMAGE" httpd -f -p 80 -h /www; then
	wait_http "http://127.0.0.1:$PB/" || true
	check_proxies "b. -p $PB:80" "$PB" tcp 2 \
		"-proto tcp -host-ip 0\.0\.0\.0 -host-port $PB " \
		"-proto tcp -host-ip :: -host-port $PB "
	b4=$(get "http://127.0.0.1:$PB/")
	b6=$(get "http://[::1]:$PB/")
	if [[ $b4 == "$PAGE" && $b6 == "$PAGE" ]]; then
		ok "b. -p $PB:80 serves on 127.0.0.1 and on [::1]"
	else
		fail "b. -p $PB:80: 127.0.0.1 gave '$b4', [::1] gave '$b6'"
		in_dk ss -Hlnp "sport = :$PB" | indent
	fi
fi

# --------------------------------------------------------------------- c. UDP
if run_ctr cc -p "$PU:5353/udp" "$DK_IMAGE" udpecho 5353; then
	check_proxies "c. -p $PU:5353/udp" "$PU" udp 2 \
		"-proto udp -host-ip 0\.0\.0\.0 -host-port $PU " \
		"-proto udp -host-ip :: -host-port $PU "
	for addr in 127.0.0.1 ::1; do
		res=none src=""
		read -r res src < <(udp_roundtrip "$addr" "$PU") || true
		if [[ $res == match && $src == "$PU" ]]; then
			ok "c. -p $PU:5353/udp: datagram to $addr echoed intact, answer from port $PU"
		else
			fail "c. -p $PU:5353/udp to $addr: result '$res' source port '${src:-}' (want match from $PU)"
			in_dk ss -Haunp "sport = :$PU" | indent
		fi
	done
fi

# ------------------------------------------------------------- d. port in use
start_bg "$DK_DIR/holdport.log" nsenter -t "$DK_PID" -n -- timeout -k 2 "$HOLD_S" "$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); time.sleep(1e6)' "$PE"
HOLD_PID=$BG_PID
for ((i = 0; i < HOLD_WAIT_S * 20; i++)); do
	[[ -n $(dk_port_owners "$PE") ]] && break
	sleep 0.05
done
hold_owner=$(dk_port_owners "$PE")
[[ -n $hold_owner ]] || fail "d. could not hold 127.0.0.1:$PE"
before=$(dockerd_proxies | paste -sd' ' -)
rc=0
dk run -d --name cd -p "127.0.0.1:$PE:80" "$DK_IMAGE" httpd -f -p 80 -h /www \
	>"$DK_DIR/cd.out" 2>"$DK_DIR/cd.err" || rc=$?
# dockerd 20.10 with its own docker-proxy prints exactly this line
want="docker: Error response from daemon: driver failed programming external connectivity on endpoint cd \\([0-9a-f]{64}\\): Error starting userland proxy: listen tcp4 127\\.0\\.0\\.1:$PE: bind: address already in use\\."
if ((rc == 125)) && grep -qxE "$want" "$DK_DIR/cd.err"; then
	ok "d. port in use: docker run exits 125 with '$(head -n1 "$DK_DIR/cd.err")'"
else
	fail "d. port in use: exit $rc (want 125), stderr (want a line matching '$want'):"
	indent <"$DK_DIR/cd.err"
fi
if [[ $(dk_port_owners "$PE") == "$hold_owner" ]]; then
	ok "d. the port's owner is still the test's listener (pid $hold_owner)"
else
	fail "d. 127.0.0.1:$PE is no longer held by the test's listener alone"
	in_dk ss -Hltnp "sport = :$PE" | indent
fi
for ((i = 0; i < STOP_MAX_S * 20; i++)); do
	[[ $(dockerd_proxies | paste -sd' ' -) == "$before" ]] && break
	sleep 0.05
done
after=$(dockerd_proxies | paste -sd' ' -)
if [[ $after == "$before" ]]; then
	ok "d. the refused proxy is gone (dockerd's proxies: $after)"
else
	fail "d. dockerd's proxies before: '$before', after the refusal: '$after'"
fi
dk rm -f cd >/dev/null 2>&1 || true
# shellcheck disable=SC2046 # pid lists
kill_pids "$HOLD_PID" $(pgrep -P "$HOLD_PID") $(dk_port_owners "$PE") 2>/dev/null || true

# ---------------------------------------------------------- e. docker stop
# stop_case NAME PROTO PORT - `docker stop NAME` ends every proxy process
# of PORT, which can then be bound again; `docker rm NAME` works.
stop_case() {
	local name=$1 proto=$2 port=$3 r p i starts=() left=()
	for r in $(dk_proxy_roots "$port" "$proto"); do
		for p in $(proc_tree "$r"); do starts+=("$p:$(proc_start "$p")"); done
	done
	if ((${#starts[@]} == 0)); then
		fail "e. $name: no proxy holds $proto port $port before the stop"
		return 0
	fi
	dk stop -t 2 "$name" >"$DK_DIR/$name.stop" 2>&1 || {
		fail "e. docker stop $name failed"
		indent <"$DK_DIR/$name.stop"
	}
	for ((i = 0; i < STOP_MAX_S * 20; i++)); do
		mapfile -t left < <(still_running "${starts[@]}")
		((${#left[@]} == 0)) && [[ -z $(dk_port_owners "$port" "$proto") ]] && break
		sleep 0.05
	done
	if ((${#left[@]} == 0)); then
		ok "e. docker stop $name: all ${#starts[@]} processes of its $proto $port proxies exited"
	else
		fail "e. docker stop $name: proxy processes alive after ${STOP_MAX_S}s:"
		ps -o pid,ppid,args -p "$(printf '%s,' "${left[@]}")0" | indent || true
	fi
	if port_rebindable "$port" "$proto" 2>"$DK_DIR/rebind.err"; then
		ok "e. $proto port $port can be bound again (0.0.0.0 and [::]) after docker stop $name"
	else
		fail "e. $proto port $port still in use after docker stop $name"
		indent <"$DK_DIR/rebind.err"
		in_dk ss -Hanp "sport = :$port" | indent
	fi
	if dk rm "$name" >"$DK_DIR/$name.rm" 2>&1; then
		ok "e. docker rm $name"
	else
		fail "e. docker rm $name failed"
		indent <"$DK_DIR/$name.rm"
	fi
}
stop_case ca tcp "$PA"
stop_case cb tcp "$PB"
stop_case cc udp "$PU"
rest=$(dockerd_proxies | paste -sd' ' -)
if [[ -z $rest ]]; then
	ok "e. dockerd runs no proxy any more"
else
	fail "e. dockerd still runs proxies: $rest"
	ps -o pid,args -p "${rest// /,}" | indent || true
fi
if grep -iE 'level=(error|fatal).*(proxy|port)' "$DK_DIR/dockerd.log" >"$DK_DIR/errs" 2>/dev/null; then
	note "dockerd logged errors about proxies or ports:"
	indent <"$DK_DIR/errs"
fi

dk_teardown
finish
