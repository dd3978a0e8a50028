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

    /// <summary>rm -rf of a path (without NUL) that this process created; a missing path is fine.</summary>
    public static void Delete(byte[] path)
    {
        var cPath = (byte[])[.. path, 0];
        if (!FileStatus.TryGet(cPath, out var status, out _)) return;
        if (!status.IsDirectory)
        {
            PathOps.Unlink(cPath);
            return;
        }
        PathOps.Chmod(cPath, PrivateDirectory); // a read-only directory's entries could not be removed
        foreach (var child in DirectoryReader.Read(cPath, FsName.FromBytes(path)))
            Delete([.. path, (byte)'/', .. child.Name]);
        var errno = PathOps.RmDir(cPath);
        if (errno is not (0 or LibC.ENOENT)) throw NativeError.Of("remove directory", FsName.FromBytes(path), errno);
    }
}
