#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f03_command_tiocsti - finding 3: COMMAND cannot type into the
# caller's terminal.
#
# The attack (audit, finding 3): COMMAND keeps the caller's session and
# controlling terminal; with dev.tty.legacy_tiocsti=1 a COMMAND that opens
# /dev/tty and calls ioctl(TIOCSTI) once per byte queues a line that the
# caller's shell reads - and runs - once nsplice exits.
#
# This test is that caller: it makes a pseudo-terminal, starts nsplice as
# the session leader on it with a COMMAND (a small python3 program) that
# tries TIOCSTI three ways - on a fresh open("/dev/tty"), on its inherited
# stdin, and with junk in the high 32 bits of the request (the bypass of
# CVE-2019-10063) - each with its own marker line, plus TIOCLINUX.  After
# nsplice exited, the test reads the terminal's input queue from the slave
# side: the attack succeeded if any marker is there.  Proves, as root and
# as the unprivileged test user:
#  - every TIOCSTI fails with EPERM, and no marker reaches the input queue;
#  - TIOCLINUX fails with EPERM too (the filter, not the tty, refused it);
# and that an interactive shell still works as COMMAND (`nsplice -t PORT
# -- bash -i` on the terminal: it gets job control, runs
# `echo hello-$((6*7))` and prints hello-42, exits on `exit`).
# The sysctl dev.tty.legacy_tiocsti is set to 1 for the test (restored at
# exit): with 0 the kernel refuses TIOCSTI itself and the test proves
# nothing.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary
alloc_ports 28700 P_ROOT P_USER P_SH

# PTY_TIMEOUT - seconds one pseudo-terminal session may last
PTY_TIMEOUT=40

LEGACY=/proc/sys/dev/tty/legacy_tiocsti
if [[ -e $LEGACY ]]; then
	old=$(cat "$LEGACY")
	cleanup_cmd "echo $old > $LEGACY"
	echo 1 >"$LEGACY" || die "cannot set dev.tty.legacy_tiocsti=1"
fi

# The caller: a pseudo-terminal, the command as session leader on it,
# lines typed at given moments, everything it prints kept, and at the end
# whatever sits in the terminal's input queue (read from the slave side,
# as the caller's shell would).
cat >"$TMPDIR_TEST/pty_run.py" <<'PYEOF'
import fcntl, os, select, signal, sys, termios, time
timeout, out_path, queue_path = float(sys.argv[1]), sys.argv[2], sys.argv[3]
sep = sys.argv.index("--")
sends, cmd = sys.argv[4:sep], sys.argv[sep + 1:]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execvp(cmd[0], cmd)
out, status, start = b"", None, time.monotonic()
next_send = None
while time.monotonic() - start < timeout:
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
        if next_send is None:
            next_send = time.monotonic() + 1.0
    if sends and next_send is not None and time.monotonic() >= next_send:
        os.write(master, sends.pop(0).encode() + b"\n")
        next_send = time.monotonic() + 1.0
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
if status is None:
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    status = "timeout"
end = time.monotonic() + 0.5
while time.monotonic() < end:
    r, _, _ = select.select([master], [], [], 0.05)
    if not r:
        break
    try:
        out += os.read(master, 65536)
    except OSError:
        break
# What was queued as input: non-canonical, non-blocking read of the slave
attrs = termios.tcgetattr(slave)
attrs[3] &= ~(termios.ICANON | termios.ECHO)
termios.tcsetattr(slave, termios.TCSANOW, attrs)
fcntl.fcntl(slave, fcntl.F_SETFL, os.O_NONBLOCK)
queued = b""
try:
    queued = os.read(slave, 65536)
except BlockingIOError:
    pass
open(out_path, "wb").write(out)
open(queue_path, "wb").write(queued)
print("status", status)
PYEOF

# COMMAND of the attack: one marker line per way, then TIOCLINUX.
cat >"$USER_DIR/inject.py" <<'PYEOF'
import ctypes, errno, os, sys
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
def push(fd, req, line):
    done, errs = 0, set()
    for b in line.encode() + b"\n":
        c = ctypes.c_char(bytes([b]))
        if libc.ioctl(fd, req, ctypes.byref(c)) == 0:
            done += 1
        else:
            errs.add(errno.errorcode.get(ctypes.get_errno(), "?"))
    return done, sorted(errs)
tty = os.open("/dev/tty", os.O_RDWR)
for how, fd, req in (("devtty", tty, TIOCSTI), ("stdin", 0, TIOCSTI),
                     ("highbits", tty, 0xdead000000000000 | TIOCSTI)):
    done, errs = push(fd, req, sys.argv[1] + "-" + how)
    print("RESULT %s injected=%d errors=%s" % (how, done, ",".join(errs)))
arg = ctypes.c_char(b"\x02")
rc = libc.ioctl(tty, TIOCLINUX, ctypes.byref(arg))
print("RESULT tioclinux rc=%d errno=%s" % (rc, errno.errorcode.get(
    ctypes.get_errno(), "?") if rc else "-"))
PYEOF
chmod 644 "$USER_DIR/inject.py"

# pty_session NAME SENDS... -- CMD... - run CMD on a fresh terminal;
# output in $TMPDIR_TEST/NAME.out, input queue in NAME.queue, and the
# harness's "status N" line in NAME.status.
pty_session() {
	local name=$1 pid
	shift
	env "NSPLICE_TEST_RUN=$RUN_TAG" timeout -k 5 $((PTY_TIMEOUT + 10)) \
		"$PY" "$TMPDIR_TEST/pty_run.py" "$PTY_TIMEOUT" \
		"$TMPDIR_TEST/$name.out" "$TMPDIR_TEST/$name.queue" "$@" \
		>"$TMPDIR_TEST/$name.status" 2>&1 </dev/null &
	pid=$!
	cleanup_pid "$pid"
	wait "$pid" || true
}

# attack WHO PORT NSPLICE-ARGV... - the attack under a terminal, as WHO
attack() {
	local who=$1 port=$2 marker="nsp-f03-$$-$1" how
	shift 2
	pty_session "$who" -- "$@" -t "$port" -- "$PY" "$USER_DIR/inject.py" \
		"$marker"
	note "$who: $(cat "$TMPDIR_TEST/$who.status")"
	grep -a RESULT "$TMPDIR_TEST/$who.out" | tr -d '\r' | indent || true
	if ! grep -aq "RESULT tioclinux" "$TMPDIR_TEST/$who.out"; then
		fail "$who: COMMAND did not run to its end under the terminal"
		indent <"$TMPDIR_TEST/$who.out"
		return
	fi
	for how in devtty stdin highbits; do
		if grep -aq "RESULT $how injected=0 errors=EPERM" \
			"$TMPDIR_TEST/$who.out"; then
			ok "$who: TIOCSTI ($how) fails with EPERM for every byte"
		else
			fail "$who: TIOCSTI ($how) was not refused with EPERM"
		fi
		if grep -aq "$marker-$how" "$TMPDIR_TEST/$who.queue"; then
			fail "$who: the $how marker reached the caller's input queue"
		else
			ok "$who: the $how marker is not in the caller's input queue"
		fi
	done
	if grep -aq "RESULT tioclinux rc=-1 errno=EPERM" "$TMPDIR_TEST/$who.out"; then
		ok "$who: TIOCLINUX fails with EPERM"
	else
		fail "$who: TIOCLINUX was not refused with EPERM"
	fi
	if [[ -s $TMPDIR_TEST/$who.queue ]]; then
		fail "$who: the caller's input queue is not empty:"
		od -c "$TMPDIR_TEST/$who.queue" | head -n 8 | indent
	fi
}

attack root "$P_ROOT" "$NSPLICE"
attack user "$P_USER" setpriv --reuid="$TEST_USER" --regid="$TEST_USER" \
	--clear-groups --inh-caps=-all -- "$USER_NSPLICE"

# An interactive shell as COMMAND: job control, a command, exit.
pty_session shell 'echo hello-$((6*7))' 'exit' -- setpriv \
	--reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups \
	--inh-caps=-all -- "$USER_NSPLICE" -t "$P_SH" -- bash --norc -i
tr -d '\r' <"$TMPDIR_TEST/shell.out" >"$TMPDIR_TEST/shell.txt"
if grep -q 'hello-42' "$TMPDIR_TEST/shell.txt"; then
	ok "bash -i as COMMAND on the terminal runs what is typed (hello-42)"
else
	fail "bash -i as COMMAND did not print hello-42:"
	indent <"$TMPDIR_TEST/shell.txt"
fi
if grep -q -i 'no job control\|cannot set terminal process group' \
	"$TMPDIR_TEST/shell.txt"; then
	fail "bash -i as COMMAND has no job control"
else
	ok "bash -i as COMMAND has job control (no warning)"
fi
if grep -q '^status 0$' "$TMPDIR_TEST/shell.status"; then
	ok "nsplice exits 0 after the shell's exit"
else
	fail "nsplice after the shell's exit: $(cat "$TMPDIR_TEST/shell.status")"
fi

finish
