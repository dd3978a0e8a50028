using Newtonsoft.Json.Linq;
using PsBackup.Engine.Crypto;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Repository;

/// <summary>
/// collections/&lt;name&gt;/collection.json: what a collection backs up and how. Holds where to
/// connect, never credentials; the encryption key only in passphrase-wrapped form.
/// </summary>
public sealed class CollectionDefinition
{
    public const string FormatName = "psbackup-collection";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Collection;
    public string Name { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public bool IncrementalBackupEnabled { get; set; }
    public CompressionKind Compression { get; set; } = CompressionKind.Zstd;
    public EncryptionKeyInfo? Encryption { get; set; }

    /// <summary>How data objects are stored (storage class, SSE, tags); null for the store's defaults.</summary>
    public ObjectWriteSettings? Storage { get; set; }

    /// <summary>The retention policy Invoke-RetentionPolicy applies by default (see <see cref="Retention.RetentionPolicyJson"/>); null for none.</summary>
    public JObject? Retention { get; set; }

    /// <summary>Each target as a JSON object with a "kind" discriminator (see <see cref="TargetSerializer"/>).</summary>
    public JArray Targets { get; set; } = [];
}
