using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>A document as read: its value, and the SHA-256 of its canonical content (what a MAC authenticates).</summary>
internal sealed record ReadDocument<T>(T Value, byte[] ContentHash, JObject Json);

/// <summary>
/// Every small JSON document of a repository is written and read here: written with its format,
/// version and digest; read through the one version check (<see cref="FormatVersion.Check"/>),
/// the digest check (from the version that has one) and only then deserialized. A document
/// that is not JSON, fails its digest or does not deserialize is <see cref="DocumentCorruptException"/>.
/// </summary>
internal static class RepositoryDocuments
{
    /// <summary>No repository document comes near this; a larger one is refused before it is parsed.</summary>
    public const int MaxBytes = 64 << 20;

    private static readonly JsonLoadSettings LoadSettings = new() { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error };

    /// <summary>A document's bytes, refusing (before reading on) one larger than <see cref="MaxBytes"/>.</summary>
    public static async Task<byte[]> ReadBytesAsync(Storage.IObjectStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        // A file says its length: read into a buffer of that size (a metrics export reads hundreds of
        // small documents; an 80 KB chunk per read was most of its memory traffic). The length is only
        // a first guess: a file that grows meanwhile is still read to its end.
        var buffer = new MemoryStream(stream.CanSeek ? (int)Math.Clamp(stream.Length, 0, MaxBytes) : 4096);
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > MaxBytes)
                    throw new DocumentCorruptException($"'{key}' in '{store.Location}' is larger than {MaxBytes} bytes; no PsBackup document is. It is not trusted.");
                buffer.Write(chunk, 0, n);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    public static byte[] ToBytes<T>(T value, DocumentType type, Func<byte[], string>? mac = null) where T : notnull =>
        Seal(Parse(Json.ToBytes(value), type.Title, "(new)"), type, mac);

    /// <summary>Stamps the current version on a document (a patched one included) and adds its digest (and MAC).</summary>
    public static byte[] Seal(JObject document, DocumentType type, Func<byte[], string>? mac = null)
    {
        document = (JObject)document.DeepClone();
        if (type.Format != null) document["format"] = type.Format;
        document["version"] = type.Current;
        document.Remove(DocumentDigest.Member);
        document.Remove(DocumentDigest.MacMember);
        var hash = DocumentDigest.ContentHash(document);
        if (mac != null) document[DocumentDigest.MacMember] = mac(hash);
        document[DocumentDigest.Member] = DocumentDigest.Format(hash);
        return Encoding.UTF8.GetBytes(document.ToString(Formatting.Indented) + "\n");
    }

    /// <summary>Reads a document: JSON object, format and version, digest, then the typed value.</summary>
    public static ReadDocument<T> Read<T>(byte[] bytes, DocumentType type, string what, string location)
    {
        if (bytes.Length > MaxBytes)
            throw new DocumentCorruptException($"{what} at '{location}' is {bytes.Length} bytes long; no PsBackup document is larger than {MaxBytes}.");
        var json = Parse(bytes, what, location);
        var (format, version) = VersionOf(json, type, what, location);
        FormatVersion.Check(type, format, version, what, location);
        var hash = DocumentDigest.ContentHash(json);
        var digest = json[DocumentDigest.Member];
        if ((version >= type.DigestSince || digest != null) && !DocumentDigest.Matches(digest, hash))
            throw new DocumentCorruptException(digest == null
                ? $"{what} at '{location}' has no digest, which its format version {version} requires: it was not written by PsBackup, or was edited. It is not trusted."
                : $"{what} at '{location}' was changed after PsBackup wrote it: its digest does not match its content. It is not trusted; restore the file from a copy of the repository, or remove it.");
        T value;
        try
        {
            value = JsonConvert.DeserializeObject<T>(Encoding.UTF8.GetString(bytes), Json.Settings) ?? throw new JsonException("empty document");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or OverflowException or InvalidCastException)
        {
            throw new DocumentCorruptException($"{what} at '{location}' is not valid: {e.Message}", e);
        }
        return new ReadDocument<T>(value, hash, json);
    }

    private static JObject Parse(byte[] bytes, string what, string location)
    {
        try
        {
            using var reader = new JsonTextReader(new StreamReader(new MemoryStream(bytes), Encoding.UTF8))
            {
                DateParseHandling = DateParseHandling.None,
                FloatParseHandling = FloatParseHandling.Double,
                MaxDepth = 64,
            };
            var token = JToken.ReadFrom(reader, LoadSettings);
            if (reader.Read())
                throw new JsonReaderException("data after the document");
            return token as JObject ?? throw new JsonReaderException($"a {token.Type} instead of an object");
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or FormatException or OverflowException)
        {
            throw new DocumentCorruptException($"{what} at '{location}' is not a valid JSON document: {e.Message}", e);
        }
    }

    private static (string? Format, int Version) VersionOf(JObject json, DocumentType type, string what, string location)
    {
        var format = json["format"];
        var version = json["version"];
        // Locks of format 1 had neither member.
        if (type == DocumentType.Lock && format == null && version == null)
            return (type.Format, 1);
        if (format is not (null or JValue { Type: JTokenType.String }) || version is not JValue { Type: JTokenType.Integer } number)
            throw new DocumentCorruptException($"{what} at '{location}' has no valid \"format\" and \"version\" members.");
        var value = number.Value is long n ? n : long.MaxValue; // a BigInteger: far beyond any version
        return ((string?)format, (int)Math.Clamp(value, 0, int.MaxValue));
    }
}
