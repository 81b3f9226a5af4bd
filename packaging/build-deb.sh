#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-deb.sh [OUTDIR] - build the Debian package from a clean copy
#
# dpkg-buildpackage wants debian/ at the top of the source tree; nsplice
# keeps it in packaging/debian/ so the tree stays one project.  This
# script makes the source tarball (make-dist.sh), unpacks it in a
# temporary directory, copies packaging/debian to debian/ there and runs
# `dpkg-buildpackage -us -uc -b`.  The .deb and .buildinfo/.changes end
# up in OUTDIR (default: the current directory).  Needs debhelper and the
# build dependencies (packaging/install-deps.sh --test).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-.}")
version=$(sed -n 's/^project(nsplice VERSION \([0-9.]*\).*/\1/p' \
	"$top/CMakeLists.txt")
work=$(mktemp -d /tmp/nsplice-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$top/packaging/make-dist.sh" "$top" "$version" "$work" >/dev/null
tar -C "$work" -xzf "$work/nsplice-$version.tar.gz"
src="$work/nsplice-$version"
rm -rf "$src/debian"
cp -r "$top/packaging/debian" "$src/debian"
(cd "$src" && dpkg-buildpackage -us -uc -b -j2)
mkdir -p "$out"
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
ls "$out"/nsplice_"$version"*.deb
