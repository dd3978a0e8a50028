#!/usr/bin/env bash
# PostgreSQL cluster benchmark: PsBackup base backup + PITR restore vs pg_basebackup -Ft -z and
# pgBackRest 2.45, on one ~1 GB cluster (pgbench -i -s 70), in one run.
#
#   bench/pg-cluster.sh            (as root; ~5 min, ~6 GB disk in /tmp)
#
# 1. A throwaway PostgreSQL 15 cluster (port 15490) whose archive_command pushes every WAL file to
#    BOTH PsBackup (psbackup-cli archive-wal) and pgBackRest (archive-push), so both tools see the
#    same WAL and each backup waits for its own archive as it would in production.
# 2. Base backups, each timed by GNU time (wall seconds, peak RSS), page cache dropped before each:
#    pg_basebackup -Ft -z -X none -c fast (gzip), psbackup-cli backup (brotli, default settings),
#    pgbackrest backup --type=full (defaults: gz, process-max 1) and with --process-max=2 --compress-type=zst.
# 3. pgbench writes for 20 s (WAL after the backup), the target time is noted, 10 s more, WAL switched.
# 4. PITR restores to that time: psbackup-cli restore --point-in-time (stages the WAL) and
#    pgbackrest restore --type=time; each restored cluster is started and timed until it has
#    recovered and promoted; its pgbench_history row count must equal the source's at the target.
#
# Results: /tmp/psbackup-bench-pg/results.tsv and a summary on stdout (docs/benchmarks.md).
# The machine is shared: the 1-minute load average is recorded before every step.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUN=${BENCH_PG_WORK:-/tmp/psbackup-bench-pg}
PORT=${BENCH_PG_PORT:-15490}
SCALE=${BENCH_PG_SCALE:-70}
RESULTS=$RUN/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORK=$RUN
. "$HERE/lib.sh"   # log, build_cli, drop
as_pg() { runuser -u postgres -- "$@"; }
psqlc() { psql -h 127.0.0.1 -p "$1" -U postgres -Atqc "$2"; }

command -v pgbackrest >/dev/null || { log "installing pgbackrest"; apt-get install -y pgbackrest >/dev/null; }
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
pgbackrest version

stop_all() {
  for d in "$RUN/data" "$RUN/restore-psbackup" "$RUN/restore-pgbackrest"; do
    [ -f "$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
}
trap stop_all EXIT
stop_all
rm -rf "$RUN" && mkdir -p "$RUN" && chown postgres: "$RUN"

build_cli "$RUN/cli" || exit 1
CLI="dotnet $RUN/cli/psbackup-cli.dll"

cat > "$RUN/pgbackrest.conf" <<EOF
[global]
repo1-path=$RUN/pgbackrest-repo
log-path=$RUN/pgbackrest-log
lock-path=$RUN/pgbackrest-lock
log-level-console=warn
start-fast=y
[bench]
pg1-path=$RUN/data
pg1-port=$PORT
pg1-socket-path=$RUN
EOF
chown postgres: "$RUN/pgbackrest.conf"
export PGBACKREST_CONFIG=$RUN/pgbackrest.conf

log "cluster: initdb + pgbench -i -s $SCALE"
as_pg "$PGBIN/initdb" -D "$RUN/data" --auth=trust -U postgres --no-sync >/dev/null
cat >> "$RUN/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RUN'
wal_level = replica
archive_mode = on
archive_command = '$CLI archive-wal --repository $RUN/psbackup-repo --collection bench %p %f && pgbackrest --config=$RUN/pgbackrest.conf --stanza=bench archive-push %p'
max_wal_size = 4GB
EOF
$CLI new-collection bench --pg-cluster 127.0.0.1:$PORT --pg-user postgres --incremental --repository "$RUN/psbackup-repo" >/dev/null
chown -R postgres: "$RUN/psbackup-repo"
as_pg "$PGBIN/pg_ctl" -D "$RUN/data" -l "$RUN/pg.log" -w start >/dev/null
as_pg pgbackrest --stanza=bench stanza-create
"$PGBIN/pgbench" -h 127.0.0.1 -p $PORT -U postgres -i -s "$SCALE" -q postgres 2>&1 | tail -1
wait_archived() { # until archive_command has taken the segment just closed
  local last; last=$(psqlc $PORT "SELECT pg_walfile_name(pg_switch_wal())")
  until [ "$(psqlc $PORT "SELECT coalesce(last_archived_wal, '') >= '$last' FROM pg_stat_archiver")" = t ]; do sleep 1; done
}
psqlc $PORT "CHECKPOINT" >/dev/null
wait_archived
SIZE=$(psqlc $PORT "SELECT pg_database_size('postgres')")
log "database size: $((SIZE / 1048576)) MB"

printf 'step\ttool\twall_s\tpeak_rss_mb\tstored_mb\tload1\n' > "$RESULTS"
timed() { # timed STEP TOOL STORED_DIR command...
  local step=$1 tool=$2 stored=$3; shift 3
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$RUN/time.txt" "$@" > "$RUN/out.txt" 2>&1 || { cat "$RUN/out.txt" >&2; exit 1; }
  local wall rss mb=""
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$RUN/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$RUN/time.txt")
  [ -n "$stored" ] && mb=$(du -sm "$stored" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$tool" "$wall" "$rss" "$mb" "$load" | tee -a "$RESULTS"
}

log "base backups"
mkdir -p "$RUN/basebackup" && chown postgres: "$RUN/basebackup"
timed backup "pg_basebackup -Ft -z" "$RUN/basebackup" \
  runuser -u postgres -- "$PGBIN/pg_basebackup" -h 127.0.0.1 -p $PORT -U postgres -D "$RUN/basebackup/b" -Ft -z -X none -c fast
timed backup "psbackup (brotli)" "$RUN/psbackup-repo/collections/bench/backups" \
  $CLI backup bench --repository "$RUN/psbackup-repo"
timed backup "pgbackrest (gz, process-max 1)" "$RUN/pgbackrest-repo/backup" \
  runuser -u postgres -- pgbackrest --stanza=bench backup --type=full
timed backup "pgbackrest (zst, process-max 2)" "" \
  runuser -u postgres -- pgbackrest --stanza=bench backup --type=full --compress-type=zst --process-max=2

log "WAL after the backups: pgbench 20 s, target, pgbench 10 s"
"$PGBIN/pgbench" -h 127.0.0.1 -p $PORT -U postgres -c 2 -T 20 postgres >/dev/null 2>&1
sleep 1
TARGET=$(psqlc $PORT "SELECT clock_timestamp()")
EXPECTED=$(psqlc $PORT "SELECT count(*) FROM pgbench_history")
sleep 1
"$PGBIN/pgbench" -h 127.0.0.1 -p $PORT -U postgres -c 2 -T 10 postgres >/dev/null 2>&1
wait_archived
log "target $TARGET: $EXPECTED pgbench_history rows"
ID=$($CLI list bench --repository "$RUN/psbackup-repo" | tail -1 | sed 's/.*"Id":"\([^"]*\)".*/\1/')

start_and_count() { # start_and_count DATADIR PORT: time until promoted, row count
  local t0; t0=$(date +%s.%N)
  as_pg "$PGBIN/pg_ctl" -D "$1" -o "-p $2 -c unix_socket_directories=$RUN" -l "$1.log" -w -t 600 start >/dev/null
  until [ "$(psqlc "$2" "SELECT pg_is_in_recovery()")" = f ]; do sleep 0.1; done
  local t1; t1=$(date +%s.%N)
  echo "$(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") $(psqlc "$2" "SELECT count(*) FROM pgbench_history")"
  as_pg "$PGBIN/pg_ctl" -D "$1" -m immediate stop >/dev/null
}

log "PITR restores"
timed restore "psbackup (restore, WAL staged)" "" \
  $CLI restore "$ID" "$RUN/restore-psbackup" --point-in-time "$TARGET" --repository "$RUN/psbackup-repo"
read -r REC ROWS < <(start_and_count "$RUN/restore-psbackup" $((PORT + 1)))
printf 'recovery\tpsbackup\t%s\t\t\t%s\n' "$REC" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
[ "$ROWS" = "$EXPECTED" ] || { log "psbackup restore has $ROWS rows, expected $EXPECTED"; exit 1; }

mkdir -p "$RUN/restore-pgbackrest" && chown postgres: "$RUN/restore-pgbackrest" && chmod 700 "$RUN/restore-pgbackrest"
timed restore "pgbackrest (restore --type=time)" "" \
  runuser -u postgres -- pgbackrest --stanza=bench restore --pg1-path="$RUN/restore-pgbackrest" --type=time "--target=$TARGET" --target-action=promote --archive-mode=off
read -r REC ROWS < <(start_and_count "$RUN/restore-pgbackrest" $((PORT + 2)))
printf 'recovery\tpgbackrest (archive-get)\t%s\t\t\t%s\n' "$REC" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
[ "$ROWS" = "$EXPECTED" ] || { log "pgbackrest restore has $ROWS rows, expected $EXPECTED"; exit 1; }

log "done: $RESULTS"
column -t -s $'\t' "$RESULTS"
