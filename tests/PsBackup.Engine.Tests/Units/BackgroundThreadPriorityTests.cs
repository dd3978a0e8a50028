namespace PsBackup.Engine.Tests.Units;

/// <summary>A thread that lowers its priority raises only its own nice value (Linux: per thread), by <see cref="BackgroundThreadPriority.Nice"/>.</summary>
public sealed class BackgroundThreadPriorityTests
{
    /// <summary>The nice value of one thread of this process, field 19 of /proc/self/task/TID/stat.</summary>
    private static int NiceOf(int thread)
    {
        var stat = File.ReadAllText($"/proc/self/task/{thread}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
    }

    [Fact]
    public void Lowering_the_current_thread_changes_its_nice_value_and_no_other_threads()
    {
        int caller = BackgroundThreadPriority.CurrentThreadId(), lowered = 0, before = 0, after = 0;
        var callerBefore = NiceOf(caller);
        var ok = false;
        var thread = new Thread(() =>
        {
            lowered = BackgroundThreadPriority.CurrentThreadId();
            before = NiceOf(lowered);
            ok = BackgroundThreadPriority.LowerCurrentThread();
            after = NiceOf(lowered);
        });
        thread.Start();
        thread.Join();
        Assert.True(ok);
        Assert.NotEqual(caller, lowered);
        Assert.Equal(Math.Min(19, before + BackgroundThreadPriority.Nice), after);
        Assert.Equal(callerBefore, NiceOf(caller));
    }
}
