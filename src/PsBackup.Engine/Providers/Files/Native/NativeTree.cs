using System.Collections.Concurrent;

namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>Whole-tree operations by name bytes: create a directory with its parents, delete a tree.</summary>
internal static class NativeTree
{
    private const uint PrivateDirectory = 0x1C0; // 0700 until the directory's own mode is applied

    /// <summary>mkdir -p of a path (without NUL).</summary>
    public static void CreateDirectory(byte[] path, string displayPath)
    {
        var errno = PathOps.MkDir([.. path, 0], PrivateDirectory);
        if (errno is 0) return;
        if (errno == LibC.EEXIST)
        {
            if (FileStatus.TryGet([.. path, 0], out var status, out _) && status.IsDirectory) return;
            throw NativeError.Of("create directory", displayPath, LibC.ENOTDIR);
        }
        var slash = Array.LastIndexOf(path, (byte)'/');
        if (errno != LibC.ENOENT || slash <= 0) throw NativeError.Of("create directory", displayPath, errno);
        CreateDirectory(path[..slash], displayPath);
        errno = PathOps.MkDir([.. path, 0], PrivateDirectory);
        if (errno is not (0 or LibC.EEXIST)) throw NativeError.Of("create directory", displayPath, errno);
    }

    /// <summary>
    /// rm -rf of a path (without NUL) that this process created; a missing path is fine. One
    /// thread walks the tree while <see cref="Unlinkers"/> threads unlink its files: on a file
    /// system that discards freed blocks at once (ext4 mounted with <c>discard</c>), an unlink
    /// waits for the device, so one thread spends most of a large tree's removal waiting
    /// (measured, 10,000 files of 0.5 GB: 23–28 s by one thread, 2.4 s by eight). Directories go
    /// last, deepest first.
    /// </summary>
    public static void Delete(byte[] path)
    {
        var cPath = (byte[])[.. path, 0];
        if (!FileStatus.TryGet(cPath, out var status, out _)) return;
        if (!status.IsDirectory)
        {
            PathOps.Unlink(cPath);
            return;
        }
        var directories = new List<byte[]>(); // each after its parent
        using (var files = new BlockingCollection<byte[]>(boundedCapacity: 4096))
        {
            var unlinkers = Enumerable.Range(0, Unlinkers).Select(_ => DedicatedThread.Run(() =>
            {
                foreach (var file in files.GetConsumingEnumerable()) PathOps.Unlink(file);
            })).ToArray();
            try
            {
                var pending = new Stack<byte[]>([path]);
                while (pending.TryPop(out var directory))
                {
                    var cDirectory = (byte[])[.. directory, 0];
                    PathOps.Chmod(cDirectory, PrivateDirectory); // a read-only directory's entries could not be removed
                    directories.Add(directory);
                    foreach (var child in DirectoryReader.Read(cDirectory, FsName.FromBytes(directory)))
                    {
                        byte[] childPath = [.. directory, (byte)'/', .. child.Name];
                        if (child.Status.IsDirectory) pending.Push(childPath);
                        else files.Add([.. childPath, 0]);
                    }
                }
            }
            finally
            {
                files.CompleteAdding();
                Task.WaitAll(unlinkers);
            }
        }
        for (var i = directories.Count - 1; i >= 0; i--)
        {
            var errno = PathOps.RmDir([.. directories[i], 0]);
            if (errno is not (0 or LibC.ENOENT)) throw NativeError.Of("remove directory", FsName.FromBytes(directories[i]), errno);
        }
    }

    /// <summary>Threads unlinking at once: the waits are the device's, not the CPU's.</summary>
    private const int Unlinkers = 8;
}
