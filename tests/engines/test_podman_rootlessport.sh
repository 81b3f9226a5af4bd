#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_podman_rootlessport - nsplice as podman 4.x's `rootlessport`, driven
# by the real rootless podman.
#
# DOC: Theory of Operation
#
# podman (4.0 - 4.9 for every rootless `-p`, later versions for bridge
# networks) starts a helper called `rootlessport` for each container that
# publishes ports; nsplice is a drop-in for it when its argv[0] is
# `rootlessport` (contract: /work/shared/ENGINES.md).  This test runs real
# rootless podman as a dedicated user (tests/engines/lib/podman.sh) with
# CONTAINERS_HELPER_BINARY_DIR pointing at a directory whose `rootlessport`
# is a symlink to the nsplice binary under test (RP_HELPER unset), or to
# podman's own helper (RP_HELPER=real: the test must pass there too, which
# is what makes it a statement about compatibility, not about nsplice's
# own idea of the contract).  Each case:
#   a. -p 127.0.0.1:P:80: the page is served on 127.0.0.1:P, and the
#      helper podman started is the one under test (its /proc/PID/exe);
#   b. -p P:80 (no host address): served on 127.0.0.1 and on [::1];
#   c. -p P1-P2:8000-8001: each host port reaches its own container port
#      (two httpd with different pages);
#   d. -p PU:5353/udp to a UDP echo server: a datagram comes back intact,
#      from source port PU;
#   e. a port already in use: `podman run` exits 126 and prints exactly
#      "Error: rootlessport listen tcp 127.0.0.1:P: bind: address already
#      in use" (podman prefixes the helper's one stdout line);
#   f. bridge network NET1 (RootlessCNI, reload socket TmpDir/rp/<id>,
#      longer than sun_path: podman.sh makes TmpDir long), with a second
#      container on NET2 (without one, podman 4.3.1 tears the rootless
#      network namespace down on disconnect and the container is left with
#      no interface).  podman 4.3.1 reloads the helper on `network
#      disconnect` only, with ChildIP = the address on the first network
#      left:
#      f1. connect NET2 + disconnect NET1: podman gets "OK" (the command
#          succeeds) and new connections reach the new address;
#      f2. connect NET1 again, start a 48 MiB download (rate-limited so
#          that it is in flight), disconnect NET1 (a reload that keeps
#          ChildIP): the download completes byte for byte (size + sha256)
#          and new connections are still served.  A download cannot
#          survive the removal of the address it goes to (the container's
#          own end goes away), so that is not asked of any helper.  The
#          real helper cuts the download (it removes and re-adds every
#          port, podman#11091): with RP_HELPER=real that one check is a
#          note; nsplice must keep live connections;
#      f3. connect NET6 (IPv6 only) + disconnect NET2: the reload brings
#          an IPv6 ChildIP, and new connections reach it (a change of
#          family was refused before, leaving the port dead);
#   g. `podman stop`: every process of the helper's tree exits, the port is
#      free again, the reload socket is gone;
#   h. (nsplice only) the helper's tree has a `nsplice: relay` with
#      Seccomp 2, NoNewPrivs 1 and no effective capability, and `nsplice
#      ctl TmpDir/rp/<id>.ctl status` lists the forward with the
#      connections and bytes of case b.
# NSPLICE_TEST_SANDBOX_LOG (the suite's --sandbox=log run of an
# NSPLICE_TESTING build) is passed to podman, which passes it on to the
# helper: with RP_HELPER=real case a checks that it arrives (nsplice's own
# /proc/PID/environ holds its process title).  Finally the teardown checks that nothing of the user
# (or of its subordinate ids) is left running.
# Why it matters: a drop-in that differs from the helper it replaces in
# any of these breaks someone's `podman run -p`; the sandbox of the relay
# is what nsplice adds and must hold in this context too.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
ENGINES_LIB=${NSPLICE_ENGINES_LIB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/lib" && pwd)}
. "$ENGINES_LIB/podman.sh"
TOOLS_SRC=$(cd "$ENGINES_LIB/../tools" && pwd)

# BIG_BYTES - size of the file downloaded across the reload (48 MiB)
BIG_BYTES=50331648
# BIG_RATE - curl's rate limit for it: about 8 s of transfer, bytes/s
BIG_RATE=6M
# BIG_MAX_S - most seconds the download may take
BIG_MAX_S=60
# STOP_MAX_S - most seconds for the helper to exit after `podman stop`
STOP_MAX_S=10
# NETOP_MAX_S - most seconds for `podman network connect/disconnect` (a
# reload the helper never answers makes podman wait for ever)
NETOP_MAX_S=30
# UDP_TRIES - datagrams sent before the UDP case gives up (1 s each)
UDP_TRIES=10

need_root
RP_HELPER=${RP_HELPER:-nsplice}
if [[ $RP_HELPER == real ]]; then
	[[ -x $PM_REAL_HELPER ]] || die "$PM_REAL_HELPER is missing (package podman)"
else
	need_nsplice
fi
pm_setup
mkdir -p "$PM_DIR/tools"
engine_build_tool "$TOOLS_SRC/udpecho.c" "$PM_DIR/tools/udpecho"
pm_build_image "$PM_DIR/tools/udpecho"
if [[ $RP_HELPER == real ]]; then
	pm_helper_dir "$PM_REAL_HELPER"
	WANT_EXE=$PM_REAL_HELPER
else
	pm_helper_dir "$NSPLICE"
	WANT_EXE=$PM_HELPER_DIR/$(basename "$NSPLICE")
fi
note "helper under test: $RP_HELPER ($PM_HELPER_DIR/rootlessport -> $(readlink "$PM_HELPER_DIR/rootlessport"))"
alloc_ports 23400 PA PB PE PF PU
alloc_range 23400 PC 2

# run_ctr NAME ARGS... - `podman run -d --name NAME ARGS`; ok/fail; the
# output in $PM_DIR/NAME.run.
run_ctr() {
	local name=$1
	shift
	if pod run -d --name "$name" "$@" >"$PM_DIR/$name.run" 2>&1; then
		return 0
	fi
	fail "podman run $name $* failed"
	indent <"$PM_DIR/$name.run"
	return 1
}

# check_exe PORT WHAT - ok/fail: the helper owning PORT is WANT_EXE.
check_exe() {
	local root exe
	root=$(pm_helper_root "$1") || true
	exe=$(readlink "/proc/${root:-0}/exe" 2>/dev/null || true)
	if [[ -n $root && $exe == "$WANT_EXE" ]]; then
		ok "$2: podman's rootlessport for it is $WANT_EXE (pid $root)"
	else
		fail "$2: helper owning port $1 is pid '${root:-none}' exe '${exe:-?}', want $WANT_EXE"
		ss -Hlnp "sport = :$1" | indent
	fi
}

# get URL - print the body of URL (bounded), nothing on failure.
get() { curl -sf -m 5 "$1" 2>/dev/null || true; }

# udp_roundtrip PORT - send datagrams to 127.0.0.1:PORT until one comes
# back; print "match|mismatch SRCPORT" (payload equal or not, source port
# of the answer) or "none".
udp_roundtrip() {
	"$PY" "$ENGINES_LIB/udprt.py" 127.0.0.1 "$1" "$UDP_TRIES"
}

# port_rebindable PORT - true if nothing listens on PORT and a dual-stack
# [::]:PORT listener can be created (TIME-WAIT entries do not count:
# SO_REUSEADDR, as every server sets it).
port_rebindable() {
	! port_listening "$1" && "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1]))); s.listen(1)' "$1"
}

# helper_tree ROOT - ROOT and its descendants, one pid per line.
helper_tree() { proc_tree "$1"; }

# ------------------------------------------------------------- a. 127.0.0.1
# The first container also proves podman works here at all: if it cannot
# run, every later case would only wait for its timeout.
run_ctr ca -p "127.0.0.1:$PA:80" "$PM_IMAGE" httpd -f -p 80 -h /www ||
	die "podman cannot run a container with a published port: stopping"
if :; then
	check_exe "$PA" "a. -p 127.0.0.1:$PA:80"
	# Only the real helper shows it: nsplice reuses its environment's
	# memory for its process titles, so its /proc/PID/environ is the title.
	if [[ -n ${NSPLICE_TEST_SANDBOX_LOG:-} && $RP_HELPER == real ]]; then
		root=$(pm_helper_root "$PA") || true
		if tr '\0' '\n' <"/proc/${root:-0}/environ" 2>/dev/null | grep -x "NSPLICE_TEST_SANDBOX_LOG=$NSPLICE_TEST_SANDBOX_LOG" >/dev/null; then
			ok "a. NSPLICE_TEST_SANDBOX_LOG reached the helper through podman"
		else
			fail "a. NSPLICE_TEST_SANDBOX_LOG is not in the helper's environment"
		fi
	fi
	body=$(get "http://127.0.0.1:$PA/")
	if [[ $body == "nsplice engines test page" ]]; then
		ok "a. -p 127.0.0.1:$PA:80 serves the container's page"
	else
		fail "a. -p 127.0.0.1:$PA:80: got '$body'"
	fi
fi

# -------------------------------------------------------------- b. dual stack
if run_ctr cb -p "$PB:80" "$PM_IMAGE" httpd -f -p 80 -h /www; then
	b4=$(get "http://127.0.0.1:$PB/")
	b6=$(get "http://[::1]:$PB/")
	if [[ $b4 == "nsplice engines test page" && $b6 == "$b4" ]]; then
		ok "b. -p $PB:80 serves on 127.0.0.1 and on [::1]"
	else
		fail "b. -p $PB:80: 127.0.0.1 gave '$b4', [::1] gave '$b6'"
		ss -Hlnp "sport = :$PB" | indent
	fi
fi

# -------------------------------------------------------------- c. port range
PC2=$((PC + 1))
if run_ctr cc -p "$PC-$PC2:8000-8001" "$PM_IMAGE" sh -c \
	'mkdir -p /w0 /w1; echo p8000 >/w0/index.html; echo p8001 >/w1/index.html;
	 httpd -p 8000 -h /w0; exec httpd -f -p 8001 -h /w1'; then
	pm_wait_http "http://127.0.0.1:$PC2/" 10 || true
	c0=$(get "http://127.0.0.1:$PC/")
	c1=$(get "http://127.0.0.1:$PC2/")
	if [[ $c0 == p8000 && $c1 == p8001 ]]; then
		ok "c. -p $PC-$PC2:8000-8001: $PC reaches 8000, $PC2 reaches 8001"
	else
		fail "c. -p $PC-$PC2:8000-8001: $PC gave '$c0' (want p8000), $PC2 gave '$c1' (want p8001)"
	fi
fi

# --------------------------------------------------------------------- d. UDP
if run_ctr cd -p "$PU:5353/udp" "$PM_IMAGE" udpecho 5353; then
	res=none src=""
	read -r res src < <(udp_roundtrip "$PU") || true
	if [[ $res == match && $src == "$PU" ]]; then
		ok "d. -p $PU:5353/udp: datagram echoed intact, answer from port $PU"
	else
		fail "d. -p $PU:5353/udp: result '$res' source port '${src:-}' (want match from $PU)"
		ss -Haunp "sport = :$PU" | indent
	fi
fi

# ------------------------------------------------------------- e. port in use
start_bg "$PM_DIR/holdport.log" timeout -k 2 "$PM_LIFETIME" "$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); time.sleep(1e6)' "$PE"
HOLD_PID=$BG_PID
for ((i = 0; i < 100; i++)); do port_listening "$PE" && break; sleep 0.05; done
port_listening "$PE" || fail "e. could not hold 127.0.0.1:$PE"
rc=0
pod run -d --name ce -p "127.0.0.1:$PE:80" "$PM_IMAGE" httpd -f -p 80 -h /www \
	>"$PM_DIR/ce.out" 2>"$PM_DIR/ce.err" || rc=$?
want="Error: rootlessport listen tcp 127.0.0.1:$PE: bind: address already in use"
if ((rc == 126)) && grep -qxF "$want" "$PM_DIR/ce.err"; then
	ok "e. port in use: podman run exits 126 with '$want'"
else
	fail "e. port in use: exit $rc (want 126), stderr (want the line '$want'):"
	indent <"$PM_DIR/ce.err"
fi
if [[ $(pm_port_pid "$PE") == "$HOLD_PID" ]] || pgrep -P "$HOLD_PID" >/dev/null; then
	ok "e. the port's owner is still the test's listener"
else
	fail "e. 127.0.0.1:$PE is no longer held by the test's listener"
	ss -Hlnp "sport = :$PE" | indent
fi
pod rm -f -t 0 ce >/dev/null 2>&1 || true
kill_pids "$HOLD_PID" $(pgrep -P "$HOLD_PID") 2>/dev/null || true

# ------------------------------------------------------ f. bridge and reload
# podman 4.3.1 reloads rootlessport on `network disconnect` only (connect
# keeps ChildIP), with ChildIP = the address on the first network left.
NET1=nspn1-$$
NET2=nspn2-$$
NET6=nspn6-$$
NET6_SUBNET=fd77:$(printf %x $(($$ % 65536)))::/64
pod network create "$NET1" >/dev/null 2>&1 || fail "f. podman network create $NET1"
pod network create "$NET2" >/dev/null 2>&1 || fail "f. podman network create $NET2"

# net_ip NET - the container cf's IPv4 address on NET (or nothing).
net_ip() {
	pod inspect --format "{{with index .NetworkSettings.Networks \"$1\"}}{{.IPAddress}}{{end}}" cf 2>/dev/null || true
}

# netop OP NET - `podman network OP NET cf`; fail with its output if it
# fails (the test goes on: set -e must not end it here).
netop() {
	local rc=0
	PM_CMD_TIMEOUT=$NETOP_MAX_S pod network "$1" "$2" cf >"$PM_DIR/netop.out" 2>&1 || rc=$?
	NETOP_RC=$rc
	((rc == 0)) && return 0
	fail "f. podman network $1 $2 cf failed (exit $rc):"
	indent <"$PM_DIR/netop.out"
	return 0
}

# new_conns WHAT - ok/fail: 5 new connections over 2 s are all served.
new_conns() {
	local i n=0
	for ((i = 0; i < 5; i++)); do
		[[ $(get "http://127.0.0.1:$PF/") == "nsplice engines test page" ]] && n=$((n + 1))
		sleep 0.4
	done
	if ((n == 5)); then
		ok "f. $1: 5 new connections over 2 s served"
	else
		RESULT_NEW="$n of 5 new connections served"
		return 1
	fi
}

# Seen on 4.3.1: when cf is the only container on a bridge network,
# `podman network disconnect` leaves it with no interface at all about a
# second later (podman cleans up its rootless network namespace), so no
# helper could reach it; a second container on NET2 keeps that from
# happening, as in any real deployment with more than one container.
run_ctr keep --network "$NET2" "$PM_IMAGE" sleep "$PM_LIFETIME" || true
if run_ctr cf --network "$NET1" -p "$PF:80" "$PM_IMAGE" sh -c \
	"head -c $BIG_BYTES /dev/urandom >/www/big;
	 sha256sum /www/big | cut -d' ' -f1 >/www/big.sha;
	 exec httpd -f -p 80 -h /www"; then
	check_exe "$PF" "f. bridge network $NET1"
	CF_ID=$(pm_container_id cf)
	RP_SOCK=$PM_TMPDIR/rp/$CF_ID
	((${#RP_SOCK} > 108)) || fail "f. $RP_SOCK is not longer than sun_path: the long-path case is not exercised"
	if [[ -S $RP_SOCK ]]; then
		ok "f. reload socket TmpDir/rp/<id> exists (${#RP_SOCK} bytes: longer than sun_path)"
	else
		fail "f. no reload socket at $RP_SOCK"
	fi
	pm_wait_http "http://127.0.0.1:$PF/big.sha" 20 || true
	want_sha=$(get "http://127.0.0.1:$PF/big.sha")
	ip1=$(net_ip "$NET1")

	# f1: the address changes (NET1 -> NET2): new connections follow it.
	netop connect "$NET2"
	netop disconnect "$NET1"
	ip2=$(net_ip "$NET2")
	note "f1. cf was at $ip1 on $NET1, is now at $ip2 on $NET2 only"
	new_conns "f1. after connect $NET2 + disconnect $NET1 (ChildIP $ip1 -> $ip2)" ||
		fail "f1. after the reload to $ip2: $RESULT_NEW"

	# f2: a reload that keeps ChildIP ($ip2) while a download is in flight
	# on it: connect NET1 (no reload), download, disconnect NET1 (reload).
	netop connect "$NET1"
	start_bg "$PM_DIR/big.curl" curl -sS -f -m "$BIG_MAX_S" --limit-rate "$BIG_RATE" \
		-o "$PM_DIR/big.got" "http://127.0.0.1:$PF/big"
	CURL_PID=$BG_PID
	sleep 1
	netop disconnect "$NET1"
	got=$(stat -c %s "$PM_DIR/big.got" 2>/dev/null || echo 0)
	inflight=0
	pid_alive "$CURL_PID" && ((got < BIG_BYTES)) && inflight=1
	note "f2. $got bytes received when the reload (ChildIP $ip2) was done"
	rc=0
	wait "$CURL_PID" || rc=$?
	got=$(stat -c %s "$PM_DIR/big.got" 2>/dev/null || echo 0)
	sha=$(sha256sum "$PM_DIR/big.got" 2>/dev/null | cut -d' ' -f1) || sha=""
	res="curl exit $rc, $got of $BIG_BYTES bytes, sha256 ${sha:-none} want ${want_sha:-unknown}"
	if ((NETOP_RC != 0)); then
		fail "f2. the reload itself failed (above), the download across it is not judged: $res"
	elif ((inflight == 0)); then
		fail "f2. the download was not in flight during the reload ($res): the case proves nothing"
	elif ((rc == 0 && got == BIG_BYTES)) && [[ -n $want_sha && $sha == "$want_sha" ]]; then
		ok "f2. a download in flight across a reload completes intact ($got bytes, sha256 matches)"
	elif [[ $RP_HELPER == real ]]; then
		# podman#11091: the real helper removes and re-adds every port.
		note "f2. KNOWN real-helper behaviour (podman#11091): the reload cut the live download: $res"
	else
		fail "f2. download across the reload: $res"
		indent <"$PM_DIR/big.curl"
	fi
	new_conns "f2. after the reload with a live connection" ||
		fail "f2. after the reload with a live connection: $RESULT_NEW"

	# f3: to an IPv6-only network (connect NET6, disconnect NET2): the
	# reload brings an IPv6 ChildIP while every forward targets IPv4.
	# It used to be refused ("a reload does not change the family"), and
	# the port stayed dead; podman's own helper follows it.
	if pod network create --subnet "$NET6_SUBNET" "$NET6" >/dev/null 2>&1; then
		netop connect "$NET6"
		netop disconnect "$NET2"
		if ((NETOP_RC == 0)); then
			new_conns "f3. after a move to the IPv6-only $NET6" ||
				fail "f3. after a move to the IPv6-only $NET6: $RESULT_NEW"
		else
			fail "f3. the reload to an IPv6 ChildIP was refused (above)"
		fi
	else
		fail "f3. podman network create --subnet $NET6_SUBNET $NET6"
	fi
fi

# ---------------------------------------------------------- g. podman stop
# stop_case NAME PORT - `podman stop NAME` ends the helper owning PORT.
stop_case() {
	local name=$1 port=$2 root pids left i id
	root=$(pm_helper_root "$port") || true
	if [[ -z $root ]]; then
		fail "g. $name: no helper owns port $port before the stop"
		return 0
	fi
	id=$(pm_container_id "$name")
	mapfile -t pids < <(helper_tree "$root")
	local starts=()
	for i in "${pids[@]}"; do starts+=("$i:$(proc_start "$i")"); done
	pod stop -t 2 "$name" >"$PM_DIR/$name.stop" 2>&1 || {
		fail "g. podman stop $name failed"
		indent <"$PM_DIR/$name.stop"
	}
	for ((i = 0; i < STOP_MAX_S * 20; i++)); do
		mapfile -t left < <(still_running "${starts[@]}")
		((${#left[@]} == 0)) && ! port_listening "$port" && break
		sleep 0.05
	done
	if ((${#left[@]} == 0)); then
		ok "g. podman stop $name: all ${#pids[@]} processes of the helper exited"
	else
		fail "g. podman stop $name: helper processes still alive after ${STOP_MAX_S}s:"
		ps -o pid,ppid,args -p "$(printf '%s,' "${left[@]}")" | indent || true
	fi
	if port_rebindable "$port"; then
		ok "g. port $port is free again after podman stop $name (bound and listened on it)"
	else
		fail "g. port $port still in use after podman stop $name"
		ss -Hanp "sport = :$port" | indent
	fi
	if [[ -e $PM_TMPDIR/rp/$id ]]; then
		fail "g. the reload socket of $name is left at TmpDir/rp/<id>"
	else
		ok "g. no reload socket of $name left"
	fi
}
stop_case ca "$PA"
[[ -n ${CF_ID:-} ]] && stop_case cf "$PF"

# ------------------------------------------------------------ h. nsplice
if [[ $RP_HELPER == real ]]; then
	note "h. skipped: RP_HELPER=real (the sandbox and ctl checks are about nsplice)"
else
	root=$(pm_helper_root "$PB") || true
	relay=""
	for p in $(helper_tree "${root:-0}"); do
		[[ $(ps -o args= -p "$p" 2>/dev/null) == "nsplice: relay"* ]] && relay=$p && break
	done
	if [[ -z $relay ]]; then
		fail "h. no 'nsplice: relay' in the helper tree of port $PB (root ${root:-none}):"
		[[ -n $root ]] && ps -o pid,ppid,args -p "$(helper_tree "$root" | paste -sd, -)" | indent
	else
		st=$(grep -E '^(Seccomp|NoNewPrivs|CapEff):' "/proc/$relay/status" | awk '{print $1 $2}' | paste -sd' ' -) || true
		if [[ $st == *"NoNewPrivs:1"* && $st == *"Seccomp:2"* && $st == *"CapEff:0000000000000000"* ]]; then
			ok "h. the relay (pid $relay) of podman's helper is sandboxed: $st"
		else
			fail "h. the relay (pid $relay) is not sandboxed as expected: $st"
		fi
	fi
	CB_ID=$(pm_container_id cb)
	ctl_path=$PM_TMPDIR/rp/$CB_ID.ctl
	rc=0
	timeout -k 2 15 nsenter -t "$PM_HOLDER" -m runuser -u "$PM_USER" -- \
		"$WANT_EXE" ctl "$ctl_path" status --json >"$PM_DIR/ctl.json" 2>"$PM_DIR/ctl.err" || rc=$?
	lines=""
	((rc == 0)) && lines=$("$PY" "$NSPLICE_TESTLIB/livetool.py" status-lines "$PM_DIR/ctl.json" 2>&1 || true)
	# fields: fwd OPT SIDE ADDR PORT TADDR SOURCE TPORT OPEN ACCEPTED ...
	# One forward per listening socket (0.0.0.0 and ::): sum them.
	if awk -v p="$PB" '$1 == "fwd" && $5 == p { a += $10; b += $14 }
		END { exit !(a >= 2 && b > 0) }' <<<"$lines"; then
		ok "h. nsplice ctl TmpDir/rp/<id>.ctl status lists port $PB with its connections and bytes"
	else
		fail "h. nsplice ctl $ctl_path status (exit $rc) does not list port $PB with >= 2 connections and bytes:"
		{ cat "$PM_DIR/ctl.err"; printf '%s\n' "$lines"; } | indent
	fi
fi

pm_teardown
finish
