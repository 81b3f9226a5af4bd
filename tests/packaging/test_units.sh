#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_units.sh - the systemd units are valid, hardened and sufficient.
#
# - `systemd-analyze verify` of nsplice@web.service and nsplice@web.socket
#   prints nothing (ExecStart pointed at the built binary, man pages
#   found through MANPATH, so Documentation= is checked too);
# - `systemd-analyze security --offline=yes` rates the service at most
#   EXPOSURE_MAX, and every setting it still marks as exposed is named
#   in a comment of the unit ("Exposure: NAME"), where it is justified;
# - every system call nsplice's processes may make after start-up (the
#   ALLOW entries of seccomp/supervisor.pfc and seccomp/spawner.pfc: the
#   supervisor's own filter, and the union filter the spawner and every
#   child it starts run under) is allowed by the unit's SystemCallFilter=, so
#   the unit's filter can never kill nsplice where nsplice's own would
#   not: the check systemd itself cannot be asked for here (PID 1 is not
#   systemd);
# - a unit with a setting broken on purpose fails verify (the check can
#   fail);
# - exit status 2 (bad input) is not restarted;
# - the drop-in example in nsplice@.socket's comments, applied to the
#   unit, leaves exactly its own ListenStream= addresses (a drop-in's
#   lines add to the unit's unless it empties the list first), as
#   `systemd --test` loads the unit; it must run unprivileged.
. "$(dirname "$0")/lib.sh"

# EXPOSURE_MAX - highest acceptable overall exposure level
EXPOSURE_MAX=3.0

need_tool systemd-analyze systemd
units="$TMP/units"
mkdir -p "$units" "$TMP/man/man1" "$TMP/man/man5"
sed "s|/usr/bin/nsplice|$NSPLICE|" "$SRC/packaging/systemd/nsplice@.service" \
	>"$units/nsplice@web.service"
cp "$SRC/packaging/systemd/nsplice@.socket" "$units/nsplice@web.socket"
cp "$SRC/packaging/man/nsplice.1" "$TMP/man/man1/"
cp "$SRC/packaging/man/nsplice.conf.5" "$TMP/man/man5/"

out=$(cd "$units" && MANPATH="$TMP/man" systemd-analyze verify \
	nsplice@web.service nsplice@web.socket 2>&1) || true
if [[ -z $out ]]; then
	ok "systemd-analyze verify: service and socket clean"
else
	fail "systemd-analyze verify reported:"
	printf '%s\n' "$out" | indent
fi

sed 's/^Type=notify$/Type=notifyy/' "$units/nsplice@web.service" \
	>"$TMP/nsplice@bad.service"
out=$(cd "$TMP" && systemd-analyze verify --man=no nsplice@bad.service 2>&1) || true
if [[ $out == *notifyy* ]]; then
	ok "verify notices a broken Type= (the check can fail)"
else
	fail "verify did not notice Type=notifyy: $out"
fi

sec=$(systemd-analyze security --offline=yes --no-pager \
	"$units/nsplice@web.service" 2>&1) || true
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [[ -z $level ]]; then
	fail "no exposure level in systemd-analyze security output"
	printf '%s\n' "$sec" | tail -n 5 | indent
elif awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'; then
	ok "exposure $level <= $EXPOSURE_MAX"
else
	fail "exposure $level > $EXPOSURE_MAX"
	printf '%s\n' "$sec" | grep '✗' | indent
fi

comments=$(grep '^#' "$SRC/packaging/systemd/nsplice@.service")
missing=0
while IFS= read -r item; do
	[[ -n $item ]] || continue
	if ! grep -qF -- "$item" <<<"$comments"; then
		fail "exposure $item is not named in a comment of the unit"
		missing=1
	fi
done < <(printf '%s\n' "$sec" | sed -n 's/^✗ \([^ ]*\) .*/\1/p')
((missing)) || ok "every remaining exposure is named and justified in the unit"

# filter_names WORD... - the system calls of WORDs: names as they are,
# @groups expanded recursively from one dump of every group.
systemd-analyze syscall-filter --no-pager >"$TMP/groups" 2>/dev/null
filter_names() {
	awk -v want="$*" '
		/^@/ { g = $1; next }
		g != "" && $1 !~ /^#/ && NF == 1 { m[g] = m[g] " " $1 }
		function expand(w,   n, i, a) {
			if (w in seen) return
			seen[w] = 1
			if (w !~ /^@/) { print w; return }
			n = split(m[w], a, " ")
			for (i = 1; i <= n; i++) expand(a[i])
		}
		END { n = split(want, ws, " "); for (i = 1; i <= n; i++) expand(ws[i]) }
	' "$TMP/groups"
}
allow_words=() deny_words=()
while IFS= read -r line; do
	v=${line#SystemCallFilter=}
	if [[ $v == ~* ]]; then
		read -r -a w <<<"${v#\~}"
		deny_words+=("${w[@]}")
	else
		read -r -a w <<<"$v"
		allow_words+=("${w[@]}")
	fi
done < <(grep '^SystemCallFilter=' "$SRC/packaging/systemd/nsplice@.service")
filter_names "${allow_words[@]}" | sort -u >"$TMP/allow"
filter_names "${deny_words[@]}" | sort -u >"$TMP/deny"
comm -23 "$TMP/allow" "$TMP/deny" >"$TMP/permitted"
# Syscalls with an ALLOW somewhere in their block of the PFC text.
awk '/filter for syscall "/ { match($0, /"[a-z_0-9]*"/); s = substr($0, RSTART + 1, RLENGTH - 2) }
     /action ALLOW/ && s != "" { print s }' "$SRC/seccomp/supervisor.pfc" \
	"$SRC/seccomp/spawner.pfc" |
	sort -u >"$TMP/needed"
if [[ $(wc -l <"$TMP/needed") -lt 50 ]]; then
	fail "parsed only $(wc -l <"$TMP/needed") syscalls from supervisor.pfc and spawner.pfc"
fi
gaps=$(comm -23 "$TMP/needed" "$TMP/permitted")
if [[ -z $gaps ]]; then
	ok "SystemCallFilter= permits all $(wc -l <"$TMP/needed") system calls nsplice's filters allow"
else
	fail "SystemCallFilter= would kill nsplice on: $(echo $gaps)"
fi
# The same check against a filter without @mount must find gaps.
if grep -qx pivot_root "$TMP/needed" && ! grep -qx pivot_root <(comm -23 \
	<(filter_names @system-service | sort -u) "$TMP/deny"); then
	ok "without @mount the check finds pivot_root missing (it can fail)"
else
	fail "the syscall check cannot tell @system-service alone from the unit's list"
fi
# Exit 2 (bad input, a forward that cannot be set up at start) is the same
# 2 s later: no restart loop that uses up the start limit
if grep -qx 'RestartPreventExitStatus=2' "$SRC/packaging/systemd/nsplice@.service"; then
	ok "exit status 2 is not restarted (RestartPreventExitStatus=2)"
else
	fail "Restart=on-failure would restart nsplice after exit 2 (bad input)"
fi

# listen_streams DIR - the ListenStream= list of nsplice@X.socket as systemd
# loads it from DIR (the unit and its drop-ins), one address a line.
# `systemd --test` refuses root, so it runs as nobody.
listen_streams() {
	SYSTEMD_UNIT_PATH="$1:" setpriv --reuid nobody --regid nogroup \
		--clear-groups /lib/systemd/systemd --test --system \
		--unit=nsplice@X.socket --log-target=console 2>&1 |
		sed -n '/-> Unit nsplice@X.socket:/,/-> Unit /s/^[[:space:]]*ListenStream: //p'
}
sp="$TMP/socket"
mkdir -p "$sp/nsplice@X.socket.d"
chmod a+x "$TMP"
cp "$SRC/packaging/systemd/nsplice@.socket" "$sp/"
# The example: the comment lines from "#   [Socket]" to the next "#" alone.
sed -n '/^#   \[Socket\]$/,/^#$/{/^#$/d;s/^#   //;p}' \
	"$SRC/packaging/systemd/nsplice@.socket" >"$sp/nsplice@X.socket.d/listen.conf"
chmod -R a+rX "$sp"
want=$(sed -n 's/^ListenStream=\(..*\)$/\1/p' "$sp/nsplice@X.socket.d/listen.conf")
got=$(listen_streams "$sp")
if [[ -n $want && $got == "$want" ]]; then
	ok "the socket unit's drop-in example replaces its addresses: $(echo $got)"
else
	fail "the socket unit's drop-in example gives ListenStream= $(echo $got), not $(echo $want)"
	indent <"$sp/nsplice@X.socket.d/listen.conf"
fi
sed -i '/^ListenStream=$/d' "$sp/nsplice@X.socket.d/listen.conf"
got=$(listen_streams "$sp")
if [[ -n $want && $got != "$want" && $got == *"$want"* ]]; then
	ok "without its empty ListenStream= the example adds to the unit's (it can fail)"
else
	fail "a drop-in without an empty ListenStream= gives $(echo $got)"
fi
finish
