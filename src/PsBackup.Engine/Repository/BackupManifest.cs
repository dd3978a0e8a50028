using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Repository;

/// <summary>
/// backups/&lt;id&gt;/manifest.json, written last: a backup exists exactly when its manifest does.
/// </summary>
public sealed class BackupManifest
{
    public const string FormatName = "psbackup-manifest";

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion.Manifest;
    public string Id { get; set; } = "";
    public string Collection { get; set; } = "";
    public BackupType Type { get; set; }

    /// <summary>The backup this incremental builds on; null for a full backup.</summary>
    public string? Parent { get; set; }

    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset EndTime { get; set; }
    public CompressionKind Compression { get; set; }
    public bool Encrypted { get; set; }
    public string Host { get; set; } = "";
    public string Tool { get; set; } = "";
    public List<TargetRecord> Targets { get; set; } = [];

    /// <summary>Encrypted collections: HMAC-SHA256 of the manifest's digest under a key derived from the data key (see Crypto/ManifestMac).</summary>
    public string? Mac { get; set; }

    /// <summary>SHA-256 of the canonical content as read (what <see cref="Mac"/> authenticates); null for a manifest being written.</summary>
    [Newtonsoft.Json.JsonIgnore]
    internal byte[]? ContentHash { get; set; }

    public BackupStatus Status => Targets.All(t => t.Status == TargetStatus.Complete) ? BackupStatus.Complete : BackupStatus.Partial;
}

public enum TargetStatus { Complete, Failed }

/// <summary>One target's part of a backup: its engine state and its artifacts.</summary>
public sealed class TargetRecord
{
    public string Name { get; set; } = "";
    /// <summary>The engine kind's name (<see cref="Providers.EngineKind.Name"/>; stored camelCase).</summary>
    [Newtonsoft.Json.JsonConverter(typeof(KindNameConverter))]
    public string Kind { get; set; } = "";
    public TargetStatus Status { get; set; }
    public string? Error { get; set; }

    /// <summary>Engine state the next incremental starts from (an index, a log position …).</summary>
    public JObject? State { get; set; }

    public List<ArtifactRecord> Artifacts { get; set; } = [];
}

/// <summary>One stored stream. Size and SHA-256 are of the plaintext; StoredSize is what the repository holds.</summary>
public sealed class ArtifactRecord
{
    public string Name { get; set; } = "";

    /// <summary>Path relative to the backup's folder, e.g. "docs/pack.gz".</summary>
    public string Path { get; set; } = "";

    public long Size { get; set; }
    public long StoredSize { get; set; }
    public string Sha256 { get; set; } = "";

    /// <summary>SHA-256 of the stored bytes (format 2; null in format 1 manifests): damage that still decodes is found too.</summary>
    public string? StoredSha256 { get; set; }
}
