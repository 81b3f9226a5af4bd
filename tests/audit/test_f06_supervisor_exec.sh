#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f06_supervisor_exec - the supervisor cannot run another program.
#
# Audit finding 6: the supervisor's filter allowed execveat() on the fixed
# descriptor SECCOMP_EXE_FD (64) with AT_EMPTY_PATH, for its children; a
# compromised supervisor could dup2() any file it opened onto 64 and exec
# it, or pass an absolute path, which execveat() resolves ignoring the
# descriptor.  Now a separate spawner process ("nsplice: spawner") holds
# the binary and execs the children; the supervisor's filter has no
# execve, execveat or clone at all.
#
# Structure, from the live processes (a fresh nsplice per attack, since a
# successful attack ends it):
#  - the tree has one "nsplice: spawner", and the relay and agents are the
#    supervisor's children (PPid), so reaping and pdeathsig are unchanged;
#  - the supervisor holds no descriptor of the nsplice binary; the
#    spawner holds exactly descriptors 2, 3 and 4 (log, channel, binary).
# Attacks, with gdb inside the supervisor (its filter applies):
#  1. openat("/bin/true"); dup2(it, 64); execveat(64, "", NULL, NULL,
#     AT_EMPTY_PATH) - the audit's attack;
#  2. execveat(64, "/bin/true", NULL, NULL, AT_EMPTY_PATH) - absolute path;
#  3. execve("/bin/true", NULL, NULL).
# Each must end with the supervisor killed by SIGSYS (nsplice's status
# 159), /proc/PID/exe never another program, and no process left.  On the
# code before the fix attacks 1 and 2 exec'd /bin/true (status 0) and the
# structure checks failed.  Last, killing the spawner stops nsplice with
# status 1 and leaves no process.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice

NS="nsp-$$-f06"
make_netns "$NS"
alloc_ports 23600 FPORT
EXE_FD=64
BIN=$(readlink -f "$NSPLICE")

# structure DESC - the spawner and the descriptors, see above.
structure() {
	local desc=$1 sp p fds
	sp=$(find_role spawner) || { fail "$desc: no nsplice: spawner"; nsplice_ps | indent; return; }
	ok "$desc: spawner is pid $sp"
	for p in $(find_role relay) $(find_role "agent host") $(find_role "agent target"); do
		if [[ $(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status") == "$NSP_PID" ]]; then
			ok "$desc: $(ps -o args= -p "$p") (pid $p) is the supervisor's child"
		else
			fail "$desc: pid $p is not the supervisor's child"
		fi
	done
	fds=$(find "/proc/$NSP_PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -c -F -x "$BIN" || true)
	if ((fds == 0)); then
		ok "$desc: the supervisor holds no descriptor of $BIN"
	else
		fail "$desc: the supervisor holds $fds descriptor(s) of $BIN"
	fi
	fds=$(find "/proc/$sp/fd" -mindepth 1 -printf '%f\n' 2>/dev/null | sort -n | paste -sd ' ' -)
	if [[ $fds == "2 3 4" && $(readlink "/proc/$sp/fd/4") == "$BIN" ]]; then
		ok "$desc: the spawner holds only its log, channel and binary (2 3 4)"
	else
		fail "$desc: the spawner holds descriptors '$fds'"
	fi
}

# attack N DESC GDB-CMD... - start nsplice, run the commands in the
# supervisor, expect it killed by SIGSYS.
attack() {
	local n=$1 desc=$2 out exe
	shift 2
	out=$TMPDIR_TEST/gdb-$n.out
	start_nsplice --wait 127.0.0.1 "$FPORT" "$TMPDIR_TEST/nsplice-$n.log" \
		--netns "$NS" -t "127.0.0.1/$FPORT:$FPORT" || return
	structure "$n"
	gdb_run "$NSP_PID" "$out" "$@"
	exe=$(readlink "/proc/$NSP_PID/exe" 2>/dev/null || true)
	if gdb_execed "$out" || [[ -n $exe && $exe != "$BIN" ]]; then
		fail "$n. $desc: the supervisor executed another program (${exe:-?})"
	fi
	if ! wait_nsplice_exit 10; then
		fail "$n. $desc: the supervisor survived the attack"
		grep -v '^\[' "$out" | tail -n 5 | indent
		stop_nsplice KILL 5 || true
	elif [[ $NSP_RC == 159 ]] && gdb_sigsys "$out"; then
		ok "$n. $desc: supervisor killed by seccomp (status 159)"
	else
		fail "$n. $desc: nsplice exited with status $NSP_RC, not 159 (SIGSYS)"
		grep -v '^\[' "$out" | tail -n 5 | indent
	fi
	assert_no_nsplice_procs "$n. no process left"
}

attack 1 "dup2(/bin/true, $EXE_FD) + execveat(\"\", AT_EMPTY_PATH)" \
	"set \$f = (long)syscall($SYS_openat, $AT_FDCWD, \"/bin/true\", $O_CLOEXEC)" \
	"call (long)syscall($SYS_dup2, \$f, $EXE_FD)" \
	"call (long)syscall($SYS_execveat, $EXE_FD, \"\", 0, 0, $AT_EMPTY_PATH)"
attack 2 "execveat($EXE_FD, \"/bin/true\", AT_EMPTY_PATH)" \
	"call (long)syscall($SYS_execveat, $EXE_FD, \"/bin/true\", 0, 0, $AT_EMPTY_PATH)"
attack 3 "execve(\"/bin/true\")" \
	"call (long)syscall($SYS_execve, \"/bin/true\", 0, 0)"

# 4. The spawner's end is fatal: nsplice stops with status 1, logs why (as
# the only error), and leaves no process (the children die with the
# supervisor).
if start_nsplice --wait 127.0.0.1 "$FPORT" "$TMPDIR_TEST/nsplice-4.log" \
	--netns "$NS" -t "127.0.0.1/$FPORT:$FPORT"; then
	if sp=$(find_role spawner); then
		kill -KILL "$sp"
		if ! wait_nsplice_exit 10; then
			fail "4. nsplice still running 10 s after its spawner was killed"
			stop_nsplice KILL 5 || true
		elif [[ $NSP_RC == 1 ]] && grep -q "spawner was killed by signal 9 (SIGKILL): stopping" "$NSP_LOG"; then
			ok "4. spawner killed: nsplice stopped with status 1 and said why"
			# The relay and agents end because their parent did: the
			# spawner is the one error ("agent host exited with
			# status 0" was logged as a second one).
			if [[ $(grep -c 'error:' "$NSP_LOG") == 1 ]]; then
				ok "4. the spawner's end is the only error logged"
			else
				fail "4. more than one error logged after the spawner's end"
				show_log "$NSP_LOG"
			fi
		else
			fail "4. spawner killed: nsplice exited with status $NSP_RC"
			show_log "$NSP_LOG"
		fi
	else
		fail "4. no nsplice: spawner"
	fi
	assert_no_nsplice_procs "4. no process left"
fi

finish
