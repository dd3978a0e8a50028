#!/usr/bin/env python3
"""Markdown tables for bench/postgres.sh (usage: pg-report.py [TSV]): medians and spreads over the rounds.

Times: wall seconds; "client CPU" is the tool's own user+sys (GNU time), "server CPU" what the
cluster's backends and walsenders spent serving the step; CPU time is far less sensitive to the
machine's load than wall time, so both ratios are printed.
"""
import statistics
import sys

from report import load  # the same results-file format as the other benchmarks

path = sys.argv[1] if len(sys.argv) > 1 else "bench/.work/pg/results.tsv"
meta, rows = load(path)
for k in ("date", "host", "commit", "versions", "data", "compression", "rounds"):
    print(f"- {k}: {meta.get(k, '?')}")
print(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}")
wal = [int(v.split()[0]) for k, v in meta.items() if k.startswith("wal_round_")]
if wal:
    print(f"- WAL written by each 1 % update: {', '.join(f'{w / 1048576:.0f}' for w in wal)} MB")
print()

groups = {}
for r in rows:
    groups.setdefault((r["step"], r["tool"]), []).append(r)


def values(key, field):
    return [float(r[field]) for r in groups.get(key, []) if r.get(field, "-") not in ("-", "", None)]


def med(v, fmt="{:.1f}"):
    return fmt.format(statistics.median(v)) if v else ""


def spread(v):
    return f"{min(v):.1f}–{max(v):.1f}" if len(v) > 1 else ""


print("| step | tool | rounds | wall s (median) | wall s (min–max) | engine s | client CPU s | server CPU s | peak RSS MB | stored MB | check | load (1 min) |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|:-:|---|")
for key, rs in groups.items():
    wall, engine = values(key, "wall_s"), values(key, "engine_s")
    client, server = values(key, "client_cpu_s"), values(key, "server_cpu_s")
    stored = values(key, "stored_bytes")
    verified = sorted({r["verified"] for r in rs if r["verified"] != "-"})
    loads = ", ".join(r.get("load1", "") for r in rs)
    rss = max(int(r["peak_rss_kb"]) for r in rs) / 1024
    stored_mb = f"{statistics.median(stored) / 1048576:.1f}" if stored else ""
    print(f"| {key[0]} | {key[1]} | {len(rs)} | {med(wall)} | {spread(wall)} | {med(engine)} | {med(client, '{:.2f}')} | "
          f"{med(server, '{:.2f}')} | {rss:.0f} | {stored_mb} | {' '.join(verified)} | {loads} |")


def per_round(a, b, field):
    """Per-round pairs (same round number), so a ratio compares measurements taken minutes apart at most."""
    x = {r["round"]: r for r in groups.get(a, [])}
    y = {r["round"]: r for r in groups.get(b, [])}
    out = []
    for k in sorted(set(x) & set(y), key=int):
        p, q = (sum(float(r[f]) for f in field.split("+")) for r in (x[k], y[k]))
        if q > 0:
            out.append(p / q)
    return out


def loads_of(*keys):
    return ", ".join(r.get("load1", "") for k in keys for r in groups.get(k, []))


def ratio(a, b, target, field):
    v = per_round(a, b, field)
    if not v:
        return None
    m = statistics.median(v)
    verdict = "met" if m <= target else "missed"
    return f"{m:.2f}× | {', '.join(f'{p:.2f}' for p in v)} | ≤ {target}× | **{verdict}**"


print()
print("| measure | median of per-round ratios | per round | target | |")
print("|---|---:|---|---|---|")
FULL, INC, NEWFULL, FLOOR = ("full", "psbackup"), ("incremental", "psbackup-incremental"), ("incremental", "psbackup-full"), ("incremental", "server-decoding-floor")
CPU = "client_cpu_s+server_cpu_s"
for label, a, b, target, field in [
    ("full backup vs pg_dump -Fc, wall", FULL, ("full", "pg_dump-Fc"), 1.0, "wall_s"),
    ("full backup vs pg_dump -Fd -j 2, wall", FULL, ("full", "pg_dump-Fd-j2"), 1.0, "wall_s"),
    ("full backup vs pg_dump -Fd -j 2, CPU (client + server)", FULL, ("full", "pg_dump-Fd-j2"), 1.0, CPU),
    ("restore vs pg_restore (-Fc), wall", ("restore", "psbackup"), ("restore", "pg_restore-Fc"), 1.0, "wall_s"),
    ("restore vs pg_restore -j 2 (-Fd), wall", ("restore", "psbackup"), ("restore", "pg_restore-Fd-j2"), 1.0, "wall_s"),
    ("restore vs pg_restore -j 2 (-Fd), CPU (client + server)", ("restore", "psbackup"), ("restore", "pg_restore-Fd-j2"), 1.0, CPU),
    ("incremental (1 % changed) vs a new full, wall", INC, NEWFULL, 0.1, "wall_s"),
    ("incremental vs a new full, engine time (no process start-up)", INC, NEWFULL, 0.1, "engine_s"),
    ("incremental vs a new full, CPU (client + server)", INC, NEWFULL, 0.1, CPU),
    ("floor: server-side decoding alone vs a new full, wall", FLOOR, NEWFULL, 0.1, "wall_s"),
    ("floor: server-side decoding alone vs a new full, CPU", FLOOR, NEWFULL, 0.1, CPU),
    ("incremental vs the floor, wall", INC, FLOOR, 1.0, "wall_s"),
]:
    r = ratio(a, b, target, field)
    if r:
        print(f"| {label} | {r} |")
EMPTY = ("incremental", "psbackup-incremental-nothing-changed")
full_cpu = [float(r["client_cpu_s"]) + float(r["server_cpu_s"]) for r in groups.get(NEWFULL, [])]
for what, key in (("an incremental with nothing changed (the fixed cost)", EMPTY), ("server-side decoding of the update's WAL", FLOOR)):
    w, c = values(key, "wall_s"), [float(r["client_cpu_s"]) + float(r["server_cpu_s"]) for r in groups.get(key, [])]
    fw = values(NEWFULL, "wall_s")
    if w and fw and c and full_cpu:
        print(f"| {what} vs a new full (medians) | wall {statistics.median(w) / statistics.median(fw):.2f}×, CPU {statistics.median(c) / statistics.median(full_cpu):.2f}× | | | |")
rss = max(int(r["peak_rss_kb"]) for r in rows if r["tool"].startswith("psbackup")) / 1024
print(f"| PsBackup peak RSS (any step) | {rss:.0f} MB | | < 300 MB | **{'met' if rss < 300 else 'missed'}** |")

# One row per headline ratio for bench/all.sh's table (bench/lib.sh's five tab-separated fields).
import os
if os.environ.get("BENCH_RATIOS"):
    with open(os.environ["BENCH_RATIOS"], "a") as f:
        for label, a, b, target, field in [
            ("PostgreSQL full / pg_dump -Fd -j 2 -Z 1, wall", FULL, ("full", "pg_dump-Fd-j2"), "<= 1.0x", "wall_s"),
            ("PostgreSQL full / pg_dump -Fd -j 2 -Z 1, CPU", FULL, ("full", "pg_dump-Fd-j2"), "<= 1.0x", CPU),
            ("PostgreSQL restore / pg_restore -j 2, wall", ("restore", "psbackup"), ("restore", "pg_restore-Fd-j2"), "<= 1.0x", "wall_s"),
            ("PostgreSQL incremental (1 %) / a full, CPU", INC, NEWFULL, "<= 0.1x or the floor", CPU),
            ("PostgreSQL decoding floor / a full, CPU", FLOOR, NEWFULL, "(the floor)", CPU),
        ]:
            v = per_round(a, b, field)
            if v:
                f.write(f"{label}\t{statistics.median(v):.2f}x ({min(v):.2f}-{max(v):.2f})\t{target}\t{loads_of(a, b)}\t{meta.get('data', '')}, {len(v)} rounds\n")
