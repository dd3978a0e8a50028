#!/usr/bin/env python3
"""Markdown tables for bench/postgres.sh (usage: pg-report.py [TSV]): medians and spreads over the rounds."""
import statistics
import sys

from report import load  # the same results-file format as the other benchmarks

path = sys.argv[1] if len(sys.argv) > 1 else "bench/.work/pg/results.tsv"
meta, rows = load(path)
for k in ("date", "host", "commit", "versions", "data", "rounds"):
    print(f"- {k}: {meta.get(k, '?')}")
print(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}")
print()

groups = {}
for r in rows:
    groups.setdefault((r["step"], r["tool"]), []).append(r)


def values(key, field):
    return [float(r[field]) for r in groups.get(key, []) if r.get(field, "-") not in ("-", "")]


def spread(v):
    return f"{min(v):.1f}–{max(v):.1f}" if len(v) > 1 else ""


print("| step | tool | rounds | wall s (median) | wall s (min–max) | engine s (median) | peak RSS MB (max) | stored MB | restores identical | load (1 min) |")
print("|---|---|---:|---:|---|---:|---:|---:|:-:|---|")
for key, rs in groups.items():
    wall, engine = values(key, "wall_s"), values(key, "engine_s")
    stored = values(key, "stored_bytes")
    verified = {r["verified"] for r in rs if r["verified"] != "-"}
    loads = [r.get("load1", "") for r in rs]
    print(f"| {key[0]} | {key[1]} | {len(rs)} | {statistics.median(wall):.1f} | {spread(wall)} | "
          f"{statistics.median(engine):.1f} | " if engine else f"| {key[0]} | {key[1]} | {len(rs)} | {statistics.median(wall):.1f} | {spread(wall)} | | ",
          end="")
    print(f"{max(int(r['peak_rss_kb']) for r in rs) / 1024:.0f} | {statistics.median(stored) / 1048576:.0f} | " if stored
          else f"{max(int(r['peak_rss_kb']) for r in rs) / 1024:.0f} | | ", end="")
    print(f"{' '.join(sorted(verified))} | {', '.join(loads)} |")


def ratio(a, b, target, field="wall_s"):
    x, y = values(a, field), values(b, field)
    if not x or not y:
        return None
    v = statistics.median(x) / statistics.median(y)
    per_round = [f"{p / q:.2f}" for p, q in zip(x, y)]
    return f"{v:.2f}× | {', '.join(per_round)} | ≤ {target}× | **{'met' if v <= target else 'missed'}**"


print()
print("| measure | ratio of medians | per round | target | |")
print("|---|---:|---|---|---|")
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
print(f"| PsBackup peak RSS (any step) | {rss:.0f} MB | | < 300 MB | **{'met' if rss < 300 else 'missed'}** |")
