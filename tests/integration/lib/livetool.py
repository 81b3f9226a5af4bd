# SPDX-License-Identifier: GPL-2.0-or-later
"""livetool - servers and clients of the test_live_*.sh integration tests.

DOC: Theory of Operation

The live tests change a running nsplice (auto scan, reload, ctl add and
remove, child restarts, limits) and must prove that connections opened
before the change survive it.  nstool.py has no client that can be told
"now" from outside, so this tool adds the ones that can: the test shell
creates a TRIGGER file at the moment of the change and the client, which
was polling for it, goes on (checks its connection again, speeds up, or
connects).  Progress is reported as lines on stdout ("ready", "started",
"waiting", "holding"...) that the shell waits for with a bounded grep
loop.

Subcommands:
  echo-server PORT LIFETIME ADDR...   echo on PORT of each ADDR; SIGUSR1
                          stops listening, open connections go on
  hold HOST PORT TRIGGER TIMEOUT      round trip, "ready", wait for TRIGGER,
                          round trip again on the same connection
  paced BYTES HOST PORT TRIGGER TIMEOUT   read the nstool stream slowly
                          (one block per pause) until TRIGGER, then at full
                          speed; every block compared byte for byte
  trigger-echo HOST PORT TRIGGER TIMEOUT  "waiting", connect the moment
                          TRIGGER exists, one round trip, say how fast
  many HOST PORT N EXPECT_FIRST FIRST_WAIT TRIGGER REST_WAIT
                          N echo connections at once: how many are served
                          at first, then (after TRIGGER, "-" for none) the
                          first ones close and every other must be served
  churn HOST PORT TRIGGER TIMEOUT     one connection after another to an
                          nstool ident or echo server, "started" after the
                          first,
                          until TRIGGER exists (at most TIMEOUT s); every
                          one must be answered; says which ports answered
  idle HOST PORT TIMEOUT KEEP         an idle and an active connection: the
                          idle one must close TIMEOUT s after it fell idle
  status-lines [--procs] FILE         `nsplice ctl status --json` (FILE,
                          "-" for stdin) as one line per forward/process
  status-fields FILE PORT PROTO FAMILY FIELD...
                          the FIELDs (JSON member names, or a UDP drop
                          reason: "refused" is the drop reason, not the
                          forward's total) of the forward on PORT, PROTO
                          tcp|udp, FAMILY ipv4|ipv6, on one line
  raw SOCKET LINE         send LINE on a control socket, print the answer

Every socket has a timeout and every wait a deadline, so a hung nsplice
makes a subcommand fail, never hang.  Exit status 0 means the check passed,
1 that it failed (the reason on stdout, prefixed "livetool: ", because the
tests keep stdout as their evidence), 2 a usage error.  Standard library
only; the deterministic stream comes from nstool.py beside this file.
"""

import argparse
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time

import nstool

# CHURN_MAX - connections of one churn run at most
CHURN_MAX = 20000
# CHURN_HELLO - what a churn connection sends: an echo server returns it
CHURN_HELLO = b"churn\n"

# TRIGGER_POLL_S - how often a waiting client looks for its trigger, s
TRIGGER_POLL_S = 0.05
# FAST_TRIGGER_POLL_S - the same for trigger-echo, which must connect
# within the restart back-off, s
FAST_TRIGGER_POLL_S = 0.005
# PACE_PAUSE_S - pause after each stream block while not in a hurry, s
PACE_PAUSE_S = 0.05
# SERVER_STEP_S - how often the echo server looks at its stop flag, s
SERVER_STEP_S = 0.05
# LISTEN_BACKLOG - listen(2) backlog of the echo server, connections
LISTEN_BACKLOG = 128
# ECHO_CHUNK - largest read of the echo server, bytes
ECHO_CHUNK = 65536
# MANY_CONNECT_S - connect timeout of each `many` connection, s
MANY_CONNECT_S = 5.0
# MANY_TRIGGER_S - longest wait of `many` for its trigger, s
MANY_TRIGGER_S = 30.0
# MANY_STEP_S - one select(2) round of `many`, s
MANY_STEP_S = 0.05
# MANY_TRIGGER_STEP_S - one pump round of `many` while waiting for the
# trigger, s
MANY_TRIGGER_STEP_S = 0.1
# IDLE_CONNECT_S - connect and first round trip timeout of `idle`, s
IDLE_CONNECT_S = 5.0
# IDLE_TRIP_EVERY_S - interval of the active connection's round trips, s
IDLE_TRIP_EVERY_S = 0.5
# IDLE_STEP_S - polling step of `idle`, s
IDLE_STEP_S = 0.02
# IDLE_EARLY_S - how much earlier than TIMEOUT the idle close may come, s
IDLE_EARLY_S = 0.3
# IDLE_LATE_S - how much later than TIMEOUT the idle close may come, s
IDLE_LATE_S = 2.0
# SMALL_READ - read size for the short echo lines, bytes
SMALL_READ = 100
# RAW_TIMEOUT_S - whole exchange on the control socket, s
RAW_TIMEOUT_S = 10.0


def say(line):
    """say() - print one progress or result line on stdout, flushed.

    @line: the text, without newline.
    Return: None.
    """
    print(line, flush=True)


def wait_trigger(trigger, deadline, step=TRIGGER_POLL_S):
    """wait_trigger() - wait until the file TRIGGER exists.

    @trigger: path the test shell creates at the moment of its change.
    @deadline: time.monotonic() value after which to give up.
    @step: polling interval, s.
    Return: None; raises OSError if the trigger never came.
    """
    while not os.path.exists(trigger):
        if time.monotonic() > deadline:
            raise OSError("trigger %s never came" % trigger)
        time.sleep(step)


def round_trip(sock, msg):
    """round_trip() - send MSG on an echo connection, expect it back.

    @sock: connected socket with a timeout.
    @msg: bytes to send.
    Return: None; raises OSError if the echo is short or differs.
    """
    sock.sendall(msg)
    got = b""
    while len(got) < len(msg):
        data = sock.recv(len(msg) - len(got))
        if not data:
            raise OSError("connection closed (%d of %d bytes back)"
                          % (len(got), len(msg)))
        got += data
    if got != msg:
        raise OSError("echo differs: %r" % got)


# ------------------------------------------------------------ echo-server

def echo_conn(conn):
    """echo_conn() - echo one connection until EOF or error, then close.

    @conn: accepted socket (with a timeout).
    Return: None; errors end the connection only, never the server.
    """
    try:
        while True:
            data = conn.recv(ECHO_CHUNK)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def acceptor(lsock, lifetime):
    """acceptor() - accept on LSOCK until it is closed, a thread per client.

    @lsock: listening socket.
    @lifetime: timeout of every accepted connection, s.
    Return: None, once LSOCK is shut down.
    """
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        conn.settimeout(lifetime)
        threading.Thread(target=echo_conn, args=(conn,), daemon=True).start()


def cmd_echo_server(args):
    """cmd_echo_server() - echo server that SIGUSR1 makes stop listening.

    nstool's servers listen until they exit; the auto-scan test needs a
    port that stops listening while the connections opened through it go
    on, to tell a removed forward from a broken flow.
    @args: port, lifetime (s), addrs.
    Return: 0 once the lifetime is over.
    """
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: stop.set())
    socks = []
    for addr in args.addrs:
        lsock = socket.socket(nstool.family_of(addr), socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((addr, args.port))
        lsock.listen(LISTEN_BACKLOG)
        socks.append(lsock)
    for lsock in socks:
        threading.Thread(target=acceptor, args=(lsock, args.lifetime),
                         daemon=True).start()
    say("listening pid=%d" % os.getpid())
    end = time.monotonic() + args.lifetime
    while not stop.wait(SERVER_STEP_S):
        if time.monotonic() > end:
            return 0
    for lsock in socks:
        lsock.shutdown(socket.SHUT_RDWR)
        lsock.close()
    say("stopped listening")
    while time.monotonic() < end:
        time.sleep(SERVER_STEP_S)
    return 0


# ---------------------------------------------------------------- clients

def cmd_hold(args):
    """cmd_hold() - one connection that must survive the test's change.

    @args: host, port, trigger, timeout (s, per step and for the trigger).
    Return: 0 if the round trip after the trigger worked; raises OSError.
    """
    sock = nstool.connect(args.host, args.port, args.timeout)
    try:
        round_trip(sock, b"before\n")
        say("ready")
        wait_trigger(args.trigger, time.monotonic() + args.timeout)
        round_trip(sock, b"after the trigger\n")
    finally:
        sock.close()
    say("alive after the trigger")
    return 0


def cmd_churn(args):
    """cmd_churn() - new connections, one at a time, across a change.

    Each connection sends CHURN_HELLO, half-closes and must bring an
    nstool ident line ("port=P ...", counted as P) or the echo of
    CHURN_HELLO (counted as "echo"), then EOF: a refused, reset or silent
    one is a client the change turned away.  The loop runs until the TRIGGER file exists, at most TIMEOUT s
    and CHURN_MAX connections.
    @args: host, port, trigger, timeout (s).
    Return: 0 if every connection was answered; 1 otherwise.
    """
    deadline = time.monotonic() + args.timeout
    seen, failed, n, first = [], 0, 0, ""
    while (n < CHURN_MAX and time.monotonic() < deadline and
           not os.path.exists(args.trigger)):
        n += 1
        try:
            sock = nstool.connect(args.host, args.port, 5)
            try:
                sock.sendall(CHURN_HELLO)
                sock.shutdown(socket.SHUT_WR)
                line = nstool.recv_all(sock, 1 << 12)
            finally:
                sock.close()
            if line == CHURN_HELLO:
                port = "echo"
            elif line.startswith(b"port="):
                port = line.split()[0][len("port="):].decode()
            else:
                raise ValueError("answer %r" % line)
            if not seen or seen[-1] != port:
                seen.append(port)
        except (OSError, ValueError) as e:
            failed += 1
            first = first or "%s: %s" % (type(e).__name__, e)
        if n == 1:
            say("started")
    say("connections %d failed %d ports %s%s" %
        (n, failed, ",".join(seen), " first failure: " + first if first
         else ""))
    return 1 if failed or not os.path.exists(args.trigger) else 0


def recv_block(sock, view, want, deadline):
    """recv_block() - read up to WANT bytes into VIEW, less only at EOF.

    @sock: connected socket with a timeout.
    @view: memoryview of at least WANT bytes.
    @want: bytes wanted.
    @deadline: time.monotonic() value of the whole transfer.
    Return: bytes read; raises OSError once the deadline has passed.
    """
    fill = 0
    while fill < want:
        n = sock.recv_into(view[fill:want])
        if n == 0:
            break
        fill += n
        if time.monotonic() > deadline:
            raise OSError("timeout in a block after %d of its bytes" % fill)
    return fill


def cmd_paced(args):
    """cmd_paced() - a download that is still running when the test acts.

    Reads the nstool stream one block per PACE_PAUSE_S until the trigger
    exists, then at full speed; nstool recv would be done before the change.
    Prints "started" after the first good block.
    @args: bytes, host, port, trigger, timeout (s, whole transfer).
    Return: 0 if exactly BYTES came, all equal to the stream; raises OSError.
    """
    deadline = time.monotonic() + args.timeout
    sock = nstool.connect(args.host, args.port, args.timeout)
    buf = bytearray(nstool.BLOCK)
    exp = bytearray(nstool.base_block())
    got = block = 0
    hurry = False
    try:
        while True:
            # One byte beyond the expected total shows a stream too long.
            n = recv_block(sock, memoryview(buf),
                           min(nstool.BLOCK, args.bytes - got + 1), deadline)
            if n == 0:
                break
            got += n
            if got > args.bytes:
                raise OSError("more than %d bytes" % args.bytes)
            nstool.stream_block(block, exp)
            if buf[:n] != exp[:n]:
                raise OSError("data differs in block %d" % block)
            if block == 0:
                say("started")
            block += 1
            if not hurry:
                hurry = os.path.exists(args.trigger)
                if not hurry:
                    time.sleep(PACE_PAUSE_S)
    finally:
        sock.close()
    if got != args.bytes:
        raise OSError("got %d bytes, expected %d" % (got, args.bytes))
    say("complete bytes=%d compared=byte-for-byte" % got)
    return 0


def cmd_trigger_echo(args):
    """cmd_trigger_echo() - connect the moment the trigger appears.

    Started before a child is killed, so the connection is attempted
    inside the restart back-off, which a shell could not do in time.
    @args: host, port, trigger, timeout (s, for the trigger and the socket).
    Return: 0 if the round trip worked; raises OSError.
    """
    say("waiting")
    wait_trigger(args.trigger, time.monotonic() + args.timeout,
                 FAST_TRIGGER_POLL_S)
    t0 = time.monotonic()
    sock = nstool.connect(args.host, args.port, args.timeout)
    t1 = time.monotonic()
    try:
        round_trip(sock, b"during the restart\n")
    finally:
        sock.close()
    say("connected %.0f ms after the kill, echo after %.0f ms"
        % ((t1 - t0) * 1000, (time.monotonic() - t0) * 1000))
    return 0


class Many:
    """Many - N echo connections and which of them got their echo."""

    def __init__(self, host, port, n):
        """__init__() - connect N clients, each sends "ping I".

        @host: address to connect to.
        @port: port to connect to.
        @n: number of connections.
        Return: None; raises OSError if a connect fails.
        """
        self.socks = [socket.create_connection((host, port), MANY_CONNECT_S)
                      for _ in range(n)]
        say("connected=%d" % len(self.socks))
        self.sel = selectors.DefaultSelector()
        self.got = {i: b"" for i in range(n)}
        self.served = set()
        for i, sock in enumerate(self.socks):
            sock.sendall(b"ping %d\n" % i)
            sock.setblocking(False)
            self.sel.register(sock, selectors.EVENT_READ, i)

    def read_one(self, i, close_served):
        """read_one() - take what connection I has; note it if served.

        @i: connection index.
        @close_served: close the connection once its echo is complete.
        Return: None; raises OSError on reset or EOF before the echo.
        """
        try:
            data = self.socks[i].recv(SMALL_READ)
        except ConnectionError as e:
            raise OSError("connection %d: %s" % (i, e))
        if not data:
            raise OSError("connection %d closed before its echo" % i)
        self.got[i] += data
        if self.got[i] == b"ping %d\n" % i:
            self.served.add(i)
            self.sel.unregister(self.socks[i])
            if close_served:
                self.socks[i].close()

    def pump(self, until, close_served=False):
        """pump() - read echoes until all are served or UNTIL passes.

        @until: time.monotonic() deadline.
        @close_served: close each connection once served.
        Return: None.
        """
        while len(self.served) < len(self.socks) and time.monotonic() < until:
            for key, _ in self.sel.select(MANY_STEP_S):
                self.read_one(key.data, close_served)

    def close(self, which):
        """close() - close the connections of the index set WHICH.

        @which: iterable of connection indexes.
        Return: None.
        """
        for i in which:
            self.socks[i].close()


def cmd_many(args):
    """cmd_many() - N clients at once against a connection limit.

    Reports served_first (echoes within FIRST_WAIT), after the trigger
    served_before_close, then closes the served ones; from there each client
    leaves once served, as short requests do, so the waiting ones get the
    slots in turn; served_total is printed last.
    @args: host, port, n, expect_first (-1: any), first_wait (s), trigger
    ("-": none), rest_wait (s).
    Return: 0 if all N were served (and EXPECT_FIRST of them at first).
    """
    many = Many(args.host, args.port, args.n)
    many.pump(time.monotonic() + args.first_wait)
    first = set(many.served)
    say("served_first=%d" % len(first))
    if args.trigger != "-":
        end = time.monotonic() + MANY_TRIGGER_S
        while not os.path.exists(args.trigger) and time.monotonic() < end:
            many.pump(time.monotonic() + MANY_TRIGGER_STEP_S)
        say("served_before_close=%d" % len(many.served))
    many.close(first)
    many.close(many.served - first)
    many.pump(time.monotonic() + args.rest_wait, True)
    say("served_total=%d" % len(many.served))
    many.close(set(range(args.n)) - many.served)
    if len(many.served) != args.n:
        return 1
    if args.expect_first >= 0 and len(first) != args.expect_first:
        return 1
    return 0


def idle_closed(sock):
    """idle_closed() - has the peer closed the idle connection SOCK?

    @sock: non-blocking socket that must never receive data.
    Return: True on EOF or reset, False if still open; raises OSError if
    data came.
    """
    try:
        data = sock.recv(SMALL_READ)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    if data:
        raise OSError("idle connection got data %r" % data)
    return True


def cmd_idle(args):
    """cmd_idle() - when is an idle connection closed, an active one not?

    @args: host, port, timeout (the --idle-timeout, s), keep (how long to
    watch, s).
    Return: 0 if the idle connection closed within
    [TIMEOUT - IDLE_EARLY_S, TIMEOUT + IDLE_LATE_S] and the active one kept
    working for KEEP s; raises OSError if the active one failed.
    """
    quiet = socket.create_connection((args.host, args.port), IDLE_CONNECT_S)
    busy = socket.create_connection((args.host, args.port), IDLE_CONNECT_S)
    for sock in (quiet, busy):
        round_trip(sock, b"hello\n")
    t0 = time.monotonic()
    say("open")
    quiet.setblocking(False)
    closed_at = None
    trips = 0
    next_trip = t0
    while time.monotonic() - t0 < args.keep:
        now = time.monotonic()
        if now >= next_trip:
            try:
                round_trip(busy, b"tick\n")
            except OSError as e:
                raise OSError("active connection: round trip %d failed "
                              "after %.1f s: %s" % (trips, now - t0, e))
            trips += 1
            next_trip += IDLE_TRIP_EVERY_S
        if closed_at is None and idle_closed(quiet):
            closed_at = time.monotonic() - t0
        time.sleep(IDLE_STEP_S)
    say("idle_closed_after=%s active_trips=%d over %.1f s" % (
        "never" if closed_at is None else "%.2f" % closed_at, trips,
        args.keep))
    if closed_at is None or closed_at < args.timeout - IDLE_EARLY_S or \
            closed_at > args.timeout + IDLE_LATE_S:
        return 1
    return 0


# ---------------------------------------------------------- control socket

def cmd_status_lines(args):
    """cmd_status_lines() - `ctl status --json` as lines awk can read.

    "fwd OPT SIDE ADDR PORT TADDR SOURCE TPORT OPEN ACCEPTED REFUSED ERRORS
    TO_SERVER TO_CLIENT" per forward, then "proc NAME|PID|STATE|RESTARTS"
    per process; with --procs only "NAME|PID|STATE|RESTARTS".
    @args: file ("-": stdin), procs.
    Return: 0; raises ValueError/KeyError on a malformed report.
    """
    if args.file == "-":
        status = json.load(sys.stdin)
    else:
        with open(args.file, encoding="utf-8") as f:
            status = json.load(f)
    if not args.procs:
        for f in status["forwards"]:
            say("fwd %s %s %s %d %s %s %d %d %d %d %d %d %d" % (
                f["opt"], f["side"], f["listen_address"], f["listen_port"],
                f["target_address"], f["source"], f["target_port"],
                f["open"], f["accepted"], f["refused"], f["errors"],
                f["bytes_to_server"], f["bytes_to_client"]))
    for p in status["processes"]:
        say("%s%s|%d|%s|%d" % ("" if args.procs else "proc ", p["name"],
                               p["pid"], p["state"], p["restarts"]))
    return 0


# DROP_REASONS - the UDP drop reasons of `ctl status --json` ("drops")
DROP_REASONS = ("no_socket", "flow_limit", "buffer_full", "refused",
                "truncated", "bad_source")


def cmd_status_fields(args):
    """cmd_status_fields() - fields of one forward of `ctl status --json`.

    A name in DROP_REASONS reads that drop counter (so "refused" is the
    reason, not the forward's total of dropped datagrams); one the report
    lacks (an older nsplice) reads 0, so a test run against an older
    binary shows what that binary does rather than a missing key.  Any
    other field must be there.
    @args: file ("-": stdin), port, proto, family, fields.
    Return: 0, 1 if no such forward; raises KeyError on a missing field.
    """
    if args.file == "-":
        status = json.load(sys.stdin)
    else:
        with open(args.file, encoding="utf-8") as f:
            status = json.load(f)
    for f in status["forwards"]:
        if f["listen_port"] != args.port or f["family"] != args.family or \
                f.get("protocol", "tcp") != args.proto:
            continue
        drops = f.get("drops", {})
        say(" ".join(str(drops.get(k, 0) if k in DROP_REASONS else f[k])
                     for k in args.fields))
        return 0
    say("livetool: no %s %s forward on port %d" % (args.proto, args.family,
                                                   args.port))
    return 1


def cmd_raw(args):
    """cmd_raw() - send one raw request line, print the whole answer.

    `nsplice ctl` only sends what it can parse; this reaches the server's
    own validation.
    @args: socket (path), line.
    Return: 0 once the server closed; raises OSError on timeout.
    """
    deadline = time.monotonic() + RAW_TIMEOUT_S
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(RAW_TIMEOUT_S)
    try:
        sock.connect(args.socket)
        sock.sendall(args.line.encode() + b"\n")
        answer = b""
        while True:
            data = sock.recv(ECHO_CHUNK)
            if not data:
                break
            answer += data
            if time.monotonic() > deadline:
                raise OSError("answer not complete after %.0f s"
                              % RAW_TIMEOUT_S)
    finally:
        sock.close()
    sys.stdout.write(answer.decode(errors="replace"))
    return 0


# -------------------------------------------------------------------- main

def client_parser(sub, name, func, *extra):
    """client_parser() - add a subcommand taking HOST PORT, then EXTRA.

    @sub: the argparse subparsers object.
    @name: subcommand name.
    @func: its cmd_*() function.
    @extra: (name, type) of each further positional argument.
    Return: the new parser.
    """
    sp = sub.add_parser(name)
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    for arg, kind in extra:
        sp.add_argument(arg, type=kind)
    sp.set_defaults(func=func)
    return sp


def build_parser():
    """build_parser() - the argparse parser of every subcommand.

    Return: the parser.
    """
    p = argparse.ArgumentParser(prog="livetool", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("echo-server")
    sp.add_argument("port", type=int)
    sp.add_argument("lifetime", type=float)
    sp.add_argument("addrs", nargs="+")
    sp.set_defaults(func=cmd_echo_server)
    trig = (("trigger", str), ("timeout", float))
    client_parser(sub, "hold", cmd_hold, *trig)
    client_parser(sub, "trigger-echo", cmd_trigger_echo, *trig)
    sp = sub.add_parser("paced")
    sp.add_argument("bytes", type=nstool.parse_size)
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    for arg, kind in trig:
        sp.add_argument(arg, type=kind)
    sp.set_defaults(func=cmd_paced)
    client_parser(sub, "many", cmd_many, ("n", int), ("expect_first", int),
                  ("first_wait", float), ("trigger", str),
                  ("rest_wait", float))
    client_parser(sub, "churn", cmd_churn, *trig)
    client_parser(sub, "idle", cmd_idle, ("timeout", float), ("keep", float))
    sp = sub.add_parser("status-lines")
    sp.add_argument("--procs", action="store_true")
    sp.add_argument("file")
    sp.set_defaults(func=cmd_status_lines)
    sp = sub.add_parser("status-fields")
    sp.add_argument("file")
    sp.add_argument("port", type=int)
    sp.add_argument("proto", choices=("tcp", "udp"))
    sp.add_argument("family", choices=("ipv4", "ipv6"))
    sp.add_argument("fields", nargs="+")
    sp.set_defaults(func=cmd_status_fields)
    sp = sub.add_parser("raw")
    sp.add_argument("socket")
    sp.add_argument("line")
    sp.set_defaults(func=cmd_raw)
    return p


def main(argv=None):
    """main() - parse the arguments and run one subcommand.

    @argv: arguments (default sys.argv[1:]).
    Return: the exit status: 0 passed, 1 failed, 2 usage error.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError, KeyError) as e:
        say("livetool: %s: %s: %s" % (args.cmd, type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
