#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_udp_forward - UDP forwards (-u, -U) keep what UDP users rely on.
#
# With UDP echo servers in a namespace (127.0.0.1 and ::1) and on the host,
# and nsplice --netns NS -u HP:PORT -u HP3:P3 -U NP4:P4 --udp-timeout 2:
#  - IPv4: datagrams of 1 to 65,507 bytes (the largest IPv4 carries) come
#    back byte for byte, each reply FROM 127.0.0.1:HP (the forwarded
#    address and port: what dig and every DNS client check);
#  - IPv6: the same up to 65,527 bytes, from [::1]:HP; each family lands
#    on the namespace's loopback of the same family;
#  - one client socket sending many datagrams is ONE source at the target
#    (a stable source per flow);
#  - 300 concurrent client flows each get their own answer, the target
#    sees 300 distinct sources, and they are 300 sockets connected to the
#    target in the namespace (made there by the agent);
#  - -U: a client in the namespace reaches the host's echo server, and its
#    replies come from the namespace's 127.0.0.1:NP4;
#  - a forward whose target does not listen yet answers nothing, counts
#    the ICMP errors in `ctl status`, harms no other forward, and serves
#    once the target listens;
#  - idle flows expire: 2 s without datagrams (8 s once they carried
#    replies, conntrack's 30/120 ratio) and their sockets close;
#  - SIGTERM ends it with status 0 and nothing left;
#  - bad -u/-U/--udp-timeout values exit 2 naming option and value.
# Why it matters: DNS, QUIC, syslog, WireGuard in containers.
# On a build without UDP, -u is an unknown option: nsplice exits at once.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

UDPTOOL_TIMEOUT=90
# udptool_in NETNS ARGS... - the same inside NETNS
udptool_in() {
	local ns=$1
	shift
	ip netns exec "$ns" timeout -k 2 90 "$PY" "$UDPTOOL" "$@"
}
# count_lines FILE - lines in FILE, 0 if it does not exist
count_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }
# connected_to NETNS PORT - UDP sockets in NETNS connected to port PORT
connected_to() {
	ip netns exec "$1" ss -Huan | awk -v p=":$2" \
		'$1 == "ESTAB" && substr($5, length($5) - length(p) + 1) == p' |
		wc -l
}

NS="nsp-$$-udp"
make_netns "$NS"
alloc_ports 23400 HP PORT HP3 P3 NP4 P4 CTLP
CTL="$TMPDIR_TEST/ctl.sock"

start_bg "$TMPDIR_TEST/echo4.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo 127.0.0.1 "$PORT" --log "$TMPDIR_TEST/src4.log" \
	--lifetime "$LIFETIME"
start_bg "$TMPDIR_TEST/echo6.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo ::1 "$PORT" --log "$TMPDIR_TEST/src6.log" \
	--lifetime "$LIFETIME"
start_bg "$TMPDIR_TEST/echoh.out" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo 127.0.0.1 "$P4" --log "$TMPDIR_TEST/srch.log" \
	--lifetime "$LIFETIME"
udptool_in "$NS" wait 127.0.0.1 "$PORT" --timeout 10 >/dev/null ||
	die "echo server 127.0.0.1:$PORT in $NS did not start"
udptool_in "$NS" wait ::1 "$PORT" --timeout 10 >/dev/null ||
	die "echo server [::1]:$PORT in $NS did not start"
udptool wait 127.0.0.1 "$P4" --timeout 10 >/dev/null ||
	die "echo server 127.0.0.1:$P4 on the host did not start"
BASE6=$(count_lines "$TMPDIR_TEST/src6.log")

# Bad input: status 2 and one line naming the option and the value
# bad_input WANT ARGS... - nsplice ARGS must exit 2 with WANT in its output
bad_input() {
	local want=$1 rc=0 out
	shift
	out=$(timeout 10 "$NSPLICE" --netns "$NS" "$@" 2>&1) || rc=$?
	if ((rc == 2)) && [[ $out == *"$want"* ]]; then
		ok "bad input $*: exit 2, '$(head -n1 <<<"$out")'"
	else
		fail "bad input $*: exit $rc, '$out' (expected 2 and '$want')"
	fi
}
bad_input '-u "70000"' -u 70000
bad_input '-U "5353:"' -U 5353:
bad_input '--udp-timeout "0"' -u "$HP:$PORT" --udp-timeout 0
bad_input '-u' -u "$HP:$PORT" -u "$HP:$PORT"

start_nsplice "$TMPDIR_TEST/nsplice.log" --netns "$NS" --control "$CTL" -d \
	-u "$HP:$PORT" -u "$HP3:$P3" -U "$NP4:$P4" --udp-timeout 2 ||
	die "nsplice did not start"
if ! udptool wait 127.0.0.1 "$HP" --timeout "$WAIT_TIMEOUT" >"$TMPDIR_TEST/wait.out"; then
	fail "UDP forward 127.0.0.1:$HP never answered"
	show_log "$NSP_LOG"
	die "no UDP forward"
fi
ok "-u $HP:$PORT answers"

# 1-2: integrity and reply source, both families
SIZES4=1,2,64,512,1400,1472,1473,8192,32768,65000,65507
SIZES6=1,2,64,1232,1452,1453,9000,65000,65527
if udptool client 127.0.0.1 "$HP" --sizes "$SIZES4" >"$TMPDIR_TEST/c4.out"; then
	ok "IPv4: datagrams of 1 to 65,507 bytes come back intact, from 127.0.0.1:$HP"
else
	fail "IPv4: integrity or reply source"
	indent <"$TMPDIR_TEST/c4.out"
fi
if udptool client ::1 "$HP" --sizes "$SIZES6" >"$TMPDIR_TEST/c6.out"; then
	ok "IPv6: datagrams of 1 to 65,527 bytes come back intact, from [::1]:$HP"
else
	fail "IPv6: integrity or reply source"
	indent <"$TMPDIR_TEST/c6.out"
fi
if [[ $(count_lines "$TMPDIR_TEST/src6.log") -gt $BASE6 ]] &&
	! grep -q -v '^src ::1 ' "$TMPDIR_TEST/src6.log" &&
	! grep -q -v '^src 127\.0\.0\.1 ' "$TMPDIR_TEST/src4.log"; then
	ok "each family reaches the namespace's loopback of the same family"
else
	fail "family mix-up: IPv4 sources / IPv6 sources at the targets:"
	sort -u -k2,3 "$TMPDIR_TEST/src4.log" | sed -n 1,20p | indent
	sort -u -k2,3 "$TMPDIR_TEST/src6.log" | sed -n 1,20p | indent
fi

# 3: one client socket is one stable source
n0=$(count_lines "$TMPDIR_TEST/src4.log")
udptool client 127.0.0.1 "$HP" --sizes 10,20,30,40,50 --repeat 4 \
	>"$TMPDIR_TEST/c-stable.out" || fail "20 datagrams from one socket: $(cat "$TMPDIR_TEST/c-stable.out")"
seen=$(udptool sources "$TMPDIR_TEST/src4.log" --from "$n0")
if [[ $seen == "sources 1 "* ]]; then
	ok "20 datagrams from one client socket reach the target from one source"
else
	fail "20 datagrams from one client socket reached the target from: $seen"
fi

# 4: 300 concurrent flows
n0=$(count_lines "$TMPDIR_TEST/src4.log")
if udptool flows 127.0.0.1 "$HP" --count 300 --timeout 30 >"$TMPDIR_TEST/flows.out"; then
	ok "300 concurrent client flows: $(cat "$TMPDIR_TEST/flows.out")"
else
	fail "300 concurrent client flows: $(cat "$TMPDIR_TEST/flows.out")"
	show_log "$NSP_LOG"
fi
seen=$(udptool sources "$TMPDIR_TEST/src4.log" --from "$n0")
if [[ $seen == "sources 300 tags 300 pairs 300" ]]; then
	ok "the target saw 300 distinct sources, one per client flow ($seen)"
else
	fail "the target did not see one source per client flow: $seen (want 300 of each)"
fi
conn=$(connected_to "$NS" "$PORT")
if ((conn >= 300)); then
	ok "$conn sockets in the namespace are connected to port $PORT (one per flow)"
else
	fail "only $conn sockets in the namespace are connected to port $PORT"
fi

# 5: -U, from the namespace to the host
if udptool_in "$NS" client 127.0.0.1 "$NP4" --sizes 1,1400,65507 \
	>"$TMPDIR_TEST/cU.out"; then
	ok "-U: from the namespace, datagrams to 127.0.0.1:$NP4 reach the host's server and come back from 127.0.0.1:$NP4"
else
	fail "-U $NP4:$P4"
	indent <"$TMPDIR_TEST/cU.out"
fi

# 6: a target that does not listen (yet)
if udptool silent 127.0.0.1 "$HP3" --wait 1 >"$TMPDIR_TEST/silent.out"; then
	ok "-u $HP3:$P3 with nothing on port $P3: no answer"
else
	fail "-u $HP3:$P3 with nothing listening answered: $(cat "$TMPDIR_TEST/silent.out")"
fi
udptool silent 127.0.0.1 "$HP3" --wait 0.5 >/dev/null || true
if udptool client 127.0.0.1 "$HP" --sizes 100 >/dev/null; then
	ok "the other forward still answers while port $P3's target refuses"
else
	fail "the other forward stopped answering after ICMP errors on $HP3"
fi
timeout 10 "$NSPLICE" ctl "$CTL" status >"$TMPDIR_TEST/status.out" 2>&1 || true
line=$(grep -E -- "-u 127\.0\.0\.1:$HP3 " "$TMPDIR_TEST/status.out" | head -n1 || true)
if [[ $line =~ errors\ ([1-9][0-9]*) ]]; then
	ok "ctl status counts the ICMP errors of -u $HP3 ($line)"
else
	fail "ctl status shows no errors for -u $HP3"
	indent <"$TMPDIR_TEST/status.out"
fi
start_bg "$TMPDIR_TEST/echo3.out" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" "$UDPTOOL" echo 127.0.0.1 "$P3" --lifetime "$LIFETIME"
udptool_in "$NS" wait 127.0.0.1 "$P3" --timeout 10 >/dev/null || fail "echo server on $P3 did not start"
if udptool client 127.0.0.1 "$HP3" --sizes 1,1000 >"$TMPDIR_TEST/c3.out"; then
	ok "once port $P3 listens, -u $HP3:$P3 answers"
else
	fail "-u $HP3:$P3 did not answer once its target listened"
	indent <"$TMPDIR_TEST/c3.out"
fi

# 7: flow expiry (timeout 2 s, 8 s for flows that carried replies).  The
# pool's unused sockets (at most POOL_MAX = 64 per forward) stay connected.
POOL_MAX=64
t0=$(date +%s)
conn=$(connected_to "$NS" "$PORT")
for ((i = 0; i < 300 && conn > POOL_MAX; i++)); do
	sleep 0.1
	conn=$(connected_to "$NS" "$PORT")
done
t1=$(date +%s)
if ((conn <= POOL_MAX)); then
	ok "idle flows expired and closed their sockets within $((t1 - t0)) s ($conn unused pool sockets left)"
else
	fail "$conn sockets still connected to $PORT 30 s after the last datagram"
fi
if udptool client 127.0.0.1 "$HP" --sizes 1,500 >/dev/null; then
	ok "after expiry, a client is served again (new flow)"
else
	fail "after expiry, a client is not served"
fi

if stop_nsplice TERM 3; then
	if [[ $NSP_RC == 0 ]]; then
		ok "SIGTERM: exit status 0"
	else
		fail "SIGTERM: exit status $NSP_RC"
		show_log "$NSP_LOG"
	fi
else
	fail "SIGTERM: nsplice still running after 3 s"
fi
assert_no_nsplice_procs "SIGTERM: no nsplice process left"
if [[ $(connected_to "$NS" "$P3") == 0 ]]; then
	ok "SIGTERM: no flow socket left in the namespace"
else
	fail "SIGTERM: flow sockets left in the namespace"
fi
if grep -q "seccomp (SIGSYS)" "$NSP_LOG"; then
	fail "a role was killed by seccomp"
	show_log "$NSP_LOG"
fi

finish
