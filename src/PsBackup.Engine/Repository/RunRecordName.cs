using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The name of a run record: <c>&lt;UTC end yyyyMMddTHHmmss.fffZ&gt;_&lt;operation&gt;_&lt;outcome&gt;_&lt;8 hex&gt;</c>
/// (e.g. <c>20261121T200019.123Z_backup_failed_3fa85f64</c>), so an ordinal sort is a time sort and
/// counters, last outcomes and pruning need the journal's listing only, never its documents.
/// </summary>
public sealed partial record RunRecordName(DateTimeOffset Ended, RunOperation Operation, RunOutcome Outcome, string Name)
{
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'.'fff'Z'";

    public static RunRecordName New(DateTimeOffset ended, RunOperation operation, RunOutcome outcome)
    {
        var name = $"{ended.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}_{Word(operation)}_{Word(outcome)}_" +
                   Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        return new RunRecordName(Parse(name)!.Ended, operation, outcome, name);
    }

    /// <summary>The name's parts; null when <paramref name="name"/> (without ".json") is not a run record's name.</summary>
    public static RunRecordName? Parse(string name)
    {
        // The pattern fixes every part's place: 20 characters of time, '_', operation '_' outcome (words
        // without '_'), '_', 8 hex digits. Split by position: a journal listing parses every record's name.
        if (!Pattern().IsMatch(name) || !UtcStamp.TryParse(name.AsSpan(0, 19), out var ended))
            return null;
        var words = name.AsSpan(21, name.Length - 21 - 9);
        var split = words.IndexOf('_');
        if (!TryWord<RunOperation>(words[..split].ToString(), out var operation) || !TryWord<RunOutcome>(words[(split + 1)..].ToString(), out var outcome))
            return null;
        return new RunRecordName(ended, operation, outcome, name);
    }

    /// <summary>An enum value as the journal writes it: its camelCase name, as in the documents.</summary>
    public static string Word<T>(T value) where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    private static bool TryWord<T>(string word, out T value) where T : struct, Enum => Words<T>.ByWord.TryGetValue(word, out value);

    /// <summary>Each value of <typeparamref name="T"/> by its word, built once (a journal listing parses every record's name).</summary>
    private static class Words<T> where T : struct, Enum
    {
        public static readonly Dictionary<string, T> ByWord = Enum.GetValues<T>().ToDictionary(v => Word(v), StringComparer.Ordinal);
    }

    public override string ToString() => Name;

    [GeneratedRegex(@"^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z_[a-z][A-Za-z]*_[a-z][A-Za-z]*_[0-9a-f]{8}\z")]
    private static partial Regex Pattern();
}
