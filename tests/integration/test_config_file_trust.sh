#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_config_file_trust - nsplice takes orders only from a config file
# that nobody but its user or root can change.
#
# The attack (security review): as root, `-c` naming a file of mode 0666
# was read; whoever wrote it set "sandbox = log" (seccomp violations
# logged, not blocked, in every role) and "pid-file = /some/root/file",
# which root truncated and deleted at exit.  Proves:
#  1. as root, a file of mode 0666 (with those very lines) is refused with
#     exit 2 and "writable by everyone (mode 0666)"; nothing starts and the
#     victim file is unchanged;
#  2. as root, mode 0664: refused, "writable by its group";
#  3. as root, a file owned by the test user (0644): refused, "owned by
#     uid N";
#  4. as the test user, its own file (0644): not refused for its owner or
#     mode (the run goes on to the next check), also in a user namespace
#     of its own (unshare -Ur); there a root-owned file shows as 65534,
#     as any unmapped owner's does, and is refused;
#  5. a running nsplice whose file is made writable by everyone refuses the
#     reload on SIGHUP (the new forward is not added, the old one still
#     works); once the mode is fixed, the next SIGHUP adds the forward;
#  6. a reload of a file given to another user with mode 0600, which the
#     supervisor cannot open, names the owner as the cause;
#  7. the path to the file counts as much as the file (a file read again
#     at every SIGHUP can be swapped through it): as root, a trusted file
#     reached through the test user's symlink in a sticky world-writable
#     directory (as /tmp is) is refused, exit 2, naming the symlink and
#     its owner, while root's own symlink there is followed; a file in a
#     directory the test user owns, or in root's directory of mode 0777,
#     is refused, naming the directory, its owner and mode; the test
#     user's own directory (its ~/.config) is fine for the test user, by
#     a relative path too;
#  8. a running nsplice whose file's directory is made writable by others
#     refuses the reload (nothing changes, the error is logged); once the
#     mode is fixed, the next SIGHUP adds the forward.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice
ensure_test_user

NS="nsp-$$-cftr"
make_netns "$NS"
alloc_ports 27420 HP PORT HP2 HP3

d=$TMPDIR_TEST/etc
mkdir -m 755 "$d"
victim=$d/victim
echo "precious" >"$victim"
chmod 600 "$victim"
conf=$d/bad.conf
printf 'netns = %s\ntcp-ports = %s:%s\nsandbox = log\npid-file = %s\n' \
	"$NS" "$HP" "$PORT" "$victim" >"$conf"

# refused WHAT MODE OWNER WANT - run as root with $conf at MODE/OWNER:
# exit 2, the message WANT, victim unchanged, nothing listening
refused() {
	local what=$1 rc=0 out
	chmod "$2" "$conf"
	chown "$3" "$conf"
	out=$(timeout -k 2 20 "$NSPLICE" -c "$conf" 2>&1 </dev/null) || rc=$?
	if ((rc == 2)) && [[ $out == *"$4"* ]] && [[ $(cat "$victim") == precious ]] &&
		! port_listening "$HP"; then
		ok "$what: exit 2, nothing started, victim unchanged: $out"
	else
		fail "$what: exit $rc, victim '$(cat "$victim" 2>/dev/null)': $out"
	fi
}

refused "1. mode 0666" 666 root "writable by everyone (mode 0666)"
refused "2. mode 0664" 664 root "writable by its group (mode 0664)"
refused "3. owned by $TEST_USER" 644 "$TEST_USER" \
	"owned by uid $(id -u "$TEST_USER"): expected a config file owned by root"

# 4. the test user's own file: past the file checks
own=$d/own.conf
printf 'netns = /nonexistent/cftr\ntcp-ports = %s\n' "$HP" >"$own"
chown "$TEST_USER" "$own"
chmod 644 "$own"
out=$(as_test_user timeout -k 2 20 "$NSPLICE" -c "$own" 2>&1 </dev/null) || true
if [[ $out == *"/nonexistent/cftr"* && $out != *"expected a config file"* ]]; then
	ok "4. $TEST_USER's own file (0644) is read: $out"
else
	fail "4. $TEST_USER's own file: $out"
fi

# 4b. the same user in a user namespace of its own (unshare -Ur): its own
# file (uid 0 there) is read; a file of any uid the namespace does not
# map shows as 65534, root's and another user's alike, and is refused
out=$(as_test_user unshare -Ur timeout -k 2 20 "$NSPLICE" -c "$own" 2>&1 </dev/null) || true
if [[ $out == *"/nonexistent/cftr"* && $out != *"expected a config file"* ]]; then
	ok "4b. in unshare -Ur, the user's own file is read: $out"
else
	fail "4b. in unshare -Ur, the user's own file: $out"
fi
rootown=$d/rootown.conf
printf 'netns = /nonexistent/cftr\ntcp-ports = %s\n' "$HP" >"$rootown"
chmod 644 "$rootown"
out=$(as_test_user unshare -Ur timeout -k 2 20 "$NSPLICE" -c "$rootown" 2>&1 </dev/null) || true
if [[ $out == *"owned by uid 65534: expected a config file owned by root"* ]]; then
	ok "4b. in unshare -Ur, a file the namespace does not map (uid 65534 there) is refused: $out"
else
	fail "4b. in unshare -Ur, an unmapped owner's file: $out"
fi

# 7. the path: a trusted file through another user's symlink, or in a
# directory another user can change, is refused before anything starts
path_refused() {	# WHAT CONF WANT: as root, exit 2 and the message WANT
	local rc=0 out
	out=$(timeout -k 2 20 "$NSPLICE" -c "$2" 2>&1 </dev/null) || rc=$?
	if ((rc == 2)) && [[ $out == *"$3"* ]] && ! port_listening "$HP"; then
		ok "$1: exit 2, nothing started: $out"
	else
		fail "$1: exit $rc: $out"
	fi
}
uid=$(id -u "$TEST_USER")
target=$d/target.conf
printf 'netns = %s\ntcp-ports = %s:%s\n' "$NS" "$HP" "$PORT" >"$target"
chmod 644 "$target"
sticky=$TMPDIR_TEST/sticky
mkdir -m 1777 "$sticky"
as_test_user ln -s "$target" "$sticky/user-link.conf"
path_refused "7. root's file through $TEST_USER's symlink in a sticky dir" \
	"$sticky/user-link.conf" \
	"config file $sticky/user-link.conf: $sticky/user-link.conf is a symlink of uid $uid"
ln -s "$target" "$sticky/root-link.conf"
out=$(timeout -k 2 20 "$NSPLICE" -c "$sticky/root-link.conf" --netns /nonexistent/cftr7 \
	2>&1 </dev/null) || true
if [[ $out == *"/nonexistent/cftr7"* && $out != *symlink* ]]; then
	ok "7. root's own symlink in the sticky dir is followed: $out"
else
	fail "7. root's own symlink in the sticky dir: $out"
fi
userdir=$TMPDIR_TEST/userdir
mkdir -m 755 "$userdir"
cp "$target" "$userdir/x.conf"
chown "$TEST_USER" "$userdir"
path_refused "7. root's file in a directory $TEST_USER owns" "$userdir/x.conf" \
	"config file $userdir/x.conf: directory $userdir (owner uid $uid, mode 0755) lets others replace it"
chown root "$userdir"
chmod 777 "$userdir"
path_refused "7. root's file in root's directory of mode 0777" "$userdir/x.conf" \
	"config file $userdir/x.conf: directory $userdir (owner uid 0, mode 0777) lets others replace it"
ln -s "$userdir/x.conf" "$d/via.conf"
path_refused "7. root's symlink to a file in that directory" "$d/via.conf" \
	"config file $d/via.conf leads to $userdir/x.conf: directory $userdir (owner uid 0, mode 0777)"
rm "$d/via.conf"
chmod 755 "$userdir"
# Root's link to a directory through the test user's link to root's
# directory: the user's link in the middle is judged too (a review had it
# re-pointed after the start, and the next SIGHUP read the file it chose).
mkdir -m 755 "$TMPDIR_TEST/good"
cp "$target" "$TMPDIR_TEST/good/x.conf"
as_test_user ln -s "$TMPDIR_TEST/good" "$sticky/user-dir"
ln -s "$sticky/user-dir" "$d/chain"
path_refused "7. root's symlink through $TEST_USER's symlink to root's directory" \
	"$d/chain/x.conf" "$sticky/user-dir is a symlink of uid $uid"
# the test user's own directory (as its ~/.config), named relative
home=$TMPDIR_TEST/home
mkdir -m 700 "$home"
cp "$own" "$home/nsplice.conf"
chown -R "$TEST_USER" "$home"
out=$(cd "$home" && as_test_user timeout -k 2 20 "$NSPLICE" -c nsplice.conf 2>&1 </dev/null) || true
if [[ $out == *"/nonexistent/cftr"* && $out != *"lets others"* && $out != *symlink* ]]; then
	ok "7. $TEST_USER's file in its own 0700 directory, relative path: read: $out"
else
	fail "7. $TEST_USER's file in its own directory, relative path: $out"
fi

# reload_adds WHAT PORT - SIGHUP the running nsplice: PORT gets forwarded
reload_adds() {
	kill -HUP "$NSP_PID"
	if wait_port 127.0.0.1 "$2" >/dev/null 2>&1; then
		ok "$1: $2 forwarded"
	else
		fail "$1: $2 not forwarded"
		show_log "$NSP_LOG"
	fi
}

# 5. reload
good=$d/good.conf
printf 'netns = %s\ntcp-ports = %s:%s\n' "$NS" "$HP" "$PORT" >"$good"
chmod 644 "$good"
start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
start_nsplice --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/nsplice.log" -c "$good" ||
	die "nsplice -c $good did not start"
printf 'tcp-ports = %s:%s\n' "$HP2" "$PORT" >>"$good"
chmod 666 "$good"
kill -HUP "$NSP_PID"
for ((i = 0; i < 100; i++)); do
	grep -q "writable by everyone" "$NSP_LOG" && break
	sleep 0.05
done
sleep 0.5	# a reload that went through would have bound by now
if grep -q "good.conf: writable by everyone (mode 0666)" "$NSP_LOG" &&
	! port_listening "$HP2"; then
	ok "5. SIGHUP with the file at 0666: refused, $HP2 not forwarded"
else
	fail "5. SIGHUP with the file at 0666 was not refused"
	show_log "$NSP_LOG"
fi
check "5. the old forward still works" nstool concurrent 127.0.0.1 "$HP" 1 --timeout 10
chmod 644 "$good"
reload_adds "5. SIGHUP with the file at 0644" "$HP2"
# 6. The file given to another user, mode 0600: the running supervisor
# (root, but no CAP_DAC_OVERRIDE after start) cannot even open it; the
# reload's error names the owner, not a bare "Permission denied".
chown "$TEST_USER" "$good"
chmod 600 "$good"
kill -HUP "$NSP_PID"
uid=$(id -u "$TEST_USER")
if wait_line "$NSP_LOG" "good\.conf: owned by uid $uid: expected a config file owned by root" 5; then
	ok "6. SIGHUP with the file now another user's (0600): refused, naming its owner"
else
	fail "6. SIGHUP with the file another user's (0600): no 'owned by uid $uid' line"
	show_log "$NSP_LOG"
fi
check "6. the old forwards still work" nstool concurrent 127.0.0.1 "$HP2" 1 --timeout 10

# 8. The file is fine again, but its directory is now writable by others:
# the reload is refused and logged, nothing changes; fixed, it goes through
chown root "$good"
chmod 644 "$good"
printf 'tcp-ports = %s:%s\n' "$HP3" "$PORT" >>"$good"
chmod 777 "$d"
kill -HUP "$NSP_PID"
if wait_line "$NSP_LOG" "reload failed, nothing changed: config file $d/good\.conf: directory $d \(owner uid 0, mode 0777\) lets others replace it" 5 &&
	! port_listening "$HP3"; then
	ok "8. SIGHUP with the file's directory at 0777: refused, $HP3 not forwarded"
else
	fail "8. SIGHUP with the file's directory at 0777 was not refused"
	show_log "$NSP_LOG"
fi
check "8. the old forwards still work" nstool concurrent 127.0.0.1 "$HP2" 1 --timeout 10
chmod 755 "$d"
reload_adds "8. SIGHUP with the directory at 0755 again" "$HP3"
shutdown_nsplice 3
finish
