using System.Security.Cryptography;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// A collection's WAL area: collections/&lt;c&gt;/wal/&lt;timeline&gt;/. Every archived file is a
/// verified artifact (the collection's compression and encryption) under a unique name, committed
/// by creating its &lt;name&gt;.json entry if absent. No lock is taken, so archive_command never
/// waits for a running base backup, and concurrent archivers of the same file cannot corrupt it:
/// the first entry wins, the same content again is success, different content is an error.
/// </summary>
internal sealed class WalArchive(IObjectStore store, string collection)
{
    private const string EntrySuffix = ".json";

    public string Collection => collection;

    public static string Prefix(string collection) => $"{RepositoryKeys.Collection(collection)}wal/";
    private string Folder(string name) => $"{Prefix(collection)}{WalFileName.Timeline(name):X8}/";
    public string EntryKey(string name) => Folder(name) + name + EntrySuffix;
    public string DataKey(WalEntry entry) => Folder(entry.Name) + entry.Path;

    // Entries never change once committed: one read per operation is enough.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, WalEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>archive_command: stores <paramref name="file"/> as <paramref name="name"/>. Returns false when the identical file was already archived.</summary>
    public async Task<bool> PushAsync(string name, string file, CollectionDefinition definition, byte[]? key, CancellationToken ct)
    {
        WalFileName.Validate(name);
        var existing = await TryReadEntryAsync(name, ct).ConfigureAwait(false);
        if (existing != null)
            return await SameAsArchivedAsync(existing, file, ct).ConfigureAwait(false) ? false : throw Conflict(name, existing);

        var codec = new ArtifactCodec(store, definition.Compression, key, definition.Storage);
        var path = $"{name}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}{codec.Extension}";
        var scanner = WalFileName.IsSegment(name) || name.EndsWith(".partial", StringComparison.Ordinal) ? new WalCommitScanner() : null;
        ArtifactRecord record;
        await using (var writer = await codec.CreateAsync(Folder(name) + path, name, ct).ConfigureAwait(false))
        {
            await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                scanner?.Append(buffer.AsSpan(0, n));
                await writer.Stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            record = await writer.CompleteAsync(path, ct).ConfigureAwait(false);
        }
        var entry = new WalEntry
        {
            Name = name, Path = path, Size = record.Size, StoredSize = record.StoredSize, Sha256 = record.Sha256,
            Compression = definition.Compression, Encrypted = key != null, Archived = DateTimeOffset.UtcNow,
            Host = Environment.MachineName, FirstCommit = scanner?.FirstCommit, LastCommit = scanner?.LastCommit,
        };
        if (await store.TryCreateAsync(EntryKey(name), RepositoryDocuments.ToBytes(entry, WalEntry.DocumentType), ct).ConfigureAwait(false))
            return true;
        // Another archiver committed the same name first: ours is surplus either way.
        await store.DeleteAsync(Folder(name) + path, ct).ConfigureAwait(false);
        var winner = await ReadEntryAsync(name, ct).ConfigureAwait(false);
        return winner.Sha256 == entry.Sha256 && winner.Size == entry.Size ? false : throw Conflict(name, winner);
    }

    /// <summary>Writes the archived file's plaintext to <paramref name="destination"/>, verified, atomically (temporary file, then rename).</summary>
    public async Task FetchAsync(WalEntry entry, byte[]? key, string destination, CancellationToken ct)
    {
        if (entry.Encrypted && key == null) throw new PassphraseRequiredException(collection);
        var codec = new ArtifactCodec(store, entry.Compression, entry.Encrypted ? key : null);
        var temporary = destination + ".psbackup-tmp";
        try
        {
            await using (var source = await codec.OpenAsync(Folder(entry.Name) + entry.Path, entry.AsArtifact(), $"WAL file '{entry.Name}' of collection '{collection}'", ct).ConfigureAwait(false))
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                await source.CopyToAsync(output, 1 << 20, ct).ConfigureAwait(false);
            File.Move(temporary, destination, overwrite: true);
        }
        catch (ObjectNotFoundException)
        {
            throw new WalSegmentMissingException(entry.Name, collection, $"its entry exists but its data object '{entry.Path}' is gone");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>What retention removed on purpose (an empty record when it removed nothing).</summary>
    public Task<WalExpiryRecord> ReadExpiryAsync(CancellationToken ct) => WalExpiryRecord.ReadAsync(store, collection, ct);

    /// <summary>Names of every committed WAL file of the collection (from one listing).</summary>
    public async Task<SortedSet<string>> ListAsync(CancellationToken ct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var entry in store.ListAsync(Prefix(collection), ct).ConfigureAwait(false))
        {
            var file = entry.Key[(entry.Key.LastIndexOf('/') + 1)..];
            if (file.EndsWith(EntrySuffix, StringComparison.Ordinal) && WalFileName.IsValid(file[..^EntrySuffix.Length]))
                names.Add(file[..^EntrySuffix.Length]);
        }
        return names;
    }

    public async Task<WalEntry> ReadEntryAsync(string name, CancellationToken ct) =>
        _entries.TryGetValue(name, out var cached) ? cached
        : _entries[name] = await TryReadEntryAsync(name, ct).ConfigureAwait(false) ?? throw new WalSegmentMissingException(name, collection, "it is not in the repository");

    /// <summary>The entry as stored (a copy keeps these bytes verbatim) and what it says.</summary>
    public async Task<(byte[] Bytes, WalEntry Entry)> ReadEntryDocumentAsync(string name, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await RepositoryDocuments.ReadBytesAsync(store, EntryKey(name), ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new WalSegmentMissingException(name, collection, "it is not in the repository");
        }
        return (bytes, Parse(bytes, name));
    }

    /// <summary>Commits an entry copied from another repository (create-if-absent, like archive-wal); false when the name is taken.</summary>
    public Task<bool> TryCommitEntryAsync(string name, byte[] bytes, CancellationToken ct) => store.TryCreateAsync(EntryKey(name), bytes, ct);

    /// <summary>The archived file's plaintext, checked for size and SHA-256 at its end (ArtifactCorrupt on a mismatch).</summary>
    public async Task<VerifyingReadStream> OpenVerifyingAsync(WalEntry entry, byte[]? key, CancellationToken ct)
    {
        if (entry.Encrypted && key == null) throw new PassphraseRequiredException(collection);
        var codec = new ArtifactCodec(store, entry.Compression, entry.Encrypted ? key : null);
        try
        {
            return await codec.OpenAsync(DataKey(entry), entry.AsArtifact(), $"WAL file '{entry.Name}' of collection '{collection}'", ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new WalSegmentMissingException(entry.Name, collection, $"its entry exists but its data object '{entry.Path}' is gone");
        }
    }

    public async Task<WalEntry?> TryReadEntryAsync(string name, CancellationToken ct)
    {
        try
        {
            return Parse(await RepositoryDocuments.ReadBytesAsync(store, EntryKey(name), ct).ConfigureAwait(false), name);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>An entry's bytes read through the one document check (version, digest), then checked to describe <paramref name="name"/>.</summary>
    private WalEntry Parse(byte[] bytes, string name)
    {
        var where = $"{store.Location}/{EntryKey(name)}";
        var entry = RepositoryDocuments.Read<WalEntry>(bytes, WalEntry.DocumentType, $"WAL entry '{name}'", where).Value;
        entry.Validate(name, where);
        return entry;
    }

    /// <summary>The archived plaintext of a small file (timeline history), verified.</summary>
    public async Task<string> ReadTextAsync(WalEntry entry, byte[]? key, CancellationToken ct)
    {
        if (entry.Encrypted && key == null) throw new PassphraseRequiredException(collection);
        var codec = new ArtifactCodec(store, entry.Compression, entry.Encrypted ? key : null);
        await using var source = await codec.OpenAsync(Folder(entry.Name) + entry.Path, entry.AsArtifact(), $"WAL file '{entry.Name}'", ct).ConfigureAwait(false);
        using var reader = new StreamReader(source);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }

    private static async Task<bool> SameAsArchivedAsync(WalEntry entry, string file, CancellationToken ct)
    {
        if (new FileInfo(file).Length != entry.Size) return false;
        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = Convert.ToHexString(await SHA256.HashDataAsync(input, ct).ConfigureAwait(false));
        return string.Equals(hash, entry.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    private WalSegmentConflictException Conflict(string name, WalEntry existing) =>
        new($"WAL file '{name}' is already archived in collection '{collection}' with different content (SHA-256 {existing.Sha256}, " +
            $"archived {existing.Archived:u} from {existing.Host}). Two clusters may be archiving into one collection; give each its own collection.");
}
