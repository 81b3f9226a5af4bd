#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-fuzzer.sh - build one fuzz target with libFuzzer and run it for a while
#
# DOC: Theory of Operation
#
# Usage: run-fuzzer.sh NAME [SECONDS [LIBFUZZER-ARGS...]]
#
# Builds tests/fuzz/fuzz_NAME.c with clang, libFuzzer, ASan and UBSan (every
# sanitizer report fatal), compiling the nsplice sources the target needs
# directly rather than linking the CMake library, because that library is
# built by gcc without the fuzzer's coverage instrumentation.  The sources
# of each target are listed in target_sources() below (and libFuzzer options
# that fit its input, if any, in target_options()): that is the one place to
# touch here when a target is added.
#
# The fuzzer then runs for SECONDS (default 30) on a copy of
# tests/fuzz/corpus/NAME, so new inputs it finds never land in the source
# tree by accident, with tests/fuzz/NAME.dict if there is one.  The exit
# status is non-zero if the build fails or libFuzzer reports a crash, a
# property violation (an abort() in the target), a sanitizer error, a leak,
# a timeout or running out of memory; the work directory is then kept and
# its path printed, with the reproducer in it.  On success it is removed,
# unless NSPLICE_FUZZ_WORKDIR names it, in which case it is kept: that is
# how a longer run's new inputs are collected (see README.md).
#
# Environment: CLANG (default clang), NSPLICE_FUZZ_WORKDIR.
set -euo pipefail

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$fuzz_dir/../.." && pwd)

# SECONDS_DEFAULT - run length without a second argument
SECONDS_DEFAULT=30
# INPUT_TIMEOUT - seconds one input may take before it counts as a hang
INPUT_TIMEOUT=10

# target_sources NAME - nsplice sources fuzz_NAME.c links, repo-relative
target_sources() {
	case $1 in
	portspec)	echo supervisor/config/portspec.c ipc/inany.c ipc/text.c \
			tests/unit/portspec_format.c ;;
	ipc)		echo ipc/ipc.c ipc/inany.c ;;
	target)		echo relay/target.c ipc/ipc.c ipc/inany.c ;;
	ctl)		echo supervisor/ctlproto.c supervisor/ctlfmt.c ipc/clock.c ipc/inany.c ipc/log.c \
			ipc/text.c ;;
	sockdiag)	echo nsagent/scan_parse.c ;;
	proc_net_tcp)	echo nsagent/scan_parse.c ;;
	idmap)		echo supervisor/idmap.c ;;
	config)		echo supervisor/config/conffile.c supervisor/config/options.c supervisor/config/portspec.c ipc/log.c ipc/inany.c \
			ipc/clock.c ipc/text.c supervisor/config/proxyopt.c ;;
	dockerproxy_args) echo cmd/dpargs.c ipc/clock.c ipc/inany.c ipc/log.c ipc/text.c ;;
	rootlessport_json) echo supervisor/config/rpconf.c ipc/clock.c ipc/inany.c ipc/log.c ipc/text.c ;;
	*)		return 1 ;;
	esac
}

# target_options NAME - libFuzzer options that suit the input layout:
# fuzz_target.c reads 68 bytes; ipc_recv() reads at most 133, so longer
# ipc inputs only test the length check again
target_options() {
	case $1 in
	target)		echo -max_len=68 ;;
	ipc)		echo -max_len=256 ;;
	esac
}

usage() {
	echo "usage: $0 NAME [SECONDS [LIBFUZZER-ARGS...]]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
name=$1
seconds=${2:-$SECONDS_DEFAULT}
shift $(( $# >= 2 ? 2 : 1 ))
case $seconds in ''|*[!0-9]*) usage ;; esac
if ! sources=$(target_sources "$name"); then
	echo "run-fuzzer.sh: no sources listed for target \"$name\"" >&2
	exit 2
fi
clang=${CLANG:-clang}
if ! command -v "$clang" >/dev/null; then
	echo "run-fuzzer.sh: $clang not found: libFuzzer needs clang" >&2
	exit 2
fi

if [ -n "${NSPLICE_FUZZ_WORKDIR:-}" ]; then
	work=$NSPLICE_FUZZ_WORKDIR
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/nsplice-fuzz-$name.XXXXXX")
	keep=0
fi
cleanup() {
	if [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# Same warnings as the project's build, as errors.  clang's -Wformat=2 also
# checks va_list formats in functions without a format attribute, which gcc
# does not (ipc/log.c trips it): that one stays a warning in nsplice's
# sources, whose flags are tuned for gcc, and an error in the targets.
warnings=(-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-security
	  -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
	  -Wpointer-arith -Wvla -Wundef -Wcast-qual -Wnull-dereference
	  -Wimplicit-fallthrough -Wdouble-promotion)
cflags=(-std=gnu17 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	"${warnings[@]}" -I"$top")

echo "run-fuzzer.sh: building fuzz_$name with $clang in $work"
objs=()
for s in $sources; do
	o="$work/${s//\//-}.o"	# relay/target.c -> relay-target.c.o
	"$clang" "${cflags[@]}" -Wno-error=format-nonliteral -c -o "$o" \
		"$top/$s"
	objs+=("$o")
done
"$clang" "${cflags[@]}" -o "$work/fuzz_$name" "$fuzz_dir/fuzz_$name.c" \
	"${objs[@]}"

mkdir -p "$work/corpus"
cp -a "$fuzz_dir/corpus/$name/." "$work/corpus/"
args=(-max_total_time="$seconds" -timeout="$INPUT_TIMEOUT"
      -print_final_stats=1 -artifact_prefix="$work/"
      $(target_options "$name"))
if [ -f "$fuzz_dir/$name.dict" ]; then
	args+=(-dict="$fuzz_dir/$name.dict")
fi

echo "run-fuzzer.sh: running fuzz_$name for ${seconds}s"
# Progress lines go to the log only; the status survives the pipe in a file
{ rc=0; "$work/fuzz_$name" "${args[@]}" "$@" "$work/corpus" 2>&1 || rc=$?
  echo "$rc" >"$work/status"; } | tee "$work/fuzz.log" |
	grep --line-buffered -v $'^#[0-9]*\t\\(NEW\\|REDUCE\\|pulse\\)' || true
status=$(cat "$work/status")
if [ "$status" != 0 ] || grep -q -e '^==[0-9]*==ERROR' -e 'deadly signal' \
	-e '^SUMMARY: ' "$work/fuzz.log"; then
	keep=1
	echo "run-fuzzer.sh: fuzz_$name FAILED (exit $status); kept $work" >&2
	ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
		2>/dev/null | sed 's/^/run-fuzzer.sh: reproducer: /' >&2 || true
	exit 1
fi
echo "run-fuzzer.sh: fuzz_$name: no crash in ${seconds}s"
