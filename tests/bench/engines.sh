#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# engines.sh - podman's own rootlessport against nsplice as rootlessport,
# side by side, with real rootless podman.
#
# DOC: Theory of Operation
#
# Usage (root, from anywhere):
#   tests/bench/engines.sh --nsplice PATH [--rounds N] [--secs S]
#   (or NSPLICE=PATH tests/bench/engines.sh)
#
# Uses tests/engines/lib/podman.sh (a dedicated user, a private mount
# namespace, a busybox image: see there) to start two identical containers
# from one image, each running `benchsrv` (tests/bench/tools, the echo
# server of the main benchmark) on 7000 and `stream -s` (tests/engines/
# tools, a bulk source) on 5201, both built with `gcc -static`.  The first
# container is started with CONTAINERS_HELPER_BINARY_DIR pointing at a
# directory whose `rootlessport` is podman's (/usr/lib/podman/rootlessport),
# the second at one whose `rootlessport` is nsplice: the same podman, the
# same slirp4netns network, the same `-p 127.0.0.1:H:7000 -p
# 127.0.0.1:H:5201`, only the helper differs.
#
# Rounds interleave (round 1: real then nsplice, round 2 the other way
# round, ...), each running against both helpers, client on the host:
#   tput  - `stream -c` for SECS s: server->client Gbit/s through the helper;
#   lat   - `pingpong` for SECS s: mean and p99 of 1-byte round trips, us;
#   rate  - `connrate -c 2` for SECS s: connections per second.
# The containers get tcp_tw_reuse=1 and a wide ephemeral port range (see
# PORT_RANGE).  Then, per container, the helper's whole process tree (found from the
# owner of its host port, see pm_helper_root) is read from /proc: number
# of processes, the sum of VmRSS and the sum of Pss (smaps_rollup), idle
# (before the rounds) and after the rounds.  The table gives medians over rounds and nsplice/real.
#
# Benchmarks are not tests: no figure makes it fail; it exits non-zero
# only when it cannot set up.  A watchdog ends the run after WATCHDOG_S;
# every client runs under `timeout`; podman.sh's teardown removes the
# containers, the user and everything it ran, also on error or Ctrl-C.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export NSPLICE_TESTLIB=${NSPLICE_TESTLIB:-$REPO/tests/integration/lib}
. "$NSPLICE_TESTLIB/common.sh"
ENGINES_LIB=$REPO/tests/engines/lib
. "$ENGINES_LIB/podman.sh"

# WATCHDOG_S - the whole run ends after this many seconds
WATCHDOG_S=290
# ROUNDS_DEF, SECS_DEF - default rounds and seconds per measurement
ROUNDS_DEF=4
SECS_DEF=3
# CLIENT_SLACK_S - added to a client's own duration for its timeout
CLIENT_SLACK_S=20
# RATE_LOOPS - concurrent connect loops of connrate
RATE_LOOPS=2
# PORT_RANGE - the containers' ephemeral ports.  The helper's connection
# to ChildIP (10.0.2.100, not loopback) is closed by the helper first and
# sits in TIME_WAIT inside the container for 60 s: with the default range
# (28,232 ports) and no tcp_tw_reuse, the connection-rate runs would run
# out of ports after ~470 connections/s and measure that, not the helper.
PORT_RANGE="1024 65000"

ROUNDS=$ROUNDS_DEF
SECS=$SECS_DEF
while (($#)); do
	case $1 in
	--nsplice) NSPLICE=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	*) echo "usage: $0 --nsplice PATH [--rounds N] [--secs S]" >&2; exit 2 ;;
	esac
done
need_root
need_nsplice
[[ -x $PM_REAL_HELPER ]] || die "$PM_REAL_HELPER is missing (package podman)"
# shellcheck disable=SC2034 # read by podman.sh (the holder's lifetime)
PM_LIFETIME=$((WATCHDOG_S + 30))
( sleep "$WATCHDOG_S"; kill -TERM $$ ) </dev/null >/dev/null 2>&1 &
cleanup_pid $!

pm_setup
T=$PM_DIR/tools
mkdir -p "$T"
engine_build_tool "$REPO/tests/engines/tools/stream.c" "$T/stream"
engine_build_tool "$REPO/tests/bench/tools/benchsrv.c" "$T/benchsrv" -pthread
for c in pingpong connrate; do
	gcc -O2 -Wall -Wextra -Werror -pthread -o "$T/$c.host" \
		"$REPO/tests/bench/tools/$c.c" -lm 2>"$T/$c.log" || { cat "$T/$c.log"; die "cannot build $c"; }
done
pm_build_image "$T/stream" "$T/benchsrv"
alloc_ports 23600 REAL_E REAL_S NSP_E NSP_S

# start_ctr NAME HELPER ECHO-PORT STREAM-PORT - the benchmark container
# with HELPER as its rootlessport.
start_ctr() {
	pm_helper_dir "$2"
	pod run -d --name "$1" -p "127.0.0.1:$3:7000" -p "127.0.0.1:$4:5201" \
		--sysctl net.ipv4.tcp_tw_reuse=1 --sysctl "net.ipv4.ip_local_port_range=$PORT_RANGE" \
		"$PM_IMAGE" \
		sh -c 'benchsrv -a 0.0.0.0 -p 7000 -t 2 & exec stream -s 5201' \
		>"$PM_DIR/$1.run" 2>&1 || { cat "$PM_DIR/$1.run"; die "podman run $1 failed"; }
	wait_port 127.0.0.1 "$3" >/dev/null || die "$1: port $3 never answered"
}
start_ctr bench-real "$PM_REAL_HELPER" "$REAL_E" "$REAL_S"
start_ctr bench-nsplice "$NSPLICE" "$NSP_E" "$NSP_S"
[[ $(readlink "/proc/$(pm_helper_root "$NSP_E")/exe") == */nsplice ]] ||
	die "the nsplice container's helper is not nsplice"
[[ $(readlink "/proc/$(pm_helper_root "$REAL_E")/exe") == "$PM_REAL_HELPER" ]] ||
	die "the real container's helper is not $PM_REAL_HELPER"

# tree_mem PORT - "PROCS RSS_KIB PSS_KIB" of the helper tree owning PORT:
# the sum of VmRSS (pages shared between its processes counted in each)
# and of Pss (shared pages split between their users: the fair sum).
tree_mem() {
	local root p n=0 kib=0 pss=0 r q
	root=$(pm_helper_root "$1") || { echo "0 0 0"; return 0; }
	for p in $(proc_tree "$root"); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		q=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
		n=$((n + 1))
		kib=$((kib + ${r:-0}))
		pss=$((pss + ${q:-0}))
	done
	echo "$n $kib $pss"
}

# record_mem HELPER PORT WHEN - processes, RSS and PSS of HELPER's tree.
record_mem() {
	local n k q
	read -r n k q <<<"$(tree_mem "$2")"
	record "$1" "procs_$3" "$n"
	record "$1" "rss_$3_kib" "$k"
	record "$1" "pss_$3_kib" "$q"
}

# Other work on the machine moves these figures: the load is printed.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$PM_DIR/raw.tsv
: >"$RAW"
# record HELPER METRIC VALUE - one sample.
record() { printf '%s\t%s\t%s\n' "$@" >>"$RAW"; }

record_mem real "$REAL_E" idle
record_mem nsplice "$NSP_E" idle

# measure HELPER ECHO-PORT STREAM-PORT - one round of the three clients.
measure() {
	local h=$1 e=$2 s=$3 out
	out=$(timeout -k 2 $((SECS + CLIENT_SLACK_S)) "$T/stream" -c 127.0.0.1 "$s" "$SECS") || out=""
	record "$h" tput_gbps "$(sed -n 's/.*gbps=\([0-9.]*\).*/\1/p' <<<"$out")"
	out=$(timeout -k 2 $((SECS + CLIENT_SLACK_S)) "$T/pingpong.host" -a 127.0.0.1 -p "$e" -d "$SECS") || out=""
	record "$h" lat_mean_us "$(sed -n 's/.*mean_us=\([0-9.]*\).*/\1/p' <<<"$out")"
	record "$h" lat_p99_us "$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$out")"
	out=$(timeout -k 2 $((SECS + CLIENT_SLACK_S)) "$T/connrate.host" -a 127.0.0.1 -p "$e" \
		-c "$RATE_LOOPS" -d "$SECS") || out=""
	record "$h" conn_per_s "$(sed -n 's/^rate=\([0-9.]*\).*/\1/p' <<<"$out")"
}

for ((r = 1; r <= ROUNDS; r++)); do
	note "round $r of $ROUNDS"
	if ((r % 2)); then
		measure real "$REAL_E" "$REAL_S"
		measure nsplice "$NSP_E" "$NSP_S"
	else
		measure nsplice "$NSP_E" "$NSP_S"
		measure real "$REAL_E" "$REAL_S"
	fi
done
record_mem real "$REAL_E" after
record_mem nsplice "$NSP_E" after

echo
echo "podman $(podman --version | awk '{print $3}'), $ROUNDS rounds of ${SECS} s, medians (min-max);" \
	"load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$PY" - "$RAW" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    h, m, v = line.rstrip("\n").split("\t")
    if v:
        rows.setdefault(m, {}).setdefault(h, []).append(float(v))
order = [("tput_gbps", "throughput, Gbit/s (higher better)"),
         ("lat_mean_us", "1-byte RTT mean, us (lower better)"),
         ("lat_p99_us", "1-byte RTT p99, us (lower better)"),
         ("conn_per_s", "connections/s, 2 loops (higher better)"),
         ("procs_idle", "processes of the helper, idle"),
         ("procs_after", "processes of the helper, after the rounds"),
         ("rss_idle_kib", "sum of VmRSS of the helper tree, idle, KiB"),
         ("rss_after_kib", "sum of VmRSS of the helper tree, after, KiB"),
         ("pss_idle_kib", "sum of Pss of the helper tree, idle, KiB"),
         ("pss_after_kib", "sum of Pss of the helper tree, after, KiB")]
def cell(v):
    if not v:
        return "n/a"
    med = statistics.median(v)
    return "%.2f" % med if len(v) == 1 else "%.2f (%.2f-%.2f)" % (med, min(v), max(v))
print("| metric | real rootlessport | nsplice | nsplice/real |")
print("|---|---|---|---|")
for m, title in order:
    r, n = rows.get(m, {}).get("real", []), rows.get(m, {}).get("nsplice", [])
    ratio = "%.2f" % (statistics.median(n) / statistics.median(r)) if r and n and statistics.median(r) else "n/a"
    print("| %s | %s | %s | %s |" % (title, cell(r), cell(n), ratio))
EOF
pm_teardown
finish
