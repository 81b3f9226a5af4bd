# SPDX-License-Identifier: GPL-2.0-or-later
"""msgnums - the numbers of ipc/msg.h, read from msg.h itself.

Theory of Operation: the hostile peer (fakepeer.py) speaks nsplice's IPC
protocol from Python.  Type numbers and descriptor numbers written again
by hand would drift silently from ipc/msg.h; instead this module parses
msg.h when it is imported: every `NAME = N,` line of an enum (an enum
member without a value is the previous one plus one, as in C) and every
`#define NAME N` whose value is one integer literal.  Anything else
(expressions, macros with arguments) is not needed and not read.

The header is found from NSPLICE_MSG_H in the environment, else relative
to this file (tests/hostile/lib -> ipc/msg.h).  check_msgnums.py compares
what this module reads with what the C compiler says (ipc_sizes), so a
parsing mistake cannot hide either.
"""

import os
import re

_ENUM_START = re.compile(r"^\s*enum\s+\w+\s*\{")
_ENUM_MEMBER = re.compile(
    r"^\s*([A-Z][A-Z0-9_]*)\s*(?:=\s*(0x[0-9a-fA-F]+|\d+))?\s*,?")
_DEFINE = re.compile(r"^#define\s+([A-Z][A-Z0-9_]*)\s+(0x[0-9a-fA-F]+|\d+)U?\b")
_COMMENT = re.compile(r"/\*.*?\*/")


def default_path():
    """ipc/msg.h: $NSPLICE_MSG_H, else relative to this file."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("NSPLICE_MSG_H") or \
        os.path.join(here, "..", "..", "..", "ipc", "msg.h")


def parse(text):
    """Every enum member and plain integer #define of TEXT: {name: value}."""
    out = {}
    in_enum, nxt = False, 0
    for line in text.splitlines():
        line = _COMMENT.sub("", line)
        if _ENUM_START.match(line):
            in_enum, nxt = True, 0
            continue
        if in_enum:
            if line.strip().startswith("}"):
                in_enum = False
                continue
            m = _ENUM_MEMBER.match(line)
            if m:
                nxt = int(m.group(2), 0) if m.group(2) else nxt
                out[m.group(1)] = nxt
                nxt += 1
            continue
        m = _DEFINE.match(line)
        if m:
            out[m.group(1)] = int(m.group(2), 0)
    return out


def load(path=None):
    """(all numbers, {type name without MSG_: number}) of msg.h at PATH."""
    with open(path or default_path(), encoding="utf-8") as f:
        nums = parse(f.read())
    types = {k[4:]: v for k, v in nums.items()
             if k.startswith("MSG_") and k != "MSG_TYPE_MAX"}
    return nums, types


NUMS, MSG = load()
