#!/usr/bin/env python3
"""Deterministic file tree for the file-tree benchmarks (bench/file-tree.sh).

  gen-tree.py DIR [--size-gb 1] [--seed 42]        build the tree (DIR must not exist)
  gen-tree.py DIR --mutate 1 [--seed 42]           change 1 % of the files in place
  gen-tree.py DIR --listing                        print a sorted listing (type, mode, mtime, size, sha256/target)

The tree, per GB (GiB) of --size-gb:
  * ~19,500 small files, 1-64 KiB (log-uniform), ~450 medium files, 64 KiB-4 MiB (log-uniform),
    then large files of 16-64 MiB until the byte total reaches the size: ~20k files per GB.
  * content class per file, 1/3 each: "random" (incompressible bytes), "text" (log-like
    lines from templates and a Zipf-weighted vocabulary, zstd -3 ~4.5x) and "mixed" (4 KiB blocks, each
    random or text with p = 0.5, so roughly half compressible).
  * ~1,000 directories per GB, nested up to 5 levels, plus 10 empty directories, 20 symlinks
    (to files, to a directory, one dangling).
  * every file and directory gets a fixed mtime (whole seconds) so listings are reproducible.

--mutate P picks P % of the regular files (sorted walk, seeded by --seed and P) and changes them:
60 % are modified (half overwrite a 4-64 KiB region in place, keeping the size; half append
1-64 KiB), 20 % are deleted and 20 % are added as new small/medium files next to them.
Modified and added files get mtime base+1 day.

Everything is derived from random.Random(seed): the same arguments give byte-identical trees.
"""
import argparse
import hashlib
import math
import os
import random
import stat
import sys

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
BASE_MTIME = 1_700_000_000          # 2023-11-14, whole seconds
MUTATE_MTIME = BASE_MTIME + 86_400

SMALL_PER_GB = 19_500
MEDIUM_PER_GB = 450
DIRS_PER_GB = 1_000
CLASSES = ("random", "text", "mixed")

_WORDS = None


def words(rng_seed=7):
    """A fixed vocabulary: common English-like words and log tokens, Zipf-weighted."""
    global _WORDS
    if _WORDS is None:
        r = random.Random(rng_seed)
        base = ("the of and to in is was for on that with as by at from it an be this are or which not but "
                "request response error warning info debug user session id path status took ms bytes "
                "connection server client timeout retry backup restore file directory chunk index pack "
                "http get post put delete api v1 v2 service worker thread queue job started finished "
                "value key table row column select insert update where order group limit offset").split()
        letters = "abcdefghijklmnopqrstuvwxyz"
        extra = ["".join(r.choice(letters) for _ in range(r.randint(3, 11))) for _ in range(1500)]
        vocab = [w.encode() for w in base + extra]
        cum, total = [], 0.0
        for i in range(len(vocab)):
            total += 1.0 / (i + 1) ** 1.2
            cum.append(total)
        _WORDS = (vocab, cum)
    return _WORDS


_TEMPLATES = None


def templates():
    """200 fixed log-line templates (word sequences), chosen once from the vocabulary."""
    global _TEMPLATES
    if _TEMPLATES is None:
        vocab, cum = words()
        r = random.Random(11)
        _TEMPLATES = [b" ".join(r.choices(vocab, cum_weights=cum, k=r.randint(5, 14))) for _ in range(200)]
    return _TEMPLATES


def text_bytes(rng, n):
    """n bytes of log-like text: 3 of 4 lines are one of 200 templates with a timestamp and
    numbers filled in, 1 of 4 is Zipf-chosen words (prose-like). zstd -3 gets ~4.5x, gzip -1 ~3x."""
    vocab, cum = words()
    tpl = templates()
    out = bytearray()
    while len(out) < n:
        k = min(20_000, (n - len(out)) // 40 + 4)
        ws = rng.choices(vocab, cum_weights=cum, k=k * 3)
        ts = rng.choices(tpl, k=k)
        for i in range(k):
            out += b"2023-%02d-%02dT%02d:%02d:%02d " % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
            if i % 4 == 3:
                out += b" ".join(ws[3 * i:3 * i + 3]) + b" " + b" ".join(ts[i].split()[:3]) + b"\n"
            else:
                out += b"%s id=%d took=%dms\n" % (ts[i], rng.randrange(100000), rng.randrange(2000))
    return bytes(out[:n])


def content(rng, cls, n):
    if cls == "random":
        return rng.randbytes(n)
    if cls == "text":
        return text_bytes(rng, n)
    parts = []
    left = n
    while left > 0:
        b = min(4 * KIB, left)
        parts.append(rng.randbytes(b) if rng.random() < 0.5 else text_bytes(rng, b))
        left -= b
    return b"".join(parts)


def log_uniform(rng, lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def write_file(path, rng, cls, size, mtime):
    with open(path, "wb") as f:
        left = size
        while left > 0:                       # stream large files in 4 MiB pieces
            n = min(4 * MIB, left)
            f.write(content(rng, cls, n))
            left -= n
    os.utime(path, (mtime, mtime))


def plan_dirs(rng, count):
    dirs = [""]
    for i in range(count):
        parent = rng.choice(dirs)
        if parent.count("/") >= 4:           # at most 5 levels
            parent = ""
        name = f"d{i:05d}_{rng.choice(words()[0][:60]).decode()}"
        dirs.append(f"{parent}/{name}" if parent else name)
    return dirs[1:]


def generate(root, size_gb, seed):
    if os.path.exists(root):
        sys.exit(f"gen-tree: {root} exists; remove it first")
    rng = random.Random(seed)
    target_bytes = int(size_gb * GIB)
    n_small = int(SMALL_PER_GB * size_gb)
    n_medium = int(MEDIUM_PER_GB * size_gb)
    dirs = plan_dirs(rng, max(10, int(DIRS_PER_GB * size_gb)))

    sizes = [("s", log_uniform(rng, 1 * KIB, 64 * KIB)) for _ in range(n_small)]
    sizes += [("m", log_uniform(rng, 64 * KIB, 4 * MIB)) for _ in range(n_medium)]
    total = sum(s for _, s in sizes)
    while total < target_bytes - 16 * MIB:
        s = min(rng.randint(16 * MIB, 64 * MIB), max(16 * MIB, target_bytes - total))
        sizes.append(("l", s))
        total += s
    rng.shuffle(sizes)

    os.makedirs(root)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    files = []
    counts = {c: [0, 0] for c in CLASSES}
    for i, (kind, size) in enumerate(sizes):
        cls = CLASSES[rng.randrange(3)]
        d = rng.choice(dirs)
        ext = {"random": "bin", "text": "log", "mixed": "dat"}[cls]
        rel = f"{d}/f{i:06d}{kind}.{ext}"
        # per-file generator: content does not depend on how much earlier files consumed
        write_file(os.path.join(root, rel), random.Random(f"{seed}/{i}"), cls, size, BASE_MTIME + i)
        files.append(rel)
        counts[cls][0] += 1
        counts[cls][1] += size

    for i in range(10):
        os.makedirs(os.path.join(root, rng.choice(dirs), f"empty{i}"), exist_ok=True)
    for i in range(20):
        d = rng.choice(dirs)
        if i == 0:
            target = "does-not-exist"                       # dangling
        elif i == 1:
            target = os.path.relpath(os.path.join(root, rng.choice(dirs)), os.path.join(root, d))  # to a directory
        else:
            target = os.path.relpath(os.path.join(root, rng.choice(files)), os.path.join(root, d))
        os.symlink(target, os.path.join(root, d, f"link{i}"))

    # fixed directory mtimes, deepest first (creating entries changes the parent's mtime)
    all_dirs = [os.path.join(dp, x) for dp, ds, _ in os.walk(root) for x in ds]
    for d in sorted(all_dirs, key=lambda p: -p.count("/")):
        os.utime(d, (BASE_MTIME, BASE_MTIME), follow_symlinks=False)
    os.utime(root, (BASE_MTIME, BASE_MTIME))

    n_files = len(files)
    print(f"gen-tree: {root}: {n_files} files, {total} bytes ({total / GIB:.2f} GiB), {len(dirs)} dirs, "
          f"10 empty dirs, 20 symlinks; large={sum(1 for k, _ in sizes if k == 'l')} medium={n_medium} small={n_small}; "
          + ", ".join(f"{c}: {n} files {b / MIB:.0f} MiB" for c, (n, b) in counts.items()), file=sys.stderr)


def walk_files(root):
    out = []
    for dp, ds, fs in os.walk(root):
        ds.sort()
        for f in sorted(fs):
            p = os.path.join(dp, f)
            if stat.S_ISREG(os.lstat(p).st_mode):
                out.append(os.path.relpath(p, root))
    return out


def mutate(root, percent, seed):
    rng = random.Random(f"mutate/{seed}/{percent}")
    files = walk_files(root)
    n = max(1, round(len(files) * percent / 100))
    chosen = rng.sample(files, n)
    n_mod = round(n * 0.6)
    n_del = round(n * 0.2)
    modified, deleted, added = chosen[:n_mod], chosen[n_mod:n_mod + n_del], chosen[n_mod + n_del:]
    changed_bytes = 0
    # Another mtime and other new names for every seed: a later round's change (bench/file-tree.sh
    # mutates the same tree once per round) must look changed, even overwriting a file in place.
    mtime = MUTATE_MTIME + seed
    for i, rel in enumerate(modified):
        p = os.path.join(root, rel)
        size = os.path.getsize(p)
        r = random.Random(f"mutate/{seed}/{rel}")
        cls = "text" if rel.endswith(".log") else "random" if rel.endswith(".bin") else "mixed"
        if i % 2 == 0 and size > 0:                 # overwrite a region, same size
            n_bytes = min(size, log_uniform(r, 4 * KIB, 64 * KIB))
            off = r.randrange(0, size - n_bytes + 1)
            with open(p, "r+b") as f:
                f.seek(off)
                f.write(content(r, cls, n_bytes))
        else:                                       # append
            n_bytes = log_uniform(r, 1 * KIB, 64 * KIB)
            with open(p, "ab") as f:
                f.write(content(r, cls, n_bytes))
        os.utime(p, (mtime, mtime))
        changed_bytes += n_bytes
    for rel in deleted:
        os.remove(os.path.join(root, rel))
    added_bytes = 0
    for i, rel in enumerate(added):
        r = random.Random(f"mutate/{seed}/add/{rel}")
        cls = CLASSES[r.randrange(3)]
        size = log_uniform(r, 1 * KIB, 64 * KIB) if r.random() < 0.97 else log_uniform(r, 64 * KIB, 4 * MIB)
        new = os.path.join(os.path.dirname(rel), f"new{seed}-{i:05d}.{ {'random': 'bin', 'text': 'log', 'mixed': 'dat'}[cls] }")
        write_file(os.path.join(root, new), r, cls, size, mtime)
        added_bytes += size
    mod_file_bytes = sum(os.path.getsize(os.path.join(root, m)) for m in modified)
    print(f"gen-tree: mutated {n} of {len(files)} files: {len(modified)} modified ({changed_bytes} bytes changed, "
          f"{mod_file_bytes} bytes in those files), {len(deleted)} deleted, {len(added)} added ({added_bytes} bytes)",
          file=sys.stderr)


def listing(root):
    """Sorted listing used to compare a restore with its source: identical listing == identical tree."""
    rows = []
    for dp, ds, fs in os.walk(root):
        ds.sort()
        for name in sorted(ds + fs):
            p = os.path.join(dp, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                rows.append(f"l\t{rel}\t-\t-\t-\t{os.readlink(p)}")
            elif stat.S_ISDIR(st.st_mode):
                rows.append(f"d\t{rel}\t{mode:o}\t{int(st.st_mtime)}\t-\t-")
            else:
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    while chunk := f.read(MIB):
                        h.update(chunk)
                rows.append(f"f\t{rel}\t{mode:o}\t{int(st.st_mtime)}\t{st.st_size}\t{h.hexdigest()}")
    rows.sort()
    sys.stdout.write("\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--size-gb", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mutate", type=float, metavar="PERCENT")
    ap.add_argument("--listing", action="store_true")
    a = ap.parse_args()
    if a.listing:
        listing(a.dir)
    elif a.mutate is not None:
        mutate(a.dir, a.mutate, a.seed)
    else:
        generate(a.dir, a.size_gb, a.seed)


if __name__ == "__main__":
    main()
