#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_root_transfer - bulk data integrity and throughput.
#
# Proves: 256 MiB cross nsplice intact in each direction (host -> namespace
# into a sha256 sink, namespace -> host from a deterministic source), over
# IPv4 and IPv6, and both ways over a -T (namespace -> host) forward; the
# sha256 of what arrived equals what was sent.  The same
# transfers are run with client and server both inside the namespace (no
# forwarder) and both rates are printed side by side:
#   transfer v4 up: nsplice X MB/s, direct Y MB/s
# Why it matters: a splice relay that drops, duplicates or reorders bytes
# under load, or stalls on one direction, breaks every protocol on top; the
# rate table shows what the forwarder costs.  (MB = 10^6 bytes; both ends
# are Python, so "direct" is the tool's own ceiling, not the kernel's.)
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"

need_root
need_nsplice

SIZE=${NSPLICE_TEST_TRANSFER:-256M}
NS="nsp-$$-xfer"
make_netns "$NS"
alloc_ports 23000 HSINK HSRC SINK SRC TSINK TSRC

start_ns_server "$NS" "$TMPDIR_TEST/srv.log" serve "sink=$SINK" "source=$SRC,$SIZE" \
	--addr 127.0.0.1 --addr ::1
wait_port 127.0.0.1 "$SINK" "$NS" || die "sink server in $NS did not start"
wait_port ::1 "$SRC" "$NS" || die "source server in $NS did not start"
# Host-side servers for the -T (namespace -> host) direction.
start_ns_server "" "$TMPDIR_TEST/host-srv.log" serve "sink=$TSINK" "source=$TSRC,$SIZE" \
	--addr 127.0.0.1
wait_port 127.0.0.1 "$TSINK" || die "sink server on the host did not start"
wait_port 127.0.0.1 "$TSRC" || die "source server on the host did not start"

start_nsplice --wait 127.0.0.1 "$HSINK" --wait ::1 "$HSRC" \
	--wait-in "$NS" 127.0.0.1 "$TSINK" \
	"$TMPDIR_TEST/nsplice.log" --netns "$NS" -t "$HSINK:$SINK" -t "$HSRC:$SRC" \
	-T "$TSINK" -T "$TSRC" ||
	die "nsplice did not come up"

# rate_of OUTPUT - the MBps=N figure of an nstool line, or "FAILED".
rate_of() { sed -n 's/.*MBps=\([0-9]*\).*/\1/p' <<<"$1" | head -n1; }

declare -A RATE
for fam in v4 v6; do
	[[ $fam == v4 ]] && lo=127.0.0.1 || lo=::1
	if check "$fam up: $SIZE host -> namespace through nsplice, sha256 matches" \
		nstool send "$SIZE" "$lo" "$HSINK"; then
		RATE[$fam-up-nsp]=$(rate_of "$CHECK_OUT")
	else
		RATE[$fam-up-nsp]=FAILED
		show_log "$NSP_LOG" 10
	fi
	if check "$fam down: $SIZE namespace -> host through nsplice, data matches" \
		nstool recv "$SIZE" "$lo" "$HSRC"; then
		RATE[$fam-down-nsp]=$(rate_of "$CHECK_OUT")
	else
		RATE[$fam-down-nsp]=FAILED
		show_log "$NSP_LOG" 10
	fi
	if check "$fam up: $SIZE direct inside the namespace (reference)" \
		nstool_in "$NS" send "$SIZE" "$lo" "$SINK"; then
		RATE[$fam-up-dir]=$(rate_of "$CHECK_OUT")
	else
		RATE[$fam-up-dir]=FAILED
	fi
	if check "$fam down: $SIZE direct inside the namespace (reference)" \
		nstool_in "$NS" recv "$SIZE" "$lo" "$SRC"; then
		RATE[$fam-down-dir]=$(rate_of "$CHECK_OUT")
	else
		RATE[$fam-down-dir]=FAILED
	fi
done

# -T: the client is in the namespace, the server on the host (IPv4 only).
if check "-T up: $SIZE namespace client -> host sink through nsplice, sha256 matches" \
	nstool_in "$NS" send "$SIZE" 127.0.0.1 "$TSINK"; then
	RATE[T-up-nsp]=$(rate_of "$CHECK_OUT")
else
	RATE[T-up-nsp]=FAILED
	show_log "$NSP_LOG" 10
fi
if check "-T down: $SIZE host source -> namespace client through nsplice, data matches" \
	nstool_in "$NS" recv "$SIZE" 127.0.0.1 "$TSRC"; then
	RATE[T-down-nsp]=$(rate_of "$CHECK_OUT")
else
	RATE[T-down-nsp]=FAILED
	show_log "$NSP_LOG" 10
fi
if check "-T up: $SIZE direct on the host (reference)" nstool send "$SIZE" 127.0.0.1 "$TSINK"; then
	RATE[T-up-dir]=$(rate_of "$CHECK_OUT")
else
	RATE[T-up-dir]=FAILED
fi
if check "-T down: $SIZE direct on the host (reference)" nstool recv "$SIZE" 127.0.0.1 "$TSRC"; then
	RATE[T-down-dir]=$(rate_of "$CHECK_OUT")
else
	RATE[T-down-dir]=FAILED
fi

assert_still_running "nsplice still running after the transfers" \
	"nsplice died during the transfers"

for fam in v4 v6; do
	for dir in up down; do
		echo "# transfer $fam $dir: nsplice ${RATE[$fam-$dir-nsp]} MB/s, direct ${RATE[$fam-$dir-dir]} MB/s"
	done
done
for dir in up down; do
	echo "# transfer v4 -T $dir: nsplice ${RATE[T-$dir-nsp]} MB/s, direct ${RATE[T-$dir-dir]} MB/s"
done

shutdown_nsplice --any-status 2
finish
