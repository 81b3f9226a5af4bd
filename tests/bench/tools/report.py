#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# report.py - turn the benchmark's raw samples into one table, Markdown, JSON
#
# Usage: report.py OUTDIR
#
# Reads OUTDIR/raw.tsv (round, forwarder, metric, value - one line per
# sample, written by run.sh as it measures) and OUTDIR/meta.tsv (key,
# value: machine facts and settings).  For every (metric, forwarder) it
# reports the median of the rounds and their min-max, and the ratio to
# "direct": the median over rounds of value/direct-value of the SAME
# round (pairs measured a few seconds apart, so that minute-to-minute
# drift of the machine cancels out), with the range of those ratios.
# Metrics without a direct counterpart (forwarder CPU, idle connections)
# have no ratio.  nsplice rows carry the target and whether the
# median meets it.  With "nsplice-pp" (--proxy-protocol) in the run, a
# second table gives the PROXY header's cost: per round nsplice-pp /
# nsplice for connections per second and latency, median and range, and
# whether it is within PP_COST_MAX.  Nothing fails on a number: the exit
# status is 0 whenever the files could be written.
#
# Writes OUTDIR/results.md and OUTDIR/results.json and prints the table.
import json
import os
import statistics
import sys

# metric key -> (label, unit, format, nsplice target (kind, bound) or None)
# kind "ratio>=": ratio to direct at least; "ratio<=": at most;
# "abs<=" / "abs>=": the absolute median.
METRICS = [
    ("tput.c2s.1", "bulk client→server, 1 stream", "Gbit/s", "{:.2f}", ("ratio>=", 0.90)),
    ("tput.s2c.1", "bulk server→client, 1 stream", "Gbit/s", "{:.2f}", ("ratio>=", 0.90)),
    ("tput.c2s.4", "bulk client→server, 4 streams", "Gbit/s", "{:.2f}", ("ratio>=", 0.90)),
    ("tput.s2c.4", "bulk server→client, 4 streams", "Gbit/s", "{:.2f}", ("ratio>=", 0.90)),
    ("cpu_per_gb", "forwarder CPU per GB moved", "CPU s/GB", "{:.3f}", None),
    ("lat.mean", "1-byte req/resp, mean, unpinned", "µs", "{:.1f}", ("ratio<=", 1.6)),
    ("lat.p99", "1-byte req/resp, p99, unpinned", "µs", "{:.1f}", None),
    ("cpu_per_rt", "forwarder CPU per round trip, unpinned", "µs", "{:.1f}", None),
    ("lat_pin.mean", "1-byte req/resp, mean, pinned", "µs", "{:.1f}", ("ratio<=", 1.6)),
    ("lat_pin.p99", "1-byte req/resp, p99, pinned", "µs", "{:.1f}", None),
    ("rate.1", "connections/s, 1 loop", "conn/s", "{:.0f}", ("ratio>=", 0.75)),
    ("rate.8", "connections/s, 8 loops", "conn/s", "{:.0f}", ("ratio>=", 0.60)),
    ("cpu_per_conn.1", "forwarder CPU per connection, 1 loop", "µs", "{:.1f}", None),
    ("cpu_per_conn.8", "forwarder CPU per connection, 8 loops", "µs", "{:.1f}", None),
]
for n in (1000, 10000):
    k = f"{n // 1000}k"
    METRICS += [
        (f"idle.{n}.held", f"idle {k}: connections held", "conn", "{:.0f}",
         ("abs>=", n) if n == 10000 else None),
        (f"idle.{n}.fds_per_conn", f"idle {k}: fds/conn, all processes", "fds", "{:.2f}", None),
        (f"idle.{n}.kib_per_conn", f"idle {k}: VmRSS/conn, all processes", "KiB", "{:.2f}", None),
        (f"idle.{n}.pss_kib_per_conn", f"idle {k}: Pss/conn, all processes", "KiB", "{:.2f}", None),
        (f"idle.{n}.relay_fds_per_conn", f"idle {k}: fds/conn, relay", "fds", "{:.2f}", ("abs<=", 2)),
        (f"idle.{n}.relay_kib_per_conn", f"idle {k}: VmRSS/conn, relay", "KiB", "{:.2f}", ("abs<=", 1)),
    ]
METRICS += [
    ("pipe.c2s.1", "pipe curve: bulk client→server, 1 stream", "Gbit/s", "{:.2f}", None),
    ("pipe.s2c.1", "pipe curve: bulk server→client, 1 stream", "Gbit/s", "{:.2f}", None),
    ("pipe.cpu_per_gb", "pipe curve: forwarder CPU per GB", "CPU s/GB", "{:.3f}", None),
]
ORDER = ["direct", "nsplice", "nsplice-ref", "nsplice-pp", "pasta", "proxyd",
         "socat"]

# PP_METRICS - where the PROXY header's cost is judged; higher is better
# for rates (True), lower for latencies (False)
PP_METRICS = [("rate.1", True), ("rate.8", True), ("lat.mean", False),
              ("lat.p99", False), ("lat_pin.mean", False)]

# PP_COST_MAX - the header may cost at most this share (target: 5 %)
PP_COST_MAX = 0.05


def fwd_key(name):
    """Sort forwarders: known ones first, pipe-curve instances by size."""
    if name in ORDER:
        return (ORDER.index(name), 0, name)
    if name.startswith("nsplice pipe"):
        size = name.split()[-1]
        mult = {"K": 1 << 10, "M": 1 << 20}.get(size[-1], 1)
        return (len(ORDER), int(size.rstrip("KM")) * mult, name)
    return (len(ORDER) + 1, 0, name)


def load(outdir):
    raw, meta = {}, {}
    with open(os.path.join(outdir, "raw.tsv")) as f:
        for line in f:
            rnd, fwd, metric, value = line.rstrip("\n").split("\t")
            raw.setdefault(metric, {}).setdefault(fwd, {})[int(rnd)] = float(value)
    path = os.path.join(outdir, "meta.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                meta[k] = v
    return raw, meta


def target_check(target, median, ratio, fmt):
    """Target text and True/False/None for a median and ratio.

    Values are compared as they are printed (ratios to 2 decimals), so a
    row never reads "2.00 fds ... <=2 MISSED"."""
    kind, bound = target
    if kind.startswith("ratio"):
        text = ("≥" if kind.endswith(">=") else "≤") + f"{bound:g}×"
        val = None if ratio is None else round(ratio, 2)
    else:
        text = ("≥" if kind.endswith(">=") else "≤") + f"{bound:g}"
        val = float(fmt.format(median))
    if val is None:
        return text, None
    ok = val >= bound if kind.endswith(">=") else val <= bound
    return text, ok


def build_rows(raw):
    rows = []
    for key, label, unit, fmt, target in METRICS:
        if key not in raw:
            continue
        per_fwd = raw[key]
        direct = per_fwd.get("direct", {})
        for fwd in sorted(per_fwd, key=fwd_key):
            samples = per_fwd[fwd]
            vals = [samples[r] for r in sorted(samples)]
            row = {
                "metric": key, "label": label, "unit": unit,
                "forwarder": fwd, "rounds": len(vals),
                "median": statistics.median(vals),
                "min": min(vals), "max": max(vals),
                "samples": vals,
                "ratio": None, "ratio_min": None, "ratio_max": None,
                "target": None, "meets_target": None, "fmt": fmt,
            }
            if fwd != "direct" and direct:
                ratios = [samples[r] / direct[r] for r in samples
                          if r in direct and direct[r] > 0]
                if ratios:
                    row["ratio"] = statistics.median(ratios)
                    row["ratio_min"] = min(ratios)
                    row["ratio_max"] = max(ratios)
            if target and fwd == "nsplice":
                row["target"], row["meets_target"] = target_check(
                    target, row["median"], row["ratio"], fmt)
            rows.append(row)
    return rows


def cells(row):
    fmt = row["fmt"]
    med = fmt.format(row["median"])
    rng = "" if row["rounds"] < 2 else \
        f"{fmt.format(row['min'])}–{fmt.format(row['max'])}"
    ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}×"
    if row["ratio"] is not None and row["rounds"] > 1:
        ratio += f" ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})"
    tgt = ""
    if row["target"]:
        mark = {True: "met", False: "MISSED", None: "n/a"}[row["meets_target"]]
        tgt = f"{row['target']} {mark}"
    return [row["label"], row["forwarder"], f"{med} {row['unit']}", rng,
            ratio, tgt]


def table(rows):
    head = ["metric", "forwarder", "median", "min–max", "ratio to direct",
            "nsplice target"]
    body = [cells(r) for r in rows]
    width = [max(len(x) for x in col) for col in zip(head, *body)]
    out = []

    def line(c):
        return "| " + " | ".join(x.ljust(w) for x, w in zip(c, width)) + " |"
    out.append(line(head))
    out.append("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for c in body:
        out.append(line(c))
    return "\n".join(out)


def pp_cost(raw):
    """Rows of the header's cost: nsplice-pp over nsplice, per round."""
    rows = []
    for key, higher in PP_METRICS:
        on = raw.get(key, {}).get("nsplice-pp", {})
        off = raw.get(key, {}).get("nsplice", {})
        ratios = [on[r] / off[r] for r in on if r in off and off[r] > 0]
        if not ratios:
            continue
        med = statistics.median(ratios)
        cost = 1 - med if higher else med - 1
        rows.append({"metric": key, "ratio": med, "ratio_min": min(ratios),
                     "ratio_max": max(ratios), "cost": cost,
                     "within": cost <= PP_COST_MAX})
    return rows


def pp_table(rows):
    if not rows:
        return ""
    out = ["| metric | nsplice-pp / nsplice | cost | within 5 % |",
           "|---|---|---|---|"]
    for r in rows:
        rng = f" ({r['ratio_min']:.3f}–{r['ratio_max']:.3f})" \
            if r["ratio_min"] != r["ratio_max"] else ""
        out.append(f"| {r['metric']} | {r['ratio']:.3f}{rng} | "
                   f"{100 * r['cost']:+.1f} % | "
                   f"{'yes' if r['within'] else 'NO'} |")
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUTDIR")
    outdir = sys.argv[1]
    raw, meta = load(outdir)
    rows = build_rows(raw)
    tab = table(rows)
    pp = pp_cost(raw)
    ppt = pp_table(pp)
    facts = [f"- {k}: {v}" for k, v in meta.items()]
    md = ["# nsplice benchmark results", ""] + facts + ["",
          "Median of the rounds, min–max over the rounds; ratio to direct "
          "is the median of per-round ratios (range in parentheses). "
          "For latency and CPU, lower is better.", "", tab, ""]
    if ppt:
        md += ["PROXY protocol header (nsplice-pp: --proxy-protocol) against "
               "nsplice, per-round ratio, median (range); cost = lost rate "
               "or added latency:", "", ppt, ""]
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(md))
    for r in rows:
        del r["fmt"]
    known = {m[0] for m in METRICS}
    extra = [{"metric": m, "forwarder": fwd, "samples": v}
             for m, per in sorted(raw.items()) if m not in known
             for fwd, v in sorted(per.items())]
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": rows, "extra": extra,
                   "proxy_header_cost": pp}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(tab)
    if ppt:
        print("\n" + ppt)


if __name__ == "__main__":
    main()
