#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_live_auto - "-t auto" / "-T auto" follow what listens on the other side.
#
# Proves, with the scan running once a second:
#   -t auto        a server that starts listening in the namespace is
#                  forwarded from the host within 2 s (data round trip over
#                  127.0.0.1 and ::1); once it stops listening the host port
#                  is closed within 2 s and refuses new connections, while a
#                  connection opened through it before keeps working (round
#                  trip after the removal);
#   own listeners  the namespace listener of a static -T is never forwarded
#                  back to the host by -t auto;
#   -t R,auto      only ports of the listed range are forwarded, and only
#                  those that listen (the others of the range stay closed);
#   -t auto,~X     an excluded port is never forwarded, the others are;
#   -T auto        a host server appears in the namespace within 2 s and
#                  goes away within 2 s after it stops listening;
#   ctl re-add     an auto rule added with ctl after the only one was
#                  removed forwards what listens then, and not a port that
#                  closed in between;
#   agent restart  auto forwards whose ports still listen stay, and the
#                  new agent's inherited -T listener is not forwarded back;
#   ctl status     lists every auto rule, text and JSON, with its SPEC,
#                  source, allowed ports and the number it forwards: 0
#                  while nothing listens (the rule is in force all the
#                  same), 1 once a server listens, 0 again after it stops;
#                  a rule of the -c file, one with an exclusion, a UDP one;
#   ctl remove     of a port an auto rule forwards names the rule and how
#                  to stop it (for a -c file's rule: the file); a wrong
#                  SPEC for a rule names the rule's SPEC; the rule's SPEC
#                  as status lists it removes it.
# Why it matters: auto mode is what containers with changing services rely
# on; a missed port is an outage, a port kept after its service stopped is
# a door to whatever binds it next, a removal that kills open connections
# breaks clients, and forwarding nsplice's own listener makes a loop.  An
# auto rule that status did not show could not be seen to be in force,
# nor named to ctl remove, whose "not forwarded" for a port the rule
# forwarded pointed nowhere.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

# AUTO_MS - the specified bound for a port to appear or go away, ms
AUTO_MS=2000

NS="nsp-$$-lauto"
make_netns "$NS"
alloc_ports 14000 A TQ IN1 OUT1 EX1 KEEP1 HT HS ADD5 FA
alloc_range 14000 R 4
CTL=$TMPDIR_TEST/ctl.sock
CONF=$TMPDIR_TEST/auto.conf

# ctl_run ARGS... - nsplice ctl $CTL ARGS: stdout and stderr in CTL_OUT,
# exit status in CTL_RC.
ctl_run() {
	CTL_RC=0
	CTL_OUT=$(timeout 10 "$NSPLICE" ctl "$CTL" "$@" 2>&1) || CTL_RC=$?
}

# expect_status DESC REGEX - ok if a line of `ctl status` matches REGEX
# (ERE, whole line).
expect_status() {
	ctl_run status
	if ((CTL_RC == 0)) && grep -q -E -x -- "$2" <<<"$CTL_OUT"; then
		ok "$1"
	else
		fail "$1: status (exit $CTL_RC) has no line matching '$2'"
		indent <<<"$CTL_OUT"
	fi
}

# expect_auto_json DESC SPEC KEY=VALUE... - ok if `ctl status --json` has
# exactly one auto rule with SPEC, whose KEYs have these values (compared
# as text).
expect_auto_json() {
	local desc=$1 spec=$2 out rc=0
	shift 2
	out=$(timeout 10 "$NSPLICE" ctl "$CTL" status --json 2>&1 | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = [a for a in d["auto_rules"] if a["spec"] == sys.argv[1]]
if len(r) != 1:
    sys.exit("%d rules with SPEC %s: %s" % (len(r), sys.argv[1], d["auto_rules"]))
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    if str(r[0].get(k)) != v:
        sys.exit("%s is %r, expected %s: %s" % (k, r[0].get(k), v, r[0]))
' "$spec" "$@" 2>&1) || rc=$?
	if ((rc == 0)); then
		ok "$desc"
	else
		fail "$desc"
		indent <<<"$out"
	fi
}

# expect_refused DESC TEXT ARGS... - ok if `ctl ARGS` exits 1 with TEXT
# (fixed string) in its message.
expect_refused() {
	local desc=$1 text=$2
	shift 2
	ctl_run "$@"
	if ((CTL_RC == 1)) && grep -q -F -- "$text" <<<"$CTL_OUT"; then
		ok "$desc"
	else
		fail "$desc: exit $CTL_RC, expected 1 and \"$text\""
		indent <<<"$CTL_OUT"
	fi
}

# lt_server NETNS PORT LOG - livetool echo-server (SIGUSR1 stops it
# listening) on 127.0.0.1 and ::1 of NETNS ("" for the host); waits until it
# listens; LT_PID is the server itself (BG_PID, its timeout wrapper, would
# not pass SIGUSR1 on).
lt_server() {
	local ns=$1 port=$2 log=$3 i
	local argv=(timeout -k 2 "$LIFETIME" "$PY" "$LIVETOOL" echo-server
		"$port" "$LIFETIME" 127.0.0.1 ::1)
	if [[ -n $ns ]]; then
		start_bg "$log" ip netns exec "$ns" "${argv[@]}"
	else
		start_bg "$log" "${argv[@]}"
	fi
	for ((i = 0; i < 100; i++)); do
		if grep -q '^listening' "$log" 2>/dev/null; then
			LT_PID=$(sed -n 's/^listening pid=//p' "$log")
			return 0
		fi
		pid_alive "$BG_PID" || break
		sleep 0.05
	done
	indent <"$log"
	die "server on port $port${ns:+ in $ns} did not start"
}

# lt_stop PID LOG - make the server stop listening (connections stay).
lt_stop() {
	kill -USR1 "$1"
	wait_line "$2" '^stopped listening' 5 || die "server $1 did not stop listening"
}

# wait_log REGEX SECONDS - wait until the nsplice log matches REGEX.
wait_log() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -q -E "$1" "$NSP_LOG" && return 0
		pid_alive "$NSP_PID" || return 1
		sleep 0.05
	done
	return 1
}

# expect_appears DESC PORT NETNS - ok if PORT listens within AUTO_MS.
expect_appears() {
	if wait_listen yes "$2" "$3" "$AUTO_MS"; then
		ok "$1: listening after $WAITED_MS ms"
	else
		fail "$1: not listening after $WAITED_MS ms (bound ${AUTO_MS} ms)"
		show_log "$NSP_LOG" 15
	fi
}

# expect_goes DESC PORT NETNS - ok if PORT stops listening within AUTO_MS.
expect_goes() {
	if wait_listen no "$2" "$3" "$AUTO_MS"; then
		ok "$1: closed after $WAITED_MS ms"
	else
		fail "$1: still listening after $WAITED_MS ms (bound ${AUTO_MS} ms)"
		show_log "$NSP_LOG" 15
	fi
}

# ---------------------------------------------------------------- run 1
# -t auto with a static -T beside it.
start_nsplice "$TMPDIR_TEST/run1.log" --netns "$NS" -t auto -T "$TQ" \
	--control "$CTL" || die "nsplice -t auto did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "nsplice -t auto never said it is forwarding"; }
if port_listening "$A"; then
	fail "-t auto: host port $A listens before anything listens on it in $NS"
else
	ok "-t auto: host port $A closed while nothing listens on it in $NS"
fi
AUTO_LINE='  -t auto  side host  source args  listen 127\.0\.0\.1,\[::1\]  allowed [0-9]+-65535'
expect_status "status: -t auto listed while no port matches it" \
	"$AUTO_LINE  forwarding 0"
expect_status "status: one auto rule" 'auto rules 1'
expect_auto_json "status --json: -t auto listed while no port matches it" \
	auto opt=t side=host protocol=tcp source=args forwarding=0

lt_server "$NS" "$A" "$TMPDIR_TEST/srvA.log"
SRV_A=$LT_PID
expect_appears "-t auto: namespace server on $A forwarded from the host" "$A" ""
expect_status "status: -t auto forwards the one port that listens" \
	"$AUTO_LINE  forwarding 1"
expect_auto_json "status --json: -t auto forwards 1 port" auto forwarding=1
expect_refused "ctl remove -t $A: names the auto rule that forwards it" \
	"-t $A is not forwarded: port $A belongs to the auto rule -t auto, which forwards it while it listens in the namespace (status lists it under auto rules); remove -t auto stops the whole rule, add -t auto,~$A then brings it back without the port" \
	remove -t "$A"
if port_listening "$A"; then
	ok "ctl remove -t $A refused: host port $A still forwarded"
else
	fail "ctl remove -t $A refused, yet host port $A is closed"
fi
for lo in 127.0.0.1 ::1; do
	check "-t auto: round trips via host $lo:$A reach the namespace server" \
		nstool concurrent "$lo" "$A" 4 --timeout 10 || show_log "$NSP_LOG" 10
done

TRIG=$TMPDIR_TEST/trigger-A
start_client "$TMPDIR_TEST/holdA.log" '^ready' "could not open a connection through host port $A" \
	30 hold 127.0.0.1 "$A" "$TRIG"
HOLD_A=$BG_PID

lt_stop "$SRV_A" "$TMPDIR_TEST/srvA.log"
expect_goes "-t auto: namespace server on $A stopped listening, host port" "$A" ""
check "-t auto: after the removal host port $A refuses new connections" \
	nstool expect-reset 127.0.0.1 "$A" || true
touch "$TRIG"
wait_done "$HOLD_A" 10
client_verdict "$DONE_RC" "$TMPDIR_TEST/holdA.log" \
	"-t auto: the connection opened before the removal still works after it" \
	"-t auto: the connection opened before the removal broke" 10
expect_status "status: -t auto forwards nothing again once $A stopped listening" \
	"$AUTO_LINE  forwarding 0"

# nsplice's own -T listener in the namespace must not come back as -t auto.
if port_listening "$TQ" "$NS"; then
	ok "-T $TQ listens in $NS (the listener -t auto must ignore)"
else
	fail "-T $TQ is not listening in $NS: the own-listener check below proves nothing"
fi
sleep 1.2   # at least one more scan after the -T listener was bound
if port_listening "$TQ"; then
	fail "-t auto forwarded nsplice's own -T listener $TQ back to the host"
	ss -Hltnp "sport = :$TQ" | indent
else
	ok "-t auto does not forward nsplice's own -T listener $TQ back to the host"
fi
stop_checked "run 1: " any

# ---------------------------------------------------------------- run 2
# -t RANGE,auto restricts auto to the range; -T auto follows the host.
lt_server "$NS" $((R + 1)) "$TMPDIR_TEST/srvR1.log"
SRV_R1=$LT_PID
lt_server "$NS" "$OUT1" "$TMPDIR_TEST/srvOut.log"
start_nsplice "$TMPDIR_TEST/run2.log" --netns "$NS" \
	-t "$R-$((R + 3)),auto" -T auto || die "nsplice -t R,auto -T auto did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "run 2 never said it is forwarding"; }
expect_appears "-t $R-$((R + 3)),auto: namespace port $((R + 1)) in the range" $((R + 1)) ""
check "-t $R-$((R + 3)),auto: round trip via host port $((R + 1))" \
	nstool concurrent 127.0.0.1 $((R + 1)) 2 --timeout 10 || true
sleep 1.2   # one more scan: nothing else may have appeared meanwhile
if port_listening "$OUT1"; then
	fail "-t $R-$((R + 3)),auto forwarded namespace port $OUT1, outside the range"
else
	ok "-t $R-$((R + 3)),auto: namespace port $OUT1 (outside the range) not forwarded"
fi
for p in "$R" $((R + 2)) $((R + 3)); do
	if port_listening "$p"; then
		fail "-t $R-$((R + 3)),auto: host port $p listens, nothing listens on it in $NS"
	else
		ok "-t $R-$((R + 3)),auto: host port $p (not listening in $NS) stays closed"
	fi
done

lt_server "" "$HT" "$TMPDIR_TEST/srvHT.log"
SRV_HT=$LT_PID
expect_appears "-T auto: host server on $HT forwarded into $NS" "$HT" "$NS"
check "-T auto: round trip from $NS via its 127.0.0.1:$HT to the host server" \
	nstool_in "$NS" concurrent 127.0.0.1 "$HT" 2 --timeout 10 || true
lt_stop "$SRV_HT" "$TMPDIR_TEST/srvHT.log"
expect_goes "-T auto: host server on $HT stopped listening, namespace port" "$HT" "$NS"
lt_stop "$SRV_R1" "$TMPDIR_TEST/srvR1.log"
expect_goes "-t $R-$((R + 3)),auto: namespace port $((R + 1)) stopped, host port" $((R + 1)) ""
stop_checked "run 2: " any

# ---------------------------------------------------------------- run 3
# -t auto,~X never forwards X.
lt_server "$NS" "$EX1" "$TMPDIR_TEST/srvEx.log"
SRV_EX=$LT_PID
lt_server "$NS" "$KEEP1" "$TMPDIR_TEST/srvKeep.log"
start_nsplice "$TMPDIR_TEST/run3.log" --netns "$NS" -t "auto,~$EX1" ||
	die "nsplice -t auto,~$EX1 did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "run 3 never said it is forwarding"; }
expect_appears "-t auto,~$EX1: namespace port $KEEP1 forwarded" "$KEEP1" ""
check "-t auto,~$EX1: round trip via host port $KEEP1" \
	nstool concurrent 127.0.0.1 "$KEEP1" 2 --timeout 10 || true
sleep 1.2
if port_listening "$EX1"; then
	fail "-t auto,~$EX1 forwarded the excluded port $EX1"
else
	ok "-t auto,~$EX1: excluded port $EX1 not forwarded although it listens in $NS"
fi
check "-t auto,~$EX1: host port $EX1 refuses connections" \
	nstool expect-reset 127.0.0.1 "$EX1" || true
if grep -q -E '^\[[a-z ]+\] error: ' "$NSP_LOG"; then
	fail "run 3: the log has errors"
	grep -E '^\[[a-z ]+\] error: ' "$NSP_LOG" | head -n 5 | indent
else
	ok "run 3: no error in the log"
fi
stop_checked "run 3: "

# ---------------------------------------------------------------- run 4
# An auto rule added with ctl after the last one was removed: the scan is
# turned off and on again, and the supervisor must learn the ports afresh
# (before, the second rule forwarded nothing until some port changed, and
# a port that closed in between would have been taken as listening).
start_nsplice "$TMPDIR_TEST/run4.log" --netns "$NS" -T "$TQ" --control "$CTL" ||
	die "run 4: nsplice did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "run 4 never said it is forwarding"; }
RULE="auto,$KEEP1,$EX1"
check "run 4: ctl add -t $RULE" timeout 10 "$NSPLICE" ctl "$CTL" add -t "$RULE"
expect_appears "run 4: first -t $RULE: port $KEEP1 forwarded" "$KEEP1" ""
expect_appears "run 4: first -t $RULE: port $EX1 forwarded" "$EX1" ""
check "run 4: ctl remove -t $RULE" timeout 10 "$NSPLICE" ctl "$CTL" remove -t "$RULE"
expect_goes "run 4: rule removed: port $KEEP1" "$KEEP1" ""
expect_goes "run 4: rule removed: port $EX1" "$EX1" ""
if wait_log "port $KEEP1 listens in the namespace, but its rule is gone: forward removed" 5; then
	ok "run 4: the log says the rule went, not the port"
else
	fail "run 4: no 'listens ..., but its rule is gone' line for port $KEEP1"
	show_log "$NSP_LOG" 10
fi
# Nothing listens or stops listening meanwhile: the agent's scan sees no
# change, yet the rule must find what listens
check "run 4: ctl add -t $RULE again" timeout 10 "$NSPLICE" ctl "$CTL" add -t "$RULE"
expect_appears "run 4: -t $RULE added again, no port changed: port $KEEP1 forwarded" "$KEEP1" ""
expect_appears "run 4: -t $RULE added again, no port changed: port $EX1 forwarded" "$EX1" ""
check "run 4: round trip via host port $KEEP1 after the re-add" \
	nstool concurrent 127.0.0.1 "$KEEP1" 2 --timeout 10 || true
check "run 4: ctl remove -t $RULE, second time" timeout 10 "$NSPLICE" ctl "$CTL" remove -t "$RULE"
expect_goes "run 4: rule removed again: port $KEEP1" "$KEEP1" ""
lt_stop "$SRV_EX" "$TMPDIR_TEST/srvEx.log"
check "run 4: ctl add -t $RULE a third time" timeout 10 "$NSPLICE" ctl "$CTL" add -t "$RULE"
expect_appears "run 4: third -t $RULE: port $KEEP1 forwarded" "$KEEP1" ""
sleep 1.2
if port_listening "$EX1"; then
	fail "run 4: port $EX1, which stopped listening while no auto rule ran, is forwarded"
else
	ok "run 4: port $EX1 stopped listening while no auto rule ran: not forwarded"
fi
stop_checked "run 4: "

# ---------------------------------------------------------------- run 5
# A restarted agent.  -t auto,KEEP1,HS forwards KEEP1 (a namespace server); -T
# auto,HS forwards a host server on 127.0.0.1:HS into the namespace, where
# nsplice's own listener then sits on HS.  The target agent is killed; the
# moment the supervisor says it restarted, a ctl add makes the table be
# worked out again, before the new agent's first report.  Proves: the
# auto forward on KEEP1 stays (its listening socket never goes: checked
# every 20 ms for 3 s), with no "no longer listens" line; and the new
# agent, which does not know the -T listener it inherited, does not get
# HS forwarded back to the host ([::1]:HS, free on the host, stays free:
# that would be a loop).
start_ns_server "" "$TMPDIR_TEST/hostHS.log" echo-server "$HS" --addr 127.0.0.1
wait_port 127.0.0.1 "$HS" || die "run 5: host server on $HS did not start"
start_nsplice "$TMPDIR_TEST/run5.log" --netns "$NS" -t "auto,$KEEP1,$HS" \
	-T "auto,$HS" --control "$CTL" || die "run 5: nsplice did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "run 5 never said it is forwarding"; }
expect_appears "run 5: -t auto: port $KEEP1 forwarded" "$KEEP1" ""
expect_appears "run 5: -T auto: host port $HS forwarded into the namespace" "$HS" "$NS"
AGT=$(find_role 'agent target') || die "run 5: no target agent"
kill -KILL "$AGT"
wait_log 'agent target restarted' 5 || { show_log "$NSP_LOG"; die "run 5: the agent was not restarted"; }
timeout 10 "$NSPLICE" ctl "$CTL" add -t "$ADD5:$KEEP1" >/dev/null 2>&1 ||
	fail "run 5: ctl add -t $ADD5:$KEEP1 right after the restart failed"
gone=0
for ((i = 0; i < 150; i++)); do
	port_listening "$KEEP1" || gone=$((gone + 1))
	sleep 0.02
done
((gone == 0)) && ok "run 5: -t auto forward on $KEEP1 kept across the agent's restart" ||
	fail "run 5: -t auto forward on $KEEP1 was missing $gone times in 3 s after the agent's restart"
if grep -q "port $KEEP1 no longer listens" "$NSP_LOG"; then
	fail "run 5: the log says port $KEEP1 stopped listening; it never did"
else
	ok "run 5: no false 'no longer listens' line for $KEEP1"
fi
if ss -Hltn "sport = :$HS" | grep -q '\[::1\]'; then
	fail "run 5: host [::1]:$HS listens: nsplice's own -T listener was forwarded back (a loop)"
	show_log "$NSP_LOG" 10
else
	ok "run 5: nsplice's own -T listener on $HS is not forwarded back to the host"
fi
stop_checked "run 5: "

# ---------------------------------------------------------------- run 6
# Auto rules of every kind in status while nothing they allow listens: one
# from the -c file, one with an exclusion, a UDP one; and what ctl remove
# says about a file's rule.  Nothing listens on FA anywhere.
write_conf "tcp-ports = auto,$FA"
start_nsplice "$TMPDIR_TEST/run6.log" --netns "$NS" -c "$CONF" \
	-T "auto,~$HT" -u auto --control "$CTL" || die "run 6: nsplice did not start"
wait_log '^\[supervisor\] forwarding .*; ready$' 5 || { show_log "$NSP_LOG"; die "run 6 never said it is forwarding"; }
expect_status "run 6: three auto rules" 'auto rules 3'
expect_status "run 6: the -c file's -t auto,$FA listed, forwarding nothing" \
	"  -t auto,$FA  side host  source file  listen 127\.0\.0\.1,\[::1\]  allowed $FA  forwarding 0"
expect_status "run 6: -T auto,~$HT listed with the hole at $HT" \
	"  -T auto,~$HT  side namespace  source args  listen 127\.0\.0\.1,\[::1\]  allowed [0-9]+-$((HT - 1)),$((HT + 1))-65535  forwarding [0-9]+"
read -r EPH_LO EPH_HI </proc/sys/net/ipv4/ip_local_port_range
EPH_REST=""
((EPH_HI < 65535)) && EPH_REST=",$((EPH_HI + 1))-65535"
expect_status "run 6: -u auto listed without the ephemeral range $EPH_LO-$EPH_HI" \
	"  -u auto  side host  source args  listen 127\.0\.0\.1,\[::1\]  allowed [0-9]+-$((EPH_LO - 1))$EPH_REST  forwarding [0-9]+"
expect_auto_json "run 6: status --json: the file's rule" "auto,$FA" \
	opt=t source=file allowed="$FA" forwarding=0
expect_auto_json "run 6: status --json: the UDP rule" auto opt=u protocol=udp
expect_refused "run 6: ctl remove -t $FA names the file's rule and the file" \
	"-t $FA is not forwarded: port $FA belongs to the auto rule -t auto,$FA, which forwards it while it listens in the namespace (status lists it under auto rules); the rule is the -c file's: make it auto,$FA,~$FA there and reload" \
	remove -t "$FA"
expect_refused "run 6: ctl remove -t auto names the rule's SPEC" \
	"-t auto is not forwarded: the -t auto rule is -t auto,$FA (give the SPEC as status lists it under auto rules)" \
	remove -t auto
check "run 6: ctl remove -t auto,$FA, as status lists it" \
	timeout 10 "$NSPLICE" ctl "$CTL" remove -t "auto,$FA"
expect_status "run 6: two auto rules after the removal" 'auto rules 2'
stop_checked "run 6: "
finish
