using System.Buffers;
using System.Collections.Concurrent;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// Takes the drill census (<see cref="RedisDrillCensus"/>) of an RDB streaming through a backup: the
/// chunks are queued (at most 8 MiB) to the kind's RDB reader on a thread of its own, so the walk
/// runs beside the download instead of after it. The stream's CRC is checked by the backup's own
/// check, so the reader skips it. A census that cannot be taken (an RDB the reader does not know)
/// leaves the backup as it is, without a census: a drill then reads the RDB instead.
/// </summary>
internal sealed class RdbCensusFeed : IDisposable
{
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _chunks = new(64);
    private readonly CancellationTokenSource _walkFailed = new();
    private readonly Task<RedisDrill.BackupContents?> _walk;

    public RdbCensusFeed(string description)
    {
        _walk = DedicatedThread.Run(() =>
        {
            try
            {
                var reader = new RdbReader(new ChunkStream(_chunks), description, keepValues: true, checksum: false);
                var census = new RedisDrillCensus(Random.Shared.Next());
                foreach (var entry in reader.Entries()) census.Add(entry);
                return census.ToContents(reader.DatabaseSizes, reader.Version);
            }
            catch (Exception e) when (e is Errors.PsBackupException or InvalidDataException or IOException or OverflowException)
            {
                _walkFailed.Cancel(); // the backup's next chunk is not waited for
                return null;
            }
        });
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_walkFailed.IsCancellationRequested || data.IsEmpty) return;
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        try
        {
            _chunks.Add((copy, data.Length), _walkFailed.Token); // waits while the walk is 64 chunks behind
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>The census once the whole RDB went through; null when it could not be taken.</summary>
    public RedisDrill.BackupContents? Complete()
    {
        _chunks.CompleteAdding();
        return _walk.GetAwaiter().GetResult();
    }

    /// <summary>Stops a walk the backup abandoned (failure, cancellation: the reader sees a truncated RDB) and waits for its thread.</summary>
    public void Dispose()
    {
        if (!_chunks.IsAddingCompleted) _chunks.CompleteAdding();
        _walk.GetAwaiter().GetResult();
        _walkFailed.Dispose();
        _chunks.Dispose();
    }

    /// <summary>The queued chunks as a stream, in order; ends when adding is complete.</summary>
    private sealed class ChunkStream(BlockingCollection<(byte[] Buffer, int Length)> chunks) : Stream
    {
        private byte[]? _current;
        private int _offset, _length;

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_offset == _length)
            {
                if (_current != null) ArrayPool<byte>.Shared.Return(_current);
                _current = null;
                _offset = _length = 0;
                if (!chunks.TryTake(out var chunk, Timeout.Infinite)) return 0;
                (_current, _length) = chunk;
            }
            var n = Math.Min(count, _length - _offset);
            Buffer.BlockCopy(_current!, _offset, buffer, offset, n);
            _offset += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
