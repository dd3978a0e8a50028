using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>Get-BackupRun: which collections (a name or wildcard; all by default), which runs.</summary>
public sealed record RunQuery
{
    public RepositoryAddress? Repository { get; init; }
    public string? Collection { get; init; }

    /// <summary>Only runs that did not succeed (Partial, Failed, Cancelled).</summary>
    public bool Failed { get; init; }

    public RunOperation? Operation { get; init; }

    /// <summary>Only the newest N matching runs of each collection.</summary>
    public int? Last { get; init; }
}

/// <summary>What Get-BackupRun found: runs oldest first per collection, and the records that failed their checks.</summary>
public sealed record BackupRunRecords(List<BackupRun> Runs, List<PsBackupException> Damaged);

/// <summary>Reads run journals back: filters on the records' names, then reads only the records it returns.</summary>
internal static class RunHistory
{
    public static async Task<BackupRunRecords> QueryAsync(RunQuery query, CancellationToken ct)
    {
        if (query.Collection != null) Names.ValidatePattern(query.Collection, "Collection");
        if (query.Last is < 1)
            throw new InvalidBackupRequestException("InvalidLast", $"-Last must be 1 or more (got {query.Last}).");
        using var repository = await CollectionAccess.OpenRepositoryAsync(query.Repository, ct).ConfigureAwait(false);
        var runs = new List<BackupRun>();
        var damaged = new List<PsBackupException>();
        foreach (var collection in await RestoreDrillPlanner.CollectionsAsync(repository, query.Collection ?? "*", ct).ConfigureAwait(false))
        {
            var names = (await RunJournal.ListAsync(repository.Store, collection, ct).ConfigureAwait(false)).Records
                .Where(n => !query.Failed || n.Outcome != RunOutcome.Succeeded)
                .Where(n => query.Operation == null || n.Operation == query.Operation)
                .ToList();
            if (query.Last is { } last && names.Count > last)
                names = names[^last..];
            foreach (var name in names)
            {
                try
                {
                    runs.Add(ToRun(await RunJournal.ReadAsync(repository, collection, name, ct).ConfigureAwait(false), name, repository.Location));
                }
                catch (PsBackupException e) when (e is DocumentCorruptException or RepositoryFormatException)
                {
                    damaged.Add(e);
                }
                catch (ObjectNotFoundException)
                {
                    // pruned between the listing and the read
                }
            }
        }
        return new BackupRunRecords(runs, damaged);
    }

    public static BackupRun ToRun(RunRecord record, RunRecordName name, string repository) => new()
    {
        Id = name.Name,
        Collection = record.Collection,
        Repository = repository,
        Operation = record.Operation,
        Outcome = record.Outcome,
        StartTime = record.Started,
        EndTime = record.Ended,
        Duration = TimeSpan.FromSeconds(record.DurationSeconds),
        BackupId = record.BackupId,
        Target = record.Target,
        ErrorId = record.ErrorId,
        Message = record.Message,
        SizeBytes = record.Bytes,
        StoredBytes = record.StoredBytes,
        ItemCount = record.Items,
        FailedItemCount = record.FailedItems,
        RestoreDuration = Fact(record, "restoreDurationSeconds"),
        DataLoss = Fact(record, "dataLossSeconds"),
        Host = record.Host,
        User = record.User,
    };

    private static TimeSpan? Fact(RunRecord record, string name) =>
        record.Facts?.TryGetValue(name, out var seconds) == true ? TimeSpan.FromSeconds(seconds) : null;
}
