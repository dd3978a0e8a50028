using System.Runtime.InteropServices;

namespace PsBackup.Engine;

/// <summary>
/// Lowers the calling thread's scheduling priority (Linux: its nice value, which is per thread
/// there) for work that only has to keep up, such as compressing frames: whenever a core is
/// contended, the threads that feed the backup (the source's reads, the database server itself
/// when it runs on the same host) run first, and compression fills the time they leave idle
/// instead of delaying them. Elsewhere, or where the call fails, the thread keeps its priority.
/// </summary>
internal static partial class BackgroundThreadPriority
{
    /// <summary>The nice value added: 5 (about a third of a normal thread's CPU share when both want a core).</summary>
    public const int Nice = 5;

    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    /// <summary>The calling thread's id for the scheduler (glibc 2.30 or later).</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int CurrentThreadId();

    /// <summary>Adds <see cref="Nice"/> to the calling thread's nice value; true when it did.</summary>
    public static bool LowerCurrentThread()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return false; // elsewhere the value is per process
            var thread = CurrentThreadId();
            Marshal.SetLastPInvokeError(0);
            var current = GetPriority(PrioProcess, thread);
            if (current == -1 && Marshal.GetLastPInvokeError() != 0) return false;
            return SetPriority(PrioProcess, thread, Math.Min(19, current + Nice)) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
