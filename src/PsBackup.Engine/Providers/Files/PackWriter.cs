using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>A scanned entry on its way to the index; for a file to read, Read completes once a pack holds it (false: it vanished).</summary>
internal sealed class QueuedEntry(FileEntry entry, bool mustRead)
{
    public FileEntry Entry { get; } = entry;
    public TaskCompletionSource<bool>? Read { get; } = mustRead ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;
}

/// <summary>
/// Fills one pack: takes files from the shared queue in index order, appends their bytes, and
/// records pack, offset, size and SHA-256 in each entry as read. A file with fewer blocks than its
/// length is read by its data extents (SEEK_DATA/SEEK_HOLE): holes are recorded in the index,
/// never stored.
/// </summary>
internal sealed class PackWriter(byte[] root, string packName, TargetBackupContext context, ProgressReporter progress)
{
    private const int BufferSize = 1 << 17;

    private long _outstanding;

    /// <summary>Bytes of the files this pack stored.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Files for this pack, in index order.</summary>
    public Channel<QueuedEntry> Queue { get; } = Channel.CreateBounded<QueuedEntry>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });

    /// <summary>Bytes queued and not yet read: the next file goes to the pack with the fewest.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    public ValueTask EnqueueAsync(QueuedEntry item, CancellationToken ct)
    {
        Interlocked.Add(ref _outstanding, item.Entry.Size);
        return Queue.Writer.WriteAsync(item, ct);
    }

    /// <summary>Reads the queued files into the pack; a blocking loop, for a thread of its own.</summary>
    public void Write(Stream pack, CancellationToken ct)
    {
        var queue = Queue.Reader;
        var buffer = new byte[BufferSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (DedicatedThread.Wait(queue.WaitToReadAsync(ct)))
        {
            while (queue.TryRead(out var item))
            {
                ct.ThrowIfCancellationRequested();
                var size = item.Entry.Size;
                var stored = Read(item.Entry, pack, offset, buffer, hash, ct);
                Interlocked.Add(ref _outstanding, -size);
                if (stored < 0)
                {
                    item.Read!.SetResult(false);
                    continue;
                }
                offset += stored;
                BytesRead += stored;
                progress.ItemDone();
                item.Read!.SetResult(true);
            }
        }
    }

    /// <summary>Appends one file; the bytes stored, or -1 when it vanished.</summary>
    private long Read(FileEntry entry, Stream pack, long offset, byte[] buffer, IncrementalHash hash, CancellationToken ct)
    {
        using var file = Open(entry);
        if (file == null) return -1;
        var fd = NativeFile.Descriptor(file);
        var opened = FileStatus.Of(fd, entry.Path);
        var extents = opened.MayBeSparse ? NativeFile.DataExtents(file, opened.Size, entry.Path) : null;
        if (extents is [(0, var whole)] && whole == opened.Size) extents = null; // no hole after all
        long stored = 0, size;
        List<long>? kept = extents == null ? null : [];
        if (extents == null)
        {
            size = Copy(file, 0, long.MaxValue, buffer, hash, pack, entry.Path, ct); // to the end, whatever the length now
            stored = size;
        }
        else
        {
            size = opened.Size;
            foreach (var (at, length) in extents)
            {
                var n = Copy(file, at, length, buffer, hash, pack, entry.Path, ct);
                if (n > 0) kept!.AddRange([at, n]);
                stored += n;
                if (n < length) break; // shrank while read: the warning below says so
            }
            progress.Add(size - stored, entry.Path); // the holes count as done
        }
        var after = FileStatus.Of(fd, entry.Path);
        if (after.Mtime.ToDateTime() != entry.Mtime || after.Size != size)
            context.Warn($"'{FsName.Display(entry.Path)}' changed while it was read; the next backup reads it again.");
        (entry.Size, entry.Extents, entry.Sha256, entry.Backup, entry.Pack, entry.Offset) =
            (size, kept?.ToArray(), Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), context.BackupId, packName, offset);
        return stored;
    }

    /// <summary>Opens a file to read by its name bytes; null (with a warning) when it vanished or is no longer a regular file.</summary>
    private SafeFileHandle? Open(FileEntry entry)
    {
        var cPath = (byte[])[.. root, (byte)'/', .. FsName.ToBytes(entry.Path), 0];
        var file = NativeFile.TryOpenRead(cPath, out var errno);
        if (file == null)
        {
            if (errno is LibC.ENOENT or LibC.ENOTDIR or LibC.ELOOP)
            {
                context.Warn($"Skipped '{FsName.Display(entry.Path)}': it was deleted while the backup ran.");
                return null;
            }
            var message = $"Target '{context.Target.Name}': cannot read '{FsName.Display(FsName.FromBytes(cPath.AsSpan(0, cPath.Length - 1)))}' ({NativeError.Describe(errno)}).";
            throw errno is LibC.EACCES or LibC.EPERM
                ? new TargetUnavailableException(message + " Grant read access or exclude it.") { TargetObject = FsName.Display(entry.Path) }
                : NativeError.Of("open", entry.Path, errno);
        }
        if (FileStatus.Of(NativeFile.Descriptor(file), entry.Path).IsRegular) return file;
        file.Dispose();
        context.Warn($"Skipped '{FsName.Display(entry.Path)}': it is no longer a regular file.");
        return null;
    }

    /// <summary>Copies up to <paramref name="length"/> bytes from <paramref name="at"/> into the pack; returns how many there were.</summary>
    private long Copy(SafeFileHandle file, long at, long length, byte[] buffer, IncrementalHash hash, Stream pack, string path, CancellationToken ct)
    {
        long done = 0;
        while (done < length)
        {
            ct.ThrowIfCancellationRequested();
            var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), at + done);
            if (n == 0) break;
            hash.AppendData(buffer, 0, n);
            pack.Write(buffer, 0, n);
            done += n;
            progress.Add(n, path);
        }
        return done;
    }
}
