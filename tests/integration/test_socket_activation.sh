#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_socket_activation - listeners inherited from systemd-socket-activate.
#
# Proves, with `systemd-socket-activate -l 127.0.0.1:PORT` holding the
# listening socket and exec'ing nsplice with LISTEN_FDS=1:
# - data flows through the inherited listener into the namespace (an echo
#   round trip and a 1 MiB stream with its checksum);
# - it is the inherited socket that serves: the listener socket's inode in
#   nsplice's host agent is the one systemd-socket-activate made (no second
#   bind happened), and the socket-activate wrapper had it first;
# - negative: an inherited socket that matches no -t forward stops nsplice
#   at start with exit status != 0 and a message naming the socket and its
#   address; no nsplice process is left; so does a wildcard [::]:PORT
#   (`-l PORT`) beside a default -t PORT, whose bind on 127.0.0.1:PORT it
#   makes fail: the message names the socket, not "address in use";
# - after nsplice ends, the inherited socket was not shut down by nsplice:
#   its owner (a holder standing in for systemd, which keeps its copy)
#   still accepts on it (systemd restarts rely on this).
# Why it matters: socket activation lets systemd own low ports and restart
# nsplice without dropping the port; a socket silently ignored would leave
# clients hanging.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
command -v systemd-socket-activate >/dev/null ||
	die "systemd-socket-activate missing (Debian package systemd)"

NS="nsp-$$-sockact"
make_netns "$NS"
alloc_ports 23600 HPORT PORT SPORT OTHER

start_ns_server "$NS" "$TMPDIR_TEST/srv.log" serve "echo=$PORT" "sink=$SPORT" \
	--addr 127.0.0.1
wait_port 127.0.0.1 "$PORT" "$NS" || die "echo server in $NS did not start"
wait_port 127.0.0.1 "$SPORT" "$NS" || die "sink server in $NS did not start"

# The wrapper binds, then execs nsplice with the sockets on fds 3 and 4
# (same pid, so LISTEN_PID matches).
NSPLICE_REAL=$NSPLICE
cat >"$TMPDIR_TEST/wrap.sh" <<WEOF
#!/bin/sh
exec systemd-socket-activate -l 127.0.0.1:$HPORT -l 127.0.0.1:$SPORT \
	--fdname=web:bulk "$NSPLICE_REAL" "\$@"
WEOF
chmod +x "$TMPDIR_TEST/wrap.sh"
start_nsplice --bin "$TMPDIR_TEST/wrap.sh" --wait 127.0.0.1 "$HPORT" \
	"$TMPDIR_TEST/act.log" --netns "$NS" -t "127.0.0.1/$HPORT:$PORT" \
	-t "127.0.0.1/$SPORT" || die "socket-activated nsplice did not come up"

check "echo round trip through the inherited listener" \
	nstool concurrent 127.0.0.1 "$HPORT" 2 --timeout 10
check "1 MiB through the second inherited listener, checksum matches" \
	nstool send 1M 127.0.0.1 "$SPORT" --timeout 30

# The inode of the listening socket: the one the wrapper made (it exec'd
# into nsplice, so the socket was never re-created), held by the host
# agent and by nobody else (no second listener was bound).
ino=$(ss -Hltne "sport = :$HPORT" | grep -o 'ino:[0-9]*' | sort -u)
[[ $(wc -l <<<"$ino") == 1 && -n $ino ]] && ok "one listening socket on $HPORT ($ino)" ||
	fail "listening sockets on $HPORT: $(echo $ino)"
grep -q -i 'socket activation\|inherited\|LISTEN_FDS' "$NSP_LOG" &&
	ok "nsplice logged that it uses inherited sockets" ||
	note "nsplice did not log the inherited sockets (not required)"
stop_nsplice TERM 10 || fail "nsplice did not exit within 10 s"
[[ ${NSP_RC:-} == 0 ]] && ok "exit 0 on SIGTERM" || fail "exit status ${NSP_RC:-none}"
assert_no_nsplice_procs

# activate_refused NAME ARGS... - run `systemd-socket-activate ARGS`
# (which execs on the first connection attempt, so one is made) and wait
# for its end; ACT_RC and ACT_OUT are its exit status and output.
activate_refused() {
	local name=$1 i
	shift
	(
		rc=0
		timeout 20 systemd-socket-activate "$@" >"$TMPDIR_TEST/$name.out" 2>&1 || rc=$?
		echo "$rc" >"$TMPDIR_TEST/$name.rc"
	) &
	cleanup_pid $!
	wait_port 127.0.0.1 "$HPORT" >/dev/null 2>&1 || true
	for ((i = 0; i < 400; i++)); do [[ -s $TMPDIR_TEST/$name.rc ]] && break; sleep 0.05; done
	ACT_RC=$(cat "$TMPDIR_TEST/$name.rc" 2>/dev/null || echo none)
	ACT_OUT=$(cat "$TMPDIR_TEST/$name.out")
}

# Negative: the second socket matches no forward.
activate_refused stray -l "127.0.0.1:$HPORT" -l "127.0.0.1:$OTHER" \
	--fdname=web:stray "$NSPLICE" --netns "$NS" -t "127.0.0.1/$HPORT:$PORT"
if [[ $ACT_RC == 2 && $ACT_OUT == *"socket stray (fd 4, 127.0.0.1:$OTHER) matches no -t forward"* ]]; then
	ok "stray inherited socket refused (exit $ACT_RC): $(grep -m1 stray <<<"$ACT_OUT")"
else
	fail "stray inherited socket: exit $ACT_RC, output: $ACT_OUT"
fi
# Negative: `systemd-socket-activate -l PORT` passes [::]:PORT, which a
# default -t PORT (127.0.0.1 and ::1) does not take, and which holds
# 127.0.0.1:PORT too: the error names the inherited socket, not the
# "address already in use" it causes.
activate_refused wild -l "$HPORT" "$NSPLICE" --netns "$NS" -t "$HPORT:$PORT"
if [[ $ACT_RC == 2 && $ACT_OUT == *"inherited socket unknown (fd 3, [::]:$HPORT) matches no -t forward, and holds port $HPORT"* &&
	$ACT_OUT != *"already in use"* ]]; then
	ok "a wildcard inherited socket a default -t does not take: exit 2, $(grep -m1 'matches no' <<<"$ACT_OUT")"
else
	fail "wildcard inherited socket: exit $ACT_RC, output: $ACT_OUT"
fi
# Negative: an inherited socket that is not listening is refused.
rc=0
out=$(timeout 20 bash -c 'exec 3<>/dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"' \
	"$NSPLICE" --netns "$NS" -t "127.0.0.1/$HPORT:$PORT" 2>&1) || rc=$?
if ((rc != 0 && rc != 124)) && [[ $out == *"fd 3"* ]]; then
	ok "a non-socket on fd 3 is refused: $out"
else
	fail "non-socket fd 3: exit $rc, output: $out"
fi

# The socket stays usable for its owner after nsplice ends: a holder keeps
# its own copy, as systemd does, execs nsplice with it on fd 3, and once
# nsplice has ended checks that the socket still accepts.
cat >"$TMPDIR_TEST/holder.py" <<'PYEOF'
import os, signal, socket, subprocess, sys, time
port, argv = int(sys.argv[1]), sys.argv[2:]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
if ls.fileno() != 3:
    os.dup2(ls.fileno(), 3)
child = subprocess.Popen(["/bin/bash", "-c",
    'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=held exec "$@"', "_"] + argv,
    pass_fds=(3,))
print("child", child.pid, flush=True)
try:
    rc = child.wait(timeout=120)
except subprocess.TimeoutExpired:
    child.kill()
    rc = child.wait()
print("exit", rc, flush=True)
c = socket.create_connection(("127.0.0.1", port), timeout=2)
ls.settimeout(2)
try:
    a, _ = ls.accept()
    print("after: listening", flush=True)
except OSError as e:
    print("after: broken", type(e).__name__, flush=True)
PYEOF
start_bg "$TMPDIR_TEST/holder.log" timeout -k 2 "$LIFETIME" "$PY" \
	"$TMPDIR_TEST/holder.py" "$HPORT" "$NSPLICE" --netns "$NS" \
	-t "127.0.0.1/$HPORT:$PORT"
expect_serves "held socket serves through nsplice" "$HPORT" "$TMPDIR_TEST/holder.log"
child=$(awk '$1 == "child" { print $2 }' "$TMPDIR_TEST/holder.log")
[[ -n $child ]] && { kill -TERM "$child" 2>/dev/null || true; }
for ((i = 0; i < 200; i++)); do
	grep -q '^after:' "$TMPDIR_TEST/holder.log" && break
	sleep 0.05
done
if grep -q '^after: listening' "$TMPDIR_TEST/holder.log"; then
	ok "after nsplice ended, its owner's socket still accepts (no shutdown())"
else
	fail "inherited socket unusable after nsplice ended"
	show_log "$TMPDIR_TEST/holder.log"
fi
finish
