# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# sandbox.sh - helpers of the test_sandbox_*.sh integration tests.
#
# Source it after common.sh.  Every check reads a property from a running
# process (/proc/PID/status, limits, fd, root, ns) and records ok/fail with
# the evidence; nothing here changes the process it looks at.

# CAP_NET_BIND_SERVICE_MASK - the one capability an agent may keep
CAP_NET_BIND_SERVICE_MASK=0000000000000400

# status_field PID FIELD - value of FIELD in /proc/PID/status.
status_field() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null
}

# check_status DESC PID FIELD WANT - ok if FIELD of /proc/PID/status is WANT.
check_status() {
	local got
	got=$(status_field "$2" "$3")
	if [[ $got == "$4" ]]; then
		ok "$1: $3 is $4"
	else
		fail "$1: $3 is '${got:-missing}', expected $4"
	fi
}

# check_caps DESC PID [MASK] - CapPrm, CapEff, CapBnd equal MASK (default
# all zero); CapInh and CapAmb are zero.
check_caps() {
	local desc=$1 pid=$2 mask=${3:-0000000000000000} f
	for f in CapPrm CapEff CapBnd; do
		check_status "$desc" "$pid" "$f" "$mask"
	done
	for f in CapInh CapAmb; do
		check_status "$desc" "$pid" "$f" 0000000000000000
	done
}

# check_locked DESC PID - NoNewPrivs 1 and a seccomp filter (mode 2).
check_locked() {
	check_status "$1" "$2" NoNewPrivs 1
	check_status "$1" "$2" Seccomp 2
}

# check_uid DESC PID UID - real, effective, saved and fs uid are all UID.
check_uid() {
	local got
	got=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$2/status")
	if [[ $got == "$3 $3 $3 $3" ]]; then
		ok "$1: runs as uid $3 (real, effective, saved, fs)"
	else
		fail "$1: Uid line is '$got', expected uid $3 four times"
	fi
}

# check_ns_differs DESC PID NS OTHER-LINK WHAT - /proc/PID/ns/NS is not
# OTHER-LINK (e.g. "net:[4026531840]").
check_ns_differs() {
	local got
	got=$(readlink "/proc/$2/ns/$3" 2>/dev/null)
	if [[ -n $got && $got != "$4" ]]; then
		ok "$1: $3 namespace $got differs from the $5's ($4)"
	else
		fail "$1: $3 namespace '${got:-unreadable}' is the $5's ($4)"
	fi
}

# check_ns_same DESC PID NS OTHER-LINK WHAT - /proc/PID/ns/NS is OTHER-LINK.
check_ns_same() {
	local got
	got=$(readlink "/proc/$2/ns/$3" 2>/dev/null)
	if [[ $got == "$4" ]]; then
		ok "$1: $3 namespace is the $5's"
	else
		fail "$1: $3 namespace '${got:-unreadable}' is not the $5's ($4)"
	fi
}

# check_relay_namespaces DESC PID TARGET-NETNS-LINK [USERNS-LINK] - every
# namespace the relay creates differs from ours; its netns also from the
# target's.  With USERNS-LINK (no user namespaces available), its user
# namespace must be that one: nsplice's own.
check_relay_namespaces() {
	local desc=$1 pid=$2 target=$3 ns
	for ns in net mnt ipc uts; do
		check_ns_differs "$desc" "$pid" "$ns" "$(readlink /proc/self/ns/$ns)" host
	done
	check_ns_differs "$desc" "$pid" net "$target" target
	if [[ -n ${4:-} ]]; then
		check_ns_same "$desc" "$pid" user "$4" "supervisor"
	else
		check_ns_differs "$desc" "$pid" user "$(readlink /proc/self/ns/user)" host
	fi
}

# check_empty_root DESC PID - the root directory of PID holds no entry
# and cannot be written to.
check_empty_root() {
	local desc=$1 pid=$2 entries
	entries=$(ls -A "/proc/$pid/root/" 2>&1) || {
		fail "$desc: cannot list /proc/$pid/root: $entries"
		return
	}
	if [[ -z $entries ]]; then
		ok "$desc: its root directory is empty"
	else
		fail "$desc: its root directory holds: $(echo "$entries" | head -n 5 | paste -sd' ')"
	fi
	if touch "/proc/$pid/root/nsplice-probe" 2>/dev/null; then
		rm -f "/proc/$pid/root/nsplice-probe"
		fail "$desc: root (uid 0 outside) could create a file in its root"
	else
		ok "$desc: its root directory is read-only, even for root outside"
	fi
}

# check_relay_fds DESC PID - descriptors: 2 the log pipe, every other one
# a socket (channels, listeners, pool, flows), a pipe or the epoll
# instance: no file, no directory, no terminal, no other kind.  (0 and 1
# are closed at start, then reused by the relay's own descriptors.)
check_relay_fds() {
	local desc=$1 pid=$2 fd link bad=() n=0
	for fd in /proc/"$pid"/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		n=$((n + 1))
		case ${fd##*/}:$link in
		2:pipe:\[*\]) ;;
		2:*) bad+=("2 -> $link (must be the log pipe)") ;;
		*:socket:\[*\] | *:pipe:\[*\] | *:anon_inode:\[eventpoll\]) ;;
		*) bad+=("${fd##*/} -> $link") ;;
		esac
	done
	if ((${#bad[@]} == 0 && n > 0)); then
		ok "$desc: its $n descriptors are only the log pipe, sockets, pipes and its epoll"
	else
		fail "$desc: unexpected descriptors: ${bad[*]:-none at all}"
	fi
}

# check_limit DESC PID NAME WANT - soft and hard value of the limit NAME
# (as /proc/PID/limits spells it, e.g. "Max processes") are WANT.
check_limit() {
	local got
	got=$(awk -v n="$3" 'index($0, n) == 1 { s = substr($0, 27); split(s, a, " "); print a[1], a[2]; exit }' "/proc/$2/limits")
	if [[ $got == "$4 $4" ]]; then
		ok "$1: $3 is $4 (soft and hard)"
	else
		fail "$1: $3 is '$got', expected $4 $4"
	fi
}

# check_log DESC REGEX [LOG] - the nsplice log has a line matching REGEX.
check_log() {
	local log=${3:-$NSP_LOG} line
	if line=$(grep -m1 -E -e "$2" "$log"); then
		ok "$1: $line"
	else
		fail "$1: no log line matches /$2/"
		show_log "$log" 15
	fi
}

# relay_uid_expected - uid the relay must run as when nsplice is root.
relay_uid_expected() {
	id -u nsplice 2>/dev/null || id -u nobody
}

# find_command_pid REGEX - pid of the COMMAND (an nsplice descendant whose
# args match REGEX), waiting up to 5 s; empty if not found.
find_command_pid() {
	local i p
	# Bounded by WAIT_TIMEOUT: 20 polls a second.
	for ((i = 0; i < WAIT_TIMEOUT * 20; i++)); do
		p=$(for q in $(nsplice_pids); do
			ps -o pid=,args= -p "$q" 2>/dev/null; done |
			awk -v re="$1" '$0 ~ re { print $1; exit }') || true
		[[ -n $p ]] && break
		pid_alive "$NSP_PID" || break
		sleep 0.05
	done
	echo "$p"
}

# sandbox_test_start - the start of every test_sandbox_*.sh: root and the
# binary are needed; the unprivileged test user exists and has its own
# readable copy of the binary and nstool.py (USER_NSPLICE, USER_NSTOOL).
sandbox_test_start() {
	need_root
	need_nsplice
	ensure_test_user
	user_copy_binary
}
