#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_reset_midtransfer - a reset in the middle of a transfer, each way.
#
# Proves, five times each while 300 other framed transfers run through the
# same relay:
#  - server -> client: a server that aborts (RST) after 4 MiB makes the
#    client see ECONNRESET, never a clean EOF (nstool reset-client);
#  - client -> server: a client that aborts after sending 2 MiB makes the
#    server see ECONNRESET, never a clean EOF (hostile.py judge-server
#    prints how each connection ended);
#  - the 300 other transfers all complete intact, and afterwards the relay
#    holds no socket of the aborted flows.
# Why it matters: a reset turned into FIN makes a truncated upload or
# download look complete to the other end; an abort must stay confined to
# its own flow.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

ROUNDS=5
NS="nsp-$$-rst"
make_netns "$NS"
alloc_ports 31200 HRST RST HJ J HX X

start_ns_server "$NS" "$TMPDIR_TEST/rst.log" reset-server "$RST"
start_hostile_server "$NS" "$TMPDIR_TEST/judge.log" judge-server "$J"
start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
for p in "$RST" "$J" "$X"; do
	wait_port 127.0.0.1 "$p" "$NS" || die "server on port $p did not start"
done
start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice.log" --netns "$NS" \
	-t "$HRST:$RST" -t "$HJ:$J" -t "$HX:$X" || die "nsplice did not come up"
RELAY=$(relay_pid)
hostile load 127.0.0.1 "$HX" --conns 1 --up 1K --down 1K >/dev/null ||
	die "a single transfer failed"
SOCKS0=$(sock_count "$RELAY")

hostile load 127.0.0.1 "$HX" --conns 300 --max-size 4M --pause-ms 50 --seed 3 \
	>"$TMPDIR_TEST/load.json" 2>"$TMPDIR_TEST/load.err" &
LOADPID=$!
cleanup_pid "$LOADPID"

DOWN_RST=0
UP_RST=0
# The judge also saw the readiness probe of wait_port: skip its lines.
J0=$(grep -c '"end"' "$TMPDIR_TEST/judge.log" || true)
for ((i = 1; i <= ROUNDS; i++)); do
	if check "round $i: server aborts after 4 MiB: client sees a reset" \
		nstool reset-client 127.0.0.1 "$HRST"; then
		DOWN_RST=$((DOWN_RST + 1))
	fi
	hostile reset-up 127.0.0.1 "$HJ" 2M >/dev/null ||
		fail "round $i: client abort tool failed"
	judged() { (($(grep -c '"end"' "$TMPDIR_TEST/judge.log") >= J0 + i)); }
	if ! wait_until 5 judged; then
		fail "round $i: client aborted after 2 MiB: the server saw no end within 5 s"
		continue
	fi
	LINE=$(grep '"end"' "$TMPDIR_TEST/judge.log" | sed -n "$((J0 + i))p")
	if [[ $(jget "$LINE" end) == reset ]]; then
		UP_RST=$((UP_RST + 1))
		ok "round $i: client aborted after 2 MiB: server sees a reset ($(jget "$LINE" bytes) bytes first)"
	else
		fail "round $i: client aborted after 2 MiB: server saw a clean EOF: $LINE"
	fi
done

wait "$LOADPID" || true
LOUT=$(cat "$TMPDIR_TEST/load.json")
load_ok "300 transfers running beside the aborts" "$LOUT" || true
sock_back() { (($(sock_count "$RELAY") <= SOCKS0 + 32)); }
wait_until 5 sock_back && ok "relay holds no socket of the aborted flows ($(fd_kinds "$RELAY"))" ||
	fail "relay holds $(fd_kinds "$RELAY"), $SOCKS0 sockets before"
figure "resets server->client seen=$DOWN_RST/$ROUNDS client->server seen=$UP_RST/$ROUNDS" \
	"(expected all); other transfers ok=$(jget "$LOUT" ok)/300 corrupt=$(jget "$LOUT" corrupt)"

assert_still_running
shutdown_nsplice --any-status 3
finish
