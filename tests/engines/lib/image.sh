# SPDX-License-Identifier: GPL-2.0-or-later
#
# image.sh - the container image both engine harnesses import
#
# DOC: Theory of Operation
#
# No registry is reachable here, so podman.sh and dockerd.sh each import
# one image made from the host's static busybox: its applets as links
# (not "busybox" itself: a self-link makes crun fail), /www/index.html
# ("nsplice engines test page"), a two-line /etc/passwd, world-writable
# /tmp and /www, and the static test tools given (engine_build_tool()
# compiles them).  Sourced by the two harnesses; the tar is theirs to
# import with their own engine.

# engine_build_tool SRC OUT [GCC-ARGS]... - compile a C tool statically for
# the image (OUT), with the project's warning flags.
engine_build_tool() {
	local src=$1 out=$2
	shift 2
	gcc -static -O2 -Wall -Wextra -Werror -o "$out" "$src" "$@" 2>"$out.log" || {
		indent <"$out.log"
		die "cannot compile $src statically"
	}
}

# engine_rootfs_tar DIR [STATIC-BINARY]... - build DIR/rootfs and pack it
# as DIR/bb.tar; each STATIC-BINARY goes to /bin under its own name.
engine_rootfs_tar() {
	local dir=$1 r=$1/rootfs a b
	shift
	mkdir -p "$r/bin" "$r/www" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $(busybox --list); do
		[[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
	done
	for b in "$@"; do
		cp "$b" "$r/bin/$(basename "$b")"
		chmod 755 "$r/bin/$(basename "$b")"
	done
	echo "nsplice engines test page" >"$r/www/index.html"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	chmod 1777 "$r/tmp" "$r/www"
	tar -C "$r" -cf "$dir/bb.tar" .
}
