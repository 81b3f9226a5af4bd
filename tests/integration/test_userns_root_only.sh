#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_userns_root_only - nsplice as uid 0 of a user namespace that maps
# only that uid (`unshare -r`, podman's rootless helper without
# subordinate ids), really unprivileged outside it.
#
# Proves, as the test user inside `unshare -rn`:
#  - COMMAND mode starts and forwards: COMMAND's namespace gets the ids our
#    namespace has ("0 0 1"), not the whole range real root maps, which
#    the kernel refuses there (before: "cannot map ids in COMMAND's user
#    namespace: Operation not permitted");
#  - --pid mode starts and forwards: the relay cannot change to nobody,
#    which that namespace does not map, so it keeps uid 0 there and says
#    so at info level (before: the relay died with "cannot change to uid
#    65534" and nsplice with it);
#  - in both, the relay runs with no capability (effective and bounding),
#    no_new_privs and a seccomp filter, and nothing is logged as a warning
#    or an error;
#  - --runas nobody, named explicitly, is refused with a message naming
#    --runas and the unmapped id, and nothing starts.
# Why it matters: a rootless user's first try is often `unshare -r`, and
# podman runs its port helper as uid 0 of its user namespace; nsplice
# must work there, with the relay as confined as when run unprivileged.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
ensure_test_user
user_copy_binary
command -v unshare >/dev/null || die "unshare (util-linux) is missing"

alloc_ports 41500 PC PP PR
OUT=$USER_DIR/out
mkdir -p "$OUT"
chown "$TEST_USER" "$OUT"

# The inner script runs as uid 0 of the test user's `unshare -rn`; it
# prints KEY VALUE lines, which the checks below read.  Every wait is
# bounded; every process it starts, it kills by pid.
cat >"$USER_DIR/inner.sh" <<'EOF'
set -u
NSP=$1 TOOL=$2 OUT=$3 PC=$4 PP=$5 PR=$6

# ready LOG - wait up to 10 s for nsplice's ready line in LOG
ready() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q '; ready$' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# relay PID - "Uid:0 CapEff:... " of the relay started by supervisor PID
relay() {
	local p
	p=$(ps -o pid=,args= --ppid "$1" | awk '/nsplice: relay/ { print $1 }')
	[ -n "$p" ] || { echo none; return; }
	awk '/^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):/ { printf "%s%s ", $1, $2 }' \
		"/proc/$p/status"
	echo
}

# stop PID - SIGTERM, then the exit status (SIGKILL after 5 s)
stop() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

ip link set lo up
echo "uid_map $(tr -s ' ' <"/proc/self/uid_map")"

# probe MODE PORT NSPLICE-ARGS... - start nsplice, then print MODE_relay,
# MODE_recv (4096 bytes through PORT) and MODE_rc (status after SIGTERM)
probe() {
	local mode=$1 port=$2 s
	shift 2
	"$NSP" -v "$@" >"$OUT/$mode.log" 2>&1 &
	s=$!
	if ready "$OUT/$mode.log"; then
		echo "${mode}_relay $(relay "$s")"
		python3 "$TOOL" recv 4096 127.0.0.1 "$port" --timeout 10 \
			>/dev/null 2>>"$OUT/$mode.log" &&
			echo "${mode}_recv ok" || echo "${mode}_recv failed"
	else
		echo "${mode}_relay not-ready"
	fi
	stop "$s"
	echo "${mode}_rc $?"
}

# 1. COMMAND
probe cmd "$PC" -t "$PC:8080" -- python3 "$TOOL" source-server 8080 4096 \
	--lifetime 30

# 2. --pid, the target a namespace of our own
unshare -n sh -c "ip link set lo up && exec python3 '$TOOL' source-server \
	8080 4096 --lifetime 30" >"$OUT/target.log" 2>&1 &
T=$!
nsenter -t "$T" -n python3 "$TOOL" wait-port 127.0.0.1 8080 --timeout 10 ||
	echo "pid_target not-listening"
probe pid "$PP" --pid "$T" -t "$PP:8080"

# 3. --runas naming a user this namespace does not map
timeout -k 2 10 "$NSP" --runas nobody --pid "$T" -t "$PR:8080" \
	>"$OUT/runas.log" 2>&1
echo "runas_rc $?"
kill "$T" 2>/dev/null
wait "$T" 2>/dev/null
exit 0
EOF
chmod 644 "$USER_DIR/inner.sh"

RES=$(as_test_user timeout -k 5 90 unshare -rn bash "$USER_DIR/inner.sh" \
	"$USER_NSPLICE" "$USER_NSTOOL" "$OUT" "$PC" "$PP" "$PR" 2>&1) ||
	fail "the inner script failed: $?"
note "inner script said:"
printf '%s\n' "$RES" | indent

# val KEY - the value of KEY in the inner script's output
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$RES"; }

# show LOG - print LOG as comments
show() { indent <"$OUT/$1" 2>/dev/null || true; }

[[ $(val uid_map) == "0 $(id -u "$TEST_USER") 1" ]] &&
	ok "the namespace maps only uid 0: $(val uid_map)" ||
	fail "uid_map is \"$(val uid_map)\", expected one line for uid 0"

# confined RELAYLINE - the relay's status shows no capability, NNP, seccomp
confined() {
	[[ $1 == *"Uid:0 "* && $1 == *"CapEff:0000000000000000 "* &&
		$1 == *"CapBnd:0000000000000000 "* && $1 == *"NoNewPrivs:1 "* &&
		$1 == *"Seccomp:2 "* ]]
}

for mode in cmd pid; do
	line=$(val "${mode}_relay")
	if confined "$line "; then
		ok "$mode: the relay keeps uid 0 with no capability, no_new_privs, seccomp"
	else
		fail "$mode: relay status \"$line\""
		show "$mode.log"
	fi
	[[ $(val "${mode}_recv") == ok ]] &&
		ok "$mode: 4096 bytes through the forward" ||
		{ fail "$mode: transfer: $(val "${mode}_recv")"; show "$mode.log"; }
	[[ $(val "${mode}_rc") == 0 ]] &&
		ok "$mode: SIGTERM: exit status 0" ||
		fail "$mode: exit status $(val "${mode}_rc") after SIGTERM"
	# (the suite's --sandbox=log run adds one warning at every start)
	if grep -v -E '^\[supervisor\] warning: --sandbox=log: ' "$OUT/$mode.log" |
		grep -q -E '(warning|error):'; then
		fail "$mode: warnings or errors logged"
		show "$mode.log"
	else
		ok "$mode: no warning or error logged"
	fi
done
grep -q "the relay keeps uid 0 of nsplice's user namespace, which does not map user" \
	"$OUT/pid.log" && ok "pid: the info line says why the relay keeps uid 0" ||
	{ fail "pid: no info line about the relay's uid"; show pid.log; }

if [[ $(val runas_rc) == 1 ]] &&
	grep -q -E -- '--runas nobody: uid [0-9]+ or gid [0-9]+ is not mapped' "$OUT/runas.log" &&
	! grep -q 'ready$' "$OUT/runas.log"; then
	ok "--runas nobody, unmapped: refused, exit 1: $(head -n1 "$OUT/runas.log")"
else
	fail "--runas nobody, unmapped: exit $(val runas_rc)"
	show runas.log
fi

finish
