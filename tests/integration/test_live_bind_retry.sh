#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_bind_retry - a forward whose port is taken when it is added to
# a running nsplice listens as soon as the port is free again.
#
#  1. `nsplice ctl add -t B:P` while another process holds 127.0.0.1:B:
#     ctl exits 0 with a warning on stderr naming 127.0.0.1:B and the
#     error (it used to say nothing); the failure is logged (an error
#     naming the port, then when it will be tried again); once the holder
#     exits, within 5 s nsplice listens
#     on 127.0.0.1:B (logged) and a connection there reaches P in NS.
#  2. The same through the configuration file and SIGHUP, port C.
#  3. A forward still failing is removed (ctl remove): no more tries, and
#     freeing its port later binds nothing.
#  4. Eight `ctl add`s of taken ports at once: each prints its warning.
# Why it matters: a reviewer reloaded quickly (each reload needing a new
# relay); an unchanged forward was removed and added again while the old
# relay still held its socket, failed with EADDRINUSE, and stayed dark
# until nsplice was restarted: a failed bind was never tried again.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-lretry"
make_netns "$NS"
alloc_ports 26900 A B C D P
alloc_range 26900 M 8
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$P" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"
CONF=$TMPDIR_TEST/nsplice.conf
printf 'tcp-ports = %s:%s\n' "$A" "$P" >"$CONF"

# hold PORT - a TCP listener of another process on 127.0.0.1:PORT; HOLD_PID
hold() {
	start_ns_server "" "$TMPDIR_TEST/hold-$1.log" echo-server "$1" --addr 127.0.0.1
	HOLD_PID=$BG_PID
	wait_port 127.0.0.1 "$1" || die "holder on $1 did not start"
}
# unhold PORT - stop the holder, wait (<= 10 s) until it no longer listens
unhold() {
	local i
	kill "$HOLD_PID"
	for ((i = 0; i < 100; i++)); do
		ss -Hltnp "sport = :$1" | grep -q python || return 0
		sleep 0.1
	done
	die "the holder of $1 did not go"
}
# listens_within PORT SECONDS - nsplice listens on 127.0.0.1:PORT in time
listens_within() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		ss -Hltnp "src 127.0.0.1:$1" | grep -q nsplice && return 0
		sleep 0.1
	done
	return 1
}

start_nsplice --wait 127.0.0.1 "$A" "$TMPDIR_TEST/nsplice.log" -c "$CONF" \
	--netns "$NS" --control "$TMPDIR_TEST/ctl.sock" || die "nsplice did not start"

# 1. ctl add on a taken port
hold "$B"
rc=0
"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" add -t "$B:$P" >"$TMPDIR_TEST/add.out" \
	2>"$TMPDIR_TEST/add.err" || rc=$?
if ((rc == 0)) && [[ ! -s $TMPDIR_TEST/add.out ]] &&
	grep -q "^nsplice ctl: warning: -t $B:$P: cannot listen on 127.0.0.1:$B: address already in use; added all the same" "$TMPDIR_TEST/add.err"; then
	ok "1. ctl add on a taken port tells whoever typed it (exit 0): $(cat "$TMPDIR_TEST/add.err")"
else
	fail "1. ctl add on a taken port: exit $rc, stdout '$(cat "$TMPDIR_TEST/add.out")', stderr '$(cat "$TMPDIR_TEST/add.err")'"
fi
for ((i = 0; i < 30; i++)); do
	grep -q "port $B: trying again" "$NSP_LOG" && break
	sleep 0.1
done
if grep -q "cannot listen on 127.0.0.1:$B: address already in use" "$NSP_LOG" &&
	grep -q "port $B: trying again every 30 s at most" "$NSP_LOG"; then
	ok "1. ctl add on a taken port: the failure and the retry are logged"
else
	fail "1. ctl add on a taken port: no error and retry notice in the log"
	show_log "$NSP_LOG"
fi
unhold "$B"
if listens_within "$B" 5 && grep -q -- "-t $B:$P: listening on 127.0.0.1:$B now" "$NSP_LOG" &&
	nstool concurrent 127.0.0.1 "$B" 2 >/dev/null 2>&1; then
	ok "1. once the port is free, nsplice listens on 127.0.0.1:$B within 5 s and forwards it"
else
	fail "1. 127.0.0.1:$B not forwarded 5 s after the port was freed"
	show_log "$NSP_LOG"
fi

# 2. a reload on a taken port
hold "$C"
printf 'tcp-ports = %s:%s\ntcp-ports = %s:%s\n' "$A" "$P" "$C" "$P" >"$CONF"
kill -HUP "$NSP_PID"
for ((i = 0; i < 30; i++)); do
	grep -q "port $C: trying again" "$NSP_LOG" && break
	sleep 0.1
done
unhold "$C"
if listens_within "$C" 5 && nstool concurrent 127.0.0.1 "$C" 2 >/dev/null 2>&1; then
	ok "2. a reloaded forward on a taken port listens within 5 s of the port being freed"
else
	fail "2. 127.0.0.1:$C not forwarded 5 s after the port was freed"
	show_log "$NSP_LOG"
fi

# 3. removed while failing: no more tries
hold "$D"
"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" add -t "$D:$P" >/dev/null 2>&1 || true
sleep 1.5
"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" remove -t "$D:$P" >"$TMPDIR_TEST/rm.out" 2>&1 ||
	{ fail "3. ctl remove of the failing forward: $(cat "$TMPDIR_TEST/rm.out")"; }
unhold "$D"
sleep 3
if ss -Hltnp "src 127.0.0.1:$D" | grep -q nsplice; then
	fail "3. a removed forward was bound after its port was freed"
else
	ok "3. a forward removed while failing is not tried again"
fi
if nstool concurrent 127.0.0.1 "$A" 2 >/dev/null 2>&1; then
	ok "the first forward on $A still works"
else
	fail "the forward on $A stopped working"
fi
# 4. eight adds at once, each of a taken port: every one is warned (the
# answers wait in one place per control client; a fifth add once got a
# plain "ok")
"$PY" -c '
import socket, sys, time
ss = []
for p in range(int(sys.argv[1]), int(sys.argv[1]) + 8):
    s = socket.socket()
    s.bind(("127.0.0.1", p))
    s.listen()
    ss.append(s)
print("up", flush=True)
time.sleep(30)
' "$M" >"$TMPDIR_TEST/holdm.out" 2>&1 &
HOLDM=$!
cleanup_pid "$HOLDM"
for ((i = 0; i < 50; i++)); do [[ -s $TMPDIR_TEST/holdm.out ]] && break; sleep 0.1; done
pids=()
for ((i = 0; i < 8; i++)); do
	"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" add -t "$((M + i)):$P" \
		>/dev/null 2>"$TMPDIR_TEST/addm$i.err" &
	pids+=($!)
done
warned=0
for ((i = 0; i < 8; i++)); do
	wait "${pids[i]}" || true
	grep -q "^nsplice ctl: warning: -t $((M + i)):$P: cannot listen on 127.0.0.1:$((M + i)): address already in use" \
		"$TMPDIR_TEST/addm$i.err" && warned=$((warned + 1))
done
((warned == 8)) && ok "4. eight adds of taken ports at once: all eight warned" ||
	fail "4. eight adds of taken ports at once: $warned of 8 warned"
kill "$HOLDM" 2>/dev/null || true

stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"
assert_no_nsplice_procs "no nsplice process left"

finish
