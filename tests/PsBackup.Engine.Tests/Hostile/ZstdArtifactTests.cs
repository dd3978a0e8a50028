using System.Diagnostics;
using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// zstd artifacts (independent frames, compressed and decoded on several threads): they round trip
/// at frame boundaries, the zstd tool reads what PsBackup writes and the other way round, and any
/// truncation, tampering or appended bytes is ArtifactCorrupt — never another exception or a hang.
/// </summary>
public sealed class ZstdArtifactTests : IDisposable
{
    private const int Frame = ZstdFrames.FrameSize;
    private readonly TempDirectory _temp = new("zstd");
    private readonly LocalObjectStore _store;

    public ZstdArtifactTests() => _store = new LocalObjectStore(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    /// <summary>Half compressible text, half random bytes, so frames hold both kinds of blocks.</summary>
    private static byte[] Data(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        random.NextBytes(data.AsSpan(length / 2));
        for (var i = 0; i < length / 2; i++) data[i] = (byte)"backup restore verify "[(i / 7 + random.Next(3)) % 22];
        return data;
    }

    private async Task<ArtifactRecord> WriteAsync(ArtifactCodec codec, string key, byte[] plain)
    {
        await using var writer = await codec.CreateAsync(key, key, default);
        for (var at = 0; at < plain.Length; at += 300_000) // writes that do not line up with frames
            await writer.Stream.WriteAsync(plain.AsMemory(at, Math.Min(300_000, plain.Length - at)));
        return await writer.CompleteAsync(key, default);
    }

    private static async Task<byte[]> ReadAsync(ArtifactCodec codec, string key, ArtifactRecord record)
    {
        await using var read = await codec.OpenAsync(key, record, key, default);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy); // verifies size and SHA-256 at the end
        return copy.ToArray();
    }

    private static byte[] Tool(string arguments, byte[] input)
    {
        var start = new ProcessStartInfo("zstd", arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copying = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copying.GetAwaiter().GetResult();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"zstd {arguments}: {error}");
        return output.ToArray();
    }

    private static int CountFrames(byte[] stored)
    {
        using var input = new MemoryStream(stored);
        var frames = 0;
        while (ZstdFrames.Read(input, n => new byte[n], _ => { }) != null) frames++;
        return frames;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Frame - 1)]
    [InlineData(Frame)]
    [InlineData(Frame + 1)]
    [InlineData(9 * Frame + 12_345)] // more frames than workers: the write and read windows slide
    public async Task Round_trips_any_length_and_the_zstd_tool_reads_the_artifact(int length)
    {
        var plain = Data(length, length);
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, key: null);
        var record = await WriteAsync(codec, "a.zst", plain);

        Assert.Equal(plain, await ReadAsync(codec, "a.zst", record));
        var stored = await _store.ReadAllBytesAsync("a.zst", default);
        Assert.Equal(Math.Max(1, (length + Frame - 1) / Frame), CountFrames(stored)); // an empty artifact is one empty frame
        Assert.Equal(plain, Tool("-d -c", stored));
        Assert.True(stored.Length < length * 0.8 + 100, $"{stored.Length} stored bytes for {length}");
    }

    [Fact]
    public async Task An_encrypted_artifact_round_trips()
    {
        var plain = Data(3 * Frame + 7, 3);
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, RandomNumberGenerator.GetBytes(32));
        var record = await WriteAsync(codec, "a.zst.aes", plain);
        Assert.Equal(plain, await ReadAsync(codec, "a.zst.aes", record));
    }

    [Fact]
    public async Task Frames_the_zstd_tool_wrote_are_read_and_concatenated_frames_are_one_stream()
    {
        var first = Data(2 * Frame + 5, 1);
        var second = Data(70_000, 2);
        // One frame with the content size (-1) and one streamed without it, then a skippable frame.
        var skippable = new byte[] { 0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9 };
        var stored = Tool("-1 -c", first).Concat(Tool("-3 -c --no-content-size --no-check", second)).Concat(skippable).ToArray();
        await _store.PutAsync("tool.zst", stored, default);
        var plain = first.Concat(second).ToArray();
        var record = new ArtifactRecord
        {
            Name = "tool", Path = "tool.zst", Size = plain.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(plain)),
            StoredSize = stored.Length, StoredSha256 = Convert.ToHexStringLower(SHA256.HashData(stored)),
        };
        Assert.Equal(plain, await ReadAsync(new ArtifactCodec(_store, CompressionKind.Zstd, key: null), "tool.zst", record));
    }

    /// <summary>Stores <paramref name="damaged"/> under the artifact's key and expects ArtifactCorrupt from reading it.</summary>
    private async Task<string> AssertCorruptAsync(ArtifactCodec codec, ArtifactRecord record, byte[] damaged, string what)
    {
        await _store.PutAsync("a.zst", damaged, default);
        var error = await Assert.ThrowsAsync<IntegrityException>(() => ReadAsync(codec, "a.zst", record));
        Assert.Equal("ArtifactCorrupt", error.ErrorId);
        Assert.Contains("a.zst", error.Message);
        Assert.False(string.IsNullOrEmpty(what));
        return error.Message;
    }

    [Fact]
    public async Task Every_truncation_is_ArtifactCorrupt()
    {
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, key: null);
        var record = await WriteAsync(codec, "a.zst", Data(4 * Frame + 999, 4));
        var stored = await _store.ReadAllBytesAsync("a.zst", default);
        // Inside the magic number, the frame header, a block header, a block, the checksum; at frame ends; and spread through.
        var frameEnds = new List<int>();
        using (var input = new MemoryStream(stored))
            while (ZstdFrames.Read(input, n => new byte[n], _ => { }) != null) frameEnds.Add((int)input.Position);
        var cuts = new SortedSet<int> { 0, 1, 3, 4, 5, 7, 9, 12, 200, stored.Length - 1, stored.Length - 3, stored.Length - 5 };
        foreach (var end in frameEnds.SkipLast(1)) { cuts.Add(end); cuts.Add(end + 2); cuts.Add(end - 2); }
        for (var i = 1; i < 40; i++) cuts.Add(stored.Length * i / 40);

        foreach (var cut in cuts)
            await AssertCorruptAsync(codec, record, stored[..cut], $"cut at {cut}");
    }

    [Fact]
    public async Task Tampered_or_appended_bytes_are_ArtifactCorrupt()
    {
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, key: null);
        var record = await WriteAsync(codec, "a.zst", Data(3 * Frame + 10, 5));
        var stored = await _store.ReadAllBytesAsync("a.zst", default);
        var random = new Random(5);
        var messages = new List<string>();
        for (var flip = 0; flip < 60; flip++)
        {
            var damaged = (byte[])stored.Clone();
            var at = flip < 20 ? flip : random.Next(damaged.Length); // every byte of the first header, then anywhere
            damaged[at] ^= (byte)(1 << random.Next(8));
            messages.Add(await AssertCorruptAsync(codec, record, damaged, $"flip at {at}"));
        }
        Assert.Contains(messages, m => m.Contains("zstd")); // the decoder (checksum, block) finds most
        await AssertCorruptAsync(codec, record, [.. stored, 0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x00, 0x01, 0x00, 0x00], "an extra empty frame");
        await AssertCorruptAsync(codec, record, [.. stored, 1, 2, 3, 4, 5], "garbage after the last frame");
        await AssertCorruptAsync(codec, record, [.. stored, .. stored[..100]], "half a frame more");
    }

    [Fact]
    public async Task A_frame_claiming_a_huge_size_or_a_reserved_block_is_refused_before_it_is_read()
    {
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, key: null);
        var record = await WriteAsync(codec, "a.zst", Data(1000, 6));
        // Frame header: magic, descriptor (8-byte content size, single segment), the size; then a last raw block.
        byte[] huge = [0x28, 0xB5, 0x2F, 0xFD, 0xE0, .. BitConverter.GetBytes(1L << 40), 0x01, 0x00, 0x00];
        Assert.Contains("frame of", await AssertCorruptAsync(codec, record, huge, "a 1 TiB frame"));
        byte[] reserved = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x10, 0x07, 0x00, 0x00];
        Assert.Contains("reserved", await AssertCorruptAsync(codec, record, reserved, "a reserved block type"));
        byte[] notZstd = [.. "BZh91AY&SY"u8];
        Assert.Contains("not a zstd frame", await AssertCorruptAsync(codec, record, notZstd, "another format"));
    }

    [Fact]
    public async Task A_reader_abandoned_midway_stops_its_threads()
    {
        var codec = new ArtifactCodec(_store, CompressionKind.Zstd, key: null);
        var record = await WriteAsync(codec, "a.zst", Data(12 * Frame, 7));
        for (var i = 0; i < 20; i++)
        {
            var read = await codec.OpenAsync("a.zst", record, "a.zst", default);
            var buffer = new byte[100_000 * (i + 1)];
            await read.ReadExactlyAsync(buffer);
            var closing = Task.Run(() => { read.Dispose(); read.Dispose(); }); // twice, as a wrapper and its owner may
            Assert.Same(closing, await Task.WhenAny(closing, Task.Delay(TimeSpan.FromSeconds(30)))); // disposing must not hang
        }
        Assert.Equal(12 * Frame, (await ReadAsync(codec, "a.zst", record)).Length);
    }
}
