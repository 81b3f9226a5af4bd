#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_tcp_fd_budget - TCP connections and UDP flows share the relay's
# descriptors without overcommitting them.
#
# RLIMIT_NOFILE 1024 (lowered by the test for itself and nsplice).  nsplice
# -t A:P -t B:P -u U:Q; 110 TCP connections held open on each of A and B,
# each echoed; then 512 new UDP clients, one datagram each, resent for 5 s.
# Proves:
#  - every TCP connection got its echo, and still echoes after the UDP
#    load;
#  - the relay never lost a descriptor the agents sent it ("descriptors
#    dropped", "lost to the descriptor limit");
#  - every UDP client is either answered or counted: answered + the
#    forward's "flow_limit" drops (status --json) >= 512, and drops > 0
#    (the budget was reached).
# Why it matters: the TCP flow limit and the UDP table were sized from the
# same limit independently; with both in use the relay ran out of
# descriptors, the kernel dropped sockets the agents passed, 51 UDP
# clients got nothing and no drop was counted, and TCP connections hung.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-fdbud"
make_netns "$NS"
alloc_ports 27500 A B U P Q
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$P" --addr 127.0.0.1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"
start_udp_echo "$NS" 127.0.0.1 "$Q"
ulimit -n 1024 || die "cannot lower RLIMIT_NOFILE to 1024"

start_nsplice --wait 127.0.0.1 "$A" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$A:$P" -t "$B:$P" -u "$U:$Q" --udp-timeout 60 \
	--control "$TMPDIR_TEST/ctl.sock" || die "nsplice did not start"

cat >"$TMPDIR_TEST/load.py" <<'PYEOF'
import json, os, socket, subprocess, sys, time
a, b, u, ctl, nsplice = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

def echo(s, msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        d = s.recv(100)
        if not d:
            return False
        got += d
    return got == msg

tcp = []
for port in (a, b):
    for _ in range(110):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        tcp.append(s)
first = sum(echo(s, b"x") for s in tcp)
print("tcp_first %d/%d" % (first, len(tcp)), flush=True)

udp = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(512)]
for s in udp:
    s.setblocking(False)
done = set()
end = time.monotonic() + 5
while time.monotonic() < end and len(done) < len(udp):
    for i, s in enumerate(udp):
        if i not in done:
            try:
                s.sendto(b"%d" % i, ("127.0.0.1", u))
            except OSError:
                pass
    t = time.monotonic() + 0.3
    while time.monotonic() < t:
        for i, s in enumerate(udp):
            try:
                if s.recv(100) == b"%d" % i:
                    done.add(i)
            except OSError:
                pass
        time.sleep(0.02)
st = json.loads(subprocess.run([nsplice, "ctl", ctl, "status", "--json"],
                               capture_output=True, text=True).stdout)
drops = sum(f.get("drops", {}).get("flow_limit", 0) for f in st["forwards"])
print("udp_answered %d drops_flow_limit %d" % (len(done), drops), flush=True)
after = sum(echo(s, b"y") for s in tcp)
print("tcp_after %d/%d" % (after, len(tcp)), flush=True)
PYEOF
timeout -k 2 90 "$PY" "$TMPDIR_TEST/load.py" "$A" "$B" "$U" "$TMPDIR_TEST/ctl.sock" "$NSPLICE" \
	>"$TMPDIR_TEST/load.out" 2>&1 || true
res=$(paste -sd' ' "$TMPDIR_TEST/load.out")
if grep -q '^tcp_first 220/220$' "$TMPDIR_TEST/load.out" && grep -q '^tcp_after 220/220$' "$TMPDIR_TEST/load.out"; then
	ok "220 TCP connections echoed before and after the UDP load"
else
	fail "TCP connections: $res"
	show_log "$NSP_LOG"
fi
read -r _ answered _ drops < <(grep '^udp_answered' "$TMPDIR_TEST/load.out") || true
if [[ -n $answered ]] && ((answered + drops >= 512 && drops > 0)); then
	ok "512 UDP clients: $answered answered, $drops counted as flow limit"
else
	fail "512 UDP clients: $res"
	show_log "$NSP_LOG"
fi
assert_no_fd_loss "$NSP_LOG" "under TCP and UDP load"
stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"
assert_no_nsplice_procs "no nsplice process left"

finish
