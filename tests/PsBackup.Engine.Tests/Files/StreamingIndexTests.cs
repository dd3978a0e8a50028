using System.Text;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers.Files;
using PsBackup.Engine.Providers.Files.Native;
using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Support.RawFs;

namespace PsBackup.Engine.Tests.Files;

/// <summary>
/// The file index is streamed: written in path order by bytes as the tree is walked, read back
/// one entry at a time, merged with the base's on the fly. These tests show the order is the
/// bytes' (not UTF-16's or a culture's), that the merge finds every unchanged file whatever its
/// name, and that readers and the walk hold no entries behind them.
/// </summary>
public sealed class StreamingIndexTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    // U+E000 sorts after a surrogate pair in UTF-16 (0xE000 > 0xD83D), before it in UTF-8 (EE < F0);
    // an invalid byte 0xFF sorts after every UTF-8 sequence; '.' (2E) sorts before '/' (2F), so "a.txt" is between "a" and "a/b".
    private static readonly byte[][] Names =
    [
        B("\uE000"), B("\U0001F600"), B("a"), B("a.txt"), B("a-b"), B("A"), B("é"), B("e\u0301"), [0xFF], [0xC3], [0xC3, 0x28], B("z"), B("~"), B(" "),
    ];

    [Fact]
    public void Path_order_is_the_order_of_the_bytes_not_of_UTF16_or_a_culture()
    {
        var paths = Names.SelectMany(n => new[] { n, [.. n, (byte)'/', .. B("x")], [.. n, (byte)'/', 0xFF] }).Select(b => FsName.FromBytes(b)).ToList();
        Assert.True(string.CompareOrdinal("\uE000", "\U0001F600") > 0); // the trap: ordinal UTF-16 order differs
        foreach (var a in paths)
            foreach (var b in paths)
                Assert.Equal(Math.Sign(FsName.CompareBytes(FsName.ToBytes(a), FsName.ToBytes(b))), Math.Sign(PathOrder.Compare(a, b)));
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            byte[] Name() => Enumerable.Range(0, random.Next(1, 6)).Select(_ => (byte)(random.Next(4) == 0 ? random.Next(0x80, 0x100) : random.Next(0x20, 0x80))).ToArray();
            var (a, b) = (FsName.FromBytes(Name()), FsName.FromBytes(Name()));
            Assert.Equal(Math.Sign(FsName.CompareBytes(FsName.ToBytes(a), FsName.ToBytes(b))), Math.Sign(PathOrder.Compare(a, b)));
        }
    }

    [Fact]
    public async Task An_incremental_merges_names_in_byte_order_finds_every_unchanged_file_and_restores_exactly()
    {
        var source = _fx.Temp.Combine("src");
        MkDir(B(source));
        var id = 0;
        foreach (var name in Names)
        {
            var path = Join(source, name);
            MkDir(path);
            foreach (var inner in Names) WriteFile(Join(path, inner), B($"file {id++}"));
            WriteFile(Join(source, [.. name, .. B(".f")]), B($"file {id++}"));
        }
        var files = id;
        await _fx.NewCollectionAsync("order", targets: EngineFixture.Tree("src", source));
        var full = await _fx.BackupAsync("order");

        // One file changed, one added, one deleted: the merge must match every other path with its base entry.
        WriteFile(Join(Join(source, B("\uE000")), B("\U0001F600")), B("changed, longer"));
        WriteFile(Join(Join(source, [0xFF]), B("new")), B("added"));
        Unlink(Join(Join(source, B("a")), [0xC3]));
        var incremental = await _fx.BackupAsync("order", BackupType.Incremental);
        var state = (JObject)JObject.Parse(File.ReadAllText(Path.Combine(_fx.Repository, "collections", "order", "backups", incremental.Id, "manifest.json")))["targets"]![0]!["state"]!;
        Assert.Equal("changed, longer".Length + "added".Length, (long)state["bytesRead"]!); // nothing else read again
        Assert.Equal(1, (int)state["added"]!);
        Assert.Equal(1, (int)state["deleted"]!);
        Assert.Equal(files, (int)state["files"]!);

        foreach (var backup in new[] { incremental })
        {
            var destination = _fx.Temp.Combine("restored");
            Assert.Null(Assert.Single(await _fx.RestoreAsync(backup.Id, destination)).Error);
            var differences = RawTreeWalker.Compare(RawTreeWalker.Walk(source), RawTreeWalker.Walk(destination), owners: true);
            Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
        }

        // The index itself is in byte order, each path once.
        var paths = await IndexPathsAsync(incremental.Id);
        Assert.Equal(paths.OrderBy(p => p, Comparer<byte[]>.Create((a, b) => FsName.CompareBytes(a, b))).Select(Convert.ToHexString), paths.Select(Convert.ToHexString));
    }

    [Fact]
    public void An_index_far_larger_than_any_buffer_round_trips_and_its_reader_keeps_no_entry_it_has_passed()
    {
        const int count = 300_000; // ~60 MB of entries were they all held; the writer and reader hold one
        using var file = new MemoryStream();
        var header = new FileIndexHeader { Root = "/r", RootMtime = DateTime.UnixEpoch };
        FileIndex.Write(file, header, Enumerable.Range(0, count).Select(Entry));
        file.Position = 0;

        using var reader = new FileIndexReader(file, "test index");
        var early = new List<WeakReference>();
        var read = 0;
        foreach (var entry in reader.Sorted())
        {
            Assert.Equal(Entry(read).Path, entry.Path);
            Assert.Equal(Entry(read).Sha256, entry.Sha256);
            if (read < 1000) early.Add(new WeakReference(entry));
            if (++read == count - 1)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Assert.DoesNotContain(early, w => w.IsAlive); // mid-read: nothing behind the reader is kept
            }
        }
        Assert.Equal(count, read);
    }

    [Fact]
    public void The_walk_yields_as_it_goes_and_keeps_no_entry_it_has_yielded()
    {
        var root = _fx.Temp.Combine("walk");
        for (var d = 0; d < 20; d++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"d{d:00}"));
            for (var f = 0; f < 200; f++)
                WriteFile(Join(Path.Combine(root, $"d{d:00}"), B($"f{f:000}")), [1]);
        }
        var early = new List<WeakReference>();
        var count = 0;
        string? previous = null;
        foreach (var entry in TreeScanner.Scan(root, new PathFilter([], []), new ScanOptions(false, false), _ => { }, CancellationToken.None))
        {
            if (previous != null) Assert.True(PathOrder.Compare(previous, entry.Path) < 0, $"{previous} then {entry.Path}");
            previous = entry.Path;
            if (count++ < 500) early.Add(new WeakReference(entry));
            if (count == 3900)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Assert.DoesNotContain(early, w => w.IsAlive);
            }
        }
        Assert.Equal(20 + 20 * 200, count);
    }

    private static FileEntry Entry(int i) => new()
    {
        Path = $"d{i / 1000:0000}/f{i % 1000:000}", Type = FileEntryType.File, Mode = "0644", Mtime = DateTime.UnixEpoch.AddSeconds(i), Size = i,
        Sha256 = Convert.ToHexString(BitConverter.GetBytes((long)i)).ToLowerInvariant().PadLeft(64, '0'), Backup = "b", Pack = "pack-0", Offset = i,
    };

    private async Task<List<byte[]>> IndexPathsAsync(string backupId)
    {
        var backupDir = Directory.EnumerateDirectories(_fx.Repository, backupId, SearchOption.AllDirectories).Single();
        var index = Directory.EnumerateFiles(Path.Combine(backupDir, "src"), "index*").Single();
        var text = Encoding.UTF8.GetString(await DecompressAsync(index));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(JObject.Parse)
            .Select(e => e["pathBytes"] is { } bytes ? Convert.FromBase64String((string)bytes!) : B((string)e["path"]!)).ToList();
    }

    private static async Task<byte[]> DecompressAsync(string path)
    {
        await using var input = File.OpenRead(path);
        using var output = new MemoryStream();
        if (path.EndsWith(".zst", StringComparison.Ordinal))
            await new ZstdSharp.DecompressionStream(input).CopyToAsync(output);
        else if (path.EndsWith(".gz", StringComparison.Ordinal))
            await new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress).CopyToAsync(output);
        else
            await input.CopyToAsync(output);
        return output.ToArray();
    }
}
