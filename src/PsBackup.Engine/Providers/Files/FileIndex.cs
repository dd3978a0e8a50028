using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// The "index" artifact: JSON lines, a header then one <see cref="FileEntry"/> per path. Entries
/// are written and read token by token (no reflection, one reader and writer for the whole
/// stream): an index has one line per file, and trees have millions of files.
/// </summary>
internal static class FileIndex
{
    public const int CurrentVersion = 1;

    internal static readonly DocumentType DocumentType = new("File index", "psbackup-file-index", CurrentVersion);

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffff'Z'";

    public static void Write(Stream stream, FileIndexHeader header, IEnumerable<FileEntry> entries)
    {
        using var text = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        text.WriteLine(JsonConvert.SerializeObject(header, new JsonSerializerSettings(Json.Settings) { Formatting = Formatting.None }));
        using var json = new JsonTextWriter(text) { Formatting = Formatting.None, CloseOutput = false };
        foreach (var entry in entries)
        {
            json.WriteStartObject();
            json.WritePropertyName("path"); json.WriteValue(entry.Path);
            json.WritePropertyName("type"); json.WriteValue(TypeName(entry.Type));
            if (entry.Mode != null) { json.WritePropertyName("mode"); json.WriteValue(entry.Mode); }
            json.WritePropertyName("mtime"); json.WriteValue(entry.Mtime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            if (entry.Type == FileEntryType.File)
            {
                json.WritePropertyName("size"); json.WriteValue(entry.Size);
                json.WritePropertyName("sha256"); json.WriteValue(entry.Sha256);
                json.WritePropertyName("backup"); json.WriteValue(entry.Backup);
                json.WritePropertyName("pack"); json.WriteValue(entry.Pack);
                json.WritePropertyName("offset"); json.WriteValue(entry.Offset);
            }
            if (entry.Target != null) { json.WritePropertyName("target"); json.WriteValue(entry.Target); }
            json.WriteEndObject();
            json.WriteWhitespace("\n");
        }
    }

    /// <summary>Reads the whole index (to the end, so the artifact's checksum is verified).</summary>
    public static (FileIndexHeader Header, List<FileEntry> Entries) Read(Stream stream, string what)
    {
        using var text = new StreamReader(stream, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        using var json = new JsonTextReader(text) { SupportMultipleContent = true, DateParseHandling = DateParseHandling.None, CloseInput = false };
        try
        {
            if (!json.Read() || json.TokenType != JsonToken.StartObject)
                throw new JsonException("no header");
            var header = JObject.Load(json).ToObject<FileIndexHeader>(Json.Serializer)!;
            FormatVersion.Check(DocumentType, header.Format, header.Version, what, what);
            var entries = new List<FileEntry>();
            var pool = new Dictionary<string, string>(StringComparer.Ordinal);
            while (json.Read())
            {
                if (json.TokenType != JsonToken.StartObject) throw new JsonException($"expected an entry at line {json.LineNumber}");
                entries.Add(ReadEntry(json, pool));
            }
            return (header, entries);
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or InvalidCastException)
        {
            throw new IntegrityException($"{what} is not a valid file index: {e.Message}");
        }
    }

    private static FileEntry ReadEntry(JsonTextReader json, Dictionary<string, string> pool)
    {
        var entry = new FileEntry();
        while (json.Read() && json.TokenType == JsonToken.PropertyName)
        {
            var name = (string)json.Value!;
            json.Read();
            switch (name)
            {
                case "path": entry.Path = (string)json.Value!; break;
                case "type": entry.Type = ParseType((string)json.Value!); break;
                case "mode": entry.Mode = Pooled(pool, (string?)json.Value); break;
                case "mtime": entry.Mtime = ParseTime((string)json.Value!); break;
                case "size": entry.Size = Convert.ToInt64(json.Value, CultureInfo.InvariantCulture); break;
                case "sha256": entry.Sha256 = (string?)json.Value; break;
                // Backup ids and pack names repeat on every line: keep one copy of each.
                case "backup": entry.Backup = Pooled(pool, (string?)json.Value); break;
                case "pack": entry.Pack = Pooled(pool, (string?)json.Value); break;
                case "offset": entry.Offset = Convert.ToInt64(json.Value, CultureInfo.InvariantCulture); break;
                case "target": entry.Target = (string?)json.Value; break;
                default: json.Skip(); break; // a newer writer's extra field
            }
        }
        if (json.TokenType != JsonToken.EndObject || entry.Path == null)
            throw new JsonException($"incomplete entry at line {json.LineNumber}");
        return entry;
    }

    /// <summary>Our own 7-digit UTC form fast, any ISO 8601 time (another writer's) otherwise.</summary>
    private static DateTime ParseTime(string text)
    {
        const DateTimeStyles utc = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        return DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, utc, out var time)
            ? time
            : DateTime.Parse(text, CultureInfo.InvariantCulture, utc);
    }

    private static string TypeName(FileEntryType type) => type switch
    {
        FileEntryType.File => "file",
        FileEntryType.Directory => "directory",
        _ => "symlink",
    };

    private static FileEntryType ParseType(string name) => name switch
    {
        "file" => FileEntryType.File,
        "directory" => FileEntryType.Directory,
        "symlink" => FileEntryType.Symlink,
        _ => throw new JsonException($"unknown entry type '{name}'"),
    };

    private static string? Pooled(Dictionary<string, string> pool, string? value)
    {
        if (value == null) return null;
        if (pool.TryGetValue(value, out var pooled)) return pooled;
        pool[value] = value;
        return value;
    }
}
