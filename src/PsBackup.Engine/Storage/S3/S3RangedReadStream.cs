using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;
using PsBackup.Engine.IO;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// A large object read as part-sized ranges fetched in parallel (as TransferUtility's multipart
/// download does) and handed to the reader in order. The first range is the head of the GET that
/// opened the object; the others are ranged GETs, If-Match its ETag, started up to
/// <see cref="S3PartBudget.Parallelism"/> ranges ahead of the reader, their requests sharing the
/// store's slots with everything else it transfers. The range the reader needs next always
/// starts; each range beyond it takes one of the store's read-ahead tokens, so the large reads of
/// a store together hold at most Parallelism ranges ahead, plus two per read (the range being
/// read, the one it needs next), and none can block another. Each range is checked (ETag,
/// Content-Range, exact length) and, when its request or its body fails, fetched again whole by
/// the store's retry policy. Cancelling the token the object was opened with, or disposing the
/// stream, stops the ranges in flight.
/// </summary>
internal sealed class S3RangedReadStream : ReadOnlyStream
{
    private readonly S3ObjectStore _store;
    private readonly string _key;
    private readonly S3PartBudget _budget;
    private readonly long _length;
    private readonly string? _etag;
    private readonly int _ranges;
    private readonly CancellationTokenSource _stop;
    private readonly Queue<(Task<byte[]> Range, bool Token)> _ahead = new(); // ranges started, in order; Token: it holds a read-ahead token
    private readonly GetObjectResponse _first;             // the opening GET, read for range 0
    private int _started;                                  // ranges started so far
    private int _next;                                     // the range the reader takes next
    private int _refetches;
    private byte[]? _current;                              // the range being read
    private int _offset, _count;
    private bool _disposed;

    public S3RangedReadStream(S3ObjectStore store, string key, S3PartBudget budget, GetObjectResponse first, CancellationToken cancellationToken)
    {
        _store = store;
        _key = key;
        _budget = budget;
        _first = first;
        _length = first.ContentLength;
        _etag = first.ETag;
        _ranges = (int)((_length + budget.PartSize - 1) / budget.PartSize);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        StartAhead();
    }

    /// <summary>Ranges fetched again after a failure (tests).</summary>
    internal int Refetches => Volatile.Read(ref _refetches);

    private (long From, int Count) Bounds(int index)
    {
        var from = (long)index * _budget.PartSize;
        return (from, (int)Math.Min(_budget.PartSize, _length - from));
    }

    /// <summary>Starts the range the reader needs next, and up to Parallelism ranges in all while read-ahead tokens are free.</summary>
    private void StartAhead()
    {
        while (_started < _ranges && _ahead.Count < _budget.Parallelism)
        {
            var token = _ahead.Count > 0;
            if (token && !_budget.TryTakeReadAhead()) return;
            var index = _started++;
            _ahead.Enqueue((index == 0 ? Task.Run(FirstRangeAsync) : Task.Run(() => FetchAsync(index)), token));
        }
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_offset == _count && !NextRange(default).GetAwaiter().GetResult()) return 0;
        return Take(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        if (_offset == _count && !await NextRange(cancellationToken).ConfigureAwait(false)) return 0;
        return Take(buffer.Span);
    }

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _count - _offset);
        _current.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    /// <summary>Gives back the range read, waits for the next; false at the end of the object.</summary>
    private async Task<bool> NextRange(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_current != null) _budget.ReturnBuffer(_current);
        _current = null;
        if (_ahead.Count == 0) return false;
        var (next, token) = _ahead.Peek();
        _current = await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        _ = _ahead.Dequeue();
        if (token) _budget.ReturnReadAhead(); // the range is no longer ahead of the reader
        _offset = 0;
        _count = Bounds(_next++).Count;
        StartAhead();
        return true;
    }

    /// <summary>Range 0 from the body of the opening GET; fetched again as a range if that body breaks off.</summary>
    private async Task<byte[]> FirstRangeAsync()
    {
        var (_, count) = Bounds(0);
        var buffer = _budget.RentBuffer();
        try
        {
            try
            {
                await _first.ResponseStream.ReadExactlyAsync(buffer.AsMemory(0, count), _stop.Token).ConfigureAwait(false);
                return buffer;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException && !_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _refetches);
            }
            finally
            {
                // The rest of its body is left unread: the ranged GETs bring it.
                _first.Dispose();
            }
            await FillAsync(0, buffer).ConfigureAwait(false);
            return buffer;
        }
        catch
        {
            _budget.ReturnBuffer(buffer);
            throw;
        }
    }

    private async Task<byte[]> FetchAsync(int index)
    {
        var buffer = _budget.RentBuffer();
        try
        {
            await FillAsync(index, buffer).ConfigureAwait(false);
            return buffer;
        }
        catch
        {
            _budget.ReturnBuffer(buffer);
            throw;
        }
    }

    /// <summary>
    /// One ranged GET into <paramref name="buffer"/>, holding a slot of the store while it runs.
    /// A short or broken body is an IOException inside the request, so the retry policy fetches the range again.
    /// </summary>
    private async Task FillAsync(int index, byte[] buffer)
    {
        var (from, count) = Bounds(index);
        await _budget.TakeSlotAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            var attempt = 0;
            await _store.SendAsync(async (s3, ct) =>
            {
                if (attempt++ > 0) Interlocked.Increment(ref _refetches);
                GetObjectResponse response;
                try
                {
                    response = await s3.GetObjectAsync(new GetObjectRequest
                    {
                        BucketName = _store.S3Location.Bucket,
                        Key = _store.ObjectKey(_key),
                        ByteRange = new ByteRange(from, from + count - 1),
                        EtagToMatch = _etag,
                    }, ct).ConfigureAwait(false);
                }
                catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
                {
                    throw Changed(e);
                }
                using (response)
                {
                    if (_etag != null && response.ETag != _etag) throw Changed(null);
                    var expected = $"bytes {from}-{from + count - 1}/{_length}";
                    if (response.ContentLength != count || (response.ContentRange is { Length: > 0 } range && range != expected))
                        throw new IOException($"S3 answered the range {expected} of '{_key}' with {response.ContentLength} bytes ({response.ContentRange}).");
                    await response.ResponseStream.ReadExactlyAsync(buffer.AsMemory(0, count), ct).ConfigureAwait(false);
                }
                return true;
            }, _key, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _budget.ReleaseSlot();
        }
    }

    private PsBackupException Changed(Exception? inner) =>
        new("RepositoryObjectChanged", ErrorKind.InvalidData,
            $"'{_key}' in '{_store.Location}' changed while it was being read (its ETag is no longer {_etag}); read it again.", inner);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel(); // the ranges in flight stop now
            while (_ahead.Count > 0)
            {
                var (range, token) = _ahead.Dequeue();
                try
                {
                    _budget.ReturnBuffer(range.GetAwaiter().GetResult());
                }
                catch (Exception)
                {
                    // Cancelled or failed: it gave its buffer back itself.
                }
                if (token) _budget.ReturnReadAhead();
            }
            if (_current != null) _budget.ReturnBuffer(_current);
            _current = null;
            _first.Dispose();
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
