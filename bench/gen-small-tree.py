#!/usr/bin/env python3
"""Many small files, for the file-tree memory benchmark (bench/file-tree-memory.sh).

  gen-small-tree.py DIR --files N [--seed 42]      N files of 64-2048 bytes, 100 per directory,
                                                   directories two levels deep (d0000/d00/)
  gen-small-tree.py DIR --files N --mutate 1 [--seed 42]   rewrite 1 % of the files (new content
                                                   and mtime; another seed for each later round)

Every 50th file gets a hard link beside it and every 500th directory a symlink, so the streamed
index carries hard-link groups and symlinks at every size. Fixed mtimes: byte-identical trees.
"""
import argparse, os, random

BASE_MTIME = 1_700_000_000

def paths(root, files):
    for i in range(files):
        d = i // 100
        yield os.path.join(root, "d%04d" % (d // 100), "d%02d" % (d % 100)), "f%05d.txt" % i, i

def build(root, files, seed):
    rnd = random.Random(seed)
    os.makedirs(root)
    made = set()
    for directory, name, i in paths(root, files):
        if directory not in made:
            os.makedirs(directory, exist_ok=True)
            made.add(directory)
            if len(made) % 500 == 0:
                os.symlink("..", os.path.join(directory, "up"))
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(rnd.randbytes(rnd.randint(64, 2048)))
        os.utime(path, (BASE_MTIME, BASE_MTIME))
        if i % 50 == 0:
            os.link(path, path + ".link")
    for directory in made:
        os.utime(directory, (BASE_MTIME, BASE_MTIME))

def mutate(root, files, percent, seed):
    rnd = random.Random(seed + 1)
    mtime = BASE_MTIME + 86_400 + seed % 100_000  # a later round (another seed) is never mistaken for this one
    for directory, name, i in paths(root, files):
        if rnd.random() * 100 < percent:
            path = os.path.join(directory, name)
            with open(path, "wb") as f:
                f.write(rnd.randbytes(rnd.randint(64, 2048)))
            os.utime(path, (mtime, mtime))
            os.utime(directory, (BASE_MTIME, BASE_MTIME))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mutate", type=float, metavar="PERCENT")
    a = ap.parse_args()
    if a.mutate is not None:
        mutate(a.dir, a.files, a.mutate, a.seed)
    else:
        build(a.dir, a.files, a.seed)

main()
