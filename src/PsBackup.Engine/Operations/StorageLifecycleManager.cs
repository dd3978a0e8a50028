using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Reading and changing PsBackup's bucket lifecycle rules for an S3 repository. The bucket's
/// lifecycle is one document for all prefixes, so a change reads it, replaces only this
/// repository's rules and writes it back (two writers at once can lose one's change: S3 has no
/// conditional write for it). S3 applies the rules itself, daily and asynchronously.
/// </summary>
internal static class StorageLifecycleManager
{
    public static async Task<StorageLifecycle> GetAsync(RepositoryAddress? repository, CancellationToken ct)
    {
        using var store = await OpenAsync(repository, ct).ConfigureAwait(false);
        var bucket = await Guard(() => store.GetBucketLifecycleAsync(ct)).ConfigureAwait(false);
        return RepositoryLifecycleRules.Describe(store.S3Location, bucket.Rules);
    }

    /// <summary>What <see cref="SetAsync"/> would do; changes nothing. <paramref name="policy"/> null: remove PsBackup's rules.</summary>
    public static async Task<StorageLifecyclePlan> PlanAsync(RepositoryAddress? repository, LifecyclePolicy? policy, CancellationToken ct)
    {
        policy?.Validate(); // before any request
        using var store = await OpenAsync(repository, ct).ConfigureAwait(false);
        return await PlanOnStoreAsync(store, policy, ct).ConfigureAwait(false);
    }

    /// <summary>Writes this repository's rules (or removes them, for a null policy), keeping every other rule of the bucket; returns the lifecycle as read back.</summary>
    public static async Task<StorageLifecycle> SetAsync(RepositoryAddress? repository, LifecyclePolicy? policy, CancellationToken ct)
    {
        policy?.Validate(); // before any request
        using var store = await OpenAsync(repository, ct).ConfigureAwait(false);
        var plan = await PlanOnStoreAsync(store, policy, ct).ConfigureAwait(false);
        await Guard(() => store.PutBucketLifecycleAsync(plan.Bucket, ct)).ConfigureAwait(false);
        var bucket = await Guard(() => store.GetBucketLifecycleAsync(ct)).ConfigureAwait(false);
        return RepositoryLifecycleRules.Describe(store.S3Location, bucket.Rules);
    }

    private static async Task<StorageLifecyclePlan> PlanOnStoreAsync(IBucketLifecycleStore store, LifecyclePolicy? policy, CancellationToken ct)
    {
        var current = await Guard(() => store.GetBucketLifecycleAsync(ct)).ConfigureAwait(false);
        var prefix = store.S3Location.Prefix;
        var ours = policy == null ? [] : RepositoryLifecycleRules.Build(prefix, policy);
        var rules = RepositoryLifecycleRules.Merge(current.Rules, prefix, ours);
        return new StorageLifecyclePlan(
            RepositoryLifecycleRules.Describe(store.S3Location, current.Rules),
            RepositoryLifecycleRules.Describe(store.S3Location, rules),
            rules.Count - ours.Count)
        {
            Bucket = current with { Rules = rules },
        };
    }

    /// <summary>The repository's S3 store; it must be an existing repository (a typo in the prefix must not get rules of its own).</summary>
    private static async Task<IBucketLifecycleStore> OpenAsync(RepositoryAddress? repository, CancellationToken ct)
    {
        var objects = RepositoryLocation.OpenStore(repository);
        if (objects is not IBucketLifecycleStore store)
        {
            objects.Dispose();
            throw new InvalidBackupRequestException("LifecycleRequiresS3",
                $"'{RepositoryLocation.Resolve(repository?.Location)}' is not an S3 repository: storage lifecycle rules are an S3 bucket feature (use -Repository s3://bucket/prefix).");
        }
        await BackupRepository.OpenAsync(objects, create: false, ct).ConfigureAwait(false); // checks it is a repository (disposes the store if not); the caller disposes it
        return store;
    }

    /// <summary>Says which permissions lifecycle calls need when S3 refuses them.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (PsBackupException e) when (e.ErrorId == "RepositoryAccessDenied")
        {
            throw new PsBackupException(e.ErrorId, e.Kind,
                e.Message + " Reading and changing the bucket lifecycle also needs s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration on the bucket.", e.InnerException);
        }
    }

    private static Task<bool> Guard(Func<Task> call) => Guard(async () => { await call().ConfigureAwait(false); return true; });
}
