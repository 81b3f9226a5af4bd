#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_proctitle - every process shows exactly its title.
#
# Proves, for the supervisor, the spawner, the relay and both agents:
#  - `ps -o args=` is exactly "nsplice: ROLE": no trailing blanks, no
#    stray '.' (libbsd's setproctitle() leaves one at the end of the old
#    argv[0] when the title is shorter);
#  - /proc/PID/cmdline is exactly "nsplice: ROLE" followed by at most one
#    NUL, nothing after it;
#  - the same when argv[0] is a long path (longer than the title) and when
#    the command line is short (shorter than the title, which then
#    borrows the environment's area).
# Why it matters: `ps`, `top` and `systemctl status` show these lines;
# junk in them looks like corruption and breaks `pgrep -x`-style checks.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-uxt"
make_netns "$NS"
alloc_ports 31700 SPORT H1 H2

LONGDIR=$TMPDIR_TEST/a-rather-long-directory-name/and-another-one-below-it
mkdir -p "$LONGDIR"
cp "$NSPLICE" "$LONGDIR/nsplice"
SHORTDIR=$TMPDIR_TEST/s
mkdir -p "$SHORTDIR"
cp "$NSPLICE" "$SHORTDIR/n"

# titles_clean DESC - check every role of the running nsplice
titles_clean() {
	local desc=$1 role pid args cmdline want
	for role in supervisor spawner relay "agent host" "agent target"; do
		want="nsplice: $role"
		if [[ $role == supervisor ]]; then
			pid=$NSP_PID
		else
			pid=$(find_role "$role\$") || pid=$(find_role "$role") || {
				fail "$desc: no $role process"
				continue
			}
		fi
		args=$(ps -o args= -p "$pid")
		cmdline=$(tr '\0' '|' <"/proc/$pid/cmdline")
		if [[ $args == "$want" && ( $cmdline == "$want" || $cmdline == "$want|" ) ]]; then
			ok "$desc: $role shows \"$args\""
		else
			fail "$desc: $role: ps \"$args\", cmdline \"$cmdline\", want \"$want\""
		fi
	done
}

start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$SPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$SPORT" "$NS" || die "namespace server did not start"

start_nsplice --bin "$LONGDIR/nsplice" --wait 127.0.0.1 "$H1" \
	"$TMPDIR_TEST/long.log" --netns "$NS" -t "$H1:$SPORT" ||
	die "nsplice (long argv[0]) did not start"
titles_clean "long argv[0]"
stop_nsplice TERM 5 || fail "nsplice (long argv[0]) did not stop"

# "n -cf": a command line of 6 bytes, shorter than "nsplice: supervisor"
# (run directly, not through start_nsplice, whose options are longer)
printf 'netns = %s\ntcp-ports = %s:%s\n' "$NS" "$H2" "$SPORT" >"$SHORTDIR/f"
(cd "$SHORTDIR" && exec -a n ./n -cf) >"$TMPDIR_TEST/short.log" 2>&1 </dev/null &
NSP_PID=$!
cleanup_pid "$NSP_PID"
for ((i = 0; i < 100; i++)); do
	grep -q 'ready$' "$TMPDIR_TEST/short.log" && break
	sleep 0.05
done
grep -q 'ready$' "$TMPDIR_TEST/short.log" || {
	indent <"$TMPDIR_TEST/short.log"
	die "nsplice (short command line) did not start"
}
titles_clean "short command line"
kill -TERM "$NSP_PID"
for ((i = 0; i < 100; i++)); do
	pid_alive "$NSP_PID" || break
	sleep 0.05
done
pid_alive "$NSP_PID" && fail "nsplice (short command line) did not stop"

finish
