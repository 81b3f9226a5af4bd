#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_install.sh - `cmake --install` honours CMAKE_INSTALL_PREFIX and
# DESTDIR: a fresh build with prefix /opt/nsp installed into a DESTDIR
# tree holds exactly the expected files there, nothing outside DESTDIR,
# the installed binary runs, and the unit and engine examples name the
# paths of that prefix (not /usr/bin: a unit that ran a missing binary).
. "$(dirname "$0")/lib.sh"

dest="$TMP/dest"
prefix=/opt/nsp
if ! install_tree "$dest" "$prefix"; then
	fail "configure/build/install with DESTDIR"
	tail -n 20 "$TMP/install.log" | indent
	finish
fi
ok "cmake --install into DESTDIR"
expect=(
	"$prefix/bin/nsplice"
	"$prefix/share/man/man1/nsplice.1"
	"$prefix/share/man/man5/nsplice.conf.5"
	"$prefix/lib/systemd/system/nsplice@.service"
	"$prefix/lib/systemd/system/nsplice@.socket"
	"$prefix/lib/sysusers.d/nsplice.conf"
	"$prefix/share/doc/nsplice/examples/example.conf"
	"$prefix/share/doc/nsplice/examples/engines/containers.conf"
	"$prefix/share/doc/nsplice/examples/engines/daemon.json"
)
# The engines' helper names: relative links to the binary (cmd/main.c)
links=("$prefix/libexec/nsplice/rootlessport"
       "$prefix/libexec/nsplice/docker-proxy")
for f in "${expect[@]}"; do
	[[ -f $dest$f ]] && ok "installed $f" || fail "missing $f"
done
for l in "${links[@]}"; do
	t=$(readlink "$dest$l" 2>/dev/null)
	if [[ -L $dest$l && $t != /* && $(readlink -f "$dest$l") == "$dest$prefix/bin/nsplice" ]]; then
		ok "installed $l -> $t"
	else
		fail "$l: not a relative link to $prefix/bin/nsplice (${t:-missing})"
	fi
done
out=$(printf '' | "$dest${links[0]}" 2>&1) && rc=0 || rc=$?
[[ $rc == 1 && $out == "bad JSON at byte 0: expected '{'"* ]] &&
	ok "rootlessport link speaks podman's contract: $out" ||
	fail "rootlessport link, empty stdin: exit $rc, '$out'"
extra=$(cd "$dest" && find . -type f | sed 's|^\.||' | sort |
	comm -23 - <(printf '%s\n' "${expect[@]}" | sort))
[[ -z $extra ]] && ok "nothing else installed" ||
	{ fail "unexpected files installed:"; printf '%s\n' "$extra" | indent; }
outside=$(cd "$dest" && find . -mindepth 1 -maxdepth 1 | grep -v "^\./opt$" || true)
[[ -z $outside ]] && ok "everything under DESTDIR$prefix" ||
	fail "files outside the prefix: $outside"
v=$("$dest$prefix/bin/nsplice" --version 2>&1) && [[ $v == *0.* ]] &&
	ok "installed binary runs: $v" || fail "installed binary: $v"
# The unit and the engine examples name where this prefix put things
es=$(sed -n 's/^ExecStart=//p' "$dest$prefix/lib/systemd/system/nsplice@.service")
[[ $es == "$prefix/bin/nsplice "* ]] && ok "the unit's ExecStart= runs $prefix/bin/nsplice" ||
	fail "the unit's ExecStart= is '$es', expected $prefix/bin/nsplice ..."
dj=$(cat "$dest$prefix/share/doc/nsplice/examples/engines/daemon.json")
[[ $dj == *"\"$prefix/libexec/nsplice/docker-proxy\""* ]] &&
	ok "daemon.json names $prefix/libexec/nsplice/docker-proxy" ||
	fail "daemon.json does not name $prefix/libexec/nsplice/docker-proxy: $dj"
[[ $(grep -c '^u nsplice ' "$dest$prefix/lib/sysusers.d/nsplice.conf") == 1 ]] &&
	ok "sysusers.d entry creates the nsplice user" ||
	fail "sysusers.d entry does not declare user nsplice"
finish
