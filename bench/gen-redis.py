#!/usr/bin/env python3
"""Writes Redis protocol for the Redis benchmark's data set to stdout (pipe it into redis-cli --pipe).

gen-redis.py KEYS: 90 % strings of 1,000 random base64 characters (incompressible by LZF),
10 % hashes of 10 fields x 100 characters; every 5th key has a TTL of 1-3 days.
About 1.1 GB of values for 1,000,000 keys.
"""
import base64, os, random, sys

def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def main():
    keys = int(sys.argv[1])
    rnd = random.Random(6)
    out = sys.stdout.buffer
    pool = base64.b64encode(os.urandom(3_000_000))  # random text to slice values from
    batch = []
    for i in range(keys):
        off = rnd.randrange(0, len(pool) - 1000)
        if i % 10 == 9:
            fields = []
            for f in range(10):
                o = rnd.randrange(0, len(pool) - 100)
                fields += [b"f%d" % f, pool[o:o + 100]]
            batch.append(cmd(b"HSET", b"bench:h:%d" % i, *fields))
        else:
            batch.append(cmd(b"SET", b"bench:s:%d" % i, pool[off:off + 1000]))
        if i % 5 == 0:
            batch.append(cmd(b"EXPIRE", b"bench:%s:%d" % (b"h" if i % 10 == 9 else b"s", i), b"%d" % rnd.randrange(86400, 3 * 86400)))
        if len(batch) >= 10000:
            out.write(b"".join(batch)); batch.clear()
    out.write(b"".join(batch))

if __name__ == "__main__":
    main()
