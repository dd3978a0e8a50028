namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Include/exclude rules in the style of tar --exclude: a pattern without '/' matches the name
/// of any file or directory at any depth ("node_modules", "*.tmp"); a pattern with '/' matches
/// the path relative to the root ("logs/**", "src/*/bin"). An excluded directory is skipped
/// with its whole subtree. When include patterns are given, only files matching one are kept
/// (directories are always walked, and kept when they hold something).
/// </summary>
public sealed class PathFilter
{
    private readonly Rule[] _include;
    private readonly Rule[] _exclude;

    public PathFilter(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        _include = include.Where(p => !string.IsNullOrWhiteSpace(p)).Select(Rule.Parse).ToArray();
        _exclude = exclude.Where(p => !string.IsNullOrWhiteSpace(p)).Select(Rule.Parse).ToArray();
    }

    public bool HasIncludes => _include.Length > 0;

    public bool IsExcluded(string relativePath) => _exclude.Any(r => r.IsMatch(relativePath));

    public bool IsIncludedFile(string relativePath) => _include.Length == 0 || _include.Any(r => r.IsMatch(relativePath));

    private sealed record Rule(Glob Glob, bool NameOnly)
    {
        public static Rule Parse(string pattern)
        {
            var text = pattern.Replace('\\', '/').Trim();
            var anchored = text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith('/');
            if (text.StartsWith("./", StringComparison.Ordinal)) text = text[2..];
            text = text.Trim('/');
            return new Rule(new Glob(text), NameOnly: !anchored && !text.Contains('/'));
        }

        public bool IsMatch(string relativePath)
        {
            if (!NameOnly)
                return Glob.IsMatch(relativePath);
            var slash = relativePath.LastIndexOf('/');
            return Glob.IsMatch(slash < 0 ? relativePath : relativePath[(slash + 1)..]);
        }
    }
}
