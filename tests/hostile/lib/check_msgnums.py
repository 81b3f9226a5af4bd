#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check_msgnums - fakepeer.py speaks the protocol of ipc/msg.h, exactly.

Usage: check_msgnums.py IPC_SIZES MSG_H FAKEPEER_PY   (CTest
"unit.fakepeer_msg_numbers").

Theory of Operation: the hostile peer takes its type numbers and
descriptor numbers from msgnums.py, which parses msg.h; its payloads are
packed by hand with struct formats.  Three things could still drift, and
each is checked against the C compiler's view, printed by ipc_sizes
(tests/unit/ipc_sizes.c: "MSG_NAME NUMBER SIZE" per type, "NAME VALUE"
per constant):

1. the parser: every MSG_* and constant it reads from MSG_H equals the
   compiled value, and it finds every type the compiler knows;
2. fakepeer's tables: each type name it uses has the compiled number, each
   payload of samples() (and so of its builders) has the size of the
   payload struct, its fixed descriptors are msg.h's IPC_FD_*, and its
   UNKNOWN_TYPE is no type;
3. fakepeer's source (read with ast): no message type is written as a
   number literal, no MSG table is written by hand, and every msg() call
   for a named type packs its payload with samples() of that type, a
   builder BUILDERS names for it, or bytes() (a deliberately wrong size).

Then it proves it can fail: a copy of msg.h with one type renumbered, a
copy of fakepeer.py with a type written as a number and one with its own
MSG table, and a payload of the wrong size must each be reported.  Exit
status 0 only if the real files pass and every planted fault is caught.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
msgnums = None  # pylint: disable=invalid-name; imported by main()

# FD_NAMES - fakepeer's descriptor constants and the msg.h value each is
FD_NAMES = {"FD_LOG": "IPC_FD_LOG", "FD_SUP": "IPC_FD_SUPERVISOR",
            "FD_PEER": "IPC_FD_AGENT_HOST", "FD_PEER2": "IPC_FD_AGENT_TARGET"}


def compiled(sizes_bin):
    """({MSG_NAME: (number, size)}, {NAME: value}) from ipc_sizes."""
    out = subprocess.run([sizes_bin], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    types, consts = {}, {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            types[f[0]] = (int(f[1]), int(f[2]))
        elif len(f) == 2:
            consts[f[0]] = int(f[1])
    return types, consts


def check_parser(nums, types, consts):
    """Problems of msgnums' reading NUMS against the compiled values."""
    bad = []
    for name, (num, _size) in types.items():
        if nums.get(name) != num:
            bad.append("%s: msg.h parsed as %r, compiled %d"
                       % (name, nums.get(name), num))
    for name, value in consts.items():
        if nums.get(name) != value:
            bad.append("%s: msg.h parsed as %r, compiled %d"
                       % (name, nums.get(name), value))
    for name in nums:
        if name.startswith("MSG_") and name != "MSG_TYPE_MAX" and \
                name not in types:
            bad.append("%s: parsed from msg.h, unknown to the compiler"
                       % name)
    return bad


def check_tables(fp, types, consts):
    """Problems of fakepeer module FP's numbers and payload sizes."""
    bad = []
    for name, num in fp.MSG.items():
        want = types.get("MSG_" + name, (None, None))[0]
        if num != want:
            bad.append("fakepeer MSG[%s] = %r, msg.h says %r"
                       % (name, num, want))
    for name, payload in fp.samples().items():
        want = types.get("MSG_" + name, (None, None))[1]
        if len(payload) != want:
            bad.append("fakepeer samples()[%s]: %d bytes, sizeof %r"
                       % (name, len(payload), want))
    for ours, theirs in FD_NAMES.items():
        if getattr(fp, ours) != consts[theirs]:
            bad.append("fakepeer %s = %r, %s = %d" % (
                ours, getattr(fp, ours), theirs, consts[theirs]))
    if fp.UNKNOWN_TYPE < consts["MSG_TYPE_MAX"] or fp.UNKNOWN_TYPE in \
            [n for n, _s in types.values()]:
        bad.append("fakepeer UNKNOWN_TYPE %d is a type" % fp.UNKNOWN_TYPE)
    return bad


def _key(node):
    """The key of MSG[key]: a string, a variable's name, or None."""
    if isinstance(node, ast.Subscript) and \
            isinstance(node.value, ast.Name) and node.value.id == "MSG":
        k = node.slice
        if isinstance(k, ast.Constant) and isinstance(k.value, str):
            return k.value
        if isinstance(k, ast.Name):
            return "$" + k.id
    return None


def _payload_ok(key, payload, builders):
    """Is PAYLOAD of a msg(MSG[KEY], ...) call built from the checked
    sources?"""
    if isinstance(payload, ast.Subscript) and \
            isinstance(payload.value, ast.Call) and \
            isinstance(payload.value.func, ast.Name) and \
            payload.value.func.id == "samples":
        return _key(ast.Subscript(value=ast.Name(id="MSG"),
                                  slice=payload.slice)) == key
    if isinstance(payload, ast.Call) and isinstance(payload.func, ast.Name):
        return payload.func.id == "bytes" or \
            payload.func.id == builders.get(key)
    return False


def _is_int(node):
    """Is NODE an integer literal?"""
    return isinstance(node, ast.Constant) and isinstance(node.value, int) \
        and not isinstance(node.value, bool)


def check_source(text, builders):
    """Problems of fakepeer's source TEXT: literal types, a hand table,
    payloads from elsewhere."""
    bad = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "MSG"
                for t in node.targets):
            bad.append("line %d: MSG written by hand" % node.lineno)
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else \
            (f.attr if isinstance(f, ast.Attribute) else "")
        if name not in ("msg", "pack") or \
                (name == "pack" and getattr(f.value, "id", "") != "HDR"):
            continue
        if any(_is_int(n) for n in ast.walk(node.args[0])):
            bad.append("line %d: a message type written as a number"
                       % node.lineno)
        key = _key(node.args[0])
        if name == "msg" and key and len(node.args) > 1 and \
                not _payload_ok(key, node.args[1], builders):
            bad.append("line %d: payload of %s not from samples() or its "
                       "builder" % (node.lineno, key))
    return bad


def load_fakepeer(path):
    """Import fakepeer.py from PATH as a module."""
    spec = importlib.util.spec_from_file_location("fakepeer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class WrongSize:
    """fakepeer with one payload a byte short, for the self-test."""

    def __init__(self, fp):
        self.__dict__.update({k: getattr(fp, k) for k in dir(fp)
                              if not k.startswith("__")})
        good = fp.samples

        def samples():
            s = good()
            s["HELLO"] = s["HELLO"][:-1]
            return s
        self.samples = samples


def self_test(msg_text, fp_text, fp, types, consts):
    """Names of the planted faults that went unnoticed."""
    missed = []
    renum = re.sub(r"(MSG_HELLO\s*=\s*)1\b", r"\g<1>33", msg_text, count=1)
    if renum == msg_text or not check_parser(msgnums.parse(renum), types,
                                              consts):
        missed.append("msg.h with MSG_HELLO renumbered")
    lit = fp_text.replace('MSG["LISTENER"]', "8", 1)
    if lit == fp_text or not check_source(lit, fp.BUILDERS):
        missed.append("fakepeer.py with LISTENER written as 8")
    table = fp_text + '\nMSG = {"HELLO": 1}\n'
    if not check_source(table, fp.BUILDERS):
        missed.append("fakepeer.py with its own MSG table")
    raw = fp_text.replace('samples()["POOL_REQ"])', "u32(2, 1))", 1)
    if raw == fp_text or not check_source(raw, fp.BUILDERS):
        missed.append("fakepeer.py packing POOL_REQ by hand")
    if not check_tables(WrongSize(fp), types, consts):
        missed.append("a HELLO payload one byte short")
    return missed


def main(argv):
    """Run the checks and the self-test; return the exit status."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sizes_bin, msg_h, fp_path = argv
    types, consts = compiled(sizes_bin)
    with open(msg_h, encoding="utf-8") as f:
        msg_text = f.read()
    with open(fp_path, encoding="utf-8") as f:
        fp_text = f.read()
    # msgnums reads the header at import: the one under test, for both
    global msgnums  # pylint: disable=global-statement
    os.environ["NSPLICE_MSG_H"] = msg_h
    msgnums = importlib.import_module("msgnums")
    fp = load_fakepeer(fp_path)
    bad = check_parser(msgnums.parse(msg_text), types, consts)
    bad += check_tables(fp, types, consts)
    bad += check_source(fp_text, fp.BUILDERS)
    bad += ["self-test: not caught: " + m
            for m in self_test(msg_text, fp_text, fp, types, consts)]
    for b in bad:
        print("FAIL " + b)
    print("%d types, %d payloads of fakepeer checked: %s" % (
        len(types), len(fp.samples()), "FAILED" if bad else "ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
