using System.Text.RegularExpressions;

namespace PsBackup.Engine;

/// <summary>Masks credentials in text that names a place (URIs, connection strings) before it is shown anywhere.</summary>
public static partial class Secrets
{
    /// <summary>user:password@ in URIs becomes user:***@; Password=… (and pwd=…) in connection strings becomes Password=***.</summary>
    public static string Mask(string text) =>
        KeyValuePassword().Replace(UriPassword().Replace(text, "${1}***@"), "${1}***");

    [GeneratedRegex(@"(://[^:/@\s]*:)[^@/\s]*@")]
    private static partial Regex UriPassword();

    [GeneratedRegex(@"(?i)\b((?:password|pwd)\s*=\s*)(""[^""]*""|'[^']*'|[^;]*)")]
    private static partial Regex KeyValuePassword();
}
