#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_unit_example - the README's config example, started with the
# shipped unit's exact command line, forwards.
#
# Proves:
#   - the config block of README.md (the one that starts with
#     "# /etc/nsplice/web.conf": it says "netns = web", has a quoted value
#     and inline comments), written as /etc/nsplice/NAME.conf would be, and
#     the ExecStart= line of packaging/systemd/nsplice@.service with %i =
#     NAME (a namespace this test made; no namespace "web" exists) start
#     together: the unit's --netns wins over the file's netns;
#   - it runs with the unit's privileges as systemd would apply them to
#     a root service (CapabilityBoundingSet=, NoNewPrivileges=,
#     SecureBits=, via setpriv): the shipped unit could not start at all
#     once, the relay failing on a capability the set left out;
#   - every forward of the example works: both -t forwards to the
#     namespace's ports 80 and 443, and the -T forward from the namespace
#     to the host;
#   - with RUNTIME_DIRECTORY set as systemd sets it for the unit's
#     RuntimeDirectory= (nsplice/%i), the control socket is
#     $RUNTIME_DIRECTORY/NAME.sock, mode 0600, and `nsplice ctl` on it
#     reports the example's forwards;
#   - the unit's ExecReload= signal (SIGHUP) re-reads the file: nsplice
#     stays up and every forward still works.
# Only the example's host-side port numbers (8080, 8443, 5432) are mapped
# to free ones, so the test never collides with a service on the machine;
# every other byte of the example, and of the command line, is used as
# shipped.
# Why it matters: the README and the unit are what a new user copies; they
# must work together on the first try.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/live.sh"

need_root
need_nsplice

SRC=$(cd "$TESTLIB/../../.." && pwd)
README=$SRC/README.md
UNIT=$SRC/packaging/systemd/nsplice@.service
NS="nsp-$$-unit"
make_netns "$NS"
alloc_ports 24000 P8080 P8443 P5432

# The README's example (the fenced block whose first line is the file
# name), host ports mapped.
awk '/^```/ { if (want) exit; inb = !inb; first = inb; next }
     inb && first { first = 0; if ($0 == "# /etc/nsplice/web.conf") want = 1 }
     want { print }' "$README" >"$TMPDIR_TEST/readme.conf"
[[ -s $TMPDIR_TEST/readme.conf ]] || die "no config block starting with '# /etc/nsplice/web.conf' in README.md"
grep -q -E '^netns = web\b' "$TMPDIR_TEST/readme.conf" ||
	die "the README example no longer says 'netns = web': this test checks that the unit's --netns wins over it"
for p in 8080 8443 5432; do
	grep -q -E "\\b$p\\b" "$TMPDIR_TEST/readme.conf" || die "the README example no longer uses port $p"
done
mkdir -p "$TMPDIR_TEST/etc/nsplice"
CONF=$TMPDIR_TEST/etc/nsplice/$NS.conf
sed -E -e "s/\\b8080\\b/$P8080/g" -e "s/\\b8443\\b/$P8443/g" \
	-e "s/\\b5432\\b/$P5432/g" "$TMPDIR_TEST/readme.conf" >"$CONF"
note "README example as $CONF:"
indent <"$CONF"

# The unit's command line and runtime directory, %i = NS.
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
rtdir=$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")
[[ $exec_start == "/usr/bin/nsplice -c /etc/nsplice/%i.conf --netns %i" ]] ||
	note "ExecStart= is now: $exec_start"
[[ -n $exec_start && -n $rtdir ]] || die "no ExecStart= or RuntimeDirectory= in $UNIT"
exec_start=${exec_start//%i/$NS}
exec_start=${exec_start//\/etc\/nsplice\//$TMPDIR_TEST/etc/nsplice/}
read -r -a argv <<<"$exec_start"
[[ ${argv[0]} == /usr/bin/nsplice ]] || die "ExecStart= does not run /usr/bin/nsplice: ${argv[0]}"
RT=$TMPDIR_TEST/run/${rtdir//%i/$NS}
mkdir -p "$RT"
chmod 0750 "$RT"

start_ns_server "$NS" "$TMPDIR_TEST/ns.log" serve echo=80 echo=443 --addr 127.0.0.1 --addr ::1
start_ns_server "" "$TMPDIR_TEST/host.log" echo-server "$P5432" --addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 443 "$NS" || die "servers in $NS did not start"
wait_port 127.0.0.1 "$P5432" || die "host server on $P5432 did not start"

# The unit's privileges, as systemd would apply them to a root service:
# CapabilityBoundingSet= (all lines add up), no ambient or inheritable
# capabilities, NoNewPrivileges=, SecureBits=.  A bounding set that
# lacks what a role keeps makes that role fail at start.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' |
	sed -n 's/^CAP_\([A-Z_]*\)$/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -)
[[ -n $caps ]] || die "no CapabilityBoundingSet= in $UNIT"
grep -q '^NoNewPrivileges=yes$' "$UNIT" || die "NoNewPrivileges= is no longer yes in $UNIT"
grep -q '^SecureBits=noroot-locked$' "$UNIT" || die "SecureBits= is no longer noroot-locked in $UNIT"
wrap=$TMPDIR_TEST/nsplice-as-unit
printf '#!/bin/sh\nexec setpriv --bounding-set=-all,%s --inh-caps=-all --ambient-caps=-all --no-new-privs --securebits=+noroot_locked -- %q "$@"\n' \
	"$caps" "$NSPLICE" >"$wrap"
chmod 755 "$wrap"
note "the unit's privileges: bounding set $caps, no_new_privs, noroot_locked"

RUNTIME_DIRECTORY=$RT start_nsplice --bin "$wrap" --wait 127.0.0.1 "$P8080" \
	--wait 127.0.0.1 "$P8443" "$TMPDIR_TEST/nsplice.log" "${argv[@]:1}" ||
	die "the README example did not start with the unit's command line and privileges"
ok "README example + unit command line (nsplice ${argv[*]:1}) + the unit's privileges: started"

# check_forwards WHEN - every forward of the example echoes.
check_forwards() {
	check "$1: -t 8080:80 (host $P8080) echoes" nstool concurrent 127.0.0.1 "$P8080" 2 --timeout 10 || true
	check "$1: -t 8443:443 (host $P8443) echoes" nstool concurrent 127.0.0.1 "$P8443" 2 --timeout 10 || true
	if wait_port 127.0.0.1 "$P5432" "$NS" >/dev/null 2>&1; then
		check "$1: -T 5432 (namespace $P5432 -> host) echoes" \
			nstool_in "$NS" concurrent 127.0.0.1 "$P5432" 2 --timeout 10 || true
	else
		fail "$1: -T 5432: port $P5432 not accepting in $NS"
	fi
}
check_forwards "start"

SOCK=$RT/$NS.sock
if [[ -S $SOCK ]]; then
	mode=$(stat -c %a "$SOCK")
	[[ $mode == 600 ]] && ok "control socket at \$RUNTIME_DIRECTORY/NAME.sock ($SOCK), mode 600" ||
		fail "control socket $SOCK has mode $mode, expected 600"
else
	fail "no control socket at \$RUNTIME_DIRECTORY/NAME.sock ($SOCK)"
	ls -la "$RT" | indent
fi
rc=0
out=$(timeout -k 2 15 "$NSPLICE" ctl "$SOCK" status 2>&1) || rc=$?
if ((rc == 0)) && grep -q -- "$P8080" <<<"$out" && grep -q -- "$P8443" <<<"$out" &&
	grep -q -- "$P5432" <<<"$out"; then
	ok "nsplice ctl $SOCK status lists the example's forwards"
else
	fail "nsplice ctl $SOCK status: exit $rc, forwards missing:"
	printf '%s\n' "$out" | head -n 20 | indent
fi

# ExecReload=/bin/kill -HUP $MAINPID
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$UNIT" || note "ExecReload= changed: $(grep '^ExecReload=' "$UNIT")"
kill -HUP "$NSP_PID"
sleep 0.5
if pid_alive "$NSP_PID"; then
	ok "SIGHUP (the unit's ExecReload=): nsplice still running"
else
	fail "SIGHUP (the unit's ExecReload=): nsplice exited"
	show_log "$NSP_LOG" 15
fi
check_forwards "after SIGHUP"

stop_nsplice TERM 5 || fail "nsplice still running 5 s after SIGTERM"
[[ ${NSP_RC:-} == 0 ]] || fail "exit status ${NSP_RC:-none} after SIGTERM, expected 0"
[[ -e $SOCK ]] && fail "the control socket $SOCK is left after exit" || ok "the control socket is removed at exit"
assert_no_nsplice_procs
finish
