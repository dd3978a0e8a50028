using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Restores a backup target by target, each as of that backup (the provider walks the chain).
/// With one target, -Destination is that target's destination; with several, each target goes
/// to a sub-folder named after it. A failing target does not stop the others.
/// </summary>
internal static class RestoreRunner
{
    public static async IAsyncEnumerable<RestoreOutcome> RunAsync(RestoreRequest request, IProgress<BackupProgress>? progress, [EnumeratorCancellation] CancellationToken ct)
    {
        request.Recovery?.Validate();
        var id = request.Recovery == null ? request.Id : await Providers.PostgreSql.Cluster.RecoveryBaseChooser.ChooseAsync(request, ct).ConfigureAwait(false);
        var backup = await OpenedBackup.OpenAsync(request.Repository, request.Collection, id, request.Passphrase, ct).ConfigureAwait(false);
        var head = backup.Head;
        var targets = CollectionAccess.Describe(backup.Definition, backup.Repository).Targets.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        var selected = head.Targets.Where(t => request.Targets is not { Count: > 0 } || request.Targets.Contains(t.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (var name in request.Targets ?? [])
            if (!head.Targets.Exists(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidBackupRequestException("UnknownTarget", $"Backup '{head.Id}' has no target '{name}'. Its targets: {string.Join(", ", head.Targets.Select(t => t.Name))}.");

        foreach (var record in selected)
        {
            RestoreOutcome outcome;
            TargetRestoreContext? context = null;
            try
            {
                if (record.Status != TargetStatus.Complete)
                    throw new BackupNotFoundException($"Target '{record.Name}' failed in backup '{head.Id}' ({record.Error}); restore it from another backup.") { TargetObject = head.Id };
                if (request.Recovery != null && record.Kind != TargetKind.PostgreSqlCluster)
                    throw new InvalidBackupRequestException("RecoveryTargetNotSupported",
                        $"Target '{record.Name}' is a {record.Kind} target: -PointInTime, -TargetLsn and -EndOfArchive apply to PostgreSQL cluster targets only; restore it with -Target and without them.");
                var target = targets.TryGetValue(record.Name, out var defined) ? defined : throw new IntegrityException($"Collection '{head.Collection}' no longer defines target '{record.Name}'.");
                context = new TargetRestoreContext(backup.Reader, backup.Chain, target, request.Destination, request.Force, progress,
                    DestinationPath(request, record, selected.Count), request.Credentials.For(record.Name), request.Recovery)
                {
                    KeyPrefix = request.KeyPrefix,
                    DatabaseMap = request.DatabaseMap,
                    ThrottleLimit = request.ThrottleLimit,
                    TablePrefix = request.TablePrefix,
                    FileTree = request.FileTree,
                };
                outcome = new RestoreOutcome(record.Name, await ProviderRegistry.For(record.Kind).RestoreAsync(context, ct).ConfigureAwait(false), null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                outcome = new RestoreOutcome(record.Name, null, CollectionAccess.AsPsBackupError(e, record.Name, restoring: true));
            }
            yield return outcome with { Warnings = context?.Warnings ?? [] };
        }
    }

    /// <summary>With several targets, each file-system target goes to a sub-directory of -Destination named after it.</summary>
    private static string? DestinationPath(RestoreRequest request, TargetRecord record, int targetCount)
    {
        if (request.Destination == null) return null;
        var path = request.DestinationPath ?? Path.GetFullPath(request.Destination);
        return targetCount > 1 && record.Kind is TargetKind.FileTree or TargetKind.PostgreSqlCluster or TargetKind.Redis ? Path.Combine(path, record.Name) : path;
    }
}
