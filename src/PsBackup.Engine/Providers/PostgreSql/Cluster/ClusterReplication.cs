using System.Net;
using Npgsql;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// The cluster's primary (the target's Host:Port) and the standbys it names (-Standby): their
/// roles and lag read from the servers (pg_is_in_recovery, pg_current_wal_lsn on the primary,
/// pg_last_wal_receive_lsn and pg_stat_wal_receiver on a standby), promotion with pg_promote().
/// </summary>
internal static class ClusterReplication
{
    private static readonly TimeSpan PromoteWait = TimeSpan.FromSeconds(60);

    public static async Task<IReadOnlyList<ReplicaState>> ReadAsync(PostgreSqlClusterTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var primary = await ReadServerAsync(target, credential, ct).ConfigureAwait(false);
        var states = new List<ReplicaState> { primary.State };
        foreach (var standby in target.Standby)
        {
            var server = await ReadServerAsync(At(target, standby), credential, ct).ConfigureAwait(false);
            var state = server.State;
            if (primary.Current is { } current && server.Received is { } received && state.Role == ReplicaRole.Replica)
            {
                var lag = current > received ? (long)(current.Value - received.Value) : 0;
                state = state with { LagBytes = lag, LagTime = lag == 0 ? TimeSpan.Zero : state.LagTime };
            }
            states.Add(state);
        }
        return states;
    }

    /// <summary>Primary reachable: its current position minus what the standby received. Else: the end of the archive minus it.</summary>
    public static async Task<DataLossEstimate> EstimateAsync(CollectionScope scope, PostgreSqlClusterTarget target, IReadOnlyList<ReplicaState> servers, ReplicaState standby,
        NetworkCredential? credential, CancellationToken ct)
    {
        var primary = servers.FirstOrDefault(s => s.Role == ReplicaRole.Primary && s.Endpoint == Endpoint(target));
        if (standby.Position.Length == 0)
            return new DataLossEstimate(null, $"standby {standby.Endpoint} reports no received position");
        var received = Lsn.Parse(standby.Position);
        var archive = await ArchiveEndAsync(scope, At(target, standby.Endpoint), credential, ct).ConfigureAwait(false);
        var archived = archive == null ? "the archive holds no segment" : $"the archive ends at {archive.Value.Segment} ({archive.Value.End})";
        if (primary is { Reachable: true } && primary.Position.Length > 0)
        {
            var current = Lsn.Parse(primary.Position);
            var loss = current > received ? (long)(current.Value - received.Value) : 0;
            return new DataLossEstimate(loss, $"primary {primary.Endpoint} at {current}, standby {standby.Endpoint} received {received}; {archived}");
        }
        if (archive == null)
            return new DataLossEstimate(null, $"primary {Endpoint(target)} does not answer and {archived}: what it wrote after {received} is unknown");
        var end = archive.Value.End;
        var behind = end > received ? (long)(end.Value - received.Value) : 0;
        return new DataLossEstimate(behind, $"primary {Endpoint(target)} does not answer: standby {standby.Endpoint} received {received}, {archived} " +
                                            "(WAL the primary wrote after the last archived segment, if any, cannot be known)");
    }

    public static async Task PromoteAsync(PostgreSqlClusterTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = PgConnections.Builder(At(target, endpoint), "postgres", credential);
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        try
        {
            if (!await connection.ScalarAsync<bool>("SELECT pg_is_in_recovery()", ct).ConfigureAwait(false))
                throw new FailoverFailedException($"PostgreSQL {endpoint} is not a standby (not in recovery): nothing to promote.");
            await using (var command = new NpgsqlCommand("SELECT pg_promote(true, @wait)", connection))
            {
                command.Parameters.AddWithValue("wait", (int)PromoteWait.TotalSeconds);
                if (!(bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                    throw new FailoverFailedException($"PostgreSQL {endpoint}: pg_promote() did not finish within {PromoteWait.TotalSeconds:0} s; see its server log.");
            }
            // pg_promote(wait => true) returns once promoted; recovery ending is checked, not assumed.
            var deadline = DateTime.UtcNow + PromoteWait;
            while (await connection.ScalarAsync<bool>("SELECT pg_is_in_recovery()", ct).ConfigureAwait(false))
            {
                if (DateTime.UtcNow > deadline)
                    throw new FailoverFailedException($"PostgreSQL {endpoint} is still in recovery {PromoteWait.TotalSeconds:0} s after pg_promote().");
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new TargetAuthenticationException($"PostgreSQL {endpoint}: user '{builder.Username}' may not run pg_promote() (superuser, or GRANT EXECUTE ON FUNCTION pg_promote TO …).", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PsBackupException)
        {
            throw PgConnections.Translate(e, builder);
        }
    }

    /// <summary>txid_current() assigns a transaction id: a write to the log that a server in recovery refuses, and no row anywhere.</summary>
    public static async Task VerifyWritableAsync(PostgreSqlClusterTarget target, string endpoint, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = PgConnections.Builder(At(target, endpoint), "postgres", credential);
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        try
        {
            await connection.ScalarAsync<long>("SELECT txid_current()", ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new FailoverFailedException($"PostgreSQL {endpoint} refused a write after its promotion: {e.MessageText}", e);
        }
    }

    public static PostgreSqlClusterTarget PointAt(PostgreSqlClusterTarget target, string oldPrimary, string newPrimary)
    {
        var moved = At(target, newPrimary);
        moved.Standby = target.Standby.Where(s => !Same(s, newPrimary) && !Same(s, oldPrimary)).ToArray();
        return moved;
    }

    public static PostgreSqlClusterTarget WithStandbys(PostgreSqlClusterTarget target, IReadOnlyList<string> standbys)
    {
        var copy = At(target, Endpoint(target));
        copy.Standby = standbys.Select(s => Endpoint(ClusterTargets.Create(s, null, target.Name, null))).Distinct().ToArray();
        if (copy.Standby.Any(s => s == Endpoint(target)))
            throw new InvalidBackupRequestException("StandbyIsPrimary", $"-Standby names the cluster's own server {Endpoint(target)}; a standby is another server.");
        return copy;
    }

    public static string Endpoint(PostgreSqlServerTarget target) => target.Host.Contains(':') ? $"[{target.Host}]:{target.Port}" : $"{target.Host}:{target.Port}";

    /// <summary>The target's connection settings aimed at another server (host:port).</summary>
    public static PostgreSqlClusterTarget At(PostgreSqlClusterTarget target, string endpoint)
    {
        var parsed = ClusterTargets.Create(endpoint, null, target.Name, null);
        return new PostgreSqlClusterTarget
        {
            Name = target.Name, Host = parsed.Host, Port = parsed.Port, UserName = target.UserName, SslMode = target.SslMode, Standby = target.Standby,
        };
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private sealed record Server(ReplicaState State, Lsn? Current, Lsn? Received);

    private static async Task<Server> ReadServerAsync(PostgreSqlClusterTarget target, NetworkCredential? credential, CancellationToken ct)
    {
        var endpoint = Endpoint(target);
        var builder = PgConnections.Builder(target, "postgres", credential);
        NpgsqlConnection connection;
        try
        {
            connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        }
        catch (TargetUnavailableException e)
        {
            return new Server(new ReplicaState(endpoint, ReplicaRole.Unknown, false, false, null, null, "", e.Message) { ErrorId = e.ErrorId }, null, null);
        }
        await using (connection)
        {
            try
            {
                await using var command = new NpgsqlCommand("""
                    SELECT pg_is_in_recovery(),
                           CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                           pg_last_wal_receive_lsn()::text,
                           pg_last_wal_replay_lsn()::text,
                           (SELECT status FROM pg_stat_wal_receiver),
                           CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN interval '0'
                                ELSE now() - pg_last_xact_replay_timestamp() END
                    """, connection);
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await reader.ReadAsync(ct).ConfigureAwait(false);
                if (!reader.GetBoolean(0))
                {
                    var current = Lsn.Parse(reader.GetString(1));
                    return new Server(new ReplicaState(endpoint, ReplicaRole.Primary, true, true, 0, TimeSpan.Zero, current.ToString(), $"primary at {current}"), current, null);
                }
                var received = reader.IsDBNull(2) ? (Lsn?)null : Lsn.Parse(reader.GetString(2));
                var replayed = reader.IsDBNull(3) ? "" : reader.GetString(3);
                var status = reader.IsDBNull(4) ? "" : reader.GetString(4);
                TimeSpan? lagTime = reader.IsDBNull(5) ? null : reader.GetTimeSpan(5);
                var streaming = status == "streaming";
                var message = streaming
                    ? $"standby streaming: received {received}, replayed {replayed}"
                    : $"standby not streaming (WAL receiver {(status.Length == 0 ? "not running" : status)}): received {received?.ToString() ?? "nothing"}, replayed {replayed}; check primary_conninfo and the primary";
                return new Server(new ReplicaState(endpoint, ReplicaRole.Replica, true, streaming, null, lagTime, received?.ToString() ?? "", message), null, received);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw PgConnections.Translate(e, builder);
            }
        }
    }

    /// <summary>The newest segment of the collection's archive and the position where it ends; null when it holds none.</summary>
    private static async Task<(string Segment, Lsn End)?> ArchiveEndAsync(CollectionScope scope, PostgreSqlClusterTarget standby, NetworkCredential? credential, CancellationToken ct)
    {
        var listing = await WalListing.ReadAsync(scope.Repository.Store, scope.Name, ct).ConfigureAwait(false);
        var newest = listing.Committed.Where(WalFileName.IsSegment).OrderBy(n => n[8..], StringComparer.Ordinal).ThenBy(n => n[..8], StringComparer.Ordinal).LastOrDefault();
        if (newest == null) return null;
        var size = await SegmentSizeAsync(standby, credential, ct).ConfigureAwait(false);
        return (newest, new Lsn((WalFileName.SegmentNumber(newest, size) + 1) * (ulong)size));
    }

    private static async Task<long> SegmentSizeAsync(PostgreSqlClusterTarget server, NetworkCredential? credential, CancellationToken ct)
    {
        var builder = PgConnections.Builder(server, "postgres", credential);
        await using var connection = await PgConnections.OpenAsync(builder, ct).ConfigureAwait(false);
        return await connection.ScalarAsync<long>("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'", ct).ConfigureAwait(false);
    }
}
