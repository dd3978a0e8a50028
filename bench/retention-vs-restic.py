#!/usr/bin/env python3
"""Checks PsBackup's retention planner against restic's own `forget` on random histories.

    bench/retention-vs-restic.py [HISTORIES] [SEED]      (default 20 histories, seed 1)

For each history it makes a restic repository with one snapshot per backup (`restic backup
--time`, a one-file directory, TZ=Europe/Berlin, times clustered around a DST change), asks
`restic forget --dry-run --json` which snapshots several policies keep, and compares with what
`retention-bench plan` (the PsBackup planner) keeps for the same times, tags and policy. Every
backup is a full one (restic has no chains), so PsBackup's extra rules (newest full, chains)
only matter where the policy keeps nothing new; policies here always keep the newest.
Needs restic (bench/install.sh) and the .NET SDK; runs in bench/.work/restic-compare.

PsBackup follows restic >= 0.16, which also keeps the oldest snapshot while a calendar rule has
counts left and accepts -1 (unlimited); Debian's restic is 0.14, which does neither. So policies
here use no -1, and a difference that is exactly "PsBackup also keeps the oldest backup" is
counted as the 0.16 rule, not as a mismatch; every other difference fails the run.
"""
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", ".work", "restic-compare")
ZONE = "Europe/Berlin"
ENV = dict(os.environ, TZ=ZONE, RESTIC_PASSWORD="bench", RESTIC_CACHE_DIR=os.path.join(WORK, "cache"))
POLICIES = [
    {"last": 3, "daily": 4, "weekly": 3},
    {"hourly": 6, "daily": 3, "monthly": 2},
    {"daily": 7, "weekly": 4, "monthly": 3, "yearly": 2},
    {"daily": 30, "weekly": 12, "monthly": 12, "yearly": 7},
    {"last": 2, "withinHours": 36, "tags": ["release"]},
    {"hourly": 5, "weekly": 2},
]
FLAGS = {"last": "--keep-last", "hourly": "--keep-hourly", "daily": "--keep-daily", "weekly": "--keep-weekly",
         "monthly": "--keep-monthly", "yearly": "--keep-yearly"}


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, env=ENV, **kw).stdout


def history(rng):
    zone = ZoneInfo(ZONE)
    t = rng.choice([dt.datetime(2025, 10, 20, 8, 0, tzinfo=dt.timezone.utc), dt.datetime(2025, 3, 24, 8, 0, tzinfo=dt.timezone.utc),
                    dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.timezone.utc)])
    backups = []
    for i in range(rng.randint(5, 35)):
        t -= dt.timedelta(minutes=rng.choice([rng.randint(1, 59), rng.randint(60, 30 * 60), rng.randint(30 * 60, 20 * 24 * 60)]))
        local = t.astimezone(zone).replace(microsecond=0)
        backups.append({"time": local, "tags": ["release"] if rng.random() < 0.15 else []})
    return backups


def restic_keeps(repo, policy):
    args = ["restic", "-r", repo, "forget", "--dry-run", "--json", "--group-by", ""]
    for key, flag in FLAGS.items():
        if key in policy:
            args += [flag, str(policy[key])]
    if "withinHours" in policy:
        args += ["--keep-within", f"{policy['withinHours']}h"]
    for tag in policy.get("tags", []):
        args += ["--keep-tag", tag]
    groups = json.loads(run(args))
    return {s["short_id"] for g in groups for s in (g.get("keep") or [])}


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    run(["dotnet", "build", os.path.join(ROOT, "bench", "Retention"), "-c", "Release", "-o", os.path.join(WORK, "cli")])
    source = os.path.join(WORK, "src")
    os.makedirs(source)
    with open(os.path.join(source, "f"), "w") as f:
        f.write("x")
    compared = mismatches = oldest_rule = 0
    for h in range(count):
        repo = os.path.join(WORK, f"repo{h}")
        run(["restic", "init", "-r", repo])
        backups = history(rng)
        for b in backups:
            tag_args = [a for t in b["tags"] for a in ("--tag", t)]
            out = json.loads(run(["restic", "-r", repo, "backup", "--json", "--host", "h", "--time", b["time"].strftime("%Y-%m-%d %H:%M:%S"), *tag_args, source]).splitlines()[-1])
            b["id"] = out["snapshot_id"][:8]
        # Use the times restic stored: a wall-clock time in the repeated hour of a DST change is
        # ambiguous, and restic resolves --time its own way.
        stored = {s["short_id"]: s["time"] for s in json.loads(run(["restic", "-r", repo, "snapshots", "--json"]))}
        for b in backups:
            b["stored"] = stored[b["id"]]
        for policy in POLICIES:
            expected = restic_keeps(repo, policy)
            plan_file = os.path.join(WORK, "plan.json")
            with open(plan_file, "w") as f:
                json.dump({"zone": ZONE, "policy": policy,
                           "backups": [{"id": b["id"], "time": b["stored"], "tags": b["tags"]} for b in backups]}, f)
            actual = set(run(["dotnet", os.path.join(WORK, "cli", "retention-bench.dll"), "plan", plan_file]).split())
            compared += 1
            oldest = min(backups, key=lambda b: dt.datetime.fromisoformat(b["stored"][:19] + b["stored"][-6:]))["id"]
            if actual != expected and expected <= actual and actual - expected == {oldest}:
                oldest_rule += 1
            elif actual != expected:
                mismatches += 1
                print(f"history {h} policy {policy}: restic keeps {sorted(expected)}, PsBackup keeps {sorted(actual)}")
                for b in sorted(backups, key=lambda b: b["time"]):
                    print(f"   {b['id']} {b['stored']} {b['tags']}")
        shutil.rmtree(repo)
    print(f"{compared} history x policy pairs compared with restic {run(['restic', 'version']).split()[1]}: "
          f"{compared - mismatches - oldest_rule} equal, {oldest_rule} equal but for restic 0.16's oldest-snapshot rule, {mismatches} different")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
