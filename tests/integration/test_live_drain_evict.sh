#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_drain_evict - a replaced relay evicted from the draining set
# is killed, even one that ignores being told to stop.
#
# nsplice --netns NS -t A:P --control CTL, an echo server on P in NS.  The
# first relay R1 is stopped (SIGSTOP: it reads nothing, like a
# compromised relay that ignores DRAIN and the end of its channel, and
# keeps its copy of A's listening socket).  Then five `ctl add -t Hk:Tk`,
# each with a new target port, so five new relays; before each of the
# last four a connection through A is held open, so each replaced relay
# R2..R5 has a flow and drains.  At the fifth, more than DRAIN_MAX (4)
# replaced relays have flows.  Proves:
#   - the supervisor says it kills the oldest, R1, and that its flows are
#     reset, and R1 is gone within 2 s;
#   - A removed (ctl remove) and added again binds at once: no old relay
#     holds its port ("address already in use" before);
#   - the connections held in R2..R5 still echo, and A serves.
# Why it matters: the oldest relay was "stopped" only by closing its
# channel and forgetting its pid; one that ignored that lived on with its
# listeners, and a reviewer could not add a removed port again.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

# REPLACEMENTS - DRAIN_MAX (supervisor/supervisor.h) plus one
REPLACEMENTS=5

NS="nsp-$$-devict"
make_netns "$NS"
alloc_ports 24660 A P
TCP_HOST=()
TCP_TARGET=()
for ((k = 0; k < REPLACEMENTS; k++)); do
	alloc_ports 24660 h t
	TCP_HOST+=("$h")
	TCP_TARGET+=("$t")
done
CTL=$TMPDIR_TEST/ctl.sock
TRIG=$TMPDIR_TEST/hold-trigger

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$P" --addr 127.0.0.1
wait_port 127.0.0.1 "$P" "$NS" || die "echo server in $NS did not start"
start_nsplice --wait 127.0.0.1 "$A" "$TMPDIR_TEST/nsplice.log" -v \
	--netns "$NS" --control "$CTL" -t "$A:$P" || die "nsplice did not start"
R1=$(find_role relay) || die "no relay process"
kill -STOP "$R1"
note "relay R1 (pid $R1) stopped"

HOLDS=()
for ((k = 0; k < REPLACEMENTS; k++)); do
	if ((k > 0)); then
		start_client "$TMPDIR_TEST/hold-$k.log" '^ready' \
			"no connection through $A before replacement $((k + 1))" \
			60 hold 127.0.0.1 "$A" "$TRIG"
		HOLDS+=("$BG_PID")
	fi
	# R1 does not answer the counters request: 2 s more the first time
	ctl_replace "$CTL" 10 -t "${TCP_HOST[k]}:${TCP_TARGET[k]}" ||
		{ show_log "$NSP_LOG" 20; die "change $((k + 1)) did not replace the relay"; }
done
ok "$REPLACEMENTS changes replaced the relay $REPLACEMENTS times"

line=$(grep -m1 'replaced relays still have flows' "$NSP_LOG" || true)
if [[ $line == *"killing the oldest (pid $R1)"*"reset"* ]]; then
	ok "the supervisor kills the oldest replaced relay: ${line#*] }"
else
	fail "no log line about killing the oldest replaced relay (pid $R1): '$line'"
	show_log "$NSP_LOG" 20
fi
for ((i = 0; i < 40; i++)); do
	pid_alive "$R1" || break
	sleep 0.05
done
if pid_alive "$R1"; then
	fail "the evicted relay R1 (pid $R1), which ignores its channel, still runs"
else
	ok "the evicted relay R1 (pid $R1) is gone although it ignored its channel"
fi

# Its copy of A's listening socket went with it: A can be bound again
timeout 15 "$NSPLICE" ctl "$CTL" remove -t "$A:$P" >"$TMPDIR_TEST/rm.out" 2>&1 ||
	fail "ctl remove -t $A:$P: $(cat "$TMPDIR_TEST/rm.out")"
if ! wait_listen no "$A" "" 2000; then
	fail "port $A still listens after ctl remove"
	ss -Hltnp "sport = :$A" | indent
fi
timeout 15 "$NSPLICE" ctl "$CTL" add -t "$A:$P" >"$TMPDIR_TEST/readd.out" 2>&1 || true
if grep -q -i 'in use' "$TMPDIR_TEST/readd.out"; then
	fail "ctl add -t $A:$P again: $(tr '\n' ' ' <"$TMPDIR_TEST/readd.out")"
else
	ok "ctl add -t $A:$P again binds at once ($(tr '\n' ' ' <"$TMPDIR_TEST/readd.out"))"
fi
check "A ($A -> $P) echoes again" nstool concurrent 127.0.0.1 "$A" 2 --timeout 10 || true

touch "$TRIG"
for ((k = 0; k < ${#HOLDS[@]}; k++)); do
	wait_done "${HOLDS[k]}" 15
	client_verdict "$DONE_RC" "$TMPDIR_TEST/hold-$((k + 1)).log" \
		"the connection held in replaced relay R$((k + 2)) still echoes" \
		"the connection held in replaced relay R$((k + 2)) did not survive" 15
done

shutdown_nsplice 5
finish
