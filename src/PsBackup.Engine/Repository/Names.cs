using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>Collection and target names become folder names, so they are kept to a portable alphabet.</summary>
public static partial class Names
{
    public static void Validate(string name, string what)
    {
        if (!Pattern().IsMatch(name))
            throw new InvalidBackupRequestException("InvalidName",
                $"{what} name '{name}' is not valid: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    /// <summary>A valid name made from free text (a directory name, a host), for defaults.</summary>
    public static string From(string text)
    {
        var cleaned = Regex.Replace(text, "[^A-Za-z0-9._-]+", "-").Trim('-', '.', '_');
        if (cleaned.Length == 0) cleaned = "target";
        return cleaned.Length > 100 ? cleaned[..100] : cleaned;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex Pattern();
}
