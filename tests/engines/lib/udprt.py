#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""udprt.py - one UDP round trip through a published port

DOC: Theory of Operation

Usage: udprt.py ADDR PORT TRIES.  Sends a random datagram to ADDR:PORT
(IPv6 when ADDR has a ':') up to TRIES times, one second apart, until one
comes back, and prints "match SRCPORT" or "mismatch SRCPORT" (payload
equal or not, and the source port of the answer: the published port if
the forwarder answers from it), or "none".  Used by both engine tests.
"""
import os
import socket
import sys

addr, port, tries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.0)
msg = b"nsplice-udp-" + os.urandom(6).hex().encode()
for _ in range(tries):
    s.sendto(msg, (addr, port))
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        continue
    print("%s %d" % ("match" if data == msg else "mismatch", src[1]))
    sys.exit(0)
print("none")
