#!/usr/bin/env bash
# S3 benchmark (issue 3): a ~1 GB backup uploaded and downloaded through PsBackup vs the AWS SDK's
# TransferUtility moving the same bytes to the same S3-compatible server, in one run.
#
#   bench/s3.sh            (as root: drops the page cache before every timed step)
#
# Server: s3rver from tests/peers on 127.0.0.1:14569 (started here when it is not running).
# Data: BENCH_S3_FILES (default 64) files x BENCH_S3_FILE_MB (default 16) MiB of /dev/urandom in
# bench/.work/s3/tree (incompressible; regenerated every run).
# Steps, each under /usr/bin/time (wall, peak RSS, client CPU), with the s3rver node process' CPU
# seconds read from /proc around the step:
#   raw  upload-dir    TransferUtility.UploadDirectoryAsync of the tree        (bench/S3Raw)
#   raw  upload-file   TransferUtility.UploadAsync of the same bytes as one file
#   psb  backup        psbackup-cli backup, collection --compression none, s3://psbackup-bench/none-*
#   raw  download-dir  TransferUtility.DownloadDirectoryAsync
#   raw  download-file TransferUtility.DownloadAsync of the one file
#   psb  restore       psbackup-cli restore of that backup
#   psb  backup/restore again with the default compression (brotli), for context
# Every download/restore is compared with the tree by a SHA-256 listing.
# Output: bench/.work/s3/results.tsv and markdown tables on stdout.
# Environment: BENCH_REUSE_CLI=1 reuses bench/.work/cli, BENCH_KEEP=1 keeps data and objects.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
RUN=$WORK/s3
TREE=$RUN/tree
ONE=$RUN/one.bin
CLI=$WORK/cli/psbackup-cli
RAW=$WORK/s3raw/s3raw
FILES=${BENCH_S3_FILES:-64}
FILE_MB=${BENCH_S3_FILE_MB:-16}
RESULTS=$RUN/results.tsv
export PSBACKUP_S3_ENDPOINT=${PSBACKUP_S3_ENDPOINT:-http://127.0.0.1:14569}
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
PEERS_DIR=${PSBACKUP_PEERS_DIR:-/tmp/psbackup-peers}
BUCKET_RAW=raw-bench
BUCKET_PSB=psbackup-bench
TAG=$(date -u +%Y%m%dT%H%M%S)

. "$HERE/lib.sh"   # log, build_cli, drop

"$HERE/install.sh" || exit 1
mkdir -p "$WORK"

# --- builds: psbackup-cli (working tree, as in the brief) and the raw tool
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ]; then
  log "reusing $CLI"
else
  build_cli "$WORK/cli" || exit 1
fi
log "publishing bench/S3Raw (Release) to $WORK/s3raw"
dotnet publish "$HERE/S3Raw" -c Release -o "$WORK/s3raw" -v q -nologo >"$WORK/publish-s3raw.log" 2>&1 \
  || { cat "$WORK/publish-s3raw.log" >&2; exit 1; }

# --- the server
if ! curl -s -o /dev/null "$PSBACKUP_S3_ENDPOINT/"; then
  log "starting the test peers (tests/peers)"
  bash "$ROOT/tests/peers/install.sh" >"$WORK/peers.log" 2>&1 && bash "$ROOT/tests/peers/start.sh" >>"$WORK/peers.log" 2>&1 \
    || { cat "$WORK/peers.log" >&2; exit 1; }
fi
S3PID=$(cat "$PEERS_DIR/pids/s3rver.pid" 2>/dev/null)
[ -n "$S3PID" ] && [ -d "/proc/$S3PID" ] || { log "cannot find the s3rver pid (set PSBACKUP_PEERS_DIR)"; S3PID=; }
node_cpu() { # s3rver's utime+stime in seconds
  [ -n "$S3PID" ] || { echo 0; return; }
  awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$S3PID/stat"
}
"$RAW" make-bucket "$BUCKET_RAW" && "$RAW" make-bucket "$BUCKET_PSB" || { log "cannot create buckets"; exit 1; }

# --- data
rm -rf "$RUN"; mkdir -p "$TREE"
log "generating $FILES x $FILE_MB MiB of random data in $TREE"
for i in $(seq -w 1 "$FILES"); do head -c "$((FILE_MB << 20))" /dev/urandom >"$TREE/f$i.bin"; done
cat "$TREE"/*.bin >"$ONE"
BYTES=$(du -sb "$TREE" | cut -f1)
listing() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
listing "$TREE" >"$RUN/listing"
ONE_SUM=$(sha256sum <"$ONE" | cut -d' ' -f1)
verify_dir() { [ -z "$(diff <(listing "$1") "$RUN/listing")" ] && echo ok || echo DIFFERENT; }

{
  echo "# run	$(date -u +%Y-%m-%dT%H:%M:%SZ), commit $COMMIT$(git -C "$ROOT" diff --quiet HEAD -- src tools 2>/dev/null || echo ' + uncommitted changes in src/ or tools/')"
  echo "# machine	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "# data	$FILES files x $FILE_MB MiB random = $BYTES bytes; page cache dropped before each step: $DROP"
  echo "# server	s3rver at $PSBACKUP_S3_ENDPOINT (pid ${S3PID:-?}), data dir on $(df --output=source "$PEERS_DIR" 2>/dev/null | tail -1)"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "step	tool	wall_s	rss_kb	client_cpu_s	server_cpu_s	bytes	check	note"
} >"$RESULTS"

# timed TOOL STEP -- command...   sets WALL RSS CPU NODE; appends nothing (row does)
timed() {
  local tool="$1" step="$2"; shift 3
  drop
  log "$tool $step"
  local n0; n0=$(node_cpu)
  /usr/bin/time -f '%e %M %U %S' -o "$RUN/time" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  local n1; n1=$(node_cpu)
  read -r WALL RSS U S < <(tail -1 "$RUN/time")
  CPU=$(awk -v u="$U" -v s="$S" 'BEGIN{printf "%.1f", u+s}')
  NODE=$(awk -v a="$n0" -v b="$n1" 'BEGIN{printf "%.1f", b-a}')
  if [ $rc -ne 0 ]; then log "$tool $step failed ($rc):"; tail -20 "$RUN/err" >&2; fi
  return $rc
}
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$WALL" "$RSS" "$CPU" "$NODE" "$3" "$4" "$5" >>"$RESULTS"; }

# --- uploads
timed raw upload-dir -- "$RAW" upload-dir "$TREE" "$BUCKET_RAW" "dir-$TAG" \
  && row upload raw-dir "$BYTES" - "$FILES objects, UploadDirectoryAsync"
timed raw upload-file -- "$RAW" upload-file "$ONE" "$BUCKET_RAW" "one-$TAG.bin" \
  && row upload raw-file "$BYTES" - "one $BYTES-byte object, UploadAsync (multipart)"

psb_backup() { # COMPRESSION: creates collection + backup at s3://$BUCKET_PSB/$1-$TAG, sets PSB_ID
  local comp=$1 repo="s3://$BUCKET_PSB/$1-$TAG"
  PSB_ID=
  "$CLI" new-collection "bench-$comp" "$TREE" --compression "$comp" --repository "$repo" >"$RUN/collection-$comp.json" 2>"$RUN/err" \
    || { log "new-collection $comp failed"; cat "$RUN/err" >&2; return 1; }
  if timed psbackup "backup-$comp" -- "$CLI" backup "bench-$comp" --repository "$repo"; then
    PSB_ID=$(jq -r .Id "$RUN/out")
    local stored; stored=$("$RAW" du "$BUCKET_PSB" "$1-$TAG/" | cut -d' ' -f2)
    row upload "psbackup-$comp" "$BYTES" - "repository objects: $("$RAW" du "$BUCKET_PSB" "$1-$TAG/" | cut -d' ' -f1), $stored bytes stored"
  fi
}
psb_restore() { # COMPRESSION
  local comp=$1 repo="s3://$BUCKET_PSB/$1-$TAG"
  [ -n "$PSB_ID" ] || return 1
  rm -rf "$RUN/restore-$comp"
  timed psbackup "restore-$comp" -- "$CLI" restore "$PSB_ID" "$RUN/restore-$comp" --repository "$repo" \
    && row download "psbackup-$comp" "$BYTES" "$(verify_dir "$RUN/restore-$comp")" ""
  rm -rf "$RUN/restore-$comp"
}

psb_backup none
# --- downloads
rm -rf "$RUN/down-dir"
timed raw download-dir -- "$RAW" download-dir "$BUCKET_RAW" "dir-$TAG" "$RUN/down-dir" \
  && row download raw-dir "$BYTES" "$(verify_dir "$RUN/down-dir")" "DownloadDirectoryAsync"
rm -rf "$RUN/down-dir"
rm -f "$RUN/down-one.bin"
timed raw download-file -- "$RAW" download-file "$BUCKET_RAW" "one-$TAG.bin" "$RUN/down-one.bin" \
  && row download raw-file "$BYTES" "$([ "$(sha256sum <"$RUN/down-one.bin" | cut -d' ' -f1)" = "$ONE_SUM" ] && echo ok || echo DIFFERENT)" "DownloadAsync"
rm -f "$RUN/down-one.bin"
psb_restore none

# --- context: the default compression (brotli)
psb_backup brotli
psb_restore brotli

echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

if [ "${BENCH_KEEP:-0}" != 1 ]; then
  "$RAW" rm "$BUCKET_RAW" "dir-$TAG" >/dev/null; "$RAW" rm "$BUCKET_RAW" "one-$TAG.bin" >/dev/null
  "$RAW" rm "$BUCKET_PSB" "none-$TAG/" >/dev/null; "$RAW" rm "$BUCKET_PSB" "brotli-$TAG/" >/dev/null
  rm -rf "$TREE" "$ONE"
fi

python3 "$HERE/s3-report.py" "$RESULTS"
