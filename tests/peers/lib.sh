# Shared helpers for start.sh and stop.sh (sourced, not run).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

D="$PSBACKUP_PEERS_DIR"
PG_BIN="$PSBACKUP_TEST_PG_BIN"
PG_PRIMARY="$PSBACKUP_TEST_PG_DATA"
PG_REPLICA="$D/pg-replica"
PG_SOCK="$D/pg-sock"
LOGS="$D/logs"
PIDS="$D/pids"

# PostgreSQL refuses to run as root: as root (CI), run its tools as the postgres user and give
# it the data dirs; as anyone else, run them as that user.
if [[ $EUID -eq 0 ]]; then
  PG_OWNER=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PG_OWNER="$(id -un)"
  as_pg() { "$@"; }
fi

host_of() { local hp="${1#*://}"; echo "${hp%:*}"; }   # "mongodb://h:p" or "h:p" -> h
port_of() { local hp="${1#*://}"; echo "${hp##*:}"; }   # -> p

# A pidfile's process is alive unless gone or a zombie (pid 1 on these machines reaps
# orphans late, and kill -0 succeeds on a zombie).
pid_alive() {
  [[ -f "$1" ]] || return 1
  local pid; pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

# Readiness probes (each bounded by a short timeout so a hung peer cannot hang us).
pg_ready()    { "$PG_BIN/pg_isready" -q -t 2 -h "$PSBACKUP_TEST_PG_HOST" -p "$1"; }
redis_ready() { [[ "$(timeout 2 redis-cli -h "$(host_of "$1")" -p "$(port_of "$1")" ping 2>/dev/null)" == PONG ]]; }
tcp_ready()   { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
http_ready()  { # any HTTP status line counts: the server is answering
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "GET / HTTP/1.0\r\nHost: %s\r\n\r\n" "$0" >&3; head -c 5 <&3' \
    "$1" "$2" 2>/dev/null | grep -q '^HTTP/'
}
pg_running() { # data dir, port
  [[ -f "$1/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1 && pg_ready "$2"
}

# Stops the processes named by pidfiles: SIGTERM to all, wait up to 15 s, then SIGKILL.
# These peers are not our children after start.sh exits, so "wait" is a poll.
stop_pidfiles() {
  local f i live
  for f in "$@"; do pid_alive "$f" && kill -TERM "$(cat "$f")" 2>/dev/null; done
  for ((i = 0; i < 150; i++)); do
    live=0; for f in "$@"; do pid_alive "$f" && live=1; done
    ((live)) || break
    sleep 0.1
  done
  for f in "$@"; do
    if pid_alive "$f"; then
      echo "peers: $(basename "$f" .pid) (pid $(cat "$f")) ignored SIGTERM, killing" >&2
      kill -KILL "$(cat "$f")" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 50; i++)); do
    live=0; for f in "$@"; do pid_alive "$f" && live=1; done
    ((live)) || break
    sleep 0.1
  done
  rm -f "$@"
}

stop_pg() { # data dir
  if [[ -f "$1/postmaster.pid" ]]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$1" -m fast -w -t 30 >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" stop -D "$1" -m immediate -w -t 30 >/dev/null 2>&1 || true
  fi
}
