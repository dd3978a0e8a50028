using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using PsBackup.Engine.IO;
using ZstdSharp;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Decodes a stream of concatenated zstd frames with several frames in flight: a reading task
/// cuts the input into whole frames (<see cref="ZstdFrames"/>: headers and block lengths only)
/// on a thread of its own and hands each to the codec threads (<see cref="CodecThreads"/>) to decode; <see cref="Read(Span{byte})"/> returns their
/// contents in order. At most <c>workers + 1</c> frames are read ahead, so memory is bounded.
/// Damage surfaces as <see cref="InvalidDataException"/>, which <see cref="VerifyingReadStream"/>
/// reports as a corrupt artifact.
/// </summary>
internal sealed class ZstdFrameReadStream : ReadOnlyStream
{
    private readonly Stream _input;
    private readonly Channel<Task<(byte[] Block, int Length)>> _decoded;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private ExceptionDispatchInfo? _failure; // set by the reading task before it completes the channel
    private byte[]? _block;
    private int _offset, _length;
    private bool _ended, _disposed;

    public ZstdFrameReadStream(Stream input, int workers)
    {
        _input = input;
        _decoded = Channel.CreateBounded<Task<(byte[], int)>>(new BoundedChannelOptions(Math.Max(1, workers)) { SingleReader = true, SingleWriter = true });
        _reader = DedicatedThread.Run(ReadFrames);
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (_block == null || _offset == _length)
        {
            if (_ended) return 0;
            NextBlock();
        }
        var n = Math.Min(buffer.Length, _length - _offset);
        _block.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    private void NextBlock()
    {
        if (_block != null) ZstdFrames.Buffers.Return(_block);
        _block = null;
        if (!_decoded.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            _ended = true;
            _failure?.Throw(); // damage after the last whole frame: the reader has seen the data before it
            return;
        }
        _decoded.Reader.TryRead(out var next);
        (_block, _length) = next!.GetAwaiter().GetResult();
        _offset = 0;
    }

    private void ReadFrames()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var frame = ZstdFrames.Read(_input, size => ZstdFrames.Buffers.Rent(size), b => ZstdFrames.Buffers.Return(b));
                if (frame == null) break;
                var decoding = CodecThreads.Run(() => Decode(frame));
                try
                {
                    DedicatedThread.Wait(_decoded.Writer.WriteAsync(decoding, _stop.Token));
                }
                catch (OperationCanceledException)
                {
                    Release(decoding);
                    break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not queued (the channel may be full): reported once the frames before it are read.
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _decoded.Writer.TryComplete();
        }
    }

    private static readonly ContextPool<Decompressor> Decompressors = new(() => new Decompressor());

    private static (byte[] Block, int Length) Decode(ZstdFrames.Frame frame)
    {
        var block = ZstdFrames.Buffers.Rent(Math.Max(1, frame.ContentBound));
        var decompressor = Decompressors.Rent();
        try
        {
            var length = decompressor.Unwrap(frame.Bytes.AsSpan(0, frame.Length), block.AsSpan(0, frame.ContentBound));
            Decompressors.Return(decompressor);
            return (block, length);
        }
        catch (Exception e)
        {
            ZstdFrames.Buffers.Return(block);
            decompressor.Dispose(); // a failed decode may leave the context in any state
            throw e is ZstdException ? new InvalidDataException($"zstd: {e.Message}", e) : e;
        }
        finally
        {
            ZstdFrames.Buffers.Return(frame.Bytes);
        }
    }

    private static void Release(Task<(byte[] Block, int Length)> decoding)
    {
        try { ZstdFrames.Buffers.Return(decoding.GetAwaiter().GetResult().Block); }
        catch (Exception) { /* nothing to give back */ }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed) // a stream may be disposed more than once (a wrapper and its owner)
        {
            _disposed = true;
            // Stop the reading task (closing the input ends a read it may be blocked in), then give back what it decoded.
            _stop.Cancel();
            _input.Dispose();
            while (_decoded.Reader.TryRead(out var left)) Release(left);
            try { _reader.GetAwaiter().GetResult(); } catch (Exception) { /* reported by Read already, or abandoned */ }
            while (_decoded.Reader.TryRead(out var left)) Release(left);
            if (_block != null) ZstdFrames.Buffers.Return(_block);
            _block = null;
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
