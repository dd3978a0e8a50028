using PsBackup.Engine.Repository;
using ZstdSharp;

namespace PsBackup.Engine.Tests.Units;

/// <summary>
/// The two zstd frame compressors: the system's libzstd (used here: Debian installs libzstd.so.1
/// with apt itself) and ZstdSharp's managed port write the same format, frames that ZstdSharp
/// decodes and that record their content size and a checksum; PSBACKUP_ZSTD=managed selects the port.
/// </summary>
public sealed class ZstdFrameCompressorTests
{
    private static byte[] Data(int length)
    {
        var random = new Random(length);
        var data = new byte[length];
        random.NextBytes(data.AsSpan(length / 3));
        for (var i = 0; i < length / 3; i++) data[i] = (byte)"documents and indexes "[(i / 5 + random.Next(4)) % 22];
        return data;
    }

    public static TheoryData<int> Lengths => [0, 1, 1000, 128 * 1024 + 1, ZstdFrames.FrameSize];

    [Fact]
    public void The_system_libzstd_loads_here_and_is_used_unless_managed_is_asked_for()
    {
        Assert.True(NativeZstd.Available, "libzstd.so.1 (Debian's libzstd1) did not load");
        Assert.Equal(Environment.GetEnvironmentVariable(ZstdFrameCompressors.Setting) is not { } s || !s.Trim().Equals("managed", StringComparison.OrdinalIgnoreCase),
            ZstdFrameCompressors.UsesNative);
        Assert.True(ZstdFrameCompressors.UseNative(null, available: true));
        Assert.True(ZstdFrameCompressors.UseNative("native", available: true));
        Assert.False(ZstdFrameCompressors.UseNative(" Managed ", available: true));
        Assert.False(ZstdFrameCompressors.UseNative(null, available: false));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Native_and_managed_frames_decode_to_the_plaintext_with_content_size_and_checksum(int length)
    {
        var plain = Data(length);
        foreach (IZstdFrameCompressor compressor in new IZstdFrameCompressor[] { new NativeZstdCompressor(), new ManagedZstdCompressor() })
            using (compressor)
                for (var round = 0; round < 2; round++) // a context is reused for the next frame
                {
                    var frame = new byte[ZstdFrameCompressors.Bound(length)];
                    var written = compressor.Compress(plain, frame);
                    using var decompressor = new Decompressor();
                    Assert.Equal(plain, decompressor.Unwrap(frame.AsSpan(0, written)).ToArray());
                    var descriptor = frame[4];
                    Assert.True((descriptor & 0x04) != 0, $"{compressor.GetType().Name}: no content checksum");
                    Assert.True((descriptor & 0x20) != 0 || (descriptor >> 6) != 0, $"{compressor.GetType().Name}: no content size");
                    using var input = new MemoryStream(frame, 0, written);
                    Assert.Equal(length, ZstdFrames.Read(input, n => new byte[n], _ => { })!.ContentBound);
                    if (length > 1000) Assert.True(written < length * 0.9, // a third of it is text
                        $"{compressor.GetType().Name}: {written} bytes for {length}");
                }
    }

    [Fact]
    public void A_frame_buffer_too_small_is_an_error_not_an_overrun()
    {
        var plain = Data(100_000);
        using var compressor = new NativeZstdCompressor();
        var frame = new byte[ZstdFrameCompressors.Bound(plain.Length) + 64];
        var error = Assert.Throws<InvalidOperationException>(() => compressor.Compress(plain, frame.AsSpan(0, 1000)));
        Assert.Contains("libzstd", error.Message);
        Assert.All(frame[1000..], b => Assert.Equal(0, b)); // nothing written past the span it was given
        Assert.True(compressor.Compress(plain, frame) > 0); // the context still works after the failure
    }
}
