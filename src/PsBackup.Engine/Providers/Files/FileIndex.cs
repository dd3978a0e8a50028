using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Files.Native;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>
/// The "index" artifact: JSON lines, a header then one <see cref="FileEntry"/> per path. Entries
/// are written and read token by token (no reflection, one reader and writer for the whole
/// stream): an index has one line per file, and trees have millions of files. Each line is
/// self-contained. Reads format 1 and 2, writes 2 (docs/design.md describes both).
/// </summary>
internal static class FileIndex
{
    /// <summary>2: byte names, owners, hard links, extents, xattrs, ctime (1: the first index; still read).</summary>
    public const int CurrentVersion = 2;

    internal static readonly DocumentType DocumentType = new("File index", "psbackup-file-index", CurrentVersion);

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffff'Z'";

    public static void Write(Stream stream, FileIndexHeader header, IEnumerable<FileEntry> entries)
    {
        using var writer = new FileIndexWriter(stream, header);
        foreach (var entry in entries) writer.Add(entry);
    }

    internal static void WriteEntry(JsonTextWriter json, FileEntry entry)
    {
        json.WriteStartObject();
        WriteName(json, "path", entry.Path);
        json.WritePropertyName("type"); json.WriteValue(TypeName(entry.Type));
        if (entry.Type == FileEntryType.Hardlink)
        {
            WriteName(json, "link", entry.Link ?? throw new InvalidOperationException($"Hard link '{entry.Path}' has no link."));
            json.WriteEndObject();
            json.WriteWhitespace("\n");
            return;
        }
        if (entry.Mode != null) { json.WritePropertyName("mode"); json.WriteValue(entry.Mode); }
        json.WritePropertyName("mtime"); json.WriteValue(FormatTime(entry.Mtime));
        if (entry.Uid is { } uid) { json.WritePropertyName("uid"); json.WriteValue(uid); }
        if (entry.Gid is { } gid) { json.WritePropertyName("gid"); json.WriteValue(gid); }
        if (entry.User != null) { json.WritePropertyName("user"); json.WriteValue(entry.User); }
        if (entry.Group != null) { json.WritePropertyName("group"); json.WriteValue(entry.Group); }
        if (entry.Type == FileEntryType.File)
        {
            json.WritePropertyName("size"); json.WriteValue(entry.Size);
            json.WritePropertyName("sha256"); json.WriteValue(entry.Sha256);
            json.WritePropertyName("backup"); json.WriteValue(entry.Backup);
            json.WritePropertyName("pack"); json.WriteValue(entry.Pack);
            json.WritePropertyName("offset"); json.WriteValue(entry.Offset);
            if (entry.Extents != null)
            {
                json.WritePropertyName("extents");
                json.WriteStartArray();
                for (var i = 0; i < entry.Extents.Length; i += 2)
                {
                    json.WriteStartArray();
                    json.WriteValue(entry.Extents[i]);
                    json.WriteValue(entry.Extents[i + 1]);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
        }
        if (entry.Target != null) WriteName(json, "target", entry.Target);
        if (entry.Xattrs != null)
        {
            json.WritePropertyName("xattrs");
            json.WriteStartObject();
            foreach (var xattr in entry.Xattrs)
            {
                json.WritePropertyName(xattr.Name);
                json.WriteValue(Convert.ToBase64String(xattr.Value));
            }
            json.WriteEndObject();
        }
        if (entry.Ctime is { } ctime) { json.WritePropertyName("ctime"); json.WriteValue(FormatTime(ctime)); }
        if (entry.Inode is { } inode)
        {
            json.WritePropertyName("dev"); json.WriteValue(inode.Device);
            json.WritePropertyName("ino"); json.WriteValue(inode.Inode);
        }
        json.WriteEndObject();
        json.WriteWhitespace("\n");
    }

    /// <summary>
    /// A name that is valid UTF-8 as itself; any other as its escaped display form under
    /// <paramref name="property"/> and its exact bytes, base64, under property + "Bytes".
    /// </summary>
    private static void WriteName(JsonTextWriter json, string property, string name)
    {
        if (!FsName.HasEscapes(name))
        {
            json.WritePropertyName(property); json.WriteValue(name);
            return;
        }
        json.WritePropertyName(property); json.WriteValue(FsName.Display(name));
        json.WritePropertyName(property + "Bytes"); json.WriteValue(Convert.ToBase64String(FsName.ToBytes(name)));
    }

    /// <summary>Reads the whole index (to the end, so the artifact's checksum is verified), in the order written.</summary>
    public static (FileIndexHeader Header, List<FileEntry> Entries) Read(Stream stream, string what)
    {
        using var reader = new FileIndexReader(stream, what);
        return (reader.Header, reader.Entries().ToList());
    }

    internal static FileIndexHeader ReadHeader(JsonTextReader json, string what)
    {
        if (!json.Read() || json.TokenType != JsonToken.StartObject)
            throw new JsonException("no header");
        var header = JObject.Load(json).ToObject<FileIndexHeader>(Json.Serializer)!;
        FormatVersion.Check(DocumentType, header.Format, header.Version, what, what);
        return header;
    }

    /// <summary>The next entry; null at the end.</summary>
    internal static FileEntry? ReadNext(JsonTextReader json, Dictionary<string, string> pool)
    {
        if (!json.Read()) return null;
        if (json.TokenType != JsonToken.StartObject) throw new JsonException($"expected an entry at line {json.LineNumber}");
        return ReadEntry(json, pool);
    }

    internal static bool IsMalformed(Exception e) => e is JsonException or FormatException or OverflowException or InvalidCastException or ArgumentException;

    private static FileEntry ReadEntry(JsonTextReader json, Dictionary<string, string> pool)
    {
        var entry = new FileEntry();
        string? path = null, pathBytes = null, target = null, targetBytes = null, link = null, linkBytes = null;
        ulong? device = null, inode = null;
        while (json.Read() && json.TokenType == JsonToken.PropertyName)
        {
            var name = (string)json.Value!;
            json.Read();
            switch (name)
            {
                case "path": path = (string)json.Value!; break;
                case "pathBytes": pathBytes = (string?)json.Value; break;
                case "type": entry.Type = ParseType((string)json.Value!); break;
                case "mode": entry.Mode = Pooled(pool, (string?)json.Value); break;
                case "mtime": entry.Mtime = ParseTime((string)json.Value!); break;
                case "uid": entry.Uid = Convert.ToUInt32(json.Value, CultureInfo.InvariantCulture); break;
                case "gid": entry.Gid = Convert.ToUInt32(json.Value, CultureInfo.InvariantCulture); break;
                // Owner names, backup ids and pack names repeat on every line: keep one copy of each.
                case "user": entry.User = Pooled(pool, (string?)json.Value); break;
                case "group": entry.Group = Pooled(pool, (string?)json.Value); break;
                case "size": entry.Size = Convert.ToInt64(json.Value, CultureInfo.InvariantCulture); break;
                case "sha256": entry.Sha256 = (string?)json.Value; break;
                case "backup": entry.Backup = Pooled(pool, (string?)json.Value); break;
                case "pack": entry.Pack = Pooled(pool, (string?)json.Value); break;
                case "offset": entry.Offset = Convert.ToInt64(json.Value, CultureInfo.InvariantCulture); break;
                case "extents": entry.Extents = ReadExtents(json); break;
                case "target": target = (string?)json.Value; break;
                case "targetBytes": targetBytes = (string?)json.Value; break;
                case "link": link = (string?)json.Value; break;
                case "linkBytes": linkBytes = (string?)json.Value; break;
                case "xattrs": entry.Xattrs = ReadXattrs(json); break;
                case "ctime": entry.Ctime = ParseTime((string)json.Value!); break;
                case "dev": device = Convert.ToUInt64(json.Value, CultureInfo.InvariantCulture); break;
                case "ino": inode = Convert.ToUInt64(json.Value, CultureInfo.InvariantCulture); break;
                default: json.Skip(); break; // a newer writer's extra field
            }
        }
        if (json.TokenType != JsonToken.EndObject || (path == null && pathBytes == null))
            throw new JsonException($"incomplete entry at line {json.LineNumber}");
        entry.Path = Name(path, pathBytes)!;
        entry.Target = Name(target, targetBytes);
        entry.Link = Name(link, linkBytes);
        if (device is { } dev && inode is { } ino && entry.Type == FileEntryType.File) entry.Inode = (dev, ino);
        if (entry.Type == FileEntryType.Hardlink && entry.Link == null)
            throw new JsonException($"hard link without 'link' at line {json.LineNumber}");
        if (entry.Extents != null) CheckExtents(entry, json.LineNumber);
        return entry;
    }

    /// <summary>The exact bytes when given, else the UTF-8 text.</summary>
    private static string? Name(string? text, string? base64) => base64 != null ? FsName.FromBytes(Convert.FromBase64String(base64)) : text;

    private static long[] ReadExtents(JsonTextReader json)
    {
        if (json.TokenType != JsonToken.StartArray) throw new JsonException($"'extents' is not an array at line {json.LineNumber}");
        var values = new List<long>();
        while (json.Read() && json.TokenType == JsonToken.StartArray)
        {
            for (var i = 0; i < 2; i++)
            {
                if (!json.Read() || json.TokenType != JsonToken.Integer) throw new JsonException($"an extent is not [offset, length] at line {json.LineNumber}");
                values.Add(Convert.ToInt64(json.Value, CultureInfo.InvariantCulture));
            }
            if (!json.Read() || json.TokenType != JsonToken.EndArray) throw new JsonException($"an extent is not [offset, length] at line {json.LineNumber}");
        }
        if (json.TokenType != JsonToken.EndArray) throw new JsonException($"'extents' is not an array of extents at line {json.LineNumber}");
        return values.ToArray();
    }

    /// <summary>Extents must ascend without overlap, be non-empty and lie within the file.</summary>
    private static void CheckExtents(FileEntry entry, int line)
    {
        long end = 0;
        for (var i = 0; i < entry.Extents!.Length; i += 2)
        {
            var (offset, length) = (entry.Extents[i], entry.Extents[i + 1]);
            if (offset < end || length <= 0 || offset > entry.Size - length)
                throw new JsonException($"extent [{offset}, {length}] of '{FsName.Display(entry.Path)}' is out of order or outside the file at line {line}");
            end = offset + length;
        }
    }

    private static List<Xattr> ReadXattrs(JsonTextReader json)
    {
        if (json.TokenType != JsonToken.StartObject) throw new JsonException($"'xattrs' is not an object at line {json.LineNumber}");
        var xattrs = new List<Xattr>();
        while (json.Read() && json.TokenType == JsonToken.PropertyName)
        {
            var name = (string)json.Value!;
            json.Read();
            xattrs.Add(new Xattr(name, Convert.FromBase64String((string)json.Value!)));
        }
        xattrs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return xattrs;
    }

    public static string FormatTime(DateTime time) => time.ToString(TimeFormat, CultureInfo.InvariantCulture);

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
        FileEntryType.Hardlink => "hardlink",
        _ => "symlink",
    };

    private static FileEntryType ParseType(string name) => name switch
    {
        "file" => FileEntryType.File,
        "directory" => FileEntryType.Directory,
        "symlink" => FileEntryType.Symlink,
        "hardlink" => FileEntryType.Hardlink,
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
