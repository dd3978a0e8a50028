using System.Diagnostics;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Finds PostgreSQL's client programs (pg_basebackup, pg_verifybackup): $PSBACKUP_PG_BIN, then
/// PATH, then the newest /usr/lib/postgresql/&lt;major&gt;/bin (Debian keeps them there).
/// </summary>
internal static class PgTools
{
    public const string BinVariable = "PSBACKUP_PG_BIN";

    public static string? Find(string program)
    {
        var directories = new List<string>();
        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } bin) directories.Add(bin);
        directories.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        if (Directory.Exists("/usr/lib/postgresql"))
            directories.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                .Select(d => Path.Combine(d, "bin")));
        return directories.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }

    public static string Require(string program) =>
        Find(program) ?? throw new TargetUnavailableException(
            $"{program} was not found (looked in ${BinVariable}, PATH and /usr/lib/postgresql/*/bin). Install the PostgreSQL client programs, version ≥ the server's.");

    public static Process Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return Process.Start(info) ?? throw new TargetUnavailableException($"Could not start {program}.");
    }

    /// <summary>Runs a program to completion; returns its exit code and its stderr+stdout text (the last 8 KB).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken ct)
    {
        using var process = Start(program, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = (await stderr.ConfigureAwait(false) + await stdout.ConfigureAwait(false)).Trim();
        return (process.ExitCode, output.Length > 8192 ? output[^8192..] : output);
    }
}
