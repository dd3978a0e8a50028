#!/usr/bin/env bash
# MongoDB benchmark (issue 18): PsBackup's full backup and restore of a generated database vs the
# official driver's own raw cursor read (find, the same 1,000-document batches, bytes to /dev/null)
# and raw ordered bulk insert of the same documents (bench/MongoRaw), in one run, order alternated
# per round.
#
#   bench/mongo.sh [SIZE_MB ...]        default: 250 1000
#
# Server: a congodb of its own per size (tests/peers/node/congodb.mjs, the MongoDB-wire test server:
# in-memory JavaScript, one thread), started here on 127.0.0.1:$BENCH_MONGO_PORT (default 27117) with
# a $BENCH_MONGO_HEAP_MB heap (default 12288) and stopped at the end of the size. It runs through
# bench/congodb-gc.mjs, which collects its heap on SIGUSR2: every timed step starts after a full
# collection, so no step pays for the previous one's garbage (without it, V8's pauses on a heap of
# several GB moved single steps by 2x).
# Data: 4 collections of SIZE_MB/4 MB of ~1 KiB documents (psbackup-cli mongo-data generate: ObjectId,
# int32, Decimal128, date, double, array, sub-document, ~700 bytes of text).
# Per round (BENCH_ROUNDS, default 5), each step under /usr/bin/time (wall, peak RSS, CPU seconds):
#   read:    mongoraw read  (-parallel 2)            vs psbackup-cli backup (--throttle-limit 2, zstd, the default);
#            then, for context, a backup of the same target into a collection with --compression none
#   insert:  mongoraw insert of a .bson dump (-p 2)   vs psbackup-cli restore of the latest backup (--throttle-limit 2)
# odd rounds run the raw step first, even rounds PsBackup first; every restored database is compared
# with the source (psbackup-cli mongo-data digest: per collection, document count and a digest of every
# document's bytes) and dropped. Throughput is the documents' bytes over each tool's own clock
# (PsBackup: the backup's or restore's duration; mongoraw: from creating its client), so the .NET
# process start is not counted; wall times and CPU seconds are in the TSV.
# Each row also records the 1-minute load average after the step (the machine may be shared): the
# summary gives the CPU-time ratio (raw CPU s / PsBackup CPU s) beside the throughput ratio, since
# CPU time is far less sensitive to load than wall time.
# Output: bench/.work/mongo/results.tsv and a summary on stdout.
# Environment: BENCH_REUSE_CLI=1 reuses bench/.work/cli, BENCH_KEEP=1 keeps the repositories,
# BENCH_CLI_R2R=1 benchmarks a ReadyToRun build for the runtime here instead of the net8.0 IL build
# the module ships (bench/lib.sh, build_cli; docs/benchmarks.md says what each costs).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
RUN=$WORK/mongo
CLI=$WORK/cli/psbackup-cli
RAW=$WORK/mongoraw/mongoraw
PORT=${BENCH_MONGO_PORT:-27117}
HEAP=${BENCH_MONGO_HEAP_MB:-12288}
ROUNDS=${BENCH_ROUNDS:-5}
SIZES=("${@:-250 1000}")
read -r -a SIZES <<<"${SIZES[*]}"
SERVER=mongodb://127.0.0.1:$PORT
RESULTS=$RUN/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. "$HERE/lib.sh"   # log, build_cli, drop

"$HERE/install.sh" || exit 1
command -v jq >/dev/null || { log "jq is missing (apt-get install jq)"; exit 1; }
mkdir -p "$WORK"
rm -rf "$RUN"; mkdir -p "$RUN"

if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ]; then
  log "reusing $CLI"; COMMIT=$(git -C "$ROOT" rev-parse --short HEAD); CLI_BUILD="reused $CLI"
else
  BENCH_CLI_R2R=${BENCH_CLI_R2R:-0} build_cli "$WORK/cli" || exit 1
fi
log "publishing bench/MongoRaw (Release) to $WORK/mongoraw"
dotnet publish "$HERE/MongoRaw" -c Release -o "$WORK/mongoraw" -v q -nologo >"$WORK/publish-mongoraw.log" 2>&1 \
  || { cat "$WORK/publish-mongoraw.log" >&2; exit 1; }
[ -d "$ROOT/tests/peers/node/node_modules/@push.rocks/smartmongo" ] || bash "$ROOT/tests/peers/install.sh" >/dev/null || exit 1

MONGO_PID=
start_server() {
  node --expose-gc --max-old-space-size="$HEAP" "$HERE/congodb-gc.mjs" 127.0.0.1 "$PORT" >"$RUN/congodb-$1.log" 2>&1 &
  MONGO_PID=$!
  for _ in $(seq 100); do grep -q listening "$RUN/congodb-$1.log" && return 0; sleep 0.1; done
  log "congodb did not start:"; cat "$RUN/congodb-$1.log" >&2; return 1
}
stop_server() { [ -n "$MONGO_PID" ] && kill "$MONGO_PID" 2>/dev/null && wait "$MONGO_PID" 2>/dev/null; MONGO_PID=; }
trap stop_server EXIT
server_rss_mb() { awk '/VmRSS/{printf "%d", $2/1024}' "/proc/$MONGO_PID/status" 2>/dev/null; }
server_gc() { # a full collection of the server's heap, finished before the next step starts
  local n; n=$(grep -c '^gc:' "$RUN/congodb-$SIZE.log"); kill -USR2 "$MONGO_PID"
  for _ in $(seq 300); do [ "$(grep -c '^gc:' "$RUN/congodb-$SIZE.log")" -gt "$n" ] && return 0; sleep 0.1; done
}

{
  echo "# run	$(date -u +%Y-%m-%dT%H:%M:%SZ), commit $COMMIT, psbackup-cli $CLI_BUILD"
  echo "# machine	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "# server	congodb (@push.rocks/smartmongo 2.2.0) on node $(node --version), heap limit $HEAP MB; page cache dropped before each step: $DROP"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "size_mb	round	step	tool	wall_s	tool_s	bytes	documents	rss_kb	cpu_s	check	server_rss_mb	load1"
} >"$RESULTS"

# timed COMMAND...: runs it under GNU time after a server collection; sets WALL RSS CPU; output in $RUN/out
timed() {
  drop
  server_gc
  /usr/bin/time -f '%e %M %U %S' -o "$RUN/time" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  read -r WALL RSS U S < <(tail -1 "$RUN/time")
  CPU=$(awk -v u="$U" -v s="$S" 'BEGIN{printf "%.2f", u+s}')
  if [ $rc -ne 0 ]; then log "failed ($rc): $*"; tail -20 "$RUN/err" >&2; fi
  return $rc
}
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SIZE" "$ROUND" "$1" "$2" "$WALL" "$3" "$BYTES" "$DOCS" "$RSS" "$CPU" "$4" "$(server_rss_mb)" "$(cut -d' ' -f1 /proc/loadavg)" >>"$RESULTS"; }
seconds() { # a .NET TimeSpan (hh:mm:ss.fffffff) in seconds
  awk -F: '{printf "%.2f", $1*3600 + $2*60 + $3}' <<<"$1"
}
check() { # DATABASE: "ok" when every collection equals the source's (count and digest of every document's bytes)
  "$CLI" mongo-data digest "$SERVER/$1" >"$RUN/digest-$1" && diff -q "$RUN/digest-source" "$RUN/digest-$1" >/dev/null && echo ok || echo DIFFERENT
}

raw_read() {
  log "  mongoraw read"
  timed "$RAW" read "$SERVER/bench" --parallel 2 && row read raw "$(cut -f3 "$RUN/out")" -
}
psb_backup() {
  log "  psbackup backup"
  timed "$CLI" backup bench --repository "$REPO" --throttle-limit 2 && { ID=$(jq -r .Id "$RUN/out"); row read psbackup "$(seconds "$(jq -r .Duration "$RUN/out")")" "$ID"; }
}
psb_backup_none() { # context: the same backup without compression (what zstd costs)
  log "  psbackup backup, --compression none"
  timed "$CLI" backup plain --repository "$REPO" --throttle-limit 2 && row read psbackup-none "$(seconds "$(jq -r .Duration "$RUN/out")")" -
}
raw_insert() {
  log "  mongoraw insert"
  timed "$RAW" insert "$SERVER/rawcopy" "$RUN/dump" --parallel 2 && row insert raw "$(cut -f3 "$RUN/out")" "$(check rawcopy)"
  "$CLI" mongo-data drop "$SERVER/rawcopy"
}
psb_restore() {
  log "  psbackup restore"
  timed "$CLI" restore "$ID" psbcopy --repository "$REPO" --throttle-limit 2 && row insert psbackup "$(seconds "$(jq -r .Duration "$RUN/out")")" "$(check psbcopy)"
  "$CLI" mongo-data drop "$SERVER/psbcopy"
}

for SIZE in "${SIZES[@]}"; do
  ROUND=0; WALL=0; RSS=0; CPU=0
  start_server "$SIZE" || exit 1
  PER=$((SIZE * 1024 / 4))   # documents of ~1 KiB per collection
  log "size $SIZE MB: generating 4 x $PER documents in $SERVER/bench"
  for c in orders customers events invoices; do
    "$CLI" mongo-data generate "$SERVER/bench" --collection "$c" --documents "$PER" --size 1024 || exit 1
  done
  "$CLI" mongo-data digest "$SERVER/bench" >"$RUN/digest-source"
  BYTES=$(jq -s 'map(.Bytes) | add' "$RUN/digest-source"); DOCS=$(jq -s 'map(.Documents) | add' "$RUN/digest-source")
  log "  $DOCS documents, $BYTES bytes; congodb RSS $(server_rss_mb) MB"
  rm -rf "$RUN/dump"; mkdir -p "$RUN/dump"
  "$RAW" read "$SERVER/bench" --out "$RUN/dump" >/dev/null || exit 1
  REPO=$RUN/repo-$SIZE; rm -rf "$REPO"
  "$CLI" new-collection bench "$SERVER/bench" --repository "$REPO" >/dev/null || exit 1
  "$CLI" new-collection plain "$SERVER/bench" --compression none --repository "$REPO" >/dev/null || exit 1
  for ROUND in $(seq 1 "$ROUNDS"); do
    log "size $SIZE MB, round $ROUND"
    if [ $((ROUND % 2)) = 1 ]; then raw_read; psb_backup; raw_insert; psb_restore
    else psb_backup; raw_read; psb_restore; raw_insert; fi
    psb_backup_none
  done
  log "  stored: $(du -sb "$REPO" | cut -f1) bytes in the repository; congodb RSS $(server_rss_mb) MB"
  echo "# stored_$SIZE	$(du -sb "$REPO" | cut -f1)" >>"$RESULTS"
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$REPO" "$RUN/dump"
  stop_server
done
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

# Summary: per size and step, MB/s of each tool per round, the median ratio, peak RSS and checks.
python3 - "$RESULTS" <<'PY'
import csv, os, statistics, sys
rows = [r for r in csv.DictReader((l for l in open(sys.argv[1]) if not l.startswith('#')), delimiter='\t')]
for size in dict.fromkeys(r['size_mb'] for r in rows):
    for step, target in (('read', 0.9), ('insert', 0.8)):
        sel = [r for r in rows if r['size_mb'] == size and r['step'] == step]
        mbps = lambda r: int(r['bytes']) / 1e6 / float(r['tool_s'])
        ratios = []
        cpu_ratios = []
        print(f"\n{size} MB, {step}: round, raw MB/s, PsBackup MB/s, ratio, raw/PsBackup CPU s, CPU ratio, PsBackup RSS MB, check, load")
        for rnd in dict.fromkeys(r['round'] for r in sel):
            raw = next((r for r in sel if r['round'] == rnd and r['tool'] == 'raw'), None)
            psb = next((r for r in sel if r['round'] == rnd and r['tool'] == 'psbackup'), None)
            if raw is None or psb is None:  # a step failed (its error is in the log above): no ratio for this round
                print(f"  {rnd}  {'raw' if raw is None else 'PsBackup'} step failed: round left out")
                continue
            ratios.append(mbps(psb) / mbps(raw))
            cpu_ratios.append(float(raw['cpu_s']) / float(psb['cpu_s']))
            print(f"  {rnd}  {mbps(raw):7.1f}  {mbps(psb):7.1f}  {ratios[-1]:.2f}  {raw['cpu_s']}/{psb['cpu_s']}  {cpu_ratios[-1]:.2f}  {int(psb['rss_kb']) / 1024:6.0f}  {psb['check'] if step == 'insert' else '-'}/{raw['check'] if step == 'insert' else '-'}  {raw['load1']}/{psb['load1']}")
        median = statistics.median(ratios)
        print(f"  median ratio {median:.2f} (target >= {target}): {'met' if median >= target else 'MISSED'}; median CPU-time ratio {statistics.median(cpu_ratios):.2f}")
        if os.environ.get("BENCH_RATIOS"):  # bench/all.sh's table of ratios
            loads = ", ".join(r["load1"] for r in sel if r["tool"] in ("raw", "psbackup"))
            with open(os.environ["BENCH_RATIOS"], "a") as f:
                f.write(f"MongoDB {'backup / raw read' if step == 'read' else 'restore / raw insert'} ({size} MB), throughput\t{median:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})\t>= {target}x\t{loads}\t"
                        f"CPU-time ratio {statistics.median(cpu_ratios):.2f}, {len(ratios)} rounds\n")
        plain = [r for r in rows if r['size_mb'] == size and r['tool'] == 'psbackup-none']
        if step == 'read' and plain:
            raws = {r['round']: r for r in sel if r['tool'] == 'raw'}
            print(f"  context, --compression none: MB/s {', '.join(f'{mbps(r):.1f}' for r in plain)}; CPU s {', '.join(r['cpu_s'] for r in plain)}; "
                  f"median vs raw {statistics.median(mbps(r) / mbps(raws[r['round']]) for r in plain):.2f}")
    peak = max(int(r['rss_kb']) for r in rows if r['size_mb'] == size and r['tool'] == 'psbackup') / 1024
    print(f"  PsBackup peak RSS at {size} MB: {peak:.0f} MB (target < 300)")
PY
