#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f10_agent_violation - a bad message from agent target costs only
# that agent's channel, not the relay's flows.
#
# Audit finding 10d: one malformed message from agent[target] on its
# channel to the relay made the relay exit, and every flow of every
# forward died with it.  Now, as in OpenSSH's monitor, the violation
# closes only that channel: the relay logs it, drops that agent's pool
# sockets, tells the supervisor (AGENT_BAD), and the supervisor kills and
# restarts the agent, whose successor's channel reaches the relay as
# AGENT_CHAN.
#
# The attack: with gdb inside the live agent target (its seccomp filter
# applies), an anonymous page gets a header of unknown type 0xffff, and
# send() puts it on the agent's relay channel (descriptor 4, IPC_FD_PEER).
# Meanwhile two paced 48 MiB uploads run, one through a -t forward (host
# client -> namespace sink) and one through a -T forward (namespace client
# -> host sink), each over about 6 s.  Proves:
#  - both uploads complete and the sink's sha256 matches what was sent;
#  - the relay keeps its pid, and logs the violation naming agent target;
#  - agent target is restarted (a new pid within 5 s), the supervisor
#    logging why;
#  - afterwards both forwards serve fresh transfers (the new agent's
#    channel and pool sockets reached the relay).
# On the code before the fix the relay exited ("protocol violation"), both
# uploads were cut (reset, no sha) and the relay pid changed.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb is needed"

NS="nsp-$$-f10av"
make_netns "$NS"
alloc_ports 23100 HX X TY Y
BYTES=$((48 << 20))
SECS=6

start_ns_server "$NS" "$TMPDIR_TEST/sink-ns.log" sink-server "$X"
start_ns_server "" "$TMPDIR_TEST/sink-host.log" sink-server "$Y"
wait_port 127.0.0.1 "$X" "$NS" || die "sink in $NS did not start"
wait_port 127.0.0.1 "$Y" || die "sink on the host did not start"
start_nsplice --wait 127.0.0.1 "$HX" --wait-in "$NS" 127.0.0.1 "$TY" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HX:$X" -T "$TY:$Y" ||
	die "nsplice did not start"
RELAY=$(find_role relay) || die "no relay"
AGENT=$(find_role 'agent target') || die "no agent target"

# A paced upload: BYTES over SECS seconds, then the sink's sha256 checked.
cat >"$TMPDIR_TEST/paced.py" <<'EOF'
import hashlib, socket, sys, time
host, port, total, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
chunk = 1 << 16
n = total // chunk
base = bytes(range(256)) * (chunk // 256)
h = hashlib.sha256()
s = socket.create_connection((host, port), 10)
s.settimeout(30)
t0 = time.monotonic()
for i in range(n):
    k = (i * 7) % 256
    b = base[k:] + base[:k]
    s.sendall(b)
    h.update(b)
    delay = t0 + secs * (i + 1) / n - time.monotonic()
    if delay > 0:
        time.sleep(delay)
s.shutdown(socket.SHUT_WR)
ans = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    ans += d
good = ans.decode(errors="replace").strip() == h.hexdigest()
print("sha ok" if good else "sha MISMATCH: sink %r, sent %s" % (ans, h.hexdigest()), flush=True)
sys.exit(0 if good else 1)
EOF
start_bg "$TMPDIR_TEST/up-t.log" timeout -k 2 60 "$PY" "$TMPDIR_TEST/paced.py" 127.0.0.1 "$HX" "$BYTES" "$SECS"
UP_T=$BG_PID
start_bg "$TMPDIR_TEST/up-T.log" ip netns exec "$NS" timeout -k 2 60 "$PY" "$TMPDIR_TEST/paced.py" 127.0.0.1 "$TY" "$BYTES" "$SECS"
UP_TT=$BG_PID
sleep 1.5
pid_alive "$UP_T" && pid_alive "$UP_TT" || die "an upload ended before the attack"

# The malformed message, sent from inside agent target on its relay channel
gdb_run "$AGENT" "$TMPDIR_TEST/gdb.out" \
	'set $p = (char *)syscall(9, 0, 4096, 3, 0x22, -1, 0)' \
	'set *(unsigned int *)$p = 0x0000ffff' \
	"print (long)syscall($SYS_sendto, 4, \$p, 4, 0, 0, 0)"
# gdb may not see send() return: the supervisor can kill the agent first
SENT=$(gdb_value "$TMPDIR_TEST/gdb.out" 1)
note "send() from inside agent target ($AGENT) returned '${SENT:-(agent killed before gdb read it)}'"
pid_alive "$UP_T" && pid_alive "$UP_TT" && ok "both uploads were still running when the message went" ||
	note "an upload had finished before the attack (pacing too fast?)"

# wait_log REGEX SECONDS - wait until the nsplice log matches REGEX.
wait_log() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -q -E "$1" "$NSP_LOG" && return 0
		sleep 0.05
	done
	return 1
}
if wait_log '^\[relay\] error: agent target: protocol violation: unknown type' 3; then
	ok "the header of unknown type 0xffff from agent target reached the relay, which logged the violation"
else
	fail "no relay log line for the violation"
	tail -n 15 "$TMPDIR_TEST/gdb.out" | indent
	show_log "$NSP_LOG" 10
fi
NEW=""
for ((i = 0; i < 100; i++)); do
	NEW=$(find_role 'agent target') || true
	[[ -n $NEW && $NEW != "$AGENT" ]] && break
	sleep 0.05
done
if [[ -n $NEW && $NEW != "$AGENT" ]]; then
	ok "agent target restarted: pid $AGENT -> $NEW"
else
	fail "agent target not restarted within 5 s (pid ${NEW:-none})"
	show_log "$NSP_LOG" 10
fi
grep -q -E '^\[supervisor\] error: protocol violation by agent target: .*reported by the relay' "$NSP_LOG" &&
	ok "the supervisor logged why it replaced agent target" ||
	fail "no supervisor line about the reported agent"

RC_T=0
RC_TT=0
wait "$UP_T" || RC_T=$?
wait "$UP_TT" || RC_TT=$?
((RC_T == 0)) && ok "-t upload (48 MiB, host -> namespace) completed intact: $(cat "$TMPDIR_TEST/up-t.log")" ||
	{ fail "-t upload failed ($RC_T)"; indent <"$TMPDIR_TEST/up-t.log"; }
((RC_TT == 0)) && ok "-T upload (48 MiB, namespace -> host) completed intact: $(cat "$TMPDIR_TEST/up-T.log")" ||
	{ fail "-T upload failed ($RC_TT)"; indent <"$TMPDIR_TEST/up-T.log"; }

NOW=$(find_role relay) || true
[[ $NOW == "$RELAY" ]] && ok "the relay kept running (pid $RELAY)" ||
	fail "the relay was replaced: pid $RELAY -> ${NOW:-none}"

# Both forwards serve fresh connections through the new agent
if NSTOOL_TIMEOUT=20 nstool send 1M 127.0.0.1 "$HX" --timeout 15 >"$TMPDIR_TEST/after-t.out" 2>&1; then
	ok "-t forward serves a fresh transfer after the restart"
else
	fail "-t forward does not serve after the restart"
	indent <"$TMPDIR_TEST/after-t.out"
fi
if NSTOOL_TIMEOUT=20 nstool_in "$NS" send 1M 127.0.0.1 "$TY" --timeout 15 >"$TMPDIR_TEST/after-T.out" 2>&1; then
	ok "-T forward serves a fresh transfer after the restart"
else
	fail "-T forward does not serve after the restart"
	indent <"$TMPDIR_TEST/after-T.out"
fi
pid_alive "$NSP_PID" && ok "nsplice is still running" || fail "nsplice exited"

finish
