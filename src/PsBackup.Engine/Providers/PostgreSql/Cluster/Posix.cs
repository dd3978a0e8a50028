using System.Runtime.InteropServices;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>The two POSIX calls .NET lacks: a restore run as root gives the files back to the cluster's owner, as tar does.</summary>
internal static partial class Posix
{
    public static bool IsRoot => !OperatingSystem.IsWindows() && geteuid() == 0;

    public static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0)
            throw new IOException($"Could not give '{path}' to uid {uid}, gid {gid} (errno {Marshal.GetLastPInvokeError()}).");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int owner, int group);
}
