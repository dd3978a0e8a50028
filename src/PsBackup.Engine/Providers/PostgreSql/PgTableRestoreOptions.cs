namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>Restore-Backup's options for PostgreSQL table targets.</summary>
public sealed record PgTableRestoreOptions
{
    /// <summary>Restore each table as prefix + name, next to the originals (a restore drill).</summary>
    public string? TablePrefix { get; init; }

    /// <summary>Restore owners and privileges (GRANT/REVOKE) of what the restore creates; the roles must exist at the destination.</summary>
    public bool IncludePrivileges { get; init; }

    /// <summary>Restore foreign keys to tables outside the collection, where such a table exists at the destination.</summary>
    public bool IncludeExternalForeignKeys { get; init; }
}
