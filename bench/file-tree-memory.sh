#!/usr/bin/env bash
# File-tree memory: peak RSS of PsBackup's full backup, restore, 1 % incremental and its restore at
# several file counts (small files: bench/gen-small-tree.py), to show memory does not grow with the
# number of files (docs/benchmarks.md, "File-tree memory").
#
#   bench/file-tree-memory.sh [COUNT ...]          default: 20000 200000 1000000
#
# Each step runs under GNU time: wall, user and system CPU seconds, peak RSS (KiB); the load average
# is recorded before and after each step. Every restore is compared with the source by a listing
# (type, mode, mtime, size, SHA-256, symlink target) and must be identical.
# Environment: BENCH_VERIFY=0 skips the listings (hours of SHA-256 in Python at 1M files on a busy
# machine: the RSS is the point there), BENCH_WORK (default /tmp/psb-memory-bench; deleted at the end unless BENCH_KEEP=1),
# BENCH_CLI (a published psbackup-cli to measure; default: published from HEAD, as bench/lib.sh does).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-/tmp/psb-memory-bench}
COUNTS=("$@"); [ ${#COUNTS[@]} -gt 0 ] || COUNTS=(20000 200000 1000000)
GEN="python3 $HERE/gen-small-tree.py"
LIST="python3 $HERE/gen-tree.py"
mkdir -p "$WORK"
. "$HERE/lib.sh"
if [ -n "${BENCH_CLI:-}" ]; then CLI=$BENCH_CLI; COMMIT=$(cat "$(dirname "$CLI")/BUILD" 2>/dev/null || echo "?")
else build_cli "$WORK/cli" || exit 1; fi
RESULTS=$WORK/memory.tsv
echo -e "files\tstep\twall_s\tuser_s\tsys_s\tmax_rss_mib\tload_before\tload_after\tcheck\tbuild $COMMIT" >>"$RESULTS"
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/'; }

# step N NAME CMD...: runs CMD under GNU time and appends a row
step() {
  local n=$1 name=$2; shift 2
  local before; before=$(load)
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { log "$name FAILED"; tail -3 "$WORK/err" >&2; return 1; }
  read -r wall user sys rss <"$WORK/time"
  echo -e "$n\t$name\t$wall\t$user\t$sys\t$((rss / 1024))\t$before\t$(load)\t${CHECK:-}" >>"$RESULTS"
  log "$n $name: ${wall}s wall, ${user}s user, ${sys}s sys, $((rss / 1024)) MiB peak RSS (load $before -> $(load))"
}
VERIFY=${BENCH_VERIFY:-1}
verify() { [ "$VERIFY" = 1 ] || { echo "not checked"; return; }; $LIST "$1" --listing | cmp -s - "$2" && echo ok || echo FAIL; }
listing() { [ "$VERIFY" = 1 ] && $LIST "$1" --listing >"$2"; return 0; }

for n in "${COUNTS[@]}"; do
  tree=$WORK/tree-$n repo=$WORK/repo-$n
  [ -d "$tree" ] || { log "generating $n files in $tree"; $GEN "$tree" --files "$n" || exit 1; }
  rm -rf "$repo" "$WORK/restored"
  "$CLI" new-collection bench "$tree" --repository "$repo" --incremental >/dev/null || exit 1
  listing "$tree" "$WORK/listing-full"
  CHECK= step "$n" backup "$CLI" backup bench --repository "$repo" || continue
  full=$(jq -r .Id "$WORK/out")
  step "$n" restore "$CLI" restore "$full" "$WORK/restored" --repository "$repo"
  sed -i "\$s/\$/$(verify "$WORK/restored" "$WORK/listing-full")/" "$RESULTS"; rm -rf "$WORK/restored"
  $GEN "$tree" --files "$n" --mutate 1 --seed "$(date +%s)" # a new 1 % each run: the trees are reused
  listing "$tree" "$WORK/listing-incr"
  step "$n" incremental "$CLI" backup bench --repository "$repo" --incremental || continue
  incr=$(jq -r .Id "$WORK/out")
  step "$n" restore-incremental "$CLI" restore "$incr" "$WORK/restored" --repository "$repo"
  sed -i "\$s/\$/$(verify "$WORK/restored" "$WORK/listing-incr")/" "$RESULTS"; rm -rf "$WORK/restored" "$repo"
done
column -t -s $'\t' "$RESULTS"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"
