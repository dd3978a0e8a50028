#!/usr/bin/env bash
# Installs what bench/ needs, only when missing: restic (0.14 on Debian 12), zstd, GNU time
# (/usr/bin/time -f '%e %M' gives wall seconds and peak RSS). python3, tar and the .NET SDK
# are expected to be there already.
set -euo pipefail
need=()
command -v restic >/dev/null || need+=(restic)
command -v zstd >/dev/null || need+=(zstd)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "install.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
for t in python3 tar dotnet; do
  command -v "$t" >/dev/null || { echo "install.sh: $t is missing" >&2; exit 1; }
done
