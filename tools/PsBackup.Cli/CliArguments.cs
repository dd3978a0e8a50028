namespace PsBackup.Cli;

/// <summary>Positional arguments plus "--name value" options and "--flag" switches; repeated options accumulate.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public CliArguments(IEnumerable<string> args, ISet<string> switches)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal)) { Positional.Add(arg); continue; }
            var name = arg[2..];
            if (switches.Contains(name)) { _flags.Add(name); continue; }
            if (!e.MoveNext()) throw new ArgumentException($"Option --{name} needs a value.");
            if (!_options.TryGetValue(name, out var values)) _options[name] = values = [];
            values.Add(e.Current);
        }
    }

    public List<string> Positional { get; } = [];

    public string? Option(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    public string[] Options(string name) => _options.TryGetValue(name, out var values) ? [.. values] : [];

    public bool Flag(string name) => _flags.Contains(name);

    public string Required(int index, string what) =>
        index < Positional.Count ? Positional[index] : throw new ArgumentException($"Missing {what}.");
}
