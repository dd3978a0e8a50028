using PsBackup.Engine.Providers.Files;

namespace PsBackup.Engine.Tests.Units;

public sealed class GlobTests
{
    [Theory]
    [InlineData("*.tmp", "a.tmp", true)]
    [InlineData("*.tmp", "dir/a.tmp", false)]
    [InlineData("**/*.tmp", "dir/sub/a.tmp", true)]
    [InlineData("**/*.tmp", "a.tmp", true)]
    [InlineData("logs/**", "logs/2026/x.log", true)]
    [InlineData("f?le", "file", true)]
    [InlineData("f?le", "fi/e", false)]
    [InlineData("[ab]*", "bravo", true)]
    [InlineData("[!ab]*", "bravo", false)]
    [InlineData("prod*", "production", true)]
    [InlineData("a.b", "axb", false)]
    [InlineData("weird(name)+", "weird(name)+", true)]
    public void Glob_matches_like_a_shell(string pattern, string text, bool expected) =>
        Assert.Equal(expected, new Glob(pattern).IsMatch(text));

    [Theory]
    [InlineData("node_modules", "app/node_modules", true)]
    [InlineData("node_modules", "node_modules", true)]
    [InlineData("*.tmp", "deep/down/x.tmp", true)]
    [InlineData("logs", "logs", true)]
    [InlineData("logs", "src/logs", true)]
    [InlineData("./logs", "src/logs", false)]
    [InlineData("./logs", "logs", true)]
    [InlineData("/tmp", "tmp", true)]
    [InlineData("src/*/bin", "src/app/bin", true)]
    [InlineData("src/*/bin", "other/src/app/bin", false)]
    [InlineData(".git", ".git", true)]
    [InlineData(".git", "x.git", false)]
    public void Exclude_patterns_follow_tar_semantics(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, new PathFilter([], [pattern]).IsExcluded(path));

    [Fact]
    public void Include_patterns_select_files_and_no_includes_select_all()
    {
        var filter = new PathFilter(["*.conf", "etc/**"], []);
        Assert.True(filter.IsIncludedFile("a/b/app.conf"));
        Assert.True(filter.IsIncludedFile("etc/x/y"));
        Assert.False(filter.IsIncludedFile("a/b/app.log"));
        Assert.True(new PathFilter([], []).IsIncludedFile("anything"));
    }
}
