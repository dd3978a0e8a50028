using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace PsBackup.Engine;

/// <summary>
/// Hides credentials in text that may carry a destination, a repository location or a connection
/// string before it reaches a message, progress or verbose line, error or output object:
/// <c>scheme://user:password@host</c> (database URIs, also with an empty user name) and
/// <c>Password=…</c>/<c>Pwd=…</c>-style pairs of connection strings and query strings. Masking
/// keeps the rest readable (<c>scheme://bk:***@db1/shop</c>); when in doubt it hides too much.
/// </summary>
public static partial class SecretMasker
{
    public const string Mask = "***";

    [return: NotNullIfNotNull(nameof(text))]
    public static string? Hide(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        // The password of a URI runs to the last '@' of its token: an unencoded '@' or '/' in it is hidden too.
        var masked = UriPassword().Replace(text, m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@");
        return KeyValueSecret().Replace(masked, m => $"{m.Groups["key"].Value}{m.Groups["eq"].Value}{Mask}");
    }

    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^:/?#@\s]*):(?<password>\S*)@")]
    private static partial Regex UriPassword();

    [GeneratedRegex(@"(?<key>\b(?:password|passwd|pwd|psw|pass|secret|secretkey|secret_key|secretaccesskey|aws_secret_access_key|token|access_token|apikey|api_key))(?<eq>\s*=\s*)(?<value>""[^""]*""?|'[^']*'?|[^;&\s]*)",
        RegexOptions.IgnoreCase)]
    private static partial Regex KeyValueSecret();
}
