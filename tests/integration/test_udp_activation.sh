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
#    naming the socket no -u forward took (as for a stray TCP socket).
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

# Negative: a TCP forward does not take the inherited UDP socket
rc=0
timeout -k 2 20 "$TMPDIR_TEST/wrap.sh" --netns "$NS" -t "127.0.0.1/$HP:$PORT" \
	>"$TMPDIR_TEST/neg.log" 2>&1 &
NEG=$!
cleanup_pid "$NEG"
sleep 0.5
udptool silent 127.0.0.1 "$HP" --wait 0.5 >/dev/null || true
wait "$NEG" || rc=$?
if ((rc == 2)) &&
	grep -q "inherited socket dns (fd 3, 127.0.0.1:$HP) matches no -u forward" "$TMPDIR_TEST/neg.log"; then
	ok "-t on the same port: exit $rc, '$(grep -m1 'matches no' "$TMPDIR_TEST/neg.log")'"
else
	fail "-t on the same port: exit $rc, expected 2 and a line naming the socket"
	indent <"$TMPDIR_TEST/neg.log"
fi
finish
