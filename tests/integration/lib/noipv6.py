#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""noipv6.py - run a command as on a kernel booted with ipv6.disable=1.

Usage: noipv6.py COMMAND [ARGS...]

A seccomp filter makes socket(AF_INET6, ...) fail with EAFNOSUPPORT, what
such a kernel answers, in COMMAND and every process it starts (filters are
inherited and cannot be removed); everything else is allowed.  The test
machine's kernel has IPv6, and rebooting it is not an option in a test.
Supported: x86_64 and aarch64 (exit 2 elsewhere, with a message).
"""
import ctypes
import os
import platform
import struct
import sys

# (audit arch, socket syscall number) per machine
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
AF_INET6 = 10
EAFNOSUPPORT = 97
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15     # BPF_JMP | BPF_JEQ | BPF_K
RET_K = 0x06     # BPF_RET | BPF_K


class SockFprog(ctypes.Structure):
    """struct sock_fprog"""
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def main():
    """Install the filter, then exec the command."""
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    machine = platform.machine()
    if machine not in ARCHES:
        sys.stderr.write("noipv6.py: no filter for %s\n" % machine)
        return 2
    arch, nr_socket = ARCHES[machine]
    # seccomp_data: nr at 0, arch at 4, args[0] at 16 (low half first)
    prog = [
        (LD_ABS_W, 0, 0, 4),
        (JEQ_K, 0, 5, arch),
        (LD_ABS_W, 0, 0, 0),
        (JEQ_K, 0, 3, nr_socket),
        (LD_ABS_W, 0, 0, 16),
        (JEQ_K, 0, 1, AF_INET6),
        (RET_K, 0, 0, RET_ERRNO | EAFNOSUPPORT),
        (RET_K, 0, 0, RET_ALLOW),
    ]
    raw = b"".join(struct.pack("=HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = SockFprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) or \
       libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                  ctypes.byref(fprog)):
        sys.stderr.write("noipv6.py: seccomp: %s\n"
                         % os.strerror(ctypes.get_errno()))
        return 1
    os.execvp(sys.argv[1], sys.argv[1:])
    return 127


if __name__ == "__main__":
    sys.exit(main())
