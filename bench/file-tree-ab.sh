#!/usr/bin/env bash
# Two psbackup-cli builds on the file-tree benchmark's tree (bench/gen-tree.py): did a change make
# full backups or restores slower? Alternates the builds (A B B A A B …) over ROUNDS rounds, drops
# the page cache before each timed step (as root), checks every restore against the source listing.
#
#   bench/file-tree-ab.sh A_CLI B_CLI [SIZE_GB] [ROUNDS]      (defaults: 1 GB, 3 rounds)
#
# A_CLI/B_CLI: psbackup-cli executables (e.g. a `dotnet publish tools/PsBackup.Cli -c Release` of
# each commit). Results: bench/.work/ab/results.tsv and the medians on stdout.
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
log "generating a ${SIZE_GB} GB tree"
$GEN "$TREE" --size-gb "$SIZE_GB" --seed 42 2>"$WORK/gen.log" || { cat "$WORK/gen.log" >&2; exit 1; }
$GEN "$TREE" --listing >"$WORK/listing"
RESULTS=$WORK/results.tsv
{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# A	$A"
  echo "# B	$B"
  echo "# tree	$(tail -1 "$WORK/gen.log" | sed 's/^gen-tree: [^:]*: //')"
  echo "# drop_caches	$DROP"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'round\tbuild\top\twall_s\tpeak_rss_kb\tverified\n'
} >"$RESULTS"

FAILED=0
# run ROUND NAME CLI: a full backup into a new repository, then a restore, both timed
run() {
  local round=$1 name=$2 cli=$3 repo=$WORK/repo-$2 out=$WORK/restore-$2
  rm -rf "$repo" "$out"
  "$cli" new-collection ab "$TREE" --repository "$repo" >/dev/null || { FAILED=1; return; }
  drop
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$cli" backup ab --repository "$repo" >"$WORK/out" 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  printf '%s\t%s\tbackup\t%s\t%s\t-\n' "$round" "$name" $(tail -1 "$WORK/time") >>"$RESULTS"
  local id; id=$(jq -r .Id "$WORK/out")
  drop
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$cli" restore "$id" "$out" --repository "$repo" >/dev/null 2>"$WORK/err" || { FAILED=1; cat "$WORK/err" >&2; return; }
  local verified=ok
  $GEN "$out" --listing | cmp -s - "$WORK/listing" || { verified=FAIL; FAILED=1; }
  printf '%s\t%s\trestore\t%s\t%s\t%s\n' "$round" "$name" $(tail -1 "$WORK/time") "$verified" >>"$RESULTS"
  log "round $round $name: $(tail -2 "$RESULTS" | cut -f3,4 | tr '\n' ' ')"
  rm -rf "$repo" "$out"
}

for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then run "$round" A "$A"; run "$round" B "$B"; else run "$round" B "$B"; run "$round" A "$A"; fi
done
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if not l.startswith("#")][1:]
print("| op | A median s (rounds) | B median s (rounds) | B/A | peak RSS A / B MB |")
print("|---|---|---|---|---|")
for op in ("backup", "restore"):
    t = {b: [float(r[3]) for r in rows if r[1] == b and r[2] == op] for b in "AB"}
    m = {b: [int(r[4]) for r in rows if r[1] == b and r[2] == op] for b in "AB"}
    if not t["A"] or not t["B"]: continue
    a, b = statistics.median(t["A"]), statistics.median(t["B"])
    fmt = lambda v: "/".join(f"{x:.1f}" for x in v)
    print(f"| {op} | {a:.1f} ({fmt(t['A'])}) | {b:.1f} ({fmt(t['B'])}) | {b / a:.2f} | {max(m['A']) // 1024} / {max(m['B']) // 1024} |")
PY
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$TREE"
exit $FAILED
