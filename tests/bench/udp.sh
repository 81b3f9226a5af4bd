#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# udp.sh - UDP forwarding, side by side in one run: direct, nsplice -u,
# nsplice-bp (the same with --busy-poll, NSPBENCH_BUSY_POLL microseconds,
# default 50), pasta -u (its spliced loopback path) and socat.
#
# As root, from the repository top:  tests/bench/udp.sh [--nsplice PATH]
# [--seconds S] [--rounds N] [--out DIR]
#
# One namespace with lo up (and a veth pair for socat, which cannot cross
# namespaces: it reaches the server through the veth, the others through
# the namespace's loopback), a udpbench echo server on 0.0.0.0:7100 in it
# (and one on the port pasta forwards, see below).
# Per forwarder: echoes per second for 64- and 1,400-byte datagrams on 1
# flow (32 in flight) and on 64 flows (4 in flight each); 1-byte
# request/response latency (p50, p99 of 20,000 round trips), unpinned
# and pinned as tests/bench/run.sh pins TCP's (client and every thread of
# the forwarder on CPU 0, echo server on CPU 1); CPU time of
# the forwarder's processes per million datagrams forwarded (each echo is
# two datagrams through it), from the 64-byte, 64-flow run, and per
# round trip of the unpinned latency run (the work a round trip costs
# the forwarder, wake-ups included, which is what its latency is made
# of; the pinned and unpinned latencies themselves move with the
# machine's state by more than forwarders differ).  --rounds N (3)
# interleaved rounds; the table gives medians and ratios to direct, then
# issue 14's targets (nsplice at least pasta's rate and at most its
# latency on every row, pinned and unpinned, less CPU per datagram), each
# "met" or "MISSED", judged on nsplice's default; nsplice-bp's ratios are
# printed beside.
# Not a test: nothing here fails on a number; it exits non-zero only when
# it cannot set up.
set -euo pipefail

PY=python3
top=$(cd "$(dirname "$0")/../.." && pwd)
NSPLICE=$top/build-bench/nsplice
SECS=3
ROUNDS=3
OUT=""
while (($#)); do
	case $1 in
	--nsplice) NSPLICE=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [--nsplice PATH] [--seconds S] [--rounds N] [--out DIR]" >&2; exit 2 ;;
	esac
done
(($(id -u) == 0)) || { echo "run as root" >&2; exit 1; }
[[ -x $NSPLICE ]] || { echo "no nsplice at $NSPLICE (--nsplice PATH)" >&2; exit 1; }
for c in pasta socat gcc ip python3; do
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
ECHO=$!
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

# tree_pids PID - PID and its descendants, one per line
tree_pids() {
	local kids p
	echo "$1"
	for kids in /proc/"$1"/task/*/children; do
		for p in $(cat "$kids" 2>/dev/null); do tree_pids "$p"; done
	done
}

# pin PID CPULIST - every thread of PID and of its descendants on CPULIST
pin() {
	local p
	for p in $(tree_pids "$1"); do
		taskset -a -p -c "$2" "$p" >/dev/null 2>&1 || true
	done
}

# lat_pinned EPID FPID HOST PORT RUN... - "p50 p99" of a pinned 1-byte
# request/response run to HOST:PORT: the client (RUN..., a command
# prefix) on CPU 0, the forwarder (FPID, 0 for none) on CPU 0 too and the
# echo server (EPID) on CPU 1,
# then every one of them back on every CPU.  One CPU for the client and
# the forwarder, as a forwarder's wake-ups then cost no cross-CPU IPI
# and its run queue position is the same for every forwarder.
lat_pinned() {
	local epid=$1 fpid=$2 host=$3 port=$4 v all="0-$(($(nproc) - 1))"
	shift 4
	pin "$epid" 1
	[[ $fpid != 0 ]] && pin "$fpid" 0
	v=$("$@" taskset -c 0 "$UB" lat "$host" "$port" 20000 | awk '{ print $2, $4 }') || true
	pin "$epid" "$all"
	[[ $fpid != 0 ]] && pin "$fpid" "$all"
	echo "$v"
}

# measure NAME HOST PORT PID NETNS ROUND ECHOPID - one row "ROUND NAME
# figures..." appended to rows; PID 0 for direct, NETNS empty for the host
measure() {
	local name=$1 host=$2 port=$3 pid=$4 ns=$5 round=$6 epid=$7 run=() r c0 c1 out
	[[ -n $ns ]] && run=(ip netns exec "$ns")
	"${run[@]}" "$UB" lat "$host" "$port" 200 >/dev/null || {
		echo "$name: no echo through it" >&2; return 1; }
	out="$round $name"
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
	[[ $pid != 0 ]] && c0=$(tree_cpu "$pid")
	v=$("${run[@]}" "$UB" lat "$host" "$port" 20000 | awk '{ print $2, $4 }') || true
	rtcpu=-
	if [[ $pid != 0 ]]; then
		c1=$(tree_cpu "$pid")
		rtcpu=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.1f", t / hz * 1e6 / 20000 }')
	fi
	# A forwarder that stopped echoing leaves the table (and the rounds
	# after this one) rather than a row with figures missing.
	[[ $v =~ ^[0-9.]+\ [0-9.]+$ ]] || {
		echo "$name: no echo through it any more (latency run)" >&2; return 1; }
	out+=" $v"
	v=$(lat_pinned "$epid" "$pid" "$host" "$port" "${run[@]}")
	[[ $v =~ ^[0-9.]+\ [0-9.]+$ ]] || {
		echo "$name: no echo through it any more (pinned latency run)" >&2; return 1; }
	out+=" $v $cpu $rtcpu"
	echo "$out" | tee -a "$OUT/rows"
}

: >"$OUT/rows"

# All forwarders run at once, each on its own port, and every round
# measures each of them in turn (starting one later each round), so a
# slow moment of the machine falls on all of them alike: the table gives
# medians over the rounds, ratios as the median of each round's ratio to
# that round's direct.
"$NSPLICE" --netns "$NS" -q -u "$HP:$PORT" >"$OUT/nsplice.log" 2>&1 &
PIDS+=($!)
NSP=$!
"$NSPLICE" --netns "$NS" -q -u "$((HP + 3)):$PORT" \
	--busy-poll "${NSPBENCH_BUSY_POLL:-50}" >"$OUT/nsplice-bp.log" 2>&1 &
PIDS+=($!)
NSPBP=$!
# pasta forwards the same port number on both sides: Debian 12's passt
# (0.0~git20230309) loses every reply of a remapped spliced UDP forward
# (-u A:B): it sends them with sendmmsg() on descriptor 0 (ENOTSOCK under
# strace).  So a second echo server, the same program, listens on the
# port pasta forwards unchanged.
PP=$((HP + 1))
ip netns exec "$NS" "$UB" echo 0.0.0.0 "$PP" 3600 >"$OUT/echo-pasta.log" 2>&1 &
PIDS+=($!)
ECHOP=$!
pasta -f -q --runas 0:0 --netns "/run/netns/$NS" -u "$PP" -t none -T none -U none \
	>"$OUT/pasta.log" 2>&1 &
PIDS+=($!)
PST=$!
socat -T 30 "UDP4-LISTEN:$((HP + 2)),bind=127.0.0.1,reuseaddr,fork" \
	"UDP4:10.251.0.2:$PORT" >"$OUT/socat.log" 2>&1 &
PIDS+=($!)
SCT=$!
for p in "$HP" "$PP" "$((HP + 3))"; do
	for ((i = 0; i < 100; i++)); do "$UB" lat 127.0.0.1 "$p" 1 >/dev/null 2>&1 && break; sleep 0.1; done
done
sleep 0.3

# NAME HOST PORT PID NETNS ECHOPID, one line per forwarder
FWDS=("direct 127.0.0.1 $PORT 0 $NS $ECHO" "nsplice 127.0.0.1 $HP $NSP - $ECHO"
	"nsplice-bp 127.0.0.1 $((HP + 3)) $NSPBP - $ECHO"
	"pasta 127.0.0.1 $PP $PST - $ECHOP" "socat 127.0.0.1 $((HP + 2)) $SCT - $ECHO")
declare -A DEAD=()
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < ${#FWDS[@]}; k++)); do
		read -r name host port pid ns epid <<<"${FWDS[(k + r) % ${#FWDS[@]}]}"
		[[ -z ${DEAD[$name]:-} ]] || continue
		[[ $ns == - ]] && ns=""
		echo -n "round $((r + 1)): " >&2
		measure "$name" "$host" "$port" "$pid" "$ns" "$((r + 1))" "$epid" >&2 ||
			DEAD[$name]=1
	done
done

"$PY" - "$OUT/rows" <<'PYEOF' | tee "$OUT/table.md"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
NV = 8	# figures per row before the CPU column
direct = {r[0]: [float(x) for x in r[2:2 + NV]] for r in rows if r[1] == "direct"}
order, vals, ratios, cpu, rtcpu = [], {}, {}, {}, {}
for r in rows:
    rnd, name, v = r[0], r[1], [float(x) for x in r[2:2 + NV]]
    if name not in order:
        order.append(name)
    vals.setdefault(name, []).append(v)
    if rnd in direct:
        ratios.setdefault(name, []).append(
            [a / b if b else 0 for a, b in zip(v, direct[rnd])])
    if r[2 + NV] != "-":
        cpu.setdefault(name, []).append(float(r[2 + NV]))
    if r[3 + NV] != "-":
        rtcpu.setdefault(name, []).append(float(r[3 + NV]))
med = lambda xs: statistics.median(xs)
col = lambda m, i: med([x[i] for x in m])
print("| forwarder | 64 B, 1 flow /s | 1400 B, 1 flow /s | 64 B, 64 flows /s "
      "| 1400 B, 64 flows /s | RR p50 µs | RR p99 µs | pinned RR p50 µs "
      "| pinned RR p99 µs | CPU ms per 1M datagrams | CPU µs per round trip |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in order:
    cells = ["%.0f (%.2f)" % (col(vals[n], i), col(ratios[n], i)) if i < 4 else
             "%.1f (%.2f)" % (col(vals[n], i), col(ratios[n], i)) for i in range(NV)]
    print("| %s | %s | %s | %s |" % (n, " | ".join(cells),
                                     "%.0f" % med(cpu[n]) if n in cpu else "-",
                                     "%.1f" % med(rtcpu[n]) if n in rtcpu else "-"))
print("\n%d rounds; medians, ratio to direct in brackets (median of the "
      "rounds' ratios)." % len(direct))
if "nsplice" in vals and "pasta" in vals:
    names = ["64 B 1 flow", "1400 B 1 flow", "64 B 64 flows",
             "1400 B 64 flows", "RR p50", "RR p99", "pinned RR p50",
             "pinned RR p99"]
    for i, what in enumerate(names):
        a, b = col(ratios["nsplice"], i), col(ratios["pasta"], i)
        ok = a >= b if i < 4 else a <= b
        print("target %-16s nsplice %.2f vs pasta %.2f: %s" %
              (what, a, b, "met" if ok else "MISSED"))
    a, b = med(cpu["nsplice"]), med(cpu["pasta"])
    print("target %-16s nsplice %.0f vs pasta %.0f ms: %s" %
          ("CPU per 1M dgram", a, b, "met" if a < b else "MISSED"))
    if "nsplice-bp" in vals:
        print("\nnsplice-bp (--busy-poll), opt-in, the same rows: " +
              ", ".join("%s %.2f" % (what, col(ratios["nsplice-bp"], i))
                        for i, what in enumerate(names)) +
              ", CPU %.0f ms" % med(cpu["nsplice-bp"]))
else:
    print("no pasta row: its targets cannot be judged")
PYEOF
echo "results in $OUT"
