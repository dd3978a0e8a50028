#!/usr/bin/env python3
"""Markdown tables from bench/.work/results-*.tsv (written by bench/file-tree.sh).

  report.py [WORK_DIR]      default: bench/.work

Prints, for every size that was run, the measured table, then the ratios against the targets:
  full backup and restore   PsBackup <= 1.5 x tar -c | zstd (restore: zstd -d | tar -x) (wall time)
  incremental backup        PsBackup <= restic (wall time)
  peak RSS                  PsBackup < 300 MB in every step
  RSS flat                  PsBackup peak RSS at the largest size <= 1.25 x the smallest size
                            (the tree grows 4x from 1 GB to 4 GB)
"""
import glob
import os
import sys

MB = 1e6


def load(path):
    meta, rows = {}, []
    header = None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"):
            k, _, v = line[2:].partition("\t")
            meta[k] = v
        elif header is None:
            header = line.split("\t")
        elif line:
            rows.append(dict(zip(header, line.split("\t"))))
    return meta, rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt_mb(v):
    return "–" if v is None else f"{v / MB:,.1f}" if v < 100 * MB else f"{v / MB:,.0f}"


def get(rows, rnd, tool, op):
    for r in rows:
        if (r["round"], r["tool"], r["op"]) == (rnd, tool, op) and r["verified"] != "FAIL":
            return r
    return None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(ok):
    return "–" if ok is None else "**met**" if ok else "**missed**"


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
    runs = {}
    for path in glob.glob(os.path.join(work, "results-*.tsv")):
        meta, rows = load(path)
        if rows:
            runs[float(rows[0]["size_gb"])] = (meta, rows)
    if not runs:
        sys.exit(f"report.py: no results-*.tsv in {work}")

    out = []
    for size in sorted(runs):
        meta, rows = runs[size]
        tree_bytes = None
        try:
            tree_bytes = int(meta["tree"].split(" files, ")[1].split(" bytes")[0])
        except (KeyError, IndexError, ValueError):
            pass
        out.append(f"#### {size:g} GB tree\n")
        out.append(f"- run: {meta.get('date', '?')}, commit {meta.get('commit', '?')}; {meta.get('host', '')}")
        out.append(f"- tree: {meta.get('tree', '?')}")
        if "mutate" in meta:
            out.append(f"- change: {meta['mutate']}")
        out.append(f"- tools: {meta.get('versions', '?')}; PsBackup {meta.get('psbackup', '?')}; page cache dropped before each step: {meta.get('drop_caches', '?')}")
        out.append(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}\n")
        out.append("| step | tool | wall s | peak RSS MB | stored MB | stored / tree | restore identical |")
        out.append("|---|---|---:|---:|---:|---:|:-:|")
        for r in rows:
            stored = num(r["stored_bytes"])
            share = f"{stored / tree_bytes:.1%}" if stored is not None and tree_bytes else "–"
            step = {"full": "full", "incr": "after 1 % change"}[r["round"]] + " " + r["op"]
            out.append(f"| {step} | {r['tool']} | {num(r['wall_s']):.1f} | {num(r['peak_rss_kb']) * 1024 / MB:,.0f} | "
                       f"{fmt_mb(stored)} | {share} | {r['verified'] if r['verified'] != '-' else ''} |")
        out.append("")

    # targets: the run with incrementals (smallest such size) for times, all sizes for RSS
    main_size = min((s for s in runs if any(r["round"] == "incr" for r in runs[s][1])), default=min(runs))
    meta, rows = runs[main_size]

    def wall(rnd, tool, op):
        r = get(rows, rnd, tool, op)
        return num(r["wall_s"]) if r else None

    def stored(rnd, tool, op):
        r = get(rows, rnd, tool, op)
        return num(r["stored_bytes"]) if r else None

    lines = [f"#### Ratios and targets ({main_size:g} GB run unless noted)\n",
             "| measure | PsBackup | reference | ratio | target | |", "|---|---:|---:|---:|---|---|"]

    def add(measure, a, b, unit, target, limit, ref):
        q = ratio(a, b)
        ok = None if q is None or limit is None else q <= limit
        sa = "–" if a is None else f"{a:.1f} {unit}" if unit == "s" else f"{fmt_mb(a)} MB"
        sb = "–" if b is None else f"{b:.1f} {unit} ({ref})" if unit == "s" else f"{fmt_mb(b)} MB ({ref})"
        lines.append(f"| {measure} | {sa} | {sb} | {'–' if q is None else f'{q:.2f}×'} | {target} | {verdict(ok) if target != '–' else ''} |")

    add("full backup time", wall("full", "psbackup", "backup"), wall("full", "tar+zstd", "backup"), "s", "≤ 1.5×", 1.5, "tar+zstd")
    add("full restore time", wall("full", "psbackup", "restore"), wall("full", "tar+zstd", "restore"), "s", "≤ 1.5×", 1.5, "tar+zstd")
    add("full backup stored size", stored("full", "psbackup", "backup"), stored("full", "tar+zstd", "backup"), "B", "–", None, "tar+zstd")
    add("full backup time vs restic", wall("full", "psbackup", "backup"), wall("full", "restic", "backup"), "s", "–", None, "restic")
    add("incremental backup time", wall("incr", "psbackup", "backup"), wall("incr", "restic", "backup"), "s", "≤ 1×", 1.0, "restic")
    add("incremental stored size", stored("incr", "psbackup", "backup"), stored("incr", "restic", "backup"), "B", "–", None, "restic")
    add("restore after incremental", wall("incr", "psbackup", "restore"), wall("incr", "restic", "restore"), "s", "–", None, "restic")

    for size in sorted(runs):
        ps = [r for r in runs[size][1] if r["tool"] == "psbackup" and r["verified"] != "FAIL"]
        if ps:
            peak = max(num(r["peak_rss_kb"]) * 1024 for r in ps)
            worst = max(ps, key=lambda r: num(r["peak_rss_kb"]))
            lines.append(f"| peak RSS, {size:g} GB (max over PsBackup steps: {worst['round']} {worst['op']}) | {fmt_mb(peak)} MB | | | < 300 MB | {verdict(peak < 300 * MB)} |")
    sizes = sorted(s for s in runs if get(runs[s][1], "full", "psbackup", "backup"))
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        if runs[lo][0].get("commit") != runs[hi][0].get("commit") or runs[lo][0].get("psbackup") != runs[hi][0].get("psbackup"):
            lines.append(f"| **warning**: the {lo:g} GB and {hi:g} GB runs used different commits or settings "
                         f"({runs[lo][0].get('commit')} vs {runs[hi][0].get('commit')}); re-run both | | | | | |")
        for op in ("backup", "restore"):
            a, b = get(runs[hi][1], "full", "psbackup", op), get(runs[lo][1], "full", "psbackup", op)
            if a and b:
                q = num(a["peak_rss_kb"]) / num(b["peak_rss_kb"])
                lines.append(f"| peak RSS, full {op}: {hi:g} GB vs {lo:g} GB | {fmt_mb(num(a['peak_rss_kb']) * 1024)} MB | "
                             f"{fmt_mb(num(b['peak_rss_kb']) * 1024)} MB | {q:.2f}× | flat (≤ 1.25×) | {verdict(q <= 1.25)} |")
        for op in ("backup", "restore"):
            pa, ta = get(runs[hi][1], "full", "psbackup", op), get(runs[hi][1], "full", "tar+zstd", op)
            if pa and ta:
                q = num(pa["wall_s"]) / num(ta["wall_s"])
                lines.append(f"| full {op} time, {hi:g} GB | {num(pa['wall_s']):.1f} s | {num(ta['wall_s']):.1f} s (tar+zstd) | {q:.2f}× | ≤ 1.5× | {verdict(q <= 1.5)} |")
    failed = [f"{s:g} GB {r['round']} {r['tool']} {r['op']}" for s in sorted(runs) for r in runs[s][1] if r["verified"] == "FAIL"]
    if failed:
        lines.append(f"\n**FAILED steps** (non-zero exit or restore not identical; see the note column of the tsv): {', '.join(failed)}")
    print("\n".join(out + lines))


if __name__ == "__main__":
    main()
