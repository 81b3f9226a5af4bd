#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_config_precedence - the command line wins over -c FILE, key by key,
# at start and after SIGHUP.
#
# Proves, with two namespaces: NSF (named by the file's "netns =") runs an
# echo server on the target port, NSC (named by --netns) an ident server
# on it, so `nstool ident` through a forward answers only if it reached
# NSC:
#   - `-c FILE --netns NSC` starts (it used to fail with "a target was
#     already given") and its forward reaches NSC, not NSF;
#   - -t on the command line replaces every tcp-ports line of the file (its
#     ports do not listen) while the file's tcp-ns-ports still apply;
#     `-t none` leaves none of the file's tcp-ports and adds none;
#   - quoted values ("..." and '...') and inline comments in the file work;
#   - after SIGHUP with a file that names another netns, new tcp-ports and
#     a new tcp-ns-ports: the target is still NSC with no warning about it,
#     the new tcp-ports still do not listen (-t still wins), the new
#     tcp-ns-ports listens in NSC and the old one is gone (the file's own
#     list is reloaded).
# Why it matters: the shipped unit runs `nsplice -c NAME.conf --netns NAME`;
# when the file and the command line disagree, the documented rule (the
# command line wins) is what an operator reasons with, so every key must
# follow it, and keep following it across reloads.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

NSF="nsp-$$-precf"
NSC="nsp-$$-precc"
NSF2="nsp-$$-precf2"
make_netns "$NSF"
make_netns "$NSC"
alloc_ports 23000 A B C D PT TN TN2
CONF=$TMPDIR_TEST/prec.conf

# write_conf LINE... - replace the config file atomically with LINEs.
write_conf() {
	printf '%s\n' "$@" >"$CONF.new"
	mv -f "$CONF.new" "$CONF"
}

# reaches_nsc PORT DESC - a connection to host PORT gets NSC's ident line.
reaches_nsc() {
	local out rc=0
	out=$(nstool ident 127.0.0.1 "$1" --timeout 5 2>&1) || rc=$?
	if ((rc == 0)) && [[ $out == "port=$PT "* ]]; then
		ok "$2: reached $NSC ($out)"
	else
		fail "$2: expected $NSC's ident line 'port=$PT ...', got (rc $rc) '$out'"
	fi
}

# not_listening PORT [NETNS] DESC - PORT is not listening there.
not_listening() {
	if port_listening "$1" "$2"; then
		fail "$3: port $1 is listening${2:+ in $2}"
	else
		ok "$3: port $1 not listening${2:+ in $2}"
	fi
}

start_ns_server "$NSC" "$TMPDIR_TEST/nsc.log" ident-server "$PT" --addr 127.0.0.1 --addr ::1
start_ns_server "$NSF" "$TMPDIR_TEST/nsf.log" echo-server "$PT" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$PT" "$NSC" || die "ident server in $NSC did not start"
wait_port 127.0.0.1 "$PT" "$NSF" || die "echo server in $NSF did not start"

# ---------------------------------------------------- target: --netns wins
write_conf "netns = $NSF          # replaced by --netns" \
	"tcp-ports = \"$A:$PT\"" \
	"tcp-ports = '$B:$PT'   # quoted, then a comment" \
	"tcp-ns-ports = $TN"
start_nsplice --wait 127.0.0.1 "$A" "$TMPDIR_TEST/n1.log" \
	-c "$CONF" --netns "$NSC" ||
	die "nsplice -c FILE --netns NSC did not start although the file names netns = $NSF"
ok "-c FILE (netns = $NSF) --netns $NSC: started"
reaches_nsc "$A" "file forward A ($A -> $PT, quoted \"...\")"
reaches_nsc "$B" "file forward B ($B -> $PT, quoted '...')"
if wait_listen yes "$TN" "$NSC" 5000; then
	ok "file's tcp-ns-ports $TN listens in $NSC (the command line's target)"
else
	fail "file's tcp-ns-ports $TN not listening in $NSC"
fi
not_listening "$TN" "$NSF" "the file's netns is not used"
shutdown_nsplice --any-status 5

# ------------------------------------------- lists: -t replaces tcp-ports
start_nsplice --wait 127.0.0.1 "$C" "$TMPDIR_TEST/n2.log" \
	-c "$CONF" --netns "$NSC" -t "$C:$PT" ||
	die "nsplice -c FILE --netns NSC -t C did not start"
reaches_nsc "$C" "command-line forward C ($C -> $PT)"
not_listening "$A" "" "-t on the command line replaces the file's tcp-ports (A)"
not_listening "$B" "" "-t on the command line replaces the file's tcp-ports (B)"
if wait_listen yes "$TN" "$NSC" 5000; then
	ok "-t leaves the file's tcp-ns-ports alone: $TN listens in $NSC"
else
	fail "the file's tcp-ns-ports $TN does not listen beside -t"
fi

# ------------------------------- reload: the command line keeps winning
write_conf "netns = $NSF2" \
	"tcp-ports = $D:$PT" \
	"tcp-ns-ports = $TN2"
kill -HUP "$NSP_PID"
if wait_listen yes "$TN2" "$NSC" 5000; then
	ok "SIGHUP: the file's new tcp-ns-ports $TN2 listens in $NSC"
else
	fail "SIGHUP: the file's new tcp-ns-ports $TN2 not listening in $NSC"
	show_log "$NSP_LOG" 15
fi
if wait_listen no "$TN" "$NSC" 5000; then
	ok "SIGHUP: the file's old tcp-ns-ports $TN is gone"
else
	fail "SIGHUP: the file's old tcp-ns-ports $TN still listens"
fi
not_listening "$D" "" "SIGHUP: -t still replaces the file's tcp-ports"
reaches_nsc "$C" "SIGHUP: forward C still reaches the command line's target"
if grep -q -i -E 'target.*changed|netns.*changed' "$NSP_LOG"; then
	fail "SIGHUP: a warning about the file's netns, which the command line holds:"
	grep -i -E 'changed' "$NSP_LOG" | indent
else
	ok "SIGHUP: no warning about the file's netns (the command line holds it)"
fi
shutdown_nsplice --any-status 5
[[ ${NSP_RC:-} == 0 ]] || fail "exit status ${NSP_RC:-none} after SIGTERM, expected 0"

# ------------------------------------------- -t none: none of the file's
write_conf "netns = $NSF" "tcp-ports = $A:$PT" "tcp-ns-ports = $TN"
start_nsplice --wait-in "$NSC" 127.0.0.1 "$TN" "$TMPDIR_TEST/n3.log" \
	-c "$CONF" --netns "$NSC" -t none ||
	die "nsplice -c FILE --netns NSC -t none did not start"
not_listening "$A" "" "-t none: the file's tcp-ports are left out"
ok "-t none: the file's tcp-ns-ports $TN listens in $NSC"
shutdown_nsplice --any-status 5
finish
