#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cppcheck.sh - static analysis of nsplice's sources as a CTest case
#
# Runs cppcheck with warning, style, performance and portability checks,
# inconclusive ones included, over every source directory, and fails on any
# finding.  One check is off for the whole tree, for a reason:
#   variableScope - declarations at the top of a function are the house
#                   style (kernel, pasta, OpenBSD daemons); moving them into
#                   inner blocks would not find bugs, only churn.
# Individual false positives are suppressed in the code, next to a comment
# saying why.
set -euo pipefail
top=${1:?usage: cppcheck.sh SOURCE_DIR}
cd "$top"
command -v cppcheck >/dev/null || { echo "cppcheck is not installed"; exit 1; }
exec cppcheck --enable=warning,style,performance,portability --inconclusive \
	--error-exitcode=1 --std=c11 --inline-suppr --quiet \
	-D_GNU_SOURCE -DNSPLICE_VERSION='"check"' -I. \
	--suppress=missingIncludeSystem --suppress=variableScope \
	--template='{file}:{line}: {severity}: {id}: {message}' \
	cmd ipc supervisor nsagent relay seccomp
