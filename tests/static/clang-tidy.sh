#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# clang-tidy.sh - clang-tidy over nsplice's sources as a CTest case
#
# Runs clang-tidy, with the checks chosen (and each family and exception
# justified) in the top-level .clang-tidy, over every translation unit of
# the source directories cppcheck covers, each with the flags it is built
# with (BUILD_DIR/compile_commands.json), and fails on any finding.  Two
# jobs at a time; about a minute on two cores.
#
# One flag differs from the build: _FORTIFY_SOURCE is undefined.  glibc's
# fortified inline wrappers hide what the analyser and the checks know about
# the plain libc functions: every va_start() followed by vsnprintf() is
# reported as an uninitialised va_list, and calls through the wrappers
# escape cert-err33-c.  Fortification adds run-time checks, nothing there
# is left to analyse.
set -euo pipefail
top=${1:?usage: clang-tidy.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: clang-tidy.sh SOURCE_DIR BUILD_DIR}
# JOBS - clang-tidy processes at once: the machines have two cores
JOBS=2

command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed"; exit 1; }
top=$(cd "$top" && pwd -P)
build=$(cd "$build" && pwd -P)
db=$build/compile_commands.json
[[ -f $db ]] || { echo "no $db: configure with CMAKE_EXPORT_COMPILE_COMMANDS"; exit 1; }

# The translation units under the analysed directories, as the build names
# them; an empty list would be a broken database, not a clean tree.
mapfile -t files < <(python3 - "$db" "$top" <<'EOF'
import json, os, sys
db, top = sys.argv[1], sys.argv[2]
dirs = ("cmd", "ipc", "supervisor", "nsagent", "relay", "seccomp")
seen = set()
for e in json.load(open(db)):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, top)
    if rel.split(os.sep)[0] in dirs and f not in seen:
        seen.add(f)
        print(f)
EOF
)
[[ ${#files[@]} -gt 0 ]] || { echo "no sources of $top in $db"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
printf '%s\0' "${files[@]}" |
	xargs -0 -n1 -P"$JOBS" clang-tidy -p "$build" --quiet \
		--config-file="$top/.clang-tidy" --extra-arg=-U_FORTIFY_SOURCE \
		>"$out" 2>&1 || rc=$?
grep -v -e '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' \
	-e '^[0-9]* warnings\? treated as errors\?$' "$out" || true
n=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out" || true)
echo "clang-tidy: ${#files[@]} files, $n findings"
[[ $rc -eq 0 && $n -eq 0 ]]
