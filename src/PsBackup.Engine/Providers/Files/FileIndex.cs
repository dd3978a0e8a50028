using System.Text;
using Newtonsoft.Json;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>The "index" artifact: JSON lines, a header then one <see cref="FileEntry"/> per path.</summary>
internal static class FileIndex
{
    private static readonly JsonSerializerSettings LineSettings = new(Json.Settings) { Formatting = Formatting.None };

    public static void Write(Stream stream, FileIndexHeader header, IEnumerable<FileEntry> entries)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        writer.WriteLine(JsonConvert.SerializeObject(header, LineSettings));
        foreach (var entry in entries)
            writer.WriteLine(JsonConvert.SerializeObject(entry, LineSettings));
    }

    /// <summary>Reads the whole index (to the end, so the artifact's checksum is verified).</summary>
    public static (FileIndexHeader Header, List<FileEntry> Entries) Read(Stream stream, string what)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        var header = Parse<FileIndexHeader>(reader.ReadLine(), what);
        FormatVersion.Check(what, header.Format, FileIndexHeader.FormatName, header.Version, FormatVersion.FileIndex, what);
        var entries = new List<FileEntry>();
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            var entry = Parse<FileEntry>(line, what);
            // Backup ids, pack names and modes repeat on every line: keep one copy of each.
            entry.Backup = Pooled(pool, entry.Backup);
            entry.Pack = Pooled(pool, entry.Pack);
            entry.Mode = Pooled(pool, entry.Mode);
            entries.Add(entry);
        }
        return (header, entries);
    }

    private static string? Pooled(Dictionary<string, string> pool, string? value)
    {
        if (value == null) return null;
        if (pool.TryGetValue(value, out var pooled)) return pooled;
        pool[value] = value;
        return value;
    }

    private static T Parse<T>(string? line, string what)
    {
        try
        {
            return JsonConvert.DeserializeObject<T>(line ?? throw new JsonException("empty index"), LineSettings)
                   ?? throw new JsonException("empty line");
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{what} is not a valid file index: {e.Message}");
        }
    }
}
