#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_pipe_starvation - clients that never read their downloads do not
# stop other connections.
#
# In NS a server sends without end to every connection on port X, and an
# echo server listens on port Y.  Through nsplice, 70 clients connect to X
# with a 4 KiB receive buffer and never read: each flow's pipe fills and
# stays full.  Then 20 clients connect to Y and must all get their echo
# within 5 s, and the relay says why pipes got small.
# Why it matters: the relay's page budget (8,192 pages) covers 64 grown
# pipes of 128 pages; with 64 stalled downloads holding them, every new
# connection of every forward waited for a pipe that never came back (a
# reviewer's 20 echoes: 0 answered).  Past the page budget new flows now
# get one-page pipes.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-pstarve"
make_netns "$NS"
alloc_ports 27300 HX HY X Y

cat >"$TMPDIR_TEST/push.py" <<'PYEOF'
import socket, sys, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(512)
print("listening", flush=True)
buf = b"x" * 65536
def push(c):
    try:
        while True:
            c.sendall(buf)
    except OSError:
        pass
    c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=push, args=(c,), daemon=True).start()
PYEOF
cat >"$TMPDIR_TEST/stall.py" <<'PYEOF'
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    socks.append(s)
print("stalled", len(socks), flush=True)
time.sleep(secs)
PYEOF
start_bg "$TMPDIR_TEST/push.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$TMPDIR_TEST/push.py" "$X"
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$Y" --addr 127.0.0.1
wait_port 127.0.0.1 "$X" "$NS" || die "push server in $NS did not start"
wait_port 127.0.0.1 "$Y" "$NS" || die "echo server in $NS did not start"

start_nsplice --wait 127.0.0.1 "$HY" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$HX:$X" -t "$HY:$Y" || die "nsplice did not start"
start_bg "$TMPDIR_TEST/stall.out" timeout -k 2 60 "$PY" "$TMPDIR_TEST/stall.py" "$HX" 70 40
for ((i = 0; i < 100; i++)); do
	grep -q stalled "$TMPDIR_TEST/stall.out" && break
	sleep 0.1
done
grep -q "stalled 70" "$TMPDIR_TEST/stall.out" || die "the 70 stalled clients did not connect"
sleep 3	# their pipes fill (and grow)
if timeout -k 2 20 "$PY" "$NSTOOL" concurrent 127.0.0.1 "$HY" 20 --timeout 5 \
	>"$TMPDIR_TEST/conc.out" 2>&1; then
	ok "70 stalled downloads on $HX: 20 clients of $HY all got their echo"
else
	fail "70 stalled downloads on $HX: $(tail -n1 "$TMPDIR_TEST/conc.out")"
	show_log "$NSP_LOG"
fi
if grep -q "pipe page budget spent .*: new flows get one-page pipes" "$NSP_LOG"; then
	ok "the relay says why: $(grep -m1 -o 'pipe page budget spent.*' "$NSP_LOG")"
else
	fail "no warning about the spent page budget"
	show_log "$NSP_LOG"
fi
stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"
assert_no_nsplice_procs "no nsplice process left"

finish
