# SPDX-License-Identifier: GPL-2.0-or-later
"""fakepeer - play a compromised peer on nsplice's IPC channels.

Two ways in:

  role ROLE CASE      start `nsplice --role=relay` (or `--role=agent
                      --side=host`) directly, exactly as the supervisor
                      does (channels on the fixed descriptors of
                      ipc/msg.h, the log pipe on fd 2, --parent=us), play
                      every peer it has, and send it one hostile CASE.
  inject PID FD CASE  take a duplicate of descriptor FD of the running
                      nsplice process PID (pidfd_getfd(), root only) -
                      one end of a live channel - and send CASE through
                      it, so the process at the other end (supervisor,
                      relay or agent) receives it inside a real run.

CASEs (CHANNEL is "sup" or "peer": the supervisor channel, fd 3, or the
relay/agent channel, fd 4, of the started role):
  short-header:CH   2 bytes, less than a header
  short-payload:CH  a header announcing 16 bytes, then 2
  oversized:CH      200 bytes, more than any message (MSG_TRUNC)
  unknown:CH        type 999
  wrong-dir:CH      a type that never travels this way
  missing-fd:CH     a type that needs a descriptor, without one
  extra-fd:CH       a type that takes none, with a socket attached
  flood:CH          valid messages as fast as the receiver takes them
                    for FLOOD_SECS (relay: NS_ADDRS from an agent; agent:
                    POOL_REQ from the relay, every socket read back)

A relay that receives a bad message from its agent does not end: it
closes that channel and reports AGENT_BAD; for those cases the output
says whether the report came, the channel closed, and the relay still
answers a configuration exchange.

Output: one JSON object: how the receiver ended (exit status, seconds),
the log lines it wrote, and for floods the message counts and its
descriptor count before and after.  Exit status 0 if the tool could run
the case, 2 on a usage error; judging is the caller's.
"""

import array
import ctypes
import json
import os
import socket
import struct
import sys
import threading
import time

from msgnums import MSG, NUMS   # type numbers and constants of ipc/msg.h

HDR = struct.Struct("<HH")
# The fixed descriptors of a started role (ipc/msg.h IPC_FD_*)
FD_LOG, FD_SUP = NUMS["IPC_FD_LOG"], NUMS["IPC_FD_SUPERVISOR"]
FD_PEER, FD_PEER2 = NUMS["IPC_FD_AGENT_HOST"], NUMS["IPC_FD_AGENT_TARGET"]
UNKNOWN_TYPE = 999      # no type: check_msgnums.py asserts it stays so
EXIT_WAIT = 5.0         # seconds a receiver gets to end after a bad message
FLOOD_SECS = 2.0
SYS_PIDFD_OPEN = 434
SYS_PIDFD_GETFD = 438
RUNAS = "65534:65534"   # nobody, as a root nsplice's relay would be


def u32(*v):
    """Little-endian u32 fields."""
    return struct.pack("<%dI" % len(v), *v)


def msg(mtype, payload=b""):
    """Header plus payload."""
    return HDR.pack(mtype, len(payload)) + payload


def forward(fid=1, port=1):
    """A valid msg_forward: host side listens on 127.0.0.1:PORT."""
    addr = socket.inet_aton("127.0.0.1") + bytes(12)
    return (struct.pack("<IBBBBHH", fid, 0, socket.AF_INET, 0, 0, port, port)
            + bytes(16) + addr + bytes(16))


def ns_addrs():
    """A valid msg_ns_addrs: IPv4 192.0.2.1 (TEST-NET-1)."""
    return struct.pack("<B3x", 1) + socket.inet_aton("192.0.2.1") + \
        bytes(12) + bytes(16)


def limits(version):
    """A valid msg_relay_limits for protocol VERSION (1: 4 fields; 4 adds
    udp_timeout, 5 busy_poll_us)."""
    fields = [1 << 20, 16384, 1, 0] + ([0] if version >= 2 else []) + \
        ([0] if version >= 4 else []) + ([0] if version >= 5 else [])
    return u32(*fields)


def count(n=0):
    """A msg_config_done (CONFIG_DONE, RELAY_READY, AGENT_READY): N."""
    return u32(n)


# BUILDERS - the payload functions a msg() call may use for each type
# instead of samples(); samples() calls each, so its length is checked.
BUILDERS = {"FORWARD": "forward", "BIND": "forward", "NS_ADDRS": "ns_addrs",
            "RELAY_LIMITS": "limits", "CONFIG_DONE": "count",
            "AGENT_READY": "count"}


def samples(version=NUMS["IPC_PROTO_VERSION"]):
    """A valid payload of each type this peer packs, by type name, for
    protocol VERSION.  check_msgnums.py compares each length with sizeof
    of the payload struct, for the current version."""
    return {"HELLO": u32(version, 0, 0, 0),
            "FORWARD": forward(), "BIND": forward(),
            "CONFIG_DONE": count(), "AGENT_READY": count(),
            "LISTENER": u32(1),
            "POOL_REQ": u32(socket.AF_INET, 1),
            "NS_ADDRS": ns_addrs(),
            "RELAY_LIMITS": limits(version),
            "RELAY_CHAN": u32(0), "AGENT_CHAN": u32(0),
            "AGENT_CONF": u32(0, 0, 0, 0),
            "POOL_ALLOW": u32(NUMS["POOL_ALLOW_V4"])}


def send_fds(sock, data, fds):
    """sendmsg() with FDS in one SCM_RIGHTS message."""
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
            array.array("i", fds).tobytes())] if fds else []
    return sock.sendmsg([data], anc)


def recv_msg(sock, timeout):
    """One message: (type, payload, fds), or None on timeout/EOF."""
    sock.settimeout(timeout)
    try:
        data, anc, _flags, _ = sock.recvmsg(4096, socket.CMSG_SPACE(64 * 4))
    except (socket.timeout, OSError):
        return None
    fds = []
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(cdata[:len(cdata) - len(cdata) % 4])
            fds.extend(a)
    if not data and not fds:
        return None
    t, _n = HDR.unpack(data[:4]) if len(data) >= 4 else (0, 0)
    return t, data[4:], fds


def fd_count(pid):
    """Open descriptors of PID, or -1."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


# ------------------------------------------------------------- the cases

def bad_message(role, chan, kind):
    """(bytes, fds) of hostile message KIND for ROLE on CHAN."""
    if kind == "short-header":
        return b"\x01\x00", []
    if kind == "short-payload":
        return HDR.pack(MSG["CONFIG_DONE"], 16) + b"\x00\x00", []
    if kind == "oversized":
        return msg(MSG["CONFIG_DONE"], bytes(196)), []
    if kind == "unknown":
        return msg(UNKNOWN_TYPE, u32(0)), []
    if kind == "wrong-dir":
        # HELLO only travels to the supervisor; POOL_REQ only to an agent;
        # LISTENER only to the relay; BIND only from the supervisor.
        t = {("relay", "sup"): "HELLO", ("relay", "peer"): "POOL_REQ",
             ("agent", "sup"): "LISTENER", ("agent", "peer"): "BIND"}
        name = t[(role, chan)]
        return msg(MSG[name], bytes(len(samples()[name]))), []
    if kind == "missing-fd":
        # LISTENER needs one.  Towards an agent, and from the supervisor
        # to the relay, no type of protocol 1 carries a descriptor, so
        # RELAY_CHAN / AGENT_CHAN of protocol 2 are used:
        # "missing descriptor" there, "unknown type" for protocol 1.
        # From the relay to an agent RELAY_CHAN is also the wrong
        # direction, which the validator checks first.
        if role == "relay" and chan == "peer":
            return msg(MSG["LISTENER"], samples()["LISTENER"]), []
        name = "RELAY_CHAN" if role == "agent" else "AGENT_CHAN"
        return msg(MSG[name], samples()[name]), []
    if kind == "extra-fd":
        a, b = socket.socketpair()
        b.close()
        payload = {("relay", "sup"): msg(MSG["CONFIG_DONE"], count()),
                   ("relay", "peer"): msg(MSG["NS_ADDRS"], ns_addrs()),
                   ("agent", "sup"): msg(MSG["CONFIG_DONE"], count()),
                   ("agent", "peer"): msg(MSG["POOL_REQ"],
                                          samples()["POOL_REQ"])}
        return payload[(role, chan)], [a.detach()]
    raise ValueError("unknown case " + kind)


class Child:
    """A role started the way spawn.c starts it, with fake peers."""

    def __init__(self, binary, role):
        self.role = role
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                 for _ in range(3 if role == "relay" else 2)]
        self.ours = [p[0] for p in pairs]
        theirs = [p[1] for p in pairs]
        rd, wr = os.pipe()
        argv = ["nsplice"]
        if role == "relay":
            argv += ["--role=relay", "--runas=" + RUNAS]
        else:
            argv += ["--role=agent", "--side=host"]
        argv += ["--log=2", "--parent=%d" % os.getpid()]
        # Park every source above the fixed numbers before dup2().
        high = [os.dup2(fd, 100 + i, inheritable=False)
                for i, fd in enumerate([wr] + [s.fileno() for s in theirs])]
        acts = [(os.POSIX_SPAWN_DUP2, high[0], FD_LOG)]
        acts += [(os.POSIX_SPAWN_DUP2, fd, FD_SUP + i)
                 for i, fd in enumerate(high[1:])]
        acts += [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                 (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)]
        self.pid = os.posix_spawn(binary, argv, {}, file_actions=acts)
        for fd in high + [wr]:
            os.close(fd)
        for s in theirs:
            s.close()
        self.log = []
        self.logfd = rd
        threading.Thread(target=self.read_log, daemon=True).start()
        self.status = None

    def read_log(self):
        """Collect the child's log lines (its only output)."""
        buf = b""
        while True:
            try:
                d = os.read(self.logfd, 4096)
            except OSError:
                return
            if not d:
                return
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.log.append(line.decode(errors="replace"))

    @property
    def sup(self):
        """Our end of its supervisor channel."""
        return self.ours[0]

    @property
    def peer(self):
        """Our end of its relay (agent) / agent host (relay) channel."""
        return self.ours[1]

    def expect(self, chan, mtype, timeout=5.0):
        """Read CHAN until a message of MTYPE arrives; True if it did."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = recv_msg(chan, end - time.monotonic())
            if m is None:
                return False
            for fd in m[2]:
                os.close(fd)
            if m[0] == mtype:
                return True
        return False

    def wait(self, timeout):
        """Wait up to TIMEOUT s for the child to end; its status or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            time.sleep(0.02)
        return None

    def kill(self):
        """SIGKILL and reap the child if it still runs."""
        if self.status is None:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            self.wait(2)


def relay_configure(c, version, port=1):
    """RELAY_LIMITS (once), FORWARD, CONFIG_DONE; True on RELAY_READY."""
    if version:
        c.sup.send(msg(MSG["RELAY_LIMITS"], limits(version)))
    c.sup.send(msg(MSG["FORWARD"], forward(port, port)))
    c.sup.send(msg(MSG["CONFIG_DONE"], count(1)))
    return c.expect(c.sup, MSG["RELAY_READY"])


def start(binary, role):
    """Start ROLE and read its HELLO; return (child, protocol version)."""
    c = Child(binary, role)
    m = recv_msg(c.sup, 5.0)
    hello = len(samples()["HELLO"])
    if not m or m[0] != MSG["HELLO"] or len(m[1]) != hello:
        c.kill()
        raise RuntimeError("no HELLO from %s: %r; log %r" % (role, m, c.log))
    version = struct.unpack("<IIII", m[1])[0]
    return c, version


def drain_peer(c, stop, counts):
    """Read (and close every descriptor of) what the child sends on its
    peer channel until STOP; count messages and descriptors."""
    while not stop.is_set():
        m = recv_msg(c.peer, 0.2)
        if m is None:
            continue
        counts["msgs"] += 1
        counts["fds"] += len(m[2])
        for fd in m[2]:
            os.close(fd)


def flood(c, role, version):
    """Valid messages as fast as taken; figures of the receiver."""
    out = {}
    if role == "relay":
        relay_configure(c, version, 1)
    elif version >= 2:
        # An agent makes pool sockets only after AGENT_CONF (scan off,
        # no keepalive), as the real supervisor sends it after HELLO.
        c.sup.send(msg(MSG["AGENT_CONF"], samples()["AGENT_CONF"]))
    if role != "relay" and version >= 3:
        # ... and only of the families POOL_ALLOW names (1: IPv4).
        c.sup.send(msg(MSG["POOL_ALLOW"], samples()["POOL_ALLOW"]))
    stop = threading.Event()
    counts = {"msgs": 0, "fds": 0}
    reader = threading.Thread(target=drain_peer, args=(c, stop, counts),
                              daemon=True)
    reader.start()
    time.sleep(0.3)
    out["fds_before"] = fd_count(c.pid)
    data = msg(MSG["NS_ADDRS"], ns_addrs()) if role == "relay" else \
        msg(MSG["POOL_REQ"], samples()["POOL_REQ"])
    c.peer.settimeout(0.05)
    sent = 0
    end = time.monotonic() + FLOOD_SECS
    while time.monotonic() < end:
        try:
            c.peer.send(data)
            sent += 1
        except socket.timeout:
            continue
        except OSError as e:
            out["send_error"] = str(e)
            break
    time.sleep(0.5)
    stop.set()
    reader.join(2)
    out["sent"] = sent
    out["answers"] = counts["msgs"]
    out["answer_fds"] = counts["fds"]
    out["fds_after"] = fd_count(c.pid)
    out["alive"] = c.wait(0) is None
    if role == "relay":
        out["responsive"] = relay_configure(c, 0, 2)
    else:
        c.sup.send(msg(MSG["CONFIG_DONE"], count()))
        out["responsive"] = c.expect(c.sup, MSG["AGENT_READY"])
    return out


def cmd_role(binary, role, case):
    """Run one CASE against a freshly started ROLE."""
    kind, _, chan = case.partition(":")
    c, version = start(binary, role)
    res = {"role": role, "case": case, "version": version}
    try:
        if kind == "flood":
            res.update(flood(c, role, version))
        else:
            if role == "relay":
                c.sup.send(msg(MSG["RELAY_LIMITS"], limits(version)))
            data, fds = bad_message(role, chan, kind)
            sock = c.sup if chan == "sup" else c.peer
            t0 = time.monotonic()
            send_fds(sock, data, fds)
            for fd in fds:
                os.close(fd)
            if role == "relay" and chan == "peer":
                # An agent's violation costs the relay that channel only:
                # it reports AGENT_BAD to the supervisor and goes on.
                res["agent_bad"] = c.expect(c.sup, MSG["AGENT_BAD"])
                res["peer_closed"] = peer_closed(c.peer)
                res["secs"] = round(time.monotonic() - t0, 2)
                res["status"] = c.wait(0.3)
                res["alive"] = res["status"] is None
                res["responsive"] = relay_configure(c, 0, 2)
            else:
                res["status"] = c.wait(EXIT_WAIT)
                res["secs"] = round(time.monotonic() - t0, 2)
    finally:
        c.kill()
        time.sleep(0.1)
    res["log"] = c.log[-6:]
    print(json.dumps(res, sort_keys=True), flush=True)
    return 0


def peer_closed(sock, timeout=2.0):
    """True once the other end closed SOCK (messages before are skipped)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sock.settimeout(max(end - time.monotonic(), 0.01))
        try:
            if not sock.recv(4096):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def pidfd_getfd(pid, fd):
    """A duplicate of descriptor FD of process PID."""
    libc = ctypes.CDLL(None, use_errno=True)
    pfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pfd < 0:
        raise OSError(ctypes.get_errno(), "pidfd_open")
    try:
        n = libc.syscall(SYS_PIDFD_GETFD, pfd, fd, 0)
        if n < 0:
            e = ctypes.get_errno()
            raise OSError(e, "pidfd_getfd: " + os.strerror(e))
        return n
    finally:
        os.close(pfd)


def cmd_inject(pid, fd, case):
    """Send CASE through a live channel end taken from PID."""
    kind, _, _ = case.partition(":")
    n = pidfd_getfd(pid, fd)
    sock = socket.socket(fileno=n)
    if kind == "unknown":
        data, fds = msg(UNKNOWN_TYPE, u32(0)), []
    elif kind == "oversized":
        data, fds = msg(MSG["CONFIG_DONE"], bytes(196)), []
    elif kind == "extra-fd":
        # AGENT_READY travels agent -> supervisor and carries no descriptor
        a, b = socket.socketpair()
        b.close()
        data, fds = msg(MSG["AGENT_READY"], count()), [a.detach()]
    else:
        raise ValueError("inject supports unknown, oversized, extra-fd")
    send_fds(sock, data, fds)
    for f in fds:
        os.close(f)
    sock.close()
    print(json.dumps({"pid": pid, "fd": fd, "case": case}), flush=True)
    return 0


def main(argv):
    """Dispatch; return the exit status."""
    if len(argv) == 4 and argv[0] == "role":
        binary = os.environ.get("NSPLICE", "")
        return cmd_role(binary, argv[1], argv[2] + ":" + argv[3]
                        if ":" not in argv[2] else argv[2])
    if len(argv) == 3 and argv[0] == "role":
        return cmd_role(os.environ.get("NSPLICE", ""), argv[1], argv[2])
    if len(argv) == 4 and argv[0] == "inject":
        return cmd_inject(int(argv[1]), int(argv[2]), argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
