#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_rpm.sh - the RPM builds with `rpmbuild -bb` from the source tarball
# the build's `dist` target makes (packaging/build-rpm.sh), holds the
# expected files and scriptlets, and its binary runs once unpacked.
. "$(dirname "$0")/lib.sh"

need_tool rpmbuild rpm
need_tool rpm2cpio rpm2cpio
if ! "$SRC/packaging/build-rpm.sh" "$BUILD" "$TMP/out" >"$TMP/build.log" 2>&1; then
	fail "rpmbuild failed"
	tail -n 30 "$TMP/build.log" | indent
	finish
fi
rpmf=$(ls "$TMP"/out/nsplice-*.rpm)
ok "built $(basename "$rpmf")"
[[ -s $(ls "$BUILD"/nsplice-*.tar.gz) ]] && ok "dist made the source tarball" ||
	fail "no source tarball in $BUILD"
list=$(rpm -qlp "$rpmf" 2>/dev/null)
for f in /usr/bin/nsplice /usr/lib/systemd/system/nsplice@.service \
	/usr/lib/systemd/system/nsplice@.socket /usr/lib/sysusers.d/nsplice.conf \
	/usr/share/man/man1/nsplice.1 /usr/share/man/man5/nsplice.conf.5 \
	/usr/share/doc/nsplice/examples/example.conf \
	/usr/share/doc/nsplice/examples/engines/containers.conf \
	/usr/libexec/nsplice/rootlessport /usr/libexec/nsplice/docker-proxy \
	/etc/nsplice; do
	grep -qx "$f" <<<"$list" && ok "rpm has $f" || fail "rpm lacks $f"
done
scripts=$(rpm -qp --scripts "$rpmf" 2>/dev/null)
for want in 'systemctl --no-reload preset nsplice@.service' \
	'systemctl --no-reload disable --now nsplice@.service' \
	'systemctl try-restart nsplice@.service' 'systemd-sysusers'; do
	[[ $scripts == *"$want"* ]] && ok "scriptlet: $want" ||
		fail "scriptlets lack: $want"
done
mkdir "$TMP/x"
(cd "$TMP/x" && rpm2cpio "$rpmf" | cpio -idm --quiet)
v=$("$TMP/x/usr/bin/nsplice" --version 2>&1) && ok "unpacked binary: $v" ||
	fail "unpacked binary does not run: $v"
finish
