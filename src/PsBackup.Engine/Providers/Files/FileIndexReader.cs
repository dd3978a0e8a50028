using System.Text;
using Newtonsoft.Json;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// Reads an index one entry at a time. <see cref="Entries"/> gives them as written;
/// <see cref="Sorted"/> in index order, checked as they come (format 2 is written in that order;
/// format 1, depth-first, is read whole and sorted: its trees predate streaming). Read to the end,
/// so the artifact's checksum is verified.
/// </summary>
internal sealed class FileIndexReader : IDisposable
{
    private readonly StreamReader _text;
    private readonly JsonTextReader _json;
    private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
    private readonly string _what;

    public FileIndexReader(Stream stream, string what)
    {
        _what = what;
        _text = new StreamReader(stream, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        _json = new JsonTextReader(_text) { SupportMultipleContent = true, DateParseHandling = DateParseHandling.None, CloseInput = false };
        try
        {
            Header = FileIndex.ReadHeader(_json, what);
        }
        catch (Exception e) when (FileIndex.IsMalformed(e))
        {
            throw Invalid(e);
        }
    }

    public FileIndexHeader Header { get; }

    public IEnumerable<FileEntry> Entries()
    {
        while (Next() is { } entry) yield return entry;
    }

    /// <summary>
    /// In index order, each path once; an index that breaks the order is corrupt.
    /// <paramref name="check"/> sees each entry first (an unsafe path is refused as such, not as out of order).
    /// </summary>
    public IEnumerable<FileEntry> Sorted(Action<FileEntry>? check = null)
    {
        if (Header.Version < 2)
        {
            var all = Entries().ToList();
            if (check != null) all.ForEach(check);
            all.Sort((a, b) => PathOrder.Compare(a.Path, b.Path));
            foreach (var entry in all) yield return entry;
            yield break;
        }
        string? previous = null;
        foreach (var entry in Entries())
        {
            check?.Invoke(entry);
            if (previous != null && PathOrder.Compare(previous, entry.Path) >= 0)
                throw new IntegrityException(PathOrder.Compare(previous, entry.Path) == 0
                    ? $"{_what} lists '{FsName.Display(entry.Path)}' twice."
                    : $"{_what} is not in path order: '{FsName.Display(entry.Path)}' follows '{FsName.Display(previous)}'.");
            previous = entry.Path;
            yield return entry;
        }
    }

    private FileEntry? Next()
    {
        try
        {
            return FileIndex.ReadNext(_json, _pool);
        }
        catch (Exception e) when (FileIndex.IsMalformed(e))
        {
            throw Invalid(e);
        }
    }

    private IntegrityException Invalid(Exception e) => new($"{_what} is not a valid file index: {e.Message}");

    public void Dispose()
    {
        ((IDisposable)_json).Dispose();
        _text.Dispose();
    }
}
