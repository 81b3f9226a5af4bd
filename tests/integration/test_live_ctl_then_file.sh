#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_ctl_then_file - "try it with ctl, then write it into the file".
#
# nsplice -c FILE --control SOCK, FILE forwarding A.  Proves:
#  - ctl add -t B:PB, then FILE gains the same line (spelled the same) and
#    another new forward C, then SIGHUP: the reload goes through (C
#    listens), B keeps its listening socket (same inode), a connection
#    opened on B before it still works, and status says B's source is now
#    "file";
#  - FILE loses that line, SIGHUP: B goes, as any forward of the file does;
#  - ctl add -t D:PB, then FILE gains 127.0.0.1/D:PB (the same port, spelled
#    differently): the reload is refused, nothing changes, and the error
#    names the other forward as "added by nsplice ctl";
#  - ctl add -t E:PB --proxy-protocol, then FILE gains the line but not
#    the port in proxy-protocol: taken over, with a warning that the PROXY
#    header stops.
# Why it matters: before, the first reload met B twice and refused the
# whole file as an overlap, blocking every other change in it until a ctl
# remove took the port away; and the error pointed at nothing in the file
# (a live-change review).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NS="nsp-$$-ctlfile"
make_netns "$NS"
alloc_ports 32260 A B C D E PA PB
CONF=$TMPDIR_TEST/nsplice.conf
CTL=$TMPDIR_TEST/ctl.sock

# reload_wait N - send SIGHUP and wait until the log has N reload results
# (applied or failed) in all
reload_wait() {
	local i
	kill -HUP "$NSP_PID"
	for ((i = 0; i < 100; i++)); do
		(($(grep -c -E 'reload(ed| failed)' "$NSP_LOG" || true) >= $1)) && return 0
		sleep 0.05
	done
	return 1
}

start_ns_server "$NS" "$TMPDIR_TEST/ns.log" serve "echo=$PA" "echo=$PB" \
	--addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PB" "$NS" || die "servers in $NS did not start"
write_conf "tcp-ports = $A:$PA"
start_nsplice --wait 127.0.0.1 "$A" "$TMPDIR_TEST/nsplice.log" \
	-c "$CONF" --control "$CTL" --netns "$NS" || die "nsplice did not start"

check "ctl add -t $B:$PB" timeout 10 "$NSPLICE" ctl "$CTL" add -t "$B:$PB"
wait_port 127.0.0.1 "$B" >/dev/null || die "ctl add -t $B:$PB: not listening"
INO=$(listen_inodes "$B")
TRIG=$TMPDIR_TEST/trigger-B
start_client "$TMPDIR_TEST/holdB.log" '^ready' "could not open a connection through $B" \
	30 hold 127.0.0.1 "$B" "$TRIG"
HOLD_B=$BG_PID

write_conf "tcp-ports = $A:$PA" "tcp-ports = $B:$PB" "tcp-ports = $C:$PA"
reload_wait 1 || die "no reload result in the log"
if wait_port 127.0.0.1 "$C" >/dev/null 2>&1; then
	ok "the file repeating ctl's -t $B:$PB: reload applied (new forward $C listens)"
else
	fail "the file repeating ctl's -t $B:$PB: reload not applied"
	show_log "$NSP_LOG" 10
fi
[[ $(listen_inodes "$B") == "$INO" ]] &&
	ok "forward $B kept its listening socket ($INO)" ||
	fail "forward $B was re-created: $INO -> $(listen_inodes "$B")"
src=$(ctl_fwd "$CTL" "$B" tcp ipv4 source || true)
[[ $src == file ]] && ok "status: forward $B's source is now the file" ||
	fail "status: forward $B's source is '$src', expected file"
touch "$TRIG"
wait_done "$HOLD_B" 10
client_verdict "$DONE_RC" "$TMPDIR_TEST/holdB.log" \
	"the connection opened on $B before the reload still echoes" \
	"the connection opened on $B before the reload broke" 10
check "forward $B echoes after the reload" nstool concurrent 127.0.0.1 "$B" 2 --timeout 10 || true

write_conf "tcp-ports = $A:$PA" "tcp-ports = $C:$PA"
reload_wait 2 || die "no second reload result in the log"
if wait_listen no "$B" "" 3000; then
	ok "the line gone from the file: forward $B removed, as the file's"
else
	fail "the line gone from the file: $B still listens"
fi

check "ctl add -t $D:$PB" timeout 10 "$NSPLICE" ctl "$CTL" add -t "$D:$PB"
write_conf "tcp-ports = $A:$PA" "tcp-ports = $C:$PA" "tcp-ports = 127.0.0.1/$D:$PB"
reload_wait 3 || die "no third reload result in the log"
msg=$(grep 'reload failed' "$NSP_LOG" | tail -n 1)
if grep -q "overlaps with -t \"$D:$PB\" (added by nsplice ctl)" <<<"$msg"; then
	ok "the same port spelled differently: refused, naming the ctl forward: $msg"
else
	fail "the same port spelled differently: no refusal naming the ctl forward: '$msg'"
	show_log "$NSP_LOG" 10
fi
check "forward $D (ctl) still echoes" nstool concurrent 127.0.0.1 "$D" 2 --timeout 10 || true
check "forward $A still echoes" nstool concurrent 127.0.0.1 "$A" 2 --timeout 10 || true

# A ctl forward with --proxy-protocol taken over by a file that does not
# list its port in proxy-protocol: the header stops, so the reload warns.
check "ctl add -t $E:$PB --proxy-protocol" \
	timeout 10 "$NSPLICE" ctl "$CTL" add -t "$E:$PB" --proxy-protocol
write_conf "tcp-ports = $A:$PA" "tcp-ports = $C:$PA" "tcp-ports = $E:$PB"
reload_wait 4 || die "no fourth reload result in the log"
if wait_line "$NSP_LOG" "warning: .*-t \"$E:$PB\", added by nsplice ctl with --proxy-protocol, is now the file's, which sends no PROXY header on port $E" 5; then
	ok "taken over without its PROXY header: the reload warns"
else
	fail "taken over without its PROXY header: no warning"
	show_log "$NSP_LOG" 10
fi

stop_checked ""
finish
