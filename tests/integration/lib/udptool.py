#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""udptool - UDP echo server and checking clients for nsplice's UDP tests.

Subcommands (every wait bounded; exit 0 on success, 1 on a failed check):

  echo ADDR PORT [--lifetime S] [--log FILE]
      Echo every datagram back to its source.  Every datagram writes
      "src ADDR PORT TAG" to FILE (flushed); TAG is the flow number a
      "flows" payload starts with, or "-".  Every datagram rather than each
      new source: a closed flow socket's port can be handed to a later
      one, and a test must not count that as one source.
  sources FILE [--from N]
      Read an echo log from line N+1 on and print "sources S tags T
      pairs P": distinct sources, distinct flow tags, distinct
      (tag, source) pairs.
  wait HOST PORT [--timeout S]
      Send probes until one is echoed back.
  client HOST PORT --sizes N,N,... [--timeout S] [--retries N] [--repeat R]
      From ONE socket: for each size send random bytes, expect the exact
      bytes back, from exactly HOST:PORT (the forwarded address and port).
  flows HOST PORT --count N [--timeout S] [--size B] [--src ADDR] [--once]
      N sockets (N client flows) at once, each a unique payload; resend
      what is unanswered every 200 ms; every flow must get its own payload
      back from HOST:PORT.  Prints "answered K/N".  --src binds the
      sockets to ADDR (port 0) first.  --once: no resend, so every first
      datagram must get through.
  silent HOST PORT [--wait S] [--src ADDR]
      Send one datagram, expect NO answer within S seconds.
  hold ADDR PORT [--reuseaddr] [--rcvbuf B] [--lifetime S]
      Bind ADDR:PORT (SO_REUSEADDR, SO_RCVBUF if asked) and never read:
      print "bound" and keep the socket S seconds, or print the errno
      name (EADDRINUSE) and fail.
  persist HOST PORT --duration S [--interval S]
      One socket, one datagram every interval for S seconds, each must
      come back within 1 s (one resend allowed); prints "answered K/N"
      and fails if any was lost.  Runs beside reloads: the flow must
      survive them.
  rapid HOST PORT --duration S [--timeout S]
      One socket, request and reply as fast as it can for S seconds:
      request N carries N, the next goes out once reply N is back or
      after the timeout (1 s), when N counts as missing (a reply that
      comes later is counted late, not answered).  Prints "started",
      then "requests R answered A missing M late L" and the first
      missing numbers; fails if any is missing.  Runs beside relay
      replacements: no reply in flight may be lost.
  spoof6 IFACE DSTMAC SRC DST DPORT PAYLOAD [--sport N]
      Send one Ethernet frame on IFACE (AF_PACKET, as root) carrying an
      IPv6 UDP datagram from SRC, which no socket could send from (an
      IPv4-mapped address, say), to DST:DPORT via DSTMAC.
"""
import argparse
import errno
import os
import select
import socket
import struct
import sys
import time

MAX_DGRAM = 65535


def family_of(host):
    """Address family of a numeric host."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def same_source(src, host, port):
    """True if a recvfrom() source is HOST:PORT."""
    return src[0] == host and src[1] == port


def flow_tag(data):
    """The flow number a "flows" payload starts with, or "-"."""
    head = data[:8]
    return head.decode() if len(head) == 8 and head.isdigit() else "-"


def cmd_echo(a):
    """Echo server; logs the source of every datagram."""
    s = socket.socket(family_of(a.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(a.addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((a.addr, a.port))
    log = open(a.log, "a", buffering=1) if a.log else None
    end = time.monotonic() + a.lifetime
    print("listening", flush=True)
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.5)
        if not r:
            continue
        data, src = s.recvfrom(MAX_DGRAM)
        key = (src[0], src[1])
        if log:
            log.write("src %s %d %s\n" % (src[0], src[1], flow_tag(data)))
        try:
            s.sendto(data, src)
        except OSError as e:
            print("sendto %s: %s" % (key, e), flush=True)
    return 0


def exchange(s, host, port, payload, timeout, retries):
    """Send PAYLOAD, wait for it back; return (ok, why)."""
    for _ in range(retries):
        s.sendto(payload, (host, port))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            try:
                data, src = s.recvfrom(MAX_DGRAM)
            except ConnectionRefusedError:
                continue
            if not same_source(src, host, port):
                return False, "reply from %s:%d, not %s:%d" % (
                    src[0], src[1], host, port)
            if data == payload:
                return True, ""
            if len(data) != len(payload):
                return False, "%d bytes back for %d sent" % (
                    len(data), len(payload))
            return False, "payload of %d bytes differs" % len(data)
    return False, "no answer after %d tries" % retries


def cmd_wait(a):
    """Probe until echoed."""
    end = time.monotonic() + a.timeout
    s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
    while time.monotonic() < end:
        ok, _ = exchange(s, a.host, a.port, b"probe", 0.2, 1)
        if ok:
            return 0
    print("no echo from %s:%d within %s s" % (a.host, a.port, a.timeout))
    return 1


def cmd_client(a):
    """Integrity and source checks from one socket."""
    s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    bad = 0
    for _ in range(a.repeat):
        for size in [int(x) for x in a.sizes.split(",")]:
            payload = os.urandom(size)
            ok, why = exchange(s, a.host, a.port, payload, a.timeout,
                               a.retries)
            if not ok:
                bad += 1
                print("size %d: %s" % (size, why))
    print("local port %d" % s.getsockname()[1])
    return 1 if bad else 0


def cmd_flows(a):
    """N concurrent client flows, each must be answered."""
    socks = []
    want = {}
    for i in range(a.count):
        s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
        if a.src:
            s.bind((a.src, 0))
        s.setblocking(False)
        socks.append(s)
        want[s.fileno()] = (s, (b"%08d" % i) + os.urandom(max(0, a.size - 8)))
    done = set()
    bad = 0
    end = time.monotonic() + a.timeout
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)
    rounds = 0
    while len(done) + bad < a.count and time.monotonic() < end:
        for fd, (s, p) in want.items():
            if fd not in done and not (a.once and rounds):
                try:
                    s.sendto(p, (a.host, a.port))
                except OSError:
                    pass
        rounds += 1
        resend = time.monotonic() + 0.2
        while time.monotonic() < resend:
            for fd, _ in poller.poll(50):
                s, p = want[fd]
                try:
                    data, src = s.recvfrom(MAX_DGRAM)
                except OSError:
                    continue
                if fd in done:
                    continue
                if not same_source(src, a.host, a.port) or data != p:
                    bad += 1
                    print("flow %d: wrong reply from %s" % (fd, src))
                    done.add(fd)
                    continue
                done.add(fd)
    print("answered %d/%d, %d wrong" % (len(done) - bad, a.count, bad))
    return 0 if len(done) - bad == a.count else 1


def cmd_sources(a):
    """Count distinct sources, tags and pairs in an echo log."""
    srcs, tags, pairs = set(), set(), set()
    with open(a.file) as f:
        for n, line in enumerate(f):
            if n < a.start:
                continue
            w = line.split()
            if len(w) != 4 or w[0] != "src":
                print("line %d: not an echo log line: %r" % (n + 1, line))
                return 1
            srcs.add((w[1], w[2]))
            if w[3] != "-":
                tags.add(w[3])
                pairs.add((w[3], w[1], w[2]))
    print("sources %d tags %d pairs %d" % (len(srcs), len(tags), len(pairs)))
    return 0


def cmd_silent(a):
    """One datagram; no answer expected."""
    s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
    if a.src:
        s.bind((a.src, 0))
    s.sendto(b"anyone", (a.host, a.port))
    r, _, _ = select.select([s], [], [], a.wait)
    if r:
        try:
            data, src = s.recvfrom(MAX_DGRAM)
            print("unexpected answer from %s" % (src,))
            return 1
        except OSError as e:
            print("error %s" % e)
    return 0


def cmd_hold(a):
    """Bind ADDR:PORT and never read: print "bound" (then keep the socket
    for --lifetime seconds) or the errno name of the failed bind()."""
    s = socket.socket(family_of(a.addr), socket.SOCK_DGRAM)
    if a.reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    try:
        s.bind((a.addr, a.port))
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)), flush=True)
        return 1
    print("bound", flush=True)
    time.sleep(a.lifetime)
    return 0


def cmd_persist(a):
    """One long flow: every datagram must come back."""
    s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
    n = got = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        n += 1
        ok, why = exchange(s, a.host, a.port, b"persist %d" % n, 0.5, 2)
        got += ok
        if not ok:
            print("datagram %d: %s" % (n, why), flush=True)
        time.sleep(a.interval)
    print("answered %d/%d" % (got, n))
    return 0 if got == n and n else 1


def cmd_rapid(a):
    """Numbered request/reply as fast as possible; count missing replies."""
    s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
    s.connect((a.host, a.port))
    n = got = late = 0
    missing = []
    print("started", flush=True)
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        n += 1
        s.send(b"rapid %d" % n)
        wait_end = time.monotonic() + a.timeout
        while True:
            left = wait_end - time.monotonic()
            r = select.select([s], [], [], left)[0] if left > 0 else []
            if not r:
                missing.append(n)
                break
            try:
                data = s.recv(MAX_DGRAM)
            except ConnectionRefusedError:
                continue
            if data == b"rapid %d" % n:
                got += 1
                break
            late += 1
    print("requests %d answered %d missing %d late %d" %
          (n, got, len(missing), late))
    if missing:
        print("missing: %s" % " ".join(str(m) for m in missing[:20]))
    return 0 if n and not missing else 1


def inet_csum(data):
    """The Internet checksum (RFC 1071) of DATA; 0 is sent as 0xffff."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s & 0xFFFF) or 0xFFFF


def cmd_spoof6(a):
    """One hand-made IPv6/UDP frame, any source address."""
    src = socket.inet_pton(socket.AF_INET6, a.src)
    dst = socket.inet_pton(socket.AF_INET6, a.dst)
    payload = a.payload.encode()
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!I3xB", ulen, socket.IPPROTO_UDP)
    udp = struct.pack("!HHHH", a.sport, a.dport, ulen, 0) + payload
    udp = udp[:6] + struct.pack("!H", inet_csum(pseudo + udp)) + udp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, ulen, socket.IPPROTO_UDP, 64) + src + dst
    with open("/sys/class/net/%s/address" % a.iface) as f:
        smac = bytes.fromhex(f.read().strip().replace(":", ""))
    dmac = bytes.fromhex(a.dstmac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.send(dmac + smac + b"\x86\xdd" + ip6 + udp)
    print("sent")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("addr")
    e.add_argument("port", type=int)
    e.add_argument("--lifetime", type=float, default=240)
    e.add_argument("--log")
    w = sub.add_parser("wait")
    w.add_argument("host")
    w.add_argument("port", type=int)
    w.add_argument("--timeout", type=float, default=15)
    c = sub.add_parser("client")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--sizes", required=True)
    c.add_argument("--timeout", type=float, default=1)
    c.add_argument("--retries", type=int, default=5)
    c.add_argument("--repeat", type=int, default=1)
    f = sub.add_parser("flows")
    f.add_argument("host")
    f.add_argument("port", type=int)
    f.add_argument("--count", type=int, default=300)
    f.add_argument("--timeout", type=float, default=20)
    f.add_argument("--size", type=int, default=64)
    f.add_argument("--src")
    f.add_argument("--once", action="store_true")
    s = sub.add_parser("silent")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("--wait", type=float, default=1)
    s.add_argument("--src")
    o = sub.add_parser("sources")
    o.add_argument("file")
    o.add_argument("--from", dest="start", type=int, default=0)
    h = sub.add_parser("hold")
    h.add_argument("addr")
    h.add_argument("port", type=int)
    h.add_argument("--reuseaddr", action="store_true")
    h.add_argument("--rcvbuf", type=int, default=0)
    h.add_argument("--lifetime", type=float, default=0)
    q = sub.add_parser("persist")
    q.add_argument("host")
    q.add_argument("port", type=int)
    q.add_argument("--duration", type=float, default=10)
    q.add_argument("--interval", type=float, default=0.1)
    m = sub.add_parser("rapid")
    m.add_argument("host")
    m.add_argument("port", type=int)
    m.add_argument("--duration", type=float, default=5)
    m.add_argument("--timeout", type=float, default=1)
    x = sub.add_parser("spoof6")
    x.add_argument("iface")
    x.add_argument("dstmac")
    x.add_argument("src")
    x.add_argument("dst")
    x.add_argument("dport", type=int)
    x.add_argument("payload")
    x.add_argument("--sport", type=int, default=40000)
    a = p.parse_args()
    return {"echo": cmd_echo, "wait": cmd_wait, "client": cmd_client,
            "flows": cmd_flows, "silent": cmd_silent, "sources": cmd_sources,
            "persist": cmd_persist, "rapid": cmd_rapid, "hold": cmd_hold,
            "spoof6": cmd_spoof6}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
