#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f10_watchdog_seq - finding 10c: only the answer to the ping sent
# feeds the watchdog.
#
# The attack (audit, finding 10c): the supervisor sent WATCHDOG=1 for any
# STATS_DONE from the relay while a ping was owed, whatever its sequence
# number, so a relay whose loop is stuck could keep systemd's watchdog
# quiet by sending STATS_DONE messages nobody asked for.
#
# The test stands in for systemd (NOTIFY_SOCKET on a datagram socket it
# reads, WATCHDOG_USEC=1 s: a ping every 0.5 s), then stops the relay with
# gdb - its loop no longer turns, like a wedged relay - and from inside it
# sends, every 0.25 s for 3 s, a well-formed STATS_DONE with sequence
# number 0xdeadbeef, never asked for (sendto() on its supervisor channel,
# under the relay's own seccomp filter).  Proves:
#  - the unsolicited STATS_DONE messages are sent (sendto() returns 24);
#  - no WATCHDOG=1 arrives while the relay is stopped, and the supervisor
#    warns that the relay does not answer;
#  - once gdb detaches, the relay answers the ping and WATCHDOG=1 resumes.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb is needed"

NS="nsp-$$-f10wd"
make_netns "$NS"
alloc_ports 28900 HPORT
SOCK="$TMPDIR_TEST/notify.sock"
MSGS="$TMPDIR_TEST/notify.log"

# INJECTIONS - unsolicited STATS_DONE messages sent, one per 0.25 s
INJECTIONS=12
# SETTLE_MS - after gdb stopped the relay, an answer already on its way
# may still be delivered; pings are not counted before this
SETTLE_MS=700

# Stand-in for systemd: "MS TEXT" per datagram, CLOCK_MONOTONIC ms.
cat >"$TMPDIR_TEST/notify.py" <<'PYEOF'
import socket, sys, time
path, lifetime = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.monotonic() + lifetime
while time.monotonic() < end:
    try:
        data = s.recv(4096).decode(errors="replace")
    except socket.timeout:
        continue
    print(int(time.monotonic() * 1000), data.replace("\n", "|"), flush=True)
PYEOF
start_bg "$MSGS" timeout -k 2 "$LIFETIME" "$PY" "$TMPDIR_TEST/notify.py" \
	"$SOCK" "$LIFETIME"
for ((i = 0; i < 100; i++)); do [[ -S $SOCK ]] && break; sleep 0.05; done
[[ -S $SOCK ]] || die "notify listener did not start"

# pings FROM TO - WATCHDOG=1 datagrams received between two times (ms)
pings() {
	awk -v a="$1" -v b="$2" '$2 == "WATCHDOG=1" && $1 >= a && $1 <= b' \
		"$MSGS" | wc -l
}
now_ms() { "$PY" -c 'import time; print(int(time.monotonic() * 1000))'; }

export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HPORT" ||
	die "nsplice did not start"
unset NOTIFY_SOCKET WATCHDOG_USEC
for ((i = 0; i < WAIT_TIMEOUT * 20; i++)); do
	grep -q 'READY=1' "$MSGS" && break
	sleep 0.05
done
grep -q 'READY=1' "$MSGS" || die "no READY=1"
t=$(now_ms)
sleep 1.5
n=$(pings "$t" "$(now_ms)")
((n >= 2)) && ok "watchdog pings before the attack: $n in 1.5 s" ||
	die "watchdog pings before the attack: $n in 1.5 s, expected 2 or more"

relay=$(find_role relay) || die "no relay process found"
# The message: struct ipc_hdr { type 22 (STATS_DONE), len 20 } and
# struct msg_stats_done { seq 0xdeadbeef, zeroes }, sent on descriptor 3
# (IPC_FD_SUPERVISOR) with sendto() (x86_64 number 44), as the relay's
# own ipc_send() does; the page is zeroed by the kernel.
{
	echo "set pagination off"
	echo "shell $PY -c 'import time; print(int(time.monotonic() * 1000))' > $TMPDIR_TEST/t0"
	# an anonymous read-write page (mmap), not executable: allowed
	echo 'set $p = (char *)syscall(9, 0, 4096, 3, 0x22, -1, 0)'
	echo 'set *(unsigned short *)$p = 22'
	echo 'set *(unsigned short *)($p + 2) = 20'
	echo 'set *(unsigned int *)($p + 4) = 0xdeadbeef'
	for ((i = 0; i < INJECTIONS; i++)); do
		echo "printf \"sent %ld\\n\", (long)syscall($SYS_sendto, 3, \$p, 24, 0, 0, 0)"
		echo 'shell sleep 0.25'
	done
	echo "shell $PY -c 'import time; print(int(time.monotonic() * 1000))' > $TMPDIR_TEST/t1"
	echo 'detach'
	echo 'quit'
} >"$TMPDIR_TEST/inject.gdb"
gdb_run "$relay" "$TMPDIR_TEST/gdb.out" "source $TMPDIR_TEST/inject.gdb"
sent=$(grep -c '^sent 24$' "$TMPDIR_TEST/gdb.out" || true)
if ((sent == INJECTIONS)); then
	ok "the stopped relay sent $sent unsolicited STATS_DONE (seq 0xdeadbeef)"
else
	fail "only $sent of $INJECTIONS STATS_DONE sends succeeded:"
	tail -n 20 "$TMPDIR_TEST/gdb.out" | indent
fi
t0=$(cat "$TMPDIR_TEST/t0" 2>/dev/null || echo 0)
t1=$(cat "$TMPDIR_TEST/t1" 2>/dev/null || echo 0)
n=$(pings $((t0 + SETTLE_MS)) "$t1")
if ((t1 > t0 + SETTLE_MS && n == 0)); then
	ok "no WATCHDOG=1 in the $((t1 - t0 - SETTLE_MS)) ms the relay was stopped"
else
	fail "$n WATCHDOG=1 while the relay was stopped ($t0..$t1 ms): unsolicited STATS_DONE fed the watchdog"
fi
if grep -q 'watchdog: the relay does not answer' "$NSP_LOG"; then
	ok "the supervisor warned that the relay does not answer"
else
	fail "no 'relay does not answer' warning"
	show_log "$NSP_LOG"
fi
pid_alive "$relay" && ok "the relay is still running after gdb detached" ||
	fail "the relay died during the attack"
t=$(now_ms)
sleep 2
n=$(pings "$t" "$(now_ms)")
((n >= 2)) && ok "watchdog resumes once the relay answers: $n in 2 s" ||
	fail "watchdog did not resume: $n pings in 2 s"

shutdown_nsplice --any-status 10
finish
