#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_stderr_blocked - an stderr nobody reads does not freeze nsplice.
#
# nsplice -d (every debug line) runs with its stderr on a pipe of one page
# (F_SETPIPE_SZ 4096) that nobody reads: the start-up lines alone fill it.
# Then:
#  - connections through the forward are echoed (the relay's log lines go
#    to the supervisor, which must keep reading them);
#  - `nsplice ctl status` answers;
#  - SIGTERM stops nsplice within 5 s with status 0, the pipe still
#    blocked; in a second run the reader drains first, and what nsplice
#    wrote then says how many log writes it dropped.
# Why it matters: the supervisor wrote to stderr with blocking write()s.
# With `nsplice 2>&1 | slow-reader`, once the pipe was full it blocked:
# no SIGTERM, no restarts, no control socket, no reading of the
# children's log pipe, so the relay blocked too and traffic stopped.  At
# the default level a namespace could bring that about through -t auto
# (two lines per port that starts or stops listening).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-uxblk"
make_netns "$NS"
alloc_ports 31400 HP EPORT
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$EPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$EPORT" "$NS" || die "echo server in $NS did not start"

# The driver: nsplice with stderr on a one-page pipe, not read until told
# (a "drain" file appears), then read to EOF into OUT.
cat >"$TMPDIR_TEST/driver.py" <<'PYEOF'
import fcntl, os, subprocess, sys, time
out, flag, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)          # F_SETPIPE_SZ: one page
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w, stderr=w,
                     start_new_session=True)
os.close(w)
print(p.pid, flush=True)
deadline = time.monotonic() + 120
while not os.path.exists(flag) and time.monotonic() < deadline:
    time.sleep(0.05)
with open(out, "wb") as f:
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        f.write(b)
print("status", p.wait(), flush=True)
PYEOF
# run_blocked TAG - one nsplice on a blocked stderr: traffic and status
# while blocked; TAG "term" then sends SIGTERM while it is still blocked,
# TAG "drain" drains first (so the count of dropped writes can go out).
run_blocked() {
	local tag=$1 d=$TMPDIR_TEST/$1 i NSP st wchan stopped
	mkdir -p "$d"
	start_bg "$d/driver.out" timeout -k 2 "$LIFETIME" "$PY" "$TMPDIR_TEST/driver.py" \
		"$d/stderr.out" "$d/drain" \
		"$NSPLICE" -d --netns "$NS" -t "$HP:$EPORT" --control "$d/ctl.sock"
	for ((i = 0; i < 100; i++)); do
		NSP=$(head -n1 "$d/driver.out" 2>/dev/null)
		[[ -n $NSP ]] && break
		sleep 0.05
	done
	[[ -n $NSP ]] || die "$tag: the driver did not start nsplice"
	cleanup_pid "$NSP"
	wait_port 127.0.0.1 "$HP" || die "$tag: the forward never accepted"
	# More than a page of log lines: 100 connections, each logged at -d
	if nstool concurrent 127.0.0.1 "$HP" 50 >"$d/conc.out" 2>&1 &&
		nstool concurrent 127.0.0.1 "$HP" 50 >>"$d/conc.out" 2>&1; then
		ok "$tag: 100 connections echoed while nobody reads nsplice's stderr"
	else
		fail "$tag: connections through the forward failed while stderr was not read"
		indent <"$d/conc.out"
	fi
	wchan=$(cat "/proc/$NSP/wchan" 2>/dev/null)
	if timeout 10 "$NSPLICE" ctl "$d/ctl.sock" status >"$d/status.out" 2>&1 &&
		grep -q "^forwards " "$d/status.out"; then
		ok "$tag: ctl status answers while nobody reads stderr (supervisor in '$wchan')"
	else
		fail "$tag: ctl status while nobody reads stderr (supervisor in '$wchan')"
		indent <"$d/status.out"
	fi
	if [[ $tag == drain ]]; then
		touch "$d/drain"
		sleep 0.5
	fi
	kill -TERM "$NSP"
	for ((i = 0; i < 50; i++)); do
		pid_alive "$NSP" || break
		sleep 0.1
	done
	stopped=$i
	touch "$d/drain"
	for ((i = 0; i < 50; i++)); do
		grep -q '^status' "$d/driver.out" && break
		sleep 0.1
	done
	st=$(sed -n 's/^status //p' "$d/driver.out")
	if [[ $st == 0 ]] && ((stopped < 50)); then
		ok "$tag: SIGTERM stopped nsplice within 5 s, status 0"
	else
		fail "$tag: SIGTERM: nsplice status '${st:-still running after 5 s}'"
		kill -KILL "$NSP" 2>/dev/null || true
	fi
}

run_blocked term
run_blocked drain
if grep -q "log writes dropped: stderr was not being read" "$TMPDIR_TEST/drain/stderr.out"; then
	ok "drain: the output says: $(grep -o '[0-9]* log writes dropped' "$TMPDIR_TEST/drain/stderr.out" | head -n1)"
else
	fail "drain: no count of dropped log writes in the output"
	tail -n5 "$TMPDIR_TEST/drain/stderr.out" | indent
fi
assert_no_nsplice_procs "no nsplice process left"

finish
