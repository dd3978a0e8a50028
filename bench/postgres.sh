#!/usr/bin/env bash
# PostgreSQL tables benchmark: PsBackup (psbackup-cli) vs pg_dump -Fc / pg_restore and
# pg_dump -Fd -j 2 / pg_restore -j 2 on one pgbench database, in one run.
#
#   bench/postgres.sh [SCALE]        (default 70: pgbench_accounts has SCALE * 100,000 rows, ~1 GB)
#
# A throwaway cluster (wal_level = logical, default durability) runs in bench/.work/pg as the
# postgres user. Steps, each under GNU time (wall seconds, peak RSS) after a page-cache drop:
# full backups, restores into empty databases (each checked row for row against the source),
# then 1 % of the accounts updated and PsBackup's incremental timed against a new full, and the
# incremental restored and checked. Results: bench/.work/pg/results.tsv and a markdown table.
set -uo pipefail

SCALE=${1:-70}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}/pg
PG_BIN=${PSBACKUP_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PG_PORT:-15440}
DATA=$WORK/data
RESULTS=$WORK/results.tsv
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
. "$HERE/lib.sh"

as_pg() { runuser -u postgres -- "$@"; }
sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
fingerprint() { sql -d "$1" -Atc "SELECT count(*) || ':' || md5(string_agg(a::text, ',' ORDER BY aid)) FROM pgbench_accounts a"; }

mkdir -p "$WORK" && chmod 755 "$WORK"
build_cli "$WORK/cli" || exit 1

log "starting a throwaway cluster on port $PORT"
[ -f "$DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m immediate >/dev/null 2>&1
rm -rf "$DATA" && mkdir -p "$DATA" && chown postgres "$DATA" && chmod 700 "$DATA"
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-locale --encoding=UTF8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }
cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
wal_level = logical
max_wal_size = 8GB
shared_buffers = 256MB
CONF
as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -w -l "$DATA/log" >/dev/null || { tail "$DATA/log"; exit 1; }
trap 'as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast >/dev/null 2>&1; [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$DATA" "$WORK/dump.fc" "$WORK/dump.dir" "$WORK/repo"' EXIT

log "pgbench -i -s $SCALE"
sql -c "CREATE DATABASE bench"
"$PG_BIN/pgbench" -i -q -s "$SCALE" bench >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log"; exit 1; }
# Incrementals need a key or replica identity on every table; pgbench_history has neither.
sql -d bench -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" -c "VACUUM ANALYZE" -c "CHECKPOINT"
SOURCE=$(fingerprint bench)
DBSIZE=$(sql -d bench -Atc "SELECT pg_database_size('bench')")

{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# host	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "# commit	$COMMIT"
  echo "# versions	$("$PG_BIN/postgres" --version); dotnet $(dotnet --version)"
  echo "# data	pgbench -i -s $SCALE: $((SCALE * 100000)) accounts, database $((DBSIZE / 1048576)) MB"
  echo "# drop_caches	$DROP"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'step\ttool\twall_s\tengine_s\tpeak_rss_kb\tstored_bytes\tverified\n'
} >"$RESULTS"

FAILED=0
# timed STEP TOOL -- command...: runs it under GNU time, appends a row (stored/verified filled later by row_done)
timed() {
  local step=$1 tool=$2; shift 3
  drop
  log "$step $tool: $*"
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  read -r WALL RSS < <(tail -1 "$WORK/time")
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
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$WALL" "$(engine)" "$RSS" "$3" "$4" >>"$RESULTS"; }
check() { [ "$(fingerprint "$1")" = "$2" ] && echo ok || { FAILED=1; echo DIFFERENT; }; }
psb() { "$CLI" "$@" --repository "$WORK/repo"; }
last_id() { psb list pg | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'; }

rm -rf "$WORK/dump.fc" "$WORK/dump.dir" "$WORK/repo"
timed full pg_dump-Fc -- "$PG_BIN/pg_dump" -Fc -f "$WORK/dump.fc" bench; row full pg_dump-Fc "$(stat -c %s "$WORK/dump.fc")" -
timed full pg_dump-Fd-j2 -- "$PG_BIN/pg_dump" -Fd -j 2 -f "$WORK/dump.dir" bench; row full pg_dump-Fd-j2 "$(du -sb "$WORK/dump.dir" | cut -f1)" -
psb new-collection pg "postgresql://postgres@127.0.0.1:$PORT/bench" --incremental >/dev/null || exit 1
timed full psbackup -- "$CLI" backup pg --repository "$WORK/repo"; row full psbackup "$(du -sb "$WORK/repo" | cut -f1)" -
FULL_ID=$(last_id)

# The incremental right after the full: logical decoding reads all WAL written since (of every
# database of the cluster), and the restores below would add gigabytes of it.
log "updating 1 % of the accounts"
sql -d bench -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0" -c "CHECKPOINT"
CHANGED=$(fingerprint bench)
BEFORE=$(du -sb "$WORK/repo" | cut -f1)
timed incremental psbackup-incremental -- "$CLI" backup pg --incremental --repository "$WORK/repo"
row incremental psbackup-incremental "$(( $(du -sb "$WORK/repo" | cut -f1) - BEFORE ))" -
INC_ID=$(last_id)
BEFORE=$(du -sb "$WORK/repo" | cut -f1)
timed incremental psbackup-full -- "$CLI" backup pg --repository "$WORK/repo"
row incremental psbackup-full "$(( $(du -sb "$WORK/repo" | cut -f1) - BEFORE ))" -
for db in r_fc r_fd r_psb r_inc; do sql -c "CREATE DATABASE $db"; done
timed restore pg_restore-Fc -- "$PG_BIN/pg_restore" -d r_fc "$WORK/dump.fc"; row restore pg_restore-Fc - "$(check r_fc "$SOURCE")"
timed restore pg_restore-Fd-j2 -- "$PG_BIN/pg_restore" -j 2 -d r_fd "$WORK/dump.dir"; row restore pg_restore-Fd-j2 - "$(check r_fd "$SOURCE")"
timed restore psbackup -- "$CLI" restore "$FULL_ID" "postgresql://postgres@127.0.0.1:$PORT/r_psb" --repository "$WORK/repo"
row restore psbackup - "$(check r_psb "$SOURCE")"

timed restore-incremental psbackup -- "$CLI" restore "$INC_ID" "postgresql://postgres@127.0.0.1:$PORT/r_inc" --repository "$WORK/repo"
row restore-incremental psbackup - "$(check r_inc "$CHANGED")"
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

python3 "$HERE/pg-report.py" "$RESULTS"
exit $FAILED
