using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// Streams an object to S3 with bounded memory: bytes fill a part buffer; full parts upload in
/// the background as one multipart upload that is completed on commit (the object appears whole)
/// and aborted on dispose without commit. An object smaller than one part is a single PUT. Slots
/// for parts in flight and the part buffers come from the store's <see cref="S3PartBudget"/>, so
/// one large object uploads Parallelism parts at once and concurrent uploads share them.
/// Cancelling the write's token, or disposing without commit, cancels the parts in flight at
/// once, so Ctrl+C does not wait for them.
/// </summary>
internal sealed class S3UploadStream(S3ObjectStore store, string key, S3PartBudget budget, ObjectWriteSettings? settings, CancellationToken cancellationToken)
    : ObjectWriteStream
{
    private readonly CancellationTokenSource _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    private readonly List<Task<PartETag>> _parts = [];
    private byte[]? _buffer; // rented at the first byte, given back on commit or dispose
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
            _buffer ??= budget.RentBuffer();
            var n = Math.Min(buffer.Length, budget.PartSize - _filled);
            buffer[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == budget.PartSize)
                StartPart();
        }
    }

    private void StartPart()
    {
        _uploadId ??= store.SendAsync((s3, ct) => s3.InitiateMultipartUploadAsync(Apply(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey }), ct), key, _abort.Token)
            .GetAwaiter().GetResult().UploadId;
        budget.TakeSlot(_abort.Token); // back-pressure: at most Parallelism parts in flight in the store
        var (part, length) = (_buffer!, _filled);
        var number = _parts.Count + 1;
        (_buffer, _filled) = (null, 0);
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
                budget.ReturnBuffer(part); // before the slot: a writer takes a buffer after a slot
                budget.ReleaseSlot();
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
            await store.SendAsync((s3, ct) => s3.PutObjectAsync(Apply(new PutObjectRequest { BucketName = Bucket, Key = ObjectKey, InputStream = Body(_buffer ?? [], _filled) }), ct),
                key, cancellationToken).ConfigureAwait(false);
            GiveBackBuffer();
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

    private void GiveBackBuffer()
    {
        if (_buffer != null) budget.ReturnBuffer(_buffer);
        _buffer = null;
    }

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
            GiveBackBuffer();
            _abort.Dispose();
        }
        base.Dispose(disposing);
    }
}
