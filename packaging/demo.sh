#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh - set-up command 1: install build dependencies, build nsplice and
# show its main job on a fresh Debian 12 machine (run as root).
#
# The demo runs nsplice as an unprivileged user ("nobody"): nsplice creates
# a new user and network namespace, starts a small server inside it on port
# 8080 of the namespace's own loopback (HTTP over TCP, and a UDP echo:
# demo-server.py), and forwards the host's 127.0.0.1:8080, TCP and UDP, into
# it.  curl on the host then fetches a page that only exists inside the
# namespace, and a datagram sent to the host's port comes back echoed, from
# that port.  Everything is stopped and removed at the end.
#
# Port 8080 may already be served by something else on the machine: the
# demo then takes the next port free for both TCP and UDP (up to 8179), and
# it only calls a forward a success when the answer carries a token of this
# run, so another program's answer is never shown as nsplice's.  When
# nsplice fails, its own error is what the demo prints.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# NSPLICE_DEMO_BIN: run the demo with that binary, without installing or
# building anything (the test suite's packaging.demo does, with the build
# under test).
bin=${NSPLICE_DEMO_BIN:-}
if [[ -z $bin ]]; then
	"$top/packaging/install-deps.sh" --test
	cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$top/build" -j"$(nproc)" >/dev/null
	bin=$top/build/nsplice
	echo "demo: built $bin ($("$bin" --version))"
fi

# The unprivileged user must be able to read the binary and the page.
work=$(mktemp -d /tmp/nsplice-demo.XXXXXX)
nsplice_pid=
cleanup() {
	if [[ -n "$nsplice_pid" ]] && kill -0 "$nsplice_pid" 2>/dev/null; then
		kill -TERM "$nsplice_pid"
		wait "$nsplice_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
install -m 0755 "$bin" "$work/nsplice"
install -m 0755 "$top/packaging/demo-server.py" "$work/demo-server.py"
mkdir "$work/www"
token="demo-$$-$(date +%s%N)"
echo "Hello from inside the namespace, through nsplice ($token)." \
	> "$work/www/index.html"
chmod -R a+rX "$work"

# free_port FIRST LAST - print the first port with no TCP or UDP socket
# on it (a TIME-WAIT left by an earlier run does not stop nsplice's bind).
free_port() {
	local p
	for ((p = $1; p <= $2; p++)); do
		if [[ -z $(ss -Htuan exclude time-wait "sport = :$p") ]]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
port=$(free_port 8080 8179) || {
	echo "demo: ports 8080-8179 are all in use; free one and try again" >&2
	exit 1
}
[[ $port == 8080 ]] || echo "demo: port 8080 is in use here; using $port"
echo "demo: as user nobody: nsplice -t $port -u $port -- demo-server.py $port"
cd "$work/www"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	"$work/nsplice" -t "$port" -u "$port" -- \
	/usr/bin/python3 "$work/demo-server.py" "$port" \
	>"$work/server.log" 2>&1 &
nsplice_pid=$!

# Wait (bounded) until the forwarded port answers with our page, or
# nsplice has ended.
for _ in $(seq 1 100); do
	kill -0 "$nsplice_pid" 2>/dev/null || break
	if curl -fsS --max-time 1 "http://127.0.0.1:$port/" -o "$work/answer" 2>/dev/null &&
		grep -q -F "$token" "$work/answer"; then
		break
	fi
	sleep 0.1
done
if ! grep -q -F "$token" "$work/answer" 2>/dev/null; then
	if ! kill -0 "$nsplice_pid" 2>/dev/null; then
		status=0
		wait "$nsplice_pid" || status=$?
		nsplice_pid=
		echo "demo: nsplice exited with status $status:" >&2
	else
		echo "demo: no answer from the namespace through port $port; nsplice said:" >&2
	fi
	sed 's/^/    /' "$work/server.log" >&2
	exit 1
fi
echo "demo: curl http://127.0.0.1:$port/ answered:"
sed 's/^/    /' "$work/answer"

# UDP: one datagram to the host's port, resent (bounded) until its echo
# comes back; a connected socket accepts replies only from the address
# and port it sent to, so the echo also shows where replies come from.
if ! udp_answer=$(python3 - "$port" "$token" <<'PYEOF'
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
s.settimeout(0.2)
for _ in range(25):
    s.send(b"udp " + token)
    try:
        data, peer = s.recvfrom(2048)
    except (socket.timeout, ConnectionRefusedError):
        continue
    if data == b"udp " + token:
        print("echoed %d bytes from %s:%d" % (len(data), *peer))
        sys.exit(0)
sys.exit(1)
PYEOF
); then
	echo "demo: no UDP echo through port $port; nsplice said:" >&2
	sed 's/^/    /' "$work/server.log" >&2
	exit 1
fi
echo "demo: a datagram to udp 127.0.0.1:$port was $udp_answer"
echo "demo: processes:"
ps -o user=,pid=,args= --ppid "$nsplice_pid" -p "$nsplice_pid" | sed 's/^/    /'
kill -TERM "$nsplice_pid"
status=0
wait "$nsplice_pid" || status=$?
nsplice_pid=
echo "demo: nsplice stopped on SIGTERM with status $status; cleaned up"
