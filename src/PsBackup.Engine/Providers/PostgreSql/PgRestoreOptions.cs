namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>Restore options of PostgreSQL table targets (Restore-Backup's PostgreSQL switches).</summary>
public sealed record PgRestoreOptions
{
    /// <summary>Restore owners and privileges (GRANT/REVOKE) of what the restore creates; the roles must exist at the destination.</summary>
    public bool IncludePrivileges { get; init; }

    /// <summary>Restore foreign keys to tables outside the collection, where such a table exists at the destination.</summary>
    public bool IncludeExternalForeignKeys { get; init; }

    public static PgRestoreOptions Default { get; } = new();
}
