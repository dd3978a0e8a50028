using System.Collections;
using PsBackup.Engine;

namespace PsBackup.Completers;

/// <summary>Completes collection names (-Name, -Collection) from the repository in effect.</summary>
public sealed class CollectionNameCompleter : RepositoryCompleter
{
    private protected override async Task<IEnumerable<(string Text, string ToolTip)>> CandidatesAsync(BackupEngine engine, RepositoryAddress repository,
        IDictionary boundParameters, CancellationToken ct)
    {
        var collections = await engine.GetCollectionsAsync(repository, null, ct).ConfigureAwait(false);
        return collections.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Select(c => (c.Name, $"{c.Name}: {c.TargetCount} target(s){(c.IncrementalBackupEnabled ? ", incremental" : "")}{(c.Encrypted ? ", encrypted" : "")}"));
    }
}
