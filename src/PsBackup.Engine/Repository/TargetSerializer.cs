using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;

namespace PsBackup.Engine.Repository;

/// <summary>Maps targets to JSON objects with a "kind" discriminator and back, through the registered engine kinds.</summary>
internal static class TargetSerializer
{
    public static JObject ToJson(BackupTarget target)
    {
        var json = JObject.FromObject(target, Json.Serializer);
        json.Remove("kind"); // the discriminator goes first
        json.AddFirst(new JProperty("kind", KindNameConverter.Stored(target.Kind)));
        return json;
    }

    public static BackupTarget FromJson(JObject json, string collection)
    {
        if (json["kind"] is not JValue { Type: JTokenType.String } kindToken)
            throw new RepositoryFormatException($"A target of collection '{collection}' has no kind.");
        var name = (string)kindToken!;
        EngineKind kind;
        try { kind = EngineKinds.Find(name); }
        catch (PsBackupException)
        {
            throw new RepositoryFormatException(
                $"Collection '{collection}' has a target of kind '{name}', which this PsBackup does not know. Upgrade the PsBackup module.");
        }
        var copy = (JObject)json.DeepClone();
        copy.Remove("kind");
        return (BackupTarget)copy.ToObject(kind.TargetType, Json.Serializer)!;
    }
}
