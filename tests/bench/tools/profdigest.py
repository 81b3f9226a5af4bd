#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# profdigest.py - digest the extra runs of run.sh --profile into metrics
#
# Theory of operation: run.sh --profile repeats, after the measured
# rounds, one single-stream transfer each way and one pinned latency run
# per forwarder under perf, and one more transfer while ss samples the
# sockets.  This script turns what those runs left behind into
# "metric value" lines, which run.sh appends to raw.tsv (round 1) so that
# report.py can tabulate them beside the plain figures:
#
#   syscalls DATA DIV [SNAP HPORT NPORT]
#       DATA: perf record of raw_syscalls:sys_enter and
#       syscalls:sys_{enter,exit}_splice on the forwarder's data-path
#       processes.  Prints "sys.NAME X" (calls of each syscall / DIV,
#       i.e. per GB or per round trip), "sys.total X", "sys.lost N" (events
#       perf lost: then the counts are low).  With SNAP (the files the
#       watch subcommand wrote during the transfer), every splice is classified
#       by the socket it reads from or writes to: "read.client" (socket → pipe on the socket facing the
#       client), "write.server", "read.server", "write.client", each with
#       calls per DIV, share returning EAGAIN, and the bytes moved per
#       successful call: mean, p10, median, p90, max and a histogram
#       (share of successful calls per size class).
#   sched CSV DIV
#       CSV: perf stat -a -x, of sched:sched_wakeup(_new) and
#       sched:sched_switch, machine-wide: "wakeups X" and "switches X"
#       per DIV.
#   ss HOSTFILE NSFILE HPORT NPORT
#       ss -Htnmi samples (blocks opened by a "#" line) from the host and
#       the namespace.  The data connection's sockets are given roles:
#       on the host "client" (peer port HPORT) and "fwd-in" (local port
#       HPORT, the forwarder's accepted socket); in the namespace
#       "fwd-out" (peer port NPORT; "client" for direct, which has no
#       host side) and "server" (local port NPORT).  For each role prints
#       median and max of Recv-Q, Send-Q and skmem r (receive memory),
#       rb (receive buffer), t (transmit memory), tb (send buffer),
#       w (queued for sending) and notsent, over the samples.
#   watch SNAP NSPID SECONDS PID...
#       during a transfer, until SIGTERM or SECONDS: every WATCH_PERIOD
#       the descriptors of PIDs, and whenever a socket not seen before
#       appears among them, the TCP sockets of the host and of the
#       namespace of process NSPID (/proc/PID/net/tcp{,6}: ports and
#       inodes, read in-process, no ss or ip netns exec to fork).  Writes
#       SNAP.fds ("pid fd target", every pairing seen), SNAP.host.tcp and
#       SNAP.ns.tcp.  A single snapshot mid-run missed the data connection
#       when the client started late on a loaded machine.
import os
import re
import signal
import statistics
import subprocess
import sys
import time

# UNISTD - where the syscall numbers of this architecture are named
UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

# EAGAIN - errno of a non-blocking call that found nothing to do
EAGAIN = 11

# WATCH_PERIOD - how often watch lists the descriptors, s
WATCH_PERIOD = 0.05

# SIZE_CLASSES - histogram of bytes per splice: (label, upper bound,
# exclusive), in bytes
SIZE_CLASSES = [("<4K", 4096), ("4K-16K", 16384), ("16K-64K", 65536),
                ("64K-128K", 131072), ("128K-256K", 262144),
                (">=256K", float("inf"))]


def syscall_names():
    """Syscall number -> name, from the kernel headers (empty if absent)."""
    names = {}
    try:
        with open(UNISTD) as f:
            for line in f:
                m = re.match(r"#define __NR_(\w+)\s+(\d+)", line)
                if m:
                    names[int(m.group(2))] = m.group(1)
    except OSError:
        pass
    return names


def perf_script(data):
    """Lines "pid event trace" of a perf.data file."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "pid,event,trace"],
                         capture_output=True, text=True, check=False)
    return out.stdout.splitlines()


def perf_lost(data):
    """Events perf lost while recording (0 when none or unknown)."""
    out = subprocess.run(["perf", "report", "-i", data, "--stats"],
                         capture_output=True, text=True, check=False)
    m = re.search(r"LOST events:\s*(\d+)", out.stdout)
    lost = int(m.group(1)) if m else 0
    m = re.search(r"LOST_SAMPLES events:\s*(\d+)", out.stdout)
    return lost + (int(m.group(1)) if m else 0)


def tcp_port(addr):
    """Port of a /proc/net/tcp address ("0100007F:4E21")."""
    return int(addr.rsplit(":", 1)[1], 16)


def socket_roles(snap, hport, nport):
    """Socket inode -> "client" / "server": the side a forwarder's socket
    faces (its accepted socket on HPORT, on the host, faces the client;
    its connection to NPORT, in the namespace, faces the server)."""
    roles = {}
    for side, port in (("host", int(hport)), ("ns", int(nport))):
        try:
            lines = open(f"{snap}.{side}.tcp").read().splitlines()
        except OSError:
            continue
        for line in lines:
            f = line.split()
            # sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            if len(f) < 10 or not f[0].endswith(":"):
                continue
            if side == "host" and tcp_port(f[1]) == port:
                roles[f[9]] = "client"
            elif side == "ns" and tcp_port(f[2]) == port:
                roles[f[9]] = "server"
    return roles


def fd_classes(fdmap, roles):
    """(pid, fd) -> "client" / "server" / "pipe" from the FDMAP file."""
    out = {}
    try:
        lines = open(fdmap).read().splitlines()
    except OSError:
        return out
    for line in lines:
        f = line.split()
        if len(f) != 3:
            continue
        m = re.match(r"socket:\[(\d+)\]", f[2])
        if (f[0], int(f[1])) in out and \
                not (m and m.group(1) in roles) and not f[2].startswith("pipe:"):
            continue	# a descriptor reused for something else: keep the leg
        if m and m.group(1) in roles:
            out[(f[0], int(f[1]))] = roles[m.group(1)]
        elif f[2].startswith("pipe:"):
            out[(f[0], int(f[1]))] = "pipe"
    return out


def quantile(vals, q):
    """The q-quantile of sorted vals (nearest rank)."""
    return vals[min(len(vals) - 1, int(q * len(vals)))]


def splice_metrics(legs, div):
    """Metric lines for the classified splices of each leg."""
    out = []
    for leg, rets in sorted(legs.items()):
        ok = sorted(r for r in rets if r > 0)
        out.append((f"splice.{leg}.calls", len(rets) / div))
        out.append((f"splice.{leg}.eagain_share",
                    sum(1 for r in rets if r == -EAGAIN) / len(rets)))
        if not ok:
            continue
        out.append((f"splice.{leg}.bytes_mean", sum(ok) / len(ok)))
        for q, name in ((0.1, "p10"), (0.5, "median"), (0.9, "p90")):
            out.append((f"splice.{leg}.bytes_{name}", quantile(ok, q)))
        out.append((f"splice.{leg}.bytes_max", ok[-1]))
        lo = 0
        for label, hi in SIZE_CLASSES:
            n = sum(1 for r in ok if lo <= r < hi)
            out.append((f"splice.{leg}.hist.{label}", n / len(ok)))
            lo = hi
    return out


def cmd_syscalls(args):
    """syscalls DATA DIV [SNAP HPORT NPORT]: syscall and splice metrics."""
    data, div = args[0], float(args[1])
    names = syscall_names()
    counts, legs, pending = {}, {}, {}
    classes = {}
    if len(args) >= 5:
        roles = socket_roles(args[2], args[3], args[4])
        classes = fd_classes(args[2] + ".fds", roles)
    for line in perf_script(data):
        f = line.split(None, 2)
        if len(f) < 3:
            continue
        pid, ev, tr = f
        if ev.startswith("raw_syscalls:sys_enter"):
            m = re.match(r"NR (\d+)", tr)
            if m:
                name = names.get(int(m.group(1)), "nr" + m.group(1))
                counts[name] = counts.get(name, 0) + 1
        elif ev.startswith("syscalls:sys_enter_splice"):
            fin = re.search(r"fd_in: (0x[0-9a-f]+)", tr)
            fout = re.search(r"fd_out: (0x[0-9a-f]+)", tr)
            if fin and fout:
                pending[pid] = (int(fin.group(1), 16), int(fout.group(1), 16))
        elif ev.startswith("syscalls:sys_exit_splice") and pid in pending:
            fin, fout = pending.pop(pid)
            ret = int(tr.strip(), 16)
            if ret >= 1 << 63:
                ret -= 1 << 64
            cin = classes.get((pid, fin))
            cout = classes.get((pid, fout))
            if cin in ("client", "server") and cout == "pipe":
                leg = "read." + cin
            elif cout in ("client", "server") and cin == "pipe":
                leg = "write." + cout
            else:
                leg = "other" if classes else "all"
            legs.setdefault(leg, []).append(ret)
    for name, n in sorted(counts.items()):
        print(f"sys.{name} {n / div:.6g}")
    print(f"sys.total {sum(counts.values()) / div:.6g}")
    print(f"sys.lost {perf_lost(data)}")
    for k, v in splice_metrics(legs, div):
        print(f"{k} {v:.6g}")


def cmd_sched(args):
    """sched CSV DIV: machine-wide wake-ups and switches per DIV."""
    path, div = args[0], float(args[1])
    wake = sw = 0
    with open(path) as f:
        for line in f:
            c = line.split(",")
            if len(c) < 3 or not c[0].strip().isdigit():
                continue
            if c[2].startswith("sched:sched_wakeup"):
                wake += int(c[0])
            elif c[2].startswith("sched:sched_switch"):
                sw += int(c[0])
    print(f"wakeups {wake / div:.6g}")
    print(f"switches {sw / div:.6g}")


SKMEM = ("r", "rb", "t", "tb", "w")


def parse_ss(path):
    """Samples: list of {(local, peer): fields} from an ss -Htnmi file."""
    samples, cur, key = [], None, None
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return samples
    for line in lines:
        if line.startswith("#"):
            cur = {}
            samples.append(cur)
            continue
        if cur is None or not line.strip():
            continue
        if not line[0].isspace():
            f = line.split()
            if len(f) >= 4 and f[0].isdigit():
                key = (f[2], f[3])
                # ss prints notsent only when it is not 0
                cur[key] = {"recvq": int(f[0]), "sendq": int(f[1]),
                            "notsent": 0}
            else:
                key = None
            continue
        if key is None:
            continue
        d = cur[key]
        m = re.search(r"skmem:\(([^)]*)\)", line)
        if m:
            for item in m.group(1).split(","):
                km = re.match(r"([a-z]+)(\d+)", item)
                if km and km.group(1) in SKMEM:
                    d[km.group(1)] = int(km.group(2))
        for fld in ("notsent", "bytes_acked", "bytes_received"):
            m = re.search(rf"\b{fld}:(\d+)", line)
            if m:
                d[fld] = int(m.group(1))
    return samples


def role_of(side, key, hport, nport, direct):
    """Role of the socket key (local, peer) seen on side, or None."""
    local, peer = key
    if side == "host":
        if peer.endswith(f":{hport}"):
            return "client"
        if local.endswith(f":{hport}"):
            return "fwd-in"
    else:
        if local.endswith(f":{nport}"):
            return "server"
        if peer.endswith(f":{nport}"):
            return "client" if direct else "fwd-out"
    return None


def cmd_ss(args):
    """ss HOSTFILE NSFILE HPORT NPORT: queue occupancy per socket role."""
    hostf, nsf, hport, nport = args[0], args[1], args[2], args[3]
    host = parse_ss(hostf)
    direct = not any(host)
    best = {}	# role -> (traffic, side, key)
    sides = {"host": host, "ns": parse_ss(nsf)}
    for side, samples in sides.items():
        for s in samples:
            for key, d in s.items():
                role = role_of(side, key, hport, nport, direct)
                if not role:
                    continue
                traffic = max(d.get("bytes_acked", 0), d.get("bytes_received", 0))
                if role not in best or traffic > best[role][0]:
                    best[role] = (traffic, side, key)
    for role, (_, side, key) in sorted(best.items()):
        rows = [s[key] for s in sides[side] if key in s]
        print(f"ss.{role}.samples {len(rows)}")
        for fld in ("recvq", "sendq") + SKMEM + ("notsent",):
            vals = [r[fld] for r in rows if fld in r]
            if vals:
                print(f"ss.{role}.{fld}.median {statistics.median(vals):.6g}")
                print(f"ss.{role}.{fld}.max {max(vals)}")


def fd_targets(pids):
    """{(pid, fd): target} of every descriptor of pids now."""
    out = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                out[(pid, fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
    return out


def tcp_tables(nspid):
    """(host, namespace) /proc/net/tcp and tcp6 text."""
    out = []
    for pid in ("self", nspid):
        text = ""
        for t in ("tcp", "tcp6"):
            try:
                with open(f"/proc/{pid}/net/{t}") as f:
                    text += f.read()
            except OSError:
                pass
        out.append(text)
    return out


def cmd_watch(args):
    """watch SNAP NSPID SECONDS PID...: descriptors and sockets seen."""
    snap, nspid, until, pids = args[0], args[1], float(args[2]), args[3:]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    seen, socks, tables = [], set(), []
    pairs = set()
    end = time.monotonic() + until
    while not stop and time.monotonic() < end:
        now = fd_targets(pids)
        new = {t for t in now.values() if t.startswith("socket:")} - socks
        for k, t in now.items():
            if (k, t) not in pairs:
                pairs.add((k, t))
                seen.append((k, t))
        if new:
            socks |= new
            tables.append(tcp_tables(nspid))
        time.sleep(WATCH_PERIOD)
    with open(f"{snap}.fds", "w") as out:
        for (pid, fd), t in seen:
            print(pid, fd, t, file=out)
    for i, side in enumerate(("host", "ns")):
        with open(f"{snap}.{side}.tcp", "w") as out:
            out.write("".join(t[i] for t in tables))


def main():
    """Dispatch the subcommand named by the first argument."""
    cmds = {"syscalls": (cmd_syscalls, 2), "sched": (cmd_sched, 2),
            "ss": (cmd_ss, 4), "watch": (cmd_watch, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            len(sys.argv) - 2 < cmds[sys.argv[1]][1]:
        sys.exit("usage: profdigest.py syscalls DATA DIV [SNAP HPORT NPORT]\n"
                 "       profdigest.py sched CSV DIV\n"
                 "       profdigest.py ss HOSTFILE NSFILE HPORT NPORT\n"
                 "       profdigest.py watch SNAP NSPID SECONDS PID...")
    cmds[sys.argv[1]][0](sys.argv[2:])


if __name__ == "__main__":
    main()
