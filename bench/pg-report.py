#!/usr/bin/env python3
"""Markdown tables for bench/postgres.sh (usage: pg-report.py [TSV])."""
import sys

from report import load  # the same results-file format as the other benchmarks

path = sys.argv[1] if len(sys.argv) > 1 else "bench/.work/pg/results.tsv"
meta, rows = load(path)
for k in ("date", "host", "commit", "versions", "data"):
    print(f"- {k}: {meta.get(k, '?')}")
print(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}")
print()
print("| step | tool | wall s | engine s | peak RSS MB | stored MB | restored rows identical |")
print("|---|---|---:|---:|---:|---:|:-:|")
t = {}
for r in rows:
    t[(r["step"], r["tool"])] = r
    stored = "" if r["stored_bytes"] == "-" else f"{int(r['stored_bytes']) / 1048576:.0f}"
    verified = "" if r["verified"] == "-" else r["verified"]
    engine = "" if r.get("engine_s", "-") == "-" else f"{float(r['engine_s']):.1f}"
    print(f"| {r['step']} | {r['tool']} | {float(r['wall_s']):.1f} | {engine} | {int(r['peak_rss_kb']) / 1024:.0f} | {stored} | {verified} |")


def ratio(a, b, target, field="wall_s"):
    x, y = t.get(a), t.get(b)
    if not x or not y or x.get(field, "-") == "-" or y.get(field, "-") == "-":
        return None
    v = float(x[field]) / float(y[field])
    return f"{v:.2f}× | ≤ {target}× | **{'met' if v <= target else 'missed'}**"


print()
print("| measure | ratio | target | |")
print("|---|---:|---|---|")
INCREMENTAL, FULL = ("incremental", "psbackup-incremental"), ("incremental", "psbackup-full")
for label, a, b, target, field in [
    ("full backup vs pg_dump -Fc", ("full", "psbackup"), ("full", "pg_dump-Fc"), 1.0, "wall_s"),
    ("full backup vs pg_dump -Fd -j 2", ("full", "psbackup"), ("full", "pg_dump-Fd-j2"), 1.0, "wall_s"),
    ("restore vs pg_restore (-Fc)", ("restore", "psbackup"), ("restore", "pg_restore-Fc"), 1.0, "wall_s"),
    ("restore vs pg_restore -j 2 (-Fd)", ("restore", "psbackup"), ("restore", "pg_restore-Fd-j2"), 1.0, "wall_s"),
    ("incremental (1 % changed) vs a new full, wall", INCREMENTAL, FULL, 0.1, "wall_s"),
    ("incremental vs a new full, engine time (no process start-up)", INCREMENTAL, FULL, 0.1, "engine_s"),
]:
    r = ratio(a, b, target, field)
    if r:
        print(f"| {label} | {r} |")
rss = max(int(r["peak_rss_kb"]) for r in rows if r["tool"].startswith("psbackup")) / 1024
print(f"| PsBackup peak RSS (any step) | {rss:.0f} MB | < 300 MB | **{'met' if rss < 300 else 'missed'}** |")
