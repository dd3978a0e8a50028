using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Warms the kernel's directory and inode caches ahead of the ordered walk. The walk reads one
/// directory at a time in path order, so on a cold cache it waits for the disk once per read, in
/// turn; a few threads listing the tree's directories (readdir + statx, results dropped) keep
/// several reads in flight, and the walk finds the metadata cached. Excluded directories and
/// symlinks are not followed; any error just leaves that part to the walk. What is held is the
/// directories found and not yet listed.
/// </summary>
internal sealed class MetadataPrefetch : IDisposable
{
    private const int Threads = 4; // reads in flight: waiting on the disk, not computing

    private readonly PathFilter _filter;
    private readonly Stack<(byte[] Directory, string Prefix)> _pending = new();
    private readonly object _lock = new();
    private int _busy;
    private bool _stopped;

    private MetadataPrefetch(byte[] root, PathFilter filter)
    {
        _filter = filter;
        _pending.Push((root, ""));
        for (var i = 0; i < Threads; i++)
            new Thread(Work) { IsBackground = true, Name = "PsBackup prefetch" }.Start();
    }

    /// <summary>Starts listing the tree under <paramref name="root"/> (name bytes, no NUL); dispose to stop.</summary>
    public static MetadataPrefetch Start(byte[] root, PathFilter filter) => new(root, filter);

    private void Work()
    {
        while (Next() is var (directory, prefix))
        {
            var found = new List<(byte[], string)>();
            try
            {
                foreach (var child in DirectoryReader.Read([.. directory, 0], prefix))
                {
                    if (!child.Status.IsDirectory) continue;
                    var path = prefix + FsName.FromBytes(child.Name);
                    if (!_filter.IsExcluded(path)) found.Add(([.. directory, (byte)'/', .. child.Name], path + "/"));
                }
            }
            catch (Exception)
            {
                // Vanished or unreadable: the walk reports it.
            }
            lock (_lock)
            {
                _busy--;
                foreach (var item in found) _pending.Push(item);
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>The next directory to list; null once all are listed or the prefetch is stopped.</summary>
    private (byte[], string)? Next()
    {
        lock (_lock)
        {
            while (!_stopped && _pending.Count == 0 && _busy > 0) Monitor.Wait(_lock);
            if (_stopped || _pending.Count == 0) return null;
            _busy++;
            return _pending.Pop();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            _pending.Clear();
            Monitor.PulseAll(_lock);
        }
    }
}
