#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_ports - the port SPEC forms do what they say.
#
# Proves, with one ident server per namespace port (it answers the local
# port it was reached on, so every mapping is checked exactly):
#   -t H:P          host H reaches namespace P; host P is not opened
#   -t N-M          every port of the range is forwarded to the same port
#   -t N-M:P-Q      host N+i reaches namespace P+i for every i
#   -t N-M,~K       K is neither listening nor reachable, the others are
#   -T P            a client in the namespace connecting to its loopback P
#                   reaches a server on the host's loopback P (IPv4, IPv6)
#   -T N:P          namespace N reaches host P
# Why it matters: a wrong offset in a range map silently connects users to
# the wrong service, and an ignored exclusion exposes a port the user meant
# to keep closed.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-ports"
make_netns "$NS"
alloc_ports 24000 H1 P1
alloc_range 24000 R 3        # -t R-R+2
alloc_range 24000 A 3        # -t A-A+2:B-B+2
alloc_range 24000 B 3
alloc_range 24000 E 4        # -t E-E+3,~E+1
alloc_ports 24000 TP TN TQ   # -T TP, -T TN:TQ

# Namespace side: ident servers on every target port.
start_ns_server "$NS" "$TMPDIR_TEST/ns-ident.log" ident-server \
	"$P1" "$R" $((R + 1)) $((R + 2)) "$B" $((B + 1)) $((B + 2)) \
	"$E" $((E + 1)) $((E + 2)) $((E + 3)) --addr 127.0.0.1 --addr ::1
# Host side: ident servers for -T.
start_ns_server "" "$TMPDIR_TEST/host-ident.log" ident-server "$TP" "$TQ" \
	--addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$P1" "$NS" || die "ident server in $NS did not start"
wait_port ::1 $((E + 3)) "$NS" || die "ident server in $NS did not start"
wait_port 127.0.0.1 "$TP" || die "ident server on the host did not start"
wait_port ::1 "$TQ" || die "ident server on the host did not start"

start_nsplice --wait 127.0.0.1 "$H1" --wait 127.0.0.1 $((R + 2)) \
	--wait 127.0.0.1 $((A + 2)) --wait 127.0.0.1 $((E + 3)) \
	--wait-in "$NS" 127.0.0.1 "$TP" --wait-in "$NS" 127.0.0.1 "$TN" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$H1:$P1" -t "$R-$((R + 2))" -t "$A-$((A + 2)):$B-$((B + 2))" \
	-t "$E-$((E + 3)),~$((E + 1))" -T "$TP" -T "$TN:$TQ" ||
	die "nsplice did not come up"

# expect_ident DESC WANT-PORT [NETNS] HOST PORT - the ident line says WANT.
expect_ident() {
	local desc=$1 want=$2 ns=$3 host=$4 port=$5 out rc=0
	if [[ -n $ns ]]; then
		out=$(nstool_in "$ns" ident "$host" "$port" 2>&1) || rc=$?
	else
		out=$(nstool ident "$host" "$port" 2>&1) || rc=$?
	fi
	if ((rc == 0)) && [[ $out == "port=$want "* ]]; then
		ok "$desc ($out)"
	else
		fail "$desc: expected port=$want, got: $out"
	fi
}

for lo in 127.0.0.1 ::1; do
	expect_ident "-t $H1:$P1 via $lo: host $H1 reaches namespace $P1" "$P1" "" "$lo" "$H1"
	for i in 0 1 2; do
		expect_ident "-t $R-$((R + 2)) via $lo: port $((R + i))" $((R + i)) "" "$lo" $((R + i))
		expect_ident "-t $A-$((A + 2)):$B-$((B + 2)) via $lo: host $((A + i)) -> ns $((B + i))" \
			$((B + i)) "" "$lo" $((A + i))
	done
	for i in 0 2 3; do
		expect_ident "-t $E-$((E + 3)),~$((E + 1)) via $lo: port $((E + i)) forwarded" \
			$((E + i)) "" "$lo" $((E + i))
	done
	check "-t $E-$((E + 3)),~$((E + 1)) via $lo: excluded port $((E + 1)) refused" \
		nstool expect-reset "$lo" $((E + 1)) || true
	expect_ident "-T $TP via $lo: namespace $TP reaches host $TP" "$TP" "$NS" "$lo" "$TP"
	expect_ident "-T $TN:$TQ via $lo: namespace $TN reaches host $TQ" "$TQ" "$NS" "$lo" "$TN"
done

if port_listening $((E + 1)); then
	fail "excluded port $((E + 1)) is listening on the host"
	ss -Hltnp "sport = :$((E + 1))" | indent
else
	ok "excluded port $((E + 1)) is not listening on the host"
fi
# Without ADDR, -t must listen on the host's loopback addresses only.
addrs=$(ss -Hltn "sport = :$H1" | awk '{ print $4 }' | LC_ALL=C sort | paste -sd' ' -)
if [[ $addrs == "127.0.0.1:$H1 [::1]:$H1" ]]; then
	ok "-t $H1:$P1 listens on 127.0.0.1 and ::1 only ($addrs)"
else
	fail "-t $H1:$P1 listens on '$addrs', expected exactly 127.0.0.1:$H1 and [::1]:$H1"
fi
if port_listening "$P1"; then
	fail "-t $H1:$P1 opened the target port $P1 on the host too"
else
	ok "-t $H1:$P1 did not open port $P1 on the host"
fi
if port_listening "$TN"; then
	fail "-T $TN:$TQ opened port $TN on the host (should only be in the namespace)"
else
	ok "-T $TN:$TQ listens only in the namespace"
fi
addrs=$(in_netns "$NS" ss -Hltn "sport = :$TN" | awk '{ print $4 }' | LC_ALL=C sort | paste -sd' ' -)
if [[ $addrs == "127.0.0.1:$TN [::1]:$TN" ]]; then
	ok "-T $TN:$TQ listens on the namespace's 127.0.0.1 and ::1 only"
else
	fail "-T $TN:$TQ listens in the namespace on '$addrs', expected 127.0.0.1:$TN and [::1]:$TN"
fi

shutdown_nsplice 2
finish
