using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Serialization;

namespace PsBackup.Engine.Repository;

/// <summary>The one JSON dialect of the repository: camelCase, enums as camelCase strings, ISO 8601 times.</summary>
internal static class Json
{
    public static readonly JsonSerializerSettings Settings = new()
    {
        ContractResolver = new WritableOnlyResolver { NamingStrategy = new CamelCaseNamingStrategy() },
        Converters = { new StringEnumConverter(new CamelCaseNamingStrategy()) },
        DateParseHandling = DateParseHandling.DateTimeOffset,
        DateFormatString = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffffK",
        NullValueHandling = NullValueHandling.Ignore,
        Formatting = Formatting.Indented,
        MissingMemberHandling = MissingMemberHandling.Ignore,
    };

    public static readonly JsonSerializer Serializer = JsonSerializer.Create(Settings);

    public static byte[] ToBytes<T>(T value) => Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value, Settings) + "\n");

    public static T FromBytes<T>(byte[] bytes, string what)
    {
        try
        {
            return JsonConvert.DeserializeObject<T>(Encoding.UTF8.GetString(bytes), Settings)
                   ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new Errors.RepositoryFormatException($"{what} is not valid: {e.Message}");
        }
    }

    /// <summary>Serializes settable properties only, so computed ones (Kind, Location, Duration) stay out of files.</summary>
    private sealed class WritableOnlyResolver : DefaultContractResolver
    {
        protected override JsonProperty CreateProperty(System.Reflection.MemberInfo member, MemberSerialization memberSerialization)
        {
            var property = base.CreateProperty(member, memberSerialization);
            if (!property.Writable)
                property.ShouldSerialize = _ => false;
            return property;
        }
    }
}
