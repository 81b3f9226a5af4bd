# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# dockerd.sh - run a real rootful dockerd 20.10 end to end without
# installing it, with a chosen userland proxy, for the engine tests.
#
# DOC: Theory of Operation
#
# Source it after tests/integration/lib/common.sh (ok/fail/die, cleanup,
# process helpers).  The recipe is the last bullet of "Running podman end
# to end" in /work/shared/ENGINES.md:
#
#  - the Debian packages docker.io, containerd, runc and tini are fetched
#    with `apt-get download` into DK_CACHE (kept: later runs re-use them;
#    a failing download fails the test with apt's own message) and
#    unpacked with `dpkg -x` into DK_DIR/root, a fresh temporary tree:
#    nothing is installed, nothing outside DK_DIR is written but the cache;
#  - dockerd runs as root inside `unshare -n -m --propagation private`: a
#    new network namespace (only lo, brought up; docker0, its veths and
#    iptables rules live and die there) and a private mount namespace with
#    a tmpfs on /run, so its exec root /run/docker, the containerd it
#    starts itself (/run/docker/containerd), containerd's shim sockets
#    (/run/containerd/s, a fixed path) and the network namespace bind
#    mounts of the containers are all private and vanish with it.  Its
#    data root (vfs storage) is DK_DIR/lib, its API socket DK_DIR/docker.sock
#    (reached from the host's mount namespace by the docker CLI), its
#    configuration DK_DIR/daemon.json, whose "deprecated-key-path" keeps the
#    daemon's identity key out of /etc/docker; containers go into the
#    cgroup parent DK_CGROUP, removed at teardown.  PATH starts with the
#    unpacked bin directories, so dockerd finds containerd, containerd its
#    shim, the shim runc;
#  - `--userland-proxy-path` names DK_DIR/proxy/docker-proxy, a symlink to
#    the proxy under test: dockerd runs it for every published port and
#    address family, with the status pipe on fd 3 and its own environment
#    (so NSPLICE_TEST_SANDBOX_LOG, when set, reaches nsplice);
#  - dk_build_image imports a busybox image (`docker import`) with httpd's
#    document root /www and any static tools given.
#
# dk_teardown removes every container, stops dockerd with SIGTERM (it
# stops containerd, the shims and the proxies), then lists as failures and
# kills, by pid, anything still alive: processes tagged with the run's
# environment tag (dockerd, containerd and the shims inherit it), anything
# in dockerd's network namespace, the containers' first processes and
# anything running a binary of DK_DIR/root; it removes the cgroup parent
# and DK_DIR and checks that /etc/docker was not created.  It runs at exit
# too (idempotent).  Every docker command and every wait is bounded.  A
# lock serialises users of this file (they share DK_CACHE).

. "$(dirname "${BASH_SOURCE[0]}")/image.sh"

# DK_CACHE - where the downloaded .deb files are kept between runs
DK_CACHE=${NSPLICE_DOCKERD_CACHE:-/var/cache/nsplice-engines/dockerd}
# DK_PKGS - the packages a rootful dockerd 20.10 needs beyond the base
# system (docker.io holds dockerd, the CLI and docker-proxy)
DK_PKGS=(docker.io containerd runc tini)
# DK_APT_TIMEOUT - most seconds `apt-get download` may take
DK_APT_TIMEOUT=300
# DK_LIFETIME - most seconds dockerd lives (bounds a whole run)
DK_LIFETIME=${NSPLICE_DOCKERD_LIFETIME:-600}
# DK_CMD_TIMEOUT - most seconds one docker command may take
DK_CMD_TIMEOUT=60
# DK_START_S - most seconds from starting dockerd to a working API
DK_START_S=60
# DK_PROBE_S - most seconds one `docker version` probe of the API may take
DK_PROBE_S=5
# DK_STOP_S - most seconds dockerd may take to exit after SIGTERM
DK_STOP_S=30
# DK_LOCK - serialises the dockerd tests on this machine
DK_LOCK=/run/lock/nsplice-dockerd.lock
# DK_LOCK_WAIT - most seconds to wait for another dockerd run to finish
DK_LOCK_WAIT=600
# DK_IMAGE - the image dk_build_image creates
DK_IMAGE=nsp-bb:latest
# DK_RUN_SIZE - size of the private tmpfs on /run (dockerd's exec root)
DK_RUN_SIZE=64m

DK_DIR=""
DK_PID=""
DK_TPID=""
DK_NETNS=""
DK_TORN=0
DK_CTR_PIDS=()
DK_ETC_DOCKER_BEFORE=0

# dk_deb PKG - print the newest cached .deb of PKG, or nothing.
dk_deb() {
	find "$DK_CACHE" -maxdepth 1 -name "${1}_*.deb" 2>/dev/null | sort -V | tail -n1
}

# dk_fetch - make DK_CACHE hold a .deb of every DK_PKGS (apt-get download
# of the missing ones); dies with apt's output if that fails.
dk_fetch() {
	local p missing=()
	mkdir -p "$DK_CACHE"
	for p in "${DK_PKGS[@]}"; do
		[[ -n $(dk_deb "$p") ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	note "apt-get download ${missing[*]} into $DK_CACHE"
	# the cache is root's: no _apt sandbox user (it could not write there)
	if ! (cd "$DK_CACHE" && timeout -k 5 "$DK_APT_TIMEOUT" apt-get -q \
		-o APT::Sandbox::User=root download "${missing[@]}") \
		>"$DK_DIR/apt.out" 2>&1; then
		indent <"$DK_DIR/apt.out"
		die "apt-get download ${missing[*]} failed (see above)"
	fi
	for p in "${missing[@]}"; do
		[[ -n $(dk_deb "$p") ]] || die "apt-get download left no ${p}_*.deb in $DK_CACHE"
	done
}

# dk_unpack - dpkg -x every cached package into DK_ROOT.
dk_unpack() {
	local p deb
	DK_ROOT=$DK_DIR/root
	mkdir -p "$DK_ROOT"
	for p in "${DK_PKGS[@]}"; do
		deb=$(dk_deb "$p")
		dpkg -x "$deb" "$DK_ROOT" 2>"$DK_DIR/dpkg.out" || {
			indent <"$DK_DIR/dpkg.out"
			die "dpkg -x $deb failed"
		}
	done
	for p in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/docker \
		usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/sbin/runc; do
		[[ -x $DK_ROOT/$p ]] || die "the unpacked packages have no $p"
	done
	note "dockerd $("$DK_ROOT/usr/sbin/dockerd" --version | awk '{print $3}' | tr -d ,) unpacked from $(basename "$(dk_deb docker.io)")"
}

# dk_setup - lock, DK_DIR, packages; registers dk_teardown at exit.
dk_setup() {
	need_root
	local t
	for t in apt-get dpkg unshare nsenter iptables ip busybox gcc curl ss; do
		command -v "$t" >/dev/null || die "$t is not installed (packaging/install-deps.sh --test)"
	done
	mkdir -p /run/lock
	exec {DK_LOCK_FD}>"$DK_LOCK"
	flock -w "$DK_LOCK_WAIT" "$DK_LOCK_FD" || die "another dockerd test holds $DK_LOCK"
	[[ -e /etc/docker ]] && DK_ETC_DOCKER_BEFORE=1
	DK_DIR=$(mktemp -d /tmp/nsp-dk.XXXXXX)
	chmod 755 "$DK_DIR"
	cleanup_cmd dk_teardown
	DK_CGROUP=nsp-dk-$$
	DK_SOCK=$DK_DIR/docker.sock
	mkdir -p "$DK_DIR/lib" "$DK_DIR/cli" "$DK_DIR/home" "$DK_DIR/proxy"
	chmod 700 "$DK_DIR/cli" "$DK_DIR/home"
	dk_fetch
	dk_unpack
	# shellcheck disable=SC2034 # for the tests: dockerd's own proxy
	DK_REAL_PROXY=$DK_ROOT/usr/sbin/docker-proxy
}

# dk_inner_script PROXY - write DK_DIR/inner.sh, what runs inside the new
# namespaces: lo up, private /run, then exec dockerd.
dk_inner_script() {
	cat >"$DK_DIR/daemon.json" <<-EOF
		{ "deprecated-key-path": "$DK_DIR/key.json" }
	EOF
	cat >"$DK_DIR/inner.sh" <<-EOF
		set -eu
		ip link set lo up
		mount -t tmpfs -o mode=0755,size=$DK_RUN_SIZE nsp-dk-run /run
		export PATH=$DK_ROOT/usr/bin:$DK_ROOT/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		export HOME=$DK_DIR/home
		exec dockerd --data-root "$DK_DIR/lib" -H "unix://$DK_SOCK" \\
			--config-file "$DK_DIR/daemon.json" --storage-driver vfs \\
			--exec-opt native.cgroupdriver=cgroupfs \\
			--cgroup-parent "/$DK_CGROUP" --iptables=true \\
			--userland-proxy=true --userland-proxy-path "$1"
	EOF
}

# dk_start PROXY - start dockerd with PROXY (absolute path) as its userland
# proxy; wait (bounded) until its API answers.  Sets DK_PID (dockerd),
# DK_NETNS (its network namespace).  Dies if it does not come up.
dk_start() {
	local i
	dk_inner_script "$1"
	start_bg "$DK_DIR/dockerd.log" timeout -k 5 "$DK_LIFETIME" \
		unshare -n -m --propagation private bash "$DK_DIR/inner.sh"
	DK_TPID=$BG_PID
	for ((i = 0; i < DK_START_S * 10; i++)); do
		DK_PID=$(pgrep -P "$DK_TPID" | head -n1) || true
		if [[ -n $DK_PID && $(readlink "/proc/$DK_PID/exe" 2>/dev/null) == "$DK_ROOT/usr/sbin/dockerd" &&
			-S $DK_SOCK ]] && DK_CMD_TIMEOUT=$DK_PROBE_S dk version >/dev/null 2>&1; then
			break
		fi
		pid_alive "$DK_TPID" || break
		sleep 0.1
	done
	if [[ -z $DK_PID ]] || ! DK_CMD_TIMEOUT=$DK_PROBE_S dk version >/dev/null 2>&1; then
		show_log "$DK_DIR/dockerd.log" 40
		die "dockerd did not answer on $DK_SOCK within ${DK_START_S}s"
	fi
	cleanup_pid "$DK_PID"
	DK_NETNS=$(readlink "/proc/$DK_PID/ns/net")
	note "dockerd pid $DK_PID in $DK_NETNS, userland proxy $1 -> $(readlink -f "$1")"
}

# dk ARGS... - the docker CLI against our dockerd, bounded; stdin /dev/null.
dk() {
	timeout -k 5 "$DK_CMD_TIMEOUT" env "DOCKER_HOST=unix://$DK_SOCK" \
		"DOCKER_CONFIG=$DK_DIR/cli" "$DK_ROOT/usr/bin/docker" "$@" </dev/null
}

# in_dk CMD... - run CMD in dockerd's network namespace (host mounts).
in_dk() { nsenter -t "$DK_PID" -n -- "$@"; }

# dk_build_image [STATIC-BINARY]... - import DK_IMAGE (image.sh): busybox with
# its applets, /www/index.html ("nsplice engines test page"), /etc/passwd,
# and each STATIC-BINARY in /bin.
dk_build_image() {
	engine_rootfs_tar "$DK_DIR" "$@"
	dk import --change 'CMD ["/bin/sh"]' "$DK_DIR/bb.tar" "$DK_IMAGE" \
		>"$DK_DIR/import.out" 2>&1 || {
		indent <"$DK_DIR/import.out"
		die "docker import failed"
	}
}

# dk_run NAME ARGS... - `docker run -d --name NAME ARGS`, remembering the
# container's first process; output in DK_DIR/NAME.run.  Returns docker's
# status.
dk_run() {
	local name=$1 rc=0 p
	shift
	dk run -d --name "$name" "$@" >"$DK_DIR/$name.run" 2>&1 || rc=$?
	p=$(dk inspect -f '{{.State.Pid}}' "$name" 2>/dev/null || true)
	[[ $p =~ ^[1-9][0-9]*$ ]] && DK_CTR_PIDS+=("$p:$(proc_start "$p")")
	return "$rc"
}

# dk_port_owners PORT [tcp|udp] - pids of every process holding a socket
# listening on (TCP) or bound to (UDP) PORT in dockerd's netns.
dk_port_owners() {
	local opt=-Hltnp
	[[ ${2:-tcp} == udp ]] && opt=-Hlunp
	in_dk ss "$opt" "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' |
		cut -d= -f2 | sort -un
}

# dk_proxy_roots PORT [tcp|udp] - the children of dockerd whose process
# trees hold PORT's sockets (the proxies it started for PORT), one a line.
dk_proxy_roots() {
	local p q i
	for p in $(dk_port_owners "$@"); do
		for ((i = 0; i < 16; i++)); do
			q=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
			[[ -n $q && $q != 1 ]] || break
			[[ $q == "$DK_PID" ]] && echo "$p" && break
			p=$q
		done
	done | sort -un
}

# dk_netns_pids - pids (not zombies) in dockerd's network namespace.
dk_netns_pids() {
	local f p
	[[ -n $DK_NETNS ]] || return 0
	for f in /proc/[0-9]*/ns/net; do
		[[ $(readlink "$f" 2>/dev/null) == "$DK_NETNS" ]] || continue
		p=${f#/proc/}
		p=${p%%/*}
		[[ $p != "$$" && $p != "$BASHPID" ]] && pid_alive "$p" && echo "$p"
	done
}

# dk_leftover_pids - every live process of this run that should be gone:
# tagged ones, ones in dockerd's netns, the containers' first processes
# (same start time), and anything running a binary from DK_ROOT.
dk_leftover_pids() {
	local e p f
	{
		tagged_pids "$RUN_TAG"
		dk_netns_pids
		for e in "${DK_CTR_PIDS[@]}"; do
			p=${e%%:*}
			[[ $(proc_start "$p") == "${e#*:}" ]] && echo "$p"
		done
		if [[ -n ${DK_ROOT:-} ]]; then
			for f in /proc/[0-9]*/exe; do
				[[ $(readlink "$f" 2>/dev/null) == "$DK_ROOT/"* ]] || continue
				p=${f#/proc/}
				echo "${p%%/*}"
			done
		fi
	} | sort -un | while read -r p; do
		[[ $p != "$$" && $p != "$BASHPID" ]] && pid_alive "$p" && echo "$p"
	done
}

# dk_stop_daemon - remove every container, then SIGTERM dockerd and wait
# (bounded) for it and for its timeout wrapper to exit.
dk_stop_daemon() {
	local i ids
	[[ -n $DK_PID ]] && pid_alive "$DK_PID" || return 0
	ids=$(dk ps -aq 2>/dev/null | paste -sd' ' -) || true
	# shellcheck disable=SC2086
	[[ -n $ids ]] && { dk rm -f $ids >"$DK_DIR/rm.out" 2>&1 || show_log "$DK_DIR/rm.out"; }
	kill -TERM "$DK_PID" 2>/dev/null || true
	for ((i = 0; i < DK_STOP_S * 10; i++)); do
		pid_alive "$DK_PID" || pid_alive "$DK_TPID" || break
		sleep 0.1
	done
	if pid_alive "$DK_PID"; then
		fail "teardown: dockerd still running ${DK_STOP_S}s after SIGTERM"
		show_log "$DK_DIR/dockerd.log"
	fi
}

# dk_rm_cgroups - remove the cgroup parent DK_CGROUP from every hierarchy
# (deepest first); fail for any directory that cannot be removed.
dk_rm_cgroups() {
	local d left=""
	for d in /sys/fs/cgroup/*/"$DK_CGROUP" /sys/fs/cgroup/"$DK_CGROUP"; do
		[[ -d $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[[ -d $d ]] && left+=" $d"
	done
	if [[ -n $left ]]; then
		fail "teardown: cgroups left:$left"
	else
		ok "teardown: no cgroup of the containers left"
	fi
}

# dk_teardown - stop everything dk_setup/dk_start made and check nothing
# is left (processes, network namespace, cgroups, /etc/docker); remove
# DK_DIR.  Idempotent.
dk_teardown() {
	((DK_TORN)) && return 0
	[[ -n $DK_DIR ]] || return 0
	DK_TORN=1
	local left i
	dk_stop_daemon
	for ((i = 0; i < 20; i++)); do
		left=$(dk_leftover_pids | paste -sd, -)
		[[ -z $left ]] && break
		sleep 0.1
	done
	if [[ -n $left ]]; then
		fail "teardown: processes left after dockerd exited:"
		ps -o pid,ppid,stat,args -p "$left" | indent || true
		# shellcheck disable=SC2046
		kill_pids $(tr ',' ' ' <<<"$left")
	else
		ok "teardown: no process of dockerd, containerd, the shims, the containers or the proxies left; its network namespace is gone"
	fi
	dk_rm_cgroups
	if ((!DK_ETC_DOCKER_BEFORE)) && [[ -e /etc/docker ]]; then
		fail "teardown: dockerd created /etc/docker on the host"
	fi
	rm -rf "$DK_DIR"
	DK_DIR=""
}
