#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_quiet_start - a successful start says what is forwarded where,
# and that it is ready, in at most two lines; the details wait for -v.
#
# Proves:
#  - default level, --netns: once the forward accepts, the whole output is
#    one line "[supervisor] forwarding -t P:Q to netns NAME; ready", and a
#    connection through it adds nothing;
#  - default level, COMMAND: the same, one line naming the command;
#  - -v: the start-up details (relay sandbox, flow table, pipes, the
#    configuration batch) are all still there, and the ready line too;
#  - `nsplice ctl status` still reports the forward and its target;
#  - several SPECs, each listening on IPv4 and IPv6: each is named once
#    (their listeners interleave by family, and the line once listed
#    "-u A, -u B, -u A, -u B");
#  - a SPEC longer than the line is shown by its start, not left out
#    ("forwarding  and 1 more").
# Why it matters: seven lines of internals on every start hide the one
# line a user needs, and teach operators to skip nsplice's output.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-uxq"
make_netns "$NS"
alloc_ports 31200 HP HC HV EPORT HM1 HM2 HM3 HM4
start_ns_server "$NS" "$TMPDIR_TEST/sink.log" sink-server "$EPORT" --addr 127.0.0.1
wait_port 127.0.0.1 "$EPORT" "$NS" || die "sink server in $NS did not start"

# user_view FILE - FILE without the line that --sandbox=log prints at every
# start (the suite-wide NSPLICE_TEST_SANDBOX_LOG run): what a user of an
# enforcing nsplice sees; written to FILE.user, whose name is printed
user_view() {
	grep -v -E '^\[supervisor\] warning: --sandbox=log: ' "$1" >"$1.user" || true
	printf '%s\n' "$1.user"
}

# wait_ready LOG - wait up to 5 s for the ready line in LOG
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'ready$' "$1" && return 0
		sleep 0.05
	done
	return 1
}

# settle - give late lines (relay, agents) time to arrive: 1 s
settle() { sleep 1; }

# one_ready_line DESC LOG REGEX - the log is exactly one line matching REGEX
one_ready_line() {
	local desc=$1 log re=$3 n
	log=$(user_view "$2")
	n=$(wc -l <"$log")
	if ((n <= 2)) && ((n >= 1)) && grep -q -E "$re" "$log" &&
		! grep -v -E "$re" "$log" | grep -q .; then
		ok "$desc: $n line: $(head -n1 "$log")"
	else
		fail "$desc: $n lines, expected the ready line alone"
		indent <"$log"
	fi
}

# 1. --netns at the default level
start_nsplice --wait 127.0.0.1 "$HP" "$TMPDIR_TEST/netns.log" \
	--netns "$NS" -t "$HP:$EPORT" --control "$TMPDIR_TEST/ctl.sock" ||
	die "nsplice did not start"
check "a round trip through the forward" nstool send 4096 127.0.0.1 "$HP"
settle
one_ready_line "--netns start" "$TMPDIR_TEST/netns.log" \
	"^\[supervisor\] forwarding -t $HP:$EPORT to netns [^ ]*$NS; ready\$"
if "$NSPLICE" ctl "$TMPDIR_TEST/ctl.sock" status >"$TMPDIR_TEST/status" 2>&1 &&
	grep -q -- "$HP" "$TMPDIR_TEST/status" && grep -q -- "$NS" "$TMPDIR_TEST/status"; then
	ok "ctl status still names the forward and the target"
else
	fail "ctl status lacks the forward or the target"
	indent <"$TMPDIR_TEST/status"
fi
stop_nsplice TERM 5 || fail "nsplice did not stop on SIGTERM"

# 2. COMMAND at the default level
start_nsplice "$TMPDIR_TEST/cmd.log" -t "$HC" -- sleep 30 ||
	die "nsplice (COMMAND) did not start"
wait_ready "$TMPDIR_TEST/cmd.log"
settle
one_ready_line "COMMAND start" "$TMPDIR_TEST/cmd.log" \
	"^\[supervisor\] forwarding -t $HC to command sleep .*; ready\$"
stop_nsplice TERM 5 || fail "nsplice (COMMAND) did not stop on SIGTERM"

# 3. -v: the details are still available
start_nsplice --wait 127.0.0.1 "$HV" "$TMPDIR_TEST/verbose.log" \
	-v --netns "$NS" -t "$HV:$EPORT" || die "nsplice -v did not start"
settle
for re in '^\[relay\] sandbox: ' '^\[relay\] flow table: ' '^\[relay\] pipes: ' \
	'^\[relay\] configuration: ' '^\[supervisor\] forwarding: ' \
	"^\[supervisor\] forwarding -t $HV:$EPORT to netns .*; ready\$"; do
	if grep -q -E "$re" "$TMPDIR_TEST/verbose.log"; then
		ok "-v shows $re"
	else
		fail "-v lacks $re"
	fi
done
(($(wc -l <"$TMPDIR_TEST/verbose.log") > 2)) ||
	fail "-v printed no more than the default level"
stop_nsplice TERM 5 || fail "nsplice -v did not stop on SIGTERM"

# 4. several SPECs on both families: each named once, in the ready line
start_nsplice --wait 127.0.0.1 "$HM1" "$TMPDIR_TEST/multi.log" --netns "$NS" \
	-t "$HM1:$EPORT" -t "$HM2:$EPORT" -u "$HM3:$EPORT" -u "$HM4:$EPORT" ||
	die "nsplice with four SPECs did not start"
wait_ready "$TMPDIR_TEST/multi.log"
settle
one_ready_line "four SPECs, IPv4 and IPv6 each" "$TMPDIR_TEST/multi.log" \
	"^\[supervisor\] forwarding -t $HM1:$EPORT, -t $HM2:$EPORT, -u $HM3:$EPORT, -u $HM4:$EPORT to netns [^ ]*$NS; ready\$"
stop_nsplice TERM 5 || fail "nsplice with four SPECs did not stop on SIGTERM"

# 5. a SPEC longer than the line: its start, not an empty list
alloc_range 31300 HL 120
long=$(seq -s, "$HL" $((HL + 119)))
start_nsplice "$TMPDIR_TEST/long.log" --netns "$NS" \
	-u "$HM4" -t "$long" || die "nsplice with a long SPEC did not start"
wait_ready "$TMPDIR_TEST/long.log"
settle
one_ready_line "a SPEC of 120 ports" "$TMPDIR_TEST/long.log" \
	"^\[supervisor\] forwarding -t $HL,$((HL + 1)),[0-9,]*\.\.\. and 1 more to netns [^ ]*$NS; ready\$"
stop_nsplice TERM 5 || fail "nsplice with a long SPEC did not stop on SIGTERM"

finish
