namespace PsBackup.Engine.Storage.S3;

/// <summary>
/// A store in a bucket that has a lifecycle configuration (S3): the bucket-wide rules can be read
/// and replaced. The store only carries them; which rules a repository needs is decided where the
/// repository's layout is known (Repository/RepositoryLifecycleRules).
/// </summary>
internal interface IBucketLifecycleStore : IObjectStore
{
    /// <summary>The bucket and the repository's prefix in it.</summary>
    S3Location S3Location { get; }

    /// <summary>The bucket's whole lifecycle configuration (every rule, not only this repository's); no rules when it has none.</summary>
    Task<BucketLifecycle> GetBucketLifecycleAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the bucket's whole lifecycle configuration; no rules deletes it.</summary>
    Task PutBucketLifecycleAsync(BucketLifecycle lifecycle, CancellationToken cancellationToken);
}
