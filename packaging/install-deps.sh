#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install-deps.sh - install what building (and, with --test, testing) needs
#
# Debian 12 package names.  Everything nsplice's scripts rely on is listed
# here, so a fresh machine (or CI) needs nothing installed by hand.  apt's
# package lists are refreshed once per run of this script, and only when a
# package is actually missing, so repeated runs are quick and offline-safe.
set -euo pipefail

build_pkgs=(cmake make gcc pkg-config libseccomp-dev libcap-ng-dev libbsd-dev)
# Tests: namespaces and users (iproute2, util-linux's setpriv/unshare,
# passwd's useradd), clients and servers (curl, python3), process checks
# (procps), libFuzzer campaigns (clang and its runtime), static analysis
# (cppcheck, clang-tidy, clang-tools for scan-build); the ASan runtime
# ships with gcc.  Packaging and systemd tests: systemd (systemd-analyze,
# systemd-socket-activate), man page lint (mandoc, groff-base), the
# Debian package build and its check (dpkg-dev, debhelper, fakeroot,
# lintian, devscripts), the RPM build (rpm, rpm2cpio, cpio); gdb to make
# calls from inside a live role (tests/audit); strace for
# system call tracing in the sandbox tests; nginx (nginx-light) as a real
# reader of the PROXY protocol header (test_proxy_nginx).
test_pkgs=(iproute2 util-linux passwd curl python3 procps clang
	   libclang-rt-14-dev cppcheck clang-tidy clang-tools
	   systemd mandoc groff-base dpkg-dev debhelper fakeroot lintian
	   devscripts rpm rpm2cpio cpio strace gdb nginx-light
	   # tests/engines: real rootless podman with nsplice as rootlessport
	   podman crun uidmap slirp4netns busybox-static catatonit
	   # tests/engines: dockerd 20.10 (apt-get download, not installed)
	   # runs with --iptables in its own namespace
	   iptables)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps.sh: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt or dpkg (unattended-upgrades on a fresh machine) may hold the
# lock: wait for it instead of failing at once with exit 100.
lock=(-o DPkg::Lock::Timeout=300)
# The tests run nginx themselves, on loopback in their own namespaces: its
# package must not start (or leave enabled) a web server on port 80 of a
# developer's machine.  A policy-rc.d that says "no" keeps invoke-rc.d and
# deb-systemd-invoke from starting it, only for this install.
policy=/usr/sbin/policy-rc.d
if [[ " ${missing[*]} " == *" nginx-light "* && ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get "${lock[@]}" update -qq
apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [[ " ${missing[*]} " == *" nginx-light "* ]] &&
	command -v deb-systemd-helper >/dev/null; then
	deb-systemd-helper disable nginx.service >/dev/null 2>&1 || true
fi
echo "install-deps.sh: installed ${missing[*]}"
