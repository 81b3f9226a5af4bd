#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_f10_auto_low_ports - "auto" forwards a privileged port only when
# the spec names it.
#
# Audit finding 10a: a root `nsplice -t auto` kept CAP_NET_BIND_SERVICE
# in agent[host] (auto allowed every port, so it might need one below
# 1024), and a process in the namespace listening on port 25 made the
# host bind 127.0.0.1:25.  Proves, with servers in the namespace on a low
# port L (25 if free, else another below 1024) and a high port H:
#   -t auto        the host listens on H but never on L, and agent[host]
#                  runs without CAP_NET_BIND_SERVICE (CapEff, CapPrm);
#   -t auto,L,H    the named low port is forwarded (a round trip through
#                  L reaches the namespace's L) and agent[host] keeps
#                  CAP_NET_BIND_SERVICE for it.
# The low-port limit is net.ipv4.ip_unprivileged_port_start of the host
# (1024 by default); on a host where it is lower than L the first case
# cannot show anything and the test says so and fails.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "$(dirname "$0")/lib/load.sh"

need_root
need_nsplice

# AUTO_WAIT - seconds for an auto forward to appear (scans run each second)
AUTO_WAIT=5
# CAP_NET_BIND_SERVICE_BIT - bit of CAP_NET_BIND_SERVICE in /proc masks
CAP_NET_BIND_SERVICE_BIT=10

UNPRIV=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
L=""
for p in 25 26 27 70 71 72 73 74 75 76 77 78 79; do
	port_free "$p" && { L=$p; break; }
done
[[ -n $L ]] || die "no free low port on the host"
((L < UNPRIV)) || die "ip_unprivileged_port_start is $UNPRIV: port $L is not privileged here"

NS="nsp-$$-f10"
make_netns "$NS"
alloc_ports 15300 H
many_server "$NS" "$L,$H" "$TMPDIR_TEST/ns-srv.log"

# has_bind_cap PID FIELD - true if /proc/PID/status FIELD (CapEff, ...)
# has CAP_NET_BIND_SERVICE.
has_bind_cap() {
	local mask
	mask=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
	[[ -n $mask ]] || die "no $2 for pid $1"
	(((16#$mask >> CAP_NET_BIND_SERVICE_BIT) & 1))
}

# wait_host_listen PORT SECONDS - true once PORT listens on the host.
wait_host_listen() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		port_listening "$1" && return 0
		pid_alive "$NSP_PID" || return 1
		sleep 0.05
	done
	return 1
}

# --- bare auto: the low port stays closed, no capability ------------------
start_nsplice "$TMPDIR_TEST/auto.log" --netns "$NS" -t auto ||
	die "nsplice -t auto did not start"
if wait_host_listen "$H" "$AUTO_WAIT"; then
	ok "-t auto: high port $H is forwarded"
else
	fail "-t auto: high port $H not listening on the host within ${AUTO_WAIT}s"
	show_log "$NSP_LOG" 20
fi
# H and L are reported by the same scan: one more second for a late bind
sleep 1
if port_listening "$L"; then
	fail "-t auto: the host listens on privileged port $L for the namespace"
	ss -Hltnp "sport = :$L" | indent
else
	ok "-t auto: the host does not listen on privileged port $L"
fi
AGENT=$(find_role "agent host") || die "no agent host"
for f in CapEff CapPrm; do
	if has_bind_cap "$AGENT" "$f"; then
		fail "-t auto: agent host $f has CAP_NET_BIND_SERVICE"
	else
		ok "-t auto: agent host $f has no CAP_NET_BIND_SERVICE"
	fi
done
expect_clean_stop

# --- the low port named: forwarded ----------------------------------------
start_nsplice "$TMPDIR_TEST/named.log" --netns "$NS" -t "auto,$L,$H" ||
	die "nsplice -t auto,$L,$H did not start"
if wait_host_listen "$L" "$AUTO_WAIT"; then
	ok "-t auto,$L,$H: privileged port $L is forwarded when named"
	probe_all "-t auto,$L,$H: round trip through $L" 127.0.0.1 "$L:$L"
else
	fail "-t auto,$L,$H: port $L not listening within ${AUTO_WAIT}s"
	show_log "$NSP_LOG" 20
fi
AGENT=$(find_role "agent host") || die "no agent host"
if has_bind_cap "$AGENT" CapEff; then
	ok "-t auto,$L,$H: agent host keeps CAP_NET_BIND_SERVICE"
else
	fail "-t auto,$L,$H: agent host lacks CAP_NET_BIND_SERVICE"
fi
expect_clean_stop
finish
