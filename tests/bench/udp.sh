#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# udp.sh - UDP forwarding, side by side in one run: direct, nsplice -u,
# pasta -u (its spliced loopback path) and socat.
#
# As root, from the repository top:  tests/bench/udp.sh [--nsplice PATH]
# [--seconds S] [--out DIR]
#
# One namespace with lo up (and a veth pair for socat, which cannot cross
# namespaces: it reaches the server through the veth, the others through
# the namespace's loopback), a udpbench echo server on 0.0.0.0:7100 in it.
# Per forwarder: echoes per second for 64- and 1,400-byte datagrams on 1
# flow (32 in flight) and on 64 flows (4 in flight each); 1-byte
# request/response latency (p50, p99 of 20,000 round trips); CPU time of
# the forwarder's processes per million datagrams forwarded (each echo is
# two datagrams through it), from the 64-byte, 64-flow run.  Ratios to
# direct go in the last column.  Not a test: nothing here fails on a
# number; it exits non-zero only when it cannot set up.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
NSPLICE=$top/build-bench/nsplice
SECS=3
OUT=""
while (($#)); do
	case $1 in
	--nsplice) NSPLICE=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--nsplice PATH] [--seconds S] [--out DIR]" >&2; exit 2 ;;
	esac
done
(($(id -u) == 0)) || { echo "run as root" >&2; exit 1; }
[[ -x $NSPLICE ]] || { echo "no nsplice at $NSPLICE (--nsplice PATH)" >&2; exit 1; }
for c in pasta socat gcc ip; do
	command -v "$c" >/dev/null || { echo "$c missing (apt-get install passt socat gcc iproute2)" >&2; exit 1; }
done
OUT=${OUT:-$(mktemp -d /tmp/nsplice-udpbench.XXXXXX)}
mkdir -p "$OUT"
gcc -O2 -Wall -Wextra -Werror -o "$OUT/udpbench" "$top/tests/bench/tools/udpbench.c"
UB=$OUT/udpbench

NS=nspudp-$$
PORT=7100
HP=${NSPBENCH_UDP_PORT:-21100}
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	ip link del "nub$$" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip link add "nub$$" type veth peer name "nubn$$" netns "$NS"
ip addr add 10.251.0.1/24 dev "nub$$"
ip link set "nub$$" up
ip -n "$NS" addr add 10.251.0.2/24 dev "nubn$$"
ip -n "$NS" link set "nubn$$" up
ip netns exec "$NS" "$UB" echo 0.0.0.0 "$PORT" 3600 >"$OUT/echo.log" 2>&1 &
PIDS+=($!)
sleep 0.3

# tree_cpu PID - utime+stime+cutime+cstime of PID and its descendants, ticks
tree_cpu() {
	local p kids t=0 v
	v=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0)
	t=$((t + v))
	for kids in /proc/"$1"/task/*/children; do
		for p in $(cat "$kids" 2>/dev/null); do
			t=$((t + $(tree_cpu "$p")))
		done
	done
	echo "$t"
}

# measure NAME HOST PORT PID [NETNS] - one row; PID 0 for direct
measure() {
	local name=$1 host=$2 port=$3 pid=$4 ns=${5:-} run=() r c0 c1 out
	[[ -n $ns ]] && run=(ip netns exec "$ns")
	"${run[@]}" "$UB" lat "$host" "$port" 200 >/dev/null || {
		echo "$name: no echo through it" >&2; return 1; }
	out="$name"
	for r in "64 1 32" "1400 1 32" "64 64 4" "1400 64 4"; do
		set -- $r
		if [[ $1 == 64 && $2 == 64 && $pid != 0 ]]; then c0=$(tree_cpu "$pid"); fi
		v=$("${run[@]}" "$UB" rate "$host" "$port" "$1" "$2" "$SECS" "$3")
		if [[ $1 == 64 && $2 == 64 ]]; then
			dg=$(awk '{ print $2 }' <<<"$v")
			if [[ $pid != 0 ]]; then
				c1=$(tree_cpu "$pid")
				cpu=$(awk -v t=$((c1 - c0)) -v d="$dg" -v hz="$(getconf CLK_TCK)" \
					'BEGIN { printf "%.0f", d ? t / hz * 1000 / (2 * d / 1e6) : 0 }')
			else
				cpu=-
			fi
		fi
		out+=" $(awk '{ print $4 }' <<<"$v")"
	done
	out+=" $("${run[@]}" "$UB" lat "$host" "$port" 20000 | awk '{ print $2, $4 }') $cpu"
	echo "$out" | tee -a "$OUT/rows"
}

: >"$OUT/rows"
measure direct 127.0.0.1 "$PORT" 0 "$NS"

"$NSPLICE" --netns "$NS" -q -u "$HP:$PORT" >"$OUT/nsplice.log" 2>&1 &
PIDS+=($!)
NSP=$!
for ((i = 0; i < 100; i++)); do "$UB" lat 127.0.0.1 "$HP" 1 >/dev/null 2>&1 && break; sleep 0.1; done
measure nsplice 127.0.0.1 "$HP" "$NSP"
kill "$NSP" 2>/dev/null || true; wait "$NSP" 2>/dev/null || true

pasta -f -q --runas 0:0 --netns "/run/netns/$NS" -u "$((HP + 1)):$PORT" -t none -T none -U none \
	>"$OUT/pasta.log" 2>&1 &
PIDS+=($!)
PST=$!
for ((i = 0; i < 100; i++)); do "$UB" lat 127.0.0.1 $((HP + 1)) 1 >/dev/null 2>&1 && break; sleep 0.1; done
measure pasta 127.0.0.1 $((HP + 1)) "$PST" ||
	echo "pasta: no row; Debian 12's passt 0.0~git20230309 sends spliced UDP replies on descriptor 0 (ENOTSOCK under strace; README.md, Performance, UDP)" >&2
kill "$PST" 2>/dev/null || true; wait "$PST" 2>/dev/null || true

socat -T 30 "UDP4-LISTEN:$((HP + 2)),bind=127.0.0.1,reuseaddr,fork" \
	"UDP4:10.251.0.2:$PORT" >"$OUT/socat.log" 2>&1 &
PIDS+=($!)
SCT=$!
sleep 0.3
measure socat 127.0.0.1 $((HP + 2)) "$SCT" || true

{
	echo "| forwarder | 64 B, 1 flow /s | 1400 B, 1 flow /s | 64 B, 64 flows /s | 1400 B, 64 flows /s | RR p50 µs | RR p99 µs | CPU ms per 1M datagrams |"
	echo "|---|---|---|---|---|---|---|---|"
	awk 'NR == 1 { for (i = 2; i <= 7; i++) d[i] = $i }
	     { printf "| %s |", $1
	       for (i = 2; i <= 7; i++) printf " %s (%.2f) |", $i, d[i] ? $i / d[i] : 0
	       printf " %s |\n", $8 }' "$OUT/rows"
} | tee "$OUT/table.md"
echo "results in $OUT"
