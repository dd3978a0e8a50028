using System.Text.RegularExpressions;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// The WAL area from one listing: per archived file name its entry (the commit point) and its
/// data objects — normally one; more when racing archivers left a loser's object, none when an
/// entry lost its data. Retention, copies, verification and the recovery window start from it.
/// </summary>
internal sealed partial class WalListing
{
    private WalListing(SortedDictionary<string, WalObjects> files) => Files = files;

    /// <summary>Every file name seen, committed or not, in ordinal order.</summary>
    public SortedDictionary<string, WalObjects> Files { get; }

    /// <summary>Names with an entry: the files readers see.</summary>
    public SortedSet<string> Committed => new(Files.Where(f => f.Value.Entry != null).Select(f => f.Key), StringComparer.Ordinal);

    public static async Task<WalListing> ReadAsync(IObjectStore store, string collection, CancellationToken ct)
    {
        var files = new SortedDictionary<string, WalObjects>(StringComparer.Ordinal);
        await foreach (var entry in store.ListAsync(WalArchive.Prefix(collection), ct).ConfigureAwait(false))
        {
            var file = entry.Key[(entry.Key.LastIndexOf('/') + 1)..];
            if (file.EndsWith(".json", StringComparison.Ordinal) && WalFileName.IsValid(file[..^5]))
                Of(files, file[..^5]).Entry = entry;
            else if (DataObject().Match(file) is { Success: true } data && WalFileName.IsValid(data.Groups["name"].Value))
                Of(files, data.Groups["name"].Value).Data.Add(entry);
        }
        return new WalListing(files);
    }

    private static WalObjects Of(SortedDictionary<string, WalObjects> files, string name) =>
        files.TryGetValue(name, out var objects) ? objects : files[name] = new WalObjects();

    /// <summary>&lt;name&gt;.&lt;8 lowercase hex&gt;[.br|.gz][.aes] (temporary files of a local store do not match).</summary>
    [GeneratedRegex(@"^(?<name>.+)\.[0-9a-f]{8}(\.br|\.gz)?(\.aes)?\z")]
    private static partial Regex DataObject();
}

/// <summary>The objects of one archived file.</summary>
internal sealed class WalObjects
{
    public ObjectEntry? Entry { get; set; }
    public List<ObjectEntry> Data { get; } = [];

    public long StoredBytes => (Entry?.Size ?? 0) + Data.Sum(d => d.Size);

    /// <summary>When it was archived (its entry was written; for an entry-less leftover, its data).</summary>
    public DateTimeOffset Written => Entry?.LastModified ?? (Data.Count == 0 ? DateTimeOffset.MinValue : Data.Max(d => d.LastModified));

    /// <summary>Its keys in deletion order: the entry first (from then on readers no longer see the file), then the data.</summary>
    public IEnumerable<string> KeysEntryFirst => (Entry == null ? [] : new[] { Entry.Key }).Concat(Data.Select(d => d.Key));
}
