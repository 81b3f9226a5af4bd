#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""placement.py - where the scheduler kept three tasks during a transfer

Theory of operation: reads the output of "perf sched timehist" (one line
per context switch: time, [cpu], task[tid], waits, run time) and follows
the CPU each of three tasks last ran on.  Between two consecutive events
the state does not change, so each interval counts towards "relay on the
server's CPU", "relay on the client's CPU" and "server on the client's
CPU" when that holds at its start.  Intervals before all three tasks have
been seen are not counted.  Used by tests/bench/placement.sh.

Usage: placement.py TIMEHIST RELAY_TID SERVER_TID CLIENT_TID
Prints: "relay=server P relay=client P server=client P" (percent of the
counted time), or exits 1 if the three tasks were never all seen.
"""
import re
import sys

TASK = re.compile(r"\[(\d+)(?:/\d+)?\]$")


def shares(path, relay, server, client):
    """Return the three shares in percent, or None.

    path: timehist output; relay, server, client: thread ids as strings.
    """
    last = {}
    acc = [0.0, 0.0, 0.0]
    total = 0.0
    prev = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or not fields[1].startswith("["):
                continue
            try:
                t = float(fields[0])
                cpu = int(fields[1].strip("[]"))
            except ValueError:
                continue
            m = TASK.search(fields[2])
            if not m:
                continue
            if prev is not None and len(last) == 3:
                dt = t - prev
                total += dt
                acc[0] += dt if last[relay] == last[server] else 0
                acc[1] += dt if last[relay] == last[client] else 0
                acc[2] += dt if last[server] == last[client] else 0
            prev = t
            if m.group(1) in (relay, server, client):
                last[m.group(1)] = cpu
    if total <= 0:
        return None
    return [100 * a / total for a in acc]


def main():
    """Parse arguments, print the shares; exit 1 when there are none."""
    if len(sys.argv) != 5:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    s = shares(*sys.argv[1:])
    if s is None:
        print("placement.py: the three tasks were never all seen",
              file=sys.stderr)
        return 1
    print("relay=server %.0f relay=client %.0f server=client %.0f" % tuple(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
