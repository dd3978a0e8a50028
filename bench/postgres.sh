#!/usr/bin/env bash
# PostgreSQL tables benchmark: PsBackup (psbackup-cli) vs pg_dump -Fc / pg_restore and
# pg_dump -Fd -j 2 / pg_restore -j 2 on one pgbench database, in one run.
#
#   bench/postgres.sh [SCALE] [ROUNDS]   (defaults 70: pgbench_accounts has SCALE * 100,000 rows,
#                                         ~1 GB; 3 rounds)
#
# A throwaway cluster (wal_level = logical, default durability) runs in $BENCH_WORK/pg (default
# bench/.work/pg) as the postgres user, on BENCH_PG_PORT (default 15440, below the ephemeral range
# 32768-60999); the script refuses a port something already listens on and only ever stops the
# cluster it started. Every step runs under GNU time (wall seconds, peak RSS, the client's user+sys
# CPU) after a page-cache drop; the server's CPU per step is the growth of the postmaster's
# children's CPU (the backends and walsenders that served the step, reaped when they exit).
# Compression class: pg_dump of PostgreSQL 15 compresses with gzip only (zstd arrived in 16), so
# the native tools run at -Z 1, gzip's fastest level, beside PsBackup's zstd level 1.
# ROUNDS rounds, the order of the contenders rotated every round (each takes each slot, so none
# always runs first after the load and checkpoint, a slot that is slow whoever is in it):
# full backups, then restores into empty databases, each checked completely against the source
# (the set of tables, every table's rows, every index and constraint definition). Then ROUNDS
# times 1 % of the accounts are updated (after a VACUUM and a checkpoint) and three contenders run
# in rotated order: PsBackup's
# incremental (its own collection, whose parent is the backup before the update), a new full
# (another collection), and the floor of any logical-decoding design: PostgreSQL itself decoding
# the same WAL through pgoutput into a server-side function, with no client at all. The last
# incremental is restored (full + replay) and checked the same way.
# Results: $WORK/results.tsv and markdown tables of medians and spreads (pg-report.py). Everything
# else the run wrote (cluster, dumps, repository, the published CLI) is deleted at exit unless
# BENCH_KEEP=1. BENCH_CLI=PATH uses a psbackup-cli published before; BENCH_PG_WAL_COMPRESSION sets
# the cluster's wal_compression (default off, PostgreSQL's default).
set -uo pipefail

SCALE=${1:-70}
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}/pg
PG_BIN=${PSBACKUP_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PG_PORT:-15440}
ROUND=0
DATA=$WORK/data
RESULTS=$WORK/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
. "$HERE/lib.sh"

as_pg() { runuser -u postgres -- "$@"; }
sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
# fingerprint DB: the set of tables, every table's row count and rows (md5, in key order), every
# index and constraint definition.
fingerprint() { sql -d "$1" -At <<'SQL'
SELECT 'tables ' || string_agg(c.oid::regclass::text || ':' || c.relkind::text, ' ' ORDER BY c.oid::regclass::text)
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm');
SELECT 'accounts ' || count(*) || ' ' || md5(string_agg(a::text, ',' ORDER BY aid)) FROM pgbench_accounts a;
SELECT 'branches ' || count(*) || ' ' || md5(string_agg(b::text, ',' ORDER BY bid)) FROM pgbench_branches b;
SELECT 'tellers ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY tid)) FROM pgbench_tellers t;
SELECT 'history ' || count(*) || ' ' || coalesce(md5(string_agg(h::text, ',' ORDER BY h::text)), '-') FROM pgbench_history h;
SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname;
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace = 'public'::regnamespace ORDER BY conrelid::regclass::text, conname;
SQL
}

# Only a cluster this script started is ever stopped: one left in our own data directory by an
# interrupted run, or this run's. A port in use by anything else ends the run.
if [ -f "$DATA/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m immediate >/dev/null 2>&1; fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  log "port $PORT is in use by a server this script did not start: set BENCH_PG_PORT"; exit 1
fi
mkdir -p "$WORK" && chmod 755 "$WORK"
STARTED=0
cleanup() {
  [ "$STARTED" = 1 ] && as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast >/dev/null 2>&1
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$DATA" "$WORK/dump.fc" "$WORK/dump.dir" "$WORK/repo" "$WORK/cli" "$WORK"/src-*
}
trap cleanup EXIT
# BENCH_CLI=PATH: a psbackup-cli published earlier (rounds of several runs on one build).
# BENCH_REUSE_CLI=1 (bench/all.sh): the build all.sh made in $BENCH_WORK/cli.
SHARED_CLI=${BENCH_WORK:-$HERE/.work}/cli/psbackup-cli
if [ -n "${BENCH_CLI:-}" ]; then CLI=$BENCH_CLI; COMMIT="$(git -C "$ROOT" rev-parse --short HEAD) (prebuilt: $BENCH_CLI)"
elif [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$SHARED_CLI" ]; then CLI=$SHARED_CLI; COMMIT=$(cat "$(dirname "$SHARED_CLI")/BUILD" 2>/dev/null || echo "?"); log "reusing $CLI"
else build_cli "$WORK/cli" || exit 1; fi

log "starting a throwaway cluster on port $PORT"
rm -rf "$DATA" && mkdir -p "$DATA" && chown postgres "$DATA" && chmod 700 "$DATA"
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-locale --encoding=UTF8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }
cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
wal_level = logical
max_wal_size = 8GB
shared_buffers = 256MB
wal_compression = ${BENCH_PG_WAL_COMPRESSION:-off}
CONF
as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -w -l "$DATA/log" >/dev/null || { tail "$DATA/log"; exit 1; }
STARTED=1
POSTMASTER=$(head -1 "$DATA/postmaster.pid")

log "pgbench -i -s $SCALE"
sql -c "CREATE DATABASE bench"
"$PG_BIN/pgbench" -i -q -s "$SCALE" bench >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log"; exit 1; }
# Incrementals need a key or replica identity on every table; pgbench_history has neither.
sql -d bench -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" -c "VACUUM ANALYZE" -c "CHECKPOINT"
SOURCE=$(fingerprint bench) || { log "the fingerprint query failed"; exit 1; }
DBSIZE=$(sql -d bench -Atc "SELECT pg_database_size('bench')")

{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# host	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "# commit	$COMMIT"
  echo "# versions	$("$PG_BIN/postgres" --version); dotnet $(dotnet --version)"
  echo "# data	pgbench -i -s $SCALE: $((SCALE * 100000)) accounts, database $((DBSIZE / 1048576)) MB; wal_compression ${BENCH_PG_WAL_COMPRESSION:-off}"
  echo "# compression	pg_dump/pg_restore: gzip -Z 1 (PostgreSQL 15 has no zstd in pg_dump); PsBackup: zstd level 1 (its default)"
  echo "# drop_caches	$DROP"
  echo "# rounds	$ROUNDS (contenders' order rotated every round)"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'round\tstep\ttool\twall_s\tengine_s\tpeak_rss_kb\tstored_bytes\tverified\tload1\tclient_cpu_s\tserver_cpu_s\n'
} >"$RESULTS"

# server_cpu: CPU seconds of the cluster's exited children (backends, walsenders) so far.
TICKS=$(getconf CLK_TCK)
server_cpu() { awk -v t="$TICKS" '{ printf "%.2f", ($16 + $17) / t }' "/proc/$POSTMASTER/stat"; }
# settle: waits until the step's backends have exited (only the postmaster's own processes remain).
settle() {
  for _ in $(seq 50); do
    [ "$(sql -d postgres -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('client backend', 'walsender') AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.1
  done
  sleep 0.2 # the psql above is a backend too
}

FAILED=0
# timed STEP TOOL -- command...: runs it under GNU time; sets WALL, RSS, CPU (client) and SCPU (server).
timed() {
  local step=$1 tool=$2; shift 3
  drop
  settle
  local before; before=$(server_cpu)
  log "$step $tool: $*"
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  settle
  SCPU=$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')
  read -r WALL RSS USR SYS < <(tail -1 "$WORK/time")
  CPU=$(awk -v u="$USR" -v s="$SYS" 'BEGIN { printf "%.2f", u + s }')
  if [ $rc -ne 0 ]; then log "FAILED ($rc)"; tail -5 "$WORK/err" >&2; FAILED=1; fi
  return $rc
}
# engine: the backup's own duration from psbackup-cli's JSON (the wall time less .NET's start-up,
# which a PowerShell session pays once when it imports the module); "-" for the native tools.
engine() { python3 -c 'import json,sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get("Duration", "")
    h, m, s = d.split(":"); print(round(int(h) * 3600 + int(m) * 60 + float(s), 2))
except Exception: print("-")' "$WORK/out"; }
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ROUND" "$1" "$2" "$WALL" "$(engine)" "$RSS" "$3" "$4" "$(cut -d' ' -f1 /proc/loadavg)" "$CPU" "$SCPU" >>"$RESULTS"; }
# check DB EXPECTED: "ok" only when the fingerprint query itself succeeded and matches.
check() {
  local got
  if got=$(fingerprint "$1") && [ -n "$got" ] && [ "$got" = "$2" ]; then echo ok; else FAILED=1; echo DIFFERENT; fi
}
psb() { "$CLI" "$@" --repository "$WORK/repo"; }
last_id() { psb list "$1" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'; }
stored() { du -sb "$WORK/repo" | cut -f1; }

# rotated I ITEMS...: the items starting at the I-th (0-based, wrapping): round r runs tool r first.
rotated() { local i=$1; shift; local n=$#; local a=("$@"); for ((k = 0; k < n; k++)); do echo "${a[$(( (i + k) % n ))]}"; done; }

full_backup() {
  case $1 in
    pg_dump-Fc) rm -f "$WORK/dump.fc"
      timed full "$1" -- "$PG_BIN/pg_dump" -Fc -Z 1 -f "$WORK/dump.fc" bench && row full "$1" "$(stat -c %s "$WORK/dump.fc")" - ;;
    pg_dump-Fd-j2) rm -rf "$WORK/dump.dir"
      timed full "$1" -- "$PG_BIN/pg_dump" -Fd -j 2 -Z 1 -f "$WORK/dump.dir" bench && row full "$1" "$(du -sb "$WORK/dump.dir" | cut -f1)" - ;;
    psbackup) local before; before=$(stored)
      timed full psbackup -- "$CLI" backup pg --repository "$WORK/repo" && row full psbackup "$(( $(stored) - before ))" -
      FULL_ID=$(last_id pg) ;;
  esac
}
restore() {
  local db; db=r_$(echo "${1//-/_}" | tr 'A-Z' 'a-z')
  sql -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  case $1 in
    pg_restore-Fc) timed restore "$1" -- "$PG_BIN/pg_restore" -d "$db" "$WORK/dump.fc" ;;
    pg_restore-Fd-j2) timed restore "$1" -- "$PG_BIN/pg_restore" -j 2 -d "$db" "$WORK/dump.dir" ;;
    psbackup) timed restore "$1" -- "$CLI" restore "$FULL_ID" "postgresql://postgres@127.0.0.1:$PORT/$db" --repository "$WORK/repo" ;;
  esac && row restore "$1" - "$(check "$db" "$SOURCE")"
  sql -c "DROP DATABASE $db"
}

rm -rf "$WORK/dump.fc" "$WORK/dump.dir" "$WORK/repo"
psb new-collection pg "postgresql://postgres@127.0.0.1:$PORT/bench" --incremental >/dev/null || exit 1
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  for tool in $(rotated $((ROUND - 1)) pg_dump-Fc pg_dump-Fd-j2 psbackup); do full_backup "$tool"; done
  for tool in $(rotated $((ROUND - 1)) pg_restore-Fc pg_restore-Fd-j2 psbackup); do restore "$tool"; done
done

# Incrementals. Collection "inc" takes one full now (untimed) and then one incremental per round,
# each reading the WAL written since the previous one; the new fulls go to collection "pg", so
# the order of the three contenders can rotate without changing what the incremental reads.
# The floor: a pgoutput slot of our own, created just before each update, decoded to the end by
# pg_logical_slot_get_binary_changes inside the server (the same publication options PsBackup
# uses); no client parses, stores or commits anything.
psb new-collection inc "postgresql://postgres@127.0.0.1:$PORT/bench" --incremental >/dev/null || exit 1
psb backup inc >/dev/null || { log "FAILED: the incremental collection's first full"; exit 1; }
sql -d bench -c "CREATE PUBLICATION bench_floor FOR TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history"
floor() {
  sql -d bench -Atc "SELECT count(*) FROM pg_logical_slot_get_binary_changes('bench_floor', NULL, NULL, 'proto_version', '1', 'publication_names', 'bench_floor', 'messages', 'true')"
}
incremental_step() {
  local before
  case $1 in
    psbackup-incremental) before=$(stored)
      timed incremental "$1" -- "$CLI" backup inc --incremental --repository "$WORK/repo" \
        && row incremental "$1" "$(( $(stored) - before ))" -
      INC_ID=$(last_id inc) ;;
    psbackup-full) before=$(stored)
      timed incremental "$1" -- "$CLI" backup pg --repository "$WORK/repo" \
        && row incremental "$1" "$(( $(stored) - before ))" - ;;
    server-decoding-floor)
      timed incremental "$1" -- bash -c floor && row incremental "$1" - "$(cat "$WORK/out") changes" ;;
  esac
}
export -f floor sql; export PG_BIN
# The fixed cost of any incremental: one with nothing to capture (process start, JIT, connections,
# slot checks, the marker, the repository's commit), right after the collection's full.
ROUND=0
timed incremental psbackup-incremental-nothing-changed -- "$CLI" backup inc --incremental --repository "$WORK/repo" \
  && row incremental psbackup-incremental-nothing-changed - -
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  # Every round measures the same thing: the incremental and the floor read exactly the update's
  # WAL. The previous round's dead rows are vacuumed first (else the next scans prune them and
  # write WAL of their own), a checkpoint follows (so the update writes the full-page images a
  # real workload writes after each checkpoint), then an untimed incremental catches up.
  log "updating 1 % of the accounts (round $ROUND)"
  sql -d bench -c "VACUUM pgbench_accounts" -c "CHECKPOINT"
  psb backup inc --incremental >/dev/null || { log "FAILED: catch-up incremental"; FAILED=1; }
  sql -d bench -Atc "SELECT pg_create_logical_replication_slot('bench_floor', 'pgoutput')" >/dev/null
  START_LSN=$(sql -d bench -Atc "SELECT pg_current_wal_lsn()")
  sql -d bench -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = $ROUND"
  WAL=$(sql -d bench -Atc "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$START_LSN')")
  echo "# wal_round_$ROUND	$WAL bytes of WAL written by the update" >>"$RESULTS"
  for tool in $(rotated $((ROUND - 1)) psbackup-incremental psbackup-full server-decoding-floor); do incremental_step "$tool"; done
  sql -d bench -Atc "SELECT pg_drop_replication_slot('bench_floor')" >/dev/null
done
CHANGED=$(fingerprint bench) || { log "the fingerprint query failed"; exit 1; }
sql -c "CREATE DATABASE r_inc"
timed restore-incremental psbackup -- "$CLI" restore "$INC_ID" "postgresql://postgres@127.0.0.1:$PORT/r_inc" --repository "$WORK/repo" \
  && row restore-incremental psbackup - "$(check r_inc "$CHANGED")"
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

python3 "$HERE/pg-report.py" "$RESULTS"
exit $FAILED
