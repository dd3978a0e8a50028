#!/usr/bin/env bash
# Starts the test peers on 127.0.0.1 (see README.md): PostgreSQL 15 primary + streaming replica,
# two Redis servers, s3rver (S3) and congodb (MongoDB wire). Idempotent: a peer that is already
# running and answering is left alone. When none is running, starts from an empty state dir.
# Run tests/peers/install.sh first. Stop them with tests/peers/stop.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
t0=$SECONDS

fail() { # name, log: print why and the log tail, then exit non-zero
  echo "start.sh: $1 did not come up; last lines of $2:" >&2
  tail -n 40 "$2" >&2 || true
  exit 1
}

# wait_ready NAME TIMEOUT_S LOG PIDFILE|- PROBE...: poll PROBE until it succeeds; fail early if the
# process is gone, or after the timeout.
wait_ready() {
  local name="$1" timeout="$2" log="$3" pidfile="$4"; shift 4
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if [[ "$pidfile" != - ]] && ! pid_alive "$pidfile"; then fail "$name (process exited)" "$log"; fi
    ((SECONDS < deadline)) || fail "$name (timeout ${timeout}s)" "$log"
    sleep 0.1
  done
}

# spawn NAME CMD...: run CMD in the background, detached from our stdio (so a caller piping our
# output, like .ci/run, does not wait on the servers) and, via setsid, from our process group
# and session (as pg_ctl does for postgres), so it outlives the shell that started it. The
# background child is no group leader, so setsid execs CMD in place: $! is the server's pid.
spawn() {
  local name="$1"; shift
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

redis1_up()  { pid_alive "$PIDS/redis1.pid" && redis_ready "$PSBACKUP_TEST_REDIS"; }
redis2_up()  { pid_alive "$PIDS/redis2.pid" && redis_ready "$PSBACKUP_TEST_REDIS2"; }
s3_host="$(host_of "$PSBACKUP_TEST_S3_ENDPOINT")"; s3_port="$(port_of "$PSBACKUP_TEST_S3_ENDPOINT")"
s3_port="${s3_port%%/*}"
mongo_host="$(host_of "$PSBACKUP_TEST_MONGO")"; mongo_port="$(port_of "$PSBACKUP_TEST_MONGO")"
mongo_port="${mongo_port%%/*}"
s3_up()      { pid_alive "$PIDS/s3rver.pid" && http_ready "$s3_host" "$s3_port"; }
mongo_up()   { pid_alive "$PIDS/congodb.pid" && tcp_ready "$mongo_host" "$mongo_port"; }
primary_up() { pg_running "$PG_PRIMARY" "$PSBACKUP_TEST_PG_PORT"; }
replica_up() { pg_running "$PG_REPLICA" "$PSBACKUP_TEST_PG_REPLICA_PORT"; }

# --- Clean slate when nothing of ours is running.
if ! { primary_up || replica_up || redis1_up || redis2_up || s3_up || mongo_up; }; then
  case "$D" in /|/tmp|/root|/home|"$HOME"|"") echo "start.sh: refusing to clear PSBACKUP_PEERS_DIR=$D" >&2; exit 1;; esac
  # Leftover server processes from a crashed run would keep the ports: stop what the old
  # pidfiles name before deleting them.
  stop_pidfiles "$PIDS"/*.pid
  stop_pg "$PG_REPLICA"; stop_pg "$PG_PRIMARY"
  rm -rf "$D"
fi
mkdir -p "$D" "$LOGS" "$PIDS" "$PG_SOCK" "$(dirname "$PG_PRIMARY")"
chmod 755 "$D" "$LOGS"           # the postgres user must reach its data dirs and logs
chown "$PG_OWNER" "$PG_SOCK"

# --- PostgreSQL primary
primary_restarted=no
if primary_up; then
  echo "start.sh: postgres primary already running on port $PSBACKUP_TEST_PG_PORT"
else
  stop_pg "$PG_PRIMARY"
  rm -rf "$PG_PRIMARY"; mkdir -p "$PG_PRIMARY"; chown "$PG_OWNER" "$PG_PRIMARY"; chmod 700 "$PG_PRIMARY"
  log="$LOGS/pg-primary.log"; : >"$log"; chown "$PG_OWNER" "$log"
  # --auth=trust also trusts replication connections from 127.0.0.1 (pg_hba.conf default lines).
  as_pg "$PG_BIN/initdb" -D "$PG_PRIMARY" -U "$PSBACKUP_TEST_PG_USER" --auth=trust --no-locale \
    --encoding=UTF8 --no-sync >>"$log" 2>&1 || fail "postgres initdb" "$log"
  # One role must log in with a password, for the wrong-password tests (first matching line wins).
  sed -i '1i host all psbackup_secure 127.0.0.1/32 scram-sha-256' "$PG_PRIMARY/pg_hba.conf"
  # wal_level=logical is a superset of replica: tests need both logical decoding and replicas.
  # wal_keep_size keeps enough WAL for the slot-less streaming replica to catch up.
  cat >>"$PG_PRIMARY/postgresql.conf" <<CONF

# --- tests/peers/start.sh
listen_addresses = '$PSBACKUP_TEST_PG_HOST'
port = $PSBACKUP_TEST_PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
wal_level = logical
max_wal_senders = 10
max_replication_slots = 30
wal_keep_size = '512MB'
fsync = off
CONF
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_PRIMARY" -l "$log" -w -t 60 >/dev/null || fail "postgres primary" "$log"
  wait_ready "postgres primary" 30 "$log" - pg_ready "$PSBACKUP_TEST_PG_PORT"
  primary_restarted=yes
  echo "start.sh: postgres primary up on port $PSBACKUP_TEST_PG_PORT"
fi

# --- PostgreSQL streaming replica (rebuilt whenever the primary was)
if [[ $primary_restarted == no ]] && replica_up; then
  echo "start.sh: postgres replica already running on port $PSBACKUP_TEST_PG_REPLICA_PORT"
else
  stop_pg "$PG_REPLICA"
  rm -rf "$PG_REPLICA"; mkdir -p "$PG_REPLICA"; chown "$PG_OWNER" "$PG_REPLICA"; chmod 700 "$PG_REPLICA"
  log="$LOGS/pg-replica.log"; : >"$log"; chown "$PG_OWNER" "$log"
  # -R writes standby.signal + primary_conninfo; -X stream fetches WAL during the copy.
  as_pg "$PG_BIN/pg_basebackup" -h "$PSBACKUP_TEST_PG_HOST" -p "$PSBACKUP_TEST_PG_PORT" -U "$PSBACKUP_TEST_PG_USER" \
    -D "$PG_REPLICA" -R -X stream -c fast --no-sync >>"$log" 2>&1 || fail "pg_basebackup for the replica" "$log"
  echo "port = $PSBACKUP_TEST_PG_REPLICA_PORT" >>"$PG_REPLICA/postgresql.conf"   # last setting wins
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_REPLICA" -l "$log" -w -t 60 >/dev/null || fail "postgres replica" "$log"
  wait_ready "postgres replica" 30 "$log" - pg_ready "$PSBACKUP_TEST_PG_REPLICA_PORT"
  replica_streaming() {
    [[ "$("$PG_BIN/psql" -h "$PSBACKUP_TEST_PG_HOST" -p "$PSBACKUP_TEST_PG_REPLICA_PORT" -U "$PSBACKUP_TEST_PG_USER" \
      -d postgres -Atc "select status from pg_stat_wal_receiver" 2>/dev/null)" == streaming ]]
  }
  wait_ready "postgres replica streaming" 30 "$log" - replica_streaming
  echo "start.sh: postgres replica up on port $PSBACKUP_TEST_PG_REPLICA_PORT (streaming)"
fi

# --- Redis x2. --repl-diskless-sync-delay 0: else `redis-cli --rdb` and REPLICAOF wait ~6 s.
start_redis() { # name, host:port
  local name="$1" hp="$2"
  if pid_alive "$PIDS/$name.pid" && redis_ready "$hp"; then
    echo "start.sh: $name already running on $hp"; return
  fi
  stop_pidfiles "$PIDS/$name.pid"
  rm -rf "${D:?}/$name"; mkdir -p "$D/$name"; : >"$LOGS/$name.log"
  spawn "$name" redis-server --bind "$(host_of "$hp")" --port "$(port_of "$hp")" --dir "$D/$name" \
    --save '' --appendonly no --repl-diskless-sync-delay 0 --daemonize no
  wait_ready "$name" 20 "$LOGS/$name.log" "$PIDS/$name.pid" redis_ready "$hp"
  echo "start.sh: $name up on $hp"
}
start_redis redis1 "$PSBACKUP_TEST_REDIS"
start_redis redis2 "$PSBACKUP_TEST_REDIS2"

# --- s3rver (S3 API). --openssl-legacy-provider: else paginated ListObjectsV2 answers 500;
# --allow-mismatched-signatures: else bucket calls from the AWS SDK get 403.
if s3_up; then
  echo "start.sh: s3rver already running on $PSBACKUP_TEST_S3_ENDPOINT"
else
  stop_pidfiles "$PIDS/s3rver.pid"
  rm -rf "${D:?}/s3"; mkdir -p "$D/s3"; : >"$LOGS/s3rver.log"
  spawn s3rver node --openssl-legacy-provider "$here/node/s3rver.cjs" -d "$D/s3" -a "$s3_host" -p "$s3_port" \
    --allow-mismatched-signatures
  wait_ready s3rver 30 "$LOGS/s3rver.log" "$PIDS/s3rver.pid" http_ready "$s3_host" "$s3_port"
  echo "start.sh: s3rver up on $PSBACKUP_TEST_S3_ENDPOINT"
fi

# --- congodb (MongoDB wire protocol, in memory)
if mongo_up; then
  echo "start.sh: congodb already running on $PSBACKUP_TEST_MONGO"
else
  stop_pidfiles "$PIDS/congodb.pid"
  : >"$LOGS/congodb.log"
  spawn congodb node "$here/node/congodb.mjs" "$mongo_host" "$mongo_port"
  wait_ready congodb 30 "$LOGS/congodb.log" "$PIDS/congodb.pid" tcp_ready "$mongo_host" "$mongo_port"
  echo "start.sh: congodb up on $PSBACKUP_TEST_MONGO"
fi

echo "start.sh: all peers ready in $((SECONDS - t0)) s (state and logs in $D)"
