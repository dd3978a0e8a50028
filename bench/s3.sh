#!/usr/bin/env bash
# S3 benchmark (issues 3, 21): PsBackup uploading and restoring ~1 GB through an S3-compatible
# server vs the AWS SDK's TransferUtility moving the same bytes to the same server, in one run.
#
#   bench/s3.sh            (as root: drops the page cache before every timed step)
#
# Server: an s3rver of its own (tests/peers/node, patched as the test peers), on a free port in
# 30000-32767 (below the ephemeral range), its data under bench/.work/s3; stopped and removed at
# the end. No other server is touched.
# Data (incompressible, from /dev/urandom): one 1 GiB file (BENCH_S3_ONE_MB, default 1024) and a
# tree of BENCH_S3_FILES (64) x BENCH_S3_FILE_MB (16) MiB.
# Cases (BENCH_S3_CASES, default "one dir zstd"), each a pair of contenders per direction:
#   one   raw  upload-file    TransferUtility.UploadAsync of the 1 GiB file (one multipart object)
#         psb  backup         psbackup-cli backup of a tree holding only that file, --compression none
#         raw  download-file  TransferUtility.DownloadAsync of it (one GetObject streamed to the file)
#         rawpar download-file-parallel  TransferUtility.DownloadWithResponseAsync, RANGE strategy: 8 MiB
#                             ranged GETs, 10 at once (the SDK's multipart download; like PsBackup's reader)
#         psb  restore        psbackup-cli restore of that backup
#   dir   the same with the tree: UploadDirectoryAsync / DownloadDirectoryAsync vs backup / restore
#   zstd  psb backup / restore of the tree with the default compression (zstd), for context only
# BENCH_S3_ROUNDS (default 3) rounds; within each pair the raw tool goes first in odd rounds and
# PsBackup first in even ones, so a slow slot (load, cache) is not always the same tool's; the three
# downloads of `one` rotate (raw rawpar psb, psb raw rawpar, rawpar psb raw). Every
# step runs under /usr/bin/time (wall, peak RSS, client CPU) with the s3rver process' CPU seconds
# read from /proc around it and the 1-minute load average before it. Every download and restore is
# compared with the source by a SHA-256 listing; a difference fails the run.
# Output: bench/.work/s3/results.tsv, markdown tables on stdout (bench/s3-report.py: medians,
# spread, per-round ratios) and, when $BENCH_RATIOS is set (bench/all.sh), its ratio rows.
# Environment: BENCH_REUSE_CLI=1 reuses bench/.work/cli, BENCH_KEEP=1 keeps the data.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
RUN=$WORK/s3
TREE=$RUN/tree
ONE_DIR=$RUN/one
CLI=$WORK/cli/psbackup-cli
RAW=$WORK/s3raw/s3raw
ROUNDS=${BENCH_S3_ROUNDS:-3}
CASES=${BENCH_S3_CASES:-one dir zstd}
FILES=${BENCH_S3_FILES:-64}
FILE_MB=${BENCH_S3_FILE_MB:-16}
ONE_MB=${BENCH_S3_ONE_MB:-1024}
RESULTS=$RUN/results.tsv
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
BUCKET_RAW=raw-bench
BUCKET_PSB=psbackup-bench

. "$HERE/lib.sh"   # log, build_cli, drop, ratio

"$HERE/install.sh" || exit 1
[ -f "$ROOT/tests/peers/node/s3rver.cjs" ] && [ -d "$ROOT/tests/peers/node/node_modules" ] \
  || bash "$ROOT/tests/peers/install.sh" >"$WORK/peers-install.log" 2>&1 || { cat "$WORK/peers-install.log" >&2; exit 1; }
rm -rf "$RUN"; mkdir -p "$RUN"

# --- builds: psbackup-cli (lib.sh: a clean snapshot of HEAD) and the raw tool
if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ]; then log "reusing $CLI"; COMMIT=$(cat "$WORK/cli/BUILD" 2>/dev/null || git -C "$ROOT" rev-parse --short HEAD)
else build_cli "$WORK/cli" || exit 1; fi
log "publishing bench/S3Raw (Release) to $WORK/s3raw"
dotnet publish "$HERE/S3Raw" -c Release -o "$WORK/s3raw" -v q -nologo >"$WORK/publish-s3raw.log" 2>&1 \
  || { cat "$WORK/publish-s3raw.log" >&2; exit 1; }

# --- the server: our own s3rver, on a port that binds now in 30000-32767
PORT=$(free_port) || exit 1
export PSBACKUP_S3_ENDPOINT=http://127.0.0.1:$PORT
mkdir -p "$RUN/s3rver"
node --openssl-legacy-provider "$ROOT/tests/peers/node/s3rver.cjs" -d "$RUN/s3rver" -a 127.0.0.1 -p "$PORT" \
  --allow-mismatched-signatures </dev/null >"$RUN/s3rver.log" 2>&1 &
S3PID=$!
cleanup() {
  kill "$S3PID" 2>/dev/null; wait "$S3PID" 2>/dev/null
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN/s3rver" "$TREE" "$ONE_DIR" "$RUN"/restore-* "$RUN"/down-*
}
trap cleanup EXIT
for _ in $(seq 100); do curl -s -o /dev/null "$PSBACKUP_S3_ENDPOINT/" && break; sleep 0.2; done
node_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$S3PID/stat"; }
"$RAW" make-bucket "$BUCKET_RAW" && "$RAW" make-bucket "$BUCKET_PSB" || { log "cannot create buckets"; exit 1; }

# --- data
mkdir -p "$TREE" "$ONE_DIR"
TREE_NOTE="tree of $FILES files x $FILE_MB MiB"
case " $CASES " in *" dir "*|*" zstd "*) ;; *) TREE_NOTE="no tree (cases: $CASES)" ;; esac
log "generating one $ONE_MB MiB file and the $TREE_NOTE, random"
head -c "$((ONE_MB << 20))" /dev/urandom >"$ONE_DIR/one.bin"
case " $CASES " in *" dir "*|*" zstd "*) for i in $(seq -w 1 "$FILES"); do head -c "$((FILE_MB << 20))" /dev/urandom >"$TREE/f$i.bin"; done ;; esac
ONE_BYTES=$(stat -c %s "$ONE_DIR/one.bin")
TREE_BYTES=$(du -sb "$TREE" | cut -f1)
listing() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
listing "$TREE" >"$RUN/listing-dir"
listing "$ONE_DIR" >"$RUN/listing-one"
same() { # DIR CASE: ok when DIR holds exactly the case's source files
  [ -z "$(diff <(listing "$1") "$RUN/listing-$2")" ] && echo ok || echo DIFFERENT; }

{
  echo "# run	$(date -u +%Y-%m-%dT%H:%M:%SZ), commit $COMMIT, $ROUNDS rounds, cases: $CASES"
  echo "# machine	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "# data	one file of $ONE_BYTES bytes; $TREE_NOTE ($TREE_BYTES bytes); random; page cache dropped before each step: $DROP"
  echo "# server	s3rver at $PSBACKUP_S3_ENDPOINT (pid $S3PID, started by this script), data on $(df --output=source "$RUN" | tail -1)"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "round	case	direction	tool	wall_s	rss_kb	client_cpu_s	server_cpu_s	bytes	load1	check"
} >"$RESULTS"

# timed ROUND CASE DIRECTION TOOL BYTES CHECK_CMD -- command...: runs the command, then CHECK_CMD
# (prints ok or DIFFERENT; "-" for uploads), and appends a row. A failure or a difference ends the run.
timed() {
  local round=$1 case=$2 dir=$3 tool=$4 bytes=$5 check_cmd=$6; shift 7
  drop
  local load n0 n1 rc check=-
  load=$(cut -d' ' -f1 /proc/loadavg)
  log "round $round: $case $dir, $tool (load $load)"
  n0=$(node_cpu)
  /usr/bin/time -f '%e %M %U %S' -o "$RUN/time" "$@" >"$RUN/out" 2>"$RUN/err"; rc=$?
  n1=$(node_cpu)
  [ $rc -eq 0 ] || { log "$tool $case $dir failed ($rc):"; tail -20 "$RUN/err" >&2; exit 1; }
  [ "$check_cmd" = - ] || check=$($check_cmd)
  [ "$check" != DIFFERENT ] || { log "$tool $case $dir: the data read back differs from the source"; exit 1; }
  local wall rss u s
  read -r wall rss u s < <(tail -1 "$RUN/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$case" "$dir" "$tool" "$wall" "$rss" \
    "$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')" "$(awk -v a="$n0" -v b="$n1" 'BEGIN{printf "%.1f", b-a}')" \
    "$bytes" "$load" "$check" >>"$RESULTS"
}

# The contenders of one case and direction; each sets what its check reads.
raw_up() { # ROUND CASE
  case $2 in
    one) timed "$1" one upload raw "$ONE_BYTES" - -- "$RAW" upload-file "$ONE_DIR/one.bin" "$BUCKET_RAW" "r$1/one.bin" ;;
    dir) timed "$1" dir upload raw "$TREE_BYTES" - -- "$RAW" upload-dir "$TREE" "$BUCKET_RAW" "r$1/dir" ;;
  esac
}
check_raw_one() { local d=$RUN/down-one; mkdir -p "$d"; mv "$RUN/down-one.bin" "$d/one.bin"; same "$d" one; rm -rf "$d"; }
check_raw_dir() { same "$RUN/down-dir" dir; rm -rf "$RUN/down-dir"; }
raw_down() { # ROUND CASE
  rm -rf "$RUN/down-one.bin" "$RUN/down-dir"
  case $2 in
    one) timed "$1" one download raw "$ONE_BYTES" check_raw_one -- "$RAW" download-file "$BUCKET_RAW" "r$1/one.bin" "$RUN/down-one.bin" ;;
    dir) timed "$1" dir download raw "$TREE_BYTES" check_raw_dir -- "$RAW" download-dir "$BUCKET_RAW" "r$1/dir" "$RUN/down-dir" ;;
  esac
}
rawpar_down() { # ROUND: TransferUtility's parallel ranged download of the one object
  rm -rf "$RUN/down-one.bin"
  timed "$1" one download rawpar "$ONE_BYTES" check_raw_one -- "$RAW" download-file-parallel "$BUCKET_RAW" "r$1/one.bin" "$RUN/down-one.bin"
}
source_of() { case $1 in one) echo "$ONE_DIR" ;; *) echo "$TREE" ;; esac; }
bytes_of() { case $1 in one) echo "$ONE_BYTES" ;; *) echo "$TREE_BYTES" ;; esac; }
declare -A PSB_ID
downloads() { # ROUND CASE: the download contenders, in an order that rotates with the round
  local order t
  if [ "$2" = one ]; then
    case $(( ($1 - 1) % 3 )) in 0) order="raw rawpar psb" ;; 1) order="psb raw rawpar" ;; *) order="rawpar psb raw" ;; esac
  elif (($1 % 2)); then order="raw psb"; else order="psb raw"; fi
  for t in $order; do
    case $t in raw) raw_down "$1" "$2" ;; rawpar) rawpar_down "$1" ;; psb) psb_down "$1" "$2" ;; esac
  done
}
psb_up() { # ROUND CASE: a fresh repository per round and case
  local repo="s3://$BUCKET_PSB/r$1-$2" comp=none
  [ "$2" = zstd ] && comp=zstd
  "$CLI" new-collection "bench-$2" "$(source_of "$2")" --compression "$comp" --repository "$repo" >/dev/null 2>"$RUN/err" \
    || { log "new-collection $2 failed"; cat "$RUN/err" >&2; exit 1; }
  timed "$1" "$2" upload psbackup "$(bytes_of "$2")" - -- "$CLI" backup "bench-$2" --repository "$repo"
  PSB_ID[$2]=$(jq -r .Id "$RUN/out")
}
CHECK_CASE=
check_psb() { local d=$RUN/restore-$CHECK_CASE; same "$d" "$([ "$CHECK_CASE" = one ] && echo one || echo dir)"; rm -rf "$d"; }
psb_down() { # ROUND CASE
  rm -rf "$RUN/restore-$2"; CHECK_CASE=$2
  timed "$1" "$2" download psbackup "$(bytes_of "$2")" check_psb -- "$CLI" restore "${PSB_ID[$2]}" "$RUN/restore-$2" --repository "s3://$BUCKET_PSB/r$1-$2"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in $CASES; do
    if [ "$c" = zstd ]; then psb_up "$round" zstd; psb_down "$round" zstd; continue; fi
    if ((round % 2)); then raw_up "$round" "$c"; psb_up "$round" "$c"; else psb_up "$round" "$c"; raw_up "$round" "$c"; fi
    downloads "$round" "$c"
  done
  # keep the disk small: this round's objects go
  "$RAW" rm "$BUCKET_RAW" "r$round/" >/dev/null
  for c in $CASES; do "$RAW" rm "$BUCKET_PSB" "r$round-$c/" >/dev/null; done
done
echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

python3 "$HERE/s3-report.py" "$RESULTS"
