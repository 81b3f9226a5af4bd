#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_status_relay_stopped - `ctl status` answers while the relay
# does not.
#
# nsplice --netns NS -t HP:PORT --control SOCK, an echo server in NS,
# three connections echoed (so the counters say accepted 3).  Then the
# relay is SIGSTOPped (a debugger, a wedged loop):
#  - `nsplice ctl SOCK status` answers within the client's 5 s, exit 0,
#    listing the relay as "not answering" and the counters last reported
#    (accepted 3) with their age, and the supervisor logs one warning;
#  - `status --json` gives the same, with the relay's state and a numeric
#    stats_age_ms;
# after SIGCONT:
#  - status lists the relay as "running" again, the supervisor says so,
#    and the forward still echoes.
# Why it matters: status is what an operator runs when traffic stops; a
# "timed out" there (what it answered before) hides which process hangs.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-stst"
CTL=$TMPDIR_TEST/ctl.sock
make_netns "$NS"
alloc_ports 27380 HP PORT

start_ns_server "$NS" "$TMPDIR_TEST/echo.log" echo-server "$PORT" --addr 127.0.0.1
start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" \
	-t "$HP:$PORT" || die "nsplice did not start"
check "three connections echo through -t $HP" \
	nstool concurrent 127.0.0.1 "$HP" 3 --timeout 10
# counters as the relay reports them once the connections are closed
for ((i = 0; i < 50; i++)); do
	timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		grep -q -E -- "-t 127\.0\.0\.1:$HP .* open 0  accepted 3 " && break
	sleep 0.1
done
RELAY=$(find_role relay) || die "no relay"

kill -STOP "$RELAY"
t0=$(date +%s%N)
out=$(timeout 10 "$NSPLICE" ctl "$CTL" status 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if ((rc == 0)) && grep -q -E "^  relay  pid $RELAY  not answering " <<<"$out"; then
	ok "status with the relay stopped: exit 0 after $ms ms, relay 'not answering'"
else
	fail "status with the relay stopped: exit $rc after $ms ms: $(indent <<<"$out")"
fi
if grep -q -E -- "-t 127\.0\.0\.1:$HP .* accepted 3 " <<<"$out" &&
	grep -q -E "counters [0-9]+ ms old" <<<"$out"; then
	ok "it shows the last counters (accepted 3) and their age: $(grep -o -E 'counters [0-9]+ ms old' <<<"$out")"
else
	fail "no last counters or age in the report: $(indent <<<"$out")"
fi
json=$(timeout 10 "$NSPLICE" ctl "$CTL" status --json 2>&1)
if "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
relay = [p for p in d["processes"] if p["name"] == "relay"]
assert relay and relay[0]["state"] == "not answering", relay
assert isinstance(d["stats_age_ms"], int) and d["stats_age_ms"] > 0, d
' "$json"; then
	ok "status --json: relay state 'not answering', stats_age_ms a number"
else
	fail "status --json with the relay stopped: $json"
fi
kill -CONT "$RELAY"

n=$(grep -c "relay: no answer to a status request" "$NSP_LOG")
((n == 1)) && ok "one warning logged for the stopped relay" ||
	fail "$n warnings for the stopped relay: $(indent <"$NSP_LOG")"
state=
for ((i = 0; i < 30; i++)); do
	state=$(timeout 10 "$NSPLICE" ctl "$CTL" status 2>/dev/null |
		sed -n -E "s/^  relay  pid $RELAY  ([a-z ]+)  restarts.*/\1/p")
	[[ $state == running ]] && break
	sleep 0.1
done
[[ $state == running ]] && ok "after SIGCONT the relay is 'running' again" ||
	fail "after SIGCONT the relay is '$state'"
grep -q "relay: answers status requests again" "$NSP_LOG" &&
	ok "the supervisor logs that the relay answers again" ||
	fail "no log line that the relay answers again"
check "-t $HP still echoes, from the same relay" \
	nstool concurrent 127.0.0.1 "$HP" 2 --timeout 10
[[ $(find_role relay) == "$RELAY" ]] || fail "the relay was replaced"

shutdown_nsplice 3
finish
