namespace PsBackup;

/// <summary>
/// Where a PostgreSQL server is and who logs in. The password is never part of a target:
/// it comes per call (-Credential), from PGPASSWORD or from a .pgpass file.
/// </summary>
public abstract class PostgreSqlServerTarget : BackupTarget
{
    public string Host { get; set; } = "localhost";
    public int Port { get; set; } = 5432;

    /// <summary>Null: the -Credential's user, else PGUSER, else the operating-system user.</summary>
    public string? UserName { get; set; }

    /// <summary>Npgsql SSL mode (Disable, Prefer, Require, VerifyCA, VerifyFull); null = Npgsql's default (Prefer).</summary>
    public string? SslMode { get; set; }
}

/// <summary>Tables of one database (schema-qualified names or wildcards such as public.*), or the whole database.</summary>
public sealed class PostgreSqlTarget : PostgreSqlServerTarget
{
    public override string Kind => "PostgreSql";

    public string Database { get; set; } = "";

    /// <summary>Schema-qualified table names or wildcards (public.*, sales.order_*); empty: every table of the database.</summary>
    public string[] Tables { get; set; } = [];

    public override string Location => $"{Host}:{Port}/{Database}";
}
