#!/usr/bin/env bash
# File-tree benchmark: PsBackup (psbackup-cli) vs `tar | zstd` vs restic on one generated tree.
#
#   bench/file-tree.sh [SIZE_GB] [all|scale]
#
#   all   (default) full backup + restore with all three tools, then change 1 % of the files and
#         time the incremental backups (restic, PsBackup --incremental, tar|zstd full again for
#         reference) and their restores.
#   scale only tar|zstd and PsBackup full backup + restore: the RSS-flatness check at larger
#         sizes (e.g. `bench/file-tree.sh 4 scale`), compared with the 1 GB run by report.py.
#
# Every timed command runs under GNU time (wall seconds, peak RSS); before each one the page
# cache is dropped when /proc/sys/vm/drop_caches is writable (root), so every tool reads the
# tree / archive from disk. Each restore is compared with the source by a listing (type, mode,
# mtime, size, SHA-256, symlink target) and must be identical.
#
# Results: bench/.work/results-<SIZE_GB>.tsv (machine-readable) and a markdown table on stdout
# (bench/report.py, ready to paste into docs/benchmarks.md).
# Environment: BENCH_WORK (default bench/.work), BENCH_KEEP=1 keeps trees and repositories,
# BENCH_SEED (default 42), BENCH_MUTATE_PERCENT (default 1), BENCH_PSBACKUP_COMPRESSION,
# BENCH_BUILD=worktree, BENCH_REUSE_CLI=1 (see below).
#
# The documented run: bench/file-tree.sh 1 && BENCH_REUSE_CLI=1 bench/file-tree.sh 4 scale
set -uo pipefail

SIZE_GB=${1:-1}
MODE=${2:-all}
case "$MODE" in all|scale) ;; *) echo "usage: $0 [SIZE_GB] [all|scale]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}
SEED=${BENCH_SEED:-42}
MUTATE=${BENCH_MUTATE_PERCENT:-1}
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
  printf 'size_gb\tround\ttool\top\twall_s\tpeak_rss_kb\tstored_bytes\tverified\tnote\n'
} >"$RESULTS"

FAILED=0
# row ROUND TOOL OP WALL RSS STORED VERIFIED NOTE
row() {
  [ "$7" = FAIL ] && FAILED=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SIZE_GB" "$@" >>"$RESULTS"
}

# timed ROUND TOOL OP -- command...   (one process; sets WALL and RSS, returns the command's status)
timed() {
  local round=$1 tool=$2 op=$3; shift 4
  drop
  log "$round $tool $op: $*"
  /usr/bin/time -f '%e %M' -o "$RUN/time" "$@" >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  read -r WALL RSS < <(tail -1 "$RUN/time")
  WALL=${WALL:-0} RSS=${RSS:-0}
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
  log "$round $tool $op: $a | $b; $then"
  /usr/bin/time -f '%e %M' -o "$RUN/time" bash -c "set -o pipefail; /usr/bin/time -f %M -o '$RUN/time.a' $a | /usr/bin/time -f %M -o '$RUN/time.b' $b && $then" \
    >"$RUN/out" 2>"$RUN/err"
  local rc=$?
  WALL=$(tail -1 "$RUN/time" | cut -d' ' -f1)
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

# ---------------------------------------------------------------- round 1: full backups
$GEN "$TREE" --listing >"$RUN/listing-full"

# tar | zstd: GNU tar, zstd level 3 (its default) with -T0 (one worker per core). The archive is
# fsynced inside the timed step, as restic and PsBackup fsync what they store. (No restore fsyncs.)
ARCHIVE=$RUN/full.tar.zst
timed_pipe full tar+zstd backup "tar -C '$TREE' -cf - ." "zstd -q -3 -T0 -o '$ARCHIVE'" "sync '$ARCHIVE'" \
  && row full tar+zstd backup "$WALL" "$RSS" "$(size_of "$ARCHIVE")" - "zstd -3 -T0, then sync ARCHIVE"
mkdir -p "$RUN/restore-tar"
timed_pipe full tar+zstd restore "zstd -q -d -c '$ARCHIVE'" "tar -C '$RUN/restore-tar' -xf -" \
  && row full tar+zstd restore "$WALL" "$RSS" - "$(verify "$RUN/restore-tar" "$RUN/listing-full")" ""
rm -rf "$RUN/restore-tar"

if [ "$MODE" = all ]; then
  # restic: content-defined chunking + dedup, repository v2 (zstd "auto" compression), always encrypted
  REPO_R=$RUN/repo-restic
  restic init --repo "$REPO_R" >/dev/null 2>&1 || { log "restic init failed"; FAILED=1; }
  cd "$TREE"
  timed full restic backup -- restic --repo "$REPO_R" backup --quiet . \
    && row full restic backup "$WALL" "$RSS" "$(size_of "$REPO_R")" - "repo v2, compression auto"
  cd "$RUN"
  timed full restic restore -- restic --repo "$REPO_R" restore latest --target "$RUN/restore-restic" \
    && row full restic restore "$WALL" "$RSS" - "$(verify "$RUN/restore-restic" "$RUN/listing-full")" ""
  rm -rf "$RUN/restore-restic"
fi

# PsBackup: one collection with the engine's default compression (BENCH_PSBACKUP_COMPRESSION
# overrides: brotli|gzip|none), incremental enabled
REPO_P=$RUN/repo-psbackup
"$CLI" new-collection bench "$TREE" --repository "$REPO_P" --incremental \
  ${BENCH_PSBACKUP_COMPRESSION:+--compression "$BENCH_PSBACKUP_COMPRESSION"} >"$RUN/collection.json" \
  || { log "new-collection failed"; FAILED=1; }
PS_COMP=$(jq -r .Compression "$RUN/collection.json" 2>/dev/null)
echo "# psbackup	compression $PS_COMP${BENCH_PSBACKUP_COMPRESSION:+ (BENCH_PSBACKUP_COMPRESSION)}, not encrypted" >>"$RESULTS"
PS_FULL=
if timed full psbackup backup -- "$CLI" backup bench --repository "$REPO_P"; then
  PS_FULL=$(jq -r .Id "$RUN/out")
  row full psbackup backup "$WALL" "$RSS" "$(size_of "$REPO_P")" - "$PS_COMP; StoredBytes=$(jq -r .StoredBytes "$RUN/out")"
fi
if [ -n "$PS_FULL" ] && timed full psbackup restore -- "$CLI" restore "$PS_FULL" "$RUN/restore-psbackup" --repository "$REPO_P"; then
  row full psbackup restore "$WALL" "$RSS" - "$(verify "$RUN/restore-psbackup" "$RUN/listing-full")" ""
fi
rm -rf "$RUN/restore-psbackup"

# ---------------------------------------------------------------- round 2: change 1 %, incrementals
if [ "$MODE" = all ]; then
  $GEN "$TREE" --mutate "$MUTATE" --seed "$SEED" 2>"$RUN/mutate.log"; cat "$RUN/mutate.log" >&2
  echo "# mutate	$(sed 's/^gen-tree: //' "$RUN/mutate.log")" >>"$RESULTS"
  $GEN "$TREE" --listing >"$RUN/listing-incr"

  ARCHIVE2=$RUN/again.tar.zst
  timed_pipe incr tar+zstd backup "tar -C '$TREE' -cf - ." "zstd -q -3 -T0 -o '$ARCHIVE2'" "sync '$ARCHIVE2'" \
    && row incr tar+zstd backup "$WALL" "$RSS" "$(size_of "$ARCHIVE2")" - "a full archive again, for reference"
  rm -f "$ARCHIVE2"

  before=$(size_of "$REPO_R")
  cd "$TREE"
  timed incr restic backup -- restic --repo "$REPO_R" backup --quiet . \
    && row incr restic backup "$WALL" "$RSS" $(( $(size_of "$REPO_R") - before )) - "parent snapshot found by path; stored = repo growth"
  cd "$RUN"
  timed incr restic restore -- restic --repo "$REPO_R" restore latest --target "$RUN/restore-restic" \
    && row incr restic restore "$WALL" "$RSS" - "$(verify "$RUN/restore-restic" "$RUN/listing-incr")" "whole tree as of the incremental"
  rm -rf "$RUN/restore-restic"

  before=$(size_of "$REPO_P")
  PS_INCR=
  if timed incr psbackup backup -- "$CLI" backup bench --repository "$REPO_P" --incremental; then
    PS_INCR=$(jq -r .Id "$RUN/out")
    row incr psbackup backup "$WALL" "$RSS" $(( $(size_of "$REPO_P") - before )) - "stored = repo growth; StoredBytes=$(jq -r .StoredBytes "$RUN/out")"
  fi
  if [ -n "$PS_INCR" ] && timed incr psbackup restore -- "$CLI" restore "$PS_INCR" "$RUN/restore-psbackup" --repository "$REPO_P"; then
    row incr psbackup restore "$WALL" "$RSS" - "$(verify "$RUN/restore-psbackup" "$RUN/listing-incr")" "whole tree: full pack + incremental pack"
  fi
  rm -rf "$RUN/restore-psbackup"
fi

echo "# load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
cd "$HERE"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
log "results: $RESULTS"
python3 "$HERE/report.py" "$WORK"
exit $FAILED
