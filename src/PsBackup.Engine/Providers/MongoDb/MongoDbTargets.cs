using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>Builds validated MongoDB targets (New-BackupTarget -MongoDb).</summary>
public static class MongoDbTargets
{
    /// <summary>
    /// A MongoDB target: <paramref name="database"/> (else the URI's path) and collections matching
    /// <paramref name="collections"/> (else all). The URI is stored without its password
    /// (<paramref name="droppedPassword"/> tells the caller to warn).
    /// </summary>
    public static MongoDbTarget Create(string connectionString, string? database, string[]? collections, string? name, out bool droppedPassword)
    {
        var url = MongoDbNames.ParseUri(connectionString);
        var target = new MongoDbTarget
        {
            ConnectionString = MongoDbNames.WithoutSecrets(connectionString, out droppedPassword),
            Database = string.IsNullOrEmpty(database) ? url.DatabaseName ?? "" : database,
            Collections = (collections ?? []).Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToArray(),
        };
        target.Name = string.IsNullOrEmpty(name) ? Names.From(target.Database) : name;
        Validate(target);
        Names.Validate(target.Name, "Target");
        return target;
    }

    /// <summary>Checks a target before it is stored (also one built by hand): a password never reaches a repository.</summary>
    internal static void Validate(MongoDbTarget target)
    {
        MongoDbNames.ParseUri(target.ConnectionString, $"Target '{target.Name}': the connection string");
        MongoDbNames.WithoutSecrets(target.ConnectionString, out var secret);
        if (secret)
            throw new InvalidBackupRequestException("SecretInTarget",
                $"Target '{target.Name}': the connection string holds a password, which PsBackup never stores. Make the target with New-BackupTarget -MongoDb (it drops it) and give the password with -Credential.");
        if (string.IsNullOrEmpty(target.Database))
            throw new InvalidBackupRequestException("MongoDatabaseRequired",
                $"Target '{target.Name}': a MongoDB target needs a database: give -Database, or put it in the connection string (mongodb://host/shop).");
        MongoDbNames.ValidateDatabase(target.Database);
        foreach (var pattern in target.Collections)
            MongoDbNames.ValidateCollection(pattern);
    }
}
