#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_man.sh - the man pages render without a warning and are complete.
#
# mandoc -T lint -W warning and groff -ww must print nothing; nsplice(1)
# must mention every long option `nsplice --help` lists and the sections
# the issue asks for; nsplice.conf(5) every key.  A page with a broken
# macro must make the lint fail (the check can fail).
. "$(dirname "$0")/lib.sh"

need_tool mandoc mandoc
need_tool groff groff-base
man1="$SRC/packaging/man/nsplice.1"
man5="$SRC/packaging/man/nsplice.conf.5"
for page in "$man1" "$man5"; do
	out=$(mandoc -T lint -W warning "$page" 2>&1) && [[ -z $out ]] &&
		ok "mandoc lint: $(basename "$page")" ||
		{ fail "mandoc lint: $(basename "$page")"; printf '%s\n' "$out" | indent; }
	out=$(groff -man -ww -z "$page" 2>&1) && [[ -z $out ]] &&
		ok "groff -ww: $(basename "$page")" ||
		{ fail "groff -ww: $(basename "$page")"; printf '%s\n' "$out" | indent; }
done
printf '.TH X 1\n.SH NAME\n.BX broken\n.TP\n' >"$TMP/bad.1"
if [[ -n $(mandoc -T lint -W warning "$TMP/bad.1" 2>&1) ]]; then
	ok "mandoc lint flags a broken page (the check can fail)"
else
	fail "mandoc lint passed a broken page"
fi

text=$(MANWIDTH=200 mandoc -T utf8 "$man1" | col -b)
for opt in $("$NSPLICE" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	[[ $text == *"$opt"* ]] || fail "nsplice(1) does not document $opt"
done
ok "nsplice(1) names every long option of --help"
for sec in SYNOPSIS OPTIONS SPEC "LOOPBACK SAFETY" SIGNALS "EXIT STATUS" FILES SECURITY; do
	[[ $text == *"$sec"* ]] && ok "nsplice(1) has $sec" || fail "nsplice(1) lacks $sec"
done
text5=$(MANWIDTH=200 mandoc -T utf8 "$man5" | col -b)
for key in tcp-ports tcp-ns-ports netns userns pid pid-file runas sandbox \
	control max-conns idle-timeout keepalive quiet debug trace syslog; do
	[[ $text5 == *"$key"* ]] || fail "nsplice.conf(5) lacks key $key"
done
ok "nsplice.conf(5) names every configuration key"
finish
