namespace PsBackup.Engine.Providers.Files.Native;

/// <summary>
/// A file time as the kernel keeps it: seconds since 1970 (negative before) and 0..999,999,999
/// nanoseconds. The index keeps 100 ns ticks (what .NET's DateTime holds), so conversion drops
/// the last two digits of the nanoseconds: it rounds toward the past, before 1970 as after.
/// </summary>
internal readonly record struct PosixTime(long Seconds, uint Nanoseconds)
{
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private static readonly long MinSeconds = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TicksPerSecond;
    private static readonly long MaxSeconds = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TicksPerSecond;

    public DateTime ToDateTime()
    {
        var seconds = Math.Clamp(Seconds, MinSeconds, MaxSeconds - 1);
        return new DateTime(DateTime.UnixEpoch.Ticks + seconds * TicksPerSecond + Nanoseconds / 100, DateTimeKind.Utc);
    }

    public static PosixTime From(DateTime utc)
    {
        var ticks = utc.Ticks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TicksPerSecond, out var rest);
        if (rest < 0) { seconds--; rest += TicksPerSecond; } // floor: nanoseconds are never negative
        return new PosixTime(seconds, (uint)(rest * 100));
    }
}
