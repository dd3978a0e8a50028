using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Compresses one whole zstd frame (RFC 8878) at <see cref="ZstdFrameWriteStream.Level"/>, with its
/// content size and a content checksum. Two implementations write the same format: the system's
/// libzstd when it loads (<see cref="NativeZstdCompressor"/>), else ZstdSharp's managed port.
/// </summary>
internal interface IZstdFrameCompressor : IDisposable
{
    /// <summary>Compresses <paramref name="plain"/> into <paramref name="frame"/> (at least <see cref="ZstdFrameCompressors.Bound"/> bytes); returns the frame's length.</summary>
    int Compress(ReadOnlySpan<byte> plain, Span<byte> frame);
}

/// <summary>ZstdSharp's compressor: the managed port, used wherever libzstd does not load.</summary>
internal sealed class ManagedZstdCompressor : IZstdFrameCompressor
{
    private readonly Compressor _compressor = new(ZstdFrameWriteStream.Level);

    public ManagedZstdCompressor() => _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);

    public int Compress(ReadOnlySpan<byte> plain, Span<byte> frame) => _compressor.Wrap(plain, frame);

    public void Dispose() => _compressor.Dispose();
}

/// <summary>Which compressor the process uses, and the frame buffer size it needs.</summary>
internal static class ZstdFrameCompressors
{
    /// <summary>"managed" in this environment variable keeps ZstdSharp even where libzstd loads.</summary>
    public const string Setting = "PSBACKUP_ZSTD";

    /// <summary>True when frames are compressed by the system's libzstd.</summary>
    public static bool UsesNative { get; } = UseNative(Environment.GetEnvironmentVariable(Setting), NativeZstd.Available);

    internal static bool UseNative(string? setting, bool available) =>
        available && !string.Equals(setting?.Trim(), "managed", StringComparison.OrdinalIgnoreCase);

    public static IZstdFrameCompressor Create() => UsesNative ? new NativeZstdCompressor() : new ManagedZstdCompressor();

    /// <summary>The largest frame <paramref name="length"/> bytes of plaintext can become (zstd's ZSTD_COMPRESSBOUND).</summary>
    public static int Bound(int length) => Compressor.GetCompressBound(length);
}
