#!/usr/bin/env python3
"""Markdown tables for bench/s3.sh from bench/.work/s3/results.tsv (usage: s3-report.py TSV)."""
import sys

from report import load  # the same results-file format as the file-tree benchmark

path = sys.argv[1] if len(sys.argv) > 1 else "bench/.work/s3/results.tsv"
meta, rows = load(path)

for k in ("run", "machine", "data", "server"):
    if k in meta:
        print(f"- {k}: {meta[k]}")
print(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}")
print()
nfiles = meta.get("data", "? files").split(" ")[0]
names = {"raw-dir": f"TransferUtility, directory ({nfiles} objects)", "raw-file": "TransferUtility, one object",
         "psbackup-none": "PsBackup, `--compression none`", "psbackup-brotli": "PsBackup, brotli (default)"}
print("| step | tool | wall s | MB/s | peak RSS MB | client CPU s | s3rver CPU s (% of wall) | restore identical | note |")
print("|---|---|---:|---:|---:|---:|---:|:-:|---|")
by = {}
for r in rows:
    wall = float(r["wall_s"]); mbs = int(r["bytes"]) / 1e6 / wall
    by[(r["step"], r["tool"])] = (wall, mbs, int(r["rss_kb"]) / 1024)
    node = float(r["server_cpu_s"])
    check = "" if r["check"] == "-" else r["check"]
    print(f"| {r['step']} | {names.get(r['tool'], r['tool'])} | {wall:.1f} | {mbs:.0f} | {int(r['rss_kb'])/1024:.0f} | "
          f"{float(r['client_cpu_s']):.1f} | {node:.1f} ({100*node/wall:.0f} %) | {check} | {r['note']} |")
print()
print("| measure | PsBackup | raw reference | ratio | target | |")
print("|---|---:|---:|---:|---|---|")
for step in ("upload", "download"):
    for comp in ("none", "brotli"):
        p = by.get((step, f"psbackup-{comp}"))
        for ref in ("raw-dir", "raw-file"):
            q = by.get((step, ref))
            if not p or not q:
                continue
            ratio = p[1] / q[1]
            if comp == "none":
                verdict = f"**{'met' if ratio >= 0.8 else 'missed'}**"
                target = "≥ 0.8×"
            else:
                verdict, target = "(context)", "–"
            print(f"| {step} throughput, {comp} vs {names[ref].split(', ')[1]} | {p[1]:.0f} MB/s | {q[1]:.0f} MB/s | {ratio:.2f}× | {target} | {verdict} |")
peak = max((v[2] for k, v in by.items() if k[1].startswith("psbackup")), default=None)
if peak is not None:
    print(f"| peak RSS (max over PsBackup steps) | {peak:.0f} MB | | | < 300 MB | **{'met' if peak < 300 else 'missed'}** |")
