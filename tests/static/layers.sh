#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# layers.sh - every #include of the product points down the layers
#
# DOC: Theory of Operation
#
# The product's folders are layers: a folder may include its own headers
# and those of the folders ALLOWED names for it below, nothing else.  The
# table is the tree's layering: the IPC
# catalogue and the helpers every role uses at the bottom, the sandbox
# above it, the two untrusted roles above those, the supervisor with its
# configuration layer above them, and the entry point, which only
# dispatches, on top.  A sub-folder is a layer of its own when the table
# names it (longest match wins), else it belongs to its top folder.
#
# The one include style is the path from the top of the tree
# ("ipc/log.h"): a path through ".." is flagged as "style", and so is a
# bare name of the same folder unless BARE_OK is 1, so the same header is
# never spelled two ways.
#
# Each finding is one line, "arrow FILE INCLUDE" or "style FILE INCLUDE"
# (INCLUDE as written, FILE from the top).  Tolerated findings would be
# listed in layers.allow, one a line ('#' starts a comment); it lists
# none.  The check fails on a finding the list does not hold, and on a
# line of the list that is no longer a finding.
#
# Usage: layers.sh SOURCE_DIR [ALLOW_FILE]
#   ALLOW_FILE defaults to tests/static/layers.allow; /dev/null lists
#   every finding (and fails if there is any).
#   layers.sh --list SOURCE_DIR prints the findings and exits 0.
set -euo pipefail

# PRODUCT - the folders whose sources are checked
PRODUCT=(cmd supervisor nsagent relay ipc seccomp)

# ALLOWED - layer -> the layers it may include from, besides itself
# ("*": any).  CONFIG is the configuration layer: the command line,
# config file and port spec parsers the supervisor re-runs on reload and
# that the entry point and the ctl client call.
CONFIG=supervisor/config
declare -A ALLOWED=(
	[ipc]=""
	[seccomp]="ipc"
	[relay]="ipc seccomp"
	[nsagent]="ipc seccomp"
	[$CONFIG]="ipc seccomp"
	[supervisor]="ipc seccomp $CONFIG"
	[cmd]="*"
)

# BARE_OK - 1: a bare name ("flow.h") for a header of the same folder is
# a second accepted style; 0: only the path from the top is
BARE_OK=0

list_only=0
if [[ ${1:-} == --list ]]; then
	list_only=1
	shift
fi
top=${1:?usage: layers.sh [--list] SOURCE_DIR [ALLOW_FILE]}
allow=${2:-$top/tests/static/layers.allow}
cd "$top"

# layer_of PATH - the layer of a file or folder path from the top: the
# longest ALLOWED key that is PATH's folder or a parent of it, else the
# top folder (which may be no layer at all).
layer_of() {
	local dir=${1%/*} best="" k
	[[ $1 == */* ]] || dir=""
	for k in "${!ALLOWED[@]}"; do
		if [[ $dir == "$k" || $dir == "$k"/* ]] && ((${#k} > ${#best})); then
			best=$k
		fi
	done
	echo "${best:-${dir%%/*}}"
}

# resolve FILE INCLUDE - the included path from the top, normalized
resolve() {
	local dir=${1%/*} inc=$2
	if [[ $inc == ../* || $inc == ./* ]]; then
		realpath -m --relative-to=. "$dir/$inc"
	elif [[ $inc != */* ]]; then
		echo "$dir/$inc"
	else
		echo "$inc"
	fi
}

# allowed FROM TO - may layer FROM include from layer TO?
allowed() {
	local - w
	set -f	# "*" in the table is a word, not a file name pattern
	[[ $1 == "$2" ]] && return 0
	for w in ${ALLOWED[$1]-}; do
		[[ $w == "*" || $w == "$2" ]] && return 0
	done
	return 1
}

# findings - every finding of the tree, sorted, one a line
findings() {
	local file inc target from to
	while IFS=$'\t' read -r file inc; do
		if [[ $inc == ../* || $inc == ./* ]] ||
			{ [[ $inc != */* ]] && ((!BARE_OK)); }; then
			echo "style $file $inc"
		fi
		target=$(resolve "$file" "$inc")
		from=$(layer_of "$file")
		to=$(layer_of "$target")
		allowed "$from" "$to" || echo "arrow $file $inc"
	done < <(find "${PRODUCT[@]}" -name '*.[ch]' -print0 | sort -z |
		xargs -0 awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
			split($0, q, "\""); print FILENAME "\t" q[2] }')
}

found=$(findings | sort -u)
if ((list_only)); then
	[[ -z $found ]] || echo "$found"
	exit 0
fi
known=$(sed -e 's/#.*//' -e 's/[ \t]*$//' -e '/^$/d' "$allow" | sort -u)
new=$(comm -23 <(echo "$found" | sed '/^$/d') <(echo "$known" | sed '/^$/d'))
gone=$(comm -13 <(echo "$found" | sed '/^$/d') <(echo "$known" | sed '/^$/d'))
rc=0
if [[ -n $new ]]; then
	echo "includes against the layers (see the table in $0):"
	echo "$new" | sed 's/^/  /'
	rc=1
fi
if [[ -n $gone ]]; then
	echo "fixed, now remove from $allow:"
	echo "$gone" | sed 's/^/  /'
	rc=1
fi
n=$(echo "$found" | sed '/^$/d' | wc -l)
k=$(echo "$known" | sed '/^$/d' | wc -l)
verdict=ok
((rc == 0)) || verdict=FAILED
echo "layers: $n finding(s) in the tree, $k listed in $allow: $verdict"
exit "$rc"
