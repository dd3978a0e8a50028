#!/usr/bin/env bash
# Every benchmark in one go, and one table of ratios (issue 21):
#
#   bench/all.sh            (as root, on an idle machine; about 30 minutes, ~10 GB of disk at peak)
#
# Runs, one after the other (never two at once: they would measure each other), with one
# psbackup-cli build shared by all of them:
#   file-tree.sh 1          PsBackup vs tar | zstd and restic, 1 GB tree, full + incremental + restore, 3 rotated rounds
#   postgres.sh             PostgreSQL tables vs pg_dump / pg_restore
#   pg-cluster.sh           PostgreSQL cluster base backup + PITR vs pg_basebackup and pgBackRest
#   redis.sh                Redis snapshot vs redis-cli --rdb (BENCH_REDIS_KEYS, default 500,000 here)
#   s3.sh                   S3 upload/download vs TransferUtility
#   mongo.sh 250            MongoDB backup/restore vs the driver's raw read/insert (3 rounds here)
# Each script appends its ratios to $BENCH_RATIOS through `ratio` (bench/lib.sh); at the end this
# prints them as one markdown table, with the load average each script saw, the machine, the
# commit and the time each script took. A script that fails is named in the table and the run
# goes on; the exit code is the number of scripts that failed.
# Environment: BENCH_ONLY="redis s3" runs a subset; every script's own variables still apply.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
export BENCH_WORK=$WORK
mkdir -p "$WORK"
. "$HERE/lib.sh"   # log, build_cli, ratio

export BENCH_RATIOS=$WORK/ratios.tsv
: >"$BENCH_RATIOS"
LOG=$WORK/all.log
: >"$LOG"

build_cli "$WORK/cli" || exit 1
echo "$COMMIT" >"$WORK/cli/BUILD"
export BENCH_REUSE_CLI=1

declare -A CMD=(
  [file-tree]="bash $HERE/file-tree.sh 1"
  [postgres]="bash $HERE/postgres.sh"
  [pg-cluster]="bash $HERE/pg-cluster.sh"
  [redis]="env BENCH_REDIS_KEYS=${BENCH_REDIS_KEYS:-500000} bash $HERE/redis.sh"
  [s3]="bash $HERE/s3.sh"
  [mongo]="env BENCH_ROUNDS=${BENCH_ROUNDS:-3} bash $HERE/mongo.sh 250"
)
ORDER=(file-tree postgres pg-cluster redis s3 mongo)
read -r -a ONLY <<<"${BENCH_ONLY:-${ORDER[*]}}"

failed=0
SUMMARY=()
for name in "${ONLY[@]}"; do
  [ -n "${CMD[$name]:-}" ] || { log "unknown benchmark: $name (one of: ${ORDER[*]})"; failed=$((failed + 1)); continue; }
  load0=$(cut -d' ' -f1 /proc/loadavg); t0=$SECONDS
  log "== $name: ${CMD[$name]} (load $load0)"
  if ${CMD[$name]} >>"$LOG" 2>&1; then status=ok; else status=FAILED; failed=$((failed + 1)); fi
  SUMMARY+=("| $name | $status | $((SECONDS - t0)) s | $load0 → $(cut -d' ' -f1 /proc/loadavg) |")
  log "== $name: $status in $((SECONDS - t0)) s"
done

echo
echo "- commit $COMMIT, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; full output: $LOG"
echo
echo "| benchmark | status | took | load average (start → end) |"
echo "|---|---|---|---|"
printf '%s\n' "${SUMMARY[@]}"
echo
echo "| measure | ratio, median (min-max) | target | load average during the steps | note |"
echo "|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$BENCH_RATIOS"
exit "$failed"
