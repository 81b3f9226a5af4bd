#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-all.sh - set-up command 2: install dependencies, build, run every test
#
# Three builds, all run through CTest:
#   build/          the hardened release build: unit and integration tests
#                   (the sandbox property tests and the seccomp PFC
#                   comparison included), the fault suite (hostile), static
#                   analysis (cppcheck, clang-tidy, scan-build), packaging
#                   (units, man pages, install, deb and rpm builds), the
#                   audit's attacks (tests/audit), real rootless podman
#                   with nsplice as its port helper (tests/engines) and
#                   the fuzz targets:
#                   corpus replays, plus a bounded libFuzzer campaign per
#                   target (label fuzz-run, 30 s each)
#   build-asan/     the same code with ASan+UBSan: unit, integration and
#                   corpus-replay tests (static analysis, packaging, the
#                   fault suite, the attacks and podman do not depend on
#                   the build flavour)
#   build-testing/  -DNSPLICE_TESTING=ON, test-only hooks compiled in (never
#                   installed): the tests labelled "sandbox", which make
#                   the relay attempt forbidden operations; then the whole
#                   integration and engines groups again with every role of every
#                   nsplice in --sandbox=log mode (NSPLICE_TEST_SANDBOX_LOG)
#                   and seccomp.no_violation_logged failing the run if the
#                   kernel logged any seccomp violation meanwhile
# Must run as root: integration tests create network namespaces and a
# dedicated unprivileged test user they drop to with setpriv.  CTest labels
# let a group run alone, e.g. `ctest --test-dir build -L unit`.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$top/packaging/install-deps.sh" --test

build() {	# build DIR [cmake args...]
	local dir=$1; shift
	cmake -S "$top" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
}

status=0
build "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir "$top/build" --output-on-failure -j"$jobs" || status=1

build "$top/build-asan" -DNSPLICE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir "$top/build-asan" --output-on-failure -j"$jobs" \
	-LE 'fuzz-run|static|packaging|hostile|audit|engines' || status=1

build "$top/build-testing" -DNSPLICE_TESTING=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir "$top/build-testing" --output-on-failure -L sandbox \
	|| status=1
# The sandbox_* cases expect kills and the enforcing start-up line.  The
# engine cases run here too: nsplice started by podman as its helper.
NSPLICE_TEST_SANDBOX_LOG=1 \
	ctest --test-dir "$top/build-testing" --output-on-failure \
	-L 'integration|engines' -E '^integration\.sandbox_' || status=1

exit $status
