using PsBackup.Engine.IO;
using System.Buffers;
using System.Threading.Channels;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Hands written bytes, in 1 MiB blocks, to a background task that writes them to the inner
/// stream (compression, encryption, storage), so reading and hashing the source overlaps with
/// compressing it. At most <see cref="Depth"/> blocks are in flight: memory stays bounded. The
/// consumer is a thread of its own (<see cref="DedicatedThread"/>), and the blocks come from a
/// bounded pool of their own: ArrayPool.Shared keeps a block per thread that returned one.
/// </summary>
internal sealed class PipelinedWriteStream : WriteOnlyStream
{
    private const int BlockSize = 1 << 20;
    private const int Depth = 4;
    private readonly Stream _inner;
    private static readonly ArrayPool<byte> Blocks = ArrayPool<byte>.Create(BlockSize, 4 * Environment.ProcessorCount + 8);
    private readonly Channel<(byte[] Block, int Length)> _blocks = Channel.CreateBounded<(byte[], int)>(Depth);
    private readonly Task _consumer;
    private byte[] _current = Blocks.Rent(BlockSize);
    private int _filled;
    private bool _completed;

    public PipelinedWriteStream(Stream inner)
    {
        _inner = inner;
        _consumer = DedicatedThread.Run(Consume);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == BlockSize) Send();
        }
    }

    /// <summary>Sends what is buffered and waits until the consumer has written everything to the inner stream.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        if (_filled > 0) Send();
        _blocks.Writer.TryComplete();
        _consumer.GetAwaiter().GetResult(); // rethrows the consumer's failure
    }

    private void Send()
    {
        var block = (_current, _filled);
        _current = Blocks.Rent(BlockSize);
        _filled = 0;
        try
        {
            _blocks.Writer.WriteAsync(block).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            // The consumer failed and closed the channel: surface its exception, not the closing.
            _consumer.GetAwaiter().GetResult();
            throw;
        }
    }

    private void Consume()
    {
        try
        {
            var reader = _blocks.Reader;
            while (DedicatedThread.Wait(reader.WaitToReadAsync()))
            {
                while (reader.TryRead(out var next))
                {
                    _inner.Write(next.Block, 0, next.Length);
                    Blocks.Return(next.Block);
                }
            }
        }
        catch (Exception e)
        {
            _blocks.Writer.TryComplete(e);
            while (_blocks.Reader.TryRead(out var left)) Blocks.Return(left.Block);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            // Abandoned (failure or cancellation): stop the consumer without flushing.
            _completed = true;
            _blocks.Writer.TryComplete();
            try { _consumer.GetAwaiter().GetResult(); } catch (Exception) { /* the caller is already failing */ }
        }
        if (disposing) Blocks.Return(_current);
        base.Dispose(disposing);
    }

}
