#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f08_config_file - finding 8: a config file error shows no content
# of a file that is not a config file, and a large file does not stall.
#
# The attack (audit, finding 8): `-c` naming a symlink to /etc/shadow
# (which root can read) printed a line of it in the error; and a
# 40,000-line file took 11.8 s to parse, stalling the supervisor on
# SIGHUP.
#
# Proves:
#  - `-c` through a symlink to a fake shadow file (mode 0640, a line
#    "root:$6$SECRET...:19000:0:99999:7:::") exits 2 and no output holds
#    the secret or the line; the same for lines "password = SECRET"
#    (unknown key: only its name is shown) and "netns = <non-ASCII>SECRET"
#    (known key, value not printable ASCII: not shown);
#  - `-c /etc/shadow`, if present: exit 2, no line of it in the output;
#  - a running nsplice whose config file becomes a symlink to the fake
#    shadow file refuses the reload on SIGHUP, keeps running, and its log
#    holds no secret;
#  - a 40,000-line file of distinct forwards is parsed to the end (the
#    error is then the missing namespace of line 1, no later line).  How
#    long it takes is in the report, not asserted here:
#    tests/unit/test_config_cost.c checks the parser's work counter.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
alloc_ports 28890 PX

# BIG_LINES - lines of the large config file
BIG_LINES=40000
# RELOAD_WAIT_STEPS - 50 ms steps to wait for the reload's log line
RELOAD_WAIT_STEPS=100

SECRET='SECRETHASHf08Zq9xW'
SHADOW_LINE="root:\$6\$$SECRET\$Jk2m9QpLr7:19000:0:99999:7:::"
d=$TMPDIR_TEST/etc
mkdir -m 700 "$d"
printf '%s\ndaemon:*:19000:0:99999:7:::\n' "$SHADOW_LINE" >"$d/shadow"
chmod 640 "$d/shadow"
ln -s "$d/shadow" "$d/nsplice.conf"

# no_secret WHAT FILE [TEXT...] - ok if FILE holds none of the secret and
# TEXTs
no_secret() {
	local what=$1 f=$2 t
	shift 2
	for t in "$SECRET" "$@"; do
		if grep -qF -- "$t" "$f"; then
			fail "$what: output shows \"$t\""
			indent <"$f"
			return
		fi
	done
	ok "$what: no content shown ($(head -c 160 "$f" | tr '\n' ' '))"
}

# run_conf WHAT FILE TEXT... - nsplice -c FILE must exit 2 without TEXTs
run_conf() {
	local what=$1 f=$2 out=$TMPDIR_TEST/$1.out rc=0
	shift 2
	timeout -k 2 30 "$NSPLICE" -c "$f" >"$out" 2>&1 </dev/null || rc=$?
	[[ $rc == 2 ]] && ok "$what: refused, exit 2" ||
		fail "$what: exit $rc, expected 2"
	no_secret "$what" "$out" "$@"
}

run_conf symlink-shadow "$d/nsplice.conf" "$SHADOW_LINE" "root:" "daemon:"
printf 'password = %s\n' "$SECRET" >"$TMPDIR_TEST/pw.conf"
run_conf unknown-key "$TMPDIR_TEST/pw.conf"
printf 'netns = \xc3\xa9%s\n' "$SECRET" >"$TMPDIR_TEST/val.conf"
run_conf bad-value "$TMPDIR_TEST/val.conf"
if [[ -r /etc/shadow ]]; then
	mapfile -t shadow < <(grep -v '^$' /etc/shadow | cut -d: -f1,2 | head -n 5)
	run_conf real-shadow /etc/shadow "${shadow[@]/%/:}"
else
	note "no readable /etc/shadow on this machine: case left out"
fi

# ----------------------------------------------------- reload via SIGHUP
NS=nspf08$$
make_netns "$NS"
conf=$TMPDIR_TEST/live.conf
printf 'netns = %s\ntcp-ports = %s\n' "$NS" "$PX" >"$conf"
start_nsplice --wait 127.0.0.1 "$PX" "$TMPDIR_TEST/live.log" -c "$conf" ||
	die "nsplice did not start"
ln -sf "$d/shadow" "$conf"
kill -HUP "$NSP_PID"
for ((i = 0; i < RELOAD_WAIT_STEPS; i++)); do
	grep -q "reload failed" "$NSP_LOG" && break
	sleep 0.05
done
if grep -q "reload failed, nothing changed: $conf:1: not a setting" "$NSP_LOG"; then
	ok "SIGHUP with the config now a symlink to the fake shadow: refused"
else
	fail "SIGHUP: no refusal logged"
	show_log "$NSP_LOG" 5
fi
if pid_alive "$NSP_PID" && wait_port 127.0.0.1 "$PX" >/dev/null 2>&1; then
	ok "nsplice still runs and forwards after the refused reload"
else
	fail "nsplice stopped forwarding after the refused reload"
fi
shutdown_nsplice --any-status 10
no_secret "reload log" "$NSP_LOG" "$SHADOW_LINE" "root:"

# ------------------------------------------------------ 40,000 lines
big=$TMPDIR_TEST/big.conf
"$PY" - "$big" "$BIG_LINES" <<'EOF'
import sys
with open(sys.argv[1], 'w') as f:
    f.write('netns = /nonexistent/f08\n')
    for i in range(int(sys.argv[2])):
        f.write('tcp-ports = %d:%d\n' % (1024 + i, 2000 + i % 1000))
EOF
rc=0
t0=$(date +%s%3N)
timeout -k 2 120 "$NSPLICE" -c "$big" >"$TMPDIR_TEST/big.out" 2>&1 </dev/null || rc=$?
note "$BIG_LINES lines parsed in $(($(date +%s%3N) - t0)) ms (not asserted)"
if [[ $rc == 2 ]] &&
	grep -q 'big.conf:1: netns "/nonexistent/f08": cannot open' "$TMPDIR_TEST/big.out" &&
	! grep -q -E 'big.conf:([2-9]|[1-9][0-9]+):' "$TMPDIR_TEST/big.out"; then
	ok "$BIG_LINES-line file parsed to the end (only the target is missing)"
else
	fail "$BIG_LINES-line file: exit $rc"
	indent <"$TMPDIR_TEST/big.out"
fi
finish
