#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_deb.sh - the Debian package builds from a clean copy of the tree
# (packaging/build-deb.sh: dpkg-buildpackage -us -uc -b), lintian reports
# no error and no warning that is not overridden, the package holds the
# binary, units, man pages and sysusers entry, its postinst creates the
# relay's user, and once installed `nsplice --version` runs from it.
#
# Installing touches the machine, so it is done only when no nsplice
# package is installed already, and undone (purge; the "nsplice" user
# removed again if this test created it).
. "$(dirname "$0")/lib.sh"

need_tool dpkg-buildpackage dpkg-dev
need_tool dh debhelper
need_tool lintian lintian
if ! "$SRC/packaging/build-deb.sh" "$TMP/out" >"$TMP/build.log" 2>&1; then
	fail "dpkg-buildpackage failed"
	tail -n 30 "$TMP/build.log" | indent
	finish
fi
deb=$(ls "$TMP"/out/nsplice_*.deb)
ok "built $(basename "$deb")"

# Overrides, if any, live in packaging/debian/*.lintian-overrides, each
# with a comment; --pedantic: even the lowest tags must be justified.
rc=0
lint=$(lintian --fail-on error,warning -E --pedantic "$deb" \
	"$TMP"/out/nsplice_*.changes 2>&1) || rc=$?
lint=$(grep -v 'running with root privileges' <<<"$lint" || true)
if ((rc == 0)) && [[ -z $lint ]]; then
	ok "lintian --pedantic: nothing to report"
else
	fail "lintian (exit $rc):"
	printf '%s\n' "$lint" | indent
fi

list=$(dpkg-deb -c "$deb")
for f in ./usr/bin/nsplice ./lib/systemd/system/nsplice@.service \
	./lib/systemd/system/nsplice@.socket ./usr/lib/sysusers.d/nsplice.conf \
	./usr/share/man/man1/nsplice.1.gz ./usr/share/man/man5/nsplice.conf.5.gz \
	./usr/share/doc/nsplice/copyright \
	./usr/share/doc/nsplice/examples/engines/containers.conf ./etc/nsplice/; do
	grep -q " $f\$" <<<"$list" && ok "package has $f" || fail "package lacks $f"
done
for l in rootlessport docker-proxy; do
	grep -q " ./usr/libexec/nsplice/$l -> ../../bin/nsplice\$" <<<"$list" &&
		ok "package links /usr/libexec/nsplice/$l to nsplice" ||
		fail "package lacks the link /usr/libexec/nsplice/$l"
done
dpkg-deb -e "$deb" "$TMP/ctl"
grep -q 'systemd-sysusers.*nsplice.conf' "$TMP/ctl/postinst" 2>/dev/null &&
	ok "postinst runs systemd-sysusers" || fail "postinst does not create the user"

dpkg-deb -x "$deb" "$TMP/x"
v=$("$TMP/x/usr/bin/nsplice" --version 2>&1) && ok "extracted binary: $v" ||
	fail "extracted binary does not run: $v"

if dpkg-query -W -f='${Status}' nsplice 2>/dev/null | grep -q installed; then
	fail "an nsplice package is already installed: not replacing it"
	finish
fi
had_user=0
id -u nsplice >/dev/null 2>&1 && had_user=1
cleanup_cmd "dpkg --purge nsplice"
((had_user)) || cleanup_cmd "userdel nsplice"
if dpkg -i "$deb" >"$TMP/dpkg.log" 2>&1; then
	ok "dpkg -i"
	v=$(/usr/bin/nsplice --version 2>&1) && ok "installed nsplice --version: $v" ||
		fail "installed nsplice does not run: $v"
	id -u nsplice >/dev/null 2>&1 && ok "user nsplice exists after install" ||
		fail "no user nsplice after install"
else
	fail "dpkg -i"
	indent <"$TMP/dpkg.log"
fi
dpkg --purge nsplice >"$TMP/purge.log" 2>&1 && [[ ! -e /usr/bin/nsplice ]] &&
	ok "dpkg --purge removes it" || { fail "purge"; indent <"$TMP/purge.log"; }
finish
