using System.Collections.Concurrent;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers;

/// <summary>
/// The registered engine kinds. Adding a kind is its folder plus one line in <see cref="BuiltIn"/>
/// (docs/design.md, "Adding an engine kind"); tests may register kinds of their own.
/// </summary>
public static class EngineKinds
{
    private static readonly ConcurrentDictionary<string, EngineKind> Registered = new(StringComparer.OrdinalIgnoreCase);

    static EngineKinds()
    {
        foreach (var kind in BuiltIn()) Register(kind);
    }

    /// <summary>The registration of every kind PsBackup ships.</summary>
    private static IEnumerable<EngineKind> BuiltIn() =>
    [
        new Files.FileTreeProvider(),
        new PostgreSql.PgTableProvider(),
        new PostgreSql.Cluster.ClusterProvider(),
        new Redis.RedisProvider(),
        new MongoDb.MongoDbProvider(),
    ];

    /// <summary>Adds a kind; its name and target type must be new.</summary>
    internal static void Register(EngineKind kind)
    {
        if (!typeof(BackupTarget).IsAssignableFrom(kind.TargetType))
            throw new ArgumentException($"Kind '{kind.Name}': {kind.TargetType} is not a BackupTarget.", nameof(kind));
        if (Registered.Values.Any(k => k.TargetType == kind.TargetType && k.Name != kind.Name))
            throw new ArgumentException($"Target type {kind.TargetType} already belongs to another kind.", nameof(kind));
        if (!Registered.TryAdd(kind.Name, kind) && Registered[kind.Name].GetType() != kind.GetType())
            throw new ArgumentException($"A different kind named '{kind.Name}' is already registered.", nameof(kind));
    }

    public static IEnumerable<EngineKind> All => Registered.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    /// <summary>The kind named <paramref name="name"/> (as stored in collection.json and manifests).</summary>
    public static EngineKind Find(string name) =>
        Registered.TryGetValue(name, out var kind)
            ? kind
            : throw new PsBackupException("TargetKindNotSupported", ErrorKind.NotImplemented,
                $"This PsBackup does not know targets of kind '{name}' (it knows {string.Join(", ", All)}). Upgrade the PsBackup module.");

    public static bool TryFind(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EngineKind? kind) =>
        Registered.TryGetValue(name, out kind);

    public static EngineKind For(BackupTarget target) => Find(target.Kind);

    /// <summary>The kinds that offer capability <typeparamref name="T"/> (for messages such as "… applies to X targets").</summary>
    public static IEnumerable<EngineKind> With<T>() where T : class => All.Where(k => k is T);
}
