using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Providers;

/// <summary>
/// One kind of backup target (a directory tree, a database's tables …): everything the operations know
/// about it. A kind is its folder under Providers/ plus one line in <see cref="EngineKinds"/>.
/// Optional capabilities are the interfaces of Providers/Capabilities that a kind implements;
/// operations ask for them (<c>kind is IPointInTimeRecovery</c>) and never name a kind.
/// The repository side — locking, compression, encryption, hashing, manifests — is done for it
/// by the contexts, so a kind only streams plaintext.
/// </summary>
public abstract class EngineKind
{
    /// <summary>The "kind" of its targets in collection.json and manifests (<see cref="BackupTarget.Kind"/>).</summary>
    public abstract string Name { get; }

    /// <summary>Its public target type (PsBackup.Abstractions): collection.json's targets are read into it.</summary>
    public abstract Type TargetType { get; }

    /// <summary>
    /// Its own Restore-Backup options record (prefixes, maps …), carried untouched from
    /// <see cref="Operations.RestoreRequest.Options"/> to <see cref="TargetRestoreContext.Options"/>; null: it takes none.
    /// </summary>
    public virtual Type? RestoreOptionsType => null;

    /// <summary>
    /// The artifacts every complete target of this kind has in a backup of <paramref name="type"/>,
    /// so a manifest that lost one (hand-edited, truncated) is refused on read instead of restoring nothing.
    /// </summary>
    public virtual IReadOnlyList<string> RequiredArtifacts(BackupType type) => [];

    /// <summary>Checks a target before a collection stores it; throws an InvalidBackupRequestException naming the problem.</summary>
    public virtual void Validate(BackupTarget target) { }

    /// <summary>
    /// How it reads Restore-Backup -Destination: true when it is a file-system path (resolved by the
    /// caller; with several targets each restores to a sub-folder named after it), false when it is
    /// an address (a database, a server) that the kind parses as typed.
    /// </summary>
    public abstract bool IsPathDestination(string destination);

    /// <summary>
    /// Writes the target's artifacts (full, or incremental from <see cref="TargetBackupContext.Base"/>
    /// when the kind is an <see cref="Capabilities.IIncrementalBackup"/>) and returns the engine state
    /// the next incremental starts from.
    /// </summary>
    public abstract Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct);

    /// <summary>Reproduces the target as of the context's backup, at the original location or the context's destination.</summary>
    public abstract Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct);

    public override string ToString() => Name;
}

/// <summary>A kind whose targets are <typeparamref name="TTarget"/>: its name is the one that type declares.</summary>
public abstract class EngineKind<TTarget> : EngineKind where TTarget : BackupTarget, new()
{
    public sealed override string Name { get; } = new TTarget().Kind;

    public sealed override Type TargetType => typeof(TTarget);

    public sealed override void Validate(BackupTarget target) => ValidateTarget((TTarget)target);

    /// <summary>Checks a target of this kind before a collection stores it.</summary>
    protected virtual void ValidateTarget(TTarget target) { }
}
