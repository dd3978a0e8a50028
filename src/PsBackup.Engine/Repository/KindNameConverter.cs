using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;
using PsBackup.Engine.Providers;

namespace PsBackup.Engine.Repository;

/// <summary>
/// A kind's name as documents store it: camelCase ("fileTree", "postgreSqlCluster"), as format 1
/// wrote its enum; read back as the registered kind's own name (its target's Kind), so code compares one
/// spelling. A name no registered kind has is kept as written (a newer PsBackup's kind).
/// </summary>
internal sealed class KindNameConverter : JsonConverter<string>
{
    private static readonly CamelCaseNamingStrategy Camel = new();

    public static string Stored(string kind) => Camel.GetPropertyName(kind, hasSpecifiedName: false);

    public static string Canonical(string stored) => EngineKinds.TryFind(stored, out var kind) ? kind.Name : stored;

    public override void WriteJson(JsonWriter writer, string? value, JsonSerializer serializer) =>
        writer.WriteValue(value == null ? null : Stored(value));

    public override string? ReadJson(JsonReader reader, Type objectType, string? existingValue, bool hasExistingValue, JsonSerializer serializer) =>
        reader.Value is string stored ? Canonical(stored) : null;
}
