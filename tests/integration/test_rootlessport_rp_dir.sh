#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_rootlessport_rp_dir - which TmpDir/rp directories nsplice, as
# podman's rootlessport helper, puts its sockets in, and what it says
# about the others.
#
# DOC: Theory of Operation
#
# The helper binds the reload socket podman talks to (TmpDir/rp/<id>) and
# the control socket of `nsplice ctl` (TmpDir/rp/<id>.ctl) there, so
# whoever may replace entries of that directory may answer in its place.
# The rule (cmd/rootlessport.c, rp_dir_trusted()): the directory must be
# nsplice's own uid's and writable by nobody else, unless it is sticky.
# podman makes it 0700 whatever the umask.  The helper runs as podman runs
# it: as the unprivileged test user, uid 0 of a user namespace of its own
# (unshare -Urn, which also gives it a network namespace to forward in:
# NetNSPath is /proc/self/ns/net), with the exit and ready pipes on fds 3
# and 4 and the JSON on stdin.  Proves, with TmpDir/rp in each mode:
#  1. 0700 (podman's), 0755, and 1777 owned by the user: ready ("1" on the
#     ready pipe), both sockets there;
#  2. 0775: refused with exit 1 and one line naming the path, owner uid 0
#     and mode 0775, "group-writable" and the remedy "chmod g-w PATH";
#  3. 0777: refused, "writable by others", "chmod go-w PATH";
#  4. 0755 owned by root (uid 65534 as the namespace sees it, like any
#     owner it does not map): refused, "owned by uid 65534, not by
#     nsplice's own uid 0".
# The earlier binary said "owned by uid 0 or writable by others" for all
# of 2-4 (uid 0 being the user itself there) and refused 1777.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary
alloc_ports 27460 HP CP

# RP_ID - a ContainerID as podman sends it: 64 hex digits
RP_ID=$(printf 'c%.0s' {1..64})
# RUN_MAX_S - most seconds one helper run may take, start to exit
RUN_MAX_S=30

ln -s "$USER_NSPLICE" "$USER_DIR/rootlessport"
driver=$USER_DIR/driver.sh
# driver.sh TMPDIR HP CP ID - inside the user's namespaces: run the helper
# as podman does, print "ready=BYTE", "sockets=yes|no", "rc=N" and the
# helper's stdout (its one error line, if any)
cat >"$driver" <<'EOF'
set -u
tmp=$1 hp=$2 cp=$3 id=$4
ip link set lo up
json='{"Mappings":[{"host_ip":"127.0.0.1","container_port":'$cp
json+=',"host_port":'$hp',"range":1,"protocol":"tcp"}],"NetNSPath":'
json+='"/proc/self/ns/net","ExitFD":3,"ReadyFD":4,"TmpDir":"'$tmp'",'
json+='"ChildIP":"","ContainerID":"'$id'","RootlessCNI":true}'
mkfifo "$tmp/exit.fifo" "$tmp/ready.fifo"
exec 6<>"$tmp/exit.fifo"	# read-write: never blocks, we are its writer
"${0%/*}/rootlessport" <<<"$json" 3<"$tmp/exit.fifo" 4>"$tmp/ready.fifo" \
	>"$tmp/stdout" 2>"$tmp/stderr" 6>&- &
pid=$!
exec 7<"$tmp/ready.fifo"
byte=
read -r -t 10 -n 1 byte <&7 || true
echo "ready=$byte"
if [[ -S $tmp/rp/$id && -S $tmp/rp/$id.ctl ]]; then
	echo sockets=yes
else
	echo sockets=no
fi
exec 6>&- 7<&-	# EOF on the exit pipe: the helper stops
rc=0
wait "$pid" || rc=$?
echo "rc=$rc"
cat "$tmp/stdout"
EOF
chmod 644 "$driver"

# rp_run MODE OWNER - make a fresh TmpDir (the user's, 0700) whose rp is
# MODE and OWNER's, run the helper on it; RP_OUT is what driver.sh said,
# RP_DIR the rp path
rp_run() {
	local tmp
	tmp=$(mktemp -d "$TMPDIR_TEST/tmp.XXXXXX")
	chown "$TEST_USER:" "$tmp"
	chmod 700 "$tmp"
	RP_DIR=$tmp/rp
	mkdir "$RP_DIR"
	chown "$2:" "$RP_DIR"
	chmod "$1" "$RP_DIR"
	RP_OUT=$(as_test_user env "NSPLICE_TEST_RUN=$RUN_TAG" \
		timeout -k 2 "$RUN_MAX_S" unshare -Urn \
		bash "$driver" "$tmp" "$HP" "$CP" "$RP_ID" 2>&1) || true
	[[ -s $tmp/stderr ]] && RP_LOG=$(cat "$tmp/stderr") || RP_LOG=
}

# accepted MODE - rp at MODE, the user's: the helper gets ready
accepted() {
	rp_run "$1" "$TEST_USER"
	if [[ $RP_OUT == *"ready=1"* && $RP_OUT == *"sockets=yes"* &&
		$RP_OUT == *"rc=0"* ]]; then
		ok "1. TmpDir/rp mode $1, the user's: ready, both sockets there"
	else
		fail "1. TmpDir/rp mode $1, the user's: $RP_OUT"
		printf '%s\n' "$RP_LOG" | indent
	fi
}

# refused WHAT MODE OWNER WANT... - rp at MODE, OWNER's: exit 1 before
# readiness, stdout holding every WANT, with each "@RP" in it the rp path
refused() {
	local what=$1 w good=1
	rp_run "$2" "$3"
	shift 3
	[[ $RP_OUT == *"ready="$'\n'* && $RP_OUT == *"rc=1"* ]] || good=
	for w in "$@"; do
		[[ $RP_OUT == *"${w//@RP/$RP_DIR}"* ]] || good=
	done
	if [[ -n $good ]]; then
		ok "$what: refused: ${RP_OUT##*rc=1?}"
	else
		fail "$what: $RP_OUT"
		printf '%s\n' "$RP_LOG" | indent
	fi
}

accepted 0700
accepted 0755
accepted 1777

refused "2. TmpDir/rp mode 0775, the user's" 0775 "$TEST_USER" \
	"TmpDir/rp @RP (owner uid 0, mode 0775): group-writable" \
	"chmod g-w @RP"
refused "3. TmpDir/rp mode 0777, the user's" 0777 "$TEST_USER" \
	"TmpDir/rp @RP (owner uid 0, mode 0777): writable by others" \
	"chmod go-w @RP"
refused "4. TmpDir/rp mode 0755, root's" 0755 root \
	"TmpDir/rp @RP (owner uid 65534, mode 0755): owned by uid 65534, not by nsplice's own uid 0"
finish
