using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Follows an incremental's parents to its full backup, and refuses at once a chain that cannot
/// be one: a parent that is missing, or a loop (a manifest that is, or leads back to, its own
/// ancestor). Every reader of a chain goes through here: Test-Backup, Restore-Backup, the base of
/// Invoke-Backup -Incremental, Copy-Backup, retention.
/// </summary>
internal static class BackupChain
{
    /// <summary>The backups <paramref name="id"/> needs, full first, itself last. <paramref name="lookup"/> returns null for a missing backup.</summary>
    public static async Task<List<BackupManifest>> ResolveAsync(string id, Func<string, Task<BackupManifest?>> lookup)
    {
        var chain = new List<BackupManifest>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var next = id; ;)
        {
            if (!seen.Add(next))
                throw new ChainBrokenException($"Backup '{id}' cannot be used: its chain loops back to backup '{next}' (its parents were edited). It is not trusted.") { TargetObject = next };
            var manifest = await lookup(next).ConfigureAwait(false);
            if (manifest == null)
                throw chain.Count == 0
                    ? new BackupNotFoundException($"Backup '{id}' does not exist (or was never committed).") { TargetObject = id }
                    : new ChainBrokenException($"Backup '{id}' cannot be used: its chain is broken, parent backup '{next}' of '{chain[^1].Id}' is missing.") { TargetObject = next, MissingBackupId = next };
            chain.Add(manifest);
            if (manifest.Type == BackupType.Full) break;
            next = manifest.Parent!; // an incremental's parent is checked on read (ManifestValidator)
        }
        chain.Reverse();
        return chain;
    }

    /// <summary>The chain from a listing: a parent that is listed as damaged fails with its own error, not as missing.</summary>
    public static List<BackupManifest> Resolve(string id, BackupScan scan)
    {
        var backups = scan.Backups.ToDictionary(b => b.Manifest.Id, b => b.Manifest, StringComparer.Ordinal);
        var damaged = scan.Damaged.ToDictionary(d => d.Id, d => d.Error, StringComparer.Ordinal);
        return ResolveAsync(id, next => damaged.TryGetValue(next, out var error)
            ? Task.FromException<BackupManifest?>(error)
            : Task.FromResult(backups.GetValueOrDefault(next))).GetAwaiter().GetResult();
    }

    /// <summary>Every backup of a listing that is in a loop of parents (a loop is never a valid chain); empty when there is none.</summary>
    public static List<string> Loops(IReadOnlyDictionary<string, BackupManifest> backups)
    {
        var looping = new List<string>();
        foreach (var id in backups.Keys)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var next = id; next != null && backups.TryGetValue(next, out var m) && m.Type == BackupType.Incremental; next = m.Parent)
                if (!seen.Add(next))
                {
                    looping.Add(id);
                    break;
                }
        }
        return looping;
    }
}
