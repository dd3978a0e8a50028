using System.Diagnostics;
using System.Globalization;

namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// Where a drill's time went: the operation's steps (scratch place, restore, start-up, checks,
/// clean-up) and the parts a kind times inside its checks and clean-up. Written as one line to the
/// verbose stream, so the drill's own overhead can be taken apart without a profiler.
/// </summary>
public sealed class DrillStages
{
    private readonly List<(string Name, TimeSpan Took)> _stages = [];

    /// <summary>Times what runs until the returned scope is disposed, as <paramref name="name"/>.</summary>
    public Scope Time(string name) => new(this, name);

    public void Add(string name, TimeSpan took)
    {
        lock (_stages) _stages.Add((name, took));
    }

    /// <summary>"scratch 0.02 s, restore 4.91 s, …" in the order the stages ended.</summary>
    public override string ToString()
    {
        lock (_stages)
            return string.Join(", ", _stages.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name} {s.Took.TotalSeconds:0.00} s")));
    }

    public readonly struct Scope(DrillStages stages, string name) : IDisposable
    {
        private readonly long _start = Stopwatch.GetTimestamp();

        public void Dispose() => stages.Add(name, Stopwatch.GetElapsedTime(_start));
    }
}
