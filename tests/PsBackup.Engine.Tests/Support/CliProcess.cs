using System.Diagnostics;

namespace PsBackup.Engine.Tests.Support;

/// <summary>Starts tools/PsBackup.Cli (built alongside the tests) as a separate process.</summary>
public static class CliProcess
{
    /// <summary>The built psbackup-cli.dll (run it with "dotnet").</summary>
    public static string DllPath() => Path.Combine(RepoRoot(), "tools", "PsBackup.Cli", "bin", Configuration(), "net8.0", "psbackup-cli.dll");

    public static Process Start(params string[] args) => Start(null, args);

    /// <summary>Starts it with extra environment variables.</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var dll = DllPath();
        Assert.True(File.Exists(dll), $"psbackup-cli is not built at {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PsBackup.sln")))
                return dir.FullName;
        throw new InvalidOperationException("PsBackup.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Debug or Release: the configuration these tests were built with.</summary>
    private static string Configuration() => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
}
