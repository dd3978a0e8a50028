namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>Restore-Backup's options for PostgreSQL table targets.</summary>
public sealed record PgTableRestoreOptions
{
    /// <summary>Restore each table as prefix + name, next to the originals (a restore drill).</summary>
    public string? TablePrefix { get; init; }
}
