#!/usr/bin/env bash
# Installs what tests/peers/start.sh runs. Idempotent; a no-op taking well under a second
# when everything is already there. Needs root (or sudo-less apt) only when an apt package is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/env.sh"

# --- Debian packages: postgresql-15 (its contrib extensions, citext among them, are in the same
# package on Debian 12), redis-server (with redis-tools: redis-check-rdb) and openssl (the Redis TLS
# test makes a certificate) for the tests; acl (setfacl: the file-tree fidelity tests set POSIX
# ACLs); zstd, restic, pigz for the benchmarks; Node.js and npm for the S3 and MongoDB-wire peers.
# prometheus (with promtool) and prometheus-node-exporter for the monitoring tests (issue 17).
# A fresh Debian 12 has none of them.
apt_pkgs=(postgresql-15 redis-server zstd restic pigz openssl acl prometheus prometheus-node-exporter)
missing=()
for p in "${apt_pkgs[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
done
# Node counts as present when its programs are, however it was installed (NodeSource's nodejs
# ships npm and conflicts with Debian's npm package).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
  # No system cluster on port 5432: the peers run their own clusters.
  mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
fi
if ((${#missing[@]})); then
  echo "install.sh: apt-get install ${missing[*]}"
  # A fresh machine has empty apt lists: update only when apt knows no candidate for a package.
  for p in "${missing[@]}"; do
    policy="$(apt-cache policy "$p" 2>/dev/null)"
    if [[ "$policy" != *"Candidate: "* || "$policy" == *"Candidate: (none)"* ]]; then
      apt-get update -qq
      break
    fi
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node peers, in tests/peers/node/node_modules (gitignored).
node_dir="$here/node"
nm="$node_dir/node_modules"
smartmongo_version=2.2.0
# The stamp records what was installed; a changed package.json means reinstall.
stamp="$nm/.psbackup-peers-stamp"
want_stamp="$(sha256sum "$node_dir/package.json" | cut -d' ' -f1) smartmongo@$smartmongo_version patched $(sha256sum "$node_dir/patch-s3rver.cjs" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
  exit 0
fi

echo "install.sh: npm install in $node_dir"
# No lock file: package.json pins the direct versions. npm install prunes packages it does not
# know, so smartmongo is extracted after it, every time.
(cd "$node_dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null)

# @push.rocks/smartmongo's own dependency tree (mongodb-memory-server, smartdata, ...) does not
# install here, so fetch its tarball and extract it by hand; package.json above holds only the
# modules its congodb part imports.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@push.rocks/smartmongo@$smartmongo_version" >/dev/null)
rm -rf "$nm/@push.rocks/smartmongo"
mkdir -p "$nm/@push.rocks/smartmongo"
tar -xzf "$tmp"/push.rocks-smartmongo-"$smartmongo_version".tgz -C "$nm/@push.rocks/smartmongo" --strip-components=1

# s3rver's CopyObject/UploadPartCopy decode x-amz-copy-source with decodeURI, which leaves
# "%2F" encoded, so "bkt%2Fkey" gives NoSuchBucket. Real S3 URL-decodes the whole header.
obj="$nm/@20minutes/s3rver/lib/controllers/object.js"
sed -i "s/decodeURI(ctx.headers\['x-amz-copy-source'\])/decodeURIComponent(ctx.headers['x-amz-copy-source'])/g" "$obj"
if grep -q "decodeURI(ctx.headers" "$obj"; then
  echo "install.sh: patching $obj failed" >&2
  exit 1
fi

# s3rver lacks the bucket lifecycle API and serves GLACIER/DEEP_ARCHIVE objects like any other;
# patch-s3rver.cjs adds both as S3 does them (idempotent; see the script). A running s3rver
# keeps the old code until restarted.
node "$node_dir/patch-s3rver.cjs" "$nm/@20minutes/s3rver"

echo "$want_stamp" > "$stamp"
echo "install.sh: node peers installed"
