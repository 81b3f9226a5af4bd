#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f07_log_c1_controls - finding 7: no terminal control reaches the
# user's terminal or log through text nsplice quotes.
#
# The attack (audit, finding 7): the log cleaning replaced C0 controls and
# DEL but let C1 controls through, both as UTF-8 (C2 9B is CSI, C2 9D is
# OSC) and as raw bytes (0x9B): a compromised relay, a hostile config
# file, a port spec or a control-socket answer could still move the
# cursor, retitle the window or worse on the terminal reading nsplice's
# stderr.
#
# Drives each path from outside with text holding ESC, C2 9B, C2 9D and a
# raw 0x9B, and checks every byte that came out: valid UTF-8 with no C0
# (but newline and tab), no DEL and no U+0080..U+009F.
#  - a config file whose name, unknown key and known key's value are
#    hostile (error on stderr, exit 2);
#  - a port spec and a --netns path on the command line (error, exit 2);
#  - `nsplice ctl`: a hostile socket path, and a fake server answering
#    "ok" and "error:" with hostile bytes (stdout and stderr);
#  - a live nsplice with --control and -d: hostile request lines (the
#    answers, and the supervisor's log of them), then, with gdb inside the
#    live relay, hostile bytes written to its log pipe, one C1 sequence cut
#    between two writes (the supervisor's copy in the log);
#  - valid UTF-8 ("é", "→") written by the relay still arrives unchanged.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
alloc_ports 28870 PX

# HOSTILE - ESC, UTF-8 CSI, UTF-8 OSC, raw CSI, BEL: no C0 but ESC/BEL so
# a config line still reaches the parser where C0 is not refused
HOSTILE=$'A\x1b[2JB\xc2\x9b31mC\xc2\x9d0;pwn\x07D\x9bE'
# HOSTILE_HI - the same without C0, for config file lines
HOSTILE_HI=$'x\xc2\x9b31my\xc2\x9d0;pwnz\x9bw'
# SYS_write - x86_64 write(2)
SYS_write=1

# safe_file WHAT FILE - ok if FILE is terminal-safe, fail (with the spot)
# otherwise
safe_file() {
	local what=$1 f=$2 out
	if out=$("$PY" - "$f" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
try:
    text = data.decode('utf-8')
except UnicodeDecodeError as e:
    print('invalid UTF-8 at byte %d: %r' % (e.start,
          data[max(0, e.start - 30):e.start + 10]))
    sys.exit(1)
for i, ch in enumerate(text):
    o = ord(ch)
    if (o < 0x20 and ch not in '\n\t') or 0x7f <= o <= 0x9f:
        print('control U+%04X at char %d: %r' % (o, i,
              text[max(0, i - 30):i + 10]))
        sys.exit(1)
print('%d bytes' % len(data))
EOF
	); then
		ok "$what: terminal-safe ($out)"
	else
		fail "$what: $out"
	fi
}

# run_rc FILE CMD... - run CMD (bounded) with output to FILE; RC is set
run_rc() {
	local f=$1
	shift
	RC=0
	timeout -k 2 20 "$@" >"$f" 2>&1 </dev/null || RC=$?
}

# ---------------------------------------------------------- config file
conf="$TMPDIR_TEST/c"$'\x1b[2J\xc2\x9b\xc2\x9d'".conf"
printf 'netns = /run/netns/%s\n' "$HOSTILE_HI" >"$conf"
run_rc "$TMPDIR_TEST/conf-value.out" "$NSPLICE" -c "$conf"
[[ $RC == 2 ]] && ok "config value: refused, exit 2" ||
	fail "config value: exit $RC, expected 2"
safe_file "config file name and value in the error" "$TMPDIR_TEST/conf-value.out"
printf 'k%sey = 1\n' "$HOSTILE_HI" >"$conf"
run_rc "$TMPDIR_TEST/conf-key.out" "$NSPLICE" -c "$conf"
[[ $RC == 2 ]] && ok "config key: refused, exit 2" ||
	fail "config key: exit $RC, expected 2"
safe_file "config file unknown key in the error" "$TMPDIR_TEST/conf-key.out"

# ------------------------------------------------------- command line
run_rc "$TMPDIR_TEST/spec.out" "$NSPLICE" --pid 1 -t "80$HOSTILE"
[[ $RC == 2 ]] && ok "port spec: refused, exit 2" ||
	fail "port spec: exit $RC, expected 2"
safe_file "port spec in the error" "$TMPDIR_TEST/spec.out"
run_rc "$TMPDIR_TEST/netns.out" "$NSPLICE" --netns "/nonexistent/$HOSTILE" -t "$PX"
[[ $RC == 2 ]] && ok "--netns path: refused, exit 2" ||
	fail "--netns path: exit $RC, expected 2"
safe_file "--netns path in the error" "$TMPDIR_TEST/netns.out"

# ---------------------------------------------------------- nsplice ctl
run_rc "$TMPDIR_TEST/ctl-path.out" "$NSPLICE" ctl "/nonexistent/$HOSTILE" status
[[ $RC == 1 ]] && ok "ctl: hostile socket path fails, exit 1" ||
	fail "ctl: hostile socket path: exit $RC, expected 1"
safe_file "ctl: socket path in the error" "$TMPDIR_TEST/ctl-path.out"
run_rc "$TMPDIR_TEST/ctl-arg.out" "$NSPLICE" ctl /nonexistent add -t "8$HOSTILE"
safe_file "ctl: request argument in the error" "$TMPDIR_TEST/ctl-arg.out"

# fake_server SOCK ANSWER-FILE - answer one client with the file's bytes
fake_server() {
	start_bg "$TMPDIR_TEST/fake.log" timeout -k 2 30 "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(5)
try:
    c.recv(1024)
except OSError:
    pass
c.sendall(open(sys.argv[2], "rb").read()); c.close()
' "$1" "$2"
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -S $1 ]] && return 0
		sleep 0.05
	done
	fail "fake server did not start"
}
printf 'ok\nstatus %s\n\ttabbed caf\xc3\xa9\n' "$HOSTILE" >"$TMPDIR_TEST/ans-ok"
printf 'error: %s\n' "$HOSTILE" >"$TMPDIR_TEST/ans-err"
for a in ok err; do
	sock=$TMPDIR_TEST/fake-$a.sock
	fake_server "$sock" "$TMPDIR_TEST/ans-$a"
	run_rc "$TMPDIR_TEST/ctl-$a.out" "$NSPLICE" ctl "$sock" status
	safe_file "ctl: server answer '$a' printed" "$TMPDIR_TEST/ctl-$a.out"
	wait "$BG_PID" 2>/dev/null || true
done
if grep -q $'caf\xc3\xa9' "$TMPDIR_TEST/ctl-ok.out" &&
	grep -q $'^\ttabbed' "$TMPDIR_TEST/ctl-ok.out"; then
	ok "ctl: valid UTF-8 and tabs of an answer are kept"
else
	fail "ctl: valid UTF-8 or tab of the answer lost"
	indent <"$TMPDIR_TEST/ctl-ok.out"
fi

# ------------------------------------------------- live: control, relay
NS=nspf07$$
make_netns "$NS"
sock=$TMPDIR_TEST/live.sock
start_nsplice --wait 127.0.0.1 "$PX" "$TMPDIR_TEST/live.log" --netns "$NS" \
	-t "$PX" --control "$sock" -d || die "nsplice did not start"
"$PY" - "$sock" "$TMPDIR_TEST/live-answers" <<'EOF' || fail "control client failed"
import socket, sys
lines = [b'add -t 9\xc2\x9b1\n', b'add -t \x1b[2J\n', b'remove -T \x9b5\n',
         b'status\xc2\x9d\n']
out = open(sys.argv[2], 'wb')
for line in lines:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(sys.argv[1])
    c.sendall(line)
    c.shutdown(socket.SHUT_WR)
    while True:
        b = c.recv(4096)
        if not b:
            break
        out.write(b)
    c.close()
EOF
safe_file "control: answers to hostile requests" "$TMPDIR_TEST/live-answers"

relay=$(find_role relay) || die "no relay"
# relay_write N BYTE... - write the bytes to fd 2 from inside the relay,
# in a gdb session of their own: ok if all N were written
relay_write() {
	local n=$1 out=$TMPDIR_TEST/gdb-relay-$1.out i=0 c cmds=() args=()
	shift
	cmds+=('set $b = (long)calloc(1, 128)')
	for c in "$@"; do
		cmds+=("set *(unsigned char *)(\$b + $i) = $c")
		i=$((i + 1))
	done
	cmds+=("call (long)syscall($SYS_write, 2, \$b, $i)")
	# The relay's root is an empty tmpfs: libc is found from ours
	for c in "${cmds[@]}"; do args+=(-ex "$c"); done
	timeout -k 5 "$GDB_TIMEOUT" gdb -nx -q -batch -iex 'set sysroot /' \
		"$NSPLICE" -p "$relay" "${args[@]}" >"$out" 2>&1 </dev/null || true
	if [[ $(gdb_value "$out" 1) == "$n" ]]; then
		ok "relay wrote $n hostile bytes to its log pipe"
	else
		fail "relay's write of $n bytes did not go through"
		grep -v '^\[' "$out" | tail -n 5 | indent
	fi
}
# "[f07] ESC[2J" and the first byte of a UTF-8 CSI...
relay_write 11 0x5b 0x66 0x30 0x37 0x5d 0x20 0x1b 0x5b 0x32 0x4a 0xc2
# ...its second byte, "31m", UTF-8 OSC "0;x" BEL, raw CSI, " café → F7END"
relay_write 28 0x9b 0x33 0x31 0x6d 0xc2 0x9d 0x30 0x3b 0x78 0x07 0x9b 0x20 \
	0x63 0x61 0x66 0xc3 0xa9 0x20 0xe2 0x86 0x92 0x20 0x46 0x37 \
	0x45 0x4e 0x44 0x0a
for ((i = 0; i < 40; i++)); do
	grep -q "F7END" "$NSP_LOG" && break
	sleep 0.05
done
shutdown_nsplice --any-status 10
if grep -q $'\\[f07\\] .*caf\xc3\xa9 \xe2\x86\x92 F7END' "$NSP_LOG"; then
	ok "relay's line reached the log, valid UTF-8 kept"
else
	fail "relay's line missing from the log, or its UTF-8 changed"
	show_log "$NSP_LOG" 5
fi
safe_file "supervisor's log (control requests, relay's bytes)" "$NSP_LOG"
finish
