using System.Text;
using StackExchange.Redis;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>Writes test data through StackExchange.Redis (an independent client) and compares databases key by key.</summary>
public static class RedisData
{
    /// <summary>
    /// Every type in every encoding Redis 7.0 writes to RDB: int/embstr/raw/LZF strings and keys,
    /// binary keys and values, listpack and hashtable hashes, intset/hashtable sets,
    /// listpack/skiplist sorted sets (with ±inf), quicklist lists of one and many nodes, a stream
    /// with consumer groups, pending entries and deletions, and TTLs.
    /// </summary>
    public static void FillEveryType(IDatabase db, string prefix, bool bigValue = false)
    {
        var random = new Random(42);
        RedisKey K(string name) => prefix + name;
        db.StringSet(K("int"), "123456789");
        db.StringSet(K("short"), "hello");
        db.StringSet(K("raw"), new string('x', 30) + "y" + Guid.NewGuid());
        db.StringSet(K("lzf"), string.Concat(Enumerable.Repeat("abcdefgh", 500)));
        db.StringSet(K("empty"), "");
        db.StringSet(K("negative"), "-42");
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        db.StringSet(K("binary"), binary);
        db.StringSet(Encoding.UTF8.GetBytes(prefix).Concat(new byte[] { 0, 13, 10, 255, 254, (byte)'*' }).ToArray(), binary.Reverse().ToArray());
        db.StringSet(K("123456"), "int-like key suffix");
        db.StringSet(K(new string('k', 200)), "long compressible key");
        db.StringSet(K("ttl"), "expires", TimeSpan.FromHours(1));
        db.StringSet(K("ttl-ms"), "expires soon-ish", TimeSpan.FromMilliseconds(600_123));
        db.StringSet(K("unicode-ключ-🔑"), "значение ✓");
        if (bigValue)
        {
            var big = new byte[11 << 20];
            random.NextBytes(big);
            db.StringSet(K("big"), big, TimeSpan.FromDays(2));
        }

        db.ListRightPush(K("list-small"), ["a", "b", "1", "2", "three"]);
        db.ListRightPush(K("list-big"), Enumerable.Range(0, 5000).Select(i => (RedisValue)$"item-{i}-{random.Next()}").ToArray());
        db.ListRightPush(K("list-large-elements"), Enumerable.Range(0, 20).Select(i => (RedisValue)new string((char)('a' + i), 10_000)).ToArray());

        db.SetAdd(K("set-int"), Enumerable.Range(0, 50).Select(i => (RedisValue)(i * 7)).ToArray());
        db.SetAdd(K("set-int-big"), Enumerable.Range(0, 1000).Select(i => (RedisValue)(i * 1_000_000_007L)).ToArray());
        db.SetAdd(K("set-str"), ["x", "y", "z"]);
        db.SetAdd(K("set-big"), Enumerable.Range(0, 2000).Select(i => (RedisValue)$"member-{i}").ToArray());

        db.SortedSetAdd(K("zset-small"), [new("a", 1.5), new("b", -2), new("c", double.PositiveInfinity), new("d", double.NegativeInfinity)]);
        db.SortedSetAdd(K("zset-big"), Enumerable.Range(0, 1000).Select(i => new SortedSetEntry($"m{i}", i / 3.0)).ToArray());
        db.SortedSetAdd(K("zset-big"), [new("inf", double.PositiveInfinity), new("-inf", double.NegativeInfinity)]);

        db.HashSet(K("hash-small"), [new("f1", "v1"), new("f2", "2"), new("bin", binary)]);
        db.HashSet(K("hash-big"), Enumerable.Range(0, 1000).Select(i => new HashEntry($"field-{i}", $"value-{i}")).ToArray());
        db.HashSet(K("hash-long-value"), [new("f", new string('v', 100))]);
        db.KeyExpire(K("hash-big"), TimeSpan.FromMinutes(30));

        var stream = K("stream");
        for (var i = 0; i < 300; i++) db.Execute("XADD", stream, "*", "n", i, "payload", $"p{i}");
        db.Execute("XADD", K("stream-empty"), "MAXLEN", "0", "*", "a", "b");
        db.Execute("XGROUP", "CREATE", stream, "g1", "0");
        db.Execute("XGROUP", "CREATE", stream, "g2", "$");
        db.Execute("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", stream, ">");
        db.Execute("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", stream, ">");
        var ids = (RedisResult[])db.Execute("XRANGE", stream, "-", "+", "COUNT", "3")!;
        db.Execute("XACK", stream, "g1", (string)((RedisResult[])ids[0]!)![0]!);
        db.Execute("XDEL", stream, (string)((RedisResult[])ids[2]!)![0]!);
    }

    /// <summary>Many small keys: strings and hashes, a third with a TTL.</summary>
    public static void FillMany(IDatabase db, string prefix, int count)
    {
        var tasks = new List<Task>(10_000);
        for (var i = 0; i < count; i++)
        {
            var key = $"{prefix}{i}";
            tasks.Add(i % 2 == 0
                ? db.StringSetAsync(key, $"value-{i}", i % 3 == 0 ? new Expiration(TimeSpan.FromMinutes(10 + i % 50)) : Expiration.Default)
                : db.HashSetAsync(key, [new("a", i), new("b", $"x{i}")]));
            if (i % 3 == 0 && i % 2 == 1) tasks.Add(db.KeyExpireAsync(key, TimeSpan.FromMinutes(20)));
            if (tasks.Count >= 10_000) { Task.WaitAll(tasks.ToArray()); tasks.Clear(); }
        }
        Task.WaitAll(tasks.ToArray());
    }

    /// <summary>
    /// DUMP compares values exactly, encoding included, except for hashtable-encoded sets and
    /// hashes, whose DUMP order follows the server's seeded hash: for those, <see cref="Content"/>
    /// (sorted members or field/value pairs) is compared.
    /// </summary>
    public sealed record KeyState(string Type, byte[] Dump, long ExpireAtMs, string? Content);

    /// <summary>Every key of a database (optionally only those starting with a prefix): type, DUMP payload (exact value and encoding) and absolute expiry.</summary>
    public static Dictionary<string, KeyState> Read(ConnectionMultiplexer redis, int database, string? pattern = null)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase(database);
        var keys = server.Keys(database, pattern ?? "*", pageSize: 1000).ToList();
        var result = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        foreach (var chunk in keys.Chunk(5000))
        {
            var reads = chunk.Select(k => (Key: k, Type: db.ExecuteAsync("TYPE", k), Dump: db.KeyDumpAsync(k), Expire: db.ExecuteAsync("PEXPIRETIME", k))).ToList();
            foreach (var r in reads)
            {
                var type = (string)r.Type.Result!;
                var content = type switch
                {
                    "set" => string.Join(",", db.SetMembers(r.Key).Select(m => Convert.ToBase64String((byte[])m!)).Order(StringComparer.Ordinal)),
                    "hash" => string.Join(",", db.HashGetAll(r.Key).Select(e => Convert.ToBase64String((byte[])e.Name!) + "=" + Convert.ToBase64String((byte[])e.Value!)).Order(StringComparer.Ordinal)),
                    _ => null,
                };
                result[Convert.ToBase64String((byte[])r.Key!)] = new KeyState(type, r.Dump.Result!, (long)r.Expire.Result, content);
            }
        }
        return result;
    }

    /// <summary>Same keys, types and values; expiry within ±1 s.</summary>
    public static void AssertSame(Dictionary<string, KeyState> expected, Dictionary<string, KeyState> actual, string? keyPrefixAdded = null)
    {
        if (keyPrefixAdded != null)
        {
            var prefix = Encoding.UTF8.GetBytes(keyPrefixAdded);
            actual = actual.ToDictionary(p =>
            {
                var key = Convert.FromBase64String(p.Key);
                Assert.True(key.AsSpan().StartsWith(prefix), $"restored key lacks prefix {keyPrefixAdded}");
                return Convert.ToBase64String(key[prefix.Length..]);
            }, p => p.Value);
        }
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, want) in expected)
        {
            var got = actual[key];
            var name = Encoding.UTF8.GetString(Convert.FromBase64String(key));
            Assert.True(want.Type == got.Type, $"{name}: type {got.Type}, expected {want.Type}");
            var sameBytes = want.Dump.AsSpan(0, want.Dump.Length - 10).SequenceEqual(got.Dump.AsSpan(0, got.Dump.Length - 10));
            Assert.True(sameBytes || want.Content != null && want.Content == got.Content && want.Dump[0] == got.Dump[0], $"{name}: value differs");
            if (want.ExpireAtMs < 0) Assert.True(got.ExpireAtMs < 0, $"{name}: has an expiry, expected none");
            else Assert.True(Math.Abs(want.ExpireAtMs - got.ExpireAtMs) <= 1000, $"{name}: expires at {got.ExpireAtMs}, expected {want.ExpireAtMs} ± 1 s");
        }
    }
}
