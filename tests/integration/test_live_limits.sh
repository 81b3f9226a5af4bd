#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_limits - connection limits, idle timeout, keepalive, descriptor
# exhaustion.
#
# Proves:
#   --max-conns 50   with 80 clients connected at once and holding their
#                    connections, exactly 50 get their echo; the other 30
#                    are connected at TCP level (they wait in the listen
#                    backlog, nothing is reset) but get no byte until some
#                    of the 50 close; then all 30 are served; a -u forward
#                    beside the TCP one does not lower that 50;
#   --idle-timeout 3 a connection idle in both directions is closed after
#                    3 s and before 3 + 2 s, while a connection with a round
#                    trip every 0.5 s stays open for 8 s;
#   --keepalive 5,2,3  `ss -tnoi` shows a keepalive timer on the accepted
#                    socket (host) and on the connected socket (namespace),
#                    and none on the client's own socket (the control);
#   RLIMIT_NOFILE    nsplice started under `prlimit --nofile=64:64` refuses
#                    to start (status 1, says why); a relay whose limit is
#                    lowered while it runs to what it holds plus 24 (about
#                    ten flows): with
#                    60 clients holding connections the relay does not spin
#                    (under 0.5 s of CPU in 3 s), the clients beyond what
#                    fits wait, and everything is served once the first
#                    clients close; --max-conns 65536 under a limit of
#                    4096 warns that it was cut, naming the limit.
# Why it matters: a forwarder without a limit lets one client exhaust the
# host; one that resets over the limit or spins on EMFILE turns a burst
# into an outage; idle connections and dead peers must not pin resources
# for ever.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-llimits"
make_netns "$NS"
alloc_ports 18000 P H1 H2 H3 H4 H5 H6 H7
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID - utime + stime of PID in clock ticks.
cpu_ticks() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return 0; }
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

start_ns_server "$NS" "$TMPDIR_TEST/ns-echo.log" echo-server "$P" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"

# ------------------------------------------------------------- max-conns
if start_nsplice --wait 127.0.0.1 "$H1" "$TMPDIR_TEST/maxconns.log" \
	--netns "$NS" -t "$H1:$P" --max-conns 50; then
	rc=0
	timeout -k 2 40 "$PY" "$LIVETOOL" many 127.0.0.1 "$H1" 80 50 2 - 10 \
		>"$TMPDIR_TEST/many.out" 2>&1 || rc=$?
	res=$(paste -sd' ' "$TMPDIR_TEST/many.out")
	if grep -q '^connected=80$' "$TMPDIR_TEST/many.out"; then
		ok "--max-conns 50: all 80 clients connected at TCP level"
	else
		fail "--max-conns 50: not all 80 clients could connect: $res"
	fi
	if grep -q '^served_first=50$' "$TMPDIR_TEST/many.out"; then
		ok "--max-conns 50: exactly 50 of 80 served while all hold their connections"
	else
		fail "--max-conns 50: $(grep -m1 '^served_first' "$TMPDIR_TEST/many.out" || echo "$res"), expected served_first=50"
	fi
	if ((rc == 0)) && grep -q '^served_total=80$' "$TMPDIR_TEST/many.out"; then
		ok "--max-conns 50: the 30 waiting clients were served once the first 50 closed"
	else
		fail "--max-conns 50: not every client was served in the end (exit $rc): $res"
		show_log "$NSP_LOG" 10
	fi
	stop_checked "--max-conns: " any
fi
# A UDP forward beside it takes nothing from the TCP port's connections:
# UDP flows have their own table (it once counted as a second TCP port and
# halved port H6's share to 25)
if start_nsplice --wait 127.0.0.1 "$H6" "$TMPDIR_TEST/maxconns-udp.log" \
	--netns "$NS" -t "$H6:$P" -u "$H7:$P" --max-conns 50; then
	timeout -k 2 40 "$PY" "$LIVETOOL" many 127.0.0.1 "$H6" 80 50 2 - 10 \
		>"$TMPDIR_TEST/many-udp.out" 2>&1 || true
	if grep -q '^served_first=50$' "$TMPDIR_TEST/many-udp.out"; then
		ok "--max-conns 50 with a -u forward too: still 50 of 80 served at once on the TCP port"
	else
		fail "--max-conns 50 with a -u forward: $(grep -m1 '^served_first' "$TMPDIR_TEST/many-udp.out" || paste -sd' ' "$TMPDIR_TEST/many-udp.out"), expected served_first=50"
		show_log "$NSP_LOG" 10
	fi
	stop_checked "--max-conns with -u: " any
fi

# ----------------------------------------------------------- idle timeout
if start_nsplice --wait 127.0.0.1 "$H2" "$TMPDIR_TEST/idle.log" \
	--netns "$NS" -t "$H2:$P" --idle-timeout 3; then
	rc=0
	timeout -k 2 30 "$PY" "$LIVETOOL" idle 127.0.0.1 "$H2" 3 8 >"$TMPDIR_TEST/idle.out" 2>&1 || rc=$?
	res=$(paste -sd' ' "$TMPDIR_TEST/idle.out")
	if ((rc == 0)); then
		ok "--idle-timeout 3: idle connection closed in [2.7, 5] s, the active one stayed open: $res"
	else
		fail "--idle-timeout 3: $res (idle must close after 3 s and before 5 s, the active one stay open 8 s)"
		show_log "$NSP_LOG" 10
	fi
	stop_checked "--idle-timeout: " any
fi

# -------------------------------------------------------------- keepalive
if start_nsplice --wait 127.0.0.1 "$H5" "$TMPDIR_TEST/keepalive.log" \
	--netns "$NS" -t "$H5:$P" --keepalive 5,2,3; then
	start_bg "$TMPDIR_TEST/hold.log" timeout -k 2 30 "$PY" "$NSTOOL" hold 127.0.0.1 "$H5" --timeout 20
	HOLD=$BG_PID
	wait_line "$TMPDIR_TEST/hold.log" '^holding' 10 || fail "keepalive: no connection through $H5"
	host_ss=$(ss -Htnoi state established "( sport = :$H5 )")
	client_ss=$(ss -Htnoi state established "( dport = :$H5 )")
	ns_ss=$(in_netns "$NS" ss -Htnoi state established "( dport = :$P )")
	if grep -q 'timer:(keepalive' <<<"$host_ss"; then
		ok "--keepalive: the accepted socket on the host has a keepalive timer"
	else
		fail "--keepalive: no keepalive timer on the accepted socket (ss -tnoi sport = :$H5)"
		printf '%s\n' "$host_ss" | indent
		show_log "$NSP_LOG" 6
	fi
	if grep -q 'timer:(keepalive' <<<"$ns_ss"; then
		ok "--keepalive: the connected socket in $NS has a keepalive timer"
	else
		fail "--keepalive: no keepalive timer on the connected socket in $NS (ss -tnoi dport = :$P)"
		printf '%s\n' "$ns_ss" | indent
	fi
	if [[ -n $client_ss ]] && ! grep -q 'timer:(keepalive' <<<"$client_ss"; then
		ok "--keepalive: the client's own socket has none (the check tells them apart)"
	else
		fail "--keepalive: the client's socket shows '$client_ss'"
	fi
	stop_checked "--keepalive: " any
fi

# ------------------------------------------------------ descriptor limits
# exhaust DESC PORT - 60 clients hold connections while the relay's CPU
# time is measured over 3 s; then they close and everything is served.
exhaust() {
	local desc=$1 port=$2 relay t0 t1 ms trig=$TMPDIR_TEST/close-$2 res
	relay=$(find_role relay) || { fail "$desc: no relay"; return 0; }
	start_bg "$TMPDIR_TEST/many-$port.out" timeout -k 2 60 "$PY" "$LIVETOOL" many \
		127.0.0.1 "$port" 60 -1 2 "$trig" 15
	local cli=$BG_PID
	if ! wait_line "$TMPDIR_TEST/many-$port.out" '^served_first=' 15; then
		fail "$desc: the 60 clients did not get going"
		indent <"$TMPDIR_TEST/many-$port.out"
		return 0
	fi
	t0=$(cpu_ticks "$relay")
	sleep 3
	t1=$(cpu_ticks "$relay")
	ms=$(((t1 - t0) * 1000 / CLK_TCK))
	if pid_alive "$relay" && ((ms < 500)); then
		ok "$desc: relay used $ms ms of CPU in 3 s with clients waiting ($(grep '^served_first' "$TMPDIR_TEST/many-$port.out") of 60)"
	else
		fail "$desc: relay used $ms ms of CPU in 3 s (alive: $(pid_alive "$relay" && echo yes || echo no)): it spins"
		show_log "$NSP_LOG" 10
	fi
	if grep -q '^served_first=60$' "$TMPDIR_TEST/many-$port.out"; then
		fail "$desc: all 60 connections were served: the limit was never reached, the test proves nothing"
	fi
	touch "$trig"
	wait_done "$cli" 20
	res=$(paste -sd' ' "$TMPDIR_TEST/many-$port.out")
	if ((DONE_RC == 0)); then
		ok "$desc: every waiting client was served once the first ones closed: $res"
	else
		fail "$desc: not every client was served after the first ones closed (exit $DONE_RC): $res"
		show_log "$NSP_LOG" 10
	fi
	check "$desc: new connections work afterwards" nstool concurrent 127.0.0.1 "$port" 10 --timeout 10 || true
	pid_alive "$NSP_PID" || fail "$desc: nsplice died"
}

# A hard limit too low to run at all is refused at once, with the reason,
# instead of children failing one after another.
rc=0
out=$(timeout -k 2 10 prlimit --nofile=64:64 "$NSPLICE" --netns "$NS" \
	-t "$H3:$P" 2>&1) || rc=$?
if ((rc == 1)) && grep -q 'RLIMIT_NOFILE hard limit 64 is too low' <<<"$out"; then
	ok "prlimit --nofile=64:64: refused at start with status 1: $out"
else
	fail "prlimit --nofile=64:64: status $rc, output: $out"
fi
if port_listening "$H3"; then
	fail "prlimit --nofile=64:64: port $H3 is listening"
fi

# A --max-conns larger than the descriptor limit allows is cut, and said
# so (ctl status alone showed it).
out=$(timeout -k 2 3 prlimit --nofile=4096:4096 "$NSPLICE" --netns "$NS" \
	-t "$H3:$P" --max-conns 65536 2>&1) || true
if grep -q -- '--max-conns 65536 cut to [0-9]*: .*descriptor limit 4096' <<<"$out"; then
	ok "--max-conns over the descriptor limit: warned: $(grep -- '--max-conns' <<<"$out")"
else
	fail "--max-conns 65536 under nofile 4096: no warning: $out"
fi

if start_nsplice --wait 127.0.0.1 "$H4" "$TMPDIR_TEST/lowered.log" \
	--netns "$NS" -t "$H4:$P"; then
	relay=$(find_role relay) || die "no relay"
	# As the relay's own uid and gid: lowering another user's limit takes
	# CAP_SYS_RESOURCE, which a test run in a container may not have.
	# The limit leaves room for about ten flows beside what it holds now.
	ids=$(ps -o uid=,gid= -p "$relay" | awk '{ print $1, $2 }')
	nfd=$(ls "/proc/$relay/fd" | wc -l)
	lim=$((nfd + 24))
	if setpriv --reuid="${ids% *}" --regid="${ids#* }" --clear-groups \
		prlimit --pid "$relay" --nofile=$lim:$lim; then
		ok "relay (pid $relay, $nfd descriptors open) limit lowered to $lim while it runs"
		exhaust "relay nofile lowered to $lim at run time" "$H4"
	else
		fail "prlimit --pid $relay --nofile=$lim:$lim failed"
	fi
	stop_checked "lowered nofile: " any
fi
finish
