#!/usr/bin/env bash
# PostgreSQL cluster benchmark: PsBackup base backup + PITR restore vs pg_basebackup and
# pgBackRest 2.45, on one ~1 GB cluster (pgbench -i -s 70), in one run.
#
#   bench/pg-cluster.sh            (as root; ~10 min, ~6 GB disk in /tmp, removed at the end)
#
# 1. A throwaway PostgreSQL 15 cluster (port 15490) whose archive_command pushes every WAL file to
#    BOTH PsBackup (psbackup-cli archive-wal) and pgBackRest (archive-push), so both tools see the
#    same WAL and each backup waits for its own archive as it would in production.
# 2. Base backups, BENCH_PG_ROUNDS (default 3) rounds, the order of the tools rotated every round,
#    each timed by GNU time (wall seconds, peak RSS, CPU seconds), page cache dropped before each.
#    The like-for-like references use the same compression class as PsBackup's default (zstd-1):
#    pg_basebackup -Ft -Z client-zstd:1 -X none -c fast, psbackup-cli backup (zstd, default
#    settings), pgbackrest backup --type=full --compress-type=zst --compress-level=1 --process-max=2;
#    pg_basebackup -Ft -z (gzip 6, one thread) is timed once for context only.
# 3. pgbench writes for 20 s (WAL after the backup), the target time is noted, and every table's
#    rows are digested (md5 of the rows in key order) before 10 s more writes and a WAL switch.
# 4. PITR restores to that time: psbackup-cli restore --point-in-time (stages the WAL) and
#    pgbackrest restore --type=time; each restored cluster is started and timed until it has
#    recovered and promoted; every table's digest must equal the source's at the target.
#
# Results: bench/.work/pg-cluster/results.tsv and a summary on stdout (docs/benchmarks.md); the
# clusters, repositories and backups in /tmp/psbackup-bench-pg are removed at the end
# (BENCH_KEEP=1 keeps them). Only the PostgreSQL servers this script started are ever stopped.
# The machine is shared: the 1-minute load average is recorded before every step.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUN=${BENCH_PG_WORK:-/tmp/psbackup-bench-pg}
PORT=${BENCH_PG_PORT:-15490}
SCALE=${BENCH_PG_SCALE:-70}
ROUNDS=${BENCH_PG_ROUNDS:-3}
RESULTS=$RUN/results.tsv
KEEP_RESULTS=$HERE/.work/pg-cluster/results.tsv
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
finish() {
  stop_all
  mkdir -p "$(dirname "$KEEP_RESULTS")"; cp "$RESULTS" "$KEEP_RESULTS" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
}
trap finish EXIT
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

printf 'step\ttool\twall_s\tpeak_rss_mb\tstored_mb\tload1\tcpu_s\tround\n' > "$RESULTS"
timed() { # timed STEP TOOL STORED_DIR command...
  local step=$1 tool=$2 stored=$3; shift 3
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$RUN/time.txt" "$@" > "$RUN/out.txt" 2>&1 || { cat "$RUN/out.txt" >&2; exit 1; }
  local wall rss mb=""
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$RUN/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$RUN/time.txt")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$RUN/time.txt")
  [ -n "$stored" ] && mb=$(du -sm "$stored" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$tool" "$wall" "$rss" "$mb" "$load" "$cpu" "${ROUND:-1}" | tee -a "$RESULTS"
}

log "base backups: $ROUNDS rounds, order rotated"
mkdir -p "$RUN/basebackup" && chown postgres: "$RUN/basebackup"
bb_zstd() {
  rm -rf "$RUN/basebackup/b"
  timed backup "pg_basebackup -Ft -Z client-zstd:1" "$RUN/basebackup" \
    runuser -u postgres -- "$PGBIN/pg_basebackup" -h 127.0.0.1 -p $PORT -U postgres -D "$RUN/basebackup/b" -Ft -Z client-zstd:1 -X none -c fast
}
bb_psbackup() {
  timed backup "psbackup (zstd)" "" $CLI backup bench --repository "$RUN/psbackup-repo"
}
bb_pgbackrest() {
  timed backup "pgbackrest (zst-1, process-max 2)" "" \
    runuser -u postgres -- pgbackrest --stanza=bench backup --type=full --compress-type=zst --compress-level=1 --process-max=2
}
TOOLS=(bb_zstd bb_psbackup bb_pgbackrest)
for ROUND in $(seq 1 "$ROUNDS"); do
  for i in 0 1 2; do "${TOOLS[$(((i + ROUND - 1) % 3))]}"; done
done
ROUND=0
rm -rf "$RUN/basebackup/b"
timed backup "pg_basebackup -Ft -z (gzip 6, context)" "$RUN/basebackup" \
  runuser -u postgres -- "$PGBIN/pg_basebackup" -h 127.0.0.1 -p $PORT -U postgres -D "$RUN/basebackup/b" -Ft -z -X none -c fast
rm -rf "$RUN/basebackup/b"

log "WAL after the backups: pgbench 20 s, target, pgbench 10 s"
"$PGBIN/pgbench" -h 127.0.0.1 -p $PORT -U postgres -c 2 -T 20 postgres >/dev/null 2>&1
sleep 1
TARGET=$(psqlc $PORT "SELECT clock_timestamp()")
# Every table's rows in key order, digested: what a restore to TARGET must give back exactly.
digest() { # PORT
  local t out=""
  for t in pgbench_accounts:aid pgbench_branches:bid pgbench_tellers:tid "pgbench_history:tid,bid,aid,mtime,delta"; do
    out+="${t%%:*} $(psqlc "$1" "SELECT count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY ${t#*:})) FROM ${t%%:*} x")"$'\n'
  done
  printf '%s' "$out"
}
EXPECTED=$(digest $PORT)
sleep 1
"$PGBIN/pgbench" -h 127.0.0.1 -p $PORT -U postgres -c 2 -T 10 postgres >/dev/null 2>&1
wait_archived
log "target $TARGET: $(echo "$EXPECTED" | tr '\n' ' ')"
ID=$($CLI list bench --repository "$RUN/psbackup-repo" | tail -1 | sed 's/.*"Id":"\([^"]*\)".*/\1/')

start_and_count() { # start_and_count DATADIR PORT: time until promoted, row count
  local t0; t0=$(date +%s.%N)
  as_pg "$PGBIN/pg_ctl" -D "$1" -o "-p $2 -c unix_socket_directories=$RUN" -l "$1.log" -w -t 600 start >/dev/null
  until [ "$(psqlc "$2" "SELECT pg_is_in_recovery()")" = f ]; do sleep 0.1; done
  local t1; t1=$(date +%s.%N)
  echo "$(awk "BEGIN {printf \"%.2f\", $t1 - $t0}")"
  digest "$2" > "$1.digest"
  as_pg "$PGBIN/pg_ctl" -D "$1" -m immediate stop >/dev/null
}

log "PITR restores"
timed restore "psbackup (restore, WAL staged)" "" \
  $CLI restore "$ID" "$RUN/restore-psbackup" --point-in-time "$TARGET" --repository "$RUN/psbackup-repo"
REC=$(start_and_count "$RUN/restore-psbackup" $((PORT + 1)))
printf 'recovery\tpsbackup\t%s\t\t\t%s\t\t0\n' "$REC" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
[ "$(cat "$RUN/restore-psbackup.digest")" = "$EXPECTED" ] || { log "psbackup restore differs from the source at the target"; exit 1; }

mkdir -p "$RUN/restore-pgbackrest" && chown postgres: "$RUN/restore-pgbackrest" && chmod 700 "$RUN/restore-pgbackrest"
timed restore "pgbackrest (restore --type=time)" "" \
  runuser -u postgres -- pgbackrest --stanza=bench restore --pg1-path="$RUN/restore-pgbackrest" --type=time "--target=$TARGET" --target-action=promote --archive-mode=off
REC=$(start_and_count "$RUN/restore-pgbackrest" $((PORT + 2)))
printf 'recovery\tpgbackrest (archive-get)\t%s\t\t\t%s\t\t0\n' "$REC" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
[ "$(cat "$RUN/restore-pgbackrest.digest")" = "$EXPECTED" ] || { log "pgbackrest restore differs from the source at the target"; exit 1; }

# restore + recovery until promoted: the time to a usable cluster, PsBackup / pgBackRest
to_usable() { awk -F'\t' -v t="$1" '($1 == "restore" || $1 == "recovery") && index($2, t) == 1 { s += $3 } END { print s }' "$RESULTS"; }
ratio "cluster PITR restore + recovery, PsBackup / pgbackrest, wall" \
  "$(awk -v a="$(to_usable psbackup)" -v b="$(to_usable pgbackrest)" 'BEGIN { printf "%.2fx", a / b }')" "<= 1.2x" \
  "$(awk -F'\t' '$1 == "recovery" { printf "%s ", $6 }' "$RESULTS")" "one restore each"
log "done: $RESULTS (kept as $KEEP_RESULTS)"
column -t -s $'\t' "$RESULTS"
python3 - "$RESULTS" <<'PY'
import csv, sys, statistics as st
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["step"] == "backup" and r["round"] != "0"]
by = {}
for r in rows: by.setdefault(r["tool"], {})[r["round"]] = r
psb = by.get("psbackup (zstd)", {})
print("\n| base backup | wall s, median (min-max) | CPU s (median) | PsBackup / it, median of per-round ratios |")
print("|---|---|---|---|")
for tool, rs in by.items():
    walls = [float(r["wall_s"]) for r in rs.values()]
    ratios = [float(psb[k]["wall_s"]) / float(r["wall_s"]) for k, r in rs.items() if k in psb]
    print(f"| {tool} | {st.median(walls):.2f} ({min(walls):.2f}-{max(walls):.2f}) | "
          f"{st.median(float(r['cpu_s']) for r in rs.values()):.1f} | {st.median(ratios):.2f}x |")
import os
if os.environ.get("BENCH_RATIOS"):
    with open(os.environ["BENCH_RATIOS"], "a") as f:
        for tool, target in (("pgbackrest (zst-1, process-max 2)", "<= 1.0x"), ("pg_basebackup -Ft -Z client-zstd:1", "(context)")):
            rs = by.get(tool, {})
            ratios = [float(psb[k]["wall_s"]) / float(r["wall_s"]) for k, r in rs.items() if k in psb]
            if ratios:
                loads = ", ".join(psb[k]["load1"] for k in sorted(psb))
                f.write(f"cluster base backup, PsBackup / {tool}, wall\t{st.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})\t{target}\t{loads}\t{len(ratios)} rounds\n")
PY
