using System.Collections;
using PsBackup.Engine;
using PsBackup.Engine.Operations;

namespace PsBackup.Completers;

/// <summary>Completes backup ids (-Id), newest first, of the command line's -Collection when given, from the repository in effect.</summary>
public sealed class BackupIdCompleter : RepositoryCompleter
{
    private protected override async Task<IEnumerable<(string Text, string ToolTip)>> CandidatesAsync(BackupEngine engine, RepositoryAddress repository,
        IDictionary boundParameters, CancellationToken ct)
    {
        var backups = await engine.GetBackupsAsync(new BackupQuery { Repository = repository, Collection = Text(boundParameters, "Collection") }, ct).ConfigureAwait(false);
        return backups.OrderByDescending(b => b.StartTime)
            .Select(b => (b.Id, $"{b.Collection}: {b.Type}, {b.StartTime.ToLocalTime():yyyy-MM-dd HH:mm}, {b.Status}{(b.Pinned ? ", pinned" : "")}"));
    }
}
