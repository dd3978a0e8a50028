using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// Streams an object to S3 with bounded memory: bytes fill a part buffer; full parts upload in
/// the background, at most Parallelism at once, as one multipart upload that is completed on
/// commit (the object appears whole) and aborted on dispose without commit. An object smaller
/// than one part is a single PUT. An upload owns at most Parallelism + 1 part buffers and reuses
/// them part after part, so a long backup does not leave a trail of dead 8 MiB buffers for the
/// garbage collector (nor parks them in a shared pool). Cancelling the write's token, or disposing
/// without commit, cancels the parts in flight at once, so Ctrl+C does not wait for them.
/// </summary>
internal sealed class S3UploadStream(S3ObjectStore store, string key, S3StoreOptions options, ObjectWriteSettings? settings, CancellationToken cancellationToken)
    : ObjectWriteStream
{
    private readonly CancellationTokenSource _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    private readonly SemaphoreSlim _slots = new(options.Parallelism);
    private readonly List<Task<PartETag>> _parts = [];
    private readonly Stack<byte[]> _free = new();
    private byte[] _buffer = new byte[options.PartSize];
    private int _filled;
    private string? _uploadId;
    private bool _done;

    public override string Key => key;

    private string Bucket => store.S3Location.Bucket;
    private string ObjectKey => store.ObjectKey(key);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, options.PartSize - _filled);
            buffer[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == options.PartSize)
                StartPart();
        }
    }

    private void StartPart()
    {
        _uploadId ??= store.SendAsync((s3, ct) => s3.InitiateMultipartUploadAsync(Apply(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey }), ct), key, _abort.Token)
            .GetAwaiter().GetResult().UploadId;
        _slots.Wait(_abort.Token); // back-pressure: at most Parallelism parts in flight
        var (part, length) = (_buffer, _filled);
        var number = _parts.Count + 1;
        lock (_free) _buffer = _free.Count > 0 ? _free.Pop() : new byte[options.PartSize];
        _filled = 0;
        _parts.Add(Task.Run(async () =>
        {
            try
            {
                var response = await store.SendAsync((s3, ct) => s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId, PartNumber = number, InputStream = Body(part, length),
                }, ct), key, _abort.Token).ConfigureAwait(false);
                return new PartETag(number, response.ETag);
            }
            finally
            {
                lock (_free) _free.Push(part); // before the slot: the writer takes a buffer after a slot
                _slots.Release();
            }
        }));
        // Surface a failed part now rather than after the whole object was streamed.
        var failed = _parts.FirstOrDefault(p => p.IsFaulted);
        failed?.GetAwaiter().GetResult();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_uploadId == null)
        {
            await store.SendAsync((s3, ct) => s3.PutObjectAsync(Apply(new PutObjectRequest { BucketName = Bucket, Key = ObjectKey, InputStream = Body(_buffer, _filled) }), ct),
                key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (_filled > 0) StartPart();
            var etags = await Task.WhenAll(_parts).ConfigureAwait(false);
            await store.SendAsync((s3, ct) => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId, PartETags = [.. etags],
            }, ct), key, cancellationToken).ConfigureAwait(false);
        }
        _done = true;
    }

    // PutObjectRequest and InitiateMultipartUploadRequest share these settings but no base type.
    private readonly S3StorageClass? _class = settings?.StorageClass is { } name ? S3StorageClass.FindValue(name) : null;
    private readonly ServerSideEncryptionMethod? _sse = settings?.ServerSideEncryption is { } sse ? ServerSideEncryptionMethod.FindValue(sse) : null;

    private List<Tag>? Tags() => settings?.Tags is { Count: > 0 } tags ? tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList() : null;

    private PutObjectRequest Apply(PutObjectRequest r)
    {
        (r.StorageClass, r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.TagSet) = (_class, _sse, settings?.KmsKeyId, Tags());
        return r;
    }

    private InitiateMultipartUploadRequest Apply(InitiateMultipartUploadRequest r)
    {
        (r.StorageClass, r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.TagSet) = (_class, _sse, settings?.KmsKeyId, Tags());
        return r;
    }

    /// <summary>A fresh stream over the buffered bytes for each attempt: a retry re-sends the whole body.</summary>
    private static MemoryStream Body(byte[] buffer, int length) => new(buffer, 0, length, writable: false);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            _abort.Cancel(); // the parts in flight stop now; the upload is aborted below
            try { Task.WhenAll(_parts).Wait(); } catch (Exception) { /* cancelled or already failing */ }
            if (_uploadId != null)
            {
                try
                {
                    store.SendAsync((s3, ct) => s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId }, ct), key, default)
                        .GetAwaiter().GetResult();
                }
                catch (PsBackupException)
                {
                    // Best effort: a bucket lifecycle rule for incomplete multipart uploads cleans up the rest.
                }
            }
        }
        if (disposing)
        {
            _slots.Dispose();
            _abort.Dispose();
        }
        base.Dispose(disposing);
    }
}
