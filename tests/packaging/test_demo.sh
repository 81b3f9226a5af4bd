#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_demo.sh - set-up command 1's demo works with the build under test.
#
# packaging/demo.sh runs with NSPLICE_DEMO_BIN (no dependency install, no
# build: that half is what a fresh machine exercises, and rebuilding the
# tree under test from inside its own test run would race the other
# tests).  It must exit 0 having shown the page fetched over the TCP
# forward and the datagram echoed over the UDP forward, with the token of
# its run, from the forwarded port; and none of the processes it listed
# (nsplice's and the server's) may outlive it.
. "$(dirname "$0")/lib.sh"

need_tool curl curl
need_tool setpriv util-linux
rc=0
NSPLICE_DEMO_BIN=$NSPLICE timeout 60 bash "$SRC/packaging/demo.sh" \
	>"$TMP/demo.out" 2>&1 || rc=$?
if ((rc == 0)); then
	ok "demo.sh exited 0"
else
	fail "demo.sh exited $rc"
	indent <"$TMP/demo.out"
fi
port=$(sed -n 's/^demo: as user nobody: nsplice -t \([0-9]*\) -u .*/\1/p' "$TMP/demo.out")
if [[ -n $port ]] && grep -q "^    Hello from inside the namespace, through nsplice (demo-" "$TMP/demo.out"; then
	ok "TCP: the page from inside the namespace came through port $port"
else
	fail "TCP: no page shown"
	indent <"$TMP/demo.out"
fi
if [[ -n $port ]] && grep -q "^demo: a datagram to udp 127.0.0.1:$port was echoed [0-9]* bytes from 127.0.0.1:$port\$" "$TMP/demo.out"; then
	ok "UDP: the datagram came back echoed from 127.0.0.1:$port"
else
	fail "UDP: no echo from the forwarded port shown"
	indent <"$TMP/demo.out"
fi
if grep -q "nsplice: relay" "$TMP/demo.out" && grep -q "stopped on SIGTERM with status 0" "$TMP/demo.out"; then
	ok "the processes were shown and nsplice stopped with status 0"
else
	fail "no process list, or nsplice did not stop cleanly"
	indent <"$TMP/demo.out"
fi
# The pids the demo listed (nsplice's five processes and the server):
# none may be alive once it returned.  (Not "every process of nobody's":
# root nsplice runs its relay as nobody, and other tests run at once.)
pids=$(awk '/^demo: processes:/ { on = 1; next } on && /^    nobody / { print $2 }' "$TMP/demo.out" | tr '\n' ' ')
left=
for p in $pids; do
	[[ $(ps -o args= -p "$p" 2>/dev/null) == *nsplice* || $(ps -o args= -p "$p" 2>/dev/null) == *demo-server* ]] && left+="$p "
done
if [[ -n $pids && -z $left ]]; then
	ok "none of the demo's processes is left ($pids)"
else
	fail "demo processes left: '$left' (listed: '$pids')"
	for p in $left; do kill -9 "$p" 2>/dev/null || true; done
fi
finish
