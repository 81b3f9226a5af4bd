#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_udp_replace - replacing the relay loses no reply of a live UDP
# flow, and the replaced relays still finish.
#
# nsplice --netns NS -u HP:PORT --control CTL, a UDP echo server on PORT
# in NS.  One client flow (udptool.py rapid) sends numbered requests to
# HP, each as soon as the last reply is back, for RAPID_S seconds; from
# its second 2 on, REPLACEMENTS times, `ctl add -t Hk:Pk` with a TCP
# target port Pk the running relay may not connect to, so a new relay
# takes over each time and the old one drains.  Proves:
#   - every request was answered: no reply missing, none late;
#   - each change replaced the relay, and none had to stop an old relay
#     early ("more than ... replaced relays");
#   - a draining relay, while it still sends replies, does not spin (CPU
#     time over one second of its grace);
#   - every replaced relay exits, at the latest a few seconds after its
#     grace (udp.c UDP_DRAIN_GRACE_S), and the forward still answers.
# Why it matters: from the new relay's READY until DRAIN reaches the old
# one, both read the forward's socket; a request the old relay forwarded
# then was answered on its flow's socket, which DRAIN closed at once: 1
# or 2 replies lost in 6 of 11 replacements (adversarial review), where
# the README promised "nothing is lost".
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

# REPLACEMENTS - relay replacements during the client's run
REPLACEMENTS=5
# RAPID_S - how long the client runs, seconds: 2 s before the first
# change, 1.5 s between changes, 2 s after the last
RAPID_S=11
# GRACE_MAX_S - how long a replaced relay may live after its replacement:
# the UDP grace (5 s) and some slack
GRACE_MAX_S=9

NS="nsp-$$-udprepl"
make_netns "$NS"
alloc_ports 24630 HP PORT
TCP_HOST=()
TCP_TARGET=()
for ((k = 1; k <= REPLACEMENTS; k++)); do
	alloc_ports 24630 h t
	TCP_HOST+=("$h")
	TCP_TARGET+=("$t")
done
CTL=$TMPDIR_TEST/ctl.sock

# relay_pids - the pids of every relay process of this nsplice, sorted
relay_pids() {
	local p
	for p in $(nsplice_pids); do
		ps -o args= -p "$p" 2>/dev/null | grep -q '^nsplice: relay' &&
			echo "$p"
	done | sort -n
	return 0
}

# cpu_ticks PID - user plus system time of PID in clock ticks, or nothing
# (utime and stime: fields 12 and 13 after the command's closing paren)
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || true
}

start_udp_echo "$NS" 127.0.0.1 "$PORT"
start_nsplice "$TMPDIR_TEST/nsplice.log" -v --netns "$NS" --control "$CTL" \
	-u "$HP:$PORT" || die "nsplice did not start"
udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >/dev/null ||
	{ show_log "$NSP_LOG"; die "-u $HP:$PORT never answered"; }

start_bg "$TMPDIR_TEST/rapid.out" timeout -k 2 $((RAPID_S + 30)) "$PY" \
	"$UDPTOOL" rapid 127.0.0.1 "$HP" --duration "$RAPID_S"
RAPID=$BG_PID
wait_line "$TMPDIR_TEST/rapid.out" '^started' 10 ||
	{ indent <"$TMPDIR_TEST/rapid.out"; die "the client did not start"; }
sleep 2

replaced=0
LAST_OLD=""
for ((k = 0; k < REPLACEMENTS; k++)); do
	if ctl_replace "$CTL" 5 -t "${TCP_HOST[k]}:${TCP_TARGET[k]}"; then
		replaced=$((replaced + 1))
		# the relay that was current before this change
		LAST_OLD=$(grep -o -E 'old one \(pid [0-9]+' "$NSP_LOG" |
			tail -n1 | grep -o -E '[0-9]+$')
	fi
	sleep 1.5
done
if ((replaced == REPLACEMENTS)); then
	ok "$REPLACEMENTS changes with a new TCP target port each replaced the relay"
else
	fail "only $replaced of $REPLACEMENTS changes replaced the relay"
	show_log "$NSP_LOG" 20
fi

# The last replaced relay is in its grace now (replaced 1.5 s ago): it
# must not spin while its flow's socket and the forward's stay open
if [[ -n $LAST_OLD ]] && pid_alive "$LAST_OLD"; then
	t0=$(cpu_ticks "$LAST_OLD")
	sleep 1
	t1=$(cpu_ticks "$LAST_OLD")
	if [[ -n $t0 && -n $t1 ]] && ((t1 - t0 <= 10)); then
		ok "the draining relay (pid $LAST_OLD) used $((t1 - t0)) ticks in 1 s: it does not spin"
	elif [[ -n $t0 && -n $t1 ]]; then
		fail "the draining relay (pid $LAST_OLD) used $((t1 - t0)) ticks in 1 s: it spins"
	fi
else
	note "the last replaced relay (pid ${LAST_OLD:-?}) is gone already"
fi

wait_done "$RAPID" $((RAPID_S + 30))
res=$(grep '^requests' "$TMPDIR_TEST/rapid.out" || true)
if ((DONE_RC == 0)) && [[ $res =~ late\ 0$ ]]; then
	ok "no reply lost or late across $replaced relay replacements ($res)"
else
	fail "replies lost across relay replacements (exit $DONE_RC)"
	indent <"$TMPDIR_TEST/rapid.out"
	show_log "$NSP_LOG" 20
fi
if grep -q 'replaced relays still have flows' "$NSP_LOG"; then
	fail "an old relay was stopped early: $(grep -m1 'replaced relays' "$NSP_LOG")"
else
	ok "no replaced relay had to be stopped early"
fi

# Every replaced relay ends: one relay left within the grace and slack
for ((i = 0; i < GRACE_MAX_S * 20; i++)); do
	(($(relay_pids | wc -l) <= 1)) && break
	sleep 0.05
done
if (($(relay_pids | wc -l) == 1)); then
	ok "every replaced relay exited (one relay left: $(relay_pids))"
else
	fail "relays still running $GRACE_MAX_S s after the last replacement: $(relay_pids | paste -sd' ' -)"
	nsplice_ps | indent
fi
check "-u $HP:$PORT still answers" udptool client 127.0.0.1 "$HP" --sizes 10,1000 || true

shutdown_nsplice 3
finish
