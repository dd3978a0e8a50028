using Newtonsoft.Json;
using Npgsql;
using NpgsqlTypes;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.PostgreSql;

/// <summary>Small helpers the catalog readers share: OID array parameters, privileges as JSON, the server version check.</summary>
internal static class PgCatalog
{
    /// <summary>The oldest server whose catalogs the readers know (pg_trigger.tgparentid, multiranges).</summary>
    public const int MinimumVersion = 140000;

    /// <summary>Objects created by initdb have smaller OIDs: they exist in every database of the same major version.</summary>
    public const uint FirstUserOid = 16384;

    public static NpgsqlParameter Oids(string name, IEnumerable<uint> oids) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = oids.ToArray() };

    /// <summary>
    /// SQL for an ACL column as a JSON array of grants (aclexplode), null when the ACL is null —
    /// the default privileges, nothing to grant. An empty array means everything was revoked.
    /// </summary>
    public static string GrantsJson(string acl) => $"""
        CASE WHEN {acl} IS NOT NULL THEN coalesce((SELECT json_agg(json_build_object(
            'grantee', CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee) END,
            'privilege', x.privilege_type, 'grantable', x.is_grantable) ORDER BY x.grantee, x.privilege_type)
          FROM aclexplode({acl}) x), '[]')::text END
        """;

    public static List<PgGrant>? Grants(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonConvert.DeserializeObject<List<PgGrant>>(reader.GetString(ordinal), Json.Settings);

    public static string? NullableString(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static async Task RequireVersionAsync(NpgsqlConnection connection, string server, CancellationToken ct)
    {
        var version = await connection.ScalarAsync<int>("SELECT current_setting('server_version_num')::int", ct).ConfigureAwait(false);
        if (version < MinimumVersion)
            throw new PsBackupException("ServerVersionUnsupported", ErrorKind.InvalidArgument,
                $"{server} runs PostgreSQL {version / 10000}; table collections need PostgreSQL 14 or later.");
    }
}
