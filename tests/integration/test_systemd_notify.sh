#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_systemd_notify - sd_notify(3) as systemd sees it, on a test socket.
#
# Proves, with NOTIFY_SOCKET pointing at a datagram socket this test reads
# (a stand-in for systemd, which is not PID 1 here) and WATCHDOG_USEC=1 s:
# - READY=1 comes once, with a STATUS= line, and only when the forwarded
#   port already works: the listener makes an echo round trip through the
#   forward the moment READY=1 arrives, and it must succeed;
# - SIGHUP (a reload of -c FILE) gives RELOADING=1 with MONOTONIC_USEC=
#   (a CLOCK_MONOTONIC time close to the listener's) and then READY=1;
# - WATCHDOG=1 arrives about every 0.5 s (half of WATCHDOG_USEC) while the
#   relay runs, never more than WATCHDOG_USEC apart (start-up included),
#   stops while the relay is SIGSTOPped (the watchdog proves the data
#   path, not just the supervisor), and resumes after SIGCONT;
# - SIGTERM gives STOPPING=1 before nsplice exits with status 0;
# - COMMAND never sees NOTIFY_SOCKET or WATCHDOG_USEC (it could otherwise
#   speak for nsplice);
# - negative: a malformed NOTIFY_SOCKET is refused at start with a message
#   naming it.
# Why it matters: Type=notify services are started, reloaded and killed by
# these messages; a READY=1 before the port works makes dependants fail,
# a watchdog that pings from a hung relay hides an outage.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-notify"
make_netns "$NS"
alloc_ports 23400 HPORT PORT
SOCK="$TMPDIR_TEST/notify.sock"
MSGS="$TMPDIR_TEST/notify.log"

# The stand-in for systemd: one line per datagram, "MS PROBE TEXT" with
# CLOCK_MONOTONIC milliseconds, the result of an echo round trip through
# the forward for READY=1 datagrams ("-" otherwise) and the text with
# newlines as '|'.
cat >"$TMPDIR_TEST/notify.py" <<'PYEOF'
import socket, sys, time
path, port, lifetime = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.monotonic() + lifetime
def probe():
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.settimeout(2)
        c.sendall(b"ping\n")
        ok = c.recv(16) == b"ping\n"
        c.close()
        return "echo-ok" if ok else "echo-bad"
    except OSError as e:
        return "echo-fail:" + type(e).__name__
while time.monotonic() < end:
    try:
        data = s.recv(4096).decode(errors="replace")
    except socket.timeout:
        continue
    now = int(time.monotonic() * 1000)
    p = probe() if "READY=1" in data.split("\n") else "-"
    print(now, p, data.replace("\n", "|"), flush=True)
PYEOF
start_bg "$MSGS" timeout -k 2 "$LIFETIME" "$PY" "$TMPDIR_TEST/notify.py" \
	"$SOCK" "$HPORT" "$LIFETIME"
for ((i = 0; i < 100; i++)); do [[ -S $SOCK ]] && break; sleep 0.05; done
[[ -S $SOCK ]] || die "notify listener did not start"

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"

# count PATTERN - datagrams so far whose text matches PATTERN (ERE).
count() { cut -d' ' -f3- "$MSGS" | grep -c -E "$1" || true; }

# wait_count PATTERN N - wait (<= WAIT_TIMEOUT s) for N such datagrams.
wait_count() {
	local i
	for ((i = 0; i < WAIT_TIMEOUT * 20; i++)); do
		(($(count "$1") >= $2)) && return 0
		sleep 0.05
	done
	return 1
}

echo "tcp-ports = $HPORT:$PORT" >"$TMPDIR_TEST/nsplice.conf"
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000
start_nsplice "$TMPDIR_TEST/nsplice.log" -c "$TMPDIR_TEST/nsplice.conf" \
	--netns "$NS" || die "nsplice did not start"
unset NOTIFY_SOCKET WATCHDOG_USEC

if wait_count '(^|\|)READY=1(\||$)' 1; then
	line=$(grep -m1 -E ' (.*\|)?READY=1(\||$)' "$MSGS")
	ok "READY=1 received: ${line#* * }"
	[[ $(cut -d' ' -f2 <<<"$line") == echo-ok ]] &&
		ok "the forward worked when READY=1 arrived" ||
		fail "READY=1 before the forward worked: $line"
else
	fail "no READY=1 within ${WAIT_TIMEOUT}s"
	show_log "$NSP_LOG"
fi
(($(count 'STATUS=.') >= 1)) && ok "STATUS= sent" || fail "no STATUS= line"
(($(count '(^|\|)READY=1(\||$)') == 1)) && ok "READY=1 sent once at start" ||
	fail "READY=1 sent $(count '(^|\|)READY=1(\||$)') times at start"

# Watchdog: about 2 pings a second.
before=$(count '^WATCHDOG=1$')
sleep 2
pings=$(($(count '^WATCHDOG=1$') - before))
((pings >= 3 && pings <= 6)) && ok "watchdog: $pings pings in 2 s" ||
	fail "watchdog: $pings pings in 2 s (expected about 4)"

# From the first ping to now (relay running all along), the gaps must stay
# under WATCHDOG_USEC, or systemd would have killed a healthy service.
t_stop=$("$PY" -c 'import time; print(int(time.monotonic() * 1000))')
gap=$(awk -v end="$t_stop" '$3 == "WATCHDOG=1" && $1 <= end {
	if (last && $1 - last > max) max = $1 - last; last = $1 }
	END { print max + 0 }' "$MSGS")
((gap > 0 && gap < 1000)) &&
	ok "watchdog: longest gap between pings ${gap} ms (< WATCHDOG_USEC)" ||
	fail "watchdog: a gap of ${gap} ms between pings (WATCHDOG_USEC is 1000 ms)"

relay=$(find_role relay) || die "no relay process found"
kill -STOP "$relay"
sleep 1	# pings already on their way
before=$(count '^WATCHDOG=1$')
sleep 2
stopped=$(($(count '^WATCHDOG=1$') - before))
kill -CONT "$relay"
((stopped == 0)) && ok "no watchdog ping while the relay is stopped" ||
	fail "$stopped watchdog pings while the relay was SIGSTOPped"
before=$(count '^WATCHDOG=1$')
sleep 2
(($(count '^WATCHDOG=1$') - before >= 2)) && ok "watchdog resumes after SIGCONT" ||
	fail "watchdog did not resume after SIGCONT"

# Reload.
kill -HUP "$NSP_PID"
if wait_count 'RELOADING=1' 1 && wait_count '(^|\|)READY=1(\||$)' 2; then
	rl=$(grep -m1 'RELOADING=1' "$MSGS")
	rd=$(grep -E ' (.*\|)?READY=1(\||$)' "$MSGS" | tail -n 1)
	[[ ${rl%% *} -le ${rd%% *} ]] && ok "RELOADING=1 then READY=1 on SIGHUP" ||
		fail "READY=1 came before RELOADING=1"
	usec=$(grep -o 'MONOTONIC_USEC=[0-9]*' <<<"$rl" | cut -d= -f2)
	if [[ -n $usec ]] && ((usec / 1000 <= ${rl%% *} && ${rl%% *} - usec / 1000 < 2000)); then
		ok "RELOADING=1 carries MONOTONIC_USEC=$usec (CLOCK_MONOTONIC)"
	else
		fail "RELOADING=1 without a plausible MONOTONIC_USEC: $rl"
	fi
else
	fail "no RELOADING=1/READY=1 after SIGHUP"
	show_log "$NSP_LOG"
fi

# Stop.
stop_nsplice TERM 10 || fail "nsplice did not exit within 10 s of SIGTERM"
[[ ${NSP_RC:-} == 0 ]] && ok "exit status 0 on SIGTERM" || fail "exit status ${NSP_RC:-none}"
(($(count 'STOPPING=1') >= 1)) && ok "STOPPING=1 sent" || fail "no STOPPING=1"
assert_no_nsplice_procs

# COMMAND does not inherit the variables.
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000
start_nsplice "$TMPDIR_TEST/cmd.log" -t "$HPORT" -- \
	/bin/sh -c "env >'$TMPDIR_TEST/cmd.env'; sleep 60" || true
unset NOTIFY_SOCKET WATCHDOG_USEC
for ((i = 0; i < 100; i++)); do [[ -s $TMPDIR_TEST/cmd.env ]] && break; sleep 0.05; done
if [[ ! -s $TMPDIR_TEST/cmd.env ]]; then
	fail "COMMAND did not write its environment"
	show_log "$TMPDIR_TEST/cmd.log"
elif grep -q -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' "$TMPDIR_TEST/cmd.env"; then
	fail "COMMAND sees: $(grep -E '^(NOTIFY|WATCHDOG)' "$TMPDIR_TEST/cmd.env" | tr '\n' ' ')"
else
	ok "COMMAND sees neither NOTIFY_SOCKET nor WATCHDOG_USEC"
fi
stop_nsplice TERM 10 || true

# Negative: a relative NOTIFY_SOCKET is refused, naming the variable.
rc=0
out=$(NOTIFY_SOCKET=relative/sock timeout 10 "$NSPLICE" --netns "$NS" \
	-t "$HPORT:$PORT" 2>&1) || rc=$?
if ((rc != 0)) && [[ $out == *NOTIFY_SOCKET* ]]; then
	ok "malformed NOTIFY_SOCKET refused (exit $rc): $out"
else
	fail "malformed NOTIFY_SOCKET: exit $rc, output: $out"
fi
finish
