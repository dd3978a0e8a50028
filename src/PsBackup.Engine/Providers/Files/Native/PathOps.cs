namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>Path calls on NUL-terminated name bytes. Each returns 0 or the errno; callers decide what is fatal.</summary>
internal static unsafe class PathOps
{
    public static int MkDir(byte[] path, uint mode)
    {
        fixed (byte* p = path) return LibC.MkDir(p, mode) == 0 ? 0 : LibC.Errno;
    }

    public static int Symlink(byte[] target, byte[] path)
    {
        fixed (byte* t = target)
        fixed (byte* p = path)
            return LibC.Symlink(t, p) == 0 ? 0 : LibC.Errno;
    }

    public static int Link(byte[] existing, byte[] path)
    {
        fixed (byte* e = existing)
        fixed (byte* p = path)
            return LibC.Link(e, p) == 0 ? 0 : LibC.Errno;
    }

    public static int Unlink(byte[] path)
    {
        fixed (byte* p = path) return LibC.Unlink(p) == 0 ? 0 : LibC.Errno;
    }

    public static int RmDir(byte[] path)
    {
        fixed (byte* p = path) return LibC.RmDir(p) == 0 ? 0 : LibC.Errno;
    }

    public static int Rename(byte[] from, byte[] to)
    {
        fixed (byte* f = from)
        fixed (byte* t = to)
            return LibC.Rename(f, t) == 0 ? 0 : LibC.Errno;
    }

    /// <summary>lchown: the path itself, a symlink included.</summary>
    public static int Chown(byte[] path, uint uid, uint gid)
    {
        fixed (byte* p = path) return LibC.FChownAt(LibC.AtFdCwd, p, uid, gid, LibC.AtSymlinkNoFollow) == 0 ? 0 : LibC.Errno;
    }

    /// <summary>All 12 permission bits (setuid, setgid and sticky included). Not for symlinks, whose mode Linux ignores.</summary>
    public static int Chmod(byte[] path, uint mode)
    {
        fixed (byte* p = path) return LibC.Chmod(p, mode) == 0 ? 0 : LibC.Errno;
    }

    /// <summary>Sets the modification time of the path itself (a symlink's own), leaving the access time.</summary>
    public static int SetMtime(byte[] path, PosixTime mtime)
    {
        var times = stackalloc LibC.Timespec[2];
        times[0] = new LibC.Timespec { Seconds = 0, Nanoseconds = LibC.UtimeOmit };
        times[1] = new LibC.Timespec { Seconds = mtime.Seconds, Nanoseconds = mtime.Nanoseconds };
        fixed (byte* p = path) return LibC.UtimensAt(LibC.AtFdCwd, p, times, LibC.AtSymlinkNoFollow) == 0 ? 0 : LibC.Errno;
    }
}
