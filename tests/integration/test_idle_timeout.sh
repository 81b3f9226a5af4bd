#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_idle_timeout - --idle-timeout closes idle connections, only those.
#
# Proves, with --idle-timeout 2 (sweeps every second):
#  - an echo connection left idle is closed with a plain FIN (the client
#    reads EOF, not a reset) no earlier than 2 s and within 5 s of its
#    last byte;
#  - a connection moving one byte a second for 6 s is never closed;
#  - a connection whose client stops reading while the server still sends
#    (bytes stuck in the relay's pipe) is reset, not ended with a FIN:
#    a clean EOF after a truncated transfer would look complete;
#  - without --idle-timeout an idle connection stays open (8 s).
# Why it matters: the option exists to reclaim descriptors from dead
# peers; closing a live connection, or truncating one silently, would be
# worse than the leak.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-idle"
make_netns "$NS"
alloc_ports 26000 H1 H2 P1 P2

start_ns_server "$NS" "$TMPDIR_TEST/srv.log" serve "echo=$P1" \
	"source=$P2,268435456" --addr 127.0.0.1
wait_port 127.0.0.1 "$P1" "$NS" || die "echo server in $NS did not start"
wait_port 127.0.0.1 "$P2" "$NS" || die "source server in $NS did not start"

# idle_client PORT MODE: one connection through nsplice; prints what ended
# it and when.  MODE idle: one echoed byte, then silence until the relay
# ends it (or 8 s pass); active: a byte a second for 6 s; stall: read
# nothing for 5 s while the server sends, then read to the end.
idle_client() {
	timeout 30 "$PY" - "$@" <<'EOF'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if mode == "stall":
    time.sleep(5)
    s.settimeout(10)
    try:
        while s.recv(1 << 20):
            pass
        print("eof")
    except ConnectionResetError:
        print("reset")
    except OSError as e:
        print("error %s" % e)
    sys.exit(0)
s.sendall(b"x")
assert s.recv(1) == b"x"
if mode == "active":
    for _ in range(6):
        time.sleep(1)
        s.sendall(b"y")
        if s.recv(1) != b"y":
            print("closed")
            sys.exit(0)
    print("alive")
    sys.exit(0)
t0 = time.monotonic()
s.settimeout(8)
try:
    d = s.recv(1)
    print("%s %.2f" % ("eof" if d == b"" else "data", time.monotonic() - t0))
except socket.timeout:
    print("open %.2f" % (time.monotonic() - t0))
except ConnectionResetError:
    print("reset %.2f" % (time.monotonic() - t0))
EOF
}

# expect_idle_close PORT: closed with a FIN between 2 and 5 s
expect_idle_close() {
	local got
	got=$(idle_client "$1" idle) || return 1
	echo "$got"
	awk '$1 == "eof" && $2 >= 2.0 && $2 <= 5.0 { ok = 1 } END { exit !ok }' <<<"$got"
}

start_nsplice --wait 127.0.0.1 "$H1" "$TMPDIR_TEST/nsplice-off.log" \
	--netns "$NS" -t "$H1:$P1" || die "nsplice (no idle timeout) did not come up"
got=$(idle_client "$H1" idle || true)
if [[ $got == open* ]]; then
	ok "no --idle-timeout: an idle connection stays open ($got s)"
else
	fail "no --idle-timeout: an idle connection ended: '$got'"
fi
stop_nsplice TERM 5

start_nsplice --wait 127.0.0.1 "$H1" --wait 127.0.0.1 "$H2" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" --idle-timeout 2 \
	-t "$H1:$P1" -t "$H2:$P2" || die "nsplice --idle-timeout 2 did not come up"
check "idle connection closed with a FIN after 2 to 5 s" expect_idle_close "$H1" || true
got=$(idle_client "$H1" active || true)
if [[ $got == alive ]]; then
	ok "a connection moving a byte a second for 6 s stays open"
else
	fail "an active connection was closed: '$got'"
fi
got=$(idle_client "$H2" stall || true)
if [[ $got == reset ]]; then
	ok "bytes stuck in the relay: the idle connection is reset, not ended with a FIN"
else
	fail "stalled download ended with '$got', expected a reset"
fi
check "a new connection works after the idle closes" expect_idle_close "$H1" || true
stop_nsplice TERM 5
assert_no_nsplice_procs
finish
