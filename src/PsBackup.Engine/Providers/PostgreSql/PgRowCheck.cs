using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// What a table backup records about its rows for restore drills ("rowCheck" in the target's state
/// in the manifest): per table with rows of its own, the number of rows and the sum of their
/// hashes (<see cref="PgRowHash"/>), as of the backup. A full computes both while it streams the
/// rows (no second scan). An incremental carries both forward for the tables it saw no change of,
/// and for the others keeps only the count (the previous count plus inserts minus deletes, zero at
/// a truncation): logical decoding sends the old row of an update or delete as its key only, so the
/// sum cannot be recomputed; those tables have no sum ("sum": null) until the next full.
/// </summary>
internal sealed class PgRowCheck
{
    public const int CurrentVersion = 1;
    public const string HashName = "xxh3-128-sum";

    internal static readonly DocumentType DocumentType = new("PostgreSQL row check", null, CurrentVersion);

    public int Version { get; set; } = CurrentVersion;

    /// <summary>How rows are hashed and combined: XXH3-128 of each row's COPY image, summed modulo 2^128.</summary>
    public string Hash { get; set; } = HashName;

    public List<PgTableRows> Tables { get; set; } = [];
}

/// <summary>One table's rows as of a backup: "schema.table", the count, and the sum (null when an incremental changed the table).</summary>
internal sealed class PgTableRows
{
    public string Table { get; set; } = "";
    public long Rows { get; set; }
    public string? Sum { get; set; }
}

/// <summary>An incremental's running row counts per table of the full's schema, from the base's row check.</summary>
internal sealed class PgRowCounts(PgRowCheck @base, PgSchemaDocument schema)
{
    private readonly Dictionary<string, PgTableRows> _rows = @base.Tables.ToDictionary(t => t.Table, t => new PgTableRows { Table = t.Table, Rows = t.Rows, Sum = t.Sum });

    public void Insert(int table) => Change(table, rows => rows.Rows++);

    public void Delete(int table) => Change(table, rows => rows.Rows--);

    public void Update(int table) => Change(table, _ => { });

    public void Truncate(int table) => Change(table, rows => rows.Rows = 0);

    // By table index, looked up once (a change costs no name or dictionary lookup).
    private readonly PgTableRows?[] _byIndex = new PgTableRows?[schema.Tables.Count];
    private readonly bool[] _looked = new bool[schema.Tables.Count];

    private void Change(int table, Action<PgTableRows> change)
    {
        if (!_looked[table])
        {
            _byIndex[table] = _rows.GetValueOrDefault(schema.Tables[table].QualifiedName);
            _looked[table] = true;
        }
        if (_byIndex[table] is not { } rows) return; // a partitioned table: its rows are its partitions'
        rows.Sum = null;
        change(rows);
    }

    public PgRowCheck ToCheck() => new() { Tables = [.. _rows.Values.OrderBy(t => t.Table, StringComparer.Ordinal)] };
}
