using MongoDB.Driver;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// MongoDB's own rules for connection strings, database and collection names, checked before
/// anything is stored or sent (https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions).
/// </summary>
internal static class MongoDbNames
{
    private static readonly System.Buffers.SearchValues<char> DatabaseForbidden = System.Buffers.SearchValues.Create("/\\. \"$*<>:|?\0");

    /// <summary>Parses a mongodb:// or mongodb+srv:// URI; InvalidMongoConnectionString (password masked) otherwise.</summary>
    public static MongoUrl ParseUri(string connectionString, string what = "-ConnectionString")
    {
        if (!connectionString.StartsWith("mongodb://", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.StartsWith("mongodb+srv://", StringComparison.OrdinalIgnoreCase))
            throw InvalidUri(connectionString, what, "it must start with mongodb:// or mongodb+srv://");
        try
        {
            return new MongoUrl(connectionString);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            throw InvalidUri(connectionString, what, e.Message.Replace(connectionString, SecretMasker.Hide(connectionString), StringComparison.Ordinal));
        }
    }

    private static InvalidBackupRequestException InvalidUri(string connectionString, string what, string why) =>
        new("InvalidMongoConnectionString",
            $"{what} '{SecretMasker.Hide(connectionString)}' is not a MongoDB connection string: {why}. Give mongodb://[user@]host[:port][,host2…]/[database][?options].");

    /// <summary>
    /// The URI without its secrets: the password of the user information and any option whose name
    /// holds "password" (tlsCertificateKeyFilePassword). Everything else stays as written.
    /// </summary>
    public static string WithoutSecrets(string connectionString, out bool dropped)
    {
        dropped = false;
        var start = connectionString.IndexOf("://", StringComparison.Ordinal) + 3;
        var hostsEnd = connectionString.IndexOfAny(['/', '?'], start) is var e and >= 0 ? e : connectionString.Length;
        var at = hostsEnd > start ? connectionString.LastIndexOf('@', hostsEnd - 1, hostsEnd - start) : -1;
        var result = connectionString;
        if (at >= 0 && connectionString.IndexOf(':', start, at - start) is var colon and >= 0)
        {
            result = connectionString[..colon] + connectionString[at..];
            dropped = true;
        }
        var query = result.IndexOf('?', StringComparison.Ordinal);
        if (query < 0) return result;
        var options = result[(query + 1)..].Split('&', ';');
        var kept = options.Where(o => !o.Split('=')[0].Contains("password", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (kept.Length == options.Length) return result;
        dropped = true;
        return kept.Length == 0 ? result[..query] : result[..(query + 1)] + string.Join('&', kept);
    }

    public static void ValidateDatabase(string name, string what = "Database")
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || name.AsSpan().IndexOfAny(DatabaseForbidden) >= 0)
            throw new InvalidBackupRequestException("InvalidMongoDatabase",
                $"{what} name '{name}' is not a valid MongoDB database name: 1–63 characters, none of / \\ . space \" $ * < > : | ?");
    }

    /// <summary>A collection name, or a wildcard pattern of names, or a prefix that restored names start with (the server checks the rest, such as length).</summary>
    public static void ValidateCollection(string name, string what = "Collection", bool prefix = false)
    {
        if ((!prefix && name.Length == 0) || name.Contains('$') || name.Contains('\0') || name.StartsWith('.'))
            throw new InvalidBackupRequestException("InvalidMongoCollection",
                $"{what} '{name}' is not a valid MongoDB collection name: not empty, no '$' or NUL, not starting with '.'.");
        if (IsSystem(name))
            throw new InvalidBackupRequestException("InvalidMongoCollection",
                $"{what} '{name}' names system collections (system.*), which PsBackup never backs up or restores: MongoDB manages them.");
    }

    public static bool IsSystem(string collection) => collection.StartsWith("system.", StringComparison.Ordinal);
}
