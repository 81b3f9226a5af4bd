# SPDX-License-Identifier: GPL-2.0-or-later
"""hostile - traffic tools of the nsplice fault suite (tests/hostile/).

Every subcommand uses only the standard library, is bounded in time and
prints one JSON object (the figures the calling test asserts on) on stdout;
diagnostics go to stderr.  Exit status: 0 when the tool itself ran, 1 on a
failure it can judge alone (stated per command), 2 on a usage error.

Framed transfer ("xfer") protocol, so that both directions are checked end
to end and a truncated stream can never pass for a complete one:
  client -> server  header XFER_HDR (magic, seed, up, down, pause_ms),
                    then `up` bytes of stream(2*seed+1);
  server -> client  `down` bytes of stream(2*seed), then 64 bytes: sha256
                    of what the server received, sha256 of what it sent;
  then both ends close.  The client checks the length of everything, both
  digests against its own, and that EOF follows the trailer.  Senders
  pause at random (up to pause_ms) so flows stall and resume mid-stream.

Servers:
  xfer-server PORT            the server side of the protocol (asyncio)
  answer-server PORT BYTES    read to EOF, then send BYTES and close at
                              once (data, FIN and the peer's FIN meet)
  early-server PORT BYTES     send BYTES and FIN first, then read to EOF
  judge-server PORT           read to EOF or error; print one JSON line
                              per connection: {"end": "eof"|"reset", ...}
  pingpong-server PORT        answer each framed query in two writes
Clients:
  load HOST PORT              N concurrent framed transfers (exit 1 if
                              any completed transfer is corrupt)
  answer-client HOST PORT     N half-close round trips against
                              answer-server/early-server
  reset-up HOST PORT BYTES    send BYTES, then abort with RST
  pingpong HOST PORT          framed queries in write-write-read pattern,
                              round-trip times
  slowpeers                   slow readers and readers that never read,
                              both ends in this process (setns)
  nagle-proxy PORT HOST DPORT a forwarder WITHOUT TCP_NODELAY: the
                              negative control of the pingpong check
"""

import argparse
import asyncio
import ctypes
import functools
import hashlib
import json
import math
import os
import random
import resource
import socket
import struct
import sys
import threading
import time

# nstool.py (tests/integration/lib) owns the helpers both tools share; it
# stays a single file because user_copy_binary copies it alone.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "integration", "lib"))
from nstool import (family_of, log_as, parse_size,  # noqa: E402
                    random_block, recv_exact)

BASE_LEN = (1 << 20) + 4099     # not a power of two: no aligned period
SEED = 0x686F7374               # "host"
CHUNK = 64 * 1024
XFER_HDR = struct.Struct("<4sIQQI")
XFER_MAGIC = b"NSPH"
TRAILER = 64
PG_HDR = struct.Struct("!cI")   # PostgreSQL-style: type byte, length
CLONE_NEWNET = 0x40000000
LISTEN_BACKLOG = 4096           # the servers' accept queue (somaxconn)


log = functools.partial(log_as, "hostile")


def base_block():
    """Return the shared pseudo-random block (created once)."""
    return memoryview(random_block(SEED, BASE_LEN))


def stream(seed, total, chunk=CHUNK):
    """Yield memoryviews covering TOTAL bytes of the stream of SEED."""
    b = base_block()
    off = (seed * 7919) % BASE_LEN
    while total > 0:
        n = min(chunk, total, BASE_LEN - off)
        yield b[off:off + n]
        total -= n
        off = (off + n) % BASE_LEN


def raise_nofile():
    """Raise the descriptor soft limit to the hard one (1000+ sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def emit(obj):
    """Print OBJ as one JSON line on stdout."""
    print(json.dumps(obj, sort_keys=True), flush=True)


def listen_on(addrs, port, backlog=LISTEN_BACKLOG):
    """Bound, listening sockets on every address of ADDRS."""
    socks = []
    for a in addrs:
        s = socket.socket(family_of(a), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in a:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((a, port))
        s.listen(backlog)
        socks.append(s)
    return socks


async def maybe_pause(rng, pause_ms, chance=0.05):
    """Sleep up to PAUSE_MS milliseconds with probability CHANCE."""
    if pause_ms and rng.random() < chance:
        await asyncio.sleep(rng.random() * pause_ms / 1000.0)


# ------------------------------------------------------------ xfer server

async def xfer_send(writer, seed, total, rng, pause_ms):
    """Write TOTAL bytes of stream SEED, pausing at random; return sha256."""
    h = hashlib.sha256()
    for chunk in stream(seed, total):
        writer.write(chunk)
        h.update(chunk)
        await writer.drain()
        await maybe_pause(rng, pause_ms)
    return h.digest()


async def xfer_recv(reader, total):
    """Read exactly TOTAL bytes; return their sha256 (IncompleteReadError
    on an early EOF)."""
    h = hashlib.sha256()
    left = total
    while left:
        data = await reader.read(min(left, 1 << 18))
        if not data:
            raise asyncio.IncompleteReadError(b"", left)
        h.update(data)
        left -= len(data)
    return h.digest()


async def xfer_handle(reader, writer):
    """Serve one framed transfer; abort (RST) on any protocol error."""
    try:
        hdr = await asyncio.wait_for(reader.readexactly(XFER_HDR.size), 60)
        magic, seed, up, down, pause = XFER_HDR.unpack(hdr)
        if magic != XFER_MAGIC:
            raise ValueError("bad magic")
        rng = random.Random(seed ^ 0x5A5A)
        got, sent = await asyncio.wait_for(asyncio.gather(
            xfer_recv(reader, up),
            xfer_send(writer, 2 * seed, down, rng, pause)), 240)
        writer.write(got + sent)
        await writer.drain()
        writer.write_eof()
        await asyncio.wait_for(reader.read(1), 60)
        writer.close()
    except (OSError, ValueError, asyncio.IncompleteReadError,
            asyncio.TimeoutError) as e:
        log("xfer-server: %s" % (type(e).__name__))
        writer.transport.abort()


async def xfer_server(args):
    """Run the xfer server until --lifetime passes."""
    # start_server() listen()s again with its own backlog (default 100):
    # pass ours, or a 1,000-connection burst overflows the accept queue
    # and the kernel's SYN cookies reset connections that never reached
    # the server (TcpExtSyncookiesFailed), whatever the path in between.
    servers = [await asyncio.start_server(xfer_handle, sock=s,
                                          backlog=LISTEN_BACKLOG)
               for s in listen_on(args.addr, args.port)]
    print("listening", file=sys.stderr, flush=True)
    await asyncio.sleep(args.lifetime)
    for s in servers:
        s.close()


# ------------------------------------------------------------ load client

def log_uniform(rng, lo, hi):
    """A size between LO and HI, uniform in log scale."""
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def plan(args):
    """Per-connection (seed, up, down, pause) list; the extremes first."""
    rng = random.Random(args.seed)
    lo, hi = args.min_size, args.max_size
    fixed = [(lo, hi), (hi, lo), (hi, hi), (lo, lo)]
    out = []
    for i in range(args.conns):
        if args.up is not None:
            up, down = args.up, args.down
        elif i < len(fixed):
            up, down = fixed[i]
        else:
            up, down = log_uniform(rng, lo, hi), log_uniform(rng, lo, hi)
        out.append((args.seed * 100003 + i, up, down, args.pause_ms))
    return out


async def xfer_client(host, port, seed, up, down, pause, hold=0):
    """One framed transfer; return "ok" or the kind of failure.  HOLD
    milliseconds pass between sending the header and the first byte."""
    rng = random.Random(seed)
    await asyncio.sleep(rng.random() * pause / 1000.0)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(XFER_HDR.pack(XFER_MAGIC, seed, up, down, pause))
        await writer.drain()
        await asyncio.sleep(hold / 1000.0)

        async def send():
            """Upload, then half-close."""
            d = await xfer_send(writer, 2 * seed + 1, up, rng, pause)
            writer.write_eof()
            return d

        sent, got = await asyncio.gather(send(), xfer_recv(reader, down))
        trailer = await reader.readexactly(TRAILER)
        extra = await reader.read(1)
        want_down = hashlib.sha256()
        for c in stream(2 * seed, down):
            want_down.update(c)
        if extra or trailer[:32] != sent or trailer[32:] != got or \
                got != want_down.digest():
            return "corrupt"
        return "ok"
    finally:
        writer.close()


async def run_load(args):
    """Run every planned transfer at once; return the summary."""
    items = plan(args)
    sem = asyncio.Semaphore(args.concurrency or len(items))
    results = [None] * len(items)

    async def one(i, item):
        """Run transfer I under the concurrency limit and the timeout."""
        async with sem:
            try:
                results[i] = await asyncio.wait_for(
                    xfer_client(args.host, args.port, *item,
                                hold=args.hold_ms), args.timeout)
            except ConnectionResetError:
                results[i] = "reset"
            except asyncio.IncompleteReadError:
                results[i] = "truncated"
            except asyncio.TimeoutError:
                results[i] = "timeout"
            except ConnectionRefusedError:
                results[i] = "refused"
            except OSError as e:
                results[i] = "oserror:%s" % (e.strerror or e)

    t0 = time.monotonic()
    await asyncio.gather(*(one(i, it) for i, it in enumerate(items)))
    secs = time.monotonic() - t0
    kinds = {}
    for r in results:
        kinds[r] = kinds.get(r, 0) + 1
    ok_items = [it for it, r in zip(items, results) if r == "ok"]
    return {
        "conns": len(items), "ok": kinds.get("ok", 0),
        "corrupt": kinds.get("corrupt", 0),
        "failed": len(items) - kinds.get("ok", 0),
        "kinds": kinds, "secs": round(secs, 2),
        "bytes_up": sum(it[1] for it in ok_items),
        "bytes_down": sum(it[2] for it in ok_items),
        "min_size": min(min(it[1], it[2]) for it in items),
        "max_size": max(max(it[1], it[2]) for it in items),
    }


def cmd_load(args):
    """Concurrent framed transfers; exit 1 if one completed corrupt."""
    raise_nofile()
    summary = asyncio.run(run_load(args))
    emit(summary)
    return 1 if summary["corrupt"] else 0


# -------------------------------------------------- half-close round trips

def serve_threads(args, handler):
    """Accept on every --addr with one thread per connection until
    --lifetime passes; HANDLER(conn, args) serves one connection."""
    def run(conn):
        """Serve one connection and close it whatever happens."""
        try:
            conn.settimeout(30)
            handler(conn, args)
        except OSError as e:
            log("%s: %s" % (handler.__name__, e))
        finally:
            conn.close()

    def acceptor(s):
        """Accept forever (daemon thread)."""
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                time.sleep(0.05)
                continue
            threading.Thread(target=run, args=(c,), daemon=True).start()

    raise_nofile()
    for s in listen_on(args.addr, args.port):
        threading.Thread(target=acceptor, args=(s,), daemon=True).start()
    print("listening", file=sys.stderr, flush=True)
    time.sleep(args.lifetime)
    return 0


def drain_to_eof(conn, limit=1 << 30):
    """Read until EOF; return the byte count."""
    n = 0
    while n < limit:
        d = conn.recv(1 << 16)
        if not d:
            break
        n += len(d)
    return n


def answer_handler(conn, args):
    """Read to EOF, then the whole answer and FIN in one go."""
    drain_to_eof(conn)
    conn.sendall(b"".join(bytes(c) for c in stream(7, args.bytes)))
    conn.close()


def early_handler(conn, args):
    """Answer and FIN first, then read the request to EOF."""
    conn.sendall(b"".join(bytes(c) for c in stream(7, args.bytes)))
    conn.shutdown(socket.SHUT_WR)
    drain_to_eof(conn)


def judge_handler(conn, _args):
    """Report whether the peer ended with FIN or with a reset."""
    n = 0
    end = "eof"
    try:
        while True:
            d = conn.recv(1 << 16)
            if not d:
                break
            n += len(d)
    except ConnectionResetError:
        end = "reset"
    emit({"end": end, "bytes": n})


def cmd_answer_client(args):
    """N round trips: request, SHUT_WR, whole answer, clean EOF.  Exit 1
    if any ended otherwise (reset, short or long answer)."""
    want = b"".join(bytes(c) for c in stream(7, args.bytes))
    kinds = {}
    for i in range(args.rounds):
        s = socket.create_connection((args.host, args.port), timeout=10)
        try:
            s.sendall(b"q" * (1 + i % 512))
            s.shutdown(socket.SHUT_WR)
            got = b""
            while len(got) <= len(want):
                d = s.recv(1 << 16)
                if not d:
                    break
                got += d
            r = "ok" if got == want else "short" if len(got) < len(want) \
                else "long"
        except ConnectionResetError:
            r = "reset"
        except OSError as e:
            r = "oserror:%s" % e
        finally:
            s.close()
        kinds[r] = kinds.get(r, 0) + 1
    emit({"rounds": args.rounds, "ok": kinds.get("ok", 0), "kinds": kinds})
    return 0 if kinds.get("ok", 0) == args.rounds else 1


def cmd_reset_up(args):
    """Send BYTES, then close with SO_LINGER {1, 0}: the peer must see a
    reset, not a clean end."""
    s = socket.create_connection((args.host, args.port), timeout=10)
    for c in stream(3, args.bytes):
        s.sendall(c)
    time.sleep(0.2)     # let the bytes cross before the RST overtakes them
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    emit({"sent": args.bytes})
    return 0


# ------------------------------------------------------------- ping-pong

def pg_send(sock, kind, body, gap):
    """Send a PostgreSQL-style message as header and body in two writes,
    GAP seconds apart (the write-write pattern Nagle delays)."""
    sock.sendall(PG_HDR.pack(kind, len(body) + 4))
    if gap:
        time.sleep(gap)
    sock.sendall(body)


def pg_recv(sock):
    """Read one message; return (kind, body)."""
    hdr = recv_exact(sock, PG_HDR.size, strict=True)
    kind, n = PG_HDR.unpack(hdr)
    return kind, recv_exact(sock, n - 4, strict=True)


def pingpong_handler(conn, args):
    """Answer each 'Q' with 'T' (header and body split) and 'Z'."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        try:
            kind, body = pg_recv(conn)
        except ConnectionError:
            return
        if kind == b"X":
            return
        pg_send(conn, b"T", body[::-1], args.gap)
        conn.sendall(PG_HDR.pack(b"Z", 5) + b"I")


def cmd_pingpong(args):
    """ROUNDS query/answer round trips; figures in milliseconds."""
    s = socket.create_connection((args.host, args.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    for i in range(args.rounds):
        body = b"SELECT %d;" % i
        t0 = time.monotonic()
        pg_send(s, b"Q", body, args.gap)
        kind, ans = pg_recv(s)
        z, _ = pg_recv(s)
        rtts.append((time.monotonic() - t0) * 1000.0)
        if kind != b"T" or ans != body[::-1] or z != b"Z":
            log("pingpong: wrong answer in round %d" % i)
            return 1
    s.sendall(PG_HDR.pack(b"X", 4))
    s.close()
    rtts.sort()
    emit({"rounds": len(rtts), "p50_ms": round(rtts[len(rtts) // 2], 2),
          "p99_ms": round(rtts[int(len(rtts) * 0.99) - 1], 2),
          "max_ms": round(rtts[-1], 2),
          "stalls_35ms": sum(1 for r in rtts if r >= 35.0)})
    return 0


def cmd_nagle_proxy(args):
    """Plain recv/send forwarder that leaves Nagle on (negative control)."""
    def pump(a, b):
        """Copy a -> b until EOF."""
        try:
            while True:
                d = a.recv(1 << 16)
                if not d:
                    break
                b.sendall(d)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def handler(conn, _args):
        """Forward one connection both ways."""
        up = socket.create_connection((args.dhost, args.dport), timeout=30)
        t = threading.Thread(target=pump, args=(up, conn), daemon=True)
        t.start()
        pump(conn, up)
        t.join(30)
        up.close()
    return serve_threads(args, handler)


# ------------------------------------------------------------- slow peers

def setns_net(fd):
    """setns(FD, CLONE_NEWNET) for the calling thread."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def relay_sample(pid):
    """(VmRSS KiB, pipe descriptors, cpu ticks) of PID, or Nones."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        pipes = 0
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(
                        "pipe:"):
                    pipes += 1
            except OSError:
                pass
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return rss, pipes, int(st[11]) + int(st[12])
    except (OSError, StopIteration):
        return None, None, None


class Peer:
    """Both ends of one connection; the server end writes as fast as the
    path takes it, the client end reads slowly or never."""

    def __init__(self, kind):
        self.kind = kind
        self.written = 0
        self.read = 0
        self.error = None


def peer_writer(conn, peer, stop):
    """Server end: write the stream until STOP, counting what went out."""
    conn.settimeout(0.2)
    for c in stream(11, 1 << 40):
        view = c
        while view and not stop.is_set():
            try:
                n = conn.send(view)
            except socket.timeout:
                continue
            except OSError as e:
                peer.error = str(e)
                return
            peer.written += n
            view = view[n:]
        if stop.is_set():
            return


def peer_reader(conn, peer, stop):
    """Client end: 4 KiB every 100 ms ("slow"), or nothing ("never")."""
    conn.settimeout(1)
    while not stop.wait(0.1):
        if peer.kind != "slow":
            continue
        try:
            peer.read += len(conn.recv(4096))
        except OSError as e:
            peer.error = str(e)
            return


def cmd_slowpeers(args):
    """Slow and never-reading peers through nsplice; JSON figures."""
    raise_nofile()
    host_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    target_ns = os.open(args.netns, os.O_RDONLY)
    setns_net(target_ns)
    lsock = listen_on(["127.0.0.1"], args.tport)[0]
    setns_net(host_ns)
    stop = threading.Event()
    peers, conns, threads = [], [], []
    kinds = ["slow"] * args.slow + ["never"] * args.never
    for i, kind in enumerate(kinds):
        c = socket.create_connection((args.host, args.port), timeout=10)
        lsock.settimeout(10)
        s, _ = lsock.accept()
        p = Peer(kind)
        peers.append(p)
        conns += [c, s]
        threads.append(threading.Thread(target=peer_writer,
                                        args=(s, p, stop), daemon=True))
        threads.append(threading.Thread(target=peer_reader,
                                        args=(c, p, stop), daemon=True))
    for t in threads:
        t.start()
    samples = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.seconds:
        time.sleep(0.5)
        rss, pipes, cpu = relay_sample(args.relay_pid)
        samples.append({"t": round(time.monotonic() - t0, 1), "rss": rss,
                        "pipes": pipes, "cpu": cpu,
                        "inflight": [p.written - p.read for p in peers],
                        "read": [p.read for p in peers]})
    stop.set()
    for t in threads:
        t.join(2)
    mid = samples[len(samples) // 2]
    end = samples[-1]
    growth = max(e - m for e, m in zip(end["inflight"], mid["inflight"]))
    slow_idx = [i for i, p in enumerate(peers) if p.kind == "slow"]
    secs = end["t"] - mid["t"]
    rates = [(end["read"][i] - mid["read"][i]) / secs for i in slow_idx]
    rss_vals = [s["rss"] for s in samples if s["rss"]]
    pipe_vals = [s["pipes"] for s in samples if s["pipes"] is not None]
    cpu_vals = [s["cpu"] for s in samples if s["cpu"] is not None]
    emit({
        "peers": len(peers), "slow": args.slow, "never": args.never,
        "seconds": args.seconds,
        "inflight_max": max(max(s["inflight"]) for s in samples),
        "inflight_growth_2nd_half": growth,
        "slow_read_rate_min": int(min(rates)) if rates else 0,
        "rss_kib_first": rss_vals[0] if rss_vals else None,
        "rss_kib_max": max(rss_vals) if rss_vals else None,
        "pipes_max": max(pipe_vals) if pipe_vals else None,
        "relay_cpu_ticks": cpu_vals[-1] - cpu_vals[0] if cpu_vals else None,
        "errors": [p.error for p in peers if p.error],
    })
    for c in conns:
        c.close()
    return 0


# ------------------------------------------------------------------- main

def build_parser():
    """The argparse parser for every subcommand."""
    p = argparse.ArgumentParser(prog="hostile", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def server(name, with_bytes=False):
        """A server subcommand: PORT [BYTES] --addr --lifetime."""
        sp = sub.add_parser(name)
        sp.add_argument("port", type=int)
        if with_bytes:
            sp.add_argument("bytes", type=parse_size)
        sp.add_argument("--addr", action="append")
        sp.add_argument("--lifetime", type=float, default=240)
        sp.add_argument("--gap", type=float, default=0.002)
        return sp

    def client(name):
        """A client subcommand: HOST PORT."""
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        return sp

    server("xfer-server")
    server("answer-server", True)
    server("early-server", True)
    server("judge-server")
    server("pingpong-server")
    sp = server("nagle-proxy")
    sp.add_argument("dhost")
    sp.add_argument("dport", type=int)
    sp = client("load")
    sp.add_argument("--conns", type=int, default=100)
    sp.add_argument("--concurrency", type=int, default=0)
    sp.add_argument("--min-size", type=parse_size, default=1)
    sp.add_argument("--max-size", type=parse_size, default=8 << 20)
    sp.add_argument("--up", type=parse_size)
    sp.add_argument("--down", type=parse_size)
    sp.add_argument("--pause-ms", type=int, default=20)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--hold-ms", type=int, default=0)
    sp.add_argument("--timeout", type=float, default=120)
    sp = client("answer-client")
    sp.add_argument("bytes", type=parse_size)
    sp.add_argument("--rounds", type=int, default=100)
    sp = client("reset-up")
    sp.add_argument("bytes", type=parse_size)
    sp = client("pingpong")
    sp.add_argument("--rounds", type=int, default=200)
    sp.add_argument("--gap", type=float, default=0.002)
    sp = client("slowpeers")
    sp.add_argument("--netns", required=True)
    sp.add_argument("--tport", type=int, required=True)
    sp.add_argument("--relay-pid", type=int, required=True)
    sp.add_argument("--slow", type=int, default=8)
    sp.add_argument("--never", type=int, default=8)
    sp.add_argument("--seconds", type=float, default=8)
    return p


def main(argv=None):
    """Run one subcommand; return its exit status."""
    args = build_parser().parse_args(argv)
    if hasattr(args, "addr"):
        args.addr = args.addr or ["127.0.0.1"]
    servers = {"answer-server": answer_handler,
               "early-server": early_handler,
               "judge-server": judge_handler,
               "pingpong-server": pingpong_handler}
    if args.cmd == "xfer-server":
        raise_nofile()
        asyncio.run(xfer_server(args))
        return 0
    if args.cmd in servers:
        return serve_threads(args, servers[args.cmd])
    return {"load": cmd_load, "answer-client": cmd_answer_client,
            "reset-up": cmd_reset_up, "pingpong": cmd_pingpong,
            "nagle-proxy": cmd_nagle_proxy,
            "slowpeers": cmd_slowpeers}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
