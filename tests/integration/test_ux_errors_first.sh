#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ux_errors_first - an error that stops nsplice is the first line it
# prints, and names the value and the cause, with a hint where one helps.
#
# Proves (each case: exit status 2, and the FIRST line of the output):
#  - -t P with P taken on the host: "[supervisor] error: -t P: cannot
#    listen on 127.0.0.1:P: address already in use";
#  - -T P with P taken in the namespace: "... in the namespace: address
#    already in use";
#  - an unprivileged user's -t 80: "... permission denied (ports below
#    1024 need CAP_NET_BIND_SERVICE, a lower sysctl
#    net.ipv4.ip_unprivileged_port_start, or a systemd socket unit)";
#  - a Docker-style -t 127.0.0.1:8080:80: the parse error says the listen
#    address goes before a '/';
#  - an unprivileged user's --netns on root's namespace: "nsplice:
#    --netns NAME: cannot enter its network namespace: Operation not
#    permitted (... run nsplice as its owner or as root)";
#  - -u P with P taken on the host, 8 times: the error is the ONLY line
#    (the relay, stopping, asked the ended agent for UDP sockets, got
#    EPIPE and died on it: "[relay] error: agent target: sending
#    UDP_POOL_REQ: Broken pipe" and "relay exited with status 1 while
#    stopping" followed in 3 runs of 5).
# Why it matters: a user reads the first line; when the cause is the
# sixth, after five lines of sandbox details, it is missed.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary

NS="nsp-$$-uxe"
make_netns "$NS"
alloc_ports 31300 HTAKEN NTAKEN HFREE UTAKEN

start_ns_server "" "$TMPDIR_TEST/host.log" sink-server "$HTAKEN" --addr 127.0.0.1
wait_port 127.0.0.1 "$HTAKEN" || die "host server did not start"
start_ns_server "$NS" "$TMPDIR_TEST/ns.log" sink-server "$NTAKEN" --addr 127.0.0.1
wait_port 127.0.0.1 "$NTAKEN" "$NS" || die "namespace server did not start"
start_udp_hold "$TMPDIR_TEST/udp-holder.out" -- 127.0.0.1 "$UTAKEN"

# AS_USER - run as the unprivileged test user (as_test_user, for timeout)
AS_USER=(setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups
	--inh-caps=-all --)

# user_view FILE - FILE without the line that --sandbox=log prints at every
# start (the suite-wide NSPLICE_TEST_SANDBOX_LOG run): what a user of an
# enforcing nsplice sees; written to FILE.user, whose name is printed
user_view() {
	grep -v -E '^\[supervisor\] warning: --sandbox=log: ' "$1" >"$1.user" || true
	printf '%s\n' "$1.user"
}

# first_line DESC WANT-RC REGEX CMD... - run CMD (bounded); its exit
# status is WANT-RC and its first output line matches REGEX
first_line() {
	local desc=$1 want=$2 re=$3 rc=0 first
	shift 3
	timeout -k 2 20 "$@" >"$TMPDIR_TEST/out" 2>&1 </dev/null || rc=$?
	first=$(head -n1 "$(user_view "$TMPDIR_TEST/out")")
	if [[ $rc == "$want" ]] && grep -q -E "$re" <<<"$first"; then
		ok "$desc: exit $rc, first line: $first"
	else
		fail "$desc: exit $rc (want $want), first line not /$re/"
		indent <"$TMPDIR_TEST/out"
	fi
}

first_line "-t on a port taken on the host" 2 \
	"^\[supervisor\] error: -t $HTAKEN: cannot listen on 127\.0\.0\.1:$HTAKEN: address already in use" \
	"$NSPLICE" --netns "$NS" -t "$HTAKEN"
first_line "-T on a port taken in the namespace" 2 \
	"^\[supervisor\] error: -T $NTAKEN: cannot listen on 127\.0\.0\.1:$NTAKEN in the namespace: address already in use" \
	"$NSPLICE" --netns "$NS" -T "$NTAKEN"
if (($(sysctl -n net.ipv4.ip_unprivileged_port_start) > 80)); then
	first_line "unprivileged -t 80" 2 \
		"^\[supervisor\] error: -t 80:$HFREE: cannot listen on 127\.0\.0\.1:80: permission denied \(ports below 1024 need CAP_NET_BIND_SERVICE, a lower sysctl net\.ipv4\.ip_unprivileged_port_start, or a systemd socket unit\)" \
		"${AS_USER[@]}" "$USER_NSPLICE" -t "80:$HFREE" -- sleep 10
else
	fail "net.ipv4.ip_unprivileged_port_start allows port 80: case not testable here"
fi
first_line "Docker-style -t 127.0.0.1:8080:80" 2 \
	"^nsplice: -t \"127\.0\.0\.1:8080:80\": .*a listen address goes before a '/'" \
	"$NSPLICE" --netns "$NS" -t 127.0.0.1:8080:80
first_line "unprivileged --netns on root's namespace" 2 \
	"^nsplice: --netns $NS: cannot enter its network namespace: Operation not permitted \(it belongs to a user namespace you have no privileges in: run nsplice as its owner or as root\)" \
	"${AS_USER[@]}" "$USER_NSPLICE" --netns "$NS" -t "$HFREE"

extra=0
for ((run = 1; run <= 8; run++)); do
	rc=0
	timeout -k 2 20 "$NSPLICE" --netns "$NS" -u "$UTAKEN" \
		>"$TMPDIR_TEST/u.out" 2>&1 </dev/null || rc=$?
	lines=$(wc -l <"$(user_view "$TMPDIR_TEST/u.out")")
	if ((rc != 2 || lines != 1)); then
		extra=$((extra + 1))
		note "run $run: exit $rc, $lines lines:"
		indent <"$TMPDIR_TEST/u.out"
	fi
done
((extra == 0)) &&
	ok "-u on a UDP port taken on the host, 8 runs: exit 2 and the error alone" ||
	fail "-u on a UDP port taken on the host: $extra of 8 runs said more than the error, or another status"

finish
