#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_reload - "-c FILE" and SIGHUP apply only the difference.
#
# Proves, with a file of two forwards A and B (long option names, '#'
# comments, an inline comment):
#   - both forwards work from the file alone;
#   - the file is rewritten to drop A and add C (a target port the running
#     relay was not started with, so a fresh relay takes over and the old
#     one drains) and SIGHUP is sent while a 256 MiB transfer runs through
#     A: the transfer completes and matches byte for byte, A stops
#     listening, C works, B is untouched (same listening socket, and a
#     connection opened on B before the reload still works after it), and
#     the replaced relay exits once its last flow ended;
#   - a file with an error (a bad port on line 5, or an unknown key on line
#     4), then SIGHUP: nothing changes (the valid new forward D on an
#     earlier line is not opened, B and C still work, A stays closed) and
#     the log names FILE:LINE.
# Why it matters: a reload that drops open connections, rebinds unchanged
# ports (losing their backlog) or half-applies a broken file turns a
# routine configuration change into an outage.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-lreload"
make_netns "$NS"
alloc_ports 15000 A B C D PA PB PC PD
BIG=256M
CONF=$TMPDIR_TEST/nsplice.conf

# relay_count - number of relay processes (in service or draining).
relay_count() {
	local p n=0
	for p in $(nsplice_pids); do
		ps -o args= -p "$p" 2>/dev/null | grep -q -E '^nsplice: relay' && n=$((n + 1))
	done
	echo "$n"
}

start_ns_server "$NS" "$TMPDIR_TEST/ns.log" serve "source=$PA,$BIG" \
	"echo=$PB" "echo=$PC" "echo=$PD" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PD" "$NS" || die "servers in $NS did not start"

write_conf "# nsplice test configuration" \
	"tcp-ports = $A:$PA   # forward A, dropped by the reload" \
	"" \
	"  # B stays" \
	"tcp-ports=$B:$PB"
start_nsplice --wait 127.0.0.1 "$A" --wait 127.0.0.1 "$B" \
	"$TMPDIR_TEST/nsplice.log" -v -c "$CONF" --netns "$NS" ||
	die "nsplice -c FILE did not come up"
touch "$TMPDIR_TEST/go"
check "config file: forward A ($A -> $PA) streams $BIG byte for byte" \
	timeout -k 2 60 "$PY" "$LIVETOOL" paced "$BIG" 127.0.0.1 "$A" "$TMPDIR_TEST/go" 50 || true
check "config file: forward B ($B -> $PB) echoes" nstool concurrent 127.0.0.1 "$B" 2 --timeout 10 || true
INO_B=$(listen_inodes "$B")
[[ -n $INO_B ]] || die "no listening socket on host port $B"

TRIG=$TMPDIR_TEST/trigger
start_live "$TMPDIR_TEST/holdB.log" 60 hold 127.0.0.1 "$B" "$TRIG"
HOLD_B=$BG_PID
start_live "$TMPDIR_TEST/paced.log" 60 paced "$BIG" 127.0.0.1 "$A" "$TRIG"
PACED=$BG_PID
wait_line "$TMPDIR_TEST/holdB.log" '^ready' 10 || { indent <"$TMPDIR_TEST/holdB.log"; die "no connection on B"; }
wait_line "$TMPDIR_TEST/paced.log" '^started' 10 || { indent <"$TMPDIR_TEST/paced.log"; die "the transfer through A did not start"; }
RELAY_OLD=$(find_role relay) || die "no relay process"

# The reload: A goes, C comes (new target port $PC), B stays.
write_conf "# nsplice test configuration, reloaded" \
	"tcp-ports = $B:$PB" \
	"tcp-ports = $C:$PC  # new"
kill -HUP "$NSP_PID"
if wait_line "$NSP_LOG" 'reload applied' 5; then
	ok "SIGHUP: the log says the reload was applied"
else
	fail "SIGHUP: no 'reload applied' within 5 s"
	show_log "$NSP_LOG" 15
fi
if pid_alive "$PACED"; then
	ok "the transfer through A was still running when the reload was applied"
else
	fail "the transfer through A ended before the reload was applied: the test proves nothing"
	indent <"$TMPDIR_TEST/paced.log"
fi
if wait_listen no "$A" "" 2000; then
	ok "reload: host port $A (dropped from the file) no longer listening"
else
	fail "reload: host port $A (dropped from the file) still listening"
fi
check "reload: host port $A refuses new connections" nstool expect-reset 127.0.0.1 "$A" || true
if await_port "$C" "reload: new forward C ($C -> $PC) not accepting" 15; then
	check "reload: new forward C ($C -> $PC) echoes" nstool concurrent 127.0.0.1 "$C" 4 --timeout 10 || true
fi
check "reload: forward B still echoes for new connections" nstool concurrent 127.0.0.1 "$B" 2 --timeout 10 || true
if [[ $(listen_inodes "$B") == "$INO_B" ]]; then
	ok "reload: B kept its listening sockets ($INO_B)"
else
	fail "reload: B's listening sockets changed: $INO_B -> $(listen_inodes "$B")"
fi
if grep -q -E 'relay replaced' "$NSP_LOG"; then
	ok "reload: a new target port started a fresh relay ($(grep -m1 'relay replaced' "$NSP_LOG"))"
else
	fail "reload: no 'relay replaced' in the log although target port $PC is new"
	show_log "$NSP_LOG" 15
fi
if pid_alive "$RELAY_OLD"; then
	ok "reload: the old relay (pid $RELAY_OLD) still runs while the transfer through A is open"
else
	fail "reload: the old relay (pid $RELAY_OLD) is gone while its transfer was open"
fi

touch "$TRIG"
paced_verdict "$PACED" "$TMPDIR_TEST/paced.log" $((256 << 20)) \
	"reload: the 256 MiB transfer through the removed forward A completed, byte for byte" \
	"reload: the transfer through the removed forward A failed" 15
wait_done "$HOLD_B" 10
client_verdict "$DONE_RC" "$TMPDIR_TEST/holdB.log" \
	"reload: the connection opened on B before the reload still works" \
	"reload: the connection opened on B before the reload broke"
for ((i = 0; i < 60; i++)); do pid_alive "$RELAY_OLD" || break; sleep 0.05; done
if pid_alive "$RELAY_OLD"; then
	fail "reload: the drained relay (pid $RELAY_OLD) still runs 3 s after its last flow ended"
	nsplice_ps | indent
else
	ok "reload: the drained relay exited after its last flow"
fi
n=$(relay_count)
[[ $n == 1 ]] && ok "reload: one relay in service" || fail "reload: $n relay processes, expected 1"

# Broken files: nothing may change, and the log must say FILE:LINE.
broken() {
	local desc=$1 line=$2
	shift 2
	write_conf "$@"
	local before
	before=$(grep -c 'reload failed' "$NSP_LOG" || true)
	kill -HUP "$NSP_PID"
	for ((i = 0; i < 100; i++)); do
		(($(grep -c 'reload failed' "$NSP_LOG" || true) > before)) && break
		sleep 0.05
	done
	local msg
	msg=$(grep 'reload failed' "$NSP_LOG" | tail -n 1)
	if grep -q -F "$CONF:$line:" <<<"$msg"; then
		ok "$desc: reload refused, the log names $CONF:$line ($msg)"
	else
		fail "$desc: no 'reload failed' line naming $CONF:$line"
		show_log "$NSP_LOG" 10
	fi
	sleep 1
	if port_listening "$D"; then
		fail "$desc: forward D ($D) from a line before the error was opened: half-applied"
	else
		ok "$desc: forward D ($D) from a valid line before the error was not opened"
	fi
	port_listening "$A" && fail "$desc: host port $A is listening again"
	check "$desc: C still echoes" nstool concurrent 127.0.0.1 "$C" 2 --timeout 10 || true
	check "$desc: B still echoes" nstool concurrent 127.0.0.1 "$B" 2 --timeout 10 || true
	pid_alive "$NSP_PID" || die "$desc: nsplice died"
}
broken "broken file (port 99999 on line 5)" 5 \
	"# broken" \
	"tcp-ports = $B:$PB" \
	"tcp-ports = $C:$PC" \
	"tcp-ports = $D:$PD" \
	"tcp-ports = 99999:$PD"
broken "broken file (unknown key on line 4)" 4 \
	"tcp-ports = $B:$PB" \
	"tcp-ports = $C:$PC" \
	"tcp-ports = $D:$PD" \
	"no-such-option = 1"

stop_checked ""
finish
