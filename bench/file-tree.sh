#!/usr/bin/env bash
# File-tree benchmark: PsBackup (psbackup-cli) vs `tar | zstd` vs restic on one generated tree.
#
#   bench/file-tree.sh [SIZE_GB] [all|scale]
#
#   all   (default) BENCH_ROUNDS rounds (default 3); each round: a full backup + restore with all
#         three tools into fresh repositories, then 1 % of the files change and restic and
#         PsBackup take an incremental on top of their full, each restored and checked.
#         The order of the tools turns every round (tar, restic, psbackup; then restic,
#         psbackup, tar; ...), and the two incrementals swap places every round, so no tool
#         always gets the slot after the tree was generated or after another tool's run.
#         Each round starts from the tree the previous one changed: within a round every tool
#         sees the same bytes.
#   scale only tar|zstd and PsBackup full backup + restore, same rounds: the larger-size check
#         (e.g. `bench/file-tree.sh 4 scale`).
#
# Every timed command runs under GNU time (wall seconds, user + sys CPU seconds, peak RSS); before each one the page
# cache is dropped when /proc/sys/vm/drop_caches is writable (root), so every tool reads the
# tree / archive from disk. Each restore is compared with the source by a listing (type, mode,
# mtime, size, SHA-256, symlink target) and must be identical.
#
# Results: bench/.work/results-<SIZE_GB>.tsv (machine-readable) and markdown tables on stdout
# (bench/report.py: medians, spread and per-round ratios, ready to paste into docs/benchmarks.md);
# report.py also appends the target ratios to $BENCH_RATIOS (bench/all.sh's table).
# Environment: BENCH_WORK (default bench/.work), BENCH_KEEP=1 keeps trees and repositories,
# BENCH_SEED (default 42), BENCH_MUTATE_PERCENT (default 1), BENCH_PSBACKUP_COMPRESSION,
# BENCH_BUILD=worktree, BENCH_REUSE_CLI=1 (see below), BENCH_ROUNDS (default 3).
#
# The documented run: bench/file-tree.sh 1   (3 rounds; BENCH_DROP=0 never drops the page cache)
set -uo pipefail

SIZE_GB=${1:-1}
MODE=${2:-all}
case "$MODE" in all|scale) ;; *) echo "usage: $0 [SIZE_GB] [all|scale]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
SEED=${BENCH_SEED:-42}
MUTATE=${BENCH_MUTATE_PERCENT:-1}
ROUNDS=${BENCH_ROUNDS:-3}
RUN=$WORK/run-$SIZE_GB
TREE=$RUN/tree
RESULTS=$WORK/results-$SIZE_GB.tsv
CLI=$WORK/cli/psbackup-cli
GEN="python3 $HERE/gen-tree.py"
export RESTIC_PASSWORD=psbackup-bench        # restic always encrypts (AES-256-CTR + Poly1305)
export RESTIC_CACHE_DIR=$RUN/restic-cache    # restic's default local metadata cache, kept per run
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. "$HERE/lib.sh"   # log, build_cli, drop

"$HERE/install.sh" || exit 1
mkdir -p "$WORK"

# BENCH_REUSE_CLI=1 reuses the build of the previous run (same engine for a 1 GB and a 4 GB run).
if [ "${BENCH_REUSE_CLI:-0}" = 1 ] && [ -x "$CLI" ] && [ -f "$WORK/cli/BUILD" ]; then
  COMMIT=$(cat "$WORK/cli/BUILD")
  log "reusing psbackup-cli ($COMMIT) in $WORK/cli"
else
  build_cli "$WORK/cli" || exit 1
  echo "$COMMIT" >"$WORK/cli/BUILD"
fi

rm -rf "$RUN"
mkdir -p "$RUN"
log "generating a ${SIZE_GB} GB tree in $TREE (seed $SEED)"
$GEN "$TREE" --size-gb "$SIZE_GB" --seed "$SEED" 2>"$RUN/gen.log" || { cat "$RUN/gen.log" >&2; exit 1; }
cat "$RUN/gen.log" >&2

{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# host	$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "# commit	$COMMIT"
  echo "# versions	$(restic version | cut -d' ' -f1-2); $(zstd --version | grep -o 'v[0-9.]*' | head -1 | sed 's/^/zstd /'); $(tar --version | head -1); dotnet $(dotnet --version)"
  echo "# tree	$(tail -1 "$RUN/gen.log" | sed 's/^gen-tree: [^:]*: //'), seed $SEED"
  echo "# drop_caches	$DROP"
  echo "# load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# rounds	$ROUNDS"
  printf 'size_gb\tround\tphase\ttool\top\twall_s\tcpu_s\tpeak_rss_kb\tstored_bytes\tverified\tload1\tnote\n'
} >"$RESULTS"

FAILED=0
# row PHASE TOOL OP WALL RSS STORED VERIFIED NOTE   (round, CPU and load from the last timed step)
row() {
  [ "$7" = FAIL ] && FAILED=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SIZE_GB" "$ROUND" "$1" "$2" "$3" "$4" "$CPU" "$5" "$6" "$7" "$LOAD1" "$8" >>"$RESULTS"
}

# timed ROUND TOOL OP -- command...   (one process; sets WALL and RSS, returns the command's status)
timed() {
  local round=$1 tool=$2 op=$3; shift 4
  drop
  LOAD1=$(cut -d' ' -f1 /proc/loadavg)
  log "round $ROUND $round $tool $op: $*"
  /usr/bin/time -f '%e %M %U %S' -o "$RUN/time" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$? user sys
  read -r WALL RSS user sys < <(tail -1 "$RUN/time")
  WALL=${WALL:-0} RSS=${RSS:-0}
  CPU=$(echo "${user:-0} + ${sys:-0}" | bc)
  if [ $rc -ne 0 ]; then
    log "FAILED ($rc): $*"; tail -5 "$RUN/err" >&2
    row "$round" "$tool" "$op" "$WALL" "$RSS" - FAIL "exit $rc: $(tail -1 "$RUN/err" | tr '\t' ' ' | cut -c1-200)"
  fi
  return $rc
}

# timed_pipe ROUND TOOL OP "producer" "consumer" ["then"]   (wall of the whole pipeline plus the
# optional "then" command; RSS = sum of the two stages' peaks, an upper bound of the pipeline's)
timed_pipe() {
  local round=$1 tool=$2 op=$3 a=$4 b=$5 then=${6:-true}
  drop
  LOAD1=$(cut -d' ' -f1 /proc/loadavg)
  log "round $ROUND $round $tool $op: $a | $b; $then"
  /usr/bin/time -f '%e %M %U %S' -o "$RUN/time" bash -c "set -o pipefail; /usr/bin/time -f %M -o '$RUN/time.a' $a | /usr/bin/time -f %M -o '$RUN/time.b' $b && $then" \
    >"$RUN/out" 2>"$RUN/err"
  local rc=$? user sys
  read -r WALL _ user sys < <(tail -1 "$RUN/time")
  CPU=$(echo "${user:-0} + ${sys:-0}" | bc)   # the pipeline's: bash waits for both stages
  local ra rb
  ra=$(tail -1 "$RUN/time.a" 2>/dev/null); rb=$(tail -1 "$RUN/time.b" 2>/dev/null)
  RSS=$(( ${ra:-0} + ${rb:-0} ))
  if [ $rc -ne 0 ]; then
    log "FAILED ($rc)"; tail -5 "$RUN/err" >&2
    row "$round" "$tool" "$op" "$WALL" "$RSS" - FAIL "exit $rc: $(tail -1 "$RUN/err" | tr '\t' ' ' | cut -c1-200)"
  fi
  return $rc
}

# verify DIR LISTING: prints ok when the restored tree lists exactly like the source, else FAIL (row() counts it)
verify() {
  if $GEN "$1" --listing | cmp -s - "$2"; then echo ok
  else
    log "MISMATCH: $1 differs from the source:"; $GEN "$1" --listing | diff "$2" - | head -10 >&2; echo FAIL
  fi
}
size_of() { du -sb "$1" | cut -f1; }

# ---------------------------------------------------------------- the contenders' steps
# tar | zstd: GNU tar, zstd level 3 (its default) with -T0 (one worker per core). The archive is
# fsynced inside the timed step, as restic and PsBackup fsync what they store. (No restore fsyncs.)
full_tar() {
  local archive=$RUN/full.tar.zst
  rm -f "$archive"
  timed_pipe full tar+zstd backup "tar -C '$TREE' -cf - ." "zstd -q -3 -T0 -o '$archive'" "sync '$archive'" \
    && row full tar+zstd backup "$WALL" "$RSS" "$(size_of "$archive")" - "zstd -3 -T0, then sync ARCHIVE"
  mkdir -p "$RUN/restore-tar"
  timed_pipe full tar+zstd restore "zstd -q -d -c '$archive'" "tar -C '$RUN/restore-tar' -xf -" \
    && row full tar+zstd restore "$WALL" "$RSS" - "$(verify "$RUN/restore-tar" "$RUN/listing-full")" ""
  rm -rf "$RUN/restore-tar" "$archive"
}

# restic: content-defined chunking + dedup, repository v2 (zstd "auto" compression), always
# encrypted; a fresh repository (and cache) every round
REPO_R=$RUN/repo-restic
full_restic() {
  rm -rf "$REPO_R" "$RESTIC_CACHE_DIR"
  restic init --repo "$REPO_R" >/dev/null 2>&1 || { log "restic init failed"; FAILED=1; }
  cd "$TREE"
  timed full restic backup -- restic --repo "$REPO_R" backup --quiet . \
    && row full restic backup "$WALL" "$RSS" "$(size_of "$REPO_R")" - "repo v2, compression auto"
  cd "$RUN"
  timed full restic restore -- restic --repo "$REPO_R" restore latest --target "$RUN/restore-restic" \
    && row full restic restore "$WALL" "$RSS" - "$(verify "$RUN/restore-restic" "$RUN/listing-full")" ""
  rm -rf "$RUN/restore-restic"
}
incr_restic() {
  local before; before=$(size_of "$REPO_R")
  cd "$TREE"
  timed incr restic backup -- restic --repo "$REPO_R" backup --quiet . \
    && row incr restic backup "$WALL" "$RSS" $(( $(size_of "$REPO_R") - before )) - "parent snapshot found by path; stored = repo growth"
  cd "$RUN"
  timed incr restic restore -- restic --repo "$REPO_R" restore latest --target "$RUN/restore-restic" \
    && row incr restic restore "$WALL" "$RSS" - "$(verify "$RUN/restore-restic" "$RUN/listing-incr")" "whole tree as of the incremental"
  rm -rf "$RUN/restore-restic"
}

# PsBackup: one collection with the engine's default compression (BENCH_PSBACKUP_COMPRESSION
# overrides: zstd|brotli|gzip|none), incremental enabled; a fresh repository every round
REPO_P=$RUN/repo-psbackup
PS_FULL=
full_psbackup() {
  rm -rf "$REPO_P"
  "$CLI" new-collection bench "$TREE" --repository "$REPO_P" --incremental \
    ${BENCH_PSBACKUP_COMPRESSION:+--compression "$BENCH_PSBACKUP_COMPRESSION"} >"$RUN/collection.json" \
    || { log "new-collection failed"; FAILED=1; }
  PS_COMP=$(jq -r .Compression "$RUN/collection.json" 2>/dev/null)
  PS_FULL=
  if timed full psbackup backup -- "$CLI" backup bench --repository "$REPO_P"; then
    PS_FULL=$(jq -r .Id "$RUN/out")
    row full psbackup backup "$WALL" "$RSS" "$(size_of "$REPO_P")" - "$PS_COMP; StoredBytes=$(jq -r .StoredBytes "$RUN/out")"
  fi
  if [ -n "$PS_FULL" ] && timed full psbackup restore -- "$CLI" restore "$PS_FULL" "$RUN/restore-psbackup" --repository "$REPO_P"; then
    row full psbackup restore "$WALL" "$RSS" - "$(verify "$RUN/restore-psbackup" "$RUN/listing-full")" ""
  fi
  rm -rf "$RUN/restore-psbackup"
}
incr_psbackup() {
  local before; before=$(size_of "$REPO_P")
  local incr=
  if timed incr psbackup backup -- "$CLI" backup bench --repository "$REPO_P" --incremental; then
    incr=$(jq -r .Id "$RUN/out")
    row incr psbackup backup "$WALL" "$RSS" $(( $(size_of "$REPO_P") - before )) - "stored = repo growth; StoredBytes=$(jq -r .StoredBytes "$RUN/out")"
  fi
  if [ -n "$incr" ] && timed incr psbackup restore -- "$CLI" restore "$incr" "$RUN/restore-psbackup" --repository "$REPO_P"; then
    row incr psbackup restore "$WALL" "$RSS" - "$(verify "$RUN/restore-psbackup" "$RUN/listing-incr")" "whole tree: full pack + incremental pack"
  fi
  rm -rf "$RUN/restore-psbackup"
}

# ---------------------------------------------------------------- the rounds
if [ "$MODE" = all ]; then FULL=(tar restic psbackup); else FULL=(tar psbackup); fi
INCR=(restic psbackup)
for ROUND in $(seq 1 "$ROUNDS"); do
  $GEN "$TREE" --listing >"$RUN/listing-full"
  n=${#FULL[@]}
  for i in $(seq 0 $((n - 1))); do "full_${FULL[$(( (i + ROUND - 1) % n ))]}"; done   # rotated each round
  [ "$MODE" = all ] || continue
  $GEN "$TREE" --mutate "$MUTATE" --seed "$((SEED + ROUND))" 2>"$RUN/mutate.log"; cat "$RUN/mutate.log" >&2
  echo "# mutate	round $ROUND: $(sed 's/^gen-tree: //' "$RUN/mutate.log")" >>"$RESULTS"
  $GEN "$TREE" --listing >"$RUN/listing-incr"
  if ((ROUND % 2)); then incr_restic; incr_psbackup; else incr_psbackup; incr_restic; fi
done
echo "# psbackup	compression $PS_COMP${BENCH_PSBACKUP_COMPRESSION:+ (BENCH_PSBACKUP_COMPRESSION)}, not encrypted" >>"$RESULTS"

echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
cd "$HERE"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
log "results: $RESULTS"
python3 "$HERE/report.py" "$WORK"
exit $FAILED
