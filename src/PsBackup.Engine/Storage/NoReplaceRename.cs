using System.Runtime.InteropServices;

namespace PsBackup.Engine.Storage;

/// <summary>
/// Moves a finished temporary file to a name only if that name is free, atomically. .NET's
/// File.Move(overwrite: false) checks, then rename()s (measured with strace): two writers can
/// both "win" and the second silently replaces the first — wrong for locks and write-once
/// documents. renameat2(RENAME_NOREPLACE) does it in one step (Linux 3.15+: ext4, xfs, btrfs,
/// tmpfs); where a file system refuses it, link()+unlink() is equally atomic.
/// </summary>
internal static partial class NoReplaceRename
{
    private const int AtFdCwd = -100, RenameNoReplace = 1;
    private const int EPERM = 1, EEXIST = 17, EXDEV = 18, EINVAL = 22, ENOSYS = 38, EOPNOTSUPP = 95;

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    /// <summary>True when <paramref name="source"/> became <paramref name="destination"/>; false when the destination exists (source left in place).</summary>
    public static bool TryMove(string source, string destination)
    {
        if (!OperatingSystem.IsLinux())
            return FallbackMove(source, destination);
        if (RenameAt2(AtFdCwd, source, AtFdCwd, destination, RenameNoReplace) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        if (errno is not (EINVAL or ENOSYS or EOPNOTSUPP)) throw Failure("rename", errno, destination);

        if (Link(source, destination) == 0)
        {
            File.Delete(source);
            return true;
        }
        errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        if (errno is EPERM or EOPNOTSUPP or EXDEV) return FallbackMove(source, destination);
        throw Failure("link", errno, destination);
    }

    /// <summary>Check-then-rename: racy, used only where neither atomic call exists.</summary>
    private static bool FallbackMove(string source, string destination)
    {
        try
        {
            File.Move(source, destination, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(destination))
        {
            return false;
        }
    }

    private static IOException Failure(string call, int errno, string destination) =>
        new($"{call} to '{destination}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
}
