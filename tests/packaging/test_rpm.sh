#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_rpm.sh - the RPM builds with `rpmbuild -bb` from the source tarball
# the build's `dist` target makes (packaging/build-rpm.sh), holds the
# expected files and scriptlets, and its binary runs once unpacked.
# That tarball (packaging/make-dist.sh) never carries built packages, in a
# git tree or not, ignored or not, and .gitignore ignores them.
. "$(dirname "$0")/lib.sh"

# PKG_FILES - what package builds leave behind, as build-deb.sh and
# build-rpm.sh name it, plus an earlier tarball
PKG_FILES=(nsplice_0.1.0_amd64.deb nsplice_0.1.0_amd64.changes
	nsplice_0.1.0_amd64.buildinfo nsplice-0.1.0-1.x86_64.rpm
	nsplice-0.1.0.tar.gz)
d="$TMP/dist"
mkdir -p "$d/src/sub"
echo 'int x;' >"$d/src/a.c"
: >"$d/src/.gitignore"
git -C "$d/src" init -q && git -C "$d/src" add a.c .gitignore
echo 'int y;' >"$d/src/sub/new.c"
for f in "${PKG_FILES[@]}"; do : >"$d/src/$f" && : >"$d/src/sub/$f"; done
for mode in git plain; do
	[[ $mode == plain ]] && rm -rf "$d/src/.git"
	if tarball=$("$SRC/packaging/make-dist.sh" "$d/src" 9 "$d/out-$mode" 2>&1); then
		got=$(tar -tzf "$tarball" | sed 's,^nsplice-9/,,' | grep -v '/$' | sort | xargs)
		[[ $got == ".gitignore a.c sub/new.c" ]] &&
			ok "make-dist.sh ($mode tree) leaves out package files, not ignored" ||
			fail "make-dist.sh ($mode tree) packed: $got"
	else
		fail "make-dist.sh ($mode tree): $tarball"
	fi
done
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# anywhere for packages, at the top for a tarball (build trees are
	# ignored already)
	unignored=$(cd "$SRC" && for f in "${PKG_FILES[@]}" "${PKG_FILES[@]/#/sub/}"; do
		[[ $f == sub/*.tar.gz ]] || git check-ignore -q "$f" || echo "$f"
	done)
	[[ -z $unignored ]] && ok ".gitignore ignores package files" ||
		fail ".gitignore does not ignore: $(echo $unignored)"
fi

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
