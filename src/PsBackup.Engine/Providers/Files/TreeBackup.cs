using System.Threading.Channels;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// One file-tree backup as a pipeline with bounded queues, so memory does not grow with the
/// number of files: the walk yields entries in index order (<see cref="TreeScanner"/>), each is
/// judged against the base index read alongside (<see cref="ChangeDetection"/>), files to read go
/// to the pack writers, and the index is written in the same order as the entries come back from
/// them. At most <see cref="Window"/> entries are between the walk and the index at any time.
/// Files are read into up to <see cref="MaxPacks"/> packs written in parallel, one reading thread
/// each; the second and later packs start only once 16 MiB are queued (below that, parallelism
/// would not pay). The walk deals the files out, each to the pack with the fewest bytes still to
/// read, so every pack holds its files in index order.
/// </summary>
internal sealed class TreeBackup(TargetBackupContext context, FileTreeTarget target)
{
    private const int Window = 4096;
    private const int MaxPacks = 4;
    private const long SmallTarget = 16 << 20;

    private readonly List<(PackWriter Writer, Task Task)> _packs = [];
    private int _entries, _files, _hardLinks;
    private long _bytes;

    public async Task<JObject> RunAsync(CancellationToken ct)
    {
        var options = new ScanOptions(Xattrs: !target.NoXattrs, Ctime: target.UseCtime);
        var header = TreeScanner.Header(target.Path, options, context.Warn);
        var what = context.Base == null ? "" : $"Index of backup '{context.Base.Backup.Id}'";
        var links = HardLinkBytes.None;
        if (context.Base != null && (context.Base.Record.State?["hardLinks"] is not { } count || (long)count > 0))
        {
            await using var first = await context.OpenBaseArtifactAsync(FileTreeProvider.IndexArtifact, ct).ConfigureAwait(false);
            links = HardLinkBytes.Collect(first, what);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failed.Token;
        var ordered = Channel.CreateBounded<QueuedEntry>(new BoundedChannelOptions(Window) { SingleReader = true, SingleWriter = true });
        var progress = new ProgressReporter(context.Progress, $"Backing up '{target.Name}'", -1);
        var root = FsName.ToBytes(target.Path);
        void StartPack() => _packs.Add(NewPack(root, progress, failed));

        StartPack();
        ChangeDetection? changes = null;
        var index = Workers.Guard(context.WriteArtifactAsync(FileTreeProvider.IndexArtifact, stream => DedicatedThread.Run(() => WriteIndex(stream, header, ordered.Reader, token), token), token), failed);
        var walk = Workers.Guard(DedicatedThread.Run(() =>
        {
            using var baseStream = context.Base == null ? null : context.OpenBaseArtifactAsync(FileTreeProvider.IndexArtifact, token).GetAwaiter().GetResult();
            using var baseIndex = baseStream == null ? null : new FileIndexReader(baseStream, what);
            changes = new ChangeDetection(baseIndex?.Sorted(), links, target.UseCtime);
            using (changes)
            {
                long queued = 0;
                var packs = Math.Clamp(Environment.ProcessorCount, 1, MaxPacks);
                foreach (var entry in TreeScanner.Scan(target.Path, new PathFilter(target.Include, target.Exclude), options, context.Warn, token))
                {
                    var item = new QueuedEntry(entry, changes.Judge(entry));
                    DedicatedThread.Wait(ordered.Writer.WriteAsync(item, token));
                    if (item.Read == null) continue;
                    DedicatedThread.Wait(_packs.MinBy(p => p.Writer.Outstanding).Writer.EnqueueAsync(item, token));
                    if ((queued += entry.Size) >= SmallTarget)
                        while (_packs.Count < packs) StartPack();
                }
                changes.Finish();
            }
            ordered.Writer.Complete();
            foreach (var (pack, _) in _packs) pack.Queue.Writer.Complete();
        }, token), failed);

        await walk.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // the packs are all started once it ends
        await Workers.WhenAllAsync([walk, index, .. _packs.Select(p => p.Task)]).ConfigureAwait(false);
        progress.Complete();
        return new JObject
        {
            ["entries"] = _entries,
            ["files"] = _files,
            ["bytes"] = _bytes,
            ["bytesRead"] = _packs.Sum(p => p.Writer.BytesRead),
            ["added"] = changes!.Added,
            ["modified"] = changes.Modified,
            ["deleted"] = changes.Deleted,
            ["hardLinks"] = _hardLinks,
        };
    }

    private (PackWriter, Task) NewPack(byte[] root, ProgressReporter progress, CancellationTokenSource failed)
    {
        var name = $"{FileTreeProvider.PackPrefix}{_packs.Count}";
        var writer = new PackWriter(root, name, context, progress);
        return (writer, Workers.Guard(Task.Run(() => context.WriteArtifactAsync(name, pack => DedicatedThread.Run(() => writer.Write(pack, failed.Token), failed.Token), failed.Token), failed.Token), failed));
    }

    /// <summary>
    /// Writes the entries as they come, each file once its pack holds it. A file that vanished
    /// is left out, and so are the hard links naming it (they come after it).
    /// </summary>
    private void WriteIndex(Stream stream, FileIndexHeader header, ChannelReader<QueuedEntry> entries, CancellationToken ct)
    {
        using var index = new FileIndexWriter(stream, header);
        HashSet<string>? vanished = null;
        while (DedicatedThread.Wait(entries.WaitToReadAsync(ct)))
        {
            if (!entries.TryRead(out var item)) continue;
            var entry = item.Entry;
            if (item.Read != null && !item.Read.Task.WaitAsync(ct).GetAwaiter().GetResult())
            {
                (vanished ??= new(StringComparer.Ordinal)).Add(entry.Path);
                continue;
            }
            if (entry.Type == FileEntryType.Hardlink && vanished?.Contains(entry.Link!) == true)
            {
                context.Warn($"Skipped '{FsName.Display(entry.Path)}': '{FsName.Display(entry.Link!)}', the first path of its hard links, was deleted while the backup ran; the next backup reads it.");
                continue;
            }
            index.Add(entry);
            _entries++;
            _bytes += entry.Size;
            if (entry.Type == FileEntryType.File) _files++;
            else if (entry.Type == FileEntryType.Hardlink) _hardLinks++;
        }
    }
}
