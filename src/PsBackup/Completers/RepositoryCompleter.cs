using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PsBackup.Engine;

namespace PsBackup.Completers;

/// <summary>
/// Base of the argument completers that read the repository in effect: the command line's own
/// -Repository (and -S3Endpoint/-S3Region), else the default one. Reading takes at most a few
/// seconds (an unreachable S3 endpoint completes nothing rather than hanging the prompt); any
/// failure completes nothing.
/// </summary>
public abstract class RepositoryCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = wordToComplete.Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var address = RepositoryAddress.Create(Location(fakeBoundParameters), Text(fakeBoundParameters, "S3Endpoint"), Text(fakeBoundParameters, "S3Region"), null, null);
            var candidates = Task.Run(() => CandidatesAsync(new BackupEngine(), address, fakeBoundParameters, timeout.Token)).GetAwaiter().GetResult();
            return candidates.Where(c => pattern.IsMatch(c.Text)).Select(c => new CompletionResult(Quote(c.Text), c.Text, CompletionResultType.ParameterValue, c.ToolTip)).ToList();
        }
        catch (Exception)
        {
            return []; // no repository yet, unreachable, unreadable: nothing to offer
        }
    }

    /// <summary>What could complete the value: the text and a tool tip, in the order to offer them.</summary>
    private protected abstract Task<IEnumerable<(string Text, string ToolTip)>> CandidatesAsync(BackupEngine engine, RepositoryAddress repository,
        IDictionary boundParameters, CancellationToken ct);

    /// <summary>A bound parameter's value as typed on the command line (the first, for arrays); null when absent or not plain text.</summary>
    private protected static string? Text(IDictionary boundParameters, string name)
    {
        var value = boundParameters.Contains(name) ? boundParameters[name] : null;
        if (value is PSObject wrapped) value = wrapped.BaseObject;
        if (value is IEnumerable items and not string) value = items.Cast<object?>().FirstOrDefault();
        if (value is PSObject inner) value = inner.BaseObject;
        return value as string;
    }

    /// <summary>-Repository as typed: a URI as it is, a path resolved as the cmdlets resolve it (current location, ~, PSDrives).</summary>
    private static string? Location(IDictionary boundParameters)
    {
        var repository = Text(boundParameters, "Repository");
        if (string.IsNullOrEmpty(repository) || repository.Contains("://", StringComparison.Ordinal)) return repository;
        // A nested pipeline of the session completing (its SessionStateProxy is busy running TabExpansion2).
        using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
        shell.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(repository);
        return shell.Invoke<string>().FirstOrDefault() ?? repository;
    }

    private static string Quote(string text) =>
        text.IndexOfAny([' ', '\'', '"', '$', '`', '(', ')', '{', '}', ';', ',', '&', '@', '#', '|', '<', '>']) < 0 ? text : "'" + text.Replace("'", "''") + "'";
}
