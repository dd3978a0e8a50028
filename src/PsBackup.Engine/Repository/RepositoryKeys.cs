namespace PsBackup.Engine.Repository;

/// <summary>
/// The repository's key layout, in one place (docs/design.md describes the same tree). Every
/// collection name and backup id is checked here as it becomes part of a key, whatever path it
/// came by; artifact paths are checked by the stores (<see cref="Storage.ObjectKey"/>).
/// </summary>
internal static class RepositoryKeys
{
    public const string Config = "config.json";
    public const string CollectionsPrefix = "collections/";
    public const string ManifestName = "manifest.json";
    public const string LabelsName = "labels.json";
    public const string DefinitionName = "collection.json";
    public const string CommittedIndexName = "committed.json";

    public static string Collection(string collection) => $"collections/{C(collection)}/";
    public static string Definition(string collection) => $"collections/{C(collection)}/{DefinitionName}";
    public static string CommittedIndex(string collection) => $"collections/{C(collection)}/{CommittedIndexName}";
    public static string Lock(string collection) => $"collections/{C(collection)}/lock.json";
    public static string Backups(string collection) => $"collections/{C(collection)}/backups/";
    public static string Backup(string collection, string id) => $"collections/{C(collection)}/backups/{B(id)}/";
    public static string Manifest(string collection, string id) => $"collections/{C(collection)}/backups/{B(id)}/{ManifestName}";
    public static string Labels(string collection, string id) => $"collections/{C(collection)}/backups/{B(id)}/{LabelsName}";
    public static string Artifact(string collection, string id, string path) => $"collections/{C(collection)}/backups/{B(id)}/{path}";
    public static string Drills(string collection) => $"collections/{C(collection)}/drills/";
    public static string Drills(string collection, string id) => $"collections/{C(collection)}/drills/{B(id)}/";
    public static string Drill(string collection, string id, string drillId) => $"collections/{C(collection)}/drills/{B(id)}/{D(drillId)}.json";
    public static string Runs(string collection) => $"collections/{C(collection)}/runs/";
    public static string Run(string collection, RunRecordName name) => $"collections/{C(collection)}/runs/{name.Name}.json";
    public static string RunTotals(string collection) => $"collections/{C(collection)}/run-totals/";
    public static string RunTotal(string collection, DateTimeOffset through) => $"collections/{C(collection)}/run-totals/{RunTotalsDocument.NameOf(through)}.json";

    private static string C(string collection)
    {
        Names.Validate(collection, "Collection");
        return collection;
    }

    private static string D(string drillId) => DrillRecord.IsValidId(drillId) ? drillId : throw new ArgumentException($"'{drillId}' is not a drill id.", nameof(drillId));

    private static string B(string id)
    {
        BackupId.Validate(id);
        return id;
    }
}
