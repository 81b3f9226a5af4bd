#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kmsg.py - fail a test run on any seccomp violation the kernel logged.

DOC: Theory of Operation

A seccomp filter whose action is SECCOMP_RET_LOG (nsplice --sandbox=log)
lets a forbidden call go through and the kernel records it as an audit
record of type 1326 (AUDIT_SECCOMP); with no audit daemon the record is
printed to the kernel log, which /dev/kmsg serves with a sequence number
per record.  A kill (SECCOMP_RET_KILL_PROCESS) is recorded the same way.

The suite-wide "no violation" run (tests/run-all.sh) starts every nsplice
of the integration suite in log mode, so a system call missing from any
allowlist on any path the suite exercises leaves such a record instead of
a crash that a test might not notice.  Around that run:

    mark FILE     store the sequence number of the newest kernel record
    check FILE [EXE]
                  read every record after it; print each seccomp record of
                  an nsplice process and exit 1 if there is one, or if
                  records were lost (the ring wrapped past the mark, or
                  the kernel said it suppressed audit messages: they could
                  have been ours).  With EXE, only records of that binary
                  and of the copies tests make for the unprivileged user
                  (/tmp/nsplice-user.*/nsplice) count, so another nsplice
                  build running on the machine meanwhile is not blamed

Records are read non-blocking and bounded in count; /dev/kmsg needs root
(or CAP_SYSLOG), which the suite has.
"""
import errno
import os
import re
import sys

# KMSG_MAX - records read at most in one pass
KMSG_MAX = 1000000

SECCOMP_RE = re.compile(r'type=1326 .*comm="([^"]*)".*exe="([^"]*)"'
                        r'.*syscall=(\d+).*code=(0x[0-9a-f]+)')
LOST_RE = re.compile(r'kauditd_printk_skb: \d+ callbacks suppressed|'
                     r'audit: audit_lost=')


def records():
    """records() - yield (seq, text) of every record in the ring, oldest first"""
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    try:
        for _ in range(KMSG_MAX):
            try:
                raw = os.read(fd, 8192)
            except OSError as e:
                if e.errno == errno.EAGAIN:
                    return
                if e.errno == errno.EPIPE:   # overwritten while reading
                    continue
                raise
            head, _, text = raw.decode(errors="replace").partition(";")
            fields = head.split(",")
            yield int(fields[1]), text.split("\n", 1)[0]
    finally:
        os.close(fd)


def syscall_name(nr):
    """syscall_name() - name of an x86_64 system call number, if known"""
    names = {}
    for path in ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                 "/usr/include/asm/unistd_64.h"):
        try:
            with open(path) as f:
                for line in f:
                    m = re.match(r"#define __NR_(\w+) (\d+)", line)
                    if m:
                        names[int(m.group(2))] = m.group(1)
            break
        except OSError:
            continue
    return names.get(nr, "?")


def cmd_mark(path):
    """cmd_mark() - remember the newest sequence number in @path"""
    last = -1
    for seq, _ in records():
        last = seq
    with open(path, "w") as f:
        f.write("%d\n" % last)
    print("kmsg: marked at record %d" % last)
    return 0


USER_COPY_RE = re.compile(r"^/tmp/nsplice-user\.[^/]+/nsplice$")


def ours(comm, exe, want):
    """ours() - is a record's process an nsplice of the build under test"""
    if want is None:
        return "nsplice" in comm or "nsplice" in exe
    return exe == want or USER_COPY_RE.match(exe) is not None


def cmd_check(path, want=None):
    """cmd_check() - report seccomp records of nsplice after the mark"""
    with open(path) as f:
        mark = int(f.read().strip())
    bad, lost, first, n = [], [], None, 0
    for seq, text in records():
        if seq <= mark:
            continue
        if first is None:
            first = seq
        n += 1
        m = SECCOMP_RE.search(text)
        if m and ours(m.group(1), m.group(2), want):
            bad.append("%s (syscall %s = %s)" % (
                text, m.group(3), syscall_name(int(m.group(3)))))
        elif LOST_RE.search(text):
            lost.append(text)
    if mark >= 0 and first is not None and first > mark + 1:
        lost.append("records %d..%d were overwritten before this check"
                    % (mark + 1, first - 1))
    for line in bad:
        print("not ok - seccomp violation logged: %s" % line)
    for line in lost:
        print("not ok - kernel records lost, a violation may hide there: %s"
              % line)
    print("kmsg: %d records since the mark, %d seccomp violations, "
          "%d losses" % (n, len(bad), len(lost)))
    return 1 if bad or lost else 0


def main():
    """main() - mark FILE | check FILE [EXE]"""
    args = sys.argv[1:]
    if args[:1] == ["mark"] and len(args) == 2:
        return cmd_mark(args[1])
    if args[:1] == ["check"] and len(args) in (2, 3):
        return cmd_check(args[1], os.path.realpath(args[2])
                         if len(args) == 3 else None)
    print("usage: kmsg.py mark FILE | check FILE [EXE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
