#!/usr/bin/env bash
# Two psbackup-cli builds on the file-tree benchmark's tree (bench/gen-tree.py): did a change make
# full backups or restores slower? Alternates the builds (A B B A A B …) over ROUNDS rounds, drops
# the page cache before each timed step (as root), checks every restore against the source listing.
# Records wall time and CPU time (user + system: steadier than wall time on a shared machine).
#
#   bench/file-tree-ab.sh A_CLI B_CLI [SIZE_GB] [ROUNDS]      (defaults: 1 GB, 3 rounds)
#   BENCH_SMALL_FILES=100000 bench/file-tree-ab.sh A_CLI B_CLI  (instead: that many 100-byte files
#                                                               in 1,000 directories: per-file costs)
#
# A_CLI/B_CLI: psbackup-cli executables (e.g. a `dotnet publish tools/PsBackup.Cli -c Release` of
# each commit); they may be the same build with different collection options:
#   BENCH_A_ARGS / BENCH_B_ARGS   extra new-collection arguments, e.g. "--compression brotli"
#   BENCH_AB_TAR=1                also times `tar -c | zstd -3 -T0` and `zstd -d | tar -x` (T) each
#                                 round, first in odd rounds and last in even ones, as the reference
# Results: bench/.work/ab/results.tsv and the medians on stdout.
set -uo pipefail

A=${1:?usage: $0 A_CLI B_CLI [SIZE_GB] [ROUNDS]} B=${2:?usage: $0 A_CLI B_CLI [SIZE_GB] [ROUNDS]}
SIZE_GB=${3:-1} ROUNDS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}/ab
GEN="python3 $HERE/gen-tree.py"
. "$HERE/lib.sh"   # log, drop

rm -rf "$WORK" && mkdir -p "$WORK"
TREE=$WORK/tree
if [ -n "${BENCH_SMALL_FILES:-}" ]; then
  log "generating $BENCH_SMALL_FILES small files"
  python3 - "$TREE" "$BENCH_SMALL_FILES" <<'PY' 2>"$WORK/gen.log" || { cat "$WORK/gen.log" >&2; exit 1; }
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, f"d{i % 1000:03d}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"f{i:07d}")
    with open(path, "wb") as f: f.write(b"%07d" % i * 12 + b"\n" * 16)
    os.utime(path, (1_700_000_000, 1_700_000_000))
for i in range(1000): os.utime(os.path.join(root, f"d{i:03d}"), (1_700_000_000, 1_700_000_000))
print(f"gen-tree: {root}: {count} files of 100 bytes in 1000 dirs", file=sys.stderr)
PY
else
  log "generating a ${SIZE_GB} GB tree"
  $GEN "$TREE" --size-gb "$SIZE_GB" --seed 42 2>"$WORK/gen.log" || { cat "$WORK/gen.log" >&2; exit 1; }
fi
$GEN "$TREE" --listing >"$WORK/listing"
RESULTS=$WORK/results.tsv
{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# A	$A"
  echo "# B	$B"
  echo "# A_args	${BENCH_A_ARGS:-}"
  echo "# B_args	${BENCH_B_ARGS:-}"
  echo "# tree	$(tail -1 "$WORK/gen.log" | sed 's/^gen-tree: [^:]*: //')"
  echo "# drop_caches	$DROP"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'round\tbuild\top\twall_s\tpeak_rss_kb\tcpu_s\tverified\tload1\n'
} >"$RESULTS"

FAILED=0
# times_of FILE: GNU time's "wall rss user sys" as "wall<TAB>rss<TAB>user+sys"
times_of() { tail -1 "$1" | awk '{printf "%s\t%s\t%.2f", $1, $2, $3 + $4}'; }

load1() { cut -d' ' -f1 /proc/loadavg; }

# run ROUND NAME CLI [NEW-COLLECTION ARGS]: a full backup into a new repository, then a restore, both timed
run() {
  local round=$1 name=$2 cli=$3 repo=$WORK/repo-$2 out=$WORK/restore-$2
  rm -rf "$repo" "$out"
  # shellcheck disable=SC2086 # the extra arguments are words
  "$cli" new-collection ab "$TREE" --repository "$repo" ${4:-} >/dev/null || { FAILED=1; return; }
  drop
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$cli" backup ab --repository "$repo" >"$WORK/out" 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  printf '%s\t%s\tbackup\t%s\t-\t%s\n' "$round" "$name" "$(times_of "$WORK/time")" "$(load1)" >>"$RESULTS"
  local id; id=$(jq -r .Id "$WORK/out")
  drop
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$cli" restore "$id" "$out" --repository "$repo" >/dev/null 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  local verified=ok
  $GEN "$out" --listing | cmp -s - "$WORK/listing" || { verified=FAIL; FAILED=1; }
  printf '%s\t%s\trestore\t%s\t%s\t%s\n' "$round" "$name" "$(times_of "$WORK/time")" "$verified" "$(load1)" >>"$RESULTS"
  log "round $round $name: $(tail -2 "$RESULTS" | cut -f3,4 | tr '\n' ' ')"
  rm -rf "$repo" "$out"
}

# tar ROUND: the reference, tar | zstd -3 -T0 into one archive (fsynced, as PsBackup syncs what it stores), then zstd -d | tar -x
tar_run() {
  [ "${BENCH_AB_TAR:-0}" = 1 ] || return 0
  local round=$1 archive=$WORK/tree.tar.zst out=$WORK/restore-T
  rm -rf "$archive" "$out" && mkdir -p "$out"
  drop
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" bash -c "tar -C '$TREE' -cf - . | zstd -q -3 -T0 -o '$archive' && sync '$archive'" 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  printf '%s\tT\tbackup\t%s\t-\t%s\n' "$round" "$(times_of "$WORK/time")" "$(load1)" >>"$RESULTS"
  drop
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" bash -c "zstd -q -d -c '$archive' | tar -C '$out' -xf -" 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  local verified=ok
  $GEN "$out" --listing | cmp -s - "$WORK/listing" || { verified=FAIL; FAILED=1; }
  printf '%s\tT\trestore\t%s\t%s\t%s\n' "$round" "$(times_of "$WORK/time")" "$verified" "$(load1)" >>"$RESULTS"
  rm -rf "$archive" "$out"
}

for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then tar_run "$round"; run "$round" A "$A" "${BENCH_A_ARGS:-}"; run "$round" B "$B" "${BENCH_B_ARGS:-}"
  else run "$round" B "$B" "${BENCH_B_ARGS:-}"; run "$round" A "$A" "${BENCH_A_ARGS:-}"; tar_run "$round"; fi
done
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if not l.startswith("#")][1:]
tar = any(r[1] == "T" for r in rows)
print("| op | measure | A median (rounds) | B median (rounds) | B/A |" + (" T (tar+zstd) median (rounds) | A/T | B/T |" if tar else ""))
print("|---|---|---|---|---|" + ("---|---|---|" if tar else ""))
fmt = lambda v: "/".join(f"{x:.1f}" for x in v)
for op in ("backup", "restore"):
    for column, measure in ((3, "wall s"), (5, "CPU s"), (4, "peak RSS MB")):
        v = {b: [float(r[column]) / (1024 if column == 4 else 1) for r in rows if r[1] == b and r[2] == op] for b in "ABT"}
        if not v["A"] or not v["B"]: continue
        a, b = statistics.median(v["A"]), statistics.median(v["B"])
        line = f"| {op} | {measure} | {a:.1f} ({fmt(v['A'])}) | {b:.1f} ({fmt(v['B'])}) | {b / a:.2f} |"
        if tar and v["T"]:
            t = statistics.median(v["T"])
            line += f" {t:.1f} ({fmt(v['T'])}) | {a / t:.2f} | {b / t:.2f} |"
        print(line)
print("restores identical: " + ", ".join(sorted({f"{r[1]} {r[6]}" for r in rows if r[2] == "restore"})))
print("load (1 min) per step: " + " ".join(r[7] for r in rows))
PY
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$TREE"
exit $FAILED
