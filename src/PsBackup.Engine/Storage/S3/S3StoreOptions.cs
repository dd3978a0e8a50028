namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// How to reach S3. Credentials are never stored in the repository: they come from here (run
/// time) or, when absent, from the standard AWS chain (environment, profile, instance role).
/// </summary>
public sealed record S3StoreOptions
{
    public const string EndpointVariable = "PSBACKUP_S3_ENDPOINT";

    /// <summary>An S3-compatible endpoint (MinIO, s3rver …); null for AWS. Implies path-style addressing.</summary>
    public string? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }

    /// <summary>Multipart part size; S3 requires at least 5 MiB.</summary>
    public int PartSize { get; init; } = 8 << 20;

    /// <summary>
    /// Parts uploaded and ranges downloaded at once by one store, over all the objects it is
    /// moving: one large object gets them all, as TransferUtility's ConcurrentServiceRequests (10)
    /// does. Memory for uploads: (Parallelism + objects being written at once) × PartSize, e.g.
    /// (8 + 2 packs) × 8 MiB = 80 MiB; for reads of objects larger than a part:
    /// (Parallelism + 2 per read) × PartSize (the ranges ahead, shared; the one being read and the next).
    /// </summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>
    /// Retries of a request after a transient failure (throttling, 5xx, timeout, connection reset),
    /// with exponential backoff and jitter; 0 disables them. Also bounds how often a download
    /// resumes without making progress.
    /// </summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The first retry's delay; each further retry waits about twice as long (jittered).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one attempt of a request may take (for a one-GET download: until the response headers; for a range of a large read: its whole body).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Options from $env:PSBACKUP_S3_ENDPOINT and $env:AWS_REGION; credentials from the AWS chain.</summary>
    public static S3StoreOptions FromEnvironment() => new()
    {
        Endpoint = Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } endpoint ? endpoint : null,
        Region = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } region ? region : "us-east-1",
    };
}
