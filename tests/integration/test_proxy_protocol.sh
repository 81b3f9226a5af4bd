#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_proxy_protocol - --proxy-protocol PORTS: the PROXY v2 header.
#
# Proves, with a server in the target namespace that parses the v2 header
# and answers with what it read (lib/ppserver.py):
#   - a client in another namespace, over a veth, arrives with its real
#     address and port (IPv4 and IPv6), and the header names the address
#     and port it connected to; a wildcard listener names 0.0.0.0 (the
#     documented limit: the relay has no getsockname());
#   - a loopback client (127.0.0.1 and ::1) likewise, TCP4 and TCP6;
#   - a forward without the option sends no header: the server sees the
#     client's bytes first;
#   - a -T forward (namespace client, host server) sends it too;
#   - a client that sends a line and 1 MiB right after connect() gets the
#     header first and its bytes exact, and so does one whose connection to
#     the target stays in progress ~1 s (the server's accept queue full, so
#     its SYN is dropped once) while its data waits: the relay holds the
#     client's bytes until the header is out;
#   - status (text and JSON) says which forwards send it;
#   - a reload that drops the option, and one that brings it back, apply
#     to new connections only: a connection opened before goes on with no
#     second header in its stream; `ctl add -t SPEC --proxy-protocol` sends
#     it, `ctl remove` + `ctl add` without it does not;
#   - a socket-activated listener sends it;
#   - a port in PORTS that no forward listens on, and a mapping as PORTS,
#     exit 2 with a message naming them.
# Why it matters: a service behind the header trusts it for access logs,
# rate limits and allow-lists; a connection without it, a wrong address,
# or client bytes before it would be misread or let through as nsplice.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

PPS="$TESTLIB/ppserver.py"
NS="nsp-$$-pp"
CL="nsp-$$-ppc"
make_netns "$NS" 81
make_netns "$CL" 82
alloc_ports 24600 P1 P2 P3 P4 P5 Q R P6 P7 P8
SOCK=$TMPDIR_TEST/ctl.sock
CONF=$TMPDIR_TEST/nsplice.conf

# pp_serve NETNS LOG PPSERVER-SERVE-ARGS... - start a ppserver (NETNS ""
# for the host); waits until its first port answers.
pp_serve() {
	local ns=$1 log=$2
	shift 2
	if [[ -n $ns ]]; then
		start_bg "$log" ip netns exec "$ns" timeout -k 2 "$LIFETIME" \
			"$PY" "$PPS" serve "$@" --lifetime "$LIFETIME"
	else
		start_bg "$log" timeout -k 2 "$LIFETIME" "$PY" "$PPS" serve \
			"$@" --lifetime "$LIFETIME"
	fi
}

# pp_ask NETNS OUT ASK-ARGS... - run a ppserver client (NETNS "" for the
# host), its answers in OUT; returns its status.
pp_ask() {
	local ns=$1 out=$2
	shift 2
	if [[ -n $ns ]]; then
		in_netns "$ns" timeout -k 2 30 "$PY" "$PPS" ask "$@" >"$out" 2>&1
	else
		timeout -k 2 30 "$PY" "$PPS" ask "$@" >"$out" 2>&1
	fi
}

# pp_check OUT KEY=VALUE... - the last answer in OUT has every KEY at
# VALUE; "sport=LOCAL" is the client's own port, "bulk_sha=SENT" the
# checksum of what it sent.  Prints what is wrong; returns 1 then.
pp_check() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
out, want = sys.argv[1], sys.argv[2:]
lines = [json.loads(l) for l in open(out) if l.startswith("{")]
local = next((l["local"] for l in lines if "local" in l), None)
sent = next((l["sent_sha"] for l in lines if "sent_sha" in l), None)
answers = [l for l in lines if "local" not in l and "sent_sha" not in l]
if not answers:
    sys.exit("no answer: " + open(out).read()[-400:])
got = answers[-1]
bad = []
for kv in want:
    k, v = kv.split("=", 1)
    v = {"LOCAL": str(local and local[1]), "SENT": str(sent)}.get(v, v)
    if str(got.get(k)).lower() != v.lower():
        bad.append("%s=%r, expected %s" % (k, got.get(k), v))
if bad:
    sys.exit("; ".join(bad) + " in " + json.dumps(got))
PYEOF
}

# expect NAME OUT KEY=VALUE... - ok/fail on pp_check
expect() {
	local name=$1 out=$2 why
	shift 2
	if why=$(pp_check "$out" "$@" 2>&1); then
		ok "$name"
	else
		fail "$name: $why"
		indent <"$out"
	fi
}

# ctl ARGS... - `nsplice ctl SOCK ARGS`, output in CTL_OUT, status CTL_RC
ctl() {
	CTL_RC=0
	CTL_OUT=$(timeout -k 2 15 "$NSPLICE" ctl "$SOCK" "$@" 2>&1) || CTL_RC=$?
}

# wait_status PORT true|false - wait (bounded) until status JSON says the
# forward listening on PORT does (not) send the header
wait_status() {
	local port=$1 want=$2 i
	for ((i = 0; i < 100; i++)); do
		ctl status --json
		if "$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
f = [x["proxy_protocol"] for x in d["forwards"]
     if x["listen_port"] == int(sys.argv[2])]
sys.exit(0 if f and all(str(v).lower() == sys.argv[3] for v in f) else 1)' \
			"$CTL_OUT" "$port" "$want" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# ----------------------------------------------------------- bad options

out=$(timeout 20 "$NSPLICE" --netns "$NS" -t "$P1" --proxy-protocol \
	"$P1,$P8" 2>&1) && rc=0 || rc=$?
[[ $rc == 2 && $out == *"port $P8"* && $out == *"no TCP forward"* ]] &&
	ok "--proxy-protocol with a port nothing listens on: exit 2 naming it" ||
	fail "--proxy-protocol $P1,$P8 with only -t $P1: rc $rc: $out"
out=$(timeout 20 "$NSPLICE" --netns "$NS" -t "$P1" --proxy-protocol \
	"$P1:80" 2>&1) && rc=0 || rc=$?
[[ $rc == 2 && $out == *"--proxy-protocol \"$P1:80\""*"mapping"* ]] &&
	ok "--proxy-protocol with a mapping: exit 2 naming it" ||
	fail "--proxy-protocol $P1:80: rc $rc: $out"

# ------------------------------------------------------------- servers

# Target namespace: loopback clients arrive on its loopback, others on its
# veth address (loopback safety); P5's server accepts nothing while the
# pause file exists, with an accept queue of one.
pp_serve "$NS" "$TMPDIR_TEST/srv.log" "$P1" "$P2" "$P3" "$P4" "$Q" "$P6" \
	"$P7" "$P8" --addr 127.0.0.1 --addr ::1 --addr 10.200.81.2 \
	--addr fd00:200:81::2
PAUSE=$TMPDIR_TEST/pause
touch "$PAUSE"
pp_serve "$NS" "$TMPDIR_TEST/srv5.log" "$P5" --addr 127.0.0.1 \
	--backlog 0 --pause-file "$PAUSE"
pp_serve "" "$TMPDIR_TEST/srvR.log" "$R" --addr 127.0.0.1
wait_port 127.0.0.1 "$P1" "$NS" || die "ppserver in $NS did not start"
wait_port 127.0.0.1 "$R" || die "ppserver on the host did not start"
for ((i = 0; i < 100; i++)); do
	port_listening "$P5" "$NS" && break
	sleep 0.05
done

start_nsplice --wait 127.0.0.1 "$P1" --wait 10.200.82.1 "$P2" \
	--wait-in "$NS" 127.0.0.1 "$R" "$TMPDIR_TEST/nsp.log" \
	--netns "$NS" --control "$SOCK" -t "$P1" -t "10.200.82.1/$P2" \
	-t "[fd00:200:82::1]/$P3" -t "0.0.0.0/$P4" -t "$P5" -t "$Q" \
	-T "$R" --proxy-protocol "$P1,$P2,$P3,$P4,$P5,$R" ||
	die "nsplice did not start"

# ------------------------------------------------------------- headers

o=$TMPDIR_TEST/a.out
pp_ask "" "$o" 127.0.0.1 "$P1" --line hello || true
expect "loopback IPv4 client: TCP4 header with its address and port" "$o" \
	pp=true fam=17 src=127.0.0.1 sport=LOCAL dst=127.0.0.1 dport="$P1" \
	line=hello tlv_bytes=0
pp_ask "" "$o" ::1 "$P1" --line hello6 || true
expect "loopback IPv6 client: TCP6 header with its address and port" "$o" \
	pp=true fam=33 src=::1 sport=LOCAL dst=::1 dport="$P1" line=hello6
pp_ask "$CL" "$o" 10.200.82.1 "$P2" --line veth4 || true
expect "client in another namespace over a veth: its real IPv4 address" \
	"$o" pp=true fam=17 src=10.200.82.2 sport=LOCAL dst=10.200.82.1 \
	dport="$P2" line=veth4
pp_ask "$CL" "$o" fd00:200:82::1 "$P3" --line veth6 || true
expect "client in another namespace over a veth: its real IPv6 address" \
	"$o" pp=true fam=33 src=fd00:200:82::2 sport=LOCAL \
	dst=fd00:200:82::1 dport="$P3" line=veth6
pp_ask "$CL" "$o" 10.200.82.1 "$P4" --line wild || true
expect "wildcard listener: real source, destination 0.0.0.0 and the port" \
	"$o" pp=true fam=17 src=10.200.82.2 sport=LOCAL dst=0.0.0.0 \
	dport="$P4" line=wild
pp_ask "" "$o" 127.0.0.1 "$Q" --line plain || true
expect "forward without the option: no header, the client's bytes first" \
	"$o" pp=false line=plain
pp_ask "$NS" "$o" 127.0.0.1 "$R" --line reverse || true
expect "-T forward: header with the namespace client's address" "$o" \
	pp=true fam=17 src=127.0.0.1 sport=LOCAL dst=127.0.0.1 dport="$R" \
	line=reverse
pp_ask "" "$o" 127.0.0.1 "$P1" --line first --bulk 1048576 || true
expect "line and 1 MiB sent right after connect: header first, bytes exact" \
	"$o" pp=true src=127.0.0.1 sport=LOCAL bulk_len=1048576 bulk_sha=SENT

# The target's accept queue is full: the relay's SYN is dropped, its
# connect() stays in progress until the retransmission (~1 s), while the
# client's line and 64 KiB are already in.
start_bg "$TMPDIR_TEST/fill.log" ip netns exec "$NS" timeout -k 2 30 \
	"$PY" "$PPS" fill 127.0.0.1 "$P5" --seconds 20
FILL_PID=$BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q filled "$TMPDIR_TEST/fill.log" && break
	sleep 0.05
done
t0=$(date +%s%N)
(sleep 0.3; rm -f "$PAUSE") &
pp_ask "" "$o" 127.0.0.1 "$P5" --line early --bulk 65536 || true
ms=$((($(date +%s%N) - t0) / 1000000))
expect "connect in progress while the client's data waits: header first" \
	"$o" pp=true src=127.0.0.1 sport=LOCAL dport="$P5" bulk_len=65536 \
	bulk_sha=SENT
((ms >= 700)) && ok "that connection really waited for the target (${ms} ms)" ||
	fail "the answer came after ${ms} ms: the target's connect was not delayed"
kill "$FILL_PID" 2>/dev/null || true

# ---------------------------------------------------------------- status

ctl status
st=$CTL_OUT
# line_of OPT ADDR:PORT - the status line of one forward
line_of() { grep -F -- "  -$1 $2 -> " <<<"$st" || true; }
good=1
for a in "127.0.0.1:$P1" "[::1]:$P1" "10.200.82.1:$P2" \
	"[fd00:200:82::1]:$P3" "0.0.0.0:$P4"; do
	[[ $(line_of t "$a") == *"  proxy-protocol v2" ]] || good=0
done
[[ $(line_of T "127.0.0.1:$R") == *"  proxy-protocol v2" ]] || good=0
[[ -n $(line_of t "127.0.0.1:$Q") &&
	$(line_of t "127.0.0.1:$Q") != *proxy-protocol* ]] || good=0
((good)) && ok "status marks exactly the forwards that send the header" ||
	{ fail "status does not mark the right forwards"; indent <<<"$st"; }
wait_status "$Q" false && wait_status "$P1" true &&
	ok "status --json: proxy_protocol false for $Q, true for $P1" ||
	fail "status --json proxy_protocol wrong: $CTL_OUT"
stop_nsplice TERM 10 || fail "nsplice did not stop"

# ------------------------------------------------- reload and ctl toggling

printf 'tcp-ports = %s\nproxy-protocol = %s\n' "$P6" "$P6" >"$CONF"
start_nsplice --wait 127.0.0.1 "$P6" "$TMPDIR_TEST/nsp2.log" -v \
	--netns "$NS" --control "$SOCK" -c "$CONF" ||
	die "nsplice with -c did not start"
GO=$TMPDIR_TEST/go
pp_ask "" "$TMPDIR_TEST/held.out" 127.0.0.1 "$P6" --line before \
	--wait-file "$GO" &
HELD=$!
for ((i = 0; i < 100; i++)); do
	grep -q '"line": "before"' "$TMPDIR_TEST/held.out" 2>/dev/null && break
	sleep 0.05
done
expect "reload test: first connection gets the header" \
	"$TMPDIR_TEST/held.out" pp=true line=before
printf 'tcp-ports = %s\n' "$P6" >"$CONF"
kill -HUP "$NSP_PID"
wait_status "$P6" false && ok "reload without proxy-protocol: status says off" ||
	fail "status still says proxy_protocol for $P6 after the reload"
pp_ask "" "$o" 127.0.0.1 "$P6" --line off || true
expect "after the reload a new connection has no header" "$o" pp=false \
	line=off
touch "$GO"
wait "$HELD" || true
expect "the connection opened before goes on, no second header in it" \
	"$TMPDIR_TEST/held.out" pp=true line=after
printf 'tcp-ports = %s\nproxy-protocol = %s\n' "$P6" "$P6" >"$CONF"
kill -HUP "$NSP_PID"
wait_status "$P6" true || fail "status never said proxy_protocol after reload"
pp_ask "" "$o" 127.0.0.1 "$P6" --line on || true
expect "a reload bringing it back: new connections get it again" "$o" \
	pp=true line=on
grep -q "PROXY header on for new" "$NSP_LOG" &&
	! grep -q "protocol violation" "$NSP_LOG" &&
	ok "the relay changed the flag in place (no violation, no restart)" ||
	{ fail "no in-place change logged, or a violation"; show_log "$NSP_LOG"; }

ctl add -t "$P7" --proxy-protocol
((CTL_RC == 0)) || fail "ctl add -t $P7 --proxy-protocol: $CTL_OUT"
wait_port 127.0.0.1 "$P7" >/dev/null 2>&1 || true
pp_ask "" "$o" 127.0.0.1 "$P7" --line ctl-on || true
expect "ctl add --proxy-protocol: the header is sent" "$o" pp=true \
	line=ctl-on dport="$P7"
ctl remove -t "$P7"
ctl add -t "$P7"
((CTL_RC == 0)) || fail "ctl add -t $P7: $CTL_OUT"
wait_status "$P7" false || fail "status says proxy_protocol for $P7"
wait_port 127.0.0.1 "$P7" >/dev/null 2>&1 || true
pp_ask "" "$o" 127.0.0.1 "$P7" --line ctl-off || true
expect "ctl remove and add without it: no header" "$o" pp=false \
	line=ctl-off
ctl add -t "$P8" --proxy-protocol --bogus
((CTL_RC != 0)) && [[ $CTL_OUT == *"--bogus"* ]] &&
	ok "ctl add with an unknown word after the SPEC is refused" ||
	fail "ctl add ... --bogus: rc $CTL_RC: $CTL_OUT"
stop_nsplice TERM 10 || fail "nsplice did not stop"

# ------------------------------------------------------ socket activation

cat >"$TMPDIR_TEST/wrap.sh" <<WEOF
#!/bin/sh
exec systemd-socket-activate -l 127.0.0.1:$P8 "$NSPLICE" "\$@"
WEOF
chmod +x "$TMPDIR_TEST/wrap.sh"
if command -v systemd-socket-activate >/dev/null; then
	start_nsplice --bin "$TMPDIR_TEST/wrap.sh" --wait 127.0.0.1 "$P8" \
		"$TMPDIR_TEST/act.log" --netns "$NS" -t "127.0.0.1/$P8" \
		--proxy-protocol "$P8" || die "socket-activated nsplice failed"
	pp_ask "" "$o" 127.0.0.1 "$P8" --line act || true
	expect "socket-activated listener: header sent" "$o" pp=true \
		src=127.0.0.1 sport=LOCAL dst=127.0.0.1 dport="$P8" line=act
	stop_nsplice TERM 10 || fail "nsplice did not stop"
else
	fail "systemd-socket-activate missing (Debian package systemd)"
fi

finish
