#!/usr/bin/env bash
# Redis benchmark (issue 6): PsBackup's snapshot vs redis-cli --rdb in the same run, and logical
# backup / restore throughput, on 1M keys (~1 GB of values).
#
#   bench/redis.sh            (BENCH_REDIS_KEYS=1000000 by default; BENCH_REUSE_CLI=1 reuses bench/.work/cli)
#
# Two redis-servers of its own on free ports (source with the data set, an empty destination),
# started with --save '' --appendonly no --repl-diskless-sync-delay 0 as the test peers (and the
# DEBUG command allowed locally, for DEBUG DIGEST); data from bench/gen-redis.py through
# redis-cli --pipe. Steps, each under /usr/bin/time (wall, peak RSS, CPU seconds), repeated
# BENCH_REDIS_ROUNDS (default 3) times; odd rounds run them in this order, even rounds in reverse,
# so a slot that is slow (load, cache) is not always the same tool's:
#   redis-cli --rdb FILE                                    (the native tool: raw RDB to a file)
#   psb snapshot   psbackup-cli backup, Snapshot target, --compression none
#   psb snapshot   the same with the default compression (zstd), for context
#   psb logical    psbackup-cli backup, Logical target (SCAN + PTTL + DUMP), --compression none
#   psb restore    psbackup-cli restore of the latest logical backup into the emptied destination
# Each snapshot is checked with redis-check-rdb; every restore is compared with the source by
# DEBUG DIGEST (every key, type and value, and which keys have a TTL) and the key count.
# Output: bench/.work/redis/results.tsv and a markdown table on stdout (medians, spread, the load
# average of every step); the servers, their data and the repository are removed at the end
# (BENCH_KEEP=1 keeps the repository and the RDB files).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
RUN=$WORK/redis
CLI=$WORK/cli/psbackup-cli
KEYS=${BENCH_REDIS_KEYS:-1000000}
ROUNDS=${BENCH_REDIS_ROUNDS:-3}
RESULTS=$RUN/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$HERE/lib.sh"   # log, build_cli

command -v redis-server >/dev/null || { echo "redis-server missing: bash tests/peers/install.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
rm -rf "$RUN"; mkdir -p "$RUN"
if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ]; then log "reusing $CLI"; else
  build_cli "$WORK/cli" || exit 1
fi

PIDS=()
start_redis() { # DIR -> sets PORT
  local dir=$1; PORT=$(free_port); mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$dir" --save '' --appendonly no \
    --repl-diskless-sync-delay 0 --enable-debug-command local --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
  PIDS+=($!)
  until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
}
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN/src" "$RUN/dst" "$RUN/repo" "$RUN/cli.rdb"
}
trap cleanup EXIT

start_redis "$RUN/src"; SRC=$PORT; start_redis "$RUN/dst"; DST=$PORT
log "loading $KEYS keys into 127.0.0.1:$SRC"
python3 "$HERE/gen-redis.py" "$KEYS" | redis-cli -p "$SRC" --pipe >"$RUN/load.log" || { cat "$RUN/load.log" >&2; exit 1; }
redis-cli -p "$SRC" info memory | grep -E '^used_memory_human' >&2
KEYCOUNT=$(redis-cli -p "$SRC" dbsize)

REPO=$RUN/repo
"$CLI" new-redis-collection snap-none "127.0.0.1:$SRC" --compression none --repository "$REPO" >/dev/null
"$CLI" new-redis-collection snap-zstd "127.0.0.1:$SRC" --repository "$REPO" >/dev/null
"$CLI" new-redis-collection logical "127.0.0.1:$SRC" --mode logical --compression none --repository "$REPO" >/dev/null

DIGEST=$(redis-cli -p "$SRC" debug digest)
printf 'round\tstep\twall_s\tpeak_rss_mb\tbytes\tkeys\tload1\tcpu_s\n' >"$RESULTS"
timed() { # ROUND STEP BYTES_FILE|- KEYS CMD...: run CMD under /usr/bin/time -v, append a row
  local round=$1 step=$2 sizefile=$3 keys=$4; shift 4
  sync; [ "$(id -u)" = 0 ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$RUN/time.txt" "$@" >"$RUN/out.txt" 2>"$RUN/err.txt" || { log "$step failed"; cat "$RUN/err.txt" >&2; exit 1; }
  local wall rss bytes=""
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$RUN/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$RUN/time.txt")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$RUN/time.txt")
  [ "$sizefile" != - ] && bytes=$(stat -c %s "$sizefile")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$step" "$wall" "$rss" "$bytes" "$keys" "$load" "$cpu" >>"$RESULTS"
  log "$step: ${wall}s, ${rss} MB"
}
artifact() { find "$REPO" -path "*$1*" -name 'dump.rdb*' -newer "$RUN/mark" | head -1; }

step_rdb() {
  rm -f "$RUN/cli.rdb"
  timed "$round" "redis-cli --rdb" "$RUN/cli.rdb" "$KEYCOUNT" redis-cli -p "$SRC" --rdb "$RUN/cli.rdb"
  redis-check-rdb "$RUN/cli.rdb" | grep -q 'RDB looks OK' || { log "redis-cli's RDB fails redis-check-rdb"; exit 1; }
}
step_snapshot() { # COMPRESSION
  touch "$RUN/mark"; sleep 1
  timed "$round" "psb snapshot ($1)" - "$KEYCOUNT" "$CLI" backup "snap-$1" --repository "$REPO"
  if [ "$1" = none ]; then
    redis-check-rdb "$(artifact snap-none)" | grep -q 'RDB looks OK' || { log "PsBackup's snapshot fails redis-check-rdb"; exit 1; }
  fi
}
step_logical() {
  timed "$round" "psb logical (none)" - "$KEYCOUNT" "$CLI" backup logical --repository "$REPO"
  ID=$(tail -1 "$RUN/out.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
}
step_restore() { # restores the latest logical backup into the emptied destination, checks every key
  redis-cli -p "$DST" flushall >/dev/null
  timed "$round" "psb restore logical" - "$KEYCOUNT" "$CLI" restore "$ID" "127.0.0.1:$DST" --force --repository "$REPO"
  local got digest
  got=$(redis-cli -p "$DST" dbsize); digest=$(redis-cli -p "$DST" debug digest)
  [ "$got" = "$KEYCOUNT" ] && [ "$digest" = "$DIGEST" ] \
    || { log "restore differs: $got keys (expected $KEYCOUNT), digest $digest (expected $DIGEST)"; exit 1; }
}

ID=
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then
    step_rdb; step_snapshot none; step_snapshot zstd; step_logical; step_restore
  else # reversed; the restore needs a logical backup, so it restores the previous round's
    step_restore; step_logical; step_snapshot zstd; step_snapshot none; step_rdb
  fi
  # keep the disk small: drop all but the newest backup folder of each collection
  for c in "$REPO"/collections/*/backups; do ls -d "$c"/2* 2>/dev/null | head -n -1 | xargs -r rm -rf; done
done

python3 - "$RESULTS" "$(nproc)" <<'PY'
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
steps = {}
for r in rows: steps.setdefault(r["step"], []).append(r)
base = {r["round"]: float(r["wall_s"]) for r in steps["redis-cli --rdb"]}
n = len(base)
print(f"| step | wall s, median (min-max) of {n} | vs redis-cli --rdb, median of per-round ratios | keys/s | CPU s (median) | peak RSS MB | load1 per round |")
print("|---|---|---|---|---|---|---|")
for step, rs in steps.items():
    walls = [float(r["wall_s"]) for r in rs]
    ratios = [float(r["wall_s"]) / base[r["round"]] for r in rs if r["round"] in base]
    wall = st.median(walls)
    keys = int(rs[0]["keys"])
    print(f"| {step} | {wall:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {st.median(ratios):.2f}x | {keys/wall:,.0f} | "
          f"{st.median(float(r['cpu_s']) for r in rs):.1f} | {max(int(r['peak_rss_mb']) for r in rs)} | {', '.join(r['load1'] for r in rs)} |")
print(f"\nRDB size {rows[0]['bytes']} bytes, {rows[0]['keys']} keys, {sys.argv[2]} cores")
import os
if os.environ.get("BENCH_RATIOS"):
    rs = steps["psb snapshot (none)"]
    ratios = [float(r["wall_s"]) / base[r["round"]] for r in rs]
    loads = ", ".join(r["load1"] for r in rs)
    with open(os.environ["BENCH_RATIOS"], "a") as f:
        f.write(f"Redis snapshot (none) / redis-cli --rdb, wall\t{st.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})\t<= 1.2x\t{loads}\t{rows[0]['keys']} keys, {n} rounds\n")
PY
