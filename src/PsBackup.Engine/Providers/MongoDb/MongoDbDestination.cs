using System.Net;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Where a MongoDB restore writes: the target's own database (no -Destination), another database
/// on the target's server (a plain name), or a mongodb:// / mongodb+srv:// URI (its path names
/// the database, else the target's). The login is -Credential, else the URI's own, used for this
/// call only.
/// </summary>
internal sealed record MongoDbDestination(string ConnectionString, string Database, NetworkCredential? Credential)
{
    public static MongoDbDestination Resolve(MongoDbTarget target, string? destination, NetworkCredential? credential)
    {
        if (string.IsNullOrWhiteSpace(destination))
            return new(target.ConnectionString, target.Database, credential);
        if (destination.Contains("://", StringComparison.Ordinal))
        {
            var url = MongoDbNames.ParseUri(destination, "-Destination");
            var database = string.IsNullOrEmpty(url.DatabaseName) ? target.Database : url.DatabaseName;
            MongoDbNames.ValidateDatabase(database, "-Destination database");
            return new(destination, database, credential);
        }
        MongoDbNames.ValidateDatabase(destination, "-Destination database");
        return new(target.ConnectionString, destination, credential);
    }

    /// <summary>For messages and results: hosts and database, never a login.</summary>
    public override string ToString() => $"{MongoDbConnections.Describe(ConnectionString)}/{Database}";

    public MongoDB.Driver.MongoClient Open() => MongoDbConnections.Open(ConnectionString, Credential);
}
