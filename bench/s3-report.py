#!/usr/bin/env python3
"""Markdown tables for bench/s3.sh from bench/.work/s3/results.tsv (usage: s3-report.py TSV).

Medians and spread (min-max) over the rounds; a ratio is PsBackup's throughput over
TransferUtility's in the same round and case (raw wall / PsBackup wall), and the median of those
per-round ratios is reported. When $BENCH_RATIOS is set, appends bench/all.sh's ratio rows."""
import csv, os, statistics as st, sys

path = sys.argv[1] if len(sys.argv) > 1 else "bench/.work/s3/results.tsv"
meta, lines = {}, []
for line in open(path):
    if line.startswith("# "):
        k, _, v = line[2:].rstrip("\n").partition("\t")
        meta[k] = v
    else:
        lines.append(line)
rows = list(csv.DictReader(lines, delimiter="\t"))

for k in ("run", "machine", "data", "server"):
    if k in meta:
        print(f"- {k}: {meta[k]}")
print(f"- load average (1/5/15 min) at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}")
print()

CASES = {"one": "one large object", "dir": "directory (many objects)", "zstd": "directory, PsBackup zstd (context)"}
TOOLS = {"raw": "TransferUtility", "rawpar": "TransferUtility, parallel ranges", "psbackup": "PsBackup"}
groups = {}
for r in rows:
    groups.setdefault((r["case"], r["direction"], r["tool"]), []).append(r)


def spread(values, fmt="{:.1f}"):
    return f"{fmt.format(st.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


print("| case | direction | tool | wall s, median (min-max) | MB/s (median) | client CPU s | s3rver CPU s | peak RSS MB | load1 per round | checked |")
print("|---|---|---|---:|---:|---:|---:|---:|---|:-:|")
for (case, direction, tool), rs in groups.items():
    walls = [float(r["wall_s"]) for r in rs]
    mbs = int(rs[0]["bytes"]) / 1e6 / st.median(walls)
    checks = {r["check"] for r in rs}
    print(f"| {CASES.get(case, case)} | {direction} | {TOOLS.get(tool, tool)} | {spread(walls)} | {mbs:.0f} | "
          f"{spread([float(r['client_cpu_s']) for r in rs])} | {spread([float(r['server_cpu_s']) for r in rs])} | "
          f"{max(int(r['rss_kb']) for r in rs) / 1024:.0f} | {', '.join(r['load1'] for r in rs)} | "
          f"{'' if checks == {'-'} else ', '.join(sorted(checks))} |")
print()

TARGETS = {("one", "upload"): "≥ 0.9×", ("one", "download"): "≥ 1.0×"}
print("| measure: PsBackup throughput / TransferUtility's, same round | per-round ratios | median (min-max) | CPU s ratio (median) | target | |")
print("|---|---|---:|---:|---|---|")
ratio_rows = []
# The download of `one` is compared with both of TransferUtility's: DownloadAsync (one GET) and its
# multipart download (parallel ranged GETs, "rawpar"), the like-for-like contender of PsBackup's reader.
PAIRS = [("one", "upload", "raw"), ("one", "download", "raw"), ("one", "download", "rawpar"),
         ("dir", "upload", "raw"), ("dir", "download", "raw")]
for case, direction, ref in PAIRS:
    raw = {r["round"]: r for r in groups.get((case, direction, ref), [])}
    psb = {r["round"]: r for r in groups.get((case, direction, "psbackup"), [])}
    rounds = sorted(set(raw) & set(psb), key=int)
    if not rounds:
        continue
    ratios = [float(raw[n]["wall_s"]) / float(psb[n]["wall_s"]) for n in rounds]
    cpu = [float(psb[n]["client_cpu_s"]) / float(raw[n]["client_cpu_s"]) for n in rounds]
    target = TARGETS.get((case, direction), "–")
    med = st.median(ratios)
    verdict = "" if target == "–" else ("**met**" if med >= float(target.split()[1].rstrip("×")) else "**not met**")
    name = f"S3 {direction}, {CASES[case]}" + (" vs parallel ranges" if ref == "rawpar" else "")
    print(f"| {name} | {', '.join(f'{x:.2f}' for x in ratios)} | {med:.2f}× ({min(ratios):.2f}-{max(ratios):.2f}) | "
          f"{st.median(cpu):.2f}× | {target} | {verdict} |")
    loads = ", ".join(f"{raw[n]['load1']}/{psb[n]['load1']}" for n in rounds)
    ratio_rows.append(f"{name}: PsBackup / {TOOLS[ref]} throughput\t{med:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})\t"
                      f"{target.replace('×', 'x')}\t{loads}\t{len(rounds)} rounds, order alternated; CPU {st.median(cpu):.2f}x of raw's\n")
print()
print("Ratios above 1 favour PsBackup (throughput). CPU s ratio: PsBackup's client CPU seconds over TransferUtility's.")

if os.environ.get("BENCH_RATIOS"):
    with open(os.environ["BENCH_RATIOS"], "a") as f:
        f.writelines(ratio_rows)
