#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ppserver.py - a PROXY protocol v2 reading server and its client, for tests.

serve PORT... [--addr A]... [--backlog N] [--pause-file F] [--lifetime S]
    Listen on each PORT (every --addr, default 127.0.0.1).  While F exists
    nothing is accepted: with --backlog 0 and one connection waiting
    (fill), the kernel drops new SYNs, so a connect() to it stays in
    progress until F is removed and the SYN is sent again (~1 s).  Each
    connection:
    read until 16 bytes, a newline or EOF are in; if they start with the
    v2 signature, read and parse the whole header (HAProxy's
    proxy-protocol.txt, 2.2), else there is none.  Then every line the
    client sends is answered with one JSON line saying what header came
    (pp: false, or fam/src/sport/dst/dport) and the line; "BULK N" is
    followed by N bytes, answered with their length and SHA-256.  A
    second header later in the stream is just payload, so the test sees
    it.  The parser refuses anything malformed (bad version, command,
    family, a length that does not fit) by answering {"error": ...}.

ask HOST PORT [--source ADDR] [--line TEXT]... [--bulk N] [--wait-file F]
    Connect (from ADDR if given), print {"local": [addr, port]} (and with
    --bulk {"sent_sha": ...}), send every --line (and a BULK of random
    bytes) at once, right after connect() returns, without waiting for an
    answer; print each answer.  With --wait-file, after the
    answers wait (<= 20 s) for file F, then send "after" and print that
    answer: one connection kept open across a configuration change.

fill HOST PORT [--seconds S]
    Connect and hold the connection S seconds (default 10), sending
    nothing: it sits in a paused server's accept queue.

Everything is bounded: socket timeouts, --lifetime, a largest BULK.
"""
import argparse
import hashlib
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
HDR_LEN = 16
IO_TIMEOUT = 20.0
BULK_MAX = 64 << 20
LINE_MAX = 4096
WAIT_FILE_MAX = 20.0


def recv_some(conn, buf, want):
    """Read into BUF until WANT(buf) holds or EOF; return (buf, eof)."""
    while not want(buf):
        chunk = conn.recv(65536)
        if not chunk:
            return buf, True
        buf += chunk
    return buf, False


def parse_header(conn, buf):
    """Return (info dict, rest of buf); info has pp False if no header."""
    # The signature holds newlines itself: a prefix of it is not a line
    buf, _ = recv_some(conn, buf, lambda b: len(b) >= HDR_LEN or (
        b"\n" in b and not SIG.startswith(b)))
    if not buf.startswith(SIG) or len(buf) < HDR_LEN:
        return {"pp": False}, buf
    ver_cmd, fam, length = struct.unpack("!BBH", buf[12:16])
    if ver_cmd >> 4 != 2 or ver_cmd & 0xF not in (0, 1):
        return {"error": "version/command 0x%02x" % ver_cmd}, b""
    buf, eof = recv_some(conn, buf, lambda b: len(b) >= HDR_LEN + length)
    if eof and len(buf) < HDR_LEN + length:
        return {"error": "header cut short"}, b""
    body, rest = buf[HDR_LEN:HDR_LEN + length], buf[HDR_LEN + length:]
    info = {"pp": True, "cmd": ver_cmd & 0xF, "fam": fam, "len": length}
    alen = {0x11: 4, 0x21: 16}.get(fam)
    if fam == 0x00:
        return info, rest
    if alen is None or length < 2 * alen + 4:
        return {"error": "family 0x%02x length %d" % (fam, length)}, b""
    info["src"] = str(ipaddress.ip_address(body[:alen]))
    info["dst"] = str(ipaddress.ip_address(body[alen:2 * alen]))
    info["sport"], info["dport"] = struct.unpack(
        "!HH", body[2 * alen:2 * alen + 4])
    info["tlv_bytes"] = length - (2 * alen + 4)
    return info, rest


def answer(conn, obj):
    conn.sendall((json.dumps(obj, sort_keys=True) + "\n").encode())


def serve_conn(conn):
    """One connection: header, then line by line."""
    conn.settimeout(IO_TIMEOUT)
    try:
        info, buf = parse_header(conn, b"")
        if "error" in info:
            answer(conn, info)
            return
        while True:
            buf, eof = recv_some(conn, buf,
                                 lambda b: b"\n" in b or len(b) > LINE_MAX)
            if b"\n" not in buf:
                return
            line, buf = buf.split(b"\n", 1)
            text = line.decode("latin-1")
            if text.startswith("BULK "):
                n = min(int(text[5:]), BULK_MAX)
                buf, _ = recv_some(conn, buf, lambda b: len(b) >= n)
                data, buf = buf[:n], buf[n:]
                answer(conn, dict(info, bulk_len=len(data),
                                  bulk_sha=hashlib.sha256(data).hexdigest()))
            else:
                answer(conn, dict(info, line=text))
            if eof and not buf:
                return
    except (OSError, ValueError) as e:
        try:
            answer(conn, {"error": str(e)})
        except OSError:
            pass
    finally:
        conn.close()


def serve(args):
    addrs = args.addr or ["127.0.0.1"]
    socks = []
    for a in addrs:
        for port in args.port:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((a, port))
            s.listen(args.backlog)
            socks.append(s)
    deadline = time.monotonic() + args.lifetime

    def loop(s):
        s.settimeout(0.5)
        while time.monotonic() < deadline:
            if args.pause_file and os.path.exists(args.pause_file):
                time.sleep(0.05)
                continue
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            threading.Thread(target=serve_conn, args=(c,),
                             daemon=True).start()

    for s in socks:
        threading.Thread(target=loop, args=(s,), daemon=True).start()
    print("listening", flush=True)
    while time.monotonic() < deadline:
        time.sleep(0.5)


def read_answer(f):
    line = f.readline()
    if not line:
        raise SystemExit("connection closed before an answer")
    sys.stdout.write(line)
    sys.stdout.flush()


def ask(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    if args.source:
        s.bind((args.source, 0))
    s.connect((args.host, args.port))
    local = s.getsockname()
    print(json.dumps({"local": [local[0], local[1]]}), flush=True)
    out = b"".join(line.encode() + b"\n" for line in args.line)
    if args.bulk:
        data = os.urandom(args.bulk)
        print(json.dumps({"sent_sha": hashlib.sha256(data).hexdigest()}),
              flush=True)
        out += b"BULK %d\n" % args.bulk + data
    s.sendall(out)
    f = s.makefile("r", encoding="latin-1")
    for _ in range(len(args.line) + (1 if args.bulk else 0)):
        read_answer(f)
    if args.wait_file:
        end = time.monotonic() + WAIT_FILE_MAX
        while not os.path.exists(args.wait_file):
            if time.monotonic() > end:
                raise SystemExit("wait file never appeared")
            time.sleep(0.05)
        s.sendall(b"after\n")
        read_answer(f)
    s.close()


def fill(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    s.connect((args.host, args.port))
    print("filled", flush=True)
    time.sleep(args.seconds)
    s.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("serve")
    sp.add_argument("port", type=int, nargs="+")
    sp.add_argument("--addr", action="append")
    sp.add_argument("--backlog", type=int, default=128)
    sp.add_argument("--pause-file")
    sp.add_argument("--lifetime", type=float, default=600)
    sp = sub.add_parser("ask")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--source")
    sp.add_argument("--line", action="append", default=[])
    sp.add_argument("--bulk", type=int, default=0)
    sp.add_argument("--wait-file")
    sp = sub.add_parser("fill")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--seconds", type=float, default=10)
    args = p.parse_args()
    if getattr(args, "bulk", 0) > BULK_MAX:
        p.error("--bulk: at most %d" % BULK_MAX)
    {"serve": serve, "ask": ask, "fill": fill}[args.cmd](args)


if __name__ == "__main__":
    main()
