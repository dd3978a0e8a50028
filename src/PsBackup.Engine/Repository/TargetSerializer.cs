using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>Maps targets to JSON objects with a "kind" discriminator and back.</summary>
internal static class TargetSerializer
{
    private static readonly Dictionary<TargetKind, Type> Types = new()
    {
        [TargetKind.FileTree] = typeof(FileTreeTarget),
        [TargetKind.PostgreSql] = typeof(PostgreSqlTarget),
        [TargetKind.PostgreSqlCluster] = typeof(PostgreSqlClusterTarget),
        [TargetKind.Redis] = typeof(RedisTarget),
    };

    public static JObject ToJson(BackupTarget target)
    {
        var json = JObject.FromObject(target, Json.Serializer);
        json.AddFirst(new JProperty("kind", JToken.FromObject(target.Kind, Json.Serializer)));
        return json;
    }

    public static BackupTarget FromJson(JObject json, string collection)
    {
        var kindToken = json["kind"] ?? throw new RepositoryFormatException($"A target of collection '{collection}' has no kind.");
        TargetKind kind;
        try { kind = kindToken.ToObject<TargetKind>(Json.Serializer); }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or ArgumentException)
        {
            throw new RepositoryFormatException(
                $"Collection '{collection}' has a target of kind '{kindToken}', which this PsBackup does not know. Upgrade the PsBackup module.");
        }
        var copy = (JObject)json.DeepClone();
        copy.Remove("kind");
        return (BackupTarget)copy.ToObject(Types[kind], Json.Serializer)!;
    }
}
