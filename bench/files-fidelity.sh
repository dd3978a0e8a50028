#!/usr/bin/env bash
# File-tree fidelity: PsBackup vs GNU tar --xattrs --acls --sparse, on the tests' fidelity tree
# (tests/PsBackup.Engine.Tests/Files/FidelityTree.cs: names that are not UTF-8, newline/tab/
# backslash names, a 2,000+ byte path, several owners, hard-link groups, sparse files, user and
# trusted xattrs, POSIX ACLs, setuid/setgid/sticky bits, a time before 1970).
#
#   bench/files-fidelity.sh          (as root: owners, trusted.* xattrs)
#
# Every tool backs the tree up and restores it into a new directory; the restore is compared with
# the original by the tests' byte-level walker (bench/TreeDigest = RawTreeWalker): names as bytes,
# type, mode, owner, mtime (100 ns), content, symlink target, xattrs, hard-link identity, holes
# (allocation within one block per hole). Then one sparse file (64 MiB, 72 KiB of data) alone:
# stored size, plain and compressed.
#
# Contenders (GNU tar extracts as root, so with the same owners): `tar --sparse -cpf` (its default
# gnu format, no xattrs), `tar --xattrs --xattrs-include='*' --acls --sparse -cpf` (gnu format,
# with pax headers for what gnu cannot hold), the same with --format=posix, and psbackup-cli
# (default brotli; --compression none for the plain sizes).
# Results: bench/.work/fidelity/results.tsv and markdown tables on stdout.
# Environment: BENCH_WORK (default bench/.work), BENCH_KEEP=1 keeps the trees, BENCH_BUILD=worktree.
set -uo pipefail
set -f   # no globbing: --xattrs-include=* travels in a variable

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-$HERE/.work}/fidelity
RUN=$WORK/run
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
. "$HERE/lib.sh"   # log, build_cli

[ "$(id -u)" = 0 ] || { echo "run as root (owners, trusted.* xattrs)" >&2; exit 2; }
command -v setfacl >/dev/null || { echo "setfacl missing: apt-get install acl" >&2; exit 2; }
mkdir -p "$WORK"
build_cli "$WORK/cli" || exit 1
log "building tree-digest"
dotnet publish "$HERE/TreeDigest" -c Release -o "$WORK/digest" -v q -nologo >"$WORK/digest.log" 2>&1 || { cat "$WORK/digest.log" >&2; exit 1; }
DIGEST=$WORK/digest/tree-digest

rm -rf "$RUN" && mkdir -p "$RUN"
TREE=$RUN/tree
"$DIGEST" build "$TREE" || exit 1
log "tree: $(find "$TREE" | wc -l) paths, $(du -s --apparent-size -B1 "$TREE" | cut -f1) bytes apparent, $(du -s -B1 "$TREE" | cut -f1) allocated"

RESULTS=$WORK/results.tsv
{
  echo "# date	$(date -u +%FT%TZ)"
  echo "# commit	$COMMIT"
  echo "# versions	$(tar --version | head -1); $(zstd --version | grep -o 'v[0-9.]*' | head -1 | sed 's/^/zstd /'); kernel $(uname -r); $(df -T "$RUN" | awk 'NR==2{print $2}') file system"
  printf 'tool\taspect\tpaths_differing\n'
} >"$RESULTS"

# compare TOOL RESTORED: the walker's verdict per aspect, into the results
compare() {
  "$DIGEST" compare "$TREE" "$2" 2>"$RUN/diff-$1.txt" | sed "s/^/$1	/" >>"$RESULTS"
  head -5 "$RUN/diff-$1.txt" | sed "s/^/  $1: /" >&2
}

# tar_run NAME CREATE_FLAGS EXTRACT_FLAGS: archive the tree, extract it as root, compare
tar_run() {
  local name=$1 create=$2 extract=$3
  log "$name: tar $create -cpf / tar $extract -xpf"
  # shellcheck disable=SC2086
  tar $create -cpf "$RUN/$name.tar" -C "$TREE" . 2>"$RUN/$name.err" || cat "$RUN/$name.err" >&2
  mkdir "$RUN/restore-$name"
  # shellcheck disable=SC2086
  tar $extract -xpf "$RUN/$name.tar" -C "$RUN/restore-$name" 2>>"$RUN/$name.err" || cat "$RUN/$name.err" >&2
  compare "$name" "$RUN/restore-$name"
}
XATTRS="--xattrs --xattrs-include=* --acls --sparse"
tar_run tar-plain "--sparse" "--sparse"                      # the default gnu format, what `tar -cpf` keeps
tar_run tar-xattrs "$XATTRS" "$XATTRS"                       # gnu format; --xattrs/--acls add pax headers
tar_run tar-posix "--format=posix $XATTRS" "$XATTRS"          # pax throughout

log "psbackup"
CLI=$WORK/cli/psbackup-cli
"$CLI" new-collection fidelity "$TREE" --repository "$RUN/repo" --compression none >/dev/null || exit 1
ID=$("$CLI" backup fidelity --repository "$RUN/repo" 2>"$RUN/psbackup.err" | jq -r .Id) || { cat "$RUN/psbackup.err" >&2; exit 1; }
"$CLI" restore "$ID" "$RUN/restore-psbackup" --repository "$RUN/repo" >/dev/null 2>>"$RUN/psbackup.err" || { cat "$RUN/psbackup.err" >&2; exit 1; }
compare psbackup "$RUN/restore-psbackup"

# ---- stored size of one sparse file: 64 MiB, data 4 KiB + 64 KiB + 4 KiB
SPARSE=$RUN/sparse-only
mkdir "$SPARSE" && cp --sparse=always -p "$TREE/sparse/big" "$SPARSE/big"
printf 'tool\tvariant\tstored_bytes\n' >"$WORK/sparse.tsv"
for format in gnu posix; do
  tar --format=$format --sparse -cf "$RUN/big-$format.tar" -C "$SPARSE" big
  printf 'tar-%s\tplain\t%s\n' $format "$(stat -c %s "$RUN/big-$format.tar")" >>"$WORK/sparse.tsv"
  zstd -q -3 "$RUN/big-$format.tar" -o "$RUN/big-$format.tar.zst"
  printf 'tar-%s\tzstd -3\t%s\n' $format "$(stat -c %s "$RUN/big-$format.tar.zst")" >>"$WORK/sparse.tsv"
done
for compression in none brotli; do
  "$CLI" new-collection "sparse-$compression" "$SPARSE" --repository "$RUN/repo" --compression $compression >/dev/null || exit 1
  stored=$("$CLI" backup "sparse-$compression" --repository "$RUN/repo" | jq -r .StoredBytes)
  printf 'psbackup\t%s\t%s\n' "$compression" "$stored" >>"$WORK/sparse.tsv"
done
ID=$("$CLI" list sparse-none --repository "$RUN/repo" | jq -r .Id)
"$CLI" restore "$ID" "$RUN/sparse-restored" --repository "$RUN/repo" >/dev/null || exit 1
log "sparse file: original $(du -B1 "$SPARSE/big" | cut -f1) bytes allocated, PsBackup's restore $(du -B1 "$RUN/sparse-restored/big" | cut -f1)"

# ---- the tables
python3 - "$RESULTS" "$WORK/sparse.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if not l.startswith("#")][1:]
tools = list(dict.fromkeys(r[0] for r in rows))
aspects = list(dict.fromkeys(r[1] for r in rows))
cell = {(r[0], r[1]): int(r[2]) for r in rows}
print("| aspect | " + " | ".join(tools) + " |")
print("|---|" + "---|" * len(tools))
for a in aspects:
    print(f"| {a} | " + " | ".join("same" if cell[(t, a)] == 0 else f"{cell[(t, a)]} paths differ" for t in tools) + " |")
print()
print("| one sparse file (64 MiB, 72 KiB data) | stored bytes |")
print("|---|---|")
for l in list(open(sys.argv[2]))[1:]:
    tool, variant, size = l.rstrip("\n").split("\t")
    print(f"| {tool} ({variant}) | {int(size):,} |")
PY

[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
