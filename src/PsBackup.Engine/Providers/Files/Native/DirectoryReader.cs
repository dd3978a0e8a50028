namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>One directory entry as readdir gives it: the name's bytes and its status.</summary>
internal sealed record DirectoryChild(byte[] Name, FileStatus Status);

/// <summary>Lists a directory by name bytes (opendir/readdir), with each child's statx.</summary>
internal static unsafe class DirectoryReader
{
    private const int NameOffset = 19;

    /// <summary>
    /// The children except "." and "..", in no particular order. A child that vanishes between
    /// readdir and statx is left out. Throws <see cref="NativeIOException"/> when the directory
    /// cannot be opened or read.
    /// </summary>
    public static List<DirectoryChild> Read(byte[] cPath, string displayPath)
    {
        IntPtr dir;
        fixed (byte* path = cPath)
            dir = LibC.OpenDir(path);
        if (dir == IntPtr.Zero) throw NativeError.Of("open directory", displayPath, LibC.Errno);
        try
        {
            var fd = LibC.DirFd(dir);
            var children = new List<DirectoryChild>();
            while (true)
            {
                var entry = LibC.ReadDir(dir);
                if (entry == null)
                {
                    var errno = LibC.Errno; // readdir leaves errno 0 at the end, sets it on an error
                    if (errno != 0) throw NativeError.Of("read directory", displayPath, errno);
                    return children;
                }
                var name = new ReadOnlySpan<byte>(entry + NameOffset, 256);
                name = name[..name.IndexOf((byte)0)];
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                var cName = new byte[name.Length + 1];
                name.CopyTo(cName);
                if (FileStatus.TryGet(fd, cName, out var status, out var statErrno))
                    children.Add(new DirectoryChild(cName[..^1], status));
                else if (statErrno != LibC.ENOENT)
                    throw NativeError.Of("stat", displayPath + "/" + FsName.FromBytes(name), statErrno);
            }
        }
        finally
        {
            LibC.CloseDir(dir);
        }
    }

    /// <summary>readlinkat: a symlink's target bytes.</summary>
    public static byte[] ReadLink(byte[] cPath, string displayPath)
    {
        for (var size = 256; ; size *= 4)
        {
            var buffer = new byte[size];
            nint n;
            fixed (byte* path = cPath)
            fixed (byte* b = buffer)
                n = LibC.ReadLinkAt(LibC.AtFdCwd, path, b, size);
            if (n < 0) throw NativeError.Of("read link", displayPath, LibC.Errno);
            if (n < size) return buffer[..(int)n];
        }
    }
}
