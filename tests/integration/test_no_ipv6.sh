#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_no_ipv6 - nsplice on a kernel without IPv6 (ipv6.disable=1).
#
# Every nsplice process runs under lib/noipv6.py: socket(AF_INET6) fails
# with EAFNOSUPPORT, as on such a kernel (checked first, so the cases
# below cannot pass on a kernel with IPv6 by accident).  Then:
#  1. nsplice -t HP:PORT -u HU:UPORT (the default loopback addresses,
#     127.0.0.1 and ::1): ready, TCP and UDP echo through 127.0.0.1, and
#     in 4 s the log says once per agent that IPv6 is not available and
#     carries no warning (it logged "cannot create sockets for the pool"
#     every second, for ever);
#  2. nsplice -t '*/HP2:PORT' -u '*/HU2:UPORT' (every address, what
#     podman's rootlessport asks for with an empty host_ip): ready, not
#     exit 2 ("cannot listen on [::]:HP2: address family not supported"),
#     and TCP and UDP echo through 127.0.0.1;
#  3. nsplice -t auto: the namespace's server is forwarded on 127.0.0.1,
#     and no line per port says the [::1] half cannot be bound.
# Why it matters: hosts booted without IPv6 exist (hardening guides ask
# for it); there `podman run -p 8080:80` with nsplice as its helper
# failed, and every nsplice filled its log.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-noip6"
make_netns "$NS"
alloc_ports 27400 HP PORT HU UPORT HP2 HU2

if "$PY" "$TESTLIB/noipv6.py" "$PY" -c '
import errno, socket
try:
    socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
except OSError as e:
    raise SystemExit(0 if e.errno == errno.EAFNOSUPPORT else 1)
raise SystemExit(1)' 2>"$TMPDIR_TEST/probe.err"; then
	ok "under noipv6.py socket(AF_INET6) fails with EAFNOSUPPORT"
else
	die "noipv6.py does not take IPv6 away: $(cat "$TMPDIR_TEST/probe.err")"
fi
WRAP=$TMPDIR_TEST/nsplice-noipv6
printf '#!/bin/sh\nexec "%s" "%s" "%s" "$@"\n' "$PY" "$TESTLIB/noipv6.py" \
	"$NSPLICE" >"$WRAP"
chmod 755 "$WRAP"

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
start_udp_echo "$NS" 127.0.0.1 "$UPORT"

# echoes WHAT TPORT UPORT - TCP and UDP echo through 127.0.0.1
echoes() {
	check "$1: TCP echo through 127.0.0.1:$2" \
		nstool concurrent 127.0.0.1 "$2" 2 --timeout 10
	if udptool client 127.0.0.1 "$3" --sizes 1,1400 >"$TMPDIR_TEST/udp.out" 2>&1; then
		ok "$1: UDP echo through 127.0.0.1:$3"
	else
		fail "$1: no UDP echo through 127.0.0.1:$3: $(cat "$TMPDIR_TEST/udp.out")"
	fi
}

# 1. the default addresses
start_nsplice --bin "$WRAP" --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/n1.log" \
	--netns "$NS" -t "$HP:$PORT" -u "$HU:$UPORT" ||
	die "nsplice -t $HP:$PORT did not start without IPv6"
echoes "default addresses" "$HP" "$HU"
sleep 4
n=$(grep -c "IPv6 is not available here" "$NSP_LOG" || true)
# (the --sandbox=log run of the suite adds its own warning at start)
w=$(grep "warning" "$NSP_LOG" | grep -c -v -- "--sandbox=log" || true)
if ((n >= 1 && n <= 2 && w == 0)); then
	ok "default addresses: $n line(s) say IPv6 is not available, no warning in 4 s"
else
	fail "default addresses: $n lines say IPv6 is not available, $w warnings"
	show_log "$NSP_LOG"
fi
shutdown_nsplice 3 "default addresses"

# 2. every address
start_nsplice --bin "$WRAP" "$TMPDIR_TEST/n2.log" --netns "$NS" \
	-t "*/$HP2:$PORT" -u "*/$HU2:$UPORT" ||
	die "nsplice -t */$HP2:$PORT did not start without IPv6"
for ((i = 0; i < 100; i++)); do
	grep -q 'ready$' "$NSP_LOG" && break
	pid_alive "$NSP_PID" || break
	sleep 0.05
done
if grep -q "ready$" "$NSP_LOG" && pid_alive "$NSP_PID"; then
	ok "every address: ready without IPv6"
else
	fail "every address: not ready without IPv6"
	show_log "$NSP_LOG"
fi
echoes "every address" "$HP2" "$HU2"
shutdown_nsplice 3 "every address"

# 3. auto: the port is forwarded on 127.0.0.1; its [::1] half is not
# worth a line per port (the agent said once that IPv6 is missing)
start_nsplice --bin "$WRAP" "$TMPDIR_TEST/n3.log" --netns "$NS" -t auto ||
	die "nsplice -t auto did not start without IPv6"
expect_serves "auto: port $PORT forwarded on 127.0.0.1 without IPv6" "$PORT" "$NSP_LOG"
sleep 2	# more scans
if grep -q "address family not supported" "$NSP_LOG"; then
	fail "auto: a line per port about the missing IPv6: $(grep -m1 'address family' "$NSP_LOG")"
else
	ok "auto: no line per port about the missing IPv6"
fi
shutdown_nsplice 3 "auto"
finish
