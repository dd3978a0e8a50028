using System.Runtime.InteropServices;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>The POSIX calls .NET lacks: a restore run as root gives the files back to the cluster's owner, as tar does; a drill reads that owner and signals the server it started.</summary>
internal static partial class Posix
{
    public static bool IsRoot => !OperatingSystem.IsWindows() && geteuid() == 0;

    public static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0)
            throw new IOException($"Could not give '{path}' to uid {uid}, gid {gid} (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>A path's owner and group (statx, not following a final symlink).</summary>
    public static unsafe (int Uid, int Gid) Owner(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (statx(-100, path, 0x100, 0x7FF, buffer) != 0) // AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS
            throw new IOException($"Could not read the owner of '{path}' (errno {Marshal.GetLastPInvokeError()}).");
        return ((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(buffer + 20, 4)),
            (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(buffer + 24, 4)));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Sends a signal (SIGQUIT 3: PostgreSQL's immediate shutdown; SIGKILL 9).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    public const int SigQuit = 3, SigKill = 9;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    /// <summary>
    /// Best effort (Linux): a pipe of <paramref name="bytes"/> instead of 64 KiB, so a child that
    /// streams a whole cluster through it wakes its reader a sixteenth as often.
    /// </summary>
    public static void TryGrowPipe(SafeHandle pipe, int bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        _ = fcntl((int)pipe.DangerousGetHandle(), 1031, bytes); // F_SETPIPE_SZ; capped by /proc/sys/fs/pipe-max-size
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int owner, int group);
}
