#!/usr/bin/env bash
# Redis benchmark (issue 6): PsBackup's snapshot vs redis-cli --rdb in the same run, and logical
# backup / restore throughput, on 1M keys (~1 GB of values).
#
#   bench/redis.sh            (BENCH_REDIS_KEYS=1000000 by default; BENCH_REUSE_CLI=1 reuses bench/.work/cli)
#
# Two redis-servers of its own on free ports (source with the data set, an empty destination),
# started with --save '' --appendonly no --repl-diskless-sync-delay 0 as the test peers; data from
# bench/gen-redis.py through redis-cli --pipe. Steps, each under /usr/bin/time (wall, peak RSS),
# repeated BENCH_REDIS_ROUNDS (default 2) times, interleaved so load changes hit both sides:
#   redis-cli --rdb FILE                                    (the native tool: raw RDB to a file)
#   psb snapshot   psbackup-cli backup, Snapshot target, --compression none
#   psb snapshot   the same with the default compression (brotli), for context
#   psb logical    psbackup-cli backup, Logical target (SCAN + PTTL + DUMP), --compression none
#   psb restore    psbackup-cli restore of the logical backup into the empty destination (--force)
# Each snapshot is checked with redis-check-rdb; the restored key count is compared.
# Output: bench/.work/redis/results.tsv and a markdown table on stdout, with the load average.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
RUN=$WORK/redis
CLI=$WORK/cli/psbackup-cli
KEYS=${BENCH_REDIS_KEYS:-1000000}
ROUNDS=${BENCH_REDIS_ROUNDS:-2}
RESULTS=$RUN/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$HERE/lib.sh"   # log, build_cli

command -v redis-server >/dev/null || { echo "redis-server missing: bash tests/peers/install.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
rm -rf "$RUN"; mkdir -p "$RUN"
if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ]; then log "reusing $CLI"; else
  build_cli "$WORK/cli" || exit 1
fi

# A port that binds now, in 30000-32767: below the ephemeral range (32768-60999), where any
# outgoing connection may hold a port (tests/peers/env.sh).
free_port() { python3 -c '
import random, socket
start = random.randrange(2768)
for i in range(2768):
    port = 30000 + (start + i) % 2768
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
else:
    raise SystemExit("no free port in 30000-32767")'; }
PIDS=()
start_redis() { # DIR -> sets PORT
  local dir=$1; PORT=$(free_port); mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$dir" --save '' --appendonly no \
    --repl-diskless-sync-delay 0 --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
  PIDS+=($!)
  until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
}
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

start_redis "$RUN/src"; SRC=$PORT; start_redis "$RUN/dst"; DST=$PORT
log "loading $KEYS keys into 127.0.0.1:$SRC"
python3 "$HERE/gen-redis.py" "$KEYS" | redis-cli -p "$SRC" --pipe >"$RUN/load.log" || { cat "$RUN/load.log" >&2; exit 1; }
redis-cli -p "$SRC" info memory | grep -E '^used_memory_human' >&2
KEYCOUNT=$(redis-cli -p "$SRC" dbsize)

REPO=$RUN/repo
"$CLI" new-redis-collection snap-none "127.0.0.1:$SRC" --compression none --repository "$REPO" >/dev/null
"$CLI" new-redis-collection snap-brotli "127.0.0.1:$SRC" --repository "$REPO" >/dev/null
"$CLI" new-redis-collection logical "127.0.0.1:$SRC" --mode logical --compression none --repository "$REPO" >/dev/null

printf 'round\tstep\twall_s\tpeak_rss_mb\tbytes\tkeys\tload1\n' >"$RESULTS"
timed() { # ROUND STEP BYTES_FILE|- KEYS CMD...: run CMD under /usr/bin/time -v, append a row
  local round=$1 step=$2 sizefile=$3 keys=$4; shift 4
  sync; [ "$(id -u)" = 0 ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$RUN/time.txt" "$@" >"$RUN/out.txt" 2>"$RUN/err.txt" || { log "$step failed"; cat "$RUN/err.txt" >&2; exit 1; }
  local wall rss bytes=""
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$RUN/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$RUN/time.txt")
  [ "$sizefile" != - ] && bytes=$(stat -c %s "$sizefile")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$step" "$wall" "$rss" "$bytes" "$keys" "$load" >>"$RESULTS"
  log "$step: ${wall}s, ${rss} MB"
}
artifact() { find "$REPO" -path "*$1*" -name 'dump.rdb*' -newer "$RUN/mark" | head -1; }

for round in $(seq 1 "$ROUNDS"); do
  rm -f "$RUN/cli.rdb"
  timed "$round" "redis-cli --rdb" "$RUN/cli.rdb" "$KEYCOUNT" redis-cli -p "$SRC" --rdb "$RUN/cli.rdb"
  redis-check-rdb "$RUN/cli.rdb" | grep -q 'RDB looks OK' || { log "redis-cli's RDB fails redis-check-rdb"; exit 1; }
  touch "$RUN/mark"; sleep 1
  timed "$round" "psb snapshot (none)" - "$KEYCOUNT" "$CLI" backup snap-none --repository "$REPO"
  redis-check-rdb "$(artifact snap-none)" | grep -q 'RDB looks OK' || { log "PsBackup's snapshot fails redis-check-rdb"; exit 1; }
  timed "$round" "psb snapshot (brotli)" - "$KEYCOUNT" "$CLI" backup snap-brotli --repository "$REPO"
  timed "$round" "psb logical (none)" - "$KEYCOUNT" "$CLI" backup logical --repository "$REPO"
  ID=$(tail -1 "$RUN/out.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
  redis-cli -p "$DST" flushall >/dev/null
  timed "$round" "psb restore logical" - "$KEYCOUNT" "$CLI" restore "$ID" "127.0.0.1:$DST" --force --repository "$REPO"
  got=$(redis-cli -p "$DST" dbsize)
  [ "$got" = "$KEYCOUNT" ] || { log "restore has $got keys, expected $KEYCOUNT"; exit 1; }
  find "$REPO" -mindepth 3 -maxdepth 3 -type d -name '2*' -exec rm -rf {} + 2>/dev/null # keep the disk small
done

python3 - "$RESULTS" "$(nproc)" <<'PY'
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
steps = {}
for r in rows: steps.setdefault(r["step"], []).append(r)
base = st.median(float(r["wall_s"]) for r in steps["redis-cli --rdb"])
print(f"| step | wall s (median of {len(steps['redis-cli --rdb'])}) | vs redis-cli --rdb | keys/s | peak RSS MB | load1 |")
print("|---|---|---|---|---|---|")
for step, rs in steps.items():
    wall = st.median(float(r["wall_s"]) for r in rs)
    keys = int(rs[0]["keys"])
    print(f"| {step} | {wall:.2f} | {wall/base:.2f}x | {keys/wall:,.0f} | {max(int(r['peak_rss_mb']) for r in rs)} | {', '.join(r['load1'] for r in rs)} |")
print(f"\nRDB size {rows[0]['bytes']} bytes, {rows[0]['keys']} keys, {sys.argv[2]} cores")
PY
