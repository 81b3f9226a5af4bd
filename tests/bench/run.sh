#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh - nsplice benchmark: direct loopback, nsplice, pasta,
#          systemd-socket-proxyd and socat side by side, in one run
#
# Usage: tests/bench/run.sh [--quick] [--out DIR] [--nsplice PATH]
#                           [--ref PATH] [--only LIST] [--rounds N]
#                           [--profile]
#
# What is measured, and why (details in tests/bench/README.md):
#  - Every forwarder joins the host's 127.0.0.1:HPORT to 127.0.0.1:PORT
#    inside a namespace this script creates (nspbench-PID, only "lo" up);
#    "direct" is the client inside that namespace talking to the same
#    servers over the namespace's loopback: the same kernel path without a
#    forwarder.  Each forwarder's figure is compared with direct's from
#    the SAME round, because absolute loopback figures drift by 2x from
#    minute to minute on this kind of machine.
#  - Rounds interleave: round 1 runs every test for every forwarder
#    (direct, nsplice, pasta, proxyd, socat), round 2 again, ...; round 2
#    runs round 1's order backwards, and each such pair of rounds rotates
#    the order by one, so no forwarder always runs first or last, or always
#    before another.  Medians of the rounds are reported with min-max.
#    A forwarder found dead before a round is restarted on its ports
#    (a warning, and "restarted-NAME" in meta.tsv).
#  - tput: bulk throughput with iperf3, client->server and server->client
#    (-R), 1 and 4 streams; the forwarder's CPU time (utime+stime of all
#    its processes, /proc/PID/stat) over those transfers per GB moved.
#  - lat: 1-byte request/response over one connection (C client
#    pingpong, C server benchsrv): mean and p99, unpinned and pinned
#    (client CPU 0, server CPU 1, forwarder CPU 0 with the client, so a
#    forwarded round trip crosses CPUs as often as a direct one: twice).
#  - rate: connections per second, each connect + 1-byte request +
#    1-byte answer + close, with 1 and 8 concurrent loops (C client
#    connrate).  With lat and rate, the forwarder's CPU time per round
#    trip and per connection is recorded too.
#  - idle: descriptors and memory (VmRSS and Pss) of the forwarder's
#    processes while 1,000 and 10,000 idle connections are held (C tool
#    holdconn); per connection = (loaded - empty) / held.  A forwarder
#    that cannot hold them all reports how many it held.
#  - pipe: nsplice's throughput and CPU per GB as a function of
#    fs.pipe-max-size (nsplice grows a bulk flow's pipe to
#    min(512 KiB, pipe-max-size)); the sysctl is written for those nsplice
#    runs only and restored afterwards (also on abort).
#  - --ref PATH adds "nsplice-ref", a second nsplice binary (the code
#    before a change) measured in the same rounds as "nsplice": a change
#    is judged by the two side by side, not by runs minutes apart.
#  - "nsplice-pp" is nsplice with --proxy-protocol on its echo port, to a
#    second echo server (benchsrv -P) that reads the PROXY v2 header
#    before echoing: the header's cost on connections per second and on
#    request/response latency, beside "nsplice" in the same rounds
#    (report.py adds the per-round ratio nsplice-pp / nsplice).
#  - "nsplice-bp" is nsplice with --busy-poll (NSPBENCH_BUSY_POLL
#    microseconds, default 50): what the opt-in polling buys and costs,
#    beside the default in the same rounds.  Issue 18's targets are judged
#    on "nsplice", the default.
#  - Where the time goes, for every transfer and latency run: the busy
#    and idle time of each CPU (/proc/stat before and after: "busy/idle
#    cores" beside the row), context switches on the machine (/proc/stat
#    ctxt) and of the forwarder's and the server's threads (voluntary =
#    times blocked and woken again, /proc/PID/task/*/status) per GB or
#    per round trip.  These are counters read between runs: free.
#  - --profile adds, after the rounds, extra runs under perf and ss for
#    direct, nsplice(-ref), pasta and proxyd: the data-path process's
#    syscalls per GB and per round trip, bytes per splice() by leg,
#    machine-wide wake-ups per GB, socket queue occupancy sampled every
#    100 ms.  They are separate runs, so the rounds' figures are those of
#    a plain run.
# Benchmarks are not tests: no number makes this script fail.  It fails
# only if it cannot set up (not root, no namespace, build failure...).
# Everything is bounded in time: each client runs under timeout(1), and a
# watchdog stops the whole run after 25 minutes (3 in --quick).  All
# traffic stays on loopback and in the namespace; every process started is
# stopped by pid, and the namespace deleted, on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

usage() {
	cat <<EOF
usage: tests/bench/run.sh [--quick] [--out DIR] [--nsplice PATH] [--ref PATH] [--only LIST] [--rounds N] [--profile]
  --quick          one round, short durations, 1,000 idle connections only,
                   no 4-stream runs: under a minute once built
  --out DIR        results directory (default: build-bench/bench-DATE-TIME)
  --nsplice PATH   nsplice binary to test (default: build it in build-bench/)
  --ref PATH       also measure this nsplice binary, as "nsplice-ref"
  --only LIST      comma list of forwarders (direct nsplice nsplice-ref
                   nsplice-pp nsplice-bp pasta proxyd socat)
                   and/or phases (tput lat rate idle pipe); direct always runs
  --rounds N       rounds (default 3, --quick 1)
  --profile        after the rounds, extra runs under perf and ss: syscalls,
                   bytes per splice, wake-ups, socket queues (tests/bench/README.md)
EOF
	exit "${1:-0}"
}

die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }

quick=0 out="" nsplice="" ref="" only="" rounds="" profile=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) quick=1 ;;
	--profile) profile=1 ;;
	--out) [[ $# -ge 2 ]] || usage 2; out=$2; shift ;;
	--out=*) out=${1#*=} ;;
	--nsplice) [[ $# -ge 2 ]] || usage 2; nsplice=$2; shift ;;
	--nsplice=*) nsplice=${1#*=} ;;
	--ref) [[ $# -ge 2 ]] || usage 2; ref=$2; shift ;;
	--ref=*) ref=${1#*=} ;;
	--only) [[ $# -ge 2 ]] || usage 2; only=$2; shift ;;
	--only=*) only=${1#*=} ;;
	--rounds) [[ $# -ge 2 ]] || usage 2; rounds=$2; shift ;;
	--rounds=*) rounds=${1#*=} ;;
	-h | --help) usage 0 ;;
	*) printf 'run.sh: unknown argument %s\n' "$1" >&2; usage 2 ;;
	esac
	shift
done
[[ $(id -u) -eq 0 ]] || die "must run as root (network namespace, sysctl)"
[[ -z $rounds || $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds: want a positive number"

# ---------------------------------------------------------------- selection
ALL_FWDS=(direct nsplice nsplice-ref nsplice-pp nsplice-bp pasta proxyd socat)
ALL_PHASES=(tput lat rate idle pipe)
fwds=(direct) phases=()
declare -A want_fwd=() want_phase=()
for x in ${only//,/ }; do
	if [[ " ${ALL_FWDS[*]} " == *" $x "* ]]; then
		want_fwd[$x]=1
	elif [[ " ${ALL_PHASES[*]} " == *" $x "* ]]; then
		want_phase[$x]=1
	else
		die "--only: unknown name '$x' (forwarders: ${ALL_FWDS[*]}; phases: ${ALL_PHASES[*]})"
	fi
done
for f in "${ALL_FWDS[@]:1}"; do
	# nsplice-ref only with --ref, and then also without --only naming it
	[[ $f == nsplice-ref && -z $ref ]] && continue
	[[ ${#want_fwd[@]} -eq 0 || -n ${want_fwd[$f]:-} ||
	   ($f == nsplice-ref && -n ${want_fwd[nsplice]:-}) ]] && fwds+=("$f")
done
for p in "${ALL_PHASES[@]}"; do
	[[ ${#want_phase[@]} -eq 0 || -n ${want_phase[$p]:-} ]] && phases+=("$p")
done
has_fwd() { [[ " ${fwds[*]} " == *" $1 "* ]]; }
has_phase() { [[ " ${phases[*]} " == *" $1 "* ]]; }
# The pipe curve is about nsplice alone
has_fwd nsplice || phases=("${phases[@]/pipe/}")

# ----------------------------------------------------------------- settings
if ((quick)); then
	R=1 T_TPUT=1 T_LAT=0.3 T_RATE=0.5 T_PIPE=1 BUDGET=180
	STREAMS=(1) IDLE_N=(1000) PIPE_SIZES=(65536 1048576) PIPE_DIRS=(c2s)
else
	R=3 T_TPUT=4 T_LAT=2 T_RATE=3 T_PIPE=3 BUDGET=1500
	STREAMS=(1 4) IDLE_N=(1000 10000) PIPE_DIRS=(c2s s2c)
	PIPE_SIZES=(65536 131072 262144 524288 1048576 4194304)
fi
[[ -n $rounds ]] && R=$rounds
# The profile runs: per forwarder 4 transfers and 1 latency run, plus
# perf's start-up and the digestion of its records
((profile)) && BUDGET=$((BUDGET + (quick ? 240 : 480)))
NCPU=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
PORT_BASE=${NSPBENCH_PORT_BASE:-20000}
NS_IPERF=5201 NS_ECHO=7000 NS_ECHO_PP=7001
BUSY_POLL=${NSPBENCH_BUSY_POLL:-50}	# nsplice-bp's --busy-poll
# PORT_SPAN - host ports used from PORT_BASE: 10 per forwarder, the pipe
# curve's two at the end
PORT_SPAN=82
LAT_WARMUP=1000	# pingpong's untimed round trips (its -w default)
ns=nspbench-$$
out=${out:-$top/build-bench/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/logs" "$out/tools"
out=$(cd "$out" && pwd)
tools=$out/tools
raw=$out/raw.tsv
: >"$raw"
: >"$out/meta.tsv"

# --------------------------------------------------------------- packages
# command -> Debian package; only what the selected forwarders need
declare -A pkg_of=(
	[ip]=iproute2 [ss]=iproute2 [taskset]=util-linux [prlimit]=util-linux
	[timeout]=coreutils [ps]=procps [gcc]=gcc [python3]=python3
	[jq]=jq [iperf3]=iperf3 [pasta]=passt [socat]=socat [perf]=linux-perf
	[systemd-socket-activate]=systemd [/lib/systemd/systemd-socket-proxyd]=systemd
)
need=(ip ss taskset prlimit timeout ps gcc python3 jq iperf3)
((profile)) && need+=(perf)
has_fwd pasta && need+=(pasta)
has_fwd socat && need+=(socat)
has_fwd proxyd && need+=(systemd-socket-activate /lib/systemd/systemd-socket-proxyd)
missing=()
for c in "${need[@]}"; do
	command -v "$c" >/dev/null 2>&1 || [[ -x $c ]] || missing+=("${pkg_of[$c]}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$out/logs/apt.log" 2>&1 ||
		{ apt-get update -qq >>"$out/logs/apt.log" 2>&1 &&
		  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$out/logs/apt.log" 2>&1; } ||
		die "apt-get install ${missing[*]} failed, see $out/logs/apt.log"
fi

# ------------------------------------------------------------------ build
log "compiling tools into $tools"
CFLAGS=(-O2 -Wall -Wextra -Werror)
cpids=()
for t in benchsrv pingpong connrate holdconn; do
	gcc "${CFLAGS[@]}" -pthread -o "$tools/$t" "$here/tools/$t.c" &
	cpids+=($!)
done
gcc "${CFLAGS[@]}" -shared -fPIC -o "$tools/netns_socket.so" "$here/tools/netns_socket.c" &
cpids+=($!)
for p in "${cpids[@]}"; do wait "$p" || die "compiling the tools failed"; done

# nsplice-pp and nsplice-bp run the same binary as nsplice
uses_nsplice() { has_fwd nsplice || has_fwd nsplice-pp || has_fwd nsplice-bp; }
if uses_nsplice && [[ -z $nsplice ]]; then
	log "building nsplice in $top/build-bench"
	[[ -x $top/packaging/install-deps.sh ]] && "$top/packaging/install-deps.sh" >>"$out/logs/build.log" 2>&1
	{ cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DNSPLICE_BUILD_TESTS=OFF &&
	  cmake --build "$top/build-bench" -j"$NCPU" --target nsplice; } \
		>>"$out/logs/build.log" 2>&1 ||
		die "building nsplice failed (see $out/logs/build.log); or pass --nsplice PATH"
	nsplice=$top/build-bench/nsplice
fi
if uses_nsplice; then
	[[ -x $nsplice ]] || die "--nsplice: $nsplice is not executable"
	nsplice=$(cd "$(dirname "$nsplice")" && pwd)/$(basename "$nsplice")
fi
if has_fwd nsplice-ref; then
	[[ -x $ref ]] || die "--ref: $ref is not executable"
	ref=$(cd "$(dirname "$ref")" && pwd)/$(basename "$ref")
fi

# ------------------------------------------------------------- descriptors
# Raise the hard RLIMIT_NOFILE if we may (CAP_SYS_RESOURCE) and the soft
# one to it; everything started below inherits both.  nsplice raises its
# own soft limit to the hard limit, pasta too; proxyd and socat use ours.
ulimit -Hn 1048576 2>/dev/null || ulimit -Hn 262144 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
NOFILE=$(ulimit -Hn)

# Other work on the machine (builds) must not take the CPU from the
# processes measured: everything started from here on runs at nice -10,
# every forwarder alike, so their relative treatment is unchanged.
renice -n -10 -p $$ >/dev/null 2>&1 || true

orig_pipe_max=$(cat /proc/sys/fs/pipe-max-size)
meta() { printf '%s\t%s\n' "$1" "$2" >>"$out/meta.tsv"; }
meta mode "$( ((quick)) && echo quick || echo full), $R round(s)"
meta nproc "$NCPU"
meta kernel "$(uname -r)"
meta cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
meta pipe-max-size "$orig_pipe_max"
meta pipe-user-pages-soft "$(cat /proc/sys/fs/pipe-user-pages-soft)"
meta RLIMIT_NOFILE "$NOFILE"
# The default congestion control decides loopback throughput (BBR paces,
# and paced loopback segments arrive out of order: ipc/localcc.c); every
# client and server here uses it, nsplice's loopback legs do not
meta tcp_congestion_control "$(cat /proc/sys/net/ipv4/tcp_congestion_control)"
meta durations "iperf3 ${T_TPUT}s, latency ${T_LAT}s, rate ${T_RATE}s, pipe curve ${T_PIPE}s"
meta date "$(date -u +%FT%TZ)"
meta loadavg-at-start "$(cut -d' ' -f1-3 /proc/loadavg)"
has_fwd pasta && meta pasta "$(dpkg-query -W -f='${Version}' passt 2>/dev/null)"
has_fwd socat && meta socat "$(dpkg-query -W -f='${Version}' socat 2>/dev/null)"
has_fwd proxyd && meta systemd "$(dpkg-query -W -f='${Version}' systemd 2>/dev/null)"
meta iperf3 "$(dpkg-query -W -f='${Version}' iperf3 2>/dev/null)"

# ---------------------------------------------------------------- cleanup
declare -A roots=() iperf_port=() echo_port=()
server_pids=() aux_pids=()
watchdog=""
reported=0

report() {
	((reported)) && return 0
	reported=1
	[[ -s $raw ]] || return 0
	python3 "$here/tools/report.py" "$out" || log "report.py failed"
	log "results: $out/results.md, $out/results.json"
}

stop_fwd() {	# stop_fwd NAME: TERM its trees, KILL what is left after 5 s
	local name=$1 pids p i
	[[ -n ${roots[$name]:-} ]] || return 0
	pids=$(python3 "$here/tools/procstat.py" tree ${roots[$name]})
	kill -TERM ${roots[$name]} 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 ${roots[$name]} 2>/dev/null || break
		sleep 0.1
	done
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
	for p in ${roots[$name]}; do wait "$p" 2>/dev/null || true; done
	unset "roots[$name]"
}

cleanup() {
	local rc=$? p f
	trap - EXIT INT TERM
	set +e
	[[ -n $watchdog ]] && kill "$watchdog" 2>/dev/null
	for p in "${aux_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for f in "${!roots[@]}"; do stop_fwd "$f"; done
	for p in "${server_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${server_pids[@]}" "${aux_pids[@]}"; do wait "$p" 2>/dev/null; done
	echo "$orig_pipe_max" >/proc/sys/fs/pipe-max-size
	ip netns del "$ns" 2>/dev/null
	report
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 143' INT TERM

# The watchdog: TERM to this script once the time budget is spent
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$BUDGET" & sp=$!
	wait "$sp"
	log "time budget of ${BUDGET}s exceeded, stopping"
	kill -TERM $$
) &
watchdog=$!

# -------------------------------------------------------- namespace, servers
wait_listen() {	# wait_listen PORT [NS]: up to 10 s for a TCP listener
	local i cmd=(ss -Hltn "sport = :$1")
	[[ -n ${2:-} ]] && cmd=(ip netns exec "$2" "${cmd[@]}")
	for ((i = 0; i < 100; i++)); do
		[[ -n $("${cmd[@]}" 2>/dev/null) ]] && return 0
		sleep 0.1
	done
	return 1
}

# Host ports below the ephemeral range: a TIME_WAIT socket of the rate test
# may hold any ephemeral port as its local port, and block a later bind
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
((PORT_BASE + PORT_SPAN < eph_lo || PORT_BASE > eph_hi)) ||
	log "warning: ports $PORT_BASE-$((PORT_BASE + PORT_SPAN)) overlap the ephemeral range $eph_lo-$eph_hi"
for ((p = PORT_BASE; p <= PORT_BASE + PORT_SPAN; p++)); do
	[[ -z $(ss -Hltn "sport = :$p") ]] ||
		die "port $p is in use; set NSPBENCH_PORT_BASE to a free range"
done

log "namespace $ns, servers, forwarders"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" iperf3 -s -B 127.0.0.1 -p "$NS_IPERF" >"$out/logs/iperf3-server.log" 2>&1 &
iperf_srv_pid=$!	# ip netns exec execs iperf3: the same pid
server_pids+=("$iperf_srv_pid")
ip netns exec "$ns" "$tools/benchsrv" -a 127.0.0.1 -p "$NS_ECHO" -t "$NCPU" \
	>"$out/logs/benchsrv.log" 2>&1 &
srv_pid=$!
server_pids+=("$srv_pid")
wait_listen "$NS_IPERF" "$ns" && wait_listen "$NS_ECHO" "$ns" || die "servers did not start"
if has_fwd nsplice-pp; then
	# The same echo server, reading the PROXY header first (-P)
	ip netns exec "$ns" "$tools/benchsrv" -a 127.0.0.1 -p "$NS_ECHO_PP" \
		-t "$NCPU" -P >"$out/logs/benchsrv-pp.log" 2>&1 &
	pp_srv_pid=$!
	server_pids+=("$pp_srv_pid")
	wait_listen "$NS_ECHO_PP" "$ns" || die "benchsrv -P did not start"
fi
iperf_port[direct]=$NS_IPERF
echo_port[direct]=$NS_ECHO

# ------------------------------------------------------------- forwarders
start_nsplice() {	# start_nsplice NAME IPERF_HPORT ECHO_HPORT [BINARY]
	"${4:-$nsplice}" --netns "$ns" -t "$2:$NS_IPERF" -t "$3:$NS_ECHO" \
		>>"$out/logs/$(tr ' ' _ <<<"$1").log" 2>&1 &
	roots[$1]=$!
}

start_fwd() {	# start_fwd NAME: start a forwarder on its two host ports
	local f=$1 i=$2 e=$3 log=$out/logs/$1.log hp np r=""
	iperf_port[$f]=$i
	echo_port[$f]=$e
	case $f in
	nsplice) start_nsplice nsplice "$i" "$e" ;;
	nsplice-ref) start_nsplice nsplice-ref "$i" "$e" "$ref" ;;
	nsplice-bp)
		"$nsplice" --netns "$ns" -t "$i:$NS_IPERF" -t "$e:$NS_ECHO" \
			--busy-poll "$BUSY_POLL" >>"$log" 2>&1 &
		roots[$f]=$!
		;;
	nsplice-pp)
		# The header on the echo port only (iperf3 would not read it)
		"$nsplice" --netns "$ns" -t "$i:$NS_IPERF" -t "$e:$NS_ECHO_PP" \
			--proxy-protocol "$e" >>"$log" 2>&1 &
		roots[$f]=$!
		;;
	pasta)
		# --runas 0: as "nobody" (its default for root) pasta may not
		# enter a namespace owned by the initial user namespace
		pasta -f -q --runas 0 --netns "$ns" -t "127.0.0.1/$i:$NS_IPERF" \
			-t "127.0.0.1/$e:$NS_ECHO" -T none -u none -U none >>"$log" 2>&1 &
		roots[$f]=$!
		;;
	proxyd)
		# One target per proxyd: one instance per port.  Socket
		# activation creates the listener in the host namespace, then
		# "ip netns exec" moves proxyd into ours; -c: the default limit
		# of 256 connections would end the idle test at 256.
		for hp in "$i:$NS_IPERF" "$e:$NS_ECHO"; do
			np=${hp#*:}
			systemd-socket-activate -l "127.0.0.1:${hp%:*}" \
				ip netns exec "$ns" /lib/systemd/systemd-socket-proxyd \
				-c 20000 "127.0.0.1:$np" >>"$log" 2>&1 &
			r+=" $!"
		done
		roots[$f]=${r# }
		;;
	socat)
		# One process per connection (fork), listener on the host;
		# netns_socket.so makes each child create its connecting socket
		# inside the namespace (what socat 1.8's netns= does); backlog:
		# socat's default of 5 drops SYNs under 8 concurrent loops.
		for hp in "$i:$NS_IPERF" "$e:$NS_ECHO"; do
			np=${hp#*:}
			NSPBENCH_NETNS=/run/netns/$ns LD_PRELOAD=$tools/netns_socket.so \
				socat "TCP-LISTEN:${hp%:*},bind=127.0.0.1,fork,reuseaddr,backlog=4096" \
				"TCP:127.0.0.1:$np" >>"$log" 2>&1 &
			r+=" $!"
		done
		roots[$f]=${r# }
		;;
	esac
}

alive() {	# alive FWD: direct, or all its root processes still running
	local p
	[[ $1 == direct ]] && return 0
	[[ -n ${roots[$1]:-} ]] || return 1
	for p in ${roots[$1]}; do kill -0 "$p" 2>/dev/null || return 1; done
}

# revive ROUND: restart, on its own ports, every forwarder that died
# since the last round (proxyd once ended mid-run, silently, and every
# later row of it was lost); the restart is logged and kept in meta.tsv
revive() {
	local f p
	for f in "${fwds[@]:1}"; do
		alive "$f" && continue
		log "WARNING: $f is no longer running before round $1; restarting it (see $out/logs/$f.log)"
		for p in ${roots[$f]:-}; do kill "$p" 2>/dev/null || true; done
		for p in ${roots[$f]:-}; do wait "$p" 2>/dev/null || true; done
		start_fwd "$f" "${iperf_port[$f]}" "${echo_port[$f]}"
		wait_listen "${iperf_port[$f]}" && wait_listen "${echo_port[$f]}" ||
			die "$f did not listen again after its restart (see $out/logs/$f.log)"
		meta "restarted-$f" "before round $1"
	done
}

n=0
for f in "${fwds[@]:1}"; do
	n=$((n + 1))
	start_fwd "$f" $((PORT_BASE + 10 * (n - 1) + 1)) $((PORT_BASE + 10 * (n - 1) + 2))
done
for f in "${fwds[@]:1}"; do
	wait_listen "${iperf_port[$f]}" && wait_listen "${echo_port[$f]}" ||
		die "$f did not start listening (see $out/logs/$f.log)"
done
has_fwd nsplice && meta nsplice "$("$nsplice" --version 2>&1 | head -1)"
has_fwd nsplice-ref && meta nsplice-ref "$ref"
has_fwd nsplice-bp && meta nsplice-bp "--busy-poll $BUSY_POLL"

# ---------------------------------------------------------------- clients
cl() {	# cl FWD CMD...: run a client for FWD (in the namespace for direct)
	local f=$1
	shift
	if [[ $f == direct ]]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$raw"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
cpu_ticks() {	# cpu_ticks FWD: CPU ticks of its process trees so far
	[[ $1 == direct ]] && { echo 0; return; }
	kv ticks "$(python3 "$here/tools/procstat.py" cpu ${roots[$1]})"
}
echo_srv() {	# echo_srv FWD: pid of the echo server FWD forwards to
	[[ $1 == nsplice-pp ]] && echo "$pp_srv_pid" || echo "$srv_pid"
}

fwd_snap() {	# fwd_snap FWD SRVPID: "ticks= vcs= nvcs= srv_vcs= srv_nvcs= rqwait= srv_rqwait="
	local r=""
	[[ $1 != direct ]] && r=${roots[$1]}
	python3 "$here/tools/procstat.py" snap "$2" $r
}

# stat_snap VAR - the cpuN and ctxt lines of /proc/stat into array VAR,
# without a fork: taken right before and after a client runs
stat_snap() {
	local -n _snap=$1
	local l
	_snap=()
	while read -r l; do
		case $l in cpu[0-9]* | ctxt\ *) _snap+=("$l") ;; esac
	done </proc/stat
}

# stat_delta A B - "busy=CORES idle=CORES cpus=B0,B1,.. ctxt=N" between
# the snapshots A and B: busy = user+nice+system+irq+softirq+steal, idle =
# idle+iowait, in cores (CPU time / wall time, the wall time being the
# mean of the CPUs' total ticks); cpus = each CPU's busy share
stat_delta() {
	local -n _sa=$1 _sb=$2
	printf '%s\n' "${_sa[@]}" -- "${_sb[@]}" | awk '
		BEGIN { after = 0 }
		$1 == "--" { after = 1; next }
		$1 == "ctxt" { c[after] = $2; next }
		{
			t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9
			i = $5 + $6
			if (!after) { t0[$1] = t; i0[$1] = i; cpu[++n] = $1; next }
			dt[$1] = t - t0[$1]; di[$1] = i - i0[$1]
		}
		END {
			for (k = 1; k <= n; k++) wall += dt[cpu[k]] / n
			if (wall <= 0) wall = 1
			for (k = 1; k <= n; k++) {
				b = dt[cpu[k]] - di[cpu[k]]
				busy += b; idle += di[cpu[k]]
				list = list (k > 1 ? "," : "") sprintf("%.3f", dt[cpu[k]] > 0 ? b / dt[cpu[k]] : 0)
			}
			printf "busy=%.3f idle=%.3f cpus=%s ctxt=%d\n", busy / wall, idle / wall, list, c[1] - c[0]
		}'
}

# record_cores ROUND FWD ROW - the busy/idle cores beside table row ROW,
# from the snapshots s0/s1 (stat_snap) around one client run; prints the
# stat_delta line for the caller
record_cores() {
	local r=$1 f=$2 row=$3 d i=0 c
	d=$(stat_delta s0 s1)
	record "$r" "$f" "cores.busy.$row" "$(kv busy "$d")"
	record "$r" "$f" "cores.idle.$row" "$(kv idle "$d")"
	for c in $(kv cpus "$d" | tr , ' '); do
		record "$r" "$f" "cores.cpu$i.$row" "$c"
		i=$((i + 1))
	done
	printf '%s\n' "$d"
}

# record_sched ROUND FWD ROW KEY DIV UNIT P0 P1 - from the snapshots s0/s1
# (stat_snap) and P0/P1 (fwd_snap) around one client run: the busy/idle
# cores beside table row ROW, and context switches (machine, forwarder,
# server) per DIV (GB or round trips) as KEY metrics, e.g.
# ctxt_per_gb.tput.c2s.1
record_sched() {
	local r=$1 f=$2 row=$3 key=$4 div=$5 unit=$6 p0=$7 p1=$8 d k
	d=$(record_cores "$r" "$f" "$row")
	# parenthesised: a bare ">" in awk's printf redirects to a file
	[[ $(calc "($div > 0)") == 1 ]] || return 0
	record "$r" "$f" "ctxt_$unit.$key" "$(calc "$(kv ctxt "$d") / $div")"
	# run-queue waits: ms per GB, or µs per round trip
	local scale=1e6
	[[ $unit == per_rt ]] && scale=1e3
	for k in srv_vcs srv_nvcs vcs nvcs srv_rqwait rqwait; do
		# socat's per-connection children exited before the second
		# reading: their switches are lost, a 0 would mislead
		[[ ($f == direct || $f == socat) && $k != srv_* ]] && continue
		local name=$k v
		[[ $k != srv_* ]] && name=fwd_$k
		v=$(calc "$(kv "$k" "$p1") - $(kv "$k" "$p0")")
		[[ $k == *rqwait ]] && v=$(calc "$v / $scale")
		record "$r" "$f" "${name}_$unit.$key" "$(calc "$v / $div")"
	done
}

pin_fwd() {	# pin_fwd FWD CPULIST: every thread of every process of FWD
	local p
	[[ $1 == direct ]] && return 0
	for p in $(python3 "$here/tools/procstat.py" tree ${roots[$1]}); do
		taskset -a -p -c "$2" "$p" >/dev/null 2>&1 || true
	done
}

iperf() {	# iperf FWD SECONDS ARGS...: prints "bits_per_s bytes"
	local f=$1 t=$2 j res
	shift 2
	for _ in 1 2; do
		j=$(cl "$f" timeout $((t + 20)) iperf3 -c 127.0.0.1 -p "${iperf_port[$f]}" \
			-t "$t" -J "$@" 2>/dev/null) || true
		res=$(jq -r 'if .error then empty else
			"\(.end.sum_received.bits_per_second) \(.end.sum_received.bytes)" end' \
			<<<"$j" 2>/dev/null) || true
		[[ -n $res ]] && { echo "$res"; return 0; }
		log "$f: iperf3 $*: $(jq -r '.error // "no result"' <<<"$j" 2>/dev/null)"
		sleep 1	# the server may still be finishing the previous test
	done
	return 1
}

rotate() {	# rotate K: the forwarders, starting at index K mod count
	local k=$(($1 % ${#fwds[@]}))
	echo "${fwds[@]:k}" "${fwds[@]:0:k}"
}

# round_order R - the forwarders of round R (1-based): rounds come in
# pairs, the second of a pair runs the first's order backwards, and each
# pair rotates by one.  Over every pair of rounds each forwarder runs both
# before and after each other one: a plain rotation let nsplice precede
# nsplice-ref in four rounds of five, and the 8-loop connection rate
# favours whichever of two runs second by about 15 % on two cores.
round_order() {
	local -a o
	read -ra o <<<"$(rotate $((($1 - 1) / 2)))"
	if (($1 % 2 == 0)); then
		local i
		for ((i = ${#o[@]} - 1; i >= 0; i--)); do printf '%s ' "${o[i]}"; done
		echo
	else
		echo "${o[@]}"
	fi
}

# ---------------------------------------------------------------- warm-up
log "warm-up"
for f in "${fwds[@]}"; do
	cl "$f" timeout 10 "$tools/pingpong" -p "${echo_port[$f]}" -w 100 -d 0.2 >/dev/null ||
		log "$f: warm-up ping-pong failed"
	cl "$f" timeout 10 "$tools/connrate" -p "${echo_port[$f]}" -c 1 -d 0.2 >/dev/null ||
		log "$f: warm-up connections failed"
done

# ----------------------------------------------------------------- phases
phase_tput() {	# phase_tput ROUND ORDER...
	local r=$1 f s d res bps bytes p0 p1
	# shellcheck disable=SC2034  # filled and read by name: stat_snap, record_sched
	local -a s0 s1
	shift
	declare -A ticks=() moved=()
	for s in "${STREAMS[@]}"; do
		for d in c2s s2c; do
			for f in "$@"; do
				alive "$f" || continue
				p0=$(fwd_snap "$f" "$iperf_srv_pid")
				local args=(-P "$s")
				[[ $d == s2c ]] && args+=(-R)
				stat_snap s0
				res=$(iperf "$f" "$T_TPUT" "${args[@]}") || continue
				stat_snap s1
				[[ $f == socat ]] && sleep 0.1	# children reaped
				p1=$(fwd_snap "$f" "$iperf_srv_pid")
				read -r bps bytes <<<"$res"
				record "$r" "$f" "tput.$d.$s" "$(calc "$bps / 1e9")"
				record_sched "$r" "$f" "tput.$d.$s" "tput.$d.$s" \
					"$(calc "$bytes / 1e9")" per_gb "$p0" "$p1"
				ticks[$f]=$((${ticks[$f]:-0} + $(kv ticks "$p1") - $(kv ticks "$p0")))
				moved[$f]=$(calc "${moved[$f]:-0} + $bytes")
				log "round $r tput $d x$s $f: $(calc "$bps / 1e9") Gbit/s"
			done
		done
	done
	for f in "$@"; do
		[[ $f != direct && -n ${moved[$f]:-} ]] || continue
		record "$r" "$f" cpu_per_gb \
			"$(calc "(${ticks[$f]} / $CLK_TCK) / (${moved[$f]} / 1e9)")"
	done
}

latency() {	# latency ROUND FWD METRIC [taskset -c CPU]
	local r=$1 f=$2 m=$3 res
	shift 3
	local p0 p1 t0 t1 n
	# shellcheck disable=SC2034  # filled and read by name: stat_snap, record_sched
	local -a s0 s1
	alive "$f" || return 0
	p0=$(fwd_snap "$f" "$(echo_srv "$f")")
	stat_snap s0
	res=$(cl "$f" "$@" timeout "$(calc "$T_LAT + 15")" "$tools/pingpong" \
		-p "${echo_port[$f]}" -d "$T_LAT") || { log "$f: pingpong failed"; return 0; }
	stat_snap s1
	p1=$(fwd_snap "$f" "$(echo_srv "$f")")
	t0=$(kv ticks "$p0") t1=$(kv ticks "$p1")
	record "$r" "$f" "$m.mean" "$(kv mean_us "$res")"
	record "$r" "$f" "$m.p99" "$(kv p99_us "$res")"
	# n counts the timed round trips; the warm-up's are in the window
	# too: per round trip over both
	n=$(kv n "$res")
	record_sched "$r" "$f" "$m.mean" "$m" "$((${n:-0} + LAT_WARMUP))" \
		per_rt "$p0" "$p1"
	[[ $f != direct && $m == lat ]] && record "$r" "$f" cpu_per_rt \
		"$(calc "($t1 - $t0) / $CLK_TCK * 1e6 / $(kv n "$res")")"
	log "round $r $m $f: $res"
}

phase_lat() {	# phase_lat ROUND ORDER...
	local r=$1 f
	shift
	for f in "$@"; do latency "$r" "$f" lat; done
	taskset -a -p -c 1 "$srv_pid" >/dev/null
	for f in "$@"; do
		pin_fwd "$f" 0
		latency "$r" "$f" lat_pin taskset -c 0
		pin_fwd "$f" "0-$((NCPU - 1))"
	done
	taskset -a -p -c "0-$((NCPU - 1))" "$srv_pid" >/dev/null
}

phase_rate() {	# phase_rate ROUND ORDER...
	local r=$1 f c res t0 t1
	# shellcheck disable=SC2034  # filled and read by name: stat_snap, record_cores
	local -a s0 s1
	shift
	for c in 1 8; do
		for f in "$@"; do
			alive "$f" || continue
			t0=$(cpu_ticks "$f")
			stat_snap s0
			res=$(cl "$f" timeout "$(calc "$T_RATE + 20")" "$tools/connrate" \
				-p "${echo_port[$f]}" -c "$c" -d "$T_RATE") ||
				{ log "$f: connrate failed: $res"; continue; }
			stat_snap s1
			[[ $f == socat ]] && sleep 0.1	# children reaped
			t1=$(cpu_ticks "$f")
			record "$r" "$f" "rate.$c" "$(kv rate "$res")"
			record_cores "$r" "$f" "rate.$c" >/dev/null
			[[ $f != direct ]] && record "$r" "$f" "cpu_per_conn.$c" \
				"$(calc "($t1 - $t0) / $CLK_TCK * 1e6 / $(kv ok "$res")")"
			log "round $r rate x$c $f: $res"
		done
	done
}

memstat() { python3 "$here/tools/procstat.py" mem ${roots[$1]}; }

phase_idle() {	# phase_idle: once per forwarder and connection count
	local f n m0 m1 held hold_pid hold_out i k
	for f in "${fwds[@]:1}"; do
		for n in "${IDLE_N[@]}"; do
			alive "$f" || continue
			m0=$(memstat "$f")
			hold_out=$out/logs/holdconn-$f-$n.out
			: >"$hold_out"
			"$tools/holdconn" -p "${echo_port[$f]}" -n "$n" -t 90 -H 120 \
				>"$hold_out" 2>&1 &
			hold_pid=$!
			aux_pids+=("$hold_pid")
			for ((i = 0; i < 1000; i++)); do	# up to 100 s
				grep -q '^held=' "$hold_out" && break
				kill -0 "$hold_pid" 2>/dev/null || break
				sleep 0.1
			done
			sleep 0.5	# let the forwarder settle
			m1=$(memstat "$f")
			kill -TERM "$hold_pid" 2>/dev/null || true
			wait "$hold_pid" 2>/dev/null || true
			aux_pids=("${aux_pids[@]/$hold_pid/}")
			held=$(kv held "$(cat "$hold_out")")
			log "idle $n $f: held ${held:-?}; empty: $m0; loaded: $m1"
			if [[ -z $held || $held -eq 0 ]]; then
				[[ -n $held ]] && record 1 "$f" "idle.$n.held" 0
				continue
			fi
			record 1 "$f" "idle.$n.held" "$held"
			for k in fds rss_kib pss_kib relay_fds relay_rss_kib relay_pss_kib; do
				record 1 "$f" "idle.$n.$k.empty" "$(kv "$k" "$m0")"
				record 1 "$f" "idle.$n.$k.loaded" "$(kv "$k" "$m1")"
			done
			record 1 "$f" "idle.$n.fds_per_conn" \
				"$(calc "($(kv fds "$m1") - $(kv fds "$m0")) / $held")"
			record 1 "$f" "idle.$n.kib_per_conn" \
				"$(calc "($(kv rss_kib "$m1") - $(kv rss_kib "$m0")) / $held")"
			record 1 "$f" "idle.$n.pss_kib_per_conn" \
				"$(calc "($(kv pss_kib "$m1") - $(kv pss_kib "$m0")) / $held")"
			if [[ $f == nsplice* ]]; then
				record 1 "$f" "idle.$n.relay_fds_per_conn" \
					"$(calc "($(kv relay_fds "$m1") - $(kv relay_fds "$m0")) / $held")"
				record 1 "$f" "idle.$n.relay_kib_per_conn" \
					"$(calc "($(kv relay_rss_kib "$m1") - $(kv relay_rss_kib "$m0")) / $held")"
			fi
			# Wait (up to 20 s) until the forwarder let the connections go
			for ((i = 0; i < 200; i++)); do
				(($(kv fds "$(memstat "$f")") <= $(kv fds "$m0") + 64)) && break
				sleep 0.1
			done
		done
	done
}

human() { (($1 >= 1048576)) && echo "$(($1 / 1048576))M" || echo "$(($1 / 1024))K"; }

phase_pipe() {	# phase_pipe ROUND: direct, then nsplice at every pipe-max-size
	local r=$1 size name d res bps bytes t0 t1 ticks moved
	local ip=$((PORT_BASE + PORT_SPAN - 1)) ep=$((PORT_BASE + PORT_SPAN))
	for d in "${PIPE_DIRS[@]}"; do
		local args=()
		[[ $d == s2c ]] && args=(-R)
		res=$(iperf direct "$T_PIPE" "${args[@]}") || continue
		record "$r" direct "pipe.$d.1" "$(calc "${res%% *} / 1e9")"
	done
	for size in "${PIPE_SIZES[@]}"; do
		name="nsplice pipe-max $(human "$size")"
		echo "$size" >/proc/sys/fs/pipe-max-size
		iperf_port[$name]=$ip
		echo_port[$name]=$ep
		start_nsplice "$name" "$ip" "$ep"
		if ! wait_listen "$ip" || ! wait_listen "$ep"; then
			log "$name did not start"
			stop_fwd "$name"
			echo "$orig_pipe_max" >/proc/sys/fs/pipe-max-size
			continue
		fi
		cl "$name" timeout 10 "$tools/pingpong" -p "$ep" -w 100 -d 0.1 >/dev/null || true
		ticks=0 moved=0
		for d in "${PIPE_DIRS[@]}"; do
			local args=()
			[[ $d == s2c ]] && args=(-R)
			t0=$(cpu_ticks "$name")
			res=$(iperf "$name" "$T_PIPE" "${args[@]}") || continue
			t1=$(cpu_ticks "$name")
			read -r bps bytes <<<"$res"
			record "$r" "$name" "pipe.$d.1" "$(calc "$bps / 1e9")"
			ticks=$((ticks + t1 - t0))
			moved=$(calc "$moved + $bytes")
			log "round $r pipe $d $name: $(calc "$bps / 1e9") Gbit/s"
		done
		[[ $moved != 0 ]] && record "$r" "$name" pipe.cpu_per_gb \
			"$(calc "($ticks / $CLK_TCK) / ($moved / 1e9)")"
		stop_fwd "$name"
		echo "$orig_pipe_max" >/proc/sys/fs/pipe-max-size
	done
}

# ---------------------------------------------------------------- profile
# The --profile runs.  perf starts with its events disabled (-D -1) and is
# driven through two FIFOs: "enable" is acknowledged once the events
# count, so its start-up (a second or more) stays out of the window, and
# the window holds the client run only.
PROF_FWDS=(direct nsplice nsplice-ref pasta proxyd)
PERF_ACK_S=30	# longest wait for perf to acknowledge a command, s
SS_PERIOD=0.1	# ss sampling period, s
declare -A perf_pid=() perf_ctl=() perf_ack=()

aux_drop() {	# aux_drop PID: PID no longer needs stopping on exit
	local p keep=()
	for p in "${aux_pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	aux_pids=("${keep[@]}")
}

perf_start() {	# perf_start TAG ARGS...: "perf ARGS" counting from now on
	local tag=$1 base=$pdir/perf-$1 a
	shift
	rm -f "$base.ctl" "$base.ack"
	mkfifo "$base.ctl" "$base.ack"
	perf "$@" -D -1 --control "fifo:$base.ctl,$base.ack" >>"$pdir/perf.log" 2>&1 &
	perf_pid[$tag]=$!
	aux_pids+=("${perf_pid[$tag]}")
	# read-write opens of a FIFO do not block, whether perf is there or not
	exec {a}<>"$base.ctl"
	perf_ctl[$tag]=$a
	exec {a}<>"$base.ack"
	perf_ack[$tag]=$a
	echo enable 1>&"${perf_ctl[$tag]}"
	read -r -t "$PERF_ACK_S" -u "${perf_ack[$tag]}" a && [[ $a == ack ]] ||
		{ log "perf $tag did not start (see $pdir/perf.log)"; perf_stop "$tag"; return 1; }
}

perf_stop() {	# perf_stop TAG: stop counting, let perf write its output
	local tag=$1 p=${perf_pid[$1]:-} a
	[[ -n $p ]] || return 0
	echo disable 1>&"${perf_ctl[$tag]}" || true
	read -r -t "$PERF_ACK_S" -u "${perf_ack[$tag]}" a || true
	kill -INT "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	local c=${perf_ctl[$tag]} k=${perf_ack[$tag]}
	exec {c}>&- {k}>&-
	rm -f "$pdir/perf-$tag.ctl" "$pdir/perf-$tag.ack"
	aux_drop "$p"
	unset "perf_pid[$tag]" "perf_ctl[$tag]" "perf_ack[$tag]"
}

# dp_pids FWD [echo]: the processes that move FWD's bytes; for proxyd,
# one instance per port: the iperf3 port's, or with "echo" the echo port's
dp_pids() {
	case $1 in
	direct) ;;
	nsplice*) python3 "$here/tools/procstat.py" relay ${roots[$1]} ;;
	proxyd)
		local r=${roots[$1]%% *}
		[[ ${2:-} == echo ]] && r=${roots[$1]##* }
		python3 "$here/tools/procstat.py" tree "$r"
		;;
	*) python3 "$here/tools/procstat.py" tree ${roots[$1]} ;;
	esac
}

record_lines() {	# record_lines FWD PREFIX: "metric value" lines of stdin
	local m v
	while read -r m v; do record 1 "$1" "$2.$m" "$v"; done
}

# prof_run FWD KIND DP CLIENT...: run CLIENT with perf recording DP's
# syscalls and splices (if DP is not empty) and counting the machine's
# wake-ups; KIND names the files.  For transfers, the descriptors of DP
# and the TCP sockets of both sides are watched during the run, to tell
# the splices' legs apart.  The client's output goes to FWD.KIND.out.
prof_run() {
	local f=$1 kind=$2 dp=$3 base=$pdir/$1.$2 rc=0 snap=""
	shift 3
	if [[ -n $dp ]]; then
		perf_start rec record -q -o "$base.data" -m 1024 -e raw_syscalls:sys_enter \
			-e syscalls:sys_enter_splice -e syscalls:sys_exit_splice -p "${dp// /,}" ||
			return 1
	fi
	perf_start sched stat -a -x, -o "$base.sched.csv" \
		-e sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch ||
		{ perf_stop rec; return 1; }
	if [[ $kind == tput.* && -n $dp ]]; then
		python3 "$here/tools/profdigest.py" watch "$base" "$iperf_srv_pid" \
			"$((${T_TPUT%.*} + 30))" $dp &
		snap=$!
		aux_pids+=("$snap")
	fi
	"$@" >"$base.out" || rc=1
	perf_stop sched
	perf_stop rec
	if [[ -n $snap ]]; then
		kill -TERM "$snap" 2>/dev/null || true
		wait "$snap" || true
		aux_drop "$snap"
	fi
	return "$rc"
}

# ss_sampler FILE PORT [NS]: every SS_PERIOD s, the established TCP
# sockets on PORT (either end), in the host or namespace NS, until killed
# or for at most the transfer's time plus 10 s; its pid joins aux_pids.
# At a higher priority than the processes measured (nice -5 from ours):
# at equal priority, on two busy CPUs, it got 3 samples a second.
ss_sampler() {
	local n cmd=(nice -n -5)
	n=$(calc "int(($T_TPUT + 10) / $SS_PERIOD)")
	[[ -n ${3:-} ]] && cmd+=(ip netns exec "$3")
	"${cmd[@]}" bash -c 'for ((i = 0; i < $1; i++)); do
			echo "#"; ss -Htnmi state established "( sport = :$2 or dport = :$2 )"
			sleep "$3"; done' _ "$n" "$2" "$SS_PERIOD" >"$1" 2>&1 &
	aux_pids+=($!)
}

prof_fwd() {	# prof_fwd FWD: the profile runs of one forwarder
	local f=$1 dp="" dpe="" d res bytes n hs nsp base
	((prof_tp)) && dp=$(dp_pids "$f") && dpe=$(dp_pids "$f" echo)
	((prof_tp)) && [[ $f != direct && -z $dp ]] &&
		{ log "profile $f: no data-path process"; return 0; }
	for d in c2s s2c; do
		local args=(-P 1)
		[[ $d == s2c ]] && args+=(-R)
		base=$pdir/$f.tput.$d
		prof_run "$f" "tput.$d" "$dp" iperf "$f" "$T_TPUT" "${args[@]}" ||
			{ log "profile $f tput $d failed"; continue; }
		res=$(<"$base.out")
		bytes=${res#* }
		record 1 "$f" "prof.tput.$d.gbit" "$(calc "${res%% *} / 1e9")"
		python3 "$here/tools/profdigest.py" sched "$base.sched.csv" "$(calc "$bytes / 1e9")" |
			record_lines "$f" "prof.tput.$d"
		[[ -n $dp ]] && python3 "$here/tools/profdigest.py" syscalls "$base.data" \
			"$(calc "$bytes / 1e9")" "$base" "${iperf_port[$f]}" "$NS_IPERF" |
			record_lines "$f" "prof.tput.$d"
		log "profile $f tput $d: $(calc "${res%% *} / 1e9") Gbit/s"
	done
	# Pinned as in phase_lat
	base=$pdir/$f.lat_pin
	taskset -a -p -c 1 "$srv_pid" >/dev/null
	pin_fwd "$f" 0
	res=""
	prof_run "$f" lat_pin "$dpe" cl "$f" taskset -c 0 timeout "$(calc "$T_LAT + 15")" \
		"$tools/pingpong" -p "${echo_port[$f]}" -d "$T_LAT" && res=$(<"$base.out")
	pin_fwd "$f" "0-$((NCPU - 1))"
	taskset -a -p -c "0-$((NCPU - 1))" "$srv_pid" >/dev/null
	n=$(kv n "$res")
	if [[ -n $n ]]; then
		n=$((n + LAT_WARMUP))
		record 1 "$f" prof.lat_pin.mean "$(kv mean_us "$res")"
		python3 "$here/tools/profdigest.py" sched "$base.sched.csv" "$n" |
			record_lines "$f" prof.lat_pin
		[[ -n $dpe ]] && python3 "$here/tools/profdigest.py" syscalls "$base.data" "$n" |
			record_lines "$f" prof.lat_pin
		log "profile $f lat_pin: $res"
	fi
	# Socket queues over one transfer, both sides
	base=$pdir/$f.ss
	ss_sampler "$base.host" "${iperf_port[$f]}"
	hs=$!
	ss_sampler "$base.ns" "$NS_IPERF" "$ns"
	nsp=$!
	res=$(iperf "$f" "$T_TPUT" -P 1) || res=""
	kill "$hs" "$nsp" 2>/dev/null || true
	wait "$hs" "$nsp" 2>/dev/null || true
	aux_drop "$hs"
	aux_drop "$nsp"
	if [[ -n $res ]]; then
		record 1 "$f" prof.ss.gbit "$(calc "${res%% *} / 1e9")"
		python3 "$here/tools/profdigest.py" ss "$base.host" "$base.ns" \
			"${iperf_port[$f]}" "$NS_IPERF" | record_lines "$f" prof
	fi
}

phase_profile() {	# phase_profile: the --profile runs, after the rounds
	local f
	pdir=$out/profile
	mkdir -p "$pdir"
	# Without the syscall tracepoints (a kernel without ftrace
	# syscalls) only the wake-ups and the socket queues are measured
	prof_tp=1
	perf list 'raw_syscalls:sys_enter' 'syscalls:sys_exit_splice' 2>/dev/null |
		grep -q sys_exit_splice || { prof_tp=0; log "profile: no syscall tracepoints, syscalls not counted"; }
	meta profile "perf $(perf --version 2>/dev/null | awk '{print $3}'); extra runs after the rounds, ss every ${SS_PERIOD}s"
	for f in "${fwds[@]}"; do
		[[ " ${PROF_FWDS[*]} " == *" $f "* ]] && alive "$f" || continue
		# in a || list, errexit is off inside: a failed step is skipped
		# (and logged), it does not end the run
		prof_fwd "$f" || log "profile $f: incomplete"
	done
}

meta pinning "latency pinned: client CPU 0, server CPU 1, forwarder (all its threads) CPU 0"
meta order "rounds interleave forwarders; in pairs of rounds, forward then backward, rotated by one each pair"
for ((r = 1; r <= R; r++)); do
	read -ra order <<<"$(round_order "$r")"
	((r == 1)) || revive "$r"
	log "round $r/$R: ${order[*]}"
	has_phase tput && phase_tput "$r" "${order[@]}"
	has_phase lat && phase_lat "$r" "${order[@]}"
	has_phase rate && phase_rate "$r" "${order[@]}"
done
if ((profile)); then
	log "profile: ${fwds[*]}"
	phase_profile
fi
if has_phase idle; then
	log "idle connections: ${IDLE_N[*]}"
	phase_idle
fi
if has_phase pipe; then
	for ((r = 1; r <= R; r++)); do
		log "pipe curve round $r/$R: pipe-max-size ${PIPE_SIZES[*]}"
		phase_pipe "$r"
	done
fi
meta loadavg-at-end "$(cut -d' ' -f1-3 /proc/loadavg)"
for f in "${fwds[@]:1}"; do
	alive "$f" || log "WARNING: $f is no longer running (see $out/logs/$f.log)"
done
report
