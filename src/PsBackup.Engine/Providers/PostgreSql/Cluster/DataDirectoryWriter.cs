using System.Formats.Tar;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>Lays a base backup's tar into a data directory: paths checked, modes and times kept, owners kept when run as root.</summary>
internal static class DataDirectoryWriter
{
    public sealed record Extracted(long Files, long Bytes, int Uid, int Gid);

    public static async Task<Extracted> ExtractAsync(Stream tar, string root, CancellationToken ct)
    {
        long files = 0, bytes = 0;
        int uid = -1, gid = -1;
        var asRoot = Posix.IsRoot;
        var directories = new List<(string Path, TarEntry Entry)>();
        await using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                name = name.TrimEnd('/');
                if (name.Length == 0 || name == ".") continue;
                if (name.StartsWith('/') || name.Split('/').Any(part => part is "" or "." or ".."))
                    throw new UnsafePathException($"The base backup holds an unsafe path '{entry.Name}'; nothing more is written.");
                var path = Path.Combine(root, name);
                if (uid < 0) (uid, gid) = (entry.Uid, entry.Gid);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        directories.Add((path, entry));
                        continue;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                            if (entry.DataStream != null)
                                await entry.DataStream.CopyToAsync(output, 1 << 20, ct).ConfigureAwait(false);
                        files++;
                        bytes += entry.Length;
                        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, entry.Mode);
                        File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
                        break;
                    case TarEntryType.SymbolicLink:
                        File.CreateSymbolicLink(path, entry.LinkName);
                        break;
                    default:
                        continue;
                }
                if (asRoot) Posix.Chown(path, entry.Uid, entry.Gid);
            }
        }
        await tar.CopyToAsync(Stream.Null, ct).ConfigureAwait(false); // to the end: the artifact's SHA-256 is checked there
        // Directories last: writing files into them changed their times.
        foreach (var (path, entry) in Enumerable.Reverse(directories))
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, entry.Mode);
            Directory.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
            if (asRoot) Posix.Chown(path, entry.Uid, entry.Gid);
        }
        // PostgreSQL refuses a data directory others can read.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (asRoot && uid >= 0) Posix.Chown(root, uid, gid);
        return new Extracted(files, bytes, uid, gid);
    }
}
