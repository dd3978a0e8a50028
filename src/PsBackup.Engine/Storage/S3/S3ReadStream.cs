using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using PsBackup.Engine.Errors;
using PsBackup.Engine.IO;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// An object's bytes from one GetObject (objects up to a part; larger ones are read by
/// <see cref="S3RangedReadStream"/>) that survive a broken download: when reading the body fails
/// (connection reset, premature end), the rest is requested again with a Range from the current
/// position — If-Match the first response's ETag, and checked against it, so an object replaced
/// meanwhile fails instead of splicing two versions. Gives up after MaxRetries resumes in a row
/// that made no progress.
/// </summary>
internal sealed class S3ReadStream : ReadOnlyStream
{
    private readonly S3ObjectStore _store;
    private readonly string _key;
    private readonly int _maxResumes;
    private readonly long _length;
    private readonly string? _etag;
    private GetObjectResponse _response;
    private long _position;
    private int _failures;

    public S3ReadStream(S3ObjectStore store, string key, int maxResumes, GetObjectResponse response)
    {
        _store = store;
        _key = key;
        _maxResumes = maxResumes;
        _response = response;
        _length = response.ContentLength;
        _etag = response.ETag;
    }

    /// <summary>How often this stream resumed a broken download.</summary>
    public int Resumes { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            Exception failure;
            try
            {
                var n = _response.ResponseStream.Read(buffer);
                if (Advance(n)) return n;
                failure = new IOException($"The download of '{_key}' ended at byte {_position} of {_length}.");
            }
            catch (Exception e) when (IsBrokenBody(e))
            {
                failure = e;
            }
            ResumeAsync(failure, default).GetAwaiter().GetResult();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            Exception failure;
            try
            {
                var n = await _response.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (Advance(n)) return n;
                failure = new IOException($"The download of '{_key}' ended at byte {_position} of {_length}.");
            }
            catch (Exception e) when (IsBrokenBody(e) && !cancellationToken.IsCancellationRequested)
            {
                failure = e;
            }
            await ResumeAsync(failure, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts <paramref name="n"/> bytes read; false when the body ended before the object did.</summary>
    private bool Advance(int n)
    {
        if (n == 0) return _position >= _length;
        _position += n;
        _failures = 0;
        return true;
    }

    private static bool IsBrokenBody(Exception e) => e is IOException or HttpRequestException or System.Net.Sockets.SocketException;

    private async Task ResumeAsync(Exception failure, CancellationToken cancellationToken)
    {
        if (++_failures > _maxResumes)
            throw new PsBackupException("RepositoryUnavailable", ErrorKind.ResourceUnavailable,
                $"The download of '{_key}' from '{_store.Location}' broke off at byte {_position} of {_length} and could not be resumed: {failure.Message}", failure);
        _response.Dispose();
        var from = _position;
        _response = await _store.SendAsync(async (s3, ct) =>
        {
            try
            {
                return await s3.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = _store.S3Location.Bucket,
                    Key = _store.ObjectKey(_key),
                    ByteRange = new ByteRange(from, _length - 1),
                    EtagToMatch = _etag,
                }, ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw Changed(e);
            }
        }, _key, cancellationToken).ConfigureAwait(false);
        if (_etag != null && _response.ETag != _etag)
        {
            _response.Dispose();
            throw Changed(null);
        }
        Resumes++;
    }

    private PsBackupException Changed(Exception? inner) =>
        new("RepositoryObjectChanged", ErrorKind.InvalidData,
            $"'{_key}' in '{_store.Location}' changed while it was being read (its ETag is no longer {_etag}); read it again.", inner);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _response.Dispose();
        base.Dispose(disposing);
    }
}
