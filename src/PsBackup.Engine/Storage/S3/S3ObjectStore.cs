using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Polly;

namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// A repository under an S3 bucket prefix. Objects become visible whole (a PUT, or a multipart
/// upload completed on commit), which is what the repository's manifest-last commit needs.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IBucketLifecycleStore
{
    private readonly IAmazonS3 _s3;
    private readonly S3Location _location;
    private readonly S3StoreOptions _options;
    private readonly ResiliencePipeline _resilience;
    private readonly S3PartBudget _parts;

    public S3ObjectStore(S3Location location, S3StoreOptions options)
    {
        _location = location;
        _options = options;
        var config = new AmazonS3Config
        {
            RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region),
            // Checksums only where S3 requires them: S3-compatible servers often reject the rest.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // Retries are S3Resilience's alone (not multiplied by the SDK's); HttpClient's timeout
            // is only a backstop behind its per-attempt timeout.
            MaxErrorRetry = 0,
            Timeout = options.RequestTimeout + TimeSpan.FromSeconds(5),
        };
        _resilience = S3Resilience.Create(options);
        _parts = new S3PartBudget(options.Parallelism, options.PartSize);
        if (options.Endpoint != null)
        {
            config.ServiceURL = options.Endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region;
        }
        _s3 = options.AccessKey != null
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public string Location => _location.ToString();

    public void Dispose()
    {
        _s3.Dispose();
        _parts.Dispose();
    }

    public S3Location S3Location => _location;

    /// <summary>The slots and part buffers this store's transfers share (tests look at them).</summary>
    internal S3PartBudget Parts => _parts;

    /// <summary>The S3 key of a repository key: refused unless it stays below the prefix, as the local store refuses it.</summary>
    internal string ObjectKey(string key) => _location.Prefix + Storage.ObjectKey.Validate(key);

    /// <summary>
    /// Every S3 request goes through here: one place for retries (S3Resilience) and error mapping.
    /// <paramref name="request"/> may run more than once, so it must build its request (and
    /// rewind any body stream) each time.
    /// </summary>
    internal async Task<T> SendAsync<T>(Func<IAmazonS3, CancellationToken, Task<T>> request, string? key, CancellationToken ct)
    {
        try
        {
            return await _resilience.ExecuteAsync(
                static (state, token) => new ValueTask<T>(state.request(state.s3, token)), (request, s3: _s3), ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e)
        {
            throw S3Errors.Map(e, _location, key);
        }
        catch (Exception e) when (S3Resilience.IsTransient(e, ct))
        {
            throw S3Errors.Unavailable(e, _location, _options.MaxRetries);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        Storage.ObjectKey.Validate(key);
        var response = await SendAsync((s3, ct) => s3.GetObjectAsync(_location.Bucket, ObjectKey(key), ct), key, cancellationToken).ConfigureAwait(false);
        // An object larger than a part comes as part-sized ranges in parallel; a smaller one is this one GET.
        return response.ContentLength > _parts.PartSize
            ? new S3RangedReadStream(this, key, _parts, response, cancellationToken)
            : new S3ReadStream(this, key, _options.MaxRetries, response);
    }

    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken cancellationToken) =>
        OpenWriteAsync(key, null, cancellationToken);

    public Task<ObjectWriteStream> OpenWriteAsync(string key, ObjectWriteSettings? settings, CancellationToken cancellationToken) =>
        Task.FromResult<ObjectWriteStream>(new S3UploadStream(this, Storage.ObjectKey.Validate(key), _parts, settings, cancellationToken));

    /// <summary>
    /// PUT with If-None-Match: * — atomic on AWS S3. S3-compatible servers that ignore the header
    /// (s3rver) get a HEAD first, which narrows but does not close the race.
    /// </summary>
    public async Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Storage.ObjectKey.Validate(key);
        if (await StatAsync(key, cancellationToken).ConfigureAwait(false) != null)
            return false;
        var body = content.ToArray();
        return await SendAsync(async (s3, ct) =>
        {
            try
            {
                await s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _location.Bucket,
                    Key = ObjectKey(key),
                    InputStream = new MemoryStream(body),
                    IfNoneMatch = "*",
                }, ct).ConfigureAwait(false);
                return true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                return false;
            }
        }, key, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ObjectEntry?> StatAsync(string key, CancellationToken cancellationToken)
    {
        Storage.ObjectKey.Validate(key);
        return await SendAsync(async (s3, ct) =>
        {
            try
            {
                var head = await s3.GetObjectMetadataAsync(_location.Bucket, ObjectKey(key), ct).ConfigureAwait(false);
                return new ObjectEntry(key, head.ContentLength, head.LastModified ?? DateTime.UtcNow);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                return null;
            }
        }, key, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = _location.Prefix + Storage.ObjectKey.ValidatePrefix(prefix) };
        while (true)
        {
            var page = await SendAsync((s3, ct) => s3.ListObjectsV2Async(request, ct), null, cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
                yield return new ObjectEntry(o.Key[_location.Prefix.Length..], o.Size ?? 0, o.LastModified ?? DateTime.UtcNow);
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>The bucket's whole lifecycle configuration (every rule, not only this repository's); no rules when it has none.</summary>
    Task<BucketLifecycle> IBucketLifecycleStore.GetBucketLifecycleAsync(CancellationToken cancellationToken) =>
        SendAsync(async (s3, ct) =>
        {
            try
            {
                var response = await s3.GetLifecycleConfigurationAsync(new GetLifecycleConfigurationRequest { BucketName = _location.Bucket }, ct).ConfigureAwait(false);
                return new BucketLifecycle(response.Configuration?.Rules ?? [], response.TransitionDefaultMinimumObjectSize);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchLifecycleConfiguration")
            {
                // AWSSDK.S3 4.0 already answers S3's 404 with an empty response; this is for SDKs that throw.
                return new BucketLifecycle([], null);
            }
        }, null, cancellationToken);

    /// <summary>Replaces the bucket's whole lifecycle configuration; no rules deletes it (S3 refuses an empty one).</summary>
    Task IBucketLifecycleStore.PutBucketLifecycleAsync(BucketLifecycle lifecycle, CancellationToken cancellationToken) =>
        SendAsync(async (s3, ct) =>
        {
            if (lifecycle.Rules.Count == 0)
                await s3.DeleteLifecycleConfigurationAsync(new DeleteLifecycleConfigurationRequest { BucketName = _location.Bucket }, ct).ConfigureAwait(false);
            else
                await s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
                {
                    BucketName = _location.Bucket,
                    Configuration = new LifecycleConfiguration { Rules = [.. lifecycle.Rules] },
                    // Kept as it was: left out, S3 would reset the bucket's setting to its default.
                    TransitionDefaultMinimumObjectSize = lifecycle.TransitionDefaultMinimumObjectSize,
                }, ct).ConfigureAwait(false);
            return true;
        }, null, cancellationToken);

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Storage.ObjectKey.Validate(key);
        await SendAsync(async (s3, ct) =>
        {
            try
            {
                await s3.DeleteObjectAsync(_location.Bucket, ObjectKey(key), ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
            }
            return true;
        }, key, cancellationToken).ConfigureAwait(false);
    }
}
