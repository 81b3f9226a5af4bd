#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_activation - a UDP socket inherited from systemd (ListenDatagram=).
#
# `systemd-socket-activate --datagram -l 127.0.0.1:HP` binds the UDP socket
# and execs nsplice (--netns NS -u 127.0.0.1/HP:PORT) when the first
# datagram arrives.  Proves:
#  - that first datagram, which woke it, is answered (it waited in the
#    inherited socket), and later ones from other clients too, from
#    127.0.0.1:HP;
#  - the only UDP socket bound to HP on the host is the inherited one
#    (same inode before and after: nsplice never bound its own);
#  - a TCP forward on the same port does not take the UDP socket: with
#    -t 127.0.0.1/HP as the only forward, nsplice refuses to start,
#    naming the socket no -u forward took (as for a stray TCP socket);
#  - a dual-stack [::]:HP with -u '*/HP' is refused naming the socket
#    (not "address already in use" for 0.0.0.0:HP), and -u '[::]/HP'
#    alone answers an IPv4 client through it.
# Why it matters: ListenDatagram= must work like ListenStream=.
# On a build without it, the inherited UDP socket is "not a TCP socket"
# and nsplice refuses to start.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
command -v systemd-socket-activate >/dev/null ||
	die "systemd-socket-activate missing (Debian package systemd)"


NS="nsp-$$-udpact"
make_netns "$NS"
alloc_ports 23800 HP PORT

start_udp_echo "$NS" 127.0.0.1 "$PORT"

NSPLICE_REAL=$NSPLICE
cat >"$TMPDIR_TEST/wrap.sh" <<WEOF
#!/bin/sh
exec systemd-socket-activate --datagram -l 127.0.0.1:$HP --fdname=dns \
	"$NSPLICE_REAL" "\$@"
WEOF
chmod +x "$TMPDIR_TEST/wrap.sh"
start_nsplice --bin "$TMPDIR_TEST/wrap.sh" "$TMPDIR_TEST/act.log" \
	--netns "$NS" -u "127.0.0.1/$HP:$PORT" || die "wrapper did not start"
for ((i = 0; i < 100; i++)); do
	[[ -n $(ss -Huan "sport = :$HP") ]] && break
	sleep 0.05
done
ino0=$(ss -Huane "sport = :$HP" | grep -o 'ino:[0-9]*' | sort -u)
[[ -n $ino0 ]] || die "systemd-socket-activate did not bind UDP $HP"

# The first datagram wakes the wrapper, which execs nsplice
if udptool client 127.0.0.1 "$HP" --sizes 1,1400,65507 --timeout 2 \
	--retries 8 >"$TMPDIR_TEST/c1.out"; then
	ok "the datagrams that started nsplice are answered, from 127.0.0.1:$HP"
else
	fail "no answer through the inherited UDP socket"
	indent <"$TMPDIR_TEST/c1.out"
	show_log "$NSP_LOG"
fi
if udptool flows 127.0.0.1 "$HP" --count 20 >"$TMPDIR_TEST/flows.out"; then
	ok "20 more client flows through it: $(cat "$TMPDIR_TEST/flows.out")"
else
	fail "20 client flows: $(cat "$TMPDIR_TEST/flows.out")"
fi
ino1=$(ss -Huane "sport = :$HP" | grep -o 'ino:[0-9]*' | sort -u)
if [[ $ino1 == "$ino0" && $(wc -l <<<"$ino1") == 1 ]]; then
	ok "one UDP socket on $HP, the inherited one ($ino1)"
else
	fail "UDP sockets on $HP: before '$ino0', now '$(echo $ino1)'"
fi
stop_nsplice TERM 5 || fail "nsplice did not exit on SIGTERM"
[[ ${NSP_RC:-} == 0 ]] && ok "exit 0 on SIGTERM" || fail "exit status ${NSP_RC:-none}"
assert_no_nsplice_procs

# refused DESC LOG REGEX CLIENT WRAPPER ARGS... - the WRAPPER with ARGS,
# woken by a datagram from CLIENT (an address), must exit 2 with a line
# matching REGEX (grep -E) in LOG
refused() {
	local desc=$1 log=$2 re=$3 client=$4 rc=0 pid
	shift 4
	timeout -k 2 20 "$@" >"$log" 2>&1 &
	pid=$!
	cleanup_pid "$pid"
	sleep 0.5
	udptool silent "$client" "$HP" --wait 0.5 >/dev/null || true
	wait "$pid" || rc=$?
	if ((rc == 2)) && grep -q -E "$re" "$log"; then
		ok "$desc: exit $rc, '$(grep -m1 -E "$re" "$log")'"
	else
		fail "$desc: exit $rc, expected 2 and a line matching '$re'"
		indent <"$log"
	fi
}

# Negative: a TCP forward does not take the inherited UDP socket
refused "-t on the same port" "$TMPDIR_TEST/neg.log" \
	"inherited socket dns \(fd 3, 127.0.0.1:$HP\) matches no -u forward" \
	127.0.0.1 "$TMPDIR_TEST/wrap.sh" --netns "$NS" -t "127.0.0.1/$HP:$PORT"

# A dual-stack [::]:HP (what -l [::]:HP and ListenDatagram=[::]:HP pass):
# -u '*/HP' gives its IPv6 half the socket, whose bind of 0.0.0.0:HP for
# the IPv4 half then fails.  The cause is named (it used to read "cannot
# listen on 0.0.0.0:HP: address already in use"), and '[::]/HP' alone
# serves IPv4 clients through it.
# (an IPv6 forward's target is the namespace's ::1, for IPv4 clients too)
start_udp_echo "$NS" ::1 "$PORT"
cat >"$TMPDIR_TEST/wrap6.sh" <<WEOF
#!/bin/sh
exec systemd-socket-activate --datagram -l [::]:$HP --fdname=dns6 \
	"$NSPLICE_REAL" "\$@"
WEOF
chmod +x "$TMPDIR_TEST/wrap6.sh"
refused "-u '*/$HP' with a dual-stack [::]:$HP" "$TMPDIR_TEST/dual.log" \
	"inherited socket dns6 \(fd 3, \[::\]:$HP\) is dual-stack: it holds port $HP for IPv4 too" \
	::1 "$TMPDIR_TEST/wrap6.sh" --netns "$NS" -u "*/$HP:$PORT"
start_nsplice --bin "$TMPDIR_TEST/wrap6.sh" "$TMPDIR_TEST/act6.log" \
	--netns "$NS" -u "[::]/$HP:$PORT" || die "wrapper did not start"
if udptool client 127.0.0.1 "$HP" --sizes 1,1400 --timeout 2 \
	--retries 8 >"$TMPDIR_TEST/c6.out"; then
	ok "-u '[::]/$HP' alone: an IPv4 client is answered through the dual-stack socket"
else
	fail "-u '[::]/$HP' alone: no answer to an IPv4 client"
	indent <"$TMPDIR_TEST/c6.out"
	show_log "$NSP_LOG"
fi
stop_nsplice TERM 5 || fail "nsplice (dual-stack) did not exit on SIGTERM"
assert_no_nsplice_procs
finish
