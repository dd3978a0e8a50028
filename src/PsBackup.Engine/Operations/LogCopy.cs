using System.Diagnostics;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Operations;

/// <summary>
/// Copy-Backup's part for continuously archived logs (kinds with <see cref="IArchivedLogCopy"/>):
/// after the backups, the log they need — or all of it — one result per stretch.
/// </summary>
internal static class LogCopy
{
    public static async IAsyncEnumerable<CopyOutcome> RunAsync(BackupRepository source, CollectionDefinition definition, byte[]? key, BackupRepository destination,
        CollectionDefinition destinationDefinition, IReadOnlyList<BackupManifest> backups, bool whole, TimeSpan lease, IProgress<BackupProgress>? progress,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var from = new CollectionScope(source, definition, key);
        var to = new CollectionScope(destination, destinationDefinition, key);
        async Task<IAsyncDisposable> LockAsync(CancellationToken token) =>
            await CollectionLock.AcquireAsync(destination.Store, destinationDefinition.Name, "Copy-Backup", lease, token).ConfigureAwait(false);
        foreach (var kind in Kinds(definition))
        {
            var clock = Stopwatch.StartNew();
            await foreach (var range in kind.CopyLogAsync(from, to, backups, whole, LockAsync, progress, ct).ConfigureAwait(false))
            {
                yield return new CopyOutcome(new CopyResult
                {
                    Collection = definition.Name,
                    SourceRepository = source.Location,
                    DestinationRepository = destination.Location,
                    LogRange = range.Label,
                    Status = range.Status,
                    ArtifactsCopied = range.FilesCopied,
                    ArtifactsSkipped = range.FilesSkipped,
                    BytesCopied = range.BytesCopied,
                    Duration = clock.Elapsed,
                    Message = range.Message,
                }, range.Error);
                clock.Restart();
            }
        }
    }

    private static IEnumerable<IArchivedLogCopy> Kinds(CollectionDefinition definition) =>
        definition.Targets.OfType<JObject>().Select(t => (string?)t["kind"]).Distinct()
            .Select(name => name != null && EngineKinds.TryFind(name, out var kind) ? kind as IArchivedLogCopy : null)
            .OfType<IArchivedLogCopy>();
}
