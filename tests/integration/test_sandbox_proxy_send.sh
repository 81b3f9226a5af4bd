#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_sandbox_proxy_send - the relay's send() for the PROXY header stays
# narrow.
#
# The relay writes the PROXY v2 header with send() on a flow socket, so
# its filter lets sendto() through on descriptors above its channels -
# with no address and no flag but MSG_NOSIGNAL and MSG_DONTWAIT.  Proves,
# with calls made by gdb from inside a live relay (its own filter):
#   - sendto(fd > 5, flags MSG_NOSIGNAL|MSG_DONTWAIT, no address) is let
#     through (the kernel answers, here EBADF: the relay lives on);
#   - the same with MSG_FASTOPEN kills the relay (SIGSYS): it cannot
#     connect a socket by sending;
#   - the same with an address kills the relay: it cannot name a peer;
#   - a replaced relay serves the forward again, header included.
# Why it matters: this is the one rule the option added to the relay's
# filter (SECURITY.md); it must not become a way to reach anyone new.
# Named sandbox_*: it expects kills, so the suite's --sandbox=log pass
# leaves it out, as it does the other sandbox_* cases.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$NSPLICE_TESTLIB/gdbcall.sh"

need_root
need_nsplice
command -v gdb >/dev/null || die "gdb missing"

NS="nsp-$$-pps"
make_netns "$NS"
alloc_ports 25700 P
# BAD_FD - a descriptor number the relay does not hold: the kernel's answer
# is EBADF, so an allowed call changes nothing
BAD_FD=1000
SEND_OK=0x4040	# MSG_NOSIGNAL | MSG_DONTWAIT

start_bg "$TMPDIR_TEST/srv.log" ip netns exec "$NS" timeout -k 2 \
	"$LIFETIME" "$PY" "$TESTLIB/ppserver.py" serve "$P" --addr 127.0.0.1 \
	--lifetime "$LIFETIME"
wait_port 127.0.0.1 "$P" "$NS" || die "ppserver did not start"
start_nsplice --wait 127.0.0.1 "$P" "$TMPDIR_TEST/nsp.log" --netns "$NS" \
	-t "127.0.0.1/$P" --proxy-protocol "$P" || die "nsplice did not start"

# header_ok WHAT - one connection through the forward gets the header
header_ok() {
	local o=$TMPDIR_TEST/ask.out
	timeout -k 2 30 "$PY" "$TESTLIB/ppserver.py" ask 127.0.0.1 "$P" \
		--line x >"$o" 2>&1 || true
	grep -q '"pp": true' "$o" && grep -q '"line": "x"' "$o" && ok "$1" ||
		{ fail "$1"; indent <"$o"; }
}
header_ok "the header arrives before any call"

RELAY=$(find_role relay) || die "no relay process"
o=$TMPDIR_TEST/gdb1.out
gdb_run "$RELAY" "$o" \
	"print (long)syscall($SYS_sendto, $BAD_FD, 0, 0, $SEND_OK, 0, 0)" \
	"print *(int *)__errno_location()"
if ! gdb_sigsys "$o" && pid_alive "$RELAY" &&
	[[ $(gdb_value "$o" 1) == -1 && $(gdb_value "$o" 2) == 9 ]]; then
	ok "send() with MSG_NOSIGNAL|MSG_DONTWAIT, no address: let through (EBADF)"
else
	fail "the allowed send() did not reach the kernel"
	indent <"$o"
fi

# kill_case NAME FLAGS ADDR LEN - the call kills the relay; a new one serves
kill_case() {
	local name=$1 flags=$2 addr=$3 len=$4 new cmds=()
	RELAY=$(find_role relay) || die "no relay process"
	o=$TMPDIR_TEST/gdb-$name.out
	mapfile -t cmds < <(gdb_sockaddr '$b' "$P")
	gdb_run "$RELAY" "$o" "set \$b = (char *)malloc(64)" "${cmds[@]}" \
		"print (long)syscall($SYS_sendto, $BAD_FD, \$b + 32, 1, $flags, $addr, $len)"
	if gdb_sigsys "$o" && wait_gone "$RELAY" 10; then
		ok "sendto() $name from inside the relay: killed by SIGSYS"
	else
		fail "sendto() $name from inside the relay was not killed"
		indent <"$o"
	fi
	new=$(wait_new_role relay "$RELAY" 20) ||
		die "no new relay after the kill"
	wait_filters "$new" 1 10 || true
	wait_port 127.0.0.1 "$P" >/dev/null 2>&1 || true
	header_ok "after $name: the new relay sends the header again"
}
kill_case with-MSG_FASTOPEN "$MSG_FASTOPEN" 0 0
kill_case with-an-address "$SEND_OK" '$b' 16

stop_nsplice TERM 10 || fail "nsplice did not stop"
finish
