#!/usr/bin/env python3
"""Markdown tables from bench/.work/results-*.tsv (written by bench/file-tree.sh).

  report.py [WORK_DIR]      default: bench/.work

Prints, for every size that was run, each step's median wall time with its spread over the rounds,
median CPU seconds, peak RSS and whether every restore was identical; then the ratios against the
targets (issue 21), each the median of the per-round ratios (both tools timed in the same round):
  full backup     PsBackup <= 1.0 x tar -c | zstd -3 -T0          (wall time)
  full restore    PsBackup <= 1.2 x zstd -d | tar -x              (wall time)
  incremental     PsBackup <= 0.8 x restic, 1 % of the files changed (wall time)
With BENCH_RATIOS set (bench/all.sh), the three target ratios are appended there too.
"""
import glob
import os
import statistics as st
import sys

MB = 1e6


def load(path):
    meta, rows = {}, []
    header = None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            k, _, v = line[2:].partition("\t")
            meta.setdefault(k, []).append(v)
        elif header is None:
            header = line.split("\t")
        elif line:
            rows.append(dict(zip(header, line.split("\t"))))
    return {k: "; ".join(v) for k, v in meta.items()}, rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt_mb(v):
    return "–" if v is None else f"{v / MB:,.1f}" if v < 100 * MB else f"{v / MB:,.0f}"


def spread(values, fmt="{:.1f}"):
    if not values:
        return "–"
    med = fmt.format(st.median(values))
    return med if len(values) == 1 else f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def steps(rows):
    """(phase, tool, op) -> rows, in the order first seen"""
    out = {}
    for r in rows:
        out.setdefault((r["phase"], r["tool"], r["op"]), []).append(r)
    return out


def per_round(rows, a, b, field="wall_s"):
    """ratios a/b of the rounds in which both steps succeeded"""
    def by_round(key):
        return {r["round"]: num(r[field]) for r in rows if (r["phase"], r["tool"], r["op"]) == key and r["verified"] != "FAIL"}
    ra, rb = by_round(a), by_round(b)
    return [ra[k] / rb[k] for k in sorted(ra) if k in rb and rb[k]]


def loads(rows, a):
    return ", ".join(r["load1"] for r in rows if (r["phase"], r["tool"], r["op"]) == a)


TARGETS = [
    ("file-tree full backup / tar+zstd -3 -T0, wall", ("full", "psbackup", "backup"), ("full", "tar+zstd", "backup"), 1.0, "<= 1.0x"),
    ("file-tree restore / zstd -d, tar -x, wall", ("full", "psbackup", "restore"), ("full", "tar+zstd", "restore"), 1.2, "<= 1.2x"),
    ("file-tree incremental (1 % changed) / restic, wall", ("incr", "psbackup", "backup"), ("incr", "restic", "backup"), 0.8, "<= 0.8x"),
]
COMPARED = [
    ("full backup, CPU s vs tar+zstd", ("full", "psbackup", "backup"), ("full", "tar+zstd", "backup"), "cpu_s"),
    ("full restore, CPU s vs tar+zstd", ("full", "psbackup", "restore"), ("full", "tar+zstd", "restore"), "cpu_s"),
    ("full backup, wall vs restic", ("full", "psbackup", "backup"), ("full", "restic", "backup"), "wall_s"),
    ("full restore, wall vs restic", ("full", "psbackup", "restore"), ("full", "restic", "restore"), "wall_s"),
    ("full backup, stored bytes vs tar+zstd", ("full", "psbackup", "backup"), ("full", "tar+zstd", "backup"), "stored_bytes"),
    ("incremental, stored bytes vs restic", ("incr", "psbackup", "backup"), ("incr", "restic", "backup"), "stored_bytes"),
    ("incremental, CPU s vs restic", ("incr", "psbackup", "backup"), ("incr", "restic", "backup"), "cpu_s"),
    ("restore of the incremental, wall vs restic", ("incr", "psbackup", "restore"), ("incr", "restic", "restore"), "wall_s"),
]


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
    runs = {}
    for path in glob.glob(os.path.join(work, "results-*.tsv")):
        meta, rows = load(path)
        if rows and "phase" in rows[0]:
            runs[float(rows[0]["size_gb"])] = (meta, rows)
    if not runs:
        sys.exit(f"report.py: no results-*.tsv (with rounds) in {work}")

    out = []
    for size in sorted(runs):
        meta, rows = runs[size]
        n = len({r["round"] for r in rows})
        out.append(f"#### {size:g} GB tree, {n} round(s)\n")
        out.append(f"- run: {meta.get('date', '?')}, commit {meta.get('commit', '?')}; {meta.get('host', '')}")
        out.append(f"- tree: {meta.get('tree', '?')}")
        if "mutate" in meta:
            out.append(f"- changes: {meta['mutate']}")
        out.append(f"- tools: {meta.get('versions', '?')}; PsBackup {meta.get('psbackup', '?')}; page cache dropped before each step: {meta.get('drop_caches', '?')}")
        out.append(f"- order: full backups+restores rotated each round (tar, restic, psbackup / restic, psbackup, tar / psbackup, tar, restic); incrementals restic first in odd rounds, PsBackup first in even ones")
        out.append(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}\n")
        out.append(f"| step | tool | wall s, median (min–max) | CPU s, median | peak RSS MB, max | stored MB, median | restores identical | 1-min load per round |")
        out.append("|---|---|---:|---:|---:|---:|:-:|---|")
        for (phase, tool, op), rs in steps(rows).items():
            ok = [r for r in rs if r["verified"] != "FAIL"]
            walls = [num(r["wall_s"]) for r in ok]
            cpus = [num(r["cpu_s"]) for r in ok if num(r["cpu_s"]) is not None]
            rss = max((num(r["peak_rss_kb"]) for r in ok), default=None)
            stored = [num(r["stored_bytes"]) for r in ok if num(r["stored_bytes"]) is not None]
            checked = [r["verified"] for r in rs if r["verified"] not in ("-", "")]
            ident = "" if op == "backup" else (f"{checked.count('ok')}/{len(rs)}" if checked else "–")
            step = {"full": "full", "incr": "after 1 % change"}[phase] + " " + op
            out.append(f"| {step} | {tool} | {spread(walls)} | {spread(cpus)} | {'–' if rss is None else f'{rss * 1024 / MB:,.0f}'} | "
                       f"{fmt_mb(st.median(stored)) if stored else '–'} | {ident} | {loads(rows, (phase, tool, op))} |")
        out.append("")

        out.append(f"Ratios ({size:g} GB; median of the per-round ratios, min–max):\n")
        out.append("| measure | ratio | target | |")
        out.append("|---|---:|---|---|")
        for name, a, b, limit, target in TARGETS:
            q = per_round(rows, a, b)
            if not q:
                continue
            verdict = "**met**" if st.median(q) <= limit else "**missed**"
            out.append(f"| {name} | {spread(q, '{:.2f}')}× | {target.replace('<=', '≤').replace('x', '×')} | {verdict} |")
            if os.environ.get("BENCH_RATIOS"):
                with open(os.environ["BENCH_RATIOS"], "a") as f:
                    f.write(f"{name}, {size:g} GB\t{spread(q, '{:.2f}')}x\t{target}\t{loads(rows, a)}\t{len(q)} rounds, restores checked\n")
        for name, a, b, field in COMPARED:
            q = per_round(rows, a, b, field)
            if q:
                out.append(f"| {name} | {spread(q, '{:.2f}')}× | – | |")
        out.append("")
    failed = [f"{s:g} GB round {r['round']} {r['phase']} {r['tool']} {r['op']}" for s in sorted(runs) for r in runs[s][1] if r["verified"] == "FAIL"]
    if failed:
        out.append(f"**FAILED steps** (non-zero exit or restore not identical; see the note column of the tsv): {', '.join(failed)}")
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
