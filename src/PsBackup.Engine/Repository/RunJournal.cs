using System.Reflection;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// A collection's run journal (docs/design.md, "Run journal"): one small record per run of an
/// operation, appended with create-if-absent under a unique name and never rewritten, so
/// concurrent writers (a backup, a Test-Backup, a drill on another host) need no lock. Old records
/// are pruned by age; what they counted moves to a totals document first, so the run counters never
/// go down. Writing the journal never fails the operation it records.
/// </summary>
public static class RunJournal
{
    /// <summary>How long records are kept by default.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(90);

    /// <summary>How long a record write may take after the run itself was cancelled.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(15);

    internal static readonly string Tool = $"PsBackup {typeof(RunJournal).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}";

    /// <summary>
    /// Appends <paramref name="record"/> to its collection's journal; the one call a runner makes.
    /// Never throws: a journal that cannot be written is a warning on <paramref name="progress"/>
    /// (the run's own result stands). Records of Backup and Retention runs also prune records
    /// older than <paramref name="retention"/> (default 90 days). Returns the record's name, or null
    /// when nothing was written (also when the collection does not exist).
    /// </summary>
    public static async Task<RunRecordName?> RecordAsync(BackupRepository repository, RunRecord record, IProgress<BackupProgress>? progress = null,
        TimeSpan? retention = null, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(WriteTimeout);
        try
        {
            if (!Names.IsValid(record.Collection)
                || await repository.Store.StatAsync(RepositoryKeys.Definition(record.Collection), timeout.Token).ConfigureAwait(false) == null)
            {
                progress.Verbose($"No run recorded: repository '{repository.Location}' has no collection '{Names.Printable(record.Collection)}'.");
                return null;
            }
            var name = await AppendAsync(repository.Store, record, timeout.Token).ConfigureAwait(false);
            progress.Verbose($"Recorded the run in the journal of collection '{record.Collection}': {name}.");
            if (record.Operation is RunOperation.Backup or RunOperation.Retention)
                await PruneAsync(repository, record.Collection, retention ?? DefaultRetention, DateTimeOffset.UtcNow, timeout.Token).ConfigureAwait(false);
            return name;
        }
        catch (Exception e)
        {
            progress.Warning($"The run was not recorded in the journal of collection '{Names.Printable(record.Collection)}' in '{repository.Location}' " +
                             $"(Get-BackupRun and the metrics will not show it): {SecretMasker.Hide(e.Message)}");
            return null;
        }
    }

    /// <summary>Writes a record under a new unique name (create-if-absent); the journal's only write of a record.</summary>
    internal static async Task<RunRecordName> AppendAsync(IObjectStore store, RunRecord record, CancellationToken ct)
    {
        Normalize(record);
        var bytes = RepositoryDocuments.ToBytes(record, RunRecord.Type);
        while (true)
        {
            var name = RunRecordName.New(record.Ended, record.Operation, record.Outcome);
            if (await store.TryCreateAsync(RepositoryKeys.Run(record.Collection, name), bytes, ct).ConfigureAwait(false))
                return name;
        }
    }

    /// <summary>What a record may hold: masked and bounded text, the end time to the millisecond its name keeps.</summary>
    private static void Normalize(RunRecord record)
    {
        Names.Validate(record.Collection, "Collection");
        record.Format = RunRecord.FormatName;
        record.Version = RunRecord.Type.Current;
        record.Started = Millisecond(record.Started);
        record.Ended = Millisecond(record.Ended);
        record.DurationSeconds = Math.Max(0, Math.Round(record.DurationSeconds, 3));
        record.Message = Bounded(SecretMasker.Hide(record.Message));
        record.Target = Bounded(SecretMasker.Hide(record.Target));
        record.ErrorId = Bounded(record.ErrorId);
        if (string.IsNullOrEmpty(record.Tool)) record.Tool = Tool;
        if (record.Facts != null)
            foreach (var (name, value) in record.Facts)
                if (!double.IsFinite(value) || !IsFactName(name))
                    throw new ArgumentException($"Run fact '{name}' = {value} is not a finite number with a camelCase name.");
    }

    private static bool IsFactName(string name) => name.Length is > 0 and <= 64 && char.IsAsciiLetterLower(name[0]) && name.All(char.IsAsciiLetterOrDigit);

    private static DateTimeOffset Millisecond(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    private static string? Bounded(string? text) => text is { Length: > RunRecord.MaxMessage } ? text[..(RunRecord.MaxMessage - 1)] + "…" : text;

    /// <summary>
    /// The journal's names: records and totals, each oldest first. Records are listed before totals
    /// (a pruner writes totals before it deletes what they count; see <see cref="CountAsync"/>).
    /// </summary>
    public static async Task<JournalListing> ListAsync(IObjectStore store, string collection, CancellationToken ct)
    {
        // Names only: sizes are never needed, and on a disk a names listing reads the directory without a stat per record.
        var records = new List<RunRecordName>();
        foreach (var entry in await store.ListNamesAsync(RepositoryKeys.Runs(collection), ct).ConfigureAwait(false))
            if (NameOf(entry) is { } name && RunRecordName.Parse(name) is { } parsed)
                records.Add(parsed);
        var totals = new List<DateTimeOffset>();
        foreach (var entry in await store.ListNamesAsync(RepositoryKeys.RunTotals(collection), ct).ConfigureAwait(false))
            if (NameOf(entry) is { } name && RunTotalsDocument.ThroughOf(name) is { } through)
                totals.Add(through);
        // ListNamesAsync sorts ordinally on every store, so the records are in name (= time) order already.
        totals.Sort();
        return new JournalListing(records, totals);
    }

    /// <summary>"x" for an object "x.json" directly in the folder; null otherwise (temporary objects, strangers).</summary>
    private static string? NameOf(string entry) => entry.EndsWith(".json", StringComparison.Ordinal) && !entry.Contains('/') ? entry[..^5] : null;

    /// <summary>
    /// Every run ever recorded, by operation and outcome, with the newest end time of each: the
    /// newest totals document plus the records that ended at or after its moment (older ones still
    /// listed are leftovers of an interrupted prune, already counted there).
    /// </summary>
    public static async Task<RunCounts> CountAsync(BackupRepository repository, string collection, CancellationToken ct)
    {
        var listing = await ListAsync(repository.Store, collection, ct).ConfigureAwait(false);
        return await CountAsync(repository, collection, listing, ct).ConfigureAwait(false);
    }

    /// <summary><see cref="CountAsync(BackupRepository, string, CancellationToken)"/> of a listing already made.</summary>
    public static async Task<RunCounts> CountAsync(BackupRepository repository, string collection, JournalListing listing, CancellationToken ct)
    {
        var counts = new RunCounts();
        DateTimeOffset? through = listing.Totals.Count > 0 ? listing.Totals[^1] : null;
        if (through is { } day)
            foreach (var total in (await ReadTotalsAsync(repository, collection, day, ct).ConfigureAwait(false)).Runs)
                counts.Add(total.Operation, total.Outcome, total.Count, total.LastEnded);
        foreach (var record in listing.Records)
            if (through == null || record.Ended >= through)
                counts.Add(record.Operation, record.Outcome, 1, record.Ended);
        return counts;
    }

    /// <summary>
    /// Deletes records that ended before midnight UTC of (<paramref name="now"/> − <paramref name="retention"/>),
    /// after creating the totals document that counts them (unless one already does). No lock: totals are
    /// immutable and always created before the first record they count is deleted, and every reader lists
    /// records before totals, so no reader ever misses or double-counts a run. Returns the records deleted.
    /// </summary>
    public static async Task<int> PruneAsync(BackupRepository repository, string collection, TimeSpan retention, DateTimeOffset now, CancellationToken ct)
    {
        var cutoff = new DateTimeOffset((now - retention).UtcDateTime.Date, TimeSpan.Zero);
        var store = repository.Store;
        var listing = await ListAsync(store, collection, ct).ConfigureAwait(false);
        var counted = listing.Totals.Where(t => t <= cutoff).ToList();
        DateTimeOffset? through = counted.Count > 0 ? counted[^1] : null;
        var absorb = listing.Records.Where(r => r.Ended < cutoff && (through == null || r.Ended >= through)).ToList();
        if (absorb.Count > 0)
        {
            var totals = through is { } day ? await ReadTotalsAsync(repository, collection, day, ct).ConfigureAwait(false) : new RunTotalsDocument();
            var counts = new RunCounts();
            foreach (var total in totals.Runs)
                counts.Add(total.Operation, total.Outcome, total.Count, total.LastEnded);
            foreach (var record in absorb)
                counts.Add(record.Operation, record.Outcome, 1, record.Ended);
            var document = new RunTotalsDocument { Collection = collection, Through = cutoff, Runs = [.. counts.All] };
            await store.TryCreateAsync(RepositoryKeys.RunTotal(collection, cutoff), RepositoryDocuments.ToBytes(document, RunTotalsDocument.Type), ct).ConfigureAwait(false);
            through = cutoff;
        }
        if (through == null)
            return 0;
        var deleted = 0;
        foreach (var record in listing.Records.Where(r => r.Ended < through))
        {
            await store.DeleteAsync(RepositoryKeys.Run(collection, record), ct).ConfigureAwait(false);
            deleted++;
        }
        foreach (var older in listing.Totals.Where(t => t < through))
            await store.DeleteAsync(RepositoryKeys.RunTotal(collection, older), ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>A record, checked: version and digest, and that it is the record its name and folder say.</summary>
    public static async Task<RunRecord> ReadAsync(BackupRepository repository, string collection, RunRecordName name, CancellationToken ct)
    {
        var key = RepositoryKeys.Run(collection, name);
        var where = $"{repository.Location}/{key}";
        var record = RepositoryDocuments.Read<RunRecord>(await RepositoryDocuments.ReadBytesAsync(repository.Store, key, ct).ConfigureAwait(false),
            RunRecord.Type, $"Run record '{name}'", where).Value;
        string? problem = null;
        if (record.Collection != collection) problem = $"it names collection '{Names.Printable(record.Collection)}'";
        else if (record.Operation != name.Operation || record.Outcome != name.Outcome) problem = "its operation or outcome differs from its name's";
        else if (record.Ended.ToUniversalTime() != name.Ended) problem = "its end time differs from its name's";
        else if (record.Started > record.Ended || !double.IsFinite(record.DurationSeconds) || record.DurationSeconds < 0) problem = "its times are not in order";
        else if (record.Bytes < 0 || record.StoredBytes < 0 || record.Items < 0 || record.FailedItems < 0) problem = "a count is negative";
        else if (record.Message?.Length > RunRecord.MaxMessage || record.ErrorId?.Length > RunRecord.MaxMessage || record.Target?.Length > RunRecord.MaxMessage) problem = "a text is too long";
        else if (record.Facts?.Any(f => !double.IsFinite(f.Value) || !IsFactName(f.Key)) == true) problem = "a fact is not a finite number with a camelCase name";
        if (problem != null)
            throw new DocumentCorruptException($"Run record '{name}' at '{where}' is not valid: {problem}. It is not trusted.") { TargetObject = name.Name };
        return record;
    }

    private static async Task<RunTotalsDocument> ReadTotalsAsync(BackupRepository repository, string collection, DateTimeOffset through, CancellationToken ct)
    {
        var key = RepositoryKeys.RunTotal(collection, through);
        var where = $"{repository.Location}/{key}";
        var totals = RepositoryDocuments.Read<RunTotalsDocument>(await RepositoryDocuments.ReadBytesAsync(repository.Store, key, ct).ConfigureAwait(false),
            RunTotalsDocument.Type, "Run totals", where).Value;
        if (totals.Collection != collection || totals.Through != through || totals.Runs == null || totals.Runs.Any(r => r == null || r.Count < 0))
            throw new DocumentCorruptException($"Run totals at '{where}' are not valid: not this collection's, not of the day they are named for, or a count is negative. They are not trusted.");
        return totals;
    }
}

/// <summary>The names in a collection's journal, oldest first: its records and the moments its totals documents count through.</summary>
public sealed record JournalListing(List<RunRecordName> Records, List<DateTimeOffset> Totals);

/// <summary>Runs counted by operation and outcome, with the newest end time of each.</summary>
public sealed class RunCounts
{
    private readonly Dictionary<(RunOperation, RunOutcome), RunTotal> _totals = [];

    public void Add(RunOperation operation, RunOutcome outcome, long count, DateTimeOffset? ended)
    {
        if (!_totals.TryGetValue((operation, outcome), out var total))
            _totals[(operation, outcome)] = total = new RunTotal { Operation = operation, Outcome = outcome };
        total.Count += count;
        if (ended is { } time && (total.LastEnded == null || time > total.LastEnded))
            total.LastEnded = time;
    }

    public long Count(RunOperation operation, RunOutcome outcome) => _totals.TryGetValue((operation, outcome), out var total) ? total.Count : 0;

    /// <summary>When the newest run of <paramref name="operation"/> with <paramref name="outcome"/> ended; null when none is known.</summary>
    public DateTimeOffset? LastEnded(RunOperation operation, RunOutcome outcome) => _totals.TryGetValue((operation, outcome), out var total) ? total.LastEnded : null;

    /// <summary>Every (operation, outcome) seen, in enum order.</summary>
    public IEnumerable<RunTotal> All => _totals.Values.OrderBy(t => t.Operation).ThenBy(t => t.Outcome);

    /// <summary>Operations with at least one run.</summary>
    public IEnumerable<RunOperation> Operations => _totals.Keys.Select(k => k.Item1).Distinct().Order();
}
