#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-rpm.sh BUILD [OUTDIR] - build the RPM from the source tarball
#
# BUILD is a configured build directory of this tree: its `dist` target
# makes nsplice-VERSION.tar.gz, which rpmbuild -bb builds in a private
# _topdir.  The binary RPM lands in OUTDIR (default: the current
# directory).  On Debian (the rpm package) the BuildRequires cannot be
# checked against an empty RPM database, so --nodeps is passed there;
# install-deps.sh provides the real build dependencies.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:?BUILD directory}")
out=$(realpath -m "${2:-.}")
work=$(mktemp -d /tmp/nsplice-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --build "$build" --target dist >/dev/null
mkdir -p "$work"/{SOURCES,BUILD,RPMS,SRPMS,SPECS} "$out"
cp "$build"/nsplice-*.tar.gz "$work/SOURCES/"
nodeps=()
[[ -f /etc/debian_version ]] && nodeps=(--nodeps)
rpmbuild -bb "${nodeps[@]}" --define "_topdir $work" \
	"$top/packaging/rpm/nsplice.spec"
find "$work/RPMS" -name 'nsplice-*.rpm' -exec cp {} "$out"/ \;
ls "$out"/nsplice-*.rpm
