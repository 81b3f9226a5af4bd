#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-dist.sh SRC VERSION OUTDIR - write OUTDIR/nsplice-VERSION.tar.gz
#
# The tarball holds the source tree under nsplice-VERSION/: with git, the
# tracked files and the untracked ones it does not ignore (so work not yet
# committed is packaged as it is; .gitignore leaves out build*/ and out/,
# where the README's package commands write); without git, every file but
# build*/ and out/ trees.  Built packages are never source: .deb, .rpm,
# .changes, .buildinfo files and earlier nsplice-*.tar.gz are left out
# wherever they are and whether or not git ignores them (build-deb.sh and
# build-rpm.sh write to the current directory by default, which may be
# this tree).  A relative OUTDIR is the caller's.  Owners are normalised,
# and every timestamp is SOURCE_DATE_EPOCH (default: the last commit's
# time, else now), so two runs over the same files and commit give the
# same archive.
set -euo pipefail

src=${1:?SRC}
version=${2:?VERSION}
out=${3:?OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)	# relative to the caller, not to SRC
name="nsplice-$version"
list=$(mktemp)
trap 'rm -f "$list"' EXIT

# candidates - the tree's files, NUL-separated, relative to SRC: what git
# tracks or does not ignore, or without git every file outside build trees
candidates() {
	if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard
	else
		find . -path './build*' -prune -o -path './out' -prune -o \
			-path './.git' -prune -o -type f -printf '%P\0'
	fi
}

# is_package FILE - whether FILE is the output of a package build (or an
# earlier tarball), which a source tarball must not carry
is_package() {
	case ${1##*/} in
	*.deb | *.ddeb | *.udeb | *.rpm | *.changes | *.buildinfo | nsplice-*.tar.gz)
		return 0 ;;
	esac
	return 1
}

cd "$src"
# Files git lists but that are gone from the work tree are left out too.
candidates | while IFS= read -r -d '' f; do
	if [[ -e $f ]] && ! is_package "$f"; then
		printf '%s\0' "$f"
	fi
done >"$list"
stamp=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null ||
	date +%s)}
tar --null -T "$list" --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime=@"$stamp" --transform "s,^,$name/," -czf "$out/$name.tar.gz"
echo "$out/$name.tar.gz"
