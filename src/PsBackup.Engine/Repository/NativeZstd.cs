using System.Runtime.InteropServices;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The system's libzstd (1.4 or later: libzstd.so.1 on Linux, which Debian, Ubuntu, RHEL and
/// Alpine install with their package managers; libzstd.1.dylib from Homebrew on macOS), loaded at
/// run time when present, so the module stays one portable build. Its level-1 compression costs
/// about 30 % less CPU than ZstdSharp's managed port and needs no JIT compilation (0.56 against
/// 0.78 CPU s for 250 MB of generated documents in 1 MiB frames, docs/benchmarks.md). Only compression uses it:
/// frames are read back by ZstdSharp, whichever library wrote them.
/// </summary>
internal static unsafe class NativeZstd
{
    private const int CompressionLevelParameter = 100; // ZSTD_c_compressionLevel
    private const int ChecksumFlagParameter = 201;     // ZSTD_c_checksumFlag

    private static readonly delegate* unmanaged<nint> CreateContext;
    private static readonly delegate* unmanaged<nint, nuint> FreeContext;
    private static readonly delegate* unmanaged<nint, int, int, nuint> SetParameter;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> Compress2;
    private static readonly delegate* unmanaged<nuint, uint> IsError;
    private static readonly delegate* unmanaged<nuint, byte*> ErrorName;

    /// <summary>True when a libzstd of version 1.4 or later loaded with every function used here.</summary>
    public static bool Available { get; }

    static NativeZstd()
    {
        foreach (var name in new[] { "libzstd.so.1", "libzstd.1.dylib", "libzstd.so", "libzstd.dylib" })
        {
            if (!NativeLibrary.TryLoad(name, out var library)) continue;
            if (NativeLibrary.TryGetExport(library, "ZSTD_versionNumber", out var version)
                && ((delegate* unmanaged<uint>)version)() >= 10400
                && NativeLibrary.TryGetExport(library, "ZSTD_createCCtx", out var create)
                && NativeLibrary.TryGetExport(library, "ZSTD_freeCCtx", out var free)
                && NativeLibrary.TryGetExport(library, "ZSTD_CCtx_setParameter", out var set)
                && NativeLibrary.TryGetExport(library, "ZSTD_compress2", out var compress)
                && NativeLibrary.TryGetExport(library, "ZSTD_isError", out var isError)
                && NativeLibrary.TryGetExport(library, "ZSTD_getErrorName", out var errorName))
            {
                CreateContext = (delegate* unmanaged<nint>)create;
                FreeContext = (delegate* unmanaged<nint, nuint>)free;
                SetParameter = (delegate* unmanaged<nint, int, int, nuint>)set;
                Compress2 = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)compress;
                IsError = (delegate* unmanaged<nuint, uint>)isError;
                ErrorName = (delegate* unmanaged<nuint, byte*>)errorName;
                Available = true;
                return;
            }
            NativeLibrary.Free(library);
        }
    }

    /// <summary>A compression context at <paramref name="level"/> that writes a content checksum into every frame.</summary>
    public static nint NewContext(int level)
    {
        var context = CreateContext();
        if (context == 0) throw new InvalidOperationException("libzstd could not allocate a compression context.");
        try
        {
            Check(SetParameter(context, CompressionLevelParameter, level));
            Check(SetParameter(context, ChecksumFlagParameter, 1));
            return context;
        }
        catch
        {
            FreeContext(context);
            throw;
        }
    }

    public static void Free(nint context) => FreeContext(context);

    /// <summary>One whole frame of <paramref name="plain"/> (with its content size) into <paramref name="frame"/>; its length.</summary>
    public static int Compress(nint context, ReadOnlySpan<byte> plain, Span<byte> frame)
    {
        fixed (byte* source = plain)
        fixed (byte* destination = frame)
            return (int)Check(Compress2(context, destination, (nuint)frame.Length, source, (nuint)plain.Length));
    }

    private static nuint Check(nuint result) => IsError(result) == 0
        ? result
        : throw new InvalidOperationException($"libzstd: {Marshal.PtrToStringUTF8((nint)ErrorName(result))}");
}

/// <summary>A libzstd compression context (its native workspace is freed on disposal or finalization).</summary>
internal sealed class NativeZstdCompressor : SafeHandle, IZstdFrameCompressor
{
    public NativeZstdCompressor() : base(0, ownsHandle: true) => SetHandle(NativeZstd.NewContext(ZstdFrameWriteStream.Level));

    public override bool IsInvalid => handle == 0;

    public int Compress(ReadOnlySpan<byte> plain, Span<byte> frame)
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            return NativeZstd.Compress(handle, plain, frame);
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    protected override bool ReleaseHandle()
    {
        NativeZstd.Free(handle);
        return true;
    }
}
