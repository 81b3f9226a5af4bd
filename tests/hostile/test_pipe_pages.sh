#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_pipe_pages - pipe accounting near fs.pipe-user-pages-soft.
#
# The relay runs as an unprivileged user (--runas, default nsplice or
# nobody), so the kernel accounts its pipe pages to that user; past
# fs.pipe-user-pages-soft every new pipe of the user shrinks to one page.
# The test lowers the sysctl to 1024 pages (4 MiB) for the run and
# restores it at exit.  Proves, with 200 framed transfers of up to 8 MiB
# each way started at once:
#  - the relay budgets half the soft limit (512 pages) and says so;
#  - data intact: all 200 complete, every sha256 matches, although there
#    are far fewer pipes than flows wanting one;
#  - no spin: the relay's CPU time for this load is at most 3x what the
#    same load costs with the default sysctl (flows waiting for a pipe
#    are not polled), and it idles afterwards;
#  - a warning logged once: exactly one relay warning about pipes (the
#    page budget is reached: new flows get one-page pipes, and past half
#    the budget again in those, flows wait; one warning per minute covers
#    both).
# Why it matters: tripping the soft limit silently degrades every pipe of
# the user (other services included); ignoring the budget means spinning
# or failing flows instead of queueing them.
. "${NSPLICE_TESTLIB:?NSPLICE_TESTLIB not set}/common.sh"
. "${HOSTILE_LIB:?HOSTILE_LIB not set}/hostile.sh"

need_root
need_nsplice

SOFT=1024
CONNS=200
SYSCTL=/proc/sys/fs/pipe-user-pages-soft
ORIG=$(cat $SYSCTL)
NS="nsp-$$-pipes"
make_netns "$NS"
alloc_ports 31600 HX X

start_hostile_server "$NS" "$TMPDIR_TEST/xfer.log" xfer-server "$X"
wait_port 127.0.0.1 "$X" "$NS" || die "xfer server did not start"

# run_load LABEL - start nsplice, run the load, leave figures in LOUT,
# LTICKS (relay CPU ticks for the load) and LLOG (the log); stop nsplice.
run_load() {
	local label=$1 relay t0 t1
	start_nsplice --wait 127.0.0.1 "$HX" "$TMPDIR_TEST/nsplice-$label.log" \
		-v --netns "$NS" -t "$HX:$X" || die "nsplice ($label) did not come up"
	relay=$(relay_pid)
	[[ -n $relay ]] || die "no relay process found"
	t0=$(cpu_ticks "$relay")
	LOUT=$(hostile load 127.0.0.1 "$HX" --conns $CONNS --pause-ms 10 --seed 5 \
		--timeout 90) || true
	t1=$(cpu_ticks "$relay")
	LTICKS=$((t1 - t0))
	LIDLE=$(idle_cpu_pct "$relay" 1)
	LLOG=$NSP_LOG
	stop_nsplice TERM 3 || fail "$label: SIGTERM: nsplice still running after 3 s"
	assert_no_nsplice_procs "$label: no nsplice process left"
}

run_load default
load_ok "default sysctl ($ORIG pages): $CONNS transfers" "$LOUT" || true
REF_TICKS=$LTICKS
REF_SECS=$(jget "$LOUT" secs)

cleanup_cmd "echo $ORIG > $SYSCTL"
echo $SOFT >$SYSCTL
note "fs.pipe-user-pages-soft lowered from $ORIG to $SOFT"
run_load lowered
echo "$ORIG" >$SYSCTL
note "fs.pipe-user-pages-soft restored to $ORIG"
load_ok "soft limit $SOFT pages: $CONNS transfers" "$LOUT" || true
grep -q -E "\[relay\] pipes: .* $((SOFT / 2)) pages \(half the user's soft limit\)" "$LLOG" &&
	ok "relay budgets $((SOFT / 2)) pipe pages" ||
	{ fail "relay did not budget $((SOFT / 2)) pages"; grep 'pipes:' "$LLOG" | indent; }
((LTICKS <= 3 * REF_TICKS + 2 * CLK_TCK)) &&
	ok "relay CPU $LTICKS ticks under the soft limit, $REF_TICKS with the default (no spin)" ||
	fail "relay CPU $LTICKS ticks under the soft limit vs $REF_TICKS: spinning on waiting flows"
((LIDLE <= 5)) && ok "relay idles after the load (${LIDLE}%)" ||
	fail "relay uses ${LIDLE}% CPU after the load"
WARN=$(log_count '^\[relay\] warning: .*pipe' "$LLOG")
((WARN == 1)) && ok "one relay warning about pipes" ||
	{ fail "relay warned about pipes $WARN times (want exactly 1)"; show_log "$LLOG" 10; }
(($(log_count 'error:' "$LLOG") == 0)) && ok "no error logged" ||
	{ fail "errors logged"; grep 'error:' "$LLOG" | head | indent; }
figure "soft_limit=$SOFT pages connections=$CONNS ok=$(jget "$LOUT" ok) failed=$(jget "$LOUT" failed)" \
	"(expected 0) corrupt=$(jget "$LOUT" corrupt) secs=$(jget "$LOUT" secs) (default sysctl $REF_SECS)" \
	"relay_cpu_ticks=$LTICKS (default $REF_TICKS) warnings=$WARN (expected 1)"
finish
