using PsBackup.Engine.Operations;

namespace PsBackup.Engine;

/// <summary>
/// The engine's front door: one method per cmdlet. Everything is async and cancellable,
/// reports progress through IProgress, and throws <see cref="Errors.PsBackupException"/>s.
/// </summary>
public sealed class BackupEngine(EngineOptions? options = null)
{
    private readonly EngineOptions _options = options ?? new EngineOptions();

    public Task<BackupCollectionInfo> NewCollectionAsync(NewCollectionRequest request, CancellationToken ct = default) =>
        new CollectionManager(_options).CreateAsync(request, ct);

    public Task<List<BackupCollectionInfo>> GetCollectionsAsync(RepositoryAddress? repository, string? namePattern, CancellationToken ct = default) =>
        new CollectionManager(_options).GetAsync(repository, namePattern, ct);

    public Task RemoveCollectionAsync(RepositoryAddress? repository, string name, CancellationToken ct = default) =>
        new CollectionManager(_options).RemoveAsync(repository, name, ct);

    public Task<BackupRunResult> InvokeBackupAsync(BackupRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new BackupRunner(_options).RunAsync(request, progress, ct);

    public Task<List<BackupInfo>> GetBackupsAsync(BackupQuery query, CancellationToken ct = default) =>
        BackupCatalog.QueryAsync(query, ct);

    public IAsyncEnumerable<RestoreOutcome> RestoreAsync(RestoreRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        RestoreRunner.RunAsync(request, progress, ct);

    public IAsyncEnumerable<ArtifactVerification> TestBackupAsync(VerifyRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        BackupVerifier.RunAsync(request, progress, ct);

    /// <summary>Copy-Backup: one result per backup considered, oldest first.</summary>
    public IAsyncEnumerable<CopyResult> CopyBackupAsync(CopyRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new BackupCopier(_options).RunAsync(request, progress, ct);

    public Task<BackupCollectionInfo> SetCollectionAsync(SetCollectionRequest request, CancellationToken ct = default) =>
        new CollectionManager(_options).SetAsync(request, ct);

    /// <summary>Set-Backup: pins/unpins or tags a backup.</summary>
    public Task<BackupInfo> SetBackupAsync(SetBackupRequest request, CancellationToken ct = default) =>
        new BackupLabeler(_options).SetAsync(request, ct);

    /// <summary>Invoke-RetentionPolicy's plan: one decision per backup and unfinished folder, oldest first; changes nothing.</summary>
    public Task<List<RetentionDecision>> PlanRetentionAsync(RetentionRequest request, CancellationToken ct = default) =>
        new RetentionRunner(_options).PlanAsync(request, ct);

    /// <summary>Applies retention under the collection's lock, deleting only the approved backup ids the fresh plan also deletes.</summary>
    public IAsyncEnumerable<RetentionDecision> ApplyRetentionAsync(RetentionRequest request, IReadOnlySet<string> approved,
        IProgress<BackupProgress>? progress = null, CancellationToken ct = default) =>
        new RetentionRunner(_options).ApplyAsync(request, approved, progress, ct);
}
