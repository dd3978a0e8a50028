using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Repository;

/// <summary>
/// The integrity check of the repository's small JSON documents: <c>"digest": "sha256:&lt;hex&gt;"</c>
/// is the SHA-256 of the document's canonical content — the document without its "digest" and
/// "mac" members, object members sorted by name, no whitespace, strings escaped as jq escapes
/// them. So <c>jq -cjS 'del(.digest, .mac)' doc.json | sha256sum</c> recomputes it by hand.
/// Without a key this stops accidents and naive edits, not a determined attacker (docs/design.md,
/// threat model); manifests of encrypted collections also carry a keyed <c>mac</c>.
/// </summary>
internal static class DocumentDigest
{
    public const string Member = "digest";
    public const string MacMember = "mac";
    private const string Prefix = "sha256:";

    /// <summary>SHA-256 of the canonical content (digest and mac left out).</summary>
    public static byte[] ContentHash(JObject document)
    {
        var text = new StringBuilder();
        WriteCanonical(text, document, topLevel: true);
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    public static string Format(byte[] contentHash) => Prefix + Convert.ToHexString(contentHash).ToLowerInvariant();

    /// <summary>True when the document's digest member matches its content.</summary>
    public static bool Matches(JToken? digest, byte[] contentHash) =>
        digest is JValue { Type: JTokenType.String } value && (string)value! == Format(contentHash);

    private static void WriteCanonical(StringBuilder text, JToken token, bool topLevel = false)
    {
        switch (token)
        {
            case JObject obj:
                text.Append('{');
                var first = true;
                foreach (var property in obj.Properties()
                             .Where(p => !topLevel || p.Name is not (Member or MacMember))
                             .OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    if (!first) text.Append(',');
                    first = false;
                    WriteString(text, property.Name);
                    text.Append(':');
                    WriteCanonical(text, property.Value);
                }
                text.Append('}');
                break;
            case JArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    WriteCanonical(text, array[i]);
                }
                text.Append(']');
                break;
            case JValue value:
                switch (value.Type)
                {
                    case JTokenType.Null: text.Append("null"); break;
                    case JTokenType.Boolean: text.Append((bool)value ? "true" : "false"); break;
                    case JTokenType.Integer: text.Append(Convert.ToString(value.Value, CultureInfo.InvariantCulture)); break;
                    case JTokenType.Float: text.Append(Convert.ToDouble(value.Value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)); break;
                    case JTokenType.String: WriteString(text, (string)value!); break;
                    default: WriteString(text, Convert.ToString(value.Value, CultureInfo.InvariantCulture) ?? ""); break;
                }
                break;
        }
    }

    /// <summary>JSON string as jq writes it: \" \\ \b \f \n \r \t, other control characters and DEL as \u00xx, everything else as is.</summary>
    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }
}
