#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_proxy_nginx - the PROXY v2 header read by a real consumer: nginx.
#
# Proves, with Debian's nginx in the target namespace listening with
# `listen ... proxy_protocol;`, answering and logging
# $proxy_protocol_addr, $proxy_protocol_port and the server address:
#   - curl in another namespace, over a veth, through a forward with
#     --proxy-protocol: nginx answers with, and logs, the client's real
#     address (10.200.84.2) and the port curl used, and the address and
#     port it connected to;
#   - a loopback client on the host: nginx logs 127.0.0.1;
#   - the same nginx behind a forward without the option refuses the
#     request ("broken header" in its error log): the header is what it
#     read, not something nginx made up.
# Why it matters: the point of the option is that real software (nginx,
# HAProxy, ...) accepts nsplice's header and sees the real client.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice
command -v nginx >/dev/null ||
	die "nginx missing (Debian package nginx-light, packaging/install-deps.sh --test)"
command -v curl >/dev/null || die "curl missing"

NS="nsp-$$-ngx"
CL="nsp-$$-ngc"
make_netns "$NS" 83
make_netns "$CL" 84
alloc_ports 25600 PV PL PN CPORT
NG=$TMPDIR_TEST/nginx
mkdir -p "$NG/tmp"

cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log info;
events { worker_connections 64; }
http {
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	log_format pp 'client=\$proxy_protocol_addr:\$proxy_protocol_port '
		'server=\$proxy_protocol_server_addr:\$proxy_protocol_server_port '
		'peer=\$remote_addr';
	access_log $NG/access.log pp;
	server {
		listen 10.200.83.2:$PV proxy_protocol;
		listen 127.0.0.1:$PL proxy_protocol;
		listen 127.0.0.1:$PN proxy_protocol;
		location / {
			return 200 "\$proxy_protocol_addr:\$proxy_protocol_port\n";
		}
	}
}
EOF
start_bg "$TMPDIR_TEST/nginx.out" ip netns exec "$NS" timeout -k 2 \
	"$LIFETIME" nginx -p "$NG" -c "$NG/nginx.conf"
for ((i = 0; i < 100; i++)); do
	port_listening "$PV" "$NS" && port_listening "$PN" "$NS" && break
	sleep 0.05
done
port_listening "$PV" "$NS" || { show_log "$NG/error.log"; die "nginx did not start"; }
note "nginx $(nginx -v 2>&1 | sed 's/.*\///') listening in $NS"

start_nsplice --wait 10.200.84.1 "$PV" --wait 127.0.0.1 "$PL" \
	"$TMPDIR_TEST/nsp.log" --netns "$NS" -t "10.200.84.1/$PV" -t "$PL" \
	-t "$PN" --proxy-protocol "$PV,$PL" || die "nsplice did not start"

# Client in its own namespace, from a port the test knows.
body=$(in_netns "$CL" curl -sS --max-time 10 --local-port "$CPORT" \
	"http://10.200.84.1:$PV/" 2>&1) || true
[[ $body == "10.200.84.2:$CPORT" ]] &&
	ok "nginx answers with the veth client's real address and port" ||
	fail "nginx answered \"$body\", expected 10.200.84.2:$CPORT"
# The TCP peer is nsplice, from the namespace's own address; the client
# is the one in the header.
grep -q -x "client=10.200.84.2:$CPORT server=10.200.84.1:$PV peer=10.200.83.2" \
	"$NG/access.log" &&
	ok "nginx logs client 10.200.84.2:$CPORT, server 10.200.84.1:$PV, peer nsplice" ||
	{ fail "access log lacks the veth client"; indent <"$NG/access.log"; }

body=$(curl -sS --max-time 10 "http://127.0.0.1:$PL/" 2>&1) || true
[[ $body == 127.0.0.1:* ]] &&
	ok "loopback client: nginx answers 127.0.0.1 ($body)" ||
	fail "loopback client: nginx answered \"$body\""
grep -q "client=127.0.0.1:[0-9]* server=127.0.0.1:$PL " "$NG/access.log" &&
	ok "nginx logs the loopback client" ||
	{ fail "access log lacks the loopback client"; indent <"$NG/access.log"; }

# Negative: a forward without the option, to the same kind of listener.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	"http://127.0.0.1:$PN/" 2>/dev/null) || true
for ((i = 0; i < 40; i++)); do
	grep -q "broken header" "$NG/error.log" && break
	sleep 0.05
done
[[ $code != 200 ]] && grep -q "broken header" "$NG/error.log" &&
	ok "without --proxy-protocol nginx refuses: broken header (HTTP $code)" ||
	{ fail "forward without the option: HTTP $code"; show_log "$NG/error.log"; }

stop_nsplice TERM 10 || fail "nsplice did not stop"
finish
