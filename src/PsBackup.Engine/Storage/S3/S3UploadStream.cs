using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// Streams an object to S3 with bounded memory: bytes fill a part buffer; full parts upload in
/// the background, at most Parallelism at once, as one multipart upload that is completed on
/// commit (the object appears whole) and aborted on dispose without commit. An object smaller
/// than one part is a single PUT.
/// </summary>
internal sealed class S3UploadStream(S3ObjectStore store, string key, S3StoreOptions options, ObjectWriteSettings? settings) : ObjectWriteStream
{
    private readonly SemaphoreSlim _slots = new(options.Parallelism);
    private readonly List<Task<PartETag>> _parts = [];
    private MemoryStream _buffer = new(options.PartSize);
    private string? _uploadId;
    private bool _done;

    public override string Key => key;

    private string Bucket => store.S3Location.Bucket;
    private string ObjectKey => store.ObjectKey(key);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, options.PartSize - (int)_buffer.Length);
            _buffer.Write(buffer[..n]);
            buffer = buffer[n..];
            if (_buffer.Length == options.PartSize)
                StartPart();
        }
    }

    private void StartPart()
    {
        _uploadId ??= store.SendAsync((s3, ct) => s3.InitiateMultipartUploadAsync(Apply(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey }), ct), key, default)
            .GetAwaiter().GetResult().UploadId;
        _slots.Wait(); // back-pressure: at most Parallelism parts in flight
        var part = _buffer;
        part.Position = 0;
        var number = _parts.Count + 1;
        _buffer = new MemoryStream(options.PartSize);
        _parts.Add(Task.Run(async () =>
        {
            try
            {
                var response = await store.SendAsync((s3, ct) => s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId, PartNumber = number, InputStream = Body(part),
                }, ct), key, default).ConfigureAwait(false);
                return new PartETag(number, response.ETag);
            }
            finally
            {
                part.Dispose();
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
            await store.SendAsync((s3, ct) => s3.PutObjectAsync(Apply(new PutObjectRequest { BucketName = Bucket, Key = ObjectKey, InputStream = Body(_buffer) }), ct),
                key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (_buffer.Length > 0) StartPart();
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
    private static MemoryStream Body(MemoryStream buffer) => new(buffer.GetBuffer(), 0, (int)buffer.Length, writable: false);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            try { Task.WhenAll(_parts).Wait(); } catch (Exception) { /* already failing */ }
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
            _buffer.Dispose();
            _slots.Dispose();
        }
        base.Dispose(disposing);
    }
}
