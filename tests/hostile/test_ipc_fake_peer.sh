#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_ipc_fake_peer - a compromised peer on every channel of the relay
# and of an agent.
#
# lib/fakepeer.py starts `nsplice --role=relay` (as root, --runas nobody,
# so its whole sandbox applies) and `nsplice --role=agent --side=host`
# exactly as the supervisor does, plays all their peers, and sends one
# hostile message per run on the supervisor channel and on the
# relay<->agent channel: a datagram shorter than a header, a payload
# shorter than its header says, one larger than any message (MSG_TRUNC),
# an unknown type, a type that never travels that way, a type without the
# descriptor it needs, and one with a descriptor it must not carry.
# Proves for each (28 runs): the receiver ends within 5 s with status 1
# and one log line naming the channel and what was wrong; it never hangs
# and never accepts the message.  Except the relay receiving from its agent
# (audit finding 10d: an agent's violation must not cost the relay's
# flows): it logs the same line, closes only that channel, reports
# AGENT_BAD to the supervisor and keeps running (it still answers a
# configuration exchange).
# Flooding: valid messages as fast as the receiver takes them for 2 s
# (NS_ADDRS from an agent to the relay; POOL_REQ from the relay to an
# agent, every socket read back): the receiver survives, answers every
# request exactly once (agent: sockets sent = requests), its descriptor
# count is the same before and after (nothing leaked), and it still
# answers a configuration exchange afterwards.
# The supervisor as receiver is covered in a real run by test_ipc_live.
# Why it matters: these are the processes a compromised container attacks
# first; a parser that trusts a length or keeps a stray descriptor is the
# way in.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

FAKE="$HOSTILE_LIB/fakepeer.py"
declare -A REASON=(
	[short-header]="shorter than a header"
	[short-payload]="wrong length"
	[oversized]="message truncated"
	[unknown]="unknown type"
	[wrong-dir]="wrong direction"
	[missing-fd]="missing descriptor"
	[extra-fd]="unexpected descriptors"
)
declare -A CHNAME=(
	[relay:sup]="supervisor" [relay:peer]="agent host"
	[agent:sup]="the supervisor" [agent:peer]="the relay"
)
# Protocol 1 has no descriptor-carrying type towards an agent or from the
# supervisor to the relay: fakepeer.py sends a protocol-2 type there.
VERSION=""
N=0
NBAD=0
for role in relay agent; do
	[[ $role == relay ]] && tag="relay" || tag="agent host"
	for chan in sup peer; do
		for kind in short-header short-payload oversized unknown wrong-dir missing-fd extra-fd; do
			N=$((N + 1))
			OUT=$(timeout -k 2 30 "$PY" "$FAKE" role "$role" "$kind:$chan" 2>&1) || true
			VERSION=${VERSION:-$(jget "$OUT" version 2>/dev/null)}
			want=${REASON[$kind]}
			# Only LISTENER (agent -> relay) needs a descriptor in
			# protocol 1; protocol 2 adds RELAY_CHAN (supervisor ->
			# agent) and AGENT_CHAN (supervisor -> relay).  The relay
			# never sends one, so towards an agent from the relay the
			# fd-carrying RELAY_CHAN is also a wrong direction.
			if [[ $kind == missing-fd && ! ($role == relay && $chan == peer) ]]; then
				if [[ $VERSION == 1 ]]; then
					want="unknown type"
				elif [[ $role == agent && $chan == peer ]]; then
					want="wrong direction"
				fi
			fi
			st=$(jget "$OUT" status 2>/dev/null)
			if [[ $role == relay && $chan == peer ]]; then
				line=$("$PY" -c 'import json,sys; print(next((l for l in json.loads(sys.argv[1])["log"] if "protocol violation" in l), ""))' "$OUT" 2>/dev/null)
				if [[ $(jget "$OUT" agent_bad) == True && $(jget "$OUT" peer_closed) == True &&
					$(jget "$OUT" alive) == True && $(jget "$OUT" responsive) == True &&
					$line == "[relay] error: agent host: protocol violation: $want; closing its channel"* ]]; then
					ok "relay, $kind from agent host: channel closed, AGENT_BAD sent in $(jget "$OUT" secs) s, relay still serves: $line"
				else
					NBAD=$((NBAD + 1))
					fail "relay, $kind from agent host: agent_bad=$(jget "$OUT" agent_bad) peer_closed=$(jget "$OUT" peer_closed) alive=$(jget "$OUT" alive) responsive=$(jget "$OUT" responsive) line '$line' (want \"$want\")"
					printf '%s\n' "$OUT" | indent
				fi
				continue
			fi
			last=$("$PY" -c 'import json,sys; print((json.loads(sys.argv[1])["log"] or [""])[-1])' "$OUT" 2>/dev/null)
			if [[ $st == 1 && $last == "[$tag] error: "*"${CHNAME[$role:$chan]}"*": $want" ]]; then
				ok "$role, $kind from ${CHNAME[$role:$chan]}: exit 1 in $(jget "$OUT" secs) s: $last"
			else
				NBAD=$((NBAD + 1))
				fail "$role, $kind from ${CHNAME[$role:$chan]}: status '${st:-none}', last log line '$last' (want \"$want\")"
				printf '%s\n' "$OUT" | indent
			fi
		done
	done
done

FIG="malformed runs=$N handled=$((N - NBAD)) (expected $N)"
for role in relay agent; do
	OUT=$(timeout -k 2 30 "$PY" "$FAKE" role "$role" flood:peer 2>&1) || true
	note "$role flood: $(jget "$OUT" sent) sent, $(jget "$OUT" answers) answers"
	if [[ $(jget "$OUT" alive) == True && $(jget "$OUT" responsive) == True ]]; then
		ok "$role survives $(jget "$OUT" sent) flooded messages and still answers"
	else
		fail "$role after the flood: alive=$(jget "$OUT" alive) responsive=$(jget "$OUT" responsive)"
		printf '%s\n' "$OUT" | indent
	fi
	B=$(jget "$OUT" fds_before)
	A=$(jget "$OUT" fds_after)
	[[ -n $B && $B == "$A" ]] && ok "$role: descriptors $B before and after the flood" ||
		fail "$role: descriptors $B before, $A after the flood"
	if [[ $role == agent ]]; then
		S=$(jget "$OUT" sent)
		F=$(jget "$OUT" answer_fds)
		[[ -n $S && $S == "$F" ]] && ok "agent answered $S POOL_REQs with exactly $F sockets" ||
			fail "agent got $S POOL_REQs of one socket and sent $F sockets"
	fi
	FIG="$FIG; $role flood: sent=$(jget "$OUT" sent) fds $B->$A alive=$(jget "$OUT" alive)"
done
figure "$FIG"
finish
