namespace PsBackup.Engine.Providers.Capabilities;

/// <summary>
/// A kind with facts of its own for Export-BackupMetrics beyond what every backup records (the
/// lag of a continuously archived log …).
/// </summary>
public interface IMetricFacts
{
    /// <summary>Facts about <paramref name="target"/> of the collection, read from the repository only (no server is contacted).</summary>
    Task<IReadOnlyList<MetricFact>> GetFactsAsync(CollectionScope scope, BackupTarget target, CancellationToken ct);
}

/// <summary>One sample: a Prometheus metric name without the psbackup_ prefix, in base units, and its value.</summary>
public sealed record MetricFact(string Name, double Value, string Help);
