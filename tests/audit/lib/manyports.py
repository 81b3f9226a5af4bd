#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""manyports.py - many listening ports at once, and a client that visits each.

DOC: Theory of Operation

The finding-1 tests grow nsplice's forward table to hundreds or thousands
of forwards (a ctl add of 300 ports, a reload to 2,000, 150 listeners
found by auto) and then prove every forward still carries traffic to the
right place.  One process here listens on all the ports of a list on the
given addresses and answers every connection with "PORT TOKEN\n", where
PORT is the port the server accepted on and TOKEN the first line the
client sent: so a client learns both that its bytes arrived and which
server port they reached (a forward mapped to the wrong target shows).

    serve PORTS ADDR... [--lifetime S]
        listen on each port of PORTS (pasta-style list: 9000-9299,9400)
        on each ADDR; print "listening N" once all are bound, serve until
        SIGTERM or the lifetime ends (bounded, default 240 s)
    probe HOST PAIRS [--timeout S]
        PAIRS is "LPORT:TPORT,LPORT:TPORT,..." or ranges "A-B:C-D"; for
        each pair connect to HOST:LPORT, send a token, expect the answer
        "TPORT TOKEN"; prints one line per failure and a summary
        "probed N ok M"; exit 0 only if every pair answered right
        (each connection bounded by --timeout, the whole run by
        N * timeout)

Everything stays on the addresses the caller names: loopback or a
namespace the test made.
"""
import argparse
import os
import resource
import selectors
import signal
import socket
import sys
import time


def parse_ports(spec):
    """parse_ports() - "9000-9002,9005" -> [9000, 9001, 9002, 9005]"""
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def parse_pairs(spec):
    """parse_pairs() - "A-B:C-D,E:F" -> [(A, C), ..., (E, F)]"""
    out = []
    for part in spec.split(","):
        left, right = part.split(":", 1)
        ls, rs = parse_ports(left), parse_ports(right)
        if len(ls) != len(rs):
            raise SystemExit("manyports: %s maps %d ports to %d"
                             % (part, len(ls), len(rs)))
        out.extend(zip(ls, rs))
    return out


def raise_nofile(need):
    """raise_nofile() - make room for @need descriptors (root may)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, need), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def listen_all(ports, addrs):
    """listen_all() - one listening socket per (port, address)"""
    socks = []
    for addr in addrs:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        for port in ports:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            s.listen(64)
            s.setblocking(False)
            socks.append((s, port))
    return socks


def cmd_serve(args):
    """cmd_serve() - listen on every port, answer "PORT TOKEN" per line"""
    ports = parse_ports(args.ports)
    raise_nofile(len(ports) * len(args.addr) + 256)
    sel = selectors.DefaultSelector()
    for s, port in listen_all(ports, args.addr):
        sel.register(s, selectors.EVENT_READ, ("listen", port))
    print("listening %d" % (len(ports) * len(args.addr)), flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + args.lifetime
    while not stop and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            kind, port = key.data
            if kind == "listen":
                try:
                    c, _ = key.fileobj.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, ("conn", port))
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if data:
                token = data.split(b"\n", 1)[0]
                try:
                    c.send(b"%d %s\n" % (port, token))
                except OSError:
                    pass
            sel.unregister(c)
            c.close()
    return 0


def visit(host, lport, tport, timeout):
    """visit() - one round trip; None if right, else what went wrong"""
    token = "t%d-%d" % (os.getpid(), lport)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect((host, lport))
            s.sendall(token.encode() + b"\n")
            got = b""
            while not got.endswith(b"\n") and len(got) < 256:
                chunk = s.recv(256)
                if not chunk:
                    break
                got += chunk
    except OSError as e:
        return "%s:%d: %s" % (host, lport, e)
    want = "%d %s\n" % (tport, token)
    if got.decode(errors="replace") != want:
        return "%s:%d: answer %r, want %r" % (host, lport, got, want)
    return None


def cmd_probe(args):
    """cmd_probe() - visit every pair, report failures and a summary"""
    pairs = parse_pairs(args.pairs)
    good = 0
    for lport, tport in pairs:
        err = visit(args.host, lport, tport, args.timeout)
        if err:
            print("failed %s" % err, flush=True)
        else:
            good += 1
    print("probed %d ok %d" % (len(pairs), good), flush=True)
    return 0 if good == len(pairs) else 1


def main():
    """main() - dispatch the subcommand"""
    p = argparse.ArgumentParser(prog="manyports.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("serve")
    sp.add_argument("ports")
    sp.add_argument("addr", nargs="+")
    sp.add_argument("--lifetime", type=float, default=240.0)
    sp.set_defaults(fn=cmd_serve)
    sp = sub.add_parser("probe")
    sp.add_argument("host")
    sp.add_argument("pairs")
    sp.add_argument("--timeout", type=float, default=5.0)
    sp.set_defaults(fn=cmd_probe)
    args = p.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
