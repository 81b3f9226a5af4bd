#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f10_control_socket - finding 10b: the control socket is created
# 0600 at once and nothing is done to its path afterwards.
#
# The attack (audit, finding 10b): control_open() bound the socket and
# then chmod()ed it by path; whoever can write to the directory could
# replace the fresh socket by a symlink in between and have nsplice (root)
# chmod the symlink's target.  The test makes that window wide: strace
# delays the return of the supervisor's bind() by 1.5 s, the test swaps
# the socket for a symlink to a victim file of mode 0644 meanwhile, and
# checks the victim afterwards.  Proves:
#  - the victim keeps its mode 0644 (nothing followed the symlink);
#  - the supervisor makes no chmod()/fchmodat() call at all, and binds
#    under umask 0177, with the caller's umask 000;
#  - without interference the socket is 0600 even under umask 000;
#  - a directory others may write to without the sticky bit, or owned by
#    another user, is refused at start with a message naming it, and no
#    socket is created; a sticky world-writable directory is accepted;
#  - so is such a directory higher up the path (a second audit renamed a
#    root-owned 0755 directory away from under a 0777 one, put its own
#    server in its place and answered root's `nsplice ctl`), and one that
#    the path reaches only through a symlink;
#  - a symlink on the path that belongs to another user is refused (its
#    owner can re-point it, sticky directory or not), also when root's
#    own symlink only leads through it, and `nsplice ctl`
#    as root talks to no server of another user (it would believe its
#    "ok");
#  - at exit nsplice unlinks the socket it bound, and nothing that has
#    taken its path since (the same audit had a root supervisor delete a
#    root-owned file that way).
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
command -v strace >/dev/null || die "strace is needed"

NS="nsp-$$-f10cs"
make_netns "$NS"
alloc_ports 28950 P1 P2 P3

# BIND_DELAY_US - how long strace holds the bind() return, microseconds
BIND_DELAY_US=1500000

# --------------------------------------------------- the symlink swap race
DIR="$TMPDIR_TEST/ctl"
mkdir -m 700 "$DIR"
SOCK=$DIR/ctl.sock
VICTIM=$TMPDIR_TEST/victim
echo "not nsplice's" >"$VICTIM"
chmod 644 "$VICTIM"
(umask 000 && exec env "NSPLICE_TEST_RUN=$RUN_TAG" timeout -k 5 60 \
	strace -o "$TMPDIR_TEST/trace" -e trace=chmod,fchmodat,fchmod,umask,bind \
	-e inject=bind:delay_exit="$BIND_DELAY_US" \
	"$NSPLICE" --netns "$NS" -t "$P1" --control "$SOCK") \
	>"$TMPDIR_TEST/race.log" 2>&1 </dev/null &
RACE_PID=$!
cleanup_pid "$RACE_PID"
for ((i = 0; i < 100; i++)); do
	[[ -S $SOCK ]] && break
	sleep 0.02
done
if [[ -S $SOCK ]]; then
	mode=$(stat -c %a "$SOCK")
	[[ $mode == 600 ]] && ok "the socket is 0600 the moment it exists (umask 000 outside)" ||
		fail "the fresh socket has mode $mode"
	rm -f "$SOCK"
	ln -s "$VICTIM" "$SOCK"
	ok "socket swapped for a symlink to $VICTIM while bind() had not returned"
else
	fail "no socket appeared at $SOCK"
	indent <"$TMPDIR_TEST/race.log"
fi
for ((i = 0; i < 200; i++)); do
	port_listening "$P1" && break
	pid_alive "$RACE_PID" || break
	sleep 0.05
done
port_listening "$P1" || { fail "nsplice did not come up under strace"; indent <"$TMPDIR_TEST/race.log"; }
mode=$(stat -c %a "$VICTIM")
if [[ $mode == 644 ]]; then
	ok "the symlink's target kept mode 0644"
else
	fail "the symlink's target now has mode $mode: a chmod() followed the swapped path"
fi
if grep -E '^(chmod|fchmodat|fchmod)\(' "$TMPDIR_TEST/trace" >"$TMPDIR_TEST/chmods"; then
	fail "the supervisor changed a mode by path:"
	indent <"$TMPDIR_TEST/chmods"
else
	ok "no chmod()/fchmodat()/fchmod() by the supervisor"
fi
if grep -A1 -E '^umask\(0177\)' "$TMPDIR_TEST/trace" | grep -q "^bind(.*ctl.sock"; then
	ok "bind() runs under umask 0177"
else
	fail "bind() of the control socket not right after umask(0177):"
	indent <"$TMPDIR_TEST/trace"
fi
kill_pids $(proc_tree "$RACE_PID")
pid_alive "$RACE_PID" && fail "nsplice under strace did not stop"
[[ $(stat -c %a "$VICTIM") == 644 ]] && ok "the victim is still 0644 after nsplice exited" ||
	fail "the victim changed mode at exit"

# -------------------------------------------------------- directory checks
# refused DESC DIR [BAD] - nsplice --control DIR/ctl.sock must refuse to
# start, naming BAD (default DIR) as the directory at fault
refused() {
	local desc=$1 dir=$2 bad=${3:-$2} rc=0
	timeout -k 5 20 "$NSPLICE" --netns "$NS" -t "$P2" \
		--control "$dir/ctl.sock" >"$TMPDIR_TEST/dir.log" 2>&1 || rc=$?
	if ((rc != 0)) && grep -q "directory $bad .*lets others replace" \
		"$TMPDIR_TEST/dir.log" && [[ ! -e $dir/ctl.sock ]]; then
		ok "$desc: refused (exit $rc): $(head -n1 "$TMPDIR_TEST/dir.log")"
	else
		fail "$desc: exit $rc, socket $( [[ -e $dir/ctl.sock ]] && echo created || echo absent):"
		indent <"$TMPDIR_TEST/dir.log"
	fi
}
mkdir -m 777 "$TMPDIR_TEST/open"
chmod 777 "$TMPDIR_TEST/open"
refused "world-writable directory without sticky bit" "$TMPDIR_TEST/open"
mkdir -m 770 "$TMPDIR_TEST/group"
chmod 770 "$TMPDIR_TEST/group"
refused "group-writable directory" "$TMPDIR_TEST/group"
mkdir -m 755 "$TMPDIR_TEST/other"
chown "$TEST_USER:" "$TMPDIR_TEST/other"
refused "directory owned by $TEST_USER" "$TMPDIR_TEST/other"

mkdir -m 755 "$TMPDIR_TEST/open/sub"
refused "root's 0755 directory under a world-writable one" \
	"$TMPDIR_TEST/open/sub" "$TMPDIR_TEST/open"
ln -s "$TMPDIR_TEST/open/sub" "$TMPDIR_TEST/link"
refused "a symlink to a directory under a world-writable one" \
	"$TMPDIR_TEST/link" "$TMPDIR_TEST/open"

mkdir -m 1777 "$TMPDIR_TEST/sticky"
chmod 1777 "$TMPDIR_TEST/sticky"
start_nsplice "$TMPDIR_TEST/sticky.log" --netns "$NS" -t "$P3" \
	--control "$TMPDIR_TEST/sticky/ctl.sock" || true
for ((i = 0; i < 200; i++)); do
	[[ -S $TMPDIR_TEST/sticky/ctl.sock ]] && break
	pid_alive "$NSP_PID" || break
	sleep 0.05
done
if [[ -S $TMPDIR_TEST/sticky/ctl.sock ]] &&
	timeout -k 2 15 "$NSPLICE" ctl "$TMPDIR_TEST/sticky/ctl.sock" status >/dev/null 2>&1; then
	ok "a sticky world-writable directory (like /tmp) is accepted and serves"
else
	fail "sticky directory: no working control socket"
	show_log "$NSP_LOG"
fi
shutdown_nsplice --any-status 10

# ------------------------------------ another user's symlink, their server
# A third audit: in a sticky directory that is not world-writable (root's,
# mode 1775, group-writable by a shared group) the kernel's
# protected_symlinks does not apply, and the path was judged by where a
# symlink of another user pointed at start; its owner re-pointed it at a
# directory of theirs and answered root's `nsplice ctl remove` with "ok".
mkdir -m 700 "$TMPDIR_TEST/mine"
ln -s "$TMPDIR_TEST/mine" "$TMPDIR_TEST/sticky/theirs"
chown -h "$TEST_USER:" "$TMPDIR_TEST/sticky/theirs"
# refused_link DESC DIR - nsplice --control DIR/ctl.sock must exit at
# once, naming the user's link sticky/theirs, with no socket in mine/.
refused_link() {
	local rc=0 log=$TMPDIR_TEST/link.log
	timeout -k 5 20 "$NSPLICE" --netns "$NS" -t "$P2" \
		--control "$2/ctl.sock" >"$log" 2>&1 || rc=$?
	if ((rc != 0)) && grep -q "sticky/theirs is a symlink of uid $(id -u "$TEST_USER")" \
		"$log" && [[ ! -e $TMPDIR_TEST/mine/ctl.sock ]]; then
		ok "$1 is refused (exit $rc): $(head -n1 "$log")"
	else
		fail "$1: exit $rc:"
		indent <"$log"
	fi
}
refused_link "a symlink of $TEST_USER on the path" "$TMPDIR_TEST/sticky/theirs"

# Root's own symlink whose target is that user's symlink: each link of a
# chain is judged, not only the path it resolves to at start (a fourth
# review: the resolved path has no links left, and the first link is
# root's, so the user's link in the middle went unchecked).
ln -s "$TMPDIR_TEST/sticky/theirs" "$TMPDIR_TEST/via"
refused_link "root's symlink through a symlink of $TEST_USER" "$TMPDIR_TEST/via"

# The same user serves a socket where root looks for nsplice's (a name in
# a sticky directory, taken while nsplice was down): root's ctl must not
# send it the request, nor believe its "ok".
UDIR=$(mktemp -d /tmp/nsplice-f10u.XXXXXX)
cleanup_cmd "rm -rf '$UDIR'"
chmod 1777 "$UDIR"
start_bg "$TMPDIR_TEST/fake.log" timeout -k 2 30 setpriv --reuid="$TEST_USER" \
	--regid="$TEST_USER" --clear-groups --inh-caps=-all -- "$PY" -c '
import os, socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(d + "/ctl.sock")
s.listen(1)
s.settimeout(25)
c, _ = s.accept()
c.settimeout(2)
try:
    got = c.recv(1024)
except OSError:
    got = b""
open(d + "/got", "wb").write(got)
c.sendall(b"ok\n")
' "$UDIR"
for ((i = 0; i < 100; i++)); do
	[[ -S $UDIR/ctl.sock ]] && break
	sleep 0.05
done
rc=0
out=$(timeout -k 2 15 "$NSPLICE" ctl "$UDIR/ctl.sock" remove -t "$P2" 2>&1) || rc=$?
sleep 0.3
if ((rc == 1)) && [[ $out == *"served by uid $(id -u "$TEST_USER")"*"neither you nor root"* ]] &&
	[[ ! -s $UDIR/got ]]; then
	ok "root's ctl refuses a server of $TEST_USER before sending anything (exit 1): $out"
else
	fail "root's ctl and a server of $TEST_USER: exit $rc, the server got '$(cat "$UDIR/got" 2>/dev/null)':"
	printf '%s\n' "$out" | indent
fi

# --------------------------------------------- at exit, only its own socket
# The directory holding the socket is renamed by its owner (root here)
# while nsplice runs, and a file of root's takes the path: at SIGTERM it
# must stay, and the log say why nothing was removed.
mkdir -m 700 "$TMPDIR_TEST/safe" "$TMPDIR_TEST/safe/d"
start_nsplice "$TMPDIR_TEST/exit.log" --netns "$NS" -t "$P3" \
	--control "$TMPDIR_TEST/safe/d/ctl.sock" || true
for ((i = 0; i < 200; i++)); do
	[[ -S $TMPDIR_TEST/safe/d/ctl.sock ]] && break
	pid_alive "$NSP_PID" || break
	sleep 0.05
done
[[ -S $TMPDIR_TEST/safe/d/ctl.sock ]] || die "no control socket in $TMPDIR_TEST/safe/d"
mv "$TMPDIR_TEST/safe/d" "$TMPDIR_TEST/safe/d.old"
mkdir -m 700 "$TMPDIR_TEST/safe/d"
echo "root's" >"$TMPDIR_TEST/safe/d/ctl.sock"
shutdown_nsplice --any-status 10
if [[ -f $TMPDIR_TEST/safe/d/ctl.sock ]] &&
	grep -q "no longer the socket nsplice made" "$TMPDIR_TEST/exit.log"; then
	ok "at exit, a file that took the socket's path is left alone, and logged"
else
	fail "at exit: the file at the socket's path is $( [[ -e $TMPDIR_TEST/safe/d/ctl.sock ]] && echo there || echo gone)"
	indent <"$TMPDIR_TEST/exit.log"
fi
finish
