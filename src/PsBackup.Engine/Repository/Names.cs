using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// Collection and target names become folder names, so they are kept to a portable alphabet.
/// Every name is checked where it enters (request, command line, document read) and again
/// where it becomes a repository key (<see cref="RepositoryKeys"/>).
/// </summary>
public static partial class Names
{
    public static void Validate(string? name, string what)
    {
        if (!IsValid(name))
            throw new InvalidBackupRequestException("InvalidName",
                $"{what} name '{Printable(name)}' is not valid: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit.")
            { TargetObject = name };
    }

    public static bool IsValid(string? name) => name != null && Pattern().IsMatch(name);

    /// <summary>A name, or a wildcard pattern of names (* ? [ ]): anything else could never match and is refused as a typo or an attack.</summary>
    public static void ValidatePattern(string? pattern, string what)
    {
        if (pattern == null || !Glob.HasWildcards(pattern))
        {
            Validate(pattern, what);
            return;
        }
        if (!WildcardPattern().IsMatch(pattern))
            throw new InvalidBackupRequestException("InvalidName",
                $"{what} pattern '{Printable(pattern)}' is not valid: names use letters, digits, '.', '_' and '-'; wildcards * ? [ ].")
            { TargetObject = pattern };
    }

    /// <summary>A valid name made from free text (a directory name, a host), for defaults.</summary>
    public static string From(string text)
    {
        var cleaned = Regex.Replace(text, "[^A-Za-z0-9._-]+", "-").Trim('-', '.', '_');
        if (cleaned.Length == 0) cleaned = "target";
        return cleaned.Length > 100 ? cleaned[..100] : cleaned;
    }

    /// <summary>Text from outside shown in a message: control characters escaped, length bounded.</summary>
    internal static string Printable(string? text)
    {
        if (text == null) return "(null)";
        var shown = text.Length > 120 ? text[..120] + "…" : text;
        return Regex.Replace(shown, @"\p{Cc}", m => $"\\x{(int)m.Value[0]:x2}");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\z")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^[A-Za-z0-9._\-*?\[\]]{1,100}\z")]
    private static partial Regex WildcardPattern();
}
