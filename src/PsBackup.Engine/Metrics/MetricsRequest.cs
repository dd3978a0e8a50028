namespace PsBackup.Engine.Metrics;

/// <summary>Export-BackupMetrics: which repository and collections (names or wildcards; all when empty).</summary>
public sealed record MetricsRequest
{
    public RepositoryAddress? Repository { get; init; }
    public IReadOnlyList<string> Collections { get; init; } = [];

    /// <summary>Only to read parts of an encrypted archived log for recovery windows; metrics never need it otherwise.</summary>
    public string? Passphrase { get; init; }

    /// <summary>The moment metrics are computed for (tests); now by default.</summary>
    public DateTimeOffset? Now { get; init; }
}
