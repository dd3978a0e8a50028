using System.Text;
using Newtonsoft.Json;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// The base index's hard-link groups, for an incremental's <see cref="ChangeDetection"/>: a group
/// member's bytes may sit at another path of the base than its own, either earlier (a base hard
/// link names its first path, already passed by the merge) or anywhere (a new first path finds
/// its group by inode). Collected by a quick pass over the base index before the merge: only lines
/// that mention a hard link or an inode are parsed, and only those entries are kept, so memory
/// grows with the number of hard-linked files, not with the tree. Base first paths written before
/// inodes were recorded are kept as the merge passes them, when a base hard link names them.
/// </summary>
internal sealed class HardLinkBytes
{
    private readonly HashSet<string> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileEntry> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<(ulong, ulong), FileEntry> _byInode = [];

    public static HardLinkBytes None { get; } = new();

    public int Count => _byPath.Count + _targets.Count;

    /// <summary>Reads the index to its end (so its checksum is verified), keeping the groups' entries.</summary>
    public static HardLinkBytes Collect(Stream index, string what)
    {
        var links = new HardLinkBytes();
        using var text = new StreamReader(index, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        text.ReadLine(); // the header: checked by the merge's own reader
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        while (text.ReadLine() is { } line)
        {
            // A filter only (a name holding these words is parsed and found to be no link): each line is self-contained.
            if (!line.Contains("\"hardlink\"", StringComparison.Ordinal) && !line.Contains("\"ino\"", StringComparison.Ordinal)) continue;
            FileEntry? entry;
            try
            {
                using var json = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None };
                entry = FileIndex.ReadNext(json, pool);
            }
            catch (Exception e) when (FileIndex.IsMalformed(e))
            {
                throw new Errors.IntegrityException($"{what} is not a valid file index: {e.Message}");
            }
            if (entry?.Type == FileEntryType.Hardlink) links._targets.Add(entry.Link!);
            else if (entry is { Type: FileEntryType.File, Inode: { } inode })
            {
                links._byInode[inode] = entry;
                links._byPath[entry.Path] = entry;
            }
        }
        return links;
    }

    /// <summary>Told of every base entry the merge passes: a first path named by a later hard link is kept.</summary>
    public void Passed(FileEntry old)
    {
        if (old.Type == FileEntryType.File && _targets.Contains(old.Path)) _byPath.TryAdd(old.Path, old);
    }

    public FileEntry? ByPath(string path) => _byPath.GetValueOrDefault(path);

    public FileEntry? ByInode((ulong Device, ulong Inode) inode) => _byInode.GetValueOrDefault(inode);
}
