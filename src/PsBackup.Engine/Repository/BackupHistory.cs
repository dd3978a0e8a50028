using System.Runtime.CompilerServices;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The committed backups of one collection as a backup run needs them: read newest first, and only
/// as far as asked. A run needs the newest backup (an incremental's parent, and its chain) and, per
/// target, the newest backup where that target succeeded — almost always the newest manifest or
/// two. Reading every manifest instead made the start of each run grow with the history (a
/// collection of 1,000 backups: 1,000 manifest GETs before the first byte on S3).
/// </summary>
internal sealed class BackupHistory
{
    /// <summary>"yyyyMMddTHHmmssZ": backups whose ids share it started in the same second.</summary>
    private const int SecondLength = 16;

    private readonly BackupRepository _repository;
    private readonly string _collection;
    private readonly List<string> _newestFirst;
    private readonly HashSet<string> _committed;
    private readonly Dictionary<string, BackupManifest> _read = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DocumentCorruptException> _damaged = new(StringComparer.Ordinal);

    /// <param name="folders">The collection's backup folders, from one listing (committed ones are used).</param>
    public BackupHistory(BackupRepository repository, string collection, IEnumerable<BackupFolder> folders)
    {
        _repository = repository;
        _collection = collection;
        _newestFirst = folders.Where(f => f.Committed).Select(f => f.Id).ToList();
        _newestFirst.Sort((a, b) => string.CompareOrdinal(b, a)); // ids sort by their start second
        _committed = new HashSet<string>(_newestFirst, StringComparer.Ordinal);
    }

    /// <summary>The trusted backups, newest first: by start time (then id), as a full listing sorts them.</summary>
    public async IAsyncEnumerable<BackupManifest> NewestFirstAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var entry in EntriesNewestFirstAsync(ct).ConfigureAwait(false))
            if (entry.Manifest != null)
                yield return entry.Manifest;
    }

    /// <summary>
    /// Every committed backup, newest first, a damaged one with its error (and the time its id names).
    /// Ids give the order to the second; the backups of one second are read together and sorted.
    /// </summary>
    public async IAsyncEnumerable<HistoryEntry> EntriesNewestFirstAsync([EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < _newestFirst.Count;)
        {
            var second = _newestFirst[i].AsSpan(0, SecondLength).ToString();
            var group = new List<HistoryEntry>();
            for (; i < _newestFirst.Count && _newestFirst[i].StartsWith(second, StringComparison.Ordinal); i++)
            {
                var id = _newestFirst[i];
                var manifest = await TryReadAsync(id, ct).ConfigureAwait(false);
                group.Add(new HistoryEntry(id, manifest, manifest == null ? _damaged[id] : null));
            }
            group.Sort((a, b) => a.StartTime != b.StartTime ? b.StartTime.CompareTo(a.StartTime) : string.CompareOrdinal(b.Id, a.Id));
            foreach (var entry in group)
                yield return entry;
        }
    }

    /// <summary>The newest trusted backup; null when there is none.</summary>
    public async Task<BackupManifest?> NewestAsync(CancellationToken ct)
    {
        await foreach (var manifest in NewestFirstAsync(ct).ConfigureAwait(false))
            return manifest;
        return null;
    }

    /// <summary>
    /// A damaged backup newer than <paramref name="newest"/> (or any, when there is no trusted one),
    /// oldest first; null when none. Call after <see cref="NewestAsync"/>: every backup newer than
    /// the newest trusted one has been read by then.
    /// </summary>
    public DocumentCorruptException? DamagedNewerThan(BackupManifest? newest) =>
        _damaged.Where(d => newest == null || string.CompareOrdinal(d.Key, newest.Id) > 0)
            .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Value).FirstOrDefault();

    /// <summary>A committed backup by id (null when the listing has none); a damaged one throws its error.</summary>
    public async Task<BackupManifest?> FindAsync(string id, CancellationToken ct)
    {
        if (!_committed.Contains(id)) return null;
        return await TryReadAsync(id, ct).ConfigureAwait(false) ?? throw _damaged[id];
    }

    /// <summary>The manifest, read once; null (and remembered as damaged) when it fails its checks.</summary>
    private async Task<BackupManifest?> TryReadAsync(string id, CancellationToken ct)
    {
        if (_read.TryGetValue(id, out var known)) return known;
        if (_damaged.ContainsKey(id)) return null;
        try
        {
            return _read[id] = await _repository.ReadManifestAsync(_collection, id, ct).ConfigureAwait(false);
        }
        catch (DocumentCorruptException e)
        {
            _damaged[id] = e;
            return null;
        }
    }
}

/// <summary>A committed backup in a <see cref="BackupHistory"/>: its manifest, or the error that made it untrusted.</summary>
internal sealed record HistoryEntry(string Id, BackupManifest? Manifest, DocumentCorruptException? Error)
{
    /// <summary>The manifest's start time; a damaged backup's is the second its id names.</summary>
    public DateTimeOffset StartTime => Manifest?.StartTime ?? BackupId.TimeOf(Id);
}
