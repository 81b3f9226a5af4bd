#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# procstat.py - CPU time, descriptors and memory of process trees
#
# Theory of operation: a forwarder is one or more process trees (nsplice:
# the supervisor and its three children; pasta: one process; proxyd and
# socat: one tree per forwarded port, socat with one child per
# connection).  Every subcommand takes the root pids, finds all their
# live descendants from /proc/PID/stat, and prints one line:
#
#   tree ROOT...  the pids, space separated (for pinning and clean-up)
#   cpu ROOT...   "ticks=T" - utime+stime+cutime+cstime summed over the
#                 tree, in clock ticks (cutime/cstime cover children that
#                 exited and were reaped, e.g. socat's per-connection
#                 processes), so before/after differences are the CPU
#                 time the forwarder spent in between
#   snap SRV ROOT...
#                 "ticks=T vcs=V nvcs=N srv_vcs=.. srv_nvcs=..": the cpu
#                 figure plus voluntary and involuntary context switches
#                 summed over every thread of the tree (/proc/PID/task/
#                 TID/status: /proc/PID/status counts the main thread
#                 only) and of process SRV alone (a server; 0: none).  A
#                 voluntary switch is the task blocking, so it is also
#                 the number of times it was woken.  Also "rqwait=W
#                 srv_rqwait=..": nanoseconds the same threads spent
#                 runnable but waiting for a CPU (/proc/PID/task/TID/
#                 schedstat, second field): a task queued behind another
#                 while a CPU idles is a pipeline bubble
#   relay ROOT... the pids of the processes titled "nsplice: relay"
#   mem ROOT...   "procs=N fds=F rss_kib=R pss_kib=P relay_fds=..
#                 relay_rss_kib=.. relay_pss_kib=.." - open descriptors
#                 (/proc/PID/fd entries), VmRSS and Pss (smaps_rollup;
#                 shared pages divided among their users, which is what a
#                 sum over socat's thousands of forked processes needs),
#                 and the same for the process titled "nsplice: relay"
#
# It runs only between measurements, never during one.
import os
import sys


def stat_fields(pid):
    """Fields of /proc/PID/stat after the command name, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()


def tree(roots):
    """All live pids in the trees below (and including) roots."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        f = stat_fields(d)
        if f:
            children.setdefault(int(f[1]), []).append(int(d))
    out, todo = [], [r for r in roots if os.path.exists(f"/proc/{r}")]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_ticks(pids):
    """utime+stime+cutime+cstime over pids."""
    t = 0
    for p in pids:
        f = stat_fields(p)
        if f:
            # after "pid (comm) ": state=0 ppid=1 ... utime=11 .. cstime=14
            t += sum(int(x) for x in f[11:15])
    return t


def switches(pids):
    """(voluntary, involuntary) context switches over every thread, and
    the nanoseconds they waited on a run queue (schedstat)."""
    v = n = w = 0
    for p in pids:
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tids:
            try:
                with open(f"/proc/{p}/task/{t}/status") as f:
                    for line in f:
                        if line.startswith("voluntary_ctxt_switches:"):
                            v += int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches:"):
                            n += int(line.split()[1])
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    w += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return v, n, w


def proc_mem(pid):
    """(fds, rss_kib, pss_kib) of one process; zeros if it is gone."""
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0, 0, 0
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return fds, rss, pss


def is_relay(pid):
    """True if the process title is nsplice's relay."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().startswith(b"nsplice: relay")
    except OSError:
        return False


def main():
    cmds = ("tree", "cpu", "snap", "relay", "mem")
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            (sys.argv[1] == "snap" and len(sys.argv) < 3):
        sys.exit("usage: procstat.py tree|cpu|relay|mem ROOT...\n"
                 "       procstat.py snap SRVPID ROOT...")
    args = sys.argv[2:]
    srv = int(args.pop(0)) if sys.argv[1] == "snap" else 0
    pids = tree([int(a) for a in args])
    if sys.argv[1] == "tree":
        print(" ".join(str(p) for p in pids))
    elif sys.argv[1] == "relay":
        print(" ".join(str(p) for p in pids if is_relay(p)))
    elif sys.argv[1] == "cpu":
        print(f"ticks={cpu_ticks(pids)}")
    elif sys.argv[1] == "snap":
        v, n, w = switches(pids)
        sv, sn, sw = switches([srv] if srv > 0 else [])
        print(f"ticks={cpu_ticks(pids)} vcs={v} nvcs={n} "
              f"srv_vcs={sv} srv_nvcs={sn} rqwait={w} srv_rqwait={sw}")
    else:
        tot = [0, 0, 0]
        rel = [0, 0, 0]
        for p in pids:
            m = proc_mem(p)
            tot = [a + b for a, b in zip(tot, m)]
            if is_relay(p):
                rel = [a + b for a, b in zip(rel, m)]
        print(f"procs={len(pids)} fds={tot[0]} rss_kib={tot[1]} "
              f"pss_kib={tot[2]} relay_fds={rel[0]} relay_rss_kib={rel[1]} "
              f"relay_pss_kib={rel[2]}")


if __name__ == "__main__":
    main()
