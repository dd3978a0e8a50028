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
internal sealed class S3UploadStream(S3ObjectStore store, string key, S3StoreOptions options) : ObjectWriteStream
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
        _uploadId ??= Call(() => store.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey }))
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
                var response = await Call(() => store.Client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId, PartNumber = number, InputStream = part,
                })).ConfigureAwait(false);
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
            _buffer.Position = 0;
            await Call(() => store.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = ObjectKey, InputStream = _buffer }, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            if (_buffer.Length > 0) StartPart();
            var etags = await Task.WhenAll(_parts).ConfigureAwait(false);
            await Call(() => store.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId, PartETags = [.. etags],
            }, cancellationToken)).ConfigureAwait(false);
        }
        _done = true;
    }

    private async Task<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (AmazonS3Exception e)
        {
            throw S3Errors.Map(e, store.S3Location, key);
        }
    }

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
                    store.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = ObjectKey, UploadId = _uploadId })
                        .GetAwaiter().GetResult();
                }
                catch (AmazonS3Exception)
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
