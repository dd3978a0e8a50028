using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>
/// The "schema" artifact of a PostgreSQL table target (JSON). Version 1: the tables. Version 2
/// adds what the tables depend on (<see cref="Dependencies"/>) and, per table, partitioning,
/// foreign keys, triggers, comments, privileges, UNLOGGED, storage parameters, the replica
/// identity's index and the COPY format. Both are read.
/// </summary>
internal sealed class PgSchemaDocument
{
    public const int CurrentVersion = 2;

    internal static readonly Repository.DocumentType DocumentType = new("PostgreSQL schema artifact", null, CurrentVersion);

    public int FormatVersion { get; set; } = CurrentVersion;
    public List<PgTableDefinition> Tables { get; set; } = [];

    /// <summary>Schemas, extensions, types, functions and sequences, in creation order (version 2).</summary>
    public List<PgDependency> Dependencies { get; set; } = [];

    /// <summary>Every sequence whose position a restore sets: the tables' own and the ones their defaults use.</summary>
    public IEnumerable<PgSequence> AllSequences =>
        Tables.SelectMany(t => t.Sequences).Concat(Dependencies.Where(d => d.Sequence != null).Select(d => d.Sequence!));

    public static async Task<PgSchemaDocument> ReadAsync(Stream stream, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var document = Json.FromBytes<PgSchemaDocument>(buffer.ToArray(), "A PostgreSQL schema artifact");
        Repository.FormatVersion.Check(DocumentType, null, document.FormatVersion, "A PostgreSQL schema artifact", "its backup");
        return document;
    }
}
