#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_fault_inject - system calls of the relay fail on purpose.
#
# strace attaches to the running relay (root may ptrace it although it is
# non-dumpable) and makes one call fail with `-e inject=CALL:error=E:when=N`
# while framed transfers run.  strace injects an error by turning the call
# into syscall -1 and the relay's seccomp filter kills it for that (case
# 0 proves it: the relay dies by SIGSYS), so the other cases start nsplice
# with --sandbox=log: every other layer of the relay's sandbox stays.
# Proves, one fresh nsplice per case:
#  0. enforce mode: the injected call kills the relay by seccomp and the
#     supervisor says so (no fault injection gets past the filter);
#  1. splice() EIO on every 97th call from the 300th, 50 transfers: one
#     flow fails per injected error, and its client sees a reset (not a
#     clean EOF, which would pass for the end of the data); the rest
#     complete intact;
#  2. splice() EINTR on every 50th call: all 50 complete (EINTR retried);
#  3. accept4() ECONNABORTED once: all complete;
#  4. accept4() ENETDOWN once: all complete - accept(2) says to treat the
#     network errors it passes on (ENETDOWN, EPROTO, EHOSTUNREACH...) like
#     EAGAIN; the listener must not be given up;
#  5. accept4() EMFILE once: all complete (listener paused, re-armed);
#  6. pipe2() ENFILE on the first pipe, 50 transfers: all complete;
#  7. pipe2() ENFILE on the very first pipe, one lone transfer: it still
#     completes within 5 s (nothing else will wake the relay);
#  8. recvmsg() EIO on a channel: the relay logs the channel and the
#     error; on the supervisor's channel the relay exits and the supervisor
#     records it, on an agent's channel the relay cuts off only that agent
#     (same relay pid) and the supervisor restarts the agent; either way
#     nsplice stops with status 1 within 5 s or serves again: it never
#     hangs.
# In every case the relay idles afterwards (no spin) where it survives.
# Why it matters: each call fails for real under memory or descriptor
# pressure; one failure must cost at most its own connection.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice
command -v strace >/dev/null || die "strace is not installed (packaging/install-deps.sh --test)"

NS="nsp-$$-fault"
make_netns "$NS"
alloc_ports 31900 HX X
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"
FIG=""

# traced - true once the relay has a tracer.
traced() { [[ $(awk '$1 == "TracerPid:" { print $2 }' "/proc/$RELAY/status" 2>/dev/null) != 0 ]]; }

# fault_start N SANDBOX SPEC - start nsplice (--sandbox SANDBOX) and strace
# on its relay injecting SPEC; sets RELAY, STRACE_PID, STRACE_LOG.
fault_start() {
	local n=$1 sb=$2 spec=$3
	# No --wait: a probe connection would leave a pipe in the relay's
	# idle pool, and the pipe2() cases need the relay to have none.
	start_nsplice "$TMPDIR_TEST/nsplice-$n.log" \
		--sandbox "$sb" --netns "$NS" -t "$HX:$X" || return 1
	listening() { port_listening "$HX" && [[ -n $(relay_pid) ]]; }
	wait_until 5 listening || { fail "case $n: port $HX not listening"; return 1; }
	nsplice_snapshot
	RELAY=$(relay_pid)
	STRACE_LOG=$TMPDIR_TEST/strace-$n.log
	start_bg "$TMPDIR_TEST/strace-$n.err" timeout -k 2 60 strace -qq -p "$RELAY" \
		-e trace="${spec%%:*}" -e inject="$spec" -o "$STRACE_LOG"
	STRACE_PID=$BG_PID
	wait_until 3 traced || { fail "case $n: strace did not attach to relay $RELAY"; return 1; }
}

# fault_end N - stop strace; count injections into INJ.
fault_end() {
	kill_pids "$STRACE_PID"
	INJ=$(grep -c 'INJECTED' "$STRACE_LOG" 2>/dev/null || true)
}

# fault_case N DESC SPEC CONNS MAXSIZE WANT-FAILED - run CONNS transfers
# under SPEC; exactly WANT-FAILED transfers must fail ("inj": one per
# injected error), each with a reset.
fault_case() {
	local n=$1 desc=$2 spec=$3 conns=$4 max=$5 want=$6 out failed rst cpu
	fault_start "$n" log "$spec" || { fail "case $n: no nsplice"; return; }
	out=$(hostile load 127.0.0.1 "$HX" --conns "$conns" --min-size 64K \
		--max-size "$max" --pause-ms 5 --seed "$n" --timeout 8) || true
	fault_end
	((INJ >= 1)) || fail "case $n ($desc): strace injected nothing"
	[[ $want == inj ]] && want=$INJ
	failed=$(jget "$out" failed)
	rst=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("reset", 0))' "$(jget "$out" kinds)")
	if [[ $(jget "$out" corrupt) == 0 && $failed == "$want" && $rst == "$want" ]]; then
		ok "case $n ($desc, $INJ injected): $(jget "$out" ok) ok, $failed failed with a reset (want $want)"
	else
		fail "case $n ($desc, $INJ injected): $(jget "$out" kinds), want $want failed, each with a reset"
		grep -E 'warning|error' "$NSP_LOG" | head -n 5 | indent
	fi
	FIG="$FIG; $n:$desc inj=$INJ $(jget "$out" kinds)"
	if pid_alive "$RELAY"; then
		cpu=$(idle_cpu_pct "$RELAY" 1)
		((cpu <= 5)) && ok "case $n: relay idles afterwards (${cpu}%)" ||
			fail "case $n: relay uses ${cpu}% CPU afterwards"
		out=$(hostile load 127.0.0.1 "$HX" --conns 4 --up 256K --down 256K --timeout 5) || true
	else
		fail "case $n: the relay died"
		show_log "$NSP_LOG" 5
	fi
	stop_nsplice TERM 3 || fail "case $n: SIGTERM: nsplice still running after 3 s"
	assert_no_nsplice_procs "case $n: no nsplice process left" || true
}

# Case 0: enforce mode.
if fault_start 0 enforce "splice:error=EIO:when=20"; then
	hostile load 127.0.0.1 "$HX" --conns 10 --up 1M --down 1M --timeout 10 >/dev/null || true
	fault_end
	if wait_until 5 grep -q -E "relay \(pid $RELAY\) was killed by seccomp \(SIGSYS\)" "$NSP_LOG"; then
		ok "case 0: enforce mode: the injected call killed the relay by seccomp, and the supervisor said so"
	else
		fail "case 0: enforce mode: no 'killed by seccomp' for relay $RELAY"
		show_log "$NSP_LOG" 5
	fi
	# With restarts nsplice goes on with a new relay; without, it stopped.
	if ! wait_nsplice_exit 1; then
		stop_nsplice TERM 3 || fail "case 0: SIGTERM: nsplice still running after 3 s"
	fi
	assert_no_nsplice_procs "case 0: no nsplice process left" || true
fi

fault_case 1 "splice EIO" "splice:error=EIO:when=300+97" 50 2M inj
fault_case 2 "splice EINTR" "splice:error=EINTR:when=50+50" 50 2M 0
fault_case 3 "accept4 ECONNABORTED" "accept4:error=ECONNABORTED:when=5" 50 2M 0
fault_case 4 "accept4 ENETDOWN" "accept4:error=ENETDOWN:when=10" 50 2M 0
fault_case 5 "accept4 EMFILE" "accept4:error=EMFILE:when=10" 50 2M 0
fault_case 6 "pipe2 ENFILE" "pipe2:error=ENFILE:when=1" 50 2M 0
fault_case 7 "first pipe2 ENFILE, lone flow" "pipe2:error=ENFILE:when=1" 1 1M 0

# Case 8: recvmsg() on a channel.
if fault_start 8 log "recvmsg:error=EIO:when=2"; then
	hostile load 127.0.0.1 "$HX" --conns 20 --up 64K --down 64K --timeout 10 >/dev/null || true
	fault_end
	CH8=""
	if wait_until 5 grep -q -E '^\[relay\] error: (supervisor|agent host|agent target): (receive failed: )?Input/output error' "$NSP_LOG"; then
		ok "case 8 (recvmsg EIO, $INJ injected): relay logged: $(grep -E '^\[relay\] error: ' "$NSP_LOG" | head -n1)"
		CH8=$(grep -o -E '^\[relay\] error: (supervisor|agent host|agent target)' "$NSP_LOG" | head -n1)
		CH8=${CH8#\[relay\] error: }
	else
		fail "case 8 (recvmsg EIO, $INJ injected): no relay error line naming the channel"
		show_log "$NSP_LOG" 5
	fi
	if [[ $CH8 == supervisor ]]; then
		wait_until 5 grep -q -E "relay \(pid $RELAY\) exited with status 1" "$NSP_LOG" &&
			ok "case 8: the supervisor recorded the relay's exit" ||
			fail "case 8: the supervisor did not record the relay's exit"
	elif [[ -n $CH8 ]]; then
		if wait_until 5 grep -q -E "$CH8 restarted" "$NSP_LOG" &&
			! grep -q -E "relay \(pid $RELAY\) exited" "$NSP_LOG"; then
			ok "case 8: $CH8 restarted, the relay (pid $RELAY) went on"
		else
			fail "case 8: expected $CH8 restarted and the relay alive"
			show_log "$NSP_LOG" 8
		fi
	fi
	if wait_nsplice_exit 5; then
		[[ $NSP_RC == 1 ]] && ok "case 8: nsplice stopped with status 1" ||
			fail "case 8: nsplice stopped with status $NSP_RC, expected 1"
	else
		out=$(hostile load 127.0.0.1 "$HX" --conns 4 --up 64K --down 64K --timeout 10) || true
		load_ok "case 8: nsplice serves again" "$out" || true
		stop_nsplice TERM 3 || fail "case 8: SIGTERM: nsplice still running"
	fi
	assert_no_nsplice_procs "case 8: no nsplice process left"
	FIG="$FIG; 8:recvmsg EIO inj=$INJ exit=${NSP_RC:-running}"
fi
figure "${FIG#; }"
finish
