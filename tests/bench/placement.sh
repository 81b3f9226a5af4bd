#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# placement.sh - single-stream throughput through nsplice, transfer by
# transfer, beside where the scheduler kept the relay, the server and the
# client.
#
# As root, from the repository top:  tests/bench/placement.sh
# [--nsplice PATH] [--transfers N] [--forward]
#
# One namespace with lo up, an iperf3 server in it, nsplice forwarding a
# host port to it.  Each transfer is a 3-second iperf3 run, server to
# client (--forward: client to server); "perf sched record" covers 2
# seconds of it, and tools/placement.py reads the context switches back:
# the share of that time the relay's last CPU was the server's, the
# client's, and the server's the client's.  The last line is the
# correlation of throughput with the first two.  Written for run.sh's
# bimodal server-to-client row (README, "What bounds each row now"); not a
# test, and it fails only when it cannot set up.  Everything it starts is
# stopped by pid on exit, and the namespace deleted.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench
NSPLICE=$top/build-bench/nsplice
N=12
DIR=-R
while (($#)); do
	case $1 in
	--nsplice) NSPLICE=$2; shift 2 ;;
	--transfers) N=$2; shift 2 ;;
	--forward) DIR=""; shift ;;
	*) echo "usage: $0 [--nsplice PATH] [--transfers N] [--forward]" >&2
	   exit 2 ;;
	esac
done
[[ $N =~ ^[0-9]+$ && $N -ge 3 && $N -le 100 ]] ||
	{ echo "placement.sh: --transfers 3..100" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "placement.sh: needs root (namespaces, perf)" >&2; exit 1; }
[[ -x $NSPLICE ]] || { echo "placement.sh: no nsplice at $NSPLICE (--nsplice PATH)" >&2; exit 1; }
for t in iperf3 perf jq; do
	command -v "$t" >/dev/null || { echo "placement.sh: $t missing" >&2; exit 1; }
done

ns=nspplace-$$
work=$(mktemp -d /tmp/nspplace.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# "ip netns exec" execs iperf3: $! is the server's pid (and thread id)
ip netns exec "$ns" iperf3 -s -p 5201 >"$work/server.log" 2>&1 &
srv=$!
pids+=("$srv")
"$NSPLICE" --netns "$ns" -q -t 6201:5201 >"$work/nsplice.log" 2>&1 &
sup=$!
pids+=("$sup")

relay=""
for ((i = 0; i < 50; i++)); do
	relay=$(python3 "$here/tools/procstat.py" relay "$sup")
	relay=${relay%% *}
	[[ -n $relay ]] && ss -Htln "sport = :6201" | grep -q . && break
	sleep 0.1
done
[[ -n $relay ]] || { echo "placement.sh: nsplice did not come up" >&2; cat "$work/nsplice.log" >&2; exit 1; }

printf '%-3s %-8s %-14s %-14s %s\n' "#" "Gbit/s" "relay=server%" "relay=client%" "server=client%"
: >"$work/rows"
for ((r = 1; r <= N; r++)); do
	iperf3 -c 127.0.0.1 -p 6201 $DIR -t 3 -J >"$work/t.json" &
	cli=$!
	pids+=("$cli")
	sleep 0.4
	perf sched record -q -a -o "$work/sched.data" -- sleep 2 >/dev/null 2>&1 ||
		{ echo "placement.sh: perf sched record failed" >&2; exit 1; }
	wait "$cli" || { echo "placement.sh: iperf3 failed" >&2; exit 1; }
	unset 'pids[-1]'
	g=$(jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' \
		"$work/t.json")
	perf sched timehist -i "$work/sched.data" >"$work/timehist" 2>/dev/null
	rs="" rc="" sc=""
	read -r _ rs _ rc _ sc < <(python3 "$here/tools/placement.py" \
		"$work/timehist" "$relay" "$srv" "$cli" || true) || true
	if [[ -z $rs ]]; then
		# perf saw the three tasks together nowhere: no share to give
		printf '%-3s %-8s %s\n' "$r" "$g" "(not all three tasks seen by perf)"
		continue
	fi
	printf '%-3s %-8s %-14s %-14s %s\n' "$r" "$g" "$rs" "$rc" "$sc"
	echo "$g $rs $rc" >>"$work/rows"
done
python3 - "$work/rows" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
if len(rows) < 3:
    print("too few transfers with placement figures for a correlation")
    sys.exit(0)
g = [r[0] for r in rows]
for name, i in (("relay=server", 1), ("relay=client", 2)):
    try:
        c = statistics.correlation(g, [r[i] for r in rows])
        print("correlation of throughput with %s: %.2f" % (name, c))
    except statistics.StatisticsError:
        print("correlation of throughput with %s: undefined" % name)
EOF
