#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_syslog - --syslog sends every role's lines to /dev/log with their
# priority.
#
# Proves, with a datagram receiver standing in for the syslog daemon at
# /dev/log (in a private mount namespace: bind-mounted over the real one,
# or, without one, a link in a fresh /dev; the host is never touched):
#  - the supervisor's and every child's lines arrive as syslog messages
#    "<PRI>nsplice[PID]: ..." with the priority of their level (daemon
#    facility: info 30, warning 28, error 27), the roles' tags kept;
#  - nothing of the run goes to stderr (the log went to syslog instead);
#  - without a syslog socket, --syslog is refused at start with status 1
#    and a message naming /dev/log.
# Why it matters: a service manager without a journal (or a distro that
# prefers syslog) must get the same log lines, with their severity.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-syslog"
make_netns "$NS"
alloc_ports 31900 H P
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$P" --addr 127.0.0.1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"

RECV=$TMPDIR_TEST/syslog.sock
OUT=$TMPDIR_TEST/syslog.out
# A receiver that writes each datagram on a line of its own, for 30 s.
start_bg "$TMPDIR_TEST/receiver.log" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.monotonic() + 30
with open(sys.argv[2], "ab", buffering=0) as out:
    while time.monotonic() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        out.write(d.replace(b"\n", b" ") + b"\n")
' "$RECV" "$OUT"
for ((i = 0; i < 50; i++)); do [[ -S $RECV ]] && break; sleep 0.1; done
[[ -S $RECV ]] || die "syslog receiver did not start"

# WITH_LOG - sh script: /dev/log becomes the receiver ($1) in a private
# mount namespace, so the host's /dev/log is never touched; then exec the
# rest.  Without a /dev/log to bind over, /dev is a fresh tmpfs holding
# only the receiver's link and /dev/null.
WITH_LOG='
	if [ -e /dev/log ]; then
		mount --bind "$1" /dev/log || exit 97
	else
		mount -t tmpfs -o size=64k,mode=0755 tmpfs /dev &&
		ln -s "$1" /dev/log && touch /dev/null &&
		mount --bind /proc/self/fd/0 /dev/null || exit 97
	fi
	shift
	exec "$@"'

start_bg "$TMPDIR_TEST/stderr.log" unshare -m --propagation private \
	sh -c "$WITH_LOG" sh "$RECV" "$NSPLICE" -v --syslog --netns "$NS" \
	-t "$H:$P"
SUP=$BG_PID	# env, unshare and sh each exec: this is the supervisor
if wait_port 127.0.0.1 "$H"; then
	ok "--syslog: nsplice came up with /dev/log as the test receiver"
else
	fail "--syslog: nsplice did not come up"
	indent <"$TMPDIR_TEST/stderr.log"
fi
check "--syslog: data flows" nstool concurrent 127.0.0.1 "$H" 2 --timeout 10
# A killed relay gives an error line and a warning (its restart).
relay=$(pgrep -f '^nsplice: relay' -P "$SUP" || true)
if [[ -n $relay ]]; then
	kill -KILL "$relay"
	wait_port 127.0.0.1 "$H" >/dev/null 2>&1 || true
	sleep 0.5
else
	fail "--syslog: no relay process under $SUP"
fi
kill -TERM "$SUP" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do pid_alive "$SUP" || break; sleep 0.1; done
sleep 0.3

expect_line() {	# DESC REGEX
	if grep -q -E "$2" "$OUT"; then
		ok "$1: $(grep -m1 -E "$2" "$OUT" | cut -c1-120)"
	else
		fail "$1: no line matching /$2/"
		head -n 20 "$OUT" | indent
	fi
}
expect_line "supervisor info line, priority 6" '^<(6|30)>nsplice\[[0-9]+\]: \[supervisor\] forwarding: '
expect_line "ready line, notice, priority 5" '^<(5|29)>nsplice\[[0-9]+\]: \[supervisor\] forwarding .*; ready$'
expect_line "relay info line, priority 6" '^<(6|30)>nsplice\[[0-9]+\]: \[relay\] '
expect_line "agent line" '^<[0-9]+>nsplice\[[0-9]+\]: \[agent (host|target)\] '
expect_line "error line (killed relay), priority 3" '^<(3|27)>nsplice\[[0-9]+\]: \[supervisor\] .*relay .*SIGKILL'
expect_line "warning line (restart), priority 4" '^<(4|28)>nsplice\[[0-9]+\]: \[supervisor\] .*restarting relay'
if grep -q -E '\[(supervisor|relay|agent)' "$TMPDIR_TEST/stderr.log"; then
	fail "--syslog: log lines went to stderr too"
	head -n 5 "$TMPDIR_TEST/stderr.log" | indent
else
	ok "--syslog: nothing of the log on stderr"
fi

# No syslog socket at all: refused at start.
rc=0
out=$(unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k tmpfs /dev && exec "$@"' sh \
	"$NSPLICE" --syslog --netns "$NS" -t "$H:$P" 2>&1) || rc=$?
if ((rc == 1)) && grep -q '/dev/log' <<<"$out"; then
	ok "--syslog without a syslog socket: status 1: $out"
else
	fail "--syslog without a syslog socket: status $rc: $out"
fi
finish
