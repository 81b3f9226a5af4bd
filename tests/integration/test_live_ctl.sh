#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_ctl - the control socket and `nsplice ctl`.
#
# Proves:
#   - --control PATH creates a socket of mode 0600 owned by the user that
#     started nsplice; another user is refused ("permission denied") both
#     by the file mode and, with the mode loosened, by the server itself
#     (SO_PEERCRED), and cannot change anything;
#   - `status` and `status --json` (parsed with python3) report exactly
#     what the test did: per forward listen -> target, open 0, accepted N,
#     refused 0, errors 0, and the exact bytes of each direction once the
#     connections are closed (3 uploads to a sink, 2 downloads from a
#     source); and the processes with their real pids, state running,
#     restarts 0;
#   - `add -t SPEC` (a new target port) starts forwarding at once and is
#     listed with source ctl; `remove -t SPEC` closes the port while a
#     256 MiB download on it completes byte for byte;
#   - bad requests (removing what is not forwarded (or forwarded another way),
#     adding what is already forwarded, an auto SPEC never added, a raw
#     unknown request) answer an error with a clear message, a sentence
#     for what is not forwarded ("-t 9090:80 is not forwarded"), `nsplice
#     ctl` exits 1, and nothing changes; a malformed command line,
#     including a SPEC that does not parse (port out of range, "80:x",
#     removing "none"), exits 2 with one line and changes nothing.
# Why it matters: the control socket can change what is exposed: anyone
# but the owner must be kept out; operators and monitoring act on its
# counters, so they must be exact; a removal must not cut live transfers;
# a refused request must leave nothing half-done.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary

NS="nsp-$$-lctl"
make_netns "$NS"
alloc_ports 16000 S PS R PR X PX N PN UNUSED
BIG=256M
SRC_BYTES=100000
SOCK=$TMPDIR_TEST/ctl.sock

# ctl ARGS... - run `nsplice ctl SOCK ARGS` (bounded); output in CTL_OUT,
# stderr in CTL_ERR, status in CTL_RC.
ctl() {
	CTL_RC=0
	timeout -k 2 15 "$NSPLICE" ctl "$SOCK" "$@" >"$TMPDIR_TEST/ctl.out" \
		2>"$TMPDIR_TEST/ctl.err" || CTL_RC=$?
	CTL_OUT=$(cat "$TMPDIR_TEST/ctl.out")
	CTL_ERR=$(cat "$TMPDIR_TEST/ctl.err")
}

# status_json - `ctl status --json` parsed into STATUS_LINES (fwd/proc
# lines, see livetool.py status-lines); returns 1 if it failed.
status_json() {
	ctl status --json
	if ((CTL_RC != 0)); then
		STATUS_LINES="ctl status --json failed ($CTL_RC): $CTL_ERR"
		return 1
	fi
	printf '%s\n' "$CTL_OUT" >"$TMPDIR_TEST/status.json"
	STATUS_LINES=$("$PY" "$LIVETOOL" status-lines "$TMPDIR_TEST/status.json") || return 1
}

# fwd_set - the forwards of the status (opt side addr port -> target), sorted.
fwd_set() {
	status_json || { echo "status failed"; return 0; }
	awk '$1 == "fwd" { print $2, $3, $4, $5, $6, $8 }' <<<"$STATUS_LINES" | sort
}

# listening_set - host ports of this test listening now.
listening_set() {
	local p
	for p in "$S" "$R" "$X" "$N" "$UNUSED"; do
		port_listening "$p" && printf '%s ' "$p"
	done
	echo
}

start_ns_server "$NS" "$TMPDIR_TEST/ns.log" serve "sink=$PS" "source=$PR,$SRC_BYTES" \
	"source=$PX,$BIG" "echo=$PN" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PN" "$NS" || die "servers in $NS did not start"
# No --wait: a probe connection would count in the counters checked below.
# A port listens only once the relay has its forward (relay first, then
# the agent binds), so listening means ready.
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$SOCK" \
	-t "$S:$PS" -t "$R:$PR" -t "$X:$PX" || die "nsplice --control did not come up"
for ((i = 0; i < 200; i++)); do
	port_listening "$S" && port_listening "$R" && port_listening "$X" && [[ -S $SOCK ]] && break
	pid_alive "$NSP_PID" || break
	sleep 0.05
done
port_listening "$S" && port_listening "$R" && port_listening "$X" && [[ -S $SOCK ]] ||
	{ show_log "$NSP_LOG"; die "nsplice --control: ports or control socket not there after 10 s"; }

# ------------------------------------------------------------ permissions
mode=$(stat -c '%F %a %U' "$SOCK" 2>&1 || true)
if [[ $mode == "socket 600 root" ]]; then
	ok "--control: $SOCK is a socket of mode 0600 owned by root"
else
	fail "--control: $SOCK is '$mode', expected 'socket 600 root'"
fi
before=$(fwd_set)
rc=0
out=$(as_test_user timeout -k 2 15 "$USER_NSPLICE" ctl "$SOCK" status 2>&1) || rc=$?
if ((rc == 1)) && grep -q -i 'permission denied' <<<"$out"; then
	ok "user $TEST_USER cannot use the 0600 socket (exit 1: $out)"
else
	fail "user $TEST_USER: exit $rc, expected 1 with 'permission denied': $out"
fi
chmod 0666 "$SOCK"
rc=0
out=$(as_test_user timeout -k 2 15 "$USER_NSPLICE" ctl "$SOCK" status 2>&1) || rc=$?
if ((rc == 1)) && grep -q -i 'permission denied' <<<"$out" && ! grep -q -i 'forwards' <<<"$out"; then
	ok "socket made 0666: the server itself refuses user $TEST_USER (exit 1: $out)"
else
	fail "socket made 0666: user $TEST_USER got exit $rc, expected 1 and 'permission denied': $out"
fi
rc=0
out=$(as_test_user timeout -k 2 15 "$USER_NSPLICE" ctl "$SOCK" add -t "$UNUSED:$PN" 2>&1) || rc=$?
if ((rc == 1)) && grep -q -i 'permission denied' <<<"$out"; then
	ok "socket made 0666: user $TEST_USER cannot add a forward (exit 1: $out)"
else
	fail "socket made 0666: user $TEST_USER add: exit $rc, expected 1 and 'permission denied': $out"
fi
chmod 0600 "$SOCK"
if grep -q -E 'refused a client of uid [0-9]+' "$NSP_LOG"; then
	ok "the log names the refused client: $(grep -m1 -o -E 'refused a client of uid [0-9]+' "$NSP_LOG")"
else
	fail "the log does not mention the refused client"
	show_log "$NSP_LOG" 10
fi
if port_listening "$UNUSED"; then
	fail "user $TEST_USER's add opened port $UNUSED"
fi
[[ $(fwd_set) == "$before" ]] && ok "refused users changed nothing" ||
	fail "the forwards changed after refused requests"

# --------------------------------------------------------------- counters
sizes=(1048576 3000001 12345)
sum=0
for b in "${sizes[@]}"; do
	check "upload of $b bytes through $S" nstool send "$b" 127.0.0.1 "$S" --timeout 30 || true
	sum=$((sum + b))
done
for i in 1 2; do
	check "download $i of $SRC_BYTES bytes through $R" nstool recv "$SRC_BYTES" 127.0.0.1 "$R" --timeout 30 || true
done
# Counters are final once the relay has closed the flows: wait for open 0.
for ((i = 0; i < 60; i++)); do
	status_json || true
	! awk '$1 == "fwd" && $9 != 0 { bad = 1 } END { exit !bad }' <<<"$STATUS_LINES" && break
	sleep 0.05
done
# fwd opt side addr port taddr source tport open accepted refused errors to_server to_client
expect_fwd() {
	local desc=$1 port=$2 addr=$3 want=$4 got
	got=$(awk -v p="$port" -v a="$addr" '$1 == "fwd" && $5 == p && $4 == a {
		print $8, $9, $10, $11, $12, $13, $14 }' <<<"$STATUS_LINES")
	if [[ $got == "$want" ]]; then
		ok "$desc: $got"
	else
		fail "$desc: got '$got', expected '$want' (target open accepted refused errors to_server to_client)"
		printf '%s\n' "$STATUS_LINES" | indent
	fi
}
expect_fwd "status --json, $S via 127.0.0.1 after 3 uploads" "$S" 127.0.0.1 \
	"$PS 0 3 0 0 $sum $((3 * 65))"
expect_fwd "status --json, $S via ::1 (unused)" "$S" ::1 "$PS 0 0 0 0 0 0"
expect_fwd "status --json, $R via 127.0.0.1 after 2 downloads" "$R" 127.0.0.1 \
	"$PR 0 2 0 0 0 $((2 * SRC_BYTES))"
expect_fwd "status --json, $X via 127.0.0.1 (unused)" "$X" 127.0.0.1 "$PX 0 0 0 0 0 0"

procs_ok=1
for role in relay 'agent host' 'agent target'; do
	pid=$(find_role "$role") || pid=none
	line=$(grep -E "^proc $role\|" <<<"$STATUS_LINES" || true)
	if [[ $line != "proc $role|$pid|running|0" ]]; then
		procs_ok=0
		fail "status --json: process '$role' is '$line', expected pid $pid, running, 0 restarts"
	fi
done
line=$(grep -E '^proc supervisor\|' <<<"$STATUS_LINES" || true)
[[ $line == "proc supervisor|$NSP_PID|running|0" ]] || { procs_ok=0; fail "status --json: supervisor is '$line', pid is $NSP_PID"; }
((procs_ok)) && ok "status --json: supervisor, relay and both agents with their real pids, running, 0 restarts"

ctl status
want="  -t 127.0.0.1:$S -> $PS  side host  source args  bound yes  open 0  accepted 3  refused 0  errors 0  bytes c->s $sum s->c $((3 * 65))"
if ((CTL_RC == 0)) && grep -q -x -F -- "$want" <<<"$CTL_OUT"; then
	ok "status (text): '$want'"
else
	fail "status (text): exit $CTL_RC, no line '$want'"
	printf '%s\n%s\n' "$CTL_OUT" "$CTL_ERR" | indent
fi
want="  -t [::1]:$R -> $PR  side host  source args  bound yes  open 0  accepted 0  refused 0  errors 0  bytes c->s 0 s->c 0"
grep -q -x -F -- "$want" <<<"$CTL_OUT" && ok "status (text): '$want'" ||
	fail "status (text): no line '$want'"
if grep -q -E "^  relay  pid $(find_role relay)  running  restarts 0$" <<<"$CTL_OUT"; then
	ok "status (text): the relay line with its pid, state and restarts"
else
	fail "status (text): no relay line with pid $(find_role relay || true)"
	printf '%s\n' "$CTL_OUT" | indent
fi

# -------------------------------------------------------------- add/remove
ctl add -t "$N:$PN"
if ((CTL_RC == 0)); then
	ok "ctl add -t $N:$PN: exit 0"
else
	fail "ctl add -t $N:$PN: exit $CTL_RC: $CTL_ERR"
fi
if await_port "$N" "ctl add: port $N not accepting" 10; then
	check "ctl add: $N:$PN (new target port) echoes" nstool concurrent 127.0.0.1 "$N" 4 --timeout 10 || true
	check "ctl add: $N:$PN echoes over ::1 too" nstool concurrent ::1 "$N" 2 --timeout 10 || true
fi
status_json || true
if grep -q -E "^fwd t host 127.0.0.1 $N None ctl $PN " <<<"$STATUS_LINES"; then
	ok "status --json lists $N -> $PN with source ctl"
else
	fail "status --json does not list $N -> $PN with source ctl"
	printf '%s\n' "$STATUS_LINES" | indent
fi

TRIG=$TMPDIR_TEST/trigger
start_client "$TMPDIR_TEST/paced.log" '^started' "the download through $X did not start" \
	60 paced "$BIG" 127.0.0.1 "$X" "$TRIG"
PACED=$BG_PID
ctl remove -t "$X:$PX"
if ((CTL_RC == 0)); then
	ok "ctl remove -t $X:$PX: exit 0"
else
	fail "ctl remove -t $X:$PX: exit $CTL_RC: $CTL_ERR"
fi
if wait_listen no "$X" "" 2000; then
	ok "ctl remove: port $X no longer listening"
else
	fail "ctl remove: port $X still listening 2 s later"
fi
pid_alive "$PACED" && ok "ctl remove: the download through $X was still running" ||
	fail "ctl remove: the download through $X ended before the removal: the test proves nothing"
touch "$TRIG"
paced_verdict "$PACED" "$TMPDIR_TEST/paced.log" $((256 << 20)) \
	"ctl remove: the 256 MiB download on the removed forward completed, byte for byte" \
	"ctl remove: the download on the removed forward failed" 10
status_json || true
if grep -q -E "^fwd t host [^ ]+ $X " <<<"$STATUS_LINES"; then
	fail "status still lists the removed forward $X"
else
	ok "status no longer lists the removed forward $X"
fi

# ------------------------------------------------------------ bad requests
before=$(fwd_set)
lbefore=$(listening_set)
bad() {
	local desc=$1 re=$2
	shift 2
	ctl "$@"
	if ((CTL_RC == 1)) && grep -q -i -E "$re" <<<"$CTL_ERR"; then
		ok "$desc: exit 1: $CTL_ERR"
	else
		fail "$desc: exit $CTL_RC (expected 1), stderr '$CTL_ERR' (expected /$re/)"
	fi
	if [[ $(fwd_set) != "$before" || $(listening_set) != "$lbefore" ]]; then
		fail "$desc changed the forwards"
		diff <(printf '%s\n' "$before") <(fwd_set) | indent || true
	fi
}
bad "ctl remove -t $UNUSED (not forwarded)" "^nsplice ctl: -t $UNUSED is not forwarded\$" remove -t "$UNUSED"
bad "ctl remove -t $S:$PN (forwarded, but elsewhere)" \
	"^nsplice ctl: -t $S:$PN is not forwarded: port $S on [^ ]+ is forwarded another way" remove -t "$S:$PN"
bad "ctl add -t $S:$PS (already forwarded)" "$S" add -t "$S:$PS"
bad "ctl remove -t auto (never added)" 'auto' remove -t auto
bad "ctl add -t none (adds nothing)" '^nsplice ctl: -t "none": forwards nothing' add -t none
rc=0
out=$(timeout -k 2 15 "$PY" "$LIVETOOL" raw "$SOCK" "frobnicate now") || rc=$?
if [[ $out == "error: unknown request \"frobnicate\""* ]]; then
	ok "raw request 'frobnicate now': $out"
else
	fail "raw request 'frobnicate now': answer '$out' (rc $rc), expected 'error: unknown request \"frobnicate\"...'"
fi
# usage DESC REGEX ARGS... - `nsplice ctl SOCK ARGS` is a usage error: exit
# 2, one stderr line matching REGEX, nothing changed.
usage() {
	local desc=$1 re=$2
	shift 2
	ctl "$@"
	if ((CTL_RC == 2)) && [[ $(wc -l <"$TMPDIR_TEST/ctl.err") == 1 ]] &&
		grep -q -E -- "$re" <<<"$CTL_ERR"; then
		ok "$desc: usage error, exit 2: $CTL_ERR"
	else
		fail "$desc: exit $CTL_RC (expected 2), stderr '$CTL_ERR' (expected one line /$re/)"
	fi
	if [[ $(fwd_set) != "$before" || $(listening_set) != "$lbefore" ]]; then
		fail "$desc changed the forwards"
	fi
}
usage "ctl status --xml" 'status: unexpected argument "--xml"' status --xml
usage "ctl add -t 70000 (a SPEC that does not parse)" \
	'^nsplice ctl: -t "70000": port "70000" out of range' add -t 70000
usage "ctl remove -T 80:x (a SPEC that does not parse)" '^nsplice ctl: -T "80:x": ' remove -T 80:x
usage "ctl remove -t none" '^nsplice ctl: -t none: forwards nothing' remove -t none
if [[ $(fwd_set) == "$before" && $(listening_set) == "$lbefore" ]]; then
	ok "after the bad requests the forwards are unchanged (listening: $lbefore)"
else
	fail "the bad requests changed the forwards"
fi
check "after the bad requests $S still works" nstool send 1M 127.0.0.1 "$S" --timeout 20 || true
check "after the bad requests $N still works" nstool concurrent 127.0.0.1 "$N" 2 --timeout 10 || true

stop_nsplice TERM 3 || fail "nsplice still running 3 s after SIGTERM"
[[ ${NSP_RC:-} == 0 ]] || fail "exit status ${NSP_RC:-none} after SIGTERM, expected 0"
[[ -e $SOCK ]] && fail "the control socket $SOCK is left after exit" || ok "the control socket is removed at exit"
assert_no_nsplice_procs
finish
