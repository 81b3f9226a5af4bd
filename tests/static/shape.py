#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""shape.py - every product function is short and documented

DOC: Theory of Operation

The product's C files (cmd, supervisor, nsagent, relay, ipc, seccomp and
their sub-folders) are read as kernel-style C: a function definition
starts at column 0 with its return type and name, its body opens with a
'{' alone on a line and closes with a '}' alone on a line.  For each one
this checks that the comment right above it is a kerneldoc block
("/**" whose first line names the function), and measures the body's
lines.  It fails if any function lacks its kerneldoc, if any body is
longer than BODY_MAX lines, or if the median body is longer than
MEDIAN_MAX lines; it prints the count, median, 90th percentile and
longest, so a change that grows them shows in the log.

Usage: shape.py SOURCE_DIR
"""
import glob
import os
import re
import statistics
import sys

# BODY_MAX - longest function body allowed, lines
BODY_MAX = 120
# MEDIAN_MAX - longest median body allowed, lines
MEDIAN_MAX = 15
# PRODUCT - the folders checked, with their sub-folders
PRODUCT = ("cmd", "supervisor", "nsagent", "relay", "ipc", "seccomp")

HEAD = re.compile(r"^(?:static\s+|inline\s+)*[A-Za-z_][\w\s\*]*?\b(\w+)\s*\(")
ATTR = re.compile(r"__attribute__\(\(.*?\)\)\s*")
NAME_LINE = re.compile(r"^(\w+)\s*\(")


def head_name(lines, i):
    """The function name a definition head at @i declares, or None.

    "static void __attribute__((format(...)))" may put the name on the
    next line."""
    text = ATTR.sub("", lines[i])
    m = HEAD.match(text)
    if m:
        return m.group(1)
    if text != lines[i] and i + 1 < len(lines):
        m = NAME_LINE.match(lines[i + 1])
        return m.group(1) if m else None
    return None


def functions(lines):
    """Yield (name, first line index of the head, body length)."""
    i = 0
    while i < len(lines):
        name = head_name(lines, i)
        if not name or lines[i].startswith(("#", "typedef")):
            i += 1
            continue
        j = i
        while j < len(lines) and j < i + 8 and lines[j] != "{" \
                and not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= len(lines) or lines[j] != "{":
            i += 1
            continue
        k = j + 1
        while k < len(lines) and lines[k] != "}":
            k += 1
        yield name, i, k - j - 1
        i = k + 1


def has_kerneldoc(lines, head, name):
    """Is the block right above @head a kerneldoc comment naming @name?"""
    b = head - 1
    while b >= 0 and lines[b].startswith("__attribute__"):
        b -= 1
    if b < 0 or not lines[b].strip().endswith("*/"):
        return False
    while b >= 0 and not lines[b].startswith("/**"):
        b -= 1
    return b >= 0 and b + 1 < len(lines) and \
        lines[b + 1].startswith(" * " + name + "()")


def main():
    top = sys.argv[1]
    sizes, bad = [], []
    for folder in PRODUCT:
        pattern = os.path.join(top, folder, "**", "*.c")
        for path in sorted(glob.glob(pattern, recursive=True)):
            lines = open(path, encoding="utf-8").read().split("\n")
            rel = os.path.relpath(path, top)
            for name, head, size in functions(lines):
                sizes.append(size)
                if not has_kerneldoc(lines, head, name):
                    bad.append(f"{rel}:{head + 1}: {name}(): no kerneldoc")
                if size > BODY_MAX:
                    bad.append(f"{rel}:{head + 1}: {name}(): {size} lines"
                               f" (at most {BODY_MAX})")
    sizes.sort()
    median = statistics.median(sizes)
    print(f"shape: {len(sizes)} functions, median {median} lines, "
          f"p90 {sizes[int(len(sizes) * 0.9)]}, longest {sizes[-1]}")
    if median > MEDIAN_MAX:
        bad.append(f"median body {median} lines (at most {MEDIAN_MAX})")
    for b in bad:
        print("not ok -", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
