# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# lib.sh - helpers of the packaging tests (tests/packaging/*.sh).
#
# Each test gets the source tree in NSPLICE_SRC, the build directory in
# NSPLICE_BUILD and the binary in NSPLICE.  ok/fail print TAP-like lines;
# finish prints "N passed, N failed" and exits 1 if anything failed or
# nothing was checked.  Temporary files live in one directory removed at
# exit.  No test here skips: a missing tool is a failure that names the
# package (packaging/install-deps.sh --test installs them all).

set -euo pipefail

SRC=${NSPLICE_SRC:?NSPLICE_SRC is not set}
BUILD=${NSPLICE_BUILD:?NSPLICE_BUILD is not set}
N_OK=0
N_FAIL=0
TMP=$(mktemp -d "/tmp/nsplice-pkgtest.XXXXXX")
CLEANUP_CMDS=()

# ok MSG... / fail MSG... - record one check.
ok() { N_OK=$((N_OK + 1)); printf 'ok - %s\n' "$*"; }
fail() { N_FAIL=$((N_FAIL + 1)); printf 'not ok - %s\n' "$*"; }

# indent - evidence as comment lines.
indent() { sed 's/^/#   /'; }

# cleanup_cmd CMD - eval CMD at exit, last registered first.
cleanup_cmd() { CLEANUP_CMDS+=("$1"); }

# on_exit - the EXIT trap.
on_exit() {
	local rc=$? i
	set +e
	for ((i = ${#CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_CMDS[i]}" >/dev/null 2>&1
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap on_exit EXIT

# need_tool CMD PACKAGE - fail and stop unless CMD exists.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	fail "$1 missing (Debian package $2: packaging/install-deps.sh --test)"
	finish
}

# finish - summary line and exit status.
finish() {
	printf '%d passed, %d failed\n' "$N_OK" "$N_FAIL"
	((N_FAIL == 0 && N_OK > 0))
	exit
}

# install_tree DESTDIR PREFIX - configure a fresh build of the source tree
# with PREFIX and install it into DESTDIR; output in $TMP/install.log.
install_tree() {
	local dest=$1 prefix=$2 b="$TMP/build-install"
	cmake -S "$SRC" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DNSPLICE_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$prefix" \
		>"$TMP/install.log" 2>&1 &&
		cmake --build "$b" -j2 >>"$TMP/install.log" 2>&1 &&
		DESTDIR="$dest" cmake --install "$b" >>"$TMP/install.log" 2>&1
}
