namespace PsBackup.Engine.Repository;

/// <summary>The repository's key layout, in one place (docs/design.md describes the same tree).</summary>
internal static class RepositoryKeys
{
    public const string Config = "config.json";
    public const string CollectionsPrefix = "collections/";
    public const string ManifestName = "manifest.json";
    public const string LabelsName = "labels.json";

    public static string Collection(string collection) => $"collections/{collection}/";
    public static string Definition(string collection) => $"collections/{collection}/collection.json";
    public static string Lock(string collection) => $"collections/{collection}/lock.json";
    public static string Backups(string collection) => $"collections/{collection}/backups/";
    public static string Backup(string collection, string id) => $"collections/{collection}/backups/{id}/";
    public static string Manifest(string collection, string id) => $"collections/{collection}/backups/{id}/{ManifestName}";
    public static string Labels(string collection, string id) => $"collections/{collection}/backups/{id}/{LabelsName}";
    public static string Artifact(string collection, string id, string path) => $"collections/{collection}/backups/{id}/{path}";
}
