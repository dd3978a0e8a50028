# Shared by the bench/*.sh scripts (source it): logging, the psbackup-cli build, page-cache drops.
# Expects HERE (bench/), ROOT (the repository) and WORK (the script's work directory) to be set.

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# build_cli DIR: publishes psbackup-cli from a clean snapshot of HEAD (git archive) into DIR, so
# half-finished edits do not leak into the numbers; BENCH_BUILD=worktree builds the working tree.
# BENCH_CLI_R2R=1 publishes it ReadyToRun for linux-x64 and for the newest .NET runtime here
# (CliTargetFramework=netN.0): the runtime ignores precompiled code built for another major version,
# so the default net8.0 build JIT-compiles everything on .NET 10. Sets COMMIT, CLI and CLI_BUILD.
build_cli() {
  local out=$1 src
  COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
  if [ "${BENCH_BUILD:-head}" = worktree ]; then
    src=$ROOT
    COMMIT="$COMMIT$(git -C "$ROOT" diff --quiet HEAD -- src tools 2>/dev/null || echo ' + uncommitted changes')"
  else
    src=$WORK/src-$COMMIT
    rm -rf "$src" && mkdir -p "$src" && git -C "$ROOT" archive HEAD | tar -x -C "$src"
  fi
  local flavour=()
  CLI_BUILD="net8.0, framework-dependent IL"
  if [ "${BENCH_CLI_R2R:-0}" = 1 ]; then
    local major
    major=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" {print $2}' | sort -V | tail -1 | cut -d. -f1)
    flavour=(-r linux-x64 --self-contained false -p:PublishReadyToRun=true "-p:CliTargetFramework=net$major.0")
    CLI_BUILD="net$major.0, ReadyToRun linux-x64"
  fi
  log "publishing psbackup-cli (Release, $COMMIT, $CLI_BUILD) to $out"
  rm -rf "$out"
  dotnet publish "$src/tools/PsBackup.Cli" -c Release "${flavour[@]}" -o "$out" -v q -nologo >"$WORK/publish.log" 2>&1 \
    || { cat "$WORK/publish.log" >&2; return 1; }
  [ "$src" = "$ROOT" ] || rm -rf "$src"
  CLI=$out/psbackup-cli
}

# drop: empties the page cache before a timed step when running as root (DROP=yes).
# BENCH_DROP=0 never drops (a smoke test beside someone else's benchmark).
DROP=no
if [ "${BENCH_DROP:-1}" = 1 ] && sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then DROP=yes; fi
drop() { [ "$DROP" = yes ] && sync && echo 3 >/proc/sys/vm/drop_caches; return 0; }

# ratio MEASURE RATIO TARGET LOADS [NOTE]: one row of bench/all.sh's table of ratios, appended to
# $BENCH_RATIOS when it is set (the python summaries append the same five tab-separated fields).
ratio() { [ -z "${BENCH_RATIOS:-}" ] || printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$BENCH_RATIOS"; }

# A port that binds now, in 30000-32767: below the ephemeral range (32768-60999), where any
# outgoing connection may hold a port (tests/peers/env.sh).
free_port() { python3 -c '
import random, socket
start = random.randrange(2768)
for i in range(2768):
    port = 30000 + (start + i) % 2768
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
else:
    raise SystemExit("no free port in 30000-32767")'; }
