#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_listen_budget - listening sockets stay within the descriptor limit:
# a configuration that needs more is refused whole, auto ports past the
# budget are left out with a warning, and many UDP forwards do not spend
# the relay's descriptors on sockets nobody asked for yet.
#
# The test lowers its own RLIMIT_NOFILE to 1024 (hard and soft) before
# starting nsplice, so the budget is small: listeners may take half, 512.
#  1. -t P-(P+299) needs 600 listening sockets (127.0.0.1 and ::1): exit 2,
#     the first line names the SPEC, 600 and 512, and no port was opened.
#     (With "-t all" nsplice used to say "ready" after the relay had lost
#     the listeners it had no room for, and served nothing.)  The same
#     change by `nsplice ctl add` is refused and changes nothing; from a
#     config file, the message starts with FILE:LINE.
#  2. -u 127.0.0.1/U-(U+249): 250 UDP forwards, each echoed in NS.  Every
#     one must answer, and the relay must not lose a descriptor: each
#     forward used to ask for 8 pooled sockets at once (2,250 descriptors
#     for 250 forwards, 1,024 allowed) and listeners were lost while
#     nsplice said "ready".
#  3. -t auto with 300 TCP listeners in NS: 256 ports fit (512 sockets),
#     the other 44 are not forwarded and a warning says so; nsplice serves
#     the ones that fit.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-lbud"
make_netns "$NS"
# Each range gets a window of 900 ports of its own: one window for all
# three (850 of 900) failed as soon as one port in it was in use
alloc_range 19000 P 300
PORT_NEXT=""
alloc_range 20000 U 250
PORT_NEXT=""
alloc_range 26100 A 300
alloc_ports 26100 PX
ulimit -n 1024 || die "cannot lower RLIMIT_NOFILE to 1024"

# start_servers LOG udp|tcp FIRST N - in NS, on 127.0.0.1:FIRST..+N-1, a UDP
# echo or a TCP server that says hello and closes; returns once they are up
start_servers() {
	local log=$1 i
	cat >"$TMPDIR_TEST/servers.py" <<'PYEOF'
import selectors, socket, sys
kind, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
for p in range(first, first + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp"
                      else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, kind == "tcp")
    s.bind(("127.0.0.1", p))
    if kind == "tcp":
        s.listen(16)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("up", flush=True)
while True:
    for key, _ in sel.select():
        try:
            if kind == "udp":
                data, peer = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(data, peer)
            else:
                c, _ = key.fileobj.accept()
                c.sendall(b"hello\n")
                c.close()
        except BlockingIOError:
            pass
PYEOF
	start_bg "$log" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
		"$PY" "$TMPDIR_TEST/servers.py" "$2" "$3" "$4"
	for ((i = 0; i < 100; i++)); do
		grep -q up "$log" && return 0
		sleep 0.05
	done
	die "$2 servers on $3.. in $NS did not start"
}

# over_refused DESC LOG TEXT ARGS... - nsplice ARGS exits 2 and the first
# line of its output (LOG) holds TEXT
over_refused() {
	local desc=$1 log=$2 text=$3 rc=0 first
	shift 3
	timeout -k 2 30 "$NSPLICE" "$@" >"$log" 2>&1 || rc=$?
	# (the suite's --sandbox=log run adds one warning at every start)
	first=$(grep -v -E '^\[supervisor\] warning: --sandbox=log: ' "$log" | head -n1)
	if ((rc == 2)) && [[ $first == *"$text"* ]]; then
		ok "$desc: exit 2, '$first'"
	else
		fail "$desc: exit $rc, no '$text' in the first line"
		indent <"$log"
	fi
}

# 1. Too many listeners for the budget: refused before anything is bound
over_refused "600 listeners over a budget of 512" "$TMPDIR_TEST/over.log" \
	"-t $P-$((P + 299)): 600 listening sockets (602 for all forwards), more than the 512" \
	--netns "$NS" -t "$PX" -t "$P-$((P + 299))"
if port_free "$PX" && port_free "$P"; then
	ok "nothing was bound by the refused configuration"
else
	fail "a port of the refused configuration is bound"
fi
assert_no_nsplice_procs "1. no nsplice process left"

# 1c. The same from a config file: the message starts with FILE:LINE
CONF=$TMPDIR_TEST/over.conf
printf 'tcp-ports = %s\ntcp-ports = %s-%s\n' "$PX" "$P" $((P + 299)) >"$CONF"
chmod 644 "$CONF"
over_refused "600 listeners from a config file, the line named" \
	"$TMPDIR_TEST/overc.log" "$CONF:2: -t $P-$((P + 299)): 600 listening sockets" \
	--netns "$NS" -c "$CONF"
assert_no_nsplice_procs "1c. no nsplice process left"

# 1b. The same change through the control socket: refused, nothing changed
start_nsplice --wait 127.0.0.1 "$PX" "$TMPDIR_TEST/ctl.log" --netns "$NS" \
	-t "$PX" --control "$TMPDIR_TEST/ctl.sock" || die "nsplice -t $PX did not start"
rc=0
"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" add -t "$P-$((P + 299))" \
	>"$TMPDIR_TEST/ctl.out" 2>&1 || rc=$?
if ((rc == 1)) && grep -q "600 listening sockets (602 for all forwards)" "$TMPDIR_TEST/ctl.out" &&
	port_free "$P" && [[ $("$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" status | sed -n 's/^forwards //p') == 2 ]]; then
	ok "ctl add past the budget: refused (exit 1), still 2 forwards, nothing bound"
else
	fail "ctl add past the budget: exit $rc"
	indent <"$TMPDIR_TEST/ctl.out"
	"$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" status 2>&1 | head -n3 | indent
fi
stop_nsplice TERM 5 || fail "1b. nsplice did not stop on SIGTERM"

# 2. 250 UDP forwards, all answering
start_servers "$TMPDIR_TEST/echo250.out" udp "$U" 250
start_nsplice "$TMPDIR_TEST/udp.log" --netns "$NS" -u "127.0.0.1/$U-$((U + 249))" ||
	die "nsplice -u with 250 ports did not start"
udptool wait 127.0.0.1 "$U" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	die "-u 127.0.0.1/$U never answered"
got=$(timeout -k 2 60 "$PY" - "$U" 250 <<'PYEOF'
import socket, sys, time
first, n = int(sys.argv[1]), int(sys.argv[2])
answered = 0
deadline = time.monotonic() + 30
for p in range(first, first + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", p))
    s.settimeout(0.2)
    msg = b"port %d" % p
    while time.monotonic() < deadline:
        s.send(msg)
        try:
            if s.recv(2048) == msg:
                answered += 1
                break
        except (socket.timeout, ConnectionRefusedError):
            pass
    s.close()
print(answered)
PYEOF
)
if [[ $got == 250 ]]; then
	ok "250 UDP forwards under a limit of 1024 descriptors: all 250 answer"
else
	fail "250 UDP forwards: $got of 250 answered"
	show_log "$TMPDIR_TEST/udp.log"
fi
assert_no_fd_loss "$TMPDIR_TEST/udp.log" "with 250 UDP forwards"
stop_nsplice TERM 5 || fail "2. nsplice did not stop on SIGTERM"

# 3. auto: 300 ports listen in NS, 256 fit the budget
start_servers "$TMPDIR_TEST/listen300.out" tcp "$A" 300
start_nsplice "$TMPDIR_TEST/auto.log" --netns "$NS" -t auto ||
	die "nsplice -t auto did not start"
for ((i = 0; i < 100; i++)); do
	grep -q "not forwarded: the forwards have" "$TMPDIR_TEST/auto.log" && break
	sleep 0.1
done
sleep 1.5	# a second scan must not warn again
warn=$(grep -c "auto: 44 ports listening on the other side not forwarded: the forwards have the 512" "$TMPDIR_TEST/auto.log" || true)
if [[ $warn == 1 ]]; then
	ok "auto past the budget: one warning, 44 ports left out"
else
	fail "auto past the budget: $warn warnings naming 44 ports"
	show_log "$TMPDIR_TEST/auto.log"
fi
n=$(ss -Hltn | awk -v a="$A" '{ split($4, x, ":"); p = x[length(x)]; if (p >= a && p < a + 300) c++ } END { print c + 0 }')
if [[ $n == 512 ]]; then
	ok "512 listening sockets for the auto ports (256 ports, two families)"
else
	fail "$n listening sockets for the auto ports, expected 512"
fi
if nstool wait-port 127.0.0.1 "$A" --timeout "$WAIT_TIMEOUT" >/dev/null 2>&1; then
	ok "an auto port within the budget is served"
else
	fail "auto port $A is not served"
	show_log "$TMPDIR_TEST/auto.log"
fi
stop_nsplice TERM 5 || fail "3. nsplice did not stop on SIGTERM"
assert_no_nsplice_procs "no nsplice process left"

finish
