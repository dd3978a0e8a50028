using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Repository;

/// <summary>
/// What a collection must be, whether it comes from New-BackupCollection or from a
/// collection.json read back: valid, unique target names; known kinds; absolute file-tree paths;
/// sane encryption parameters. A definition read back that breaks a rule is not trusted.
/// </summary>
internal static class CollectionValidator
{
    /// <summary>The targets of a new collection (the request's own errors: InvalidName, DuplicateTargetName …).</summary>
    public static void ValidateTargets(IReadOnlyList<BackupTarget> targets)
    {
        if (targets.Count == 0)
            throw new InvalidBackupRequestException("NoTargets", "A collection needs at least one target (New-BackupTarget).");
        foreach (var target in targets)
        {
            Names.Validate(target.Name, "Target");
            if (target.Name is RepositoryKeys.ManifestName or RepositoryKeys.LabelsName)
                throw new InvalidBackupRequestException("InvalidName", $"Target name '{target.Name}' is reserved (it names a file of every backup folder).");
            Providers.EngineKinds.For(target).Validate(target);
        }
        var duplicate = targets.GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
            throw new InvalidBackupRequestException("DuplicateTargetName", $"Two targets are named '{duplicate.Key}'; give each a unique -Name.");
    }

    /// <summary>A collection.json read back: the same rules, as <see cref="DocumentCorruptException"/> naming the document.</summary>
    public static void Validate(CollectionDefinition definition, string name, string where)
    {
        string? why = null;
        if (definition.Name != name)
            why = $"it names collection '{Names.Printable(definition.Name)}'";
        else if (!Enum.IsDefined(definition.Compression))
            why = $"compression '{definition.Compression}' is unknown";
        else
        {
            try
            {
                if (definition.Targets == null || definition.Targets.Any(t => t is not JObject))
                    throw new InvalidBackupRequestException("InvalidTarget", "its targets are not a list of objects");
                ValidateTargets([.. definition.Targets.Cast<JObject>().Select(t => TargetSerializer.FromJson(t, name))]);
            }
            catch (InvalidBackupRequestException e)
            {
                why = e.Message;
            }
            // A RepositoryFormatException (a kind this PsBackup does not know) is a newer writer, not damage: it goes up as it is.
            catch (Exception e) when (e is Newtonsoft.Json.JsonException or ArgumentException or FormatException or InvalidCastException or KeyNotFoundException)
            {
                why = $"a target is not valid: {e.Message}";
            }
        }
        if (why != null)
            throw new DocumentCorruptException($"Collection definition at '{where}' is not valid: {why}. It is not trusted.") { TargetObject = name };
        if (definition.Encryption != null)
            Crypto.EncryptionParameters.Validate(definition.Encryption, name);
    }
}
