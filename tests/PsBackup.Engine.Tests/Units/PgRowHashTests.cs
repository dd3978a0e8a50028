using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.PostgreSql;

namespace PsBackup.Engine.Tests.Units;

/// <summary>
/// The row digest of a COPY stream (what drills compare) must not depend on how the stream was cut
/// into chunks: whole rows take a one-call fast path, rows split across chunks the state machine.
/// Both are checked against an independent sum over the rows.
/// </summary>
public sealed class PgRowHashTests
{
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0a, 0xff, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>A binary COPY stream of random tuples (nulls, empty values, long values) and the tuples' own bytes.</summary>
    private static (byte[] Stream, List<byte[]> Tuples) BinaryCopy(int seed, int rows)
    {
        var random = new Random(seed);
        var stream = new MemoryStream();
        stream.Write(Header);
        var tuples = new List<byte[]>();
        var b = new byte[4];
        for (var r = 0; r < rows; r++)
        {
            var tuple = new MemoryStream();
            var fields = (short)random.Next(0, 6);
            BinaryPrimitives.WriteInt16BigEndian(b, fields);
            tuple.Write(b, 0, 2);
            for (var f = 0; f < fields; f++)
            {
                var length = random.Next(4) switch { 0 => -1, 1 => 0, 2 => random.Next(1, 9), _ => random.Next(9, 3000) };
                BinaryPrimitives.WriteInt32BigEndian(b, length);
                tuple.Write(b);
                if (length > 0)
                {
                    var value = new byte[length];
                    random.NextBytes(value);
                    tuple.Write(value);
                }
            }
            tuples.Add(tuple.ToArray());
            stream.Write(tuples[^1]);
        }
        stream.Write([0xff, 0xff]); // trailer
        return (stream.ToArray(), tuples);
    }

    private static PgRowHash Feed(byte[] stream, bool text, Func<int> chunk)
    {
        var hash = new PgRowHash(text);
        for (var i = 0; i < stream.Length;)
        {
            var n = Math.Min(chunk(), stream.Length - i);
            hash.Append(stream.AsSpan(i, n));
            i += n;
        }
        hash.Complete("test");
        return hash;
    }

    private static UInt128 Expected(IEnumerable<byte[]> rows) => rows.Aggregate(UInt128.Zero, (sum, row) => sum + XxHash128.HashToUInt128(row));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1 << 18)]
    public void Binary_digest_is_the_same_however_the_stream_is_cut(int chunk)
    {
        var (stream, tuples) = BinaryCopy(seed: 21, rows: 400);
        var hash = Feed(stream, text: false, () => chunk);
        Assert.Equal(400, hash.Rows);
        Assert.Equal(Expected(tuples), hash.Sum);
    }

    [Fact]
    public void Binary_digest_with_random_cuts_matches_and_a_changed_byte_changes_it()
    {
        var (stream, tuples) = BinaryCopy(seed: 5, rows: 300);
        var random = new Random(9);
        var hash = Feed(stream, text: false, () => random.Next(1, 5000));
        Assert.Equal(Expected(tuples), hash.Sum);

        stream[^40] ^= 1; // inside the last tuple's data
        Assert.NotEqual(Expected(tuples), Feed(stream, text: false, () => random.Next(1, 5000)).Sum);
    }

    [Fact]
    public void Text_digest_is_the_same_however_the_stream_is_cut()
    {
        var lines = Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes($"{i}\tvalue {new string('x', i % 97)}\t\\N")).ToList();
        var stream = lines.SelectMany(l => l.Append((byte)'\n')).ToArray();
        foreach (var chunk in new[] { 1, 5, 64, 1 << 18 })
        {
            var hash = Feed(stream, text: true, () => chunk);
            Assert.Equal(500, hash.Rows);
            Assert.Equal(Expected(lines), hash.Sum);
        }
    }

    [Fact]
    public void A_stream_cut_inside_a_tuple_is_refused()
    {
        var (stream, _) = BinaryCopy(seed: 3, rows: 10);
        var hash = new PgRowHash(text: false);
        hash.Append(stream.AsSpan(0, stream.Length - 5));
        Assert.Throws<IntegrityException>(() => hash.Complete("test"));
    }

    [Fact]
    public async Task The_warm_up_a_drill_runs_during_its_restore_hashes_well_formed_rows_and_stops_when_cancelled()
    {
        // Unstopped it runs for a while: it must not have ended on its own (a malformed made-up stream would throw at once).
        using var stop = new CancellationTokenSource();
        var warmUp = PgRowHash.WarmUpAsync(stop.Token);
        await Task.Delay(300);
        Assert.False(warmUp.IsCompleted, warmUp.Exception?.ToString());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await stop.CancelAsync();
        await warmUp; // completes without an exception
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the warm-up took {clock.Elapsed} to stop");
    }
}
