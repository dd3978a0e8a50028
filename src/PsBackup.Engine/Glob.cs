using System.Text;
using System.Text.RegularExpressions;

namespace PsBackup.Engine;

/// <summary>
/// Shell-style wildcards: '*' (any run of characters except '/'), '**' (any run including '/'),
/// '?' (one character except '/'), '[abc]' / '[a-z]' / '[!abc]' (one character of a set).
/// Used for collection-name wildcards and file include/exclude patterns.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    public Glob(string pattern, bool ignoreCase = false)
    {
        Pattern = pattern;
        _regex = new Regex("^" + ToRegex(pattern) + "$",
            RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
    }

    public string Pattern { get; }

    public bool IsMatch(string text) => _regex.IsMatch(text);

    public static bool HasWildcards(string text) => text.IndexOfAny(['*', '?', '[']) >= 0;

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        sb.Append("(?:.*/)?"); // "**/" also matches no directory at all
                    }
                    else
                    {
                        sb.Append(".*");
                    }
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }
                    var set = pattern.Substring(i + 1, close - i - 1);
                    var negate = set.StartsWith('!') || set.StartsWith('^');
                    if (negate) set = set[1..];
                    sb.Append('[').Append(negate ? "^" : "").Append(set.Replace(@"\", @"\\").Replace("[", @"\[")).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return sb.ToString();
    }
}
