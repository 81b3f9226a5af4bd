#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f11_log_flood - finding 11: a compromised relay cannot make the
# supervisor copy an unbounded log.
#
# The attack (security review): every child's descriptor 2 is the log pipe
# the supervisor copies to its stderr.  write(2, buf, 2 GB) twice from
# inside the relay (gdb) made the supervisor copy 4.26 GB at ~9.5 s of its
# own CPU, answer `nsplice ctl status` in ~2 s and fill the disk or journal
# behind its stderr.
#
# Here, from inside the live relay with gdb, one write(2, ...) of 256 MiB
# of 128-byte lines from an mmap'd buffer, while `nsplice ctl status` is
# timed.  Then:
#  - the supervisor's log grew by at most the budget (LOG_BUDGET_BURST plus
#    LOG_BUDGET_RATE a second, ipc/log.h) and some slack for its own
#    lines, and it says how much it dropped;
#  - the supervisor spent little CPU (a bounded read rate, not a copy);
#  - `nsplice ctl status` answered quickly during the flood;
#  - the same relay still forwards, and a line it logs afterwards (the
#    bucket refilled) reaches the log whole.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice
alloc_ports 24700 PX

# SYS_write, SYS_mmap - x86_64 system call numbers
SYS_write=1
SYS_mmap=9
# FLOOD_SHIFT - the flood is 2^FLOOD_SHIFT bytes (256 MiB)
FLOOD_SHIFT=28
# BURST, RATE - LOG_BUDGET_BURST and LOG_BUDGET_RATE of ipc/log.h (no -v)
BURST=$((512 * 1024))
RATE=$((32 * 1024))
# SLACK - the supervisor's own lines (drop reports, status requests)
SLACK=$((16 * 1024))
# CPU_MAX_MS - supervisor CPU allowed for the whole flood: reading 256 MiB
# at 32 MiB/s costs tens of ms; copying it cost seconds
CPU_MAX_MS=500
# STATUS_MAX_MS - how long `ctl status` may take during the flood: the
# relay is inside the gdb call, so the report waits STATS_WAIT_MS (2 s,
# supervisor/live.c) for it and lists it as not answering; the rest is
# the client's start on a busy machine
STATUS_MAX_MS=4000
# ASK_MAX_MS - how long the supervisor may take to answer a request it
# answers alone (an unknown one) during the flood
ASK_MAX_MS=300

# cpu_ms PID - user plus system CPU time of PID so far, in ms
cpu_ms() {
	local f
	read -r -a f <"/proc/$1/stat" || return 1
	# utime and stime are fields 14 and 15, after "pid (comm) state"
	echo $(((f[13] + f[14]) * 1000 / $(getconf CLK_TCK)))
}

# at_most WHAT VALUE MAX UNIT - ok if VALUE <= MAX, else fail
at_most() {
	if (($2 <= $3)); then
		ok "$1: $2 $4 (at most $3)"
	else
		fail "$1: $2 $4, more than $3"
	fi
}

# ask_ms - send the supervisor a request it answers alone (an unknown one;
# `nsplice ctl` sends only what it parses) and print the milliseconds
# from sending it to the end of the answer, measured where python's own
# start-up does not count
ask_ms() {
	timeout -k 2 20 "$PY" - "$sock" <<'EOF' || echo 99999
import socket, sys, time
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(15)
c.connect(sys.argv[1])
t = time.monotonic()
c.sendall(b"frobnicate now\n")
answer = c.makefile("rb").read()
print(int((time.monotonic() - t) * 1000) if b"unknown request" in answer
      else 99999)
EOF
}

NS=nspf11$$
make_netns "$NS"
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PX"
sock=$TMPDIR_TEST/ctl.sock
start_nsplice --wait 127.0.0.1 "$PX" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$PX" --control "$sock" || die "nsplice did not start"
expect_serves "forward serves before the flood" "$PX" "$NSP_LOG"
relay=$(find_role relay) || die "no relay"

# The flood: one 128-byte line, doubled in place up to 2^FLOOD_SHIFT bytes,
# then written to the log pipe in one call.
cmds=("set \$b = (long)syscall($SYS_mmap, 0, $((1 << FLOOD_SHIFT)), 3, 0x22, -1, 0)"
	'call (long)memset($b, 70, 127)'
	'set *(unsigned char *)($b + 127) = 10')
for ((k = 7; k < FLOOD_SHIFT; k++)); do
	cmds+=("call (long)memcpy(\$b + $((1 << k)), \$b, $((1 << k)))")
done
cmds+=("print (long)syscall($SYS_write, 2, \$b, $((1 << FLOOD_SHIFT)))")

size0=$(stat -c %s "$NSP_LOG")
cpu0=$(cpu_ms "$NSP_PID")
t0=$(date +%s%3N)
GDB_TIMEOUT=120 gdb_run "$relay" "$TMPDIR_TEST/gdb-flood.out" "${cmds[@]}" &
gdb_pid=$!
cleanup_pid "$gdb_pid"

# The control socket while the relay writes: a request the supervisor
# answers alone, and a status report, which waits for the relay
sleep 1
slowest=0 slowest_ask=0
for ((i = 0; i < 3; i++)); do
	d=$(ask_ms)
	((d > slowest_ask)) && slowest_ask=$d
	s0=$(date +%s%3N)
	timeout -k 2 20 "$NSPLICE" ctl "$sock" status >"$TMPDIR_TEST/status.out" 2>&1 ||
		s0=0
	d=$(($(date +%s%3N) - s0))
	((d > slowest)) && slowest=$d
done
at_most "supervisor's answer during the flood, slowest" "$slowest_ask" "$ASK_MAX_MS" ms
at_most "ctl status during the flood, slowest" "$slowest" "$STATUS_MAX_MS" ms

wait "$gdb_pid" || true
t1=$(date +%s%3N)
written=$(sed -n 's/^\$[0-9]* = //p' "$TMPDIR_TEST/gdb-flood.out" | tail -n 1)
if [[ $written == $((1 << FLOOD_SHIFT)) ]]; then
	ok "relay wrote $written bytes to its log pipe in $((t1 - t0)) ms"
else
	fail "relay's flood did not go through (write returned '$written')"
	grep -v '^\[' "$TMPDIR_TEST/gdb-flood.out" | tail -n 5 | indent
fi
sleep 1
cpu=$(($(cpu_ms "$NSP_PID") - cpu0))
grown=$(($(stat -c %s "$NSP_LOG") - size0))
bound=$((BURST + RATE * ($(date +%s%3N) - t0) / 1000 + SLACK))
at_most "supervisor's log grew during the flood" "$grown" "$bound" bytes
at_most "supervisor's CPU for the flood" "$cpu" "$CPU_MAX_MS" ms
if grep -q "children's log over its budget.*bytes (.* lines) dropped" "$NSP_LOG"; then
	ok "supervisor says how much it dropped"
	grep "children's log over its budget" "$NSP_LOG" | head -n 2 | indent
else
	fail "no drop report in the supervisor's log"
fi
if grep -q '^F\{127\}$' "$NSP_LOG" && ! grep -q '^F\{1,126\}$' "$NSP_LOG"; then
	ok "the flood lines that went out are whole"
else
	fail "no whole flood line in the log, or a cut one"
fi

# The same relay forwards, and logs again once the bucket refilled.
if [[ $(find_role relay) == "$relay" ]]; then
	ok "the relay was not replaced"
else
	fail "the relay was replaced"
fi
expect_serves "forward serves after the flood" "$PX" "$NSP_LOG"
sleep 1
gdb_run "$relay" "$TMPDIR_TEST/gdb-mark.out" \
	'set $m = (long)calloc(1, 64)' \
	'call (long)strcpy($m, "[f11] F11MARK\n")' \
	"print (long)syscall($SYS_write, 2, \$m, 14)"
if wait_line "$NSP_LOG" '^\[f11\] F11MARK$' 2; then
	ok "a relay line after the flood reaches the log whole"
else
	fail "a relay line after the flood is missing"
	tail -n 5 "$NSP_LOG" | cut -c 1-200 | indent
fi
shutdown_nsplice --any-status 10
finish
