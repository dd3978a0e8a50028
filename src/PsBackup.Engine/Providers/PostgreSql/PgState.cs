namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// What a PostgreSQL target's record keeps for the next incremental (its "state" in the manifest):
/// the slot and publication that capture its changes, and the LSN up to which this backup holds
/// them. The next incremental stores every transaction committed after <see cref="Lsn"/>.
/// </summary>
internal sealed class PgState
{
    /// <summary>Null when the collection takes no incrementals.</summary>
    public string? Slot { get; set; }
    public string? Publication { get; set; }

    /// <summary>The backup holds every transaction that committed at or before this LSN.</summary>
    public string Lsn { get; set; } = "0/0";

    /// <summary>Tables (schema.name) the chain captures; a full backup fixes the set.</summary>
    public List<string> Tables { get; set; } = [];

    public long Rows { get; set; }
    public long Bytes { get; set; }
    public long Inserts { get; set; }
    public long Updates { get; set; }
    public long Deletes { get; set; }

    /// <summary>Rows per table as of this backup, for restore drills; null in backups taken before PsBackup recorded it.</summary>
    public PgRowCheck? RowCheck { get; set; }
}
