# SPDX-License-Identifier: GPL-2.0-or-later
"""nstool - TCP servers and clients for the nsplice integration tests.

Every subcommand is self-contained, uses only the standard library and is
bounded in time: servers stop after --lifetime seconds, every socket has a
timeout, every client gives up after --timeout seconds.  Exit status 0 means
the check passed; 1 means it failed (the reason is printed on stderr); 2 is
a usage error.

Data sent by the bulk tools is deterministic: a 1 MiB block drawn once from
a seeded PRNG, streamed repeatedly with the block counter written into its
first 8 bytes, so every block differs and a receiver can recompute (or
compare against) the exact stream without storing it.

Servers (each accepts --addr A, repeatable, default 127.0.0.1; one thread
per connection):
  echo-server PORT            echo every connection until EOF
  source-server PORT BYTES    send BYTES of the stream on connect, close
  sink-server PORT            read to EOF, answer sha256 hex + "\\n", close
  halfclose-server PORT       read to EOF, then send HALF_ANSWER, close
  reset-server PORT           send RESET_BYTES, then abort with RST
  ident-server PORT...        send "port=P addr=A peer=B\\n", close
  serve ROLE=PORT[,BYTES]...  several of the above in one process
Clients:
  send BYTES HOST PORT        stream to a sink-server, check its sha256
  recv BYTES HOST PORT        read a source-server stream, compare it
                              byte for byte with the expected stream
  halfclose-client HOST PORT  send 100 KiB, SHUT_WR, expect whole answer
  reset-client HOST PORT      expect the connection to be reset (not EOF)
  expect-reset HOST PORT      expect refusal, or reset/close with no data
  concurrent HOST PORT N      N simultaneous echo round trips
  ident HOST PORT             print the ident-server line
  hold HOST PORT              keep an echo connection open until the peer
                              closes or resets it
  wait-port HOST PORT         poll until a TCP connect succeeds
  pingpong HOST PORT N        N 1-byte round trips with an echo-server,
                              one at a time on one connection
BYTES accepts K, M, G suffixes (binary).
"""

import argparse
import errno
import functools
import hashlib
import random
import socket
import struct
import sys
import threading
import time

BLOCK = 1 << 20
SEED = 0x6E73706C  # "nspl"
HALF_REQUEST = 100 * 1024
HALF_ANSWER = 1 << 20
RESET_BYTES = 4 << 20
CONN_TIMEOUT = 60.0

_blocks = {}


def random_block(seed, length):
    """Return LENGTH pseudo-random bytes drawn from SEED (made once each).

    Shared with tests/hostile/lib/hostile.py, which imports this module
    for its byte streams and small helpers."""
    if (seed, length) not in _blocks:
        _blocks[(seed, length)] = random.Random(seed).randbytes(length)
    return _blocks[(seed, length)]


def base_block():
    """Return the shared 1 MiB pseudo-random block (created once)."""
    return random_block(SEED, BLOCK)


def stream_block(index, buf=None):
    """Return block INDEX of the deterministic stream as a bytearray.

    The block is the base block with its first 8 bytes replaced by the
    little-endian block counter.  If BUF (a bytearray of BLOCK bytes holding
    the base block) is given it is updated in place and returned.
    """
    if buf is None:
        buf = bytearray(base_block())
    buf[0:8] = struct.pack("<Q", index)
    return buf


def stream_chunks(total):
    """Yield memoryviews covering the first TOTAL bytes of the stream.

    The views alias one buffer: consume each before asking for the next.
    """
    buf = bytearray(base_block())
    mv = memoryview(buf)
    index = 0
    left = total
    while left > 0:
        stream_block(index, buf)
        n = min(left, BLOCK)
        yield mv[:n]
        left -= n
        index += 1


def stream_sha256(total):
    """Return the sha256 hex digest of the first TOTAL bytes of the stream."""
    h = hashlib.sha256()
    for chunk in stream_chunks(total):
        h.update(chunk)
    return h.hexdigest()


def parse_size(text):
    """Parse a byte count with an optional K/M/G (binary) suffix."""
    text = text.strip()
    mult = 1
    if text and text[-1] in "kKmMgG":
        mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[text[-1].lower()]
        text = text[:-1]
    value = int(text) * mult
    if value < 0:
        raise argparse.ArgumentTypeError("negative size")
    return value


def log_as(prog, msg):
    """Print a diagnostic line of tool PROG on stderr, flushed."""
    print(prog + ": " + msg, file=sys.stderr, flush=True)


log = functools.partial(log_as, "nstool")


def family_of(host):
    """Return AF_INET6 if HOST is an IPv6 literal, else AF_INET."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host, port, timeout):
    """Open a TCP connection to HOST:PORT with a socket timeout."""
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def recv_all(sock, limit=1 << 30):
    """Read from SOCK until EOF (or LIMIT bytes) and return the bytes."""
    parts = []
    got = 0
    while got < limit:
        data = sock.recv(min(1 << 20, limit - got))
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def fmt_rate(nbytes, seconds):
    """Return NBYTES/SECONDS in MB/s (10^6 bytes) as a string."""
    return "%.0f" % (nbytes / max(seconds, 1e-9) / 1e6)


# ---------------------------------------------------------------- handlers

def handle_echo(conn, _arg):
    """Echo everything until EOF, then close."""
    buf = bytearray(1 << 16)
    mv = memoryview(buf)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        conn.sendall(mv[:n])
    conn.shutdown(socket.SHUT_WR)


def handle_source(conn, nbytes):
    """Send NBYTES of the deterministic stream, then close."""
    for chunk in stream_chunks(nbytes):
        conn.sendall(chunk)
    conn.shutdown(socket.SHUT_WR)


def handle_sink(conn, _arg):
    """Read to EOF, answer the sha256 hex digest of what came, close."""
    h = hashlib.sha256()
    buf = bytearray(4 << 20)
    mv = memoryview(buf)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        h.update(mv[:n])
    conn.sendall((h.hexdigest() + "\n").encode())
    conn.shutdown(socket.SHUT_WR)


def handle_halfclose(conn, _arg):
    """Read to EOF first, then send HALF_ANSWER bytes of the stream."""
    total = 0
    buf = bytearray(1 << 16)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        total += n
    for chunk in stream_chunks(HALF_ANSWER):
        conn.sendall(chunk)
    conn.shutdown(socket.SHUT_WR)


def handle_reset(conn, _arg):
    """Send RESET_BYTES of the stream, then abort the connection (RST)."""
    try:
        for chunk in stream_chunks(RESET_BYTES):
            conn.sendall(chunk)
    finally:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))


def handle_ident(conn, _arg):
    """Send one line naming the local port, local and peer address."""
    local = conn.getsockname()
    peer = conn.getpeername()
    line = "port=%d addr=%s peer=%s\n" % (local[1], local[0], peer[0])
    conn.sendall(line.encode())
    conn.shutdown(socket.SHUT_WR)
    # Wait for the client to close first so no RST races the line.
    conn.settimeout(5)
    try:
        recv_all(conn, 1 << 16)
    except OSError:
        pass


HANDLERS = {
    "echo": handle_echo,
    "source": handle_source,
    "sink": handle_sink,
    "halfclose": handle_halfclose,
    "reset": handle_reset,
    "ident": handle_ident,
}


def serve(listeners, lifetime):
    """Run LISTENERS [(role, port, arg, addrs)] until LIFETIME seconds pass.

    Every address is bound before anything is accepted; a bind failure is
    fatal (exit 1).  Each accepted connection is handled in its own daemon
    thread; handler errors (peer reset, timeout) are logged, not fatal.
    """
    socks = []
    for role, port, arg, addrs in listeners:
        for addr in addrs:
            fam = family_of(addr)
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind((addr, port))
            except OSError as e:
                log("bind %s port %d: %s" % (addr, port, e))
                sys.exit(1)
            s.listen(1024)
            socks.append((s, role, arg))

    def handle(conn, role, arg):
        """Run one handler with a timeout; log and swallow its errors."""
        try:
            conn.settimeout(CONN_TIMEOUT)
            HANDLERS[role](conn, arg)
        except OSError as e:
            log("%s connection: %s" % (role, e))
        finally:
            conn.close()

    def acceptor(s, role, arg):
        """Accept connections on S forever, one thread each."""
        while True:
            try:
                conn, _ = s.accept()
            except OSError as e:
                log("accept: %s" % e)
                time.sleep(0.05)
                continue
            threading.Thread(target=handle, args=(conn, role, arg),
                             daemon=True).start()

    for s, role, arg in socks:
        threading.Thread(target=acceptor, args=(s, role, arg),
                         daemon=True).start()
    print("listening", flush=True)
    time.sleep(lifetime)
    return 0


# ----------------------------------------------------------------- clients

def cmd_send(args):
    """Stream BYTES to a sink-server and check the sha256 it answers."""
    want = stream_sha256(args.bytes)
    t0 = time.monotonic()
    s = connect(args.host, args.port, args.timeout)
    deadline = t0 + args.timeout
    for chunk in stream_chunks(args.bytes):
        s.sendall(chunk)
        if time.monotonic() > deadline:
            log("send: timeout after %.1fs" % args.timeout)
            return 1
    s.shutdown(socket.SHUT_WR)
    answer = recv_all(s, 1024).decode(errors="replace").strip()
    dt = time.monotonic() - t0
    s.close()
    print("MBps=%s sha=%s" % (fmt_rate(args.bytes, dt), answer), flush=True)
    if answer != want:
        log("send: sink got sha %r, sent %s" % (answer, want))
        return 1
    return 0


def cmd_recv(args):
    """Read BYTES from a source-server and compare with the stream."""
    t0 = time.monotonic()
    s = connect(args.host, args.port, args.timeout)
    deadline = t0 + args.timeout
    buf = bytearray(BLOCK)
    mv = memoryview(buf)
    exp = bytearray(base_block())
    block = 0
    fill = 0          # bytes of the current block already received
    total = 0
    while True:
        n = s.recv_into(mv[fill:])
        if n == 0:
            break
        if total + n > args.bytes:
            log("recv: more than %d bytes" % args.bytes)
            return 1
        fill += n
        total += n
        if fill == BLOCK or total == args.bytes:
            stream_block(block, exp)
            same = (buf == exp) if fill == BLOCK else \
                (buf[:fill] == exp[:fill])
            if not same:
                log("recv: data differs in block %d" % block)
                return 1
            block += 1
            fill = 0
        if time.monotonic() > deadline:
            log("recv: timeout after %.1fs (%d bytes)" % (args.timeout, total))
            return 1
    dt = time.monotonic() - t0
    s.close()
    print("MBps=%s bytes=%d compared=byte-for-byte" % (fmt_rate(total, dt),
                                                      total), flush=True)
    if total != args.bytes:
        log("recv: got %d bytes, expected %d" % (total, args.bytes))
        return 1
    return 0


def cmd_halfclose_client(args):
    """Send 100 KiB, shut down writing, expect the whole answer."""
    s = connect(args.host, args.port, args.timeout)
    for chunk in stream_chunks(HALF_REQUEST):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    data = recv_all(s, HALF_ANSWER + 1)
    s.close()
    want = b"".join(bytes(c) for c in stream_chunks(HALF_ANSWER))
    if data != want:
        log("halfclose: got %d bytes, expected %d%s" % (
            len(data), HALF_ANSWER,
            " (content differs)" if len(data) == HALF_ANSWER else ""))
        return 1
    print("halfclose ok bytes=%d" % len(data), flush=True)
    return 0


def cmd_reset_client(args):
    """Read from a reset-server: a reset must be seen, never a clean EOF.

    The server may abort before connect() has even returned here (the
    forwarder accepted, connected, and propagated the server's RST within
    microseconds): that is a reset seen too, just earlier.
    """
    try:
        s = connect(args.host, args.port, args.timeout)
    except ConnectionResetError:
        print("reset seen during connect", flush=True)
        return 0
    got = 0
    buf = bytearray(1 << 16)
    try:
        while True:
            n = s.recv_into(buf)
            if n == 0:
                log("reset-client: clean EOF after %d bytes, expected a reset"
                    % got)
                return 1
            got += n
    except ConnectionResetError:
        print("reset seen after %d bytes" % got, flush=True)
        return 0
    except socket.timeout:
        log("reset-client: no reset within %.1fs (%d bytes)"
            % (args.timeout, got))
        return 1
    finally:
        s.close()


def cmd_expect_reset(args):
    """Expect refusal, or a reset/close without any data, within timeout."""
    try:
        s = connect(args.host, args.port, args.timeout)
    except ConnectionRefusedError:
        print("refused", flush=True)
        return 0
    except ConnectionResetError:
        # The RST can arrive before a non-blocking connect is reaped.
        print("reset during connect", flush=True)
        return 0
    except socket.timeout:
        log("expect-reset: connect timed out")
        return 1
    try:
        data = s.recv(65536)
    except ConnectionResetError:
        print("reset", flush=True)
        return 0
    except socket.timeout:
        log("expect-reset: connection stayed open %.1fs" % args.timeout)
        return 1
    finally:
        s.close()
    if data:
        log("expect-reset: received %d bytes: %r" % (len(data), data[:80]))
        return 1
    print("closed without data", flush=True)
    return 0


def cmd_concurrent(args):
    """Open N echo connections at once, then check each round trip."""
    n = args.n
    barrier = threading.Barrier(n, timeout=args.timeout)
    results = [None] * n

    def one(i):
        """Connect, wait for all peers, send a payload, check the echo."""
        rng = random.Random(SEED + i)
        payload = rng.randbytes(rng.randint(1024, 64 * 1024))
        s = None
        try:
            s = connect(args.host, args.port, args.timeout)
        except OSError as e:
            results[i] = "connect: %s" % e
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            if results[i] is None:
                results[i] = "barrier broken (some connection failed)"
        if s is None or results[i] is not None:
            if s:
                s.close()
            return
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            back = recv_all(s, len(payload) + 1)
            if back == payload:
                results[i] = "ok"
            else:
                results[i] = "echo differs: sent %d got %d" % (len(payload),
                                                                len(back))
        except OSError as e:
            results[i] = "io: %s" % e
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + args.timeout * 2 + 5
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    good = sum(1 for r in results if r == "ok")
    print("concurrent ok=%d failed=%d" % (good, n - good), flush=True)
    shown = 0
    for i, r in enumerate(results):
        if r != "ok" and shown < 10:
            log("conn %d: %s" % (i, r or "did not finish"))
            shown += 1
    return 0 if good == n else 1


def cmd_hold(args):
    """Hold an echo connection open until the peer ends it or timeout.

    Checks one round trip first; exit 0 once the connection is closed or
    reset by the other side, 1 if it was still open after --timeout.
    """
    s = connect(args.host, args.port, args.timeout)
    try:
        s.sendall(b"ping\n")
        if recv_exact(s, 5) != b"ping\n":
            log("hold: echo round trip failed")
            return 1
        print("holding", flush=True)
        data = s.recv(65536)
        print("closed by peer" if not data else "unexpected data", flush=True)
        return 0 if not data else 1
    except ConnectionResetError:
        print("reset by peer", flush=True)
        return 0
    except socket.timeout:
        log("hold: still open after %.1fs" % args.timeout)
        return 1
    finally:
        s.close()


def cmd_pingpong(args):
    """N 1-byte request/response round trips on one echo connection.

    Prints "N round trips"; exit 1 if an answer is missing or wrong.
    """
    s = connect(args.host, args.port, args.timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(args.n):
            b = bytes([i & 0xFF])
            s.sendall(b)
            if recv_exact(s, 1, True) != b:
                log("pingpong: round trip %d: wrong answer" % i)
                return 1
        print("%d round trips" % args.n, flush=True)
        return 0
    finally:
        s.close()


def recv_exact(sock, n, strict=False):
    """Read exactly N bytes; less only at EOF, where STRICT raises
    ConnectionError instead."""
    parts = []
    want = n
    while n > 0:
        data = sock.recv(n)
        if not data:
            if strict:
                raise ConnectionError("EOF after %d of %d bytes"
                                      % (want - n, want))
            break
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def cmd_ident(args):
    """Print the ident-server line for HOST:PORT."""
    s = connect(args.host, args.port, args.timeout)
    data = recv_all(s, 4096)
    s.close()
    line = data.decode(errors="replace").strip()
    if not line:
        log("ident: no data")
        return 1
    print(line, flush=True)
    return 0


def cmd_wait_port(args):
    """Poll HOST:PORT every 50 ms until a connect succeeds or timeout."""
    deadline = time.monotonic() + args.timeout
    last = None
    while True:
        try:
            s = connect(args.host, args.port, 1.0)
            s.close()
            return 0
        except OSError as e:
            last = e
        if time.monotonic() >= deadline:
            log("wait-port %s %d: not accepting after %.1fs: %s"
                % (args.host, args.port, args.timeout, last))
            return 1
        time.sleep(0.05)


# -------------------------------------------------------------------- main

def build_parser():
    """Return the argparse parser for every subcommand."""
    p = argparse.ArgumentParser(prog="nstool", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def server(name, extra=None):
        """Add a single-port server subcommand."""
        sp = sub.add_parser(name)
        sp.add_argument("port", type=int)
        if extra:
            sp.add_argument(extra, type=parse_size)
        sp.add_argument("--addr", action="append")
        sp.add_argument("--lifetime", type=float, default=600)
        return sp

    server("echo-server")
    server("source-server", "bytes")
    server("sink-server")
    server("halfclose-server")
    server("reset-server")
    sp = sub.add_parser("ident-server")
    sp.add_argument("ports", type=int, nargs="+")
    sp.add_argument("--addr", action="append")
    sp.add_argument("--lifetime", type=float, default=600)
    sp = sub.add_parser("serve")
    sp.add_argument("specs", nargs="+", help="ROLE=PORT[,BYTES]")
    sp.add_argument("--addr", action="append")
    sp.add_argument("--lifetime", type=float, default=600)

    def client(name, with_bytes=False, timeout=60.0):
        """Add a client subcommand taking HOST PORT."""
        sp = sub.add_parser(name)
        if with_bytes:
            sp.add_argument("bytes", type=parse_size)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.add_argument("--timeout", type=float, default=timeout)
        return sp

    client("send", True, 120.0)
    client("recv", True, 120.0)
    client("halfclose-client", False, 20.0)
    client("reset-client", False, 10.0)
    client("expect-reset", False, 3.0)
    client("ident", False, 10.0)
    client("hold", False, 30.0)
    client("wait-port", False, 5.0)
    sp = client("concurrent", False, 30.0)
    sp.add_argument("n", type=int)
    sp = client("pingpong", False, 30.0)
    sp.add_argument("n", type=int)
    return p


def main(argv=None):
    """Parse arguments and run one subcommand; return the exit status."""
    args = build_parser().parse_args(argv)
    addrs = getattr(args, "addr", None) or ["127.0.0.1"]
    if args.cmd.endswith("-server") and args.cmd != "ident-server":
        role = args.cmd[:-len("-server")]
        return serve([(role, args.port, getattr(args, "bytes", None), addrs)],
                     args.lifetime)
    if args.cmd == "ident-server":
        return serve([("ident", p, None, addrs) for p in args.ports],
                     args.lifetime)
    if args.cmd == "serve":
        listeners = []
        for spec in args.specs:
            role, _, rest = spec.partition("=")
            port, _, extra = rest.partition(",")
            if role not in HANDLERS or not port:
                log("bad serve spec %r" % spec)
                return 2
            arg = parse_size(extra) if extra else None
            if role == "source" and arg is None:
                log("source needs ,BYTES")
                return 2
            listeners.append((role, int(port), arg, addrs))
        return serve(listeners, args.lifetime)
    handler = {
        "send": cmd_send,
        "recv": cmd_recv,
        "halfclose-client": cmd_halfclose_client,
        "reset-client": cmd_reset_client,
        "expect-reset": cmd_expect_reset,
        "concurrent": cmd_concurrent,
        "ident": cmd_ident,
        "hold": cmd_hold,
        "wait-port": cmd_wait_port,
        "pingpong": cmd_pingpong,
    }[args.cmd]
    try:
        return handler(args)
    except (OSError, ValueError) as e:
        log("%s %s:%s: %s" % (args.cmd, getattr(args, "host", "?"),
                              getattr(args, "port", "?"), e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
