#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_cli_errors - bad command lines are refused cleanly.
#
# Proves: every kind of bad input (unknown option, malformed or
# out-of-range port SPEC, empty or overlapping ranges, repeated ports across
# options, forwards that send to each other (a forwarding loop, also
# into nsplice's own namespace), two targets, no target, unusable
# --netns path, bad --pid, bad
# --max-conns/--idle-timeout/--keepalive/--control values, "auto" misused,
# a config file that is missing, not a file, or has a bad line) makes
# nsplice exit with status 2 after printing exactly ONE line on stderr that
# names the option and/or the offending value, and leaves no process and no
# listening socket behind.  Also: --help exits 0 and documents every option,
# --version exits 0.
# Why it matters: scripts and service managers rely on exit status 2 to
# tell "you called me wrong" from runtime failures, humans need the one
# line to fix their call, and a half-started forwarder that leaks a
# listener or a namespace on bad input is a security and ops hazard.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-cli"
make_netns "$NS"
alloc_ports 21000 P1 P2
alloc_range 21000 R 12

# run_bad DESC REGEX CHECKPORTS ARGS... - run nsplice ARGS; expect exit 2,
# one stderr line matching REGEX (ERE, case-insensitive), no process left,
# none of CHECKPORTS (comma list, may be empty) listening afterwards.
run_bad() {
	local desc=$1 re=$2 ports=$3 rc=0 lines p tpid
	shift 3
	NSP_N=$((NSP_N + 1))
	NSP_TAG="$RUN_TAG-n$NSP_N"
	env "NSPLICE_TEST_TAG=$NSP_TAG" timeout -k 2 10 "$NSPLICE" "$@" \
		>"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null &
	tpid=$!
	cleanup_pid "$tpid"
	wait "$tpid" || rc=$?
	NSP_TPID=$tpid
	NSP_SEEN=()
	lines=$(wc -l <"$TMPDIR_TEST/err")
	if ((rc != 2)); then
		fail "$desc: exit status $rc, expected 2 (nsplice $*)"
		show_log "$TMPDIR_TEST/err" 5
	else
		ok "$desc: exit status 2"
	fi
	if [[ $lines == 1 ]] && grep -q -i -E -- "$re" "$TMPDIR_TEST/err"; then
		ok "$desc: one stderr line naming it: $(head -c 200 "$TMPDIR_TEST/err")"
	else
		fail "$desc: expected exactly one stderr line matching /$re/, got $lines line(s)"
		head -n 5 "$TMPDIR_TEST/err" | indent
	fi
	assert_no_nsplice_procs "$desc: no process left"
	IFS=, read -r -a plist <<<"$ports"
	for p in "${plist[@]}"; do
		if port_listening "$p"; then
			fail "$desc: port $p is listening afterwards"
			ss -Hltnp "sport = :$p" | indent
		fi
	done
}

T=(--netns "$NS")
run_bad "unknown option --bogus" '--bogus' "" --bogus "${T[@]}" -t "$P1"
run_bad "-t 70000 (port out of range)" '70000' "" "${T[@]}" -t 70000
run_bad "-t 0 (port 0)" '(-t|--tcp-ports).*\b0\b|\b0\b.*(-t|--tcp-ports)' "" "${T[@]}" -t 0
run_bad "-t N-M with N>M (empty range)" "$((R + 9))-$R" "$R" "${T[@]}" -t "$((R + 9))-$R"
run_bad "-t range map of different sizes" "$R-$((R + 9)):$((R + 10))-$((R + 11))" \
	"$R,$((R + 9))" "${T[@]}" -t "$R-$((R + 9)):$((R + 10))-$((R + 11))"
run_bad "-t N,N (overlap in one spec)" "$P1" "$P1" "${T[@]}" -t "$P1,$P1"
run_bad "-t N -t N (overlap across options)" "$P1" "$P1" "${T[@]}" -t "$P1" -t "$P1"
# forwards that send to each other's listeners: every datagram would come
# back as a new client (a UDP one circled at 100 % CPU for good)
run_bad "-u N -U N (a forwarding loop)" "-u \"$P1\" sends its clients to port $P1, where -U \"$P1\" listens.*forwarding loop" \
	"$P1" "${T[@]}" -u "$P1" -U "$P1"
run_bad "-t N:M -T M:N (a forwarding loop)" "forwarding loop" "$P1" "${T[@]}" -t "$P1:$P2" -T "$P2:$P1"
run_bad "-u N into nsplice's own namespace (a loop)" "own listener.*target namespace is nsplice's own" \
	"$P1" --netns /proc/self/ns/net -u "$P1"
run_bad "-t abc (not a port)" 'abc' "" "${T[@]}" -t abc
run_bad "-t '' (empty spec)" '(-t|--tcp-ports)' "" "${T[@]}" -t ''
run_bad "-T 70000 (port out of range)" '70000' "" "${T[@]}" -T 70000
run_bad "two targets (--netns and --pid)" '(--netns|--pid|target)' "$P2" \
	--netns "$NS" --pid 1 -t "$P2"
run_bad "no target" '(target|--netns|--pid|command)' "$P2" -t "$P2"
run_bad "--netns /nonexistent/x" '/nonexistent/x' "$P2" --netns /nonexistent/x -t "$P2"
run_bad "--pid 999999999 (no such process)" '999999999' "$P2" --pid 999999999 -t "$P2"
run_bad "--pid abc (not a pid)" 'abc' "$P2" --pid abc -t "$P2"

# New options: each bad value is one line naming option and value.
run_bad "--max-conns 0" '--max-conns "0": too small: expected 1 to 65536' \
	"$P2" "${T[@]}" -t "$P2" --max-conns 0
run_bad "--max-conns 70000" '--max-conns "70000": too large' "$P2" \
	"${T[@]}" -t "$P2" --max-conns 70000
run_bad "--idle-timeout 1h" '--idle-timeout "1h": not a number' "$P2" \
	"${T[@]}" -t "$P2" --idle-timeout 1h
run_bad "--keepalive 0" '--keepalive "0": IDLE too small' "$P2" \
	"${T[@]}" -t "$P2" --keepalive 0
run_bad "--keepalive 1,2,3,4" '--keepalive "1,2,3,4": more than three' \
	"$P2" "${T[@]}" -t "$P2" --keepalive 1,2,3,4
run_bad "--keepalive 60,10,200" '--keepalive "60,10,200": CNT too large' \
	"$P2" "${T[@]}" -t "$P2" --keepalive 60,10,200
run_bad "--control too long" '--control ".*": path too long \(200 bytes\)' \
	"$P2" "${T[@]}" -t "$P2" --control "/tmp/$(printf 'x%.0s' {1..195})"
run_bad "--max-conns without value" '--max-conns: missing value' "" \
	"${T[@]}" --max-conns
run_bad "-t auto,8080:80 (auto maps)" 'auto forwards a port to the same port' \
	"" "${T[@]}" -t "auto,$P1:80"
run_bad "-t auto,auto" '"auto" listed twice' "" "${T[@]}" -t auto,auto
run_bad "-t none,auto" '"none" must be the whole spec' "" "${T[@]}" -t none,auto
# A SPEC of 2,000 ports listed twice: the message quotes its start and
# keeps the reason (the whole SPEC once filled the message and cut it off)
LONG=$(seq -s, 20001 22000)
run_bad "-t LONG,LONG (2,000 ports, twice)" \
	'-t "20001,20002,.*\.\.\.": port 20001 listed twice$' "" "${T[@]}" -t "$LONG,$LONG"

# Config files: errors name FILE:LINE, key and value.
CONF=$TMPDIR_TEST/cli.conf
run_bad "-c missing file" "$TMPDIR_TEST/none.conf: cannot open" "$P2" \
	"${T[@]}" -t "$P2" -c "$TMPDIR_TEST/none.conf"
run_bad "-c a directory" "$TMPDIR_TEST: not a regular file" "$P2" \
	"${T[@]}" -t "$P2" -c "$TMPDIR_TEST"
printf 'tcp-ports = %s\nmax-conns = lots\n' "$P1" >"$CONF"
run_bad "config file: bad value on line 2" \
	"$CONF:2: max-conns \"lots\": not a number" "$P1,$P2" \
	"${T[@]}" -t "$P2" -c "$CONF"
printf '# forwards\nbogus = 1\n' >"$CONF"
run_bad "config file: unknown key" "$CONF:2: \"bogus\": unknown key" "$P2" \
	"${T[@]}" -t "$P2" -c "$CONF"
printf 'tcp-ports %s\n' "$P1" >"$CONF"
run_bad "config file: missing '='" "$CONF:1: tcp-ports: missing '='" \
	"$P1,$P2" "${T[@]}" -t "$P2" -c "$CONF"
printf 'quiet\nquiet\n' >"$CONF"
run_bad "config file: setting repeated" "$CONF:2: quiet: already set" \
	"$P2" "${T[@]}" -t "$P2" -c "$CONF"
printf 'help\n' >"$CONF"
run_bad "config file: help" "$CONF:1: help: not allowed in a config file" \
	"$P2" "${T[@]}" -t "$P2" -c "$CONF"
# (The command line wins over the file key by key, so a file's target or
# tcp-ports beside the command line's is no error: test_config_precedence.)
printf 'userns = /proc/1/ns/user\n' >"$CONF"
run_bad "config file userns beside --pid" \
	'--userns "/proc/1/ns/user": only valid with --netns' "$P2" \
	--pid 1 -t "$P2" -c "$CONF"
# Errors found after parsing point at the file's line, not at an option
# the user never typed
printf '# target\nnetns = /nonexistent/cli\ntcp-ports = %s\n' "$P2" >"$CONF"
run_bad "config file: a namespace that cannot be opened" \
	"^nsplice: $CONF:2: netns \"/nonexistent/cli\": cannot open" "$P2" -c "$CONF"
printf 'tcp-ns-ports = %s\ntcp-ns-ports = %s\n' "$P2" "$P2" >"$CONF"
run_bad "config file forwards overlap each other" \
	"port $P2 .*overlaps" "$P2" "${T[@]}" -t "$P2" -c "$CONF"
printf 'tcp-ports = "%s\n' "$P2" >"$CONF"
run_bad "config file: quote not closed" \
	"$CONF:1: tcp-ports: quote \" not closed" "$P2" "${T[@]}" -c "$CONF"

# Runtime failure: the port is taken on the host -> exit 1 with a message
# naming the port, nothing left (the other port of the spec not listening).
start_ns_server "" "$TMPDIR_TEST/busy.log" echo-server "$P2" --addr 127.0.0.1
wait_port 127.0.0.1 "$P2" || die "could not occupy port $P2"
NSP_N=$((NSP_N + 1))
NSP_TAG="$RUN_TAG-n$NSP_N"
NSP_SEEN=()
rc=0
env "NSPLICE_TEST_TAG=$NSP_TAG" timeout -k 2 10 "$NSPLICE" --netns "$NS" \
	-t "$P1" -t "$P2" >"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null &
NSP_TPID=$!
cleanup_pid "$NSP_TPID"
wait "$NSP_TPID" || rc=$?
# A port that cannot be bound at start is permanent: exit 2, nothing
# retried (test_ux_permanent_errors.sh)
if ((rc == 2)); then
	ok "port $P2 already in use: exit status 2"
else
	fail "port $P2 already in use: exit status $rc, expected 2"
fi
if grep -q -- "$P2" "$TMPDIR_TEST/err" "$TMPDIR_TEST/out"; then
	ok "port $P2 already in use: the message names the port: $(grep -h -- "$P2" "$TMPDIR_TEST/err" "$TMPDIR_TEST/out" | head -n1)"
else
	fail "port $P2 already in use: no message naming port $P2"
	show_log "$TMPDIR_TEST/err" 5
fi
assert_no_nsplice_procs "port $P2 already in use: no process left"
if port_listening "$P1"; then
	fail "port $P2 already in use: the other forward ($P1) was left listening"
fi

# --help: exit 0, every option documented.
rc=0
timeout 10 "$NSPLICE" --help >"$TMPDIR_TEST/help" 2>&1 </dev/null || rc=$?
if ((rc == 0)); then ok "--help exits 0"; else fail "--help exit status $rc, expected 0"; fi
missing=()
for o in -t --tcp-ports -T --tcp-ns-ports --netns --userns --pid --pid-file \
	-q --quiet -v --verbose -d --debug --trace --help --version -c --config --control \
	--max-conns --idle-timeout --keepalive --syslog; do
	grep -q -e "$o\b" "$TMPDIR_TEST/help" || missing+=("$o")
done
if ((${#missing[@]} == 0)); then
	ok "--help mentions every option"
else
	fail "--help does not mention: ${missing[*]}"
	head -n 40 "$TMPDIR_TEST/help" | indent
fi

rc=0
timeout 10 "$NSPLICE" --version >"$TMPDIR_TEST/version" 2>&1 </dev/null || rc=$?
if ((rc == 0)) && grep -q '[0-9]' "$TMPDIR_TEST/version"; then
	ok "--version exits 0: $(head -n1 "$TMPDIR_TEST/version")"
else
	fail "--version: exit $rc, output: $(head -c 200 "$TMPDIR_TEST/version")"
fi

finish
