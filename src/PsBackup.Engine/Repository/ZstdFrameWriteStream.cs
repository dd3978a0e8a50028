using System.Buffers;
using PsBackup.Engine.IO;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Compresses a stream as a sequence of independent zstd frames (RFC 8878) of at most
/// <see cref="ZstdFrames.FrameSize"/> bytes of plaintext each, several frames at once on the
/// codec threads (<see cref="CodecThreads"/>), written to the inner stream in order. Concatenated frames are one valid zstd
/// stream (`zstd -d` reads it), so one artifact uses every core without being split into several
/// objects. Each frame records its content size and a content checksum; the system's libzstd
/// compresses them when it loads, ZstdSharp otherwise (<see cref="ZstdFrameCompressors"/>). Memory: at most
/// <see cref="Workers"/> + 1 frames of plaintext and their compressed forms.
/// </summary>
internal sealed class ZstdFrameWriteStream : WriteOnlyStream
{
    /// <summary>Level 1: zstd's fastest regular level, about brotli-1's ratio at a multiple of its speed.</summary>
    public const int Level = 1;

    private readonly Stream _inner;
    private readonly int _workers;
    private readonly Queue<Task<(byte[] Frame, int Length)>> _pending = new();
    private byte[] _current = ZstdFrames.Buffers.Rent(ZstdFrames.FrameSize);
    private int _filled;
    private bool _completed, _submitted;

    public ZstdFrameWriteStream(Stream inner, int workers)
    {
        _inner = inner;
        _workers = Math.Max(1, workers);
    }

    public int Workers => _workers;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, ZstdFrames.FrameSize - _filled);
            buffer[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == ZstdFrames.FrameSize) Submit();
        }
    }

    /// <summary>Compresses what is buffered and writes every frame to the inner stream. An empty stream is one empty frame.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_filled > 0 || !_submitted) Submit();
        while (_pending.Count > 0) WriteOldest();
        _completed = true;
        ZstdFrames.Buffers.Return(_current);
    }

    private void Submit()
    {
        var (plain, length) = (_current, _filled);
        _current = ZstdFrames.Buffers.Rent(ZstdFrames.FrameSize);
        _filled = 0;
        _submitted = true;
        _pending.Enqueue(CodecThreads.Run(() => Compress(plain, length)));
        if (_pending.Count > _workers) WriteOldest();
    }

    private void WriteOldest()
    {
        var (frame, length) = _pending.Dequeue().GetAwaiter().GetResult();
        try
        {
            _inner.Write(frame, 0, length);
        }
        finally
        {
            ZstdFrames.Buffers.Return(frame);
        }
    }

    private static readonly ContextPool<IZstdFrameCompressor> Compressors = new(ZstdFrameCompressors.Create);

    private static (byte[] Frame, int Length) Compress(byte[] plain, int length)
    {
        var compressor = Compressors.Rent();
        try
        {
            var frame = ZstdFrames.Buffers.Rent(ZstdFrameCompressors.Bound(length));
            try
            {
                var written = compressor.Compress(plain.AsSpan(0, length), frame);
                Compressors.Return(compressor);
                return (frame, written);
            }
            catch
            {
                ZstdFrames.Buffers.Return(frame);
                compressor.Dispose(); // a failed compression may leave the context in any state
                throw;
            }
        }
        finally
        {
            ZstdFrames.Buffers.Return(plain);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            // Abandoned (failure or cancellation): let the running compressions end, write nothing more.
            _completed = true;
            while (_pending.Count > 0)
            {
                try { ZstdFrames.Buffers.Return(_pending.Dequeue().GetAwaiter().GetResult().Frame); }
                catch (Exception) { /* the caller is already failing */ }
            }
            ZstdFrames.Buffers.Return(_current);
        }
        base.Dispose(disposing);
    }
}
