namespace PsBackup;

/// <summary>
/// Collections of one MongoDB database (all of them, or names and wildcards). The connection
/// string is stored without its password: the login comes per call (-Credential).
/// </summary>
public sealed class MongoDbTarget : BackupTarget
{
    public override string Kind => "MongoDb";

    /// <summary>A mongodb:// or mongodb+srv:// URI (hosts, user name, options such as replicaSet or tls), never with a password.</summary>
    public string ConnectionString { get; set; } = "";

    public string Database { get; set; } = "";

    /// <summary>Collection names or wildcards (orders, users*); empty: every collection of the database. System collections are never included.</summary>
    public string[] Collections { get; set; } = [];

    /// <summary>The hosts of the connection string and the database: db1:27017,db2:27017/shop.</summary>
    public override string Location => $"{Hosts(ConnectionString)}/{Database}";

    private static string Hosts(string uri)
    {
        var start = uri.IndexOf("://", StringComparison.Ordinal) is var s and >= 0 ? s + 3 : 0;
        var end = uri.IndexOfAny(['/', '?'], start) is var e and >= 0 ? e : uri.Length;
        if (end <= start) return "";
        var at = uri.LastIndexOf('@', end - 1, end - start);
        return uri[(at >= 0 ? at + 1 : start)..end];
    }
}
