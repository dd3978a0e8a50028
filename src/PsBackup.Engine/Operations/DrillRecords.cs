using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>What Get-RestoreDrill found: the drills as results, oldest first, and the records that failed their checks.</summary>
public sealed record RestoreDrillRecords(List<RestoreDrillResult> Drills, List<PsBackupException> Damaged);

/// <summary>
/// The drill records of a repository read back (Get-RestoreDrill; Get-Backup's last drill; the DR
/// checks and metrics that come later read them through <see cref="BackupEngine.GetRestoreDrillsAsync"/>),
/// and the conversion between a record and the results the pipeline sees.
/// </summary>
internal static class DrillRecords
{
    public static async Task<RestoreDrillRecords> QueryAsync(RestoreDrillQuery query, CancellationToken ct)
    {
        if (query.Collection != null) Names.ValidatePattern(query.Collection, "Collection");
        if (query.BackupId != null) BackupId.Validate(query.BackupId);
        using var repository = await CollectionAccess.OpenRepositoryAsync(query.Repository, ct).ConfigureAwait(false);
        var drills = new List<RestoreDrillResult>();
        var damaged = new List<PsBackupException>();
        foreach (var collection in await RestoreDrillPlanner.CollectionsAsync(repository, query.Collection ?? "*", ct).ConfigureAwait(false))
        {
            var keys = (await DrillEvidence.ListAsync(repository, collection, ct).ConfigureAwait(false))
                .Where(k => query.BackupId == null || k.Backup == query.BackupId)
                .Where(k => query.Since == null || TimeOf(k.DrillId) >= query.Since.Value.AddSeconds(-1))
                .ToList();
            if (query.Latest && keys.Count > 0)
            {
                var newest = keys[^1].DrillId;
                keys = keys.Where(k => k.DrillId == newest).ToList();
            }
            foreach (var key in keys)
            {
                try
                {
                    var record = await DrillEvidence.ReadAsync(repository, key, ct).ConfigureAwait(false);
                    drills.AddRange(ToResults(record, repository.Location).Where(r => query.Since == null || r.StartTime >= query.Since));
                }
                catch (PsBackupException e) when (e is DocumentCorruptException or RepositoryFormatException or BackupNotFoundException)
                {
                    damaged.Add(e);
                }
            }
        }
        return new RestoreDrillRecords(drills, damaged);
    }

    /// <summary>Per backup of a collection, its newest readable drill record's end and outcome (Get-Backup's LastDrill* columns).</summary>
    public static async Task<Dictionary<string, (DateTimeOffset Time, DrillStatus Status)>> LatestByBackupAsync(BackupRepository repository, string collection,
        IReadOnlySet<string> backups, CancellationToken ct)
    {
        var latest = new Dictionary<string, (DateTimeOffset, DrillStatus)>(StringComparer.Ordinal);
        if (backups.Count == 0) return latest;
        foreach (var group in (await DrillEvidence.ListAsync(repository, collection, ct).ConfigureAwait(false)).Where(k => backups.Contains(k.Backup)).GroupBy(k => k.Backup))
            foreach (var key in group.Reverse())
            {
                try
                {
                    var record = await DrillEvidence.ReadAsync(repository, key, ct).ConfigureAwait(false);
                    latest[group.Key] = (record.EndTime, record.Status);
                    break;
                }
                catch (PsBackupException e) when (e is DocumentCorruptException or RepositoryFormatException or BackupNotFoundException)
                {
                    // Get-RestoreDrill reports it; here the previous record of the backup stands.
                }
            }
        return latest;
    }

    public static DrillTargetRecord ToRecord(RestoreDrillResult result) => new()
    {
        Name = result.Target,
        Kind = result.Kind,
        Status = result.Status,
        Reason = result.Reason,
        ErrorId = result.ErrorId.Length == 0 ? null : result.ErrorId,
        StartTime = result.StartTime,
        RestoreSeconds = result.RestoreDuration.TotalSeconds,
        DurationSeconds = result.Duration.TotalSeconds,
        RestoredPointInTime = result.RestoredPointInTime,
        DataLossSeconds = result.DataLoss?.TotalSeconds,
        Recovery = result.Recovery.Length == 0 ? null : result.Recovery,
        RestoredTo = result.RestoredTo,
        Kept = result.Kept,
        ChecksPassed = result.ChecksPassed,
        ChecksFailed = result.ChecksFailed,
        Checks = result.CheckList.Select(c => new DrillCheckRecord { Name = c.Name, Expected = c.Expected, Observed = c.Observed, Passed = c.Passed }).ToList(),
    };

    public static IEnumerable<RestoreDrillResult> ToResults(DrillRecord record, string repository) => record.Targets.Select(t => new RestoreDrillResult
    {
        DrillId = record.Id,
        Collection = record.Collection,
        Target = t.Name,
        Kind = t.Kind,
        BackupId = record.Backup,
        Repository = repository,
        StartTime = t.StartTime,
        RestoreDuration = Seconds(t.RestoreSeconds),
        Duration = Seconds(t.DurationSeconds),
        RestoredPointInTime = t.RestoredPointInTime,
        DataLoss = t.DataLossSeconds is { } loss ? Seconds(loss) : null,
        MaxRto = record.MaxRtoSeconds is { } rto ? Seconds(rto) : null,
        MaxRpo = record.MaxRpoSeconds is { } rpo ? Seconds(rpo) : null,
        Recovery = t.Recovery ?? "",
        ChecksPassed = t.ChecksPassed,
        ChecksFailed = t.ChecksFailed,
        Status = t.Status,
        Reason = t.Reason,
        ErrorId = t.ErrorId ?? "",
        RestoredTo = t.RestoredTo,
        Kept = t.Kept,
        CheckList = new((t.Checks ?? []).Select(c => new RestoreDrillCheck { Name = c.Name, Expected = c.Expected, Observed = c.Observed, Passed = c.Passed })),
    });

    /// <summary>Seconds as written back to a TimeSpan (to the tick; a record's doubles round-trip to well under a microsecond).</summary>
    private static TimeSpan Seconds(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static DateTimeOffset TimeOf(string drillId) =>
        DateTimeOffset.ParseExact(drillId[..19], "yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
