# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# podman.sh - run real rootless podman 4.x end to end, with no registry,
# for the engine tests and the engine benchmark.
#
# DOC: Theory of Operation
#
# Source it after tests/integration/lib/common.sh (whose ok/fail/finish,
# cleanup and port helpers it uses).  The recipe is the one of
# /work/shared/ENGINES.md, "Running podman end to end":
#
#  - a dedicated user PM_USER (nsplice-podman) with its home in a fresh
#    temporary directory PM_DIR and subuid/subgid ranges above every
#    existing entry, so it collides with nothing and can be removed whole;
#  - a private mount namespace "holder" (a `sleep` started by `unshare -m
#    --propagation private`): inside it only, a 0666 tun node is bind
#    mounted on /dev/net/tun (slirp4netns needs it; the host node stays
#    0600) and /sys/fs/cgroup/unified is unmounted (crun refuses the hybrid
#    cgroup layout).  Every podman command runs there through pod();
#  - the user's containers.conf (no cgroups, file events, cgroupfs) and
#    storage.conf (storage in its home under PM_DIR; overlay, or vfs if
#    overlay fails), and a TmpDir long enough (PM_TMP_NAME) that the
#    helper's reload and control sockets in it do not fit in sun_path;
#  - a busybox image built with `podman import` (pm_build_image), with
#    httpd's document root /www and any static tools given;
#  - CONTAINERS_HELPER_BINARY_DIR pointing at a directory that holds the
#    `rootlessport` to test (pm_helper_dir), which podman searches first.
#
# pm_teardown removes every container, resets podman's storage, kills the
# pause process and whatever else the user still runs (by pid, each one
# listed as a failure, the pause process excepted), the holder, the user,
# its subuid/subgid lines and PM_DIR.  It runs at exit too (idempotent),
# so an aborted test leaves nothing behind either.  Every podman command is
# bounded by `timeout`.  A lock serialises users of this file: they share
# the user name and the host's subuid file.

. "$(dirname "${BASH_SOURCE[0]}")/image.sh"

# PM_USER - the dedicated user podman runs as
PM_USER=nsplice-podman
# PM_LIFETIME - most seconds the holder lives (bounds a whole run)
PM_LIFETIME=${NSPLICE_PODMAN_LIFETIME:-1200}
# PM_CMD_TIMEOUT - most seconds one podman command may take
PM_CMD_TIMEOUT=${NSPLICE_PODMAN_CMD_TIMEOUT:-120}
# PM_ID_COUNT - size of the user's subuid and subgid ranges (ids)
PM_ID_COUNT=65536
# PM_ID_FLOOR - lowest first subordinate id given to the user
PM_ID_FLOOR=1000000
# PM_LOCK - serialises the podman tests and benchmark on this machine
PM_LOCK=/run/lock/nsplice-podman.lock
# PM_LOCK_WAIT - most seconds to wait for another podman run to finish
PM_LOCK_WAIT=600
# PM_REAL_HELPER - podman's own rootlessport on Debian
PM_REAL_HELPER=/usr/lib/podman/rootlessport
# PM_IMAGE - the image pm_build_image creates
PM_IMAGE=localhost/nsp-bb:latest

# PM_TMP_NAME - podman's TmpDir ([engine] tmp_dir) in the user's home
# (/tmp/nsp-pm.XXXXXX/home/NAME, 50 bytes).  Long on purpose: the reload
# socket TmpDir/rp/<64 hex> (118 bytes) and nsplice's TmpDir/rp/<64
# hex>.ctl are then longer than sun_path (108 bytes), which both helpers
# must handle (bind and connect through /proc/self/fd/N/NAME).  Not
# longer: the real helper's own TmpDir/rootlessportNNNNNNNNNN/.bp.sock
# must still fit in sun_path (with TmpDir at 80 bytes it hangs before
# readiness, and a long XDG_RUNTIME_DIR makes podman 4.3.1 hang too).
PM_TMP_NAME=podman-tmp-beyond-sun-path

PM_DIR=""
PM_RUN=""
PM_HOLDER=""
PM_TORN=0

# pm_uid_of_range FILE - print the first id above every range in FILE
# (subuid/subgid format), at least PM_ID_FLOOR, rounded to PM_ID_COUNT.
pm_uid_of_range() {
	awk -F: -v floor="$PM_ID_FLOOR" -v n="$PM_ID_COUNT" '
		NF >= 3 { e = $2 + $3; if (e > top) top = e }
		END {
			if (top < floor) top = floor
			printf "%d\n", int((top + n - 1) / n) * n
		}' "$1" 2>/dev/null || echo "$PM_ID_FLOOR"
}

# pm_kill_user_procs - TERM then KILL every process of PM_USER and of its
# subordinate ids (container processes), by pid.
pm_kill_user_procs() {
	local pids
	pids=$(pm_user_pids | paste -sd' ' -)
	# shellcheck disable=SC2086
	[[ -n $pids ]] && kill_pids $pids
	return 0
}

# pm_user_pids - pids (not zombies) of PM_USER and of its subuid range.
pm_user_pids() {
	[[ -n ${PM_UID:-} ]] || return 0
	local lo=${PM_SUBID:-0} hi=$((${PM_SUBID:-0} + PM_ID_COUNT)) p
	ps -e -o pid=,uid=,stat= | awk -v u="$PM_UID" -v lo="$lo" -v hi="$hi" \
		'($2 == u || ($2 >= lo && $2 < hi && lo > 0)) && $3 !~ /^Z/ { print $1 }' |
		while read -r p; do [[ $p != "$$" ]] && echo "$p"; done
}

# pm_remove_user - delete PM_USER and its subuid/subgid lines.
pm_remove_user() {
	sed -i "/^$PM_USER:/d" /etc/subuid /etc/subgid 2>/dev/null || true
	if id -u "$PM_USER" >/dev/null 2>&1; then
		userdel "$PM_USER" >/dev/null 2>&1 || userdel -f "$PM_USER" >/dev/null 2>&1 || true
	fi
}

# pm_make_user - create PM_USER with home PM_DIR/home and fresh subuid and
# subgid ranges; sets PM_UID, PM_SUBID, PM_HOME.
pm_make_user() {
	PM_HOME=$PM_DIR/home
	if id -u "$PM_USER" >/dev/null 2>&1; then
		note "removing $PM_USER left by an earlier run"
		PM_UID=$(id -u "$PM_USER")
		PM_SUBID=$(awk -F: -v u="$PM_USER" '$1 == u { print $2; exit }' /etc/subuid)
		pm_kill_user_procs
		pm_remove_user
	fi
	sed -i "/^$PM_USER:/d" /etc/subuid /etc/subgid
	useradd --system --home-dir "$PM_HOME" --create-home \
		--shell /usr/sbin/nologin "$PM_USER" || die "useradd $PM_USER failed"
	PM_UID=$(id -u "$PM_USER")
	PM_SUBID=$(pm_uid_of_range /etc/subuid)
	local g
	g=$(pm_uid_of_range /etc/subgid)
	((g > PM_SUBID)) && PM_SUBID=$g
	echo "$PM_USER:$PM_SUBID:$PM_ID_COUNT" >>/etc/subuid
	echo "$PM_USER:$PM_SUBID:$PM_ID_COUNT" >>/etc/subgid
	note "user $PM_USER uid $PM_UID, subordinate ids $PM_SUBID+$PM_ID_COUNT"
}

# pm_start_holder - start the private mount namespace holder and prepare
# it (tun node, no cgroup2 mount); sets PM_HOLDER.
pm_start_holder() {
	local i
	mknod "$PM_DIR/tun" c 10 200
	chmod 666 "$PM_DIR/tun"
	setsid env "NSPLICE_TEST_RUN=$RUN_TAG" unshare -m --propagation private \
		sleep "$PM_LIFETIME" </dev/null >/dev/null 2>&1 &
	PM_HOLDER=$!
	for ((i = 0; i < 100; i++)); do
		[[ $(readlink "/proc/$PM_HOLDER/ns/mnt") != "$(readlink /proc/self/ns/mnt)" &&
			$(cat "/proc/$PM_HOLDER/comm" 2>/dev/null) == sleep ]] && break
		sleep 0.05
	done
	[[ $(cat "/proc/$PM_HOLDER/comm" 2>/dev/null) == sleep ]] ||
		die "mount namespace holder did not start"
	nsenter -t "$PM_HOLDER" -m mount --bind "$PM_DIR/tun" /dev/net/tun ||
		die "cannot bind the tun node in the holder"
	if nsenter -t "$PM_HOLDER" -m mountpoint -q /sys/fs/cgroup/unified; then
		nsenter -t "$PM_HOLDER" -m umount /sys/fs/cgroup/unified ||
			die "cannot unmount /sys/fs/cgroup/unified in the holder"
	fi
}

# pm_write_conf DRIVER - the user's containers.conf and storage.conf.
pm_write_conf() {
	local c=$PM_HOME/.config/containers
	mkdir -p "$c"
	cat >"$c/containers.conf" <<-EOF
		[containers]
		cgroups = "disabled"
		[engine]
		events_logger = "file"
		cgroup_manager = "cgroupfs"
		tmp_dir = "$PM_TMPDIR"
	EOF
	cat >"$c/storage.conf" <<-EOF
		[storage]
		driver = "$1"
		graphroot = "$PM_HOME/storage"
		runroot = "$PM_HOME/rr"
	EOF
	chown -R "$PM_USER:" "$PM_HOME"
}

# pm_setup - everything up to a working `podman info`: lock, PM_DIR, user,
# holder, configuration.  Registers pm_teardown at exit.
pm_setup() {
	need_root
	local t
	for t in podman crun slirp4netns newuidmap busybox gcc curl; do
		command -v "$t" >/dev/null || die "$t is not installed (packaging/install-deps.sh --test)"
	done
	mkdir -p /run/lock
	exec {PM_LOCK_FD}>"$PM_LOCK"
	flock -w "$PM_LOCK_WAIT" "$PM_LOCK_FD" || die "another podman test holds $PM_LOCK"
	PM_DIR=$(mktemp -d /tmp/nsp-pm.XXXXXX)
	chmod 755 "$PM_DIR"
	cleanup_cmd pm_teardown
	pm_make_user
	PM_RUN=$PM_DIR/run
	# in the user's home: `podman system reset` removes them itself
	PM_TMPDIR=$PM_HOME/$PM_TMP_NAME
	mkdir -p "$PM_RUN" "$PM_HOME/rr" "$PM_DIR/tmp" "$PM_TMPDIR" "$PM_DIR/helper"
	chown "$PM_USER:" "$PM_RUN" "$PM_HOME/rr" "$PM_DIR/tmp" "$PM_TMPDIR"
	chmod 700 "$PM_RUN" "$PM_HOME/rr" "$PM_TMPDIR"
	chmod 755 "$PM_DIR/helper"
	pm_start_holder
	PM_HELPER_DIR=$PM_DIR/helper
	pm_write_conf overlay
	if ! pod info >"$PM_DIR/info.out" 2>&1 ||
		! grep -q 'graphDriverName: overlay' "$PM_DIR/info.out"; then
		note "overlay storage does not work here; using vfs"
		pod system reset -f >/dev/null 2>&1 || true
		pm_write_conf vfs
		pod info >"$PM_DIR/info.out" 2>&1 || {
			indent <"$PM_DIR/info.out"
			die "podman info fails as $PM_USER"
		}
	fi
	note "podman $(podman --version | awk '{print $3}') as $PM_USER in $PM_DIR"
}

# pod ARGS... - run podman ARGS as PM_USER in the holder's mount namespace,
# bounded by PM_CMD_TIMEOUT.  stdin is /dev/null.  A clean environment
# but for what podman and the helper need; podman passes it on to the
# helper, so NSPLICE_TEST_SANDBOX_LOG (the suite's --sandbox=log run of a
# NSPLICE_TESTING build) reaches nsplice as rootlessport too.
pod() {
	timeout -k 5 "$PM_CMD_TIMEOUT" nsenter -t "$PM_HOLDER" -m \
		runuser -u "$PM_USER" -- env -i \
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
		"HOME=$PM_HOME" "USER=$PM_USER" "LOGNAME=$PM_USER" \
		"XDG_RUNTIME_DIR=$PM_RUN" "TMPDIR=$PM_DIR/tmp" \
		"CONTAINERS_HELPER_BINARY_DIR=$PM_HELPER_DIR" \
		"NSPLICE_TEST_RUN=$RUN_TAG" ${PM_EXTRA_ENV:+"$PM_EXTRA_ENV"} \
		${NSPLICE_TEST_SANDBOX_LOG:+"NSPLICE_TEST_SANDBOX_LOG=$NSPLICE_TEST_SANDBOX_LOG"} \
		podman "$@" </dev/null
}

# pm_helper_dir TARGET [DIR] - make DIR (default a fresh one under PM_DIR)
# hold `rootlessport` -> TARGET (copied into DIR first if it is not
# readable by the user), and make pod() use it; prints nothing, sets
# PM_HELPER_DIR.
pm_helper_dir() {
	local target=$1 dir=${2:-}
	if [[ -z $dir ]]; then
		dir=$(mktemp -d "$PM_DIR/helper.XXXXXX")
	fi
	mkdir -p "$dir"
	chmod 755 "$dir"
	if [[ $target != "$PM_REAL_HELPER" ]]; then
		cp "$target" "$dir/$(basename "$target")"
		chmod 755 "$dir/$(basename "$target")"
		target=$dir/$(basename "$target")
	fi
	ln -sfn "$target" "$dir/rootlessport"
	PM_HELPER_DIR=$dir
}

# pm_build_image [STATIC-BINARY]... - import PM_IMAGE (image.sh): busybox with
# its applets, /www/index.html ("nsplice engines test page"), /etc/passwd,
# and each STATIC-BINARY in /bin.
pm_build_image() {
	engine_rootfs_tar "$PM_DIR" "$@"
	chown "$PM_USER:" "$PM_DIR/bb.tar"
	pod import --change CMD=/bin/sh "$PM_DIR/bb.tar" "$PM_IMAGE" >"$PM_DIR/import.out" 2>&1 || {
		indent <"$PM_DIR/import.out"
		die "podman import failed"
	}
}

# pm_port_pid PORT [tcp|udp] - pid of the process owning the socket bound
# to host PORT (first one), or nothing.
pm_port_pid() {
	local opt=-Hltnp
	[[ ${2:-tcp} == udp ]] && opt=-Haunp
	ss "$opt" "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

# pm_helper_root PORT [PROTO] - pid of the top process of the helper that
# owns host PORT: walk up from the socket's owner while the parent is a
# process of PM_USER that is not podman, conmon or the pause process.
pm_helper_root() {
	local p q comm i
	p=$(pm_port_pid "$@")
	[[ -n $p ]] || return 1
	for ((i = 0; i < 16; i++)); do
		q=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
		[[ -n $q && $q != 1 ]] || break
		[[ $(ps -o uid= -p "$q" | tr -d ' ') == "$PM_UID" ]] || break
		comm=$(cat "/proc/$q/comm" 2>/dev/null)
		[[ $comm == podman || $comm == conmon || $comm == catatonit ]] && break
		p=$q
	done
	echo "$p"
}

# pm_wait_http URL [SECONDS] - wait until URL answers (bounded).
pm_wait_http() {
	local url=$1 max=${2:-15} i
	for ((i = 0; i < max * 10; i++)); do
		curl -sf -m 2 -o /dev/null "$url" && return 0
		sleep 0.1
	done
	return 1
}

# pm_teardown - remove everything pm_setup made; with leftovers of the
# user (besides podman's pause process) listed as failures.  Idempotent.
pm_teardown() {
	((PM_TORN)) && return 0
	[[ -n $PM_DIR ]] || return 0
	PM_TORN=1
	local left pause
	if [[ -n $PM_HOLDER ]] && pid_alive "$PM_HOLDER"; then
		PM_CMD_TIMEOUT=60 pod rm -af -t 0 >"$PM_DIR/rm.out" 2>&1 || show_log "$PM_DIR/rm.out"
		PM_CMD_TIMEOUT=60 pod system reset -f >"$PM_DIR/reset.out" 2>&1 || show_log "$PM_DIR/reset.out"
	fi
	pause=$(cat "$PM_TMPDIR/pause.pid" "$PM_RUN/libpod/tmp/pause.pid" 2>/dev/null | head -n1 || true)
	[[ -n $pause ]] && pid_alive "$pause" && kill_pids "$pause"
	sleep 0.3
	left=$(pm_user_pids | paste -sd, -)
	if [[ -n $left ]]; then
		fail "processes of $PM_USER left after teardown:"
		ps -o pid,ppid,uid,stat,args -p "$left" | indent || true
		pm_kill_user_procs
	else
		ok "teardown: nothing of $PM_USER left running"
	fi
	[[ -n $PM_HOLDER ]] && pid_alive "$PM_HOLDER" && kill_pids "$PM_HOLDER"
	pm_remove_user
	rm -rf "$PM_DIR"
	PM_DIR=""
}

# pm_container_id NAME - print the full id of container NAME.
pm_container_id() {
	pod inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}
