#!/usr/bin/env bash
# Times the retention planner over 100k synthetic backups (bench/Retention, not in the solution).
#   bench/retention.sh [COUNT] [RUNS]      default 100000 backups, 5 timed runs after a warm-up
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Retention -c Release -o bench/.work/retention >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet bench/.work/retention/retention-bench.dll "${1:-100000}" "${2:-5}"
