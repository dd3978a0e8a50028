namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// A MongoDB target's record in the manifest ("state"): the server it was read from, how
/// consistent the copy is, and each collection with its artifacts. Restores read the
/// collections from here.
/// </summary>
internal sealed class MongoDbState
{
    public const string Snapshot = "snapshot";
    public const string PerCollection = "perCollection";

    /// <summary>Hosts of the connection string (no user).</summary>
    public string Server { get; set; } = "";
    public string ServerVersion { get; set; } = "";

    /// <summary>standalone, replicaSet or sharded (from hello).</summary>
    public string Topology { get; set; } = "";
    public string Database { get; set; } = "";

    /// <summary>
    /// "snapshot": every collection read at <see cref="ClusterTime"/> (readConcern snapshot);
    /// "perCollection": each collection read by itself between its readStarted and readEnded while
    /// the server accepted writes — not one point in time.
    /// </summary>
    public string Consistency { get; set; } = PerCollection;

    /// <summary>The cluster time of the snapshot, "seconds:increment" (snapshot only).</summary>
    public string? ClusterTime { get; set; }

    public List<MongoDbCollectionState> Collections { get; set; } = [];

    public long Documents { get; set; }
    public long Bytes { get; set; }
}

/// <summary>One collection of a backup: artifacts "&lt;Artifact&gt;.bson" and "&lt;Artifact&gt;.metadata.json".</summary>
internal sealed class MongoDbCollectionState
{
    public string Name { get; set; } = "";

    /// <summary>The artifacts' base name: the collection's name when it is a portable file name, else "~NNNN".</summary>
    public string Artifact { get; set; } = "";
    public long Documents { get; set; }
    public long Bytes { get; set; }
    public DateTimeOffset ReadStarted { get; set; }
    public DateTimeOffset ReadEnded { get; set; }

    public string DataArtifact => Artifact + ".bson";
    public string MetadataArtifact => Artifact + ".metadata.json";
}
