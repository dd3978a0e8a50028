using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Which backup each target of a collection is drilled from, and into what: with -Id that
/// backup; otherwise, per target, the newest committed backup holding a complete copy of it
/// (with -PointInTime, the newest that ended by then). Reads the repository, changes nothing.
/// </summary>
internal static class RestoreDrillPlanner
{
    /// <summary>The collections a request names (a name or a wildcard pattern), in name order.</summary>
    public static async Task<List<string>> CollectionsAsync(BackupRepository repository, string pattern, CancellationToken ct)
    {
        Names.ValidatePattern(pattern, "Collection");
        if (!Glob.HasWildcards(pattern))
            return [(await repository.GetCollectionAsync(pattern, ct).ConfigureAwait(false)).Name];
        var glob = new Glob(pattern, ignoreCase: true);
        var names = new List<string>();
        await foreach (var definition in repository.ListCollectionsAsync(ct).ConfigureAwait(false))
            if (glob.IsMatch(definition.Name)) names.Add(definition.Name);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public static async Task<RestoreDrillPlan> PlanAsync(BackupRepository repository, string collection, RestoreDrillRequest request, CancellationToken ct)
    {
        var definition = await repository.GetCollectionAsync(collection, ct).ConfigureAwait(false);
        var defined = CollectionAccess.Describe(definition, repository).Targets;
        foreach (var name in request.Targets ?? [])
            if (!defined.Any(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidBackupRequestException("UnknownTarget",
                    $"Collection '{collection}' has no target '{name}'. Its targets: {string.Join(", ", defined.Select(t => t.Name))}.") { TargetObject = name };
        var selected = defined.Where(t => request.Targets is not { Count: > 0 } || request.Targets.Contains(t.Name, StringComparer.OrdinalIgnoreCase)).ToList();

        var chosen = await ChooseAsync(repository, collection, selected, request, ct).ConfigureAwait(false);
        var steps = new List<RestoreDrillPlanStep>();
        foreach (var target in selected)
        {
            var backup = chosen.GetValueOrDefault(target.Name);
            var kind = EngineKinds.TryFind(target.Kind, out var k) ? k : null;
            var settings = Settings(request, target, "");
            var scratch = kind is IRestoreDrill drill ? drill.DescribeScratch(target, settings) : "(this kind has no restore drill)";
            steps.Add(new RestoreDrillPlanStep(backup?.Id ?? "", target.Name, target.Kind, SecretMasker.Hide(scratch), settings.Recovery?.ToString()));
        }
        return new RestoreDrillPlan(collection, steps);
    }

    /// <summary>
    /// The backup each target is drilled from: with -Id that one for every target; otherwise the
    /// newest (ended by -PointInTime) holding a complete copy of the target. Damaged backups are not
    /// drilled (Test-Backup reports them). Manifests are read newest first, only until every target has one.
    /// </summary>
    private static async Task<Dictionary<string, BackupManifest>> ChooseAsync(BackupRepository repository, string collection,
        List<BackupTarget> targets, RestoreDrillRequest request, CancellationToken ct)
    {
        var chosen = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        if (request.Id != null)
        {
            BackupId.Validate(request.Id);
            var given = await repository.ReadManifestAsync(collection, request.Id, ct).ConfigureAwait(false);
            foreach (var target in targets) chosen[target.Name] = given;
            return chosen;
        }
        var history = new BackupHistory(repository, collection, await repository.ScanBackupFoldersAsync(collection, ct).ConfigureAwait(false));
        await foreach (var backup in history.NewestFirstAsync(ct).ConfigureAwait(false))
        {
            if (request.PointInTime is { } time && backup.EndTime > time) continue;
            foreach (var target in targets)
                if (!chosen.ContainsKey(target.Name) && backup.Targets.Exists(t => t.Name == target.Name && t.Status == TargetStatus.Complete))
                    chosen[target.Name] = backup;
            if (chosen.Count == targets.Count) break;
        }
        return chosen;
    }

    /// <summary>What a target's kind is told about the drill; point-in-time kinds recover to the end of the archived log unless -PointInTime says otherwise.</summary>
    public static DrillSettings Settings(RestoreDrillRequest request, BackupTarget target, string drillId) => new()
    {
        DrillId = drillId,
        DrillServer = request.DrillServer,
        Credential = request.Credentials.For(target.Name),
        VerifyQuery = request.VerifyQuery,
        KeepRestored = request.KeepRestored,
        Recovery = EngineKinds.TryFind(target.Kind, out var kind) && kind is IPointInTimeRecovery
            ? request.PointInTime is { } time ? new RecoveryTarget { Time = time } : new RecoveryTarget { EndOfArchive = true }
            : null,
    };
}
