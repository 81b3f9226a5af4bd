#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan-build.sh - the clang static analyser over a whole build, as a CTest case
#
# Configures and builds nsplice (the binary and the seccomp export tool, no
# tests: the same sources clang-tidy and cppcheck cover) in a temporary
# directory under scan-build, and fails on any bug it reports
# (--status-bugs).  Unlike clang-tidy's clang-analyzer-* checks, which run
# one translation unit at a time with FORTIFY off, this analyses the real
# release build, _FORTIFY_SOURCE included, with scan-build's default
# checkers (core, deadcode, nullability, security.insecureAPI, unix: see
# `scan-build --help-checkers`).  The compiler is
# still gcc with the project's -Werror flags; clang only analyses.  Two jobs
# at a time; about a minute on two cores.
#
# There is no NOLINT for the analyser: a false positive is avoided in the
# code (an initialisation the analyser can see), never suppressed.
set -euo pipefail
top=${1:?usage: scan-build.sh SOURCE_DIR}
# JOBS - compilers at once: the machines have two cores
JOBS=2

command -v scan-build >/dev/null || { echo "scan-build is not installed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! scan-build -o "$tmp/report" cmake -S "$top" -B "$tmp/build" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNSPLICE_BUILD_TESTS=OFF \
	>"$tmp/configure.log" 2>&1; then
	tail -n 30 "$tmp/configure.log"
	echo "scan-build: configuring $top failed"
	exit 1
fi
rc=0
scan-build -o "$tmp/report" --status-bugs \
	cmake --build "$tmp/build" -j"$JOBS" >"$tmp/build.log" 2>&1 || rc=$?
# The analyser's findings, each with its source line; the HTML report dies
# with the temporary directory.
grep -A3 -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$tmp/build.log" || true
grep -E '^scan-build: ' "$tmp/build.log" | grep -v scan-view || true
if [[ $rc -ne 0 ]] && ! grep -qE '^scan-build: [0-9]+ bugs? found' "$tmp/build.log"; then
	tail -n 30 "$tmp/build.log"
	echo "scan-build: the build of $top failed"
fi
exit "$rc"
