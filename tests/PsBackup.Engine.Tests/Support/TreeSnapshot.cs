using System.Security.Cryptography;

namespace PsBackup.Engine.Tests.Support;

/// <summary>Everything a restore must reproduce about a tree: per path its type, bytes, mode, mtime and link target.</summary>
public sealed record TreeItem(string Path, string Type, string? Sha256, long Size, UnixFileMode? Mode, DateTime Mtime, string? LinkTarget);

public static class TreeSnapshot
{
    /// <summary>Captures the tree below <paramref name="root"/>, plus the root's own mode and mtime as path ".".</summary>
    public static SortedDictionary<string, TreeItem> Take(string root)
    {
        var items = new SortedDictionary<string, TreeItem>(StringComparer.Ordinal);
        var rootInfo = new DirectoryInfo(root);
        items["."] = new TreeItem(".", "dir", null, 0, rootInfo.UnixFileMode, rootInfo.LastWriteTimeUtc, null);
        foreach (var info in rootInfo.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = System.IO.Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
            if (info.LinkTarget != null)
                items[rel] = new TreeItem(rel, "link", null, 0, null, info.LastWriteTimeUtc, info.LinkTarget);
            else if (info is DirectoryInfo)
                items[rel] = new TreeItem(rel, "dir", null, 0, info.UnixFileMode, info.LastWriteTimeUtc, null);
            else
                items[rel] = new TreeItem(rel, "file", Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(info.FullName))), ((FileInfo)info).Length, info.UnixFileMode, info.LastWriteTimeUtc, null);
        }
        return items;
    }

    /// <summary>Asserts two snapshots are identical, listing the first differences.</summary>
    public static void AssertEqual(SortedDictionary<string, TreeItem> expected, SortedDictionary<string, TreeItem> actual)
    {
        var differences = new List<string>();
        foreach (var (path, item) in expected)
        {
            if (!actual.TryGetValue(path, out var other)) differences.Add($"missing {path}");
            else if (item != other) differences.Add($"differs {path}: expected {item}, got {other}");
        }
        differences.AddRange(actual.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"unexpected {k}"));
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }
}
