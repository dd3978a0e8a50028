#!/usr/bin/env bash
# What PostgreSQL pays per WAL segment for archive_command = the shipped archiver (issue 22).
# PostgreSQL starts archive_command once per 16 MB segment, one at a time, so the archiver's
# process start-up is paid per segment. Measured, on the same real segments, in one run:
#   startup   psbackup-cli version           (process start-up alone: runtime, JIT, no work)
#   archive   psbackup-cli archive-log …     (start-up + hash + brotli + fsync'd store into a local repository)
#   cp+sync   cp %p DIR/%f && sync DIR/%f    (PostgreSQL's documented example, made durable: the floor)
# for two builds of psbackup-cli: "fd" as the module ships it (framework-dependent, IL JIT-compiled
# at start) and "r2r" (the same, published ReadyToRun for linux-x64). Order alternates per round.
# Usage (root; PostgreSQL 15 in /usr/lib/postgresql/15/bin):
#   bash bench/archiver-startup.sh            ROUNDS=5 SEGMENTS=8 BENCH_PG_PORT=15491
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); ROOT=$(dirname "$HERE")
ROUNDS=${ROUNDS:-5} SEGMENTS=${SEGMENTS:-8} PORT=${BENCH_PG_PORT:-15491}
PGBIN=${PSBACKUP_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$HERE/.work/archiver; RUN=/tmp/psbackup-bench-archiver
. "$HERE/lib.sh"
rm -rf "$RUN" && mkdir -p "$WORK" "$RUN/wal"
chown postgres: "$RUN"

build_cli "$WORK/fd"; FD=$CLI
log "publishing the ReadyToRun variant"
dotnet publish "$ROOT/tools/PsBackup.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$WORK/r2r" -v q -nologo >"$WORK/publish-r2r.log" 2>&1 || { cat "$WORK/publish-r2r.log" >&2; exit 1; }
R2R=$WORK/r2r/psbackup-cli

log "real WAL: a throwaway cluster writes $SEGMENTS segments"
runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/data" --auth=trust -U postgres --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/data" -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c max_wal_size=1GB" \
  -l "$RUN/pg.log" -w start >/dev/null
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
psql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atqc "$1"; }
psql "CREATE TABLE t AS SELECT md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, $((SEGMENTS * 90000)))"
psql "SELECT pg_switch_wal()" >/dev/null
for f in $(ls "$RUN/data/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -n "$SEGMENTS"); do cp "$RUN/data/pg_wal/$f" "$RUN/wal/"; done
COUNT=$(ls "$RUN/wal" | wc -l)
log "$COUNT segments of $(stat -c %s "$RUN/wal/$(ls "$RUN/wal" | head -1)") bytes"

ms() { date +%s%N; }
declare -A TOTAL
run() { # run NAME ROUND: time every segment through one contender, fresh destination each round
  local name=$1 r=$2 dest=$RUN/dest-$1-$2 t0 t1 cli
  rm -rf "$dest" && mkdir -p "$dest"
  case $name in fd-*) cli=$FD ;; r2r-*) cli=$R2R ;; esac
  case $name in *-archive) "$cli" new-collection pitr --pg-cluster "127.0.0.1:$PORT" --repository "$dest/repo" >/dev/null ;; esac
  t0=$(ms)
  for f in $(ls "$RUN/wal"); do
    case $name in
      *-startup) "$cli" version >/dev/null ;;
      *-archive) "$cli" archive-log --repository "$dest/repo" --collection pitr "$RUN/wal/$f" "$f" ;;
      cp+sync) cp "$RUN/wal/$f" "$dest/$f" && sync "$dest/$f" ;;
    esac
  done
  t1=$(ms)
  TOTAL[$name]=$(( ${TOTAL[$name]:-0} + (t1 - t0) ))
  echo "$name round $r: $(( (t1 - t0) / 1000000 / COUNT )) ms/segment"
  rm -rf "$dest"
}
NAMES=(fd-startup r2r-startup fd-archive r2r-archive cp+sync)
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 )); then order=("${NAMES[@]}"); else order=(); for ((i=${#NAMES[@]}-1; i>=0; i--)); do order+=("${NAMES[i]}"); done; fi
  for n in "${order[@]}"; do run "$n" "$r"; done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "| contender | ms per segment (mean of $ROUNDS rounds × $COUNT segments) |"
echo "|---|---|"
for n in "${NAMES[@]}"; do echo "| $n | $(( TOTAL[$n] / 1000000 / ROUNDS / COUNT )) |"; done
