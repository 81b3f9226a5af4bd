#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_netns_basic - the basic promise, end to end, as root.
#
# Proves: `nsplice --netns NAME -t HPORT:PORT` makes an HTTP server that
# listens only on the loopback of a named namespace reachable from the
# host's loopback, over IPv4 (127.0.0.1) AND IPv6 (::1), each family landing
# on the namespace's loopback of the same family (two different servers
# serve two different files, so a family mix-up is visible); the process
# titles show the four roles; SIGTERM ends it with status 0 within 2 s,
# with no process and no listener left; --userns naming nsplice's own
# user namespace is accepted (nothing to join).
# Why it matters: this is the main use case (reach a service in a
# container); the role titles are what an operator sees in ps; a clean,
# prompt SIGTERM exit is what service managers need.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

NS="nsp-$$-basic"
make_netns "$NS"
alloc_ports 22000 HPORT PORT

# Two document roots with distinct tokens: one per address family.
for fam in v4 v6; do
	mkdir -p "$TMPDIR_TEST/www-$fam"
	echo "nsplice-$fam-$RUN_TAG" >"$TMPDIR_TEST/www-$fam/token.txt"
done
start_bg "$TMPDIR_TEST/http4.log" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" -m http.server --bind 127.0.0.1 --directory "$TMPDIR_TEST/www-v4" "$PORT"
start_bg "$TMPDIR_TEST/http6.log" ip netns exec "$NS" timeout -k 2 "$LIFETIME" \
	"$PY" -m http.server --bind ::1 --directory "$TMPDIR_TEST/www-v6" "$PORT"
wait_port 127.0.0.1 "$PORT" "$NS" || die "http server (IPv4) in $NS did not start"
wait_port ::1 "$PORT" "$NS" || die "http server (IPv6) in $NS did not start"

start_nsplice --wait 127.0.0.1 "$HPORT" --wait ::1 "$HPORT" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HPORT:$PORT" ||
	die "nsplice did not come up"

got=$(timeout 10 curl -s --max-time 5 "http://127.0.0.1:$HPORT/token.txt" || true)
if [[ $got == "nsplice-v4-$RUN_TAG" ]]; then
	ok "IPv4: curl http://127.0.0.1:$HPORT/ reaches the server on the namespace's 127.0.0.1:$PORT"
else
	fail "IPv4: curl http://127.0.0.1:$HPORT/token.txt returned '$got', expected nsplice-v4-..."
fi
got=$(timeout 10 curl -s -g --max-time 5 "http://[::1]:$HPORT/token.txt" || true)
if [[ $got == "nsplice-v6-$RUN_TAG" ]]; then
	ok "IPv6: curl http://[::1]:$HPORT/ reaches the server on the namespace's [::1]:$PORT"
else
	fail "IPv6: curl http://[::1]:$HPORT/token.txt returned '$got', expected nsplice-v6-..."
fi
# A larger body, to exercise more than one splice round.
head -c 3000000 /dev/urandom >"$TMPDIR_TEST/www-v4/big.bin"
if timeout 20 curl -s --max-time 15 -o "$TMPDIR_TEST/big.out" "http://127.0.0.1:$HPORT/big.bin" &&
	cmp -s "$TMPDIR_TEST/big.out" "$TMPDIR_TEST/www-v4/big.bin"; then
	ok "IPv4: a 3 MB file arrives intact"
else
	fail "IPv4: the 3 MB file differs or failed ($(stat -c %s "$TMPDIR_TEST/big.out" 2>/dev/null || echo 0) bytes)"
fi

nsplice_snapshot
nsplice_ps >"$TMPDIR_TEST/ps"
for role in supervisor 'agent host' 'agent target' relay; do
	if grep -q -E "^ *[0-9]+ +[^ ]+ +nsplice: $role" "$TMPDIR_TEST/ps"; then
		ok "ps shows 'nsplice: $role'"
	else
		fail "ps does not show 'nsplice: $role'"
		indent <"$TMPDIR_TEST/ps"
	fi
done
if ps -o args= -p "$NSP_PID" | grep -q '^nsplice: supervisor'; then
	ok "the started pid is the supervisor"
else
	fail "the started pid $NSP_PID is '$(ps -o args= -p "$NSP_PID")', not 'nsplice: supervisor'"
fi

if stop_nsplice TERM 5; then
	if [[ $NSP_RC == 0 ]]; then
		ok "SIGTERM: exit status 0 after ${NSP_EXIT_MS} ms"
	else
		fail "SIGTERM: exit status $NSP_RC, expected 0"
		show_log "$NSP_LOG"
	fi
else
	fail "SIGTERM: nsplice still running after 5 s"
	show_log "$NSP_LOG"
fi
assert_no_nsplice_procs "SIGTERM: no nsplice process left"
if port_listening "$HPORT"; then
	fail "SIGTERM: port $HPORT still listening"
	ss -Hltnp "sport = :$HPORT" | indent
else
	ok "SIGTERM: port $HPORT no longer listening"
fi

# --userns naming the user namespace nsplice already runs in: nothing to
# join (the kernel refuses a setns() into one's own, EINVAL, which was
# reported as "--netns NAME: cannot enter its network namespace").
if start_nsplice --wait 127.0.0.1 "$HPORT" "$TMPDIR_TEST/userns.log" \
	--userns /proc/self/ns/user --netns "$NS" -t "$HPORT:$PORT"; then
	check "--userns of nsplice's own user namespace: forwards" \
		curl -s -f -m 10 -o /dev/null "http://127.0.0.1:$HPORT/token.txt" ||
		show_log "$NSP_LOG"
	shutdown_nsplice 5 "--userns own"
fi

finish
