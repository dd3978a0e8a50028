#!/usr/bin/env bash
# Stops every peer that tests/peers/start.sh started and waits until each process is gone.
# Keeps $PSBACKUP_PEERS_DIR (logs) for a look after the fact; start.sh clears it next time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"

[[ -d "$D" ]] || exit 0
# Replica first, so the primary does not wait on a walsender during its shutdown.
stop_pg "$PG_REPLICA"
stop_pg "$PG_PRIMARY"
stop_pidfiles "$PIDS"/{redis1,redis2,s3rver,congodb}.pid
echo "stop.sh: peers stopped"
