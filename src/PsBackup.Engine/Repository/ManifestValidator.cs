using System.Text.RegularExpressions;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// A manifest is complete by construction and checked on read: everything a reader acts on
/// (ids, types, parents, targets, artifact paths, sizes, hashes) must be what a PsBackup writer
/// produces, else the backup is not trusted (<see cref="DocumentCorruptException"/>).
/// </summary>
internal static partial class ManifestValidator
{
    public static void Validate(BackupManifest m, string collection, string id, string where)
    {
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Fail(string why) => throw new DocumentCorruptException($"Manifest of backup '{id}' at '{where}' is not valid: {why}. The backup is not trusted.") { TargetObject = id };

        if (m.Id != id || m.Collection != collection)
            Fail($"it describes backup '{Names.Printable(m.Collection)}/{Names.Printable(m.Id)}'");
        if (!Enum.IsDefined(m.Type) || m.Type != BackupId.TypeOf(id))
            Fail($"its type '{m.Type}' is not the one its id names");
        if (!Enum.IsDefined(m.Compression))
            Fail($"compression '{m.Compression}' is unknown");
        // (The end time is not checked against the start: a clock stepped back during a backup is no damage.)
        if (m.StartTime.ToUnixTimeSeconds() != BackupId.TimeOf(id).ToUnixTimeSeconds())
            Fail("its start time is not the one its id names");
        if (m.Type == BackupType.Full && m.Parent != null)
            Fail("a full backup names a parent");
        if (m.Type == BackupType.Incremental)
        {
            if (!BackupId.IsValid(m.Parent))
                Fail($"an incremental needs a parent backup id, not '{Names.Printable(m.Parent)}'");
            if (m.Parent == id)
                Fail("it names itself as its parent");
            if (BackupId.TimeOf(m.Parent!) > BackupId.TimeOf(id))
                Fail($"its parent '{m.Parent}' is newer than itself");
        }
        if (m.Targets is not { Count: > 0 })
            Fail("it has no targets");

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in m.Targets!)
        {
            if (target == null || !Names.IsValid(target.Name) || target.Name is RepositoryKeys.ManifestName or RepositoryKeys.LabelsName)
                Fail($"target name '{Names.Printable(target?.Name)}' is not valid");
            if (!names.Add(target!.Name))
                Fail($"target '{target.Name}' appears twice");
            if (string.IsNullOrEmpty(target.Kind) || !Enum.IsDefined(target.Status))
                Fail($"target '{target.Name}' has no kind or an unknown status");
            var artifacts = target.Artifacts ?? [];
            if (target.Status == TargetStatus.Failed && artifacts.Count > 0)
                Fail($"failed target '{target.Name}' lists artifacts");
            if (target.Status == TargetStatus.Complete)
                // A kind this PsBackup does not know is refused when restored (TargetKindNotSupported), not here.
                foreach (var required in Providers.EngineKinds.TryFind(target.Kind, out var kind) ? kind.RequiredArtifacts(m.Type) : [])
                    if (!artifacts.Exists(a => a?.Name == required))
                        Fail($"complete target '{target.Name}' lacks its '{required}' artifact");
            var artifactNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var artifact in artifacts)
            {
                if (artifact == null || !Names.IsValid(artifact.Name) || !artifactNames.Add(artifact.Name))
                    Fail($"target '{target.Name}' has an invalid or repeated artifact name '{Names.Printable(artifact?.Name)}'");
                var path = $"{target.Name}/{artifact!.Name}{ArtifactCodec.ExtensionFor(m.Compression, m.Encrypted)}";
                if (artifact.Path != path)
                    Fail($"artifact path '{Names.Printable(artifact.Path)}' of target '{target.Name}' is not '{path}'");
                if (artifact.Size < 0 || artifact.StoredSize < 0)
                    Fail($"artifact '{artifact.Path}' has a negative size");
                if (artifact.Sha256 == null || !Sha256Pattern().IsMatch(artifact.Sha256))
                    Fail($"artifact '{artifact.Path}' has no valid SHA-256");
                // Format 1 manifests predate the stored bytes' hash.
                if ((m.Version >= 2 || artifact.StoredSha256 != null) && (artifact.StoredSha256 == null || !Sha256Pattern().IsMatch(artifact.StoredSha256)))
                    Fail($"artifact '{artifact.Path}' has no valid SHA-256 of its stored bytes");
            }
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}\\z")]
    private static partial Regex Sha256Pattern();
}
