using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Tests.Kinds;

/// <summary>
/// A kind that exists only in the tests, to show that a kind is its own folder plus one
/// registration: in-memory note boards (name → text). Its target, its restore options, its
/// destination rule and two capabilities live here; nothing in the engine names it.
/// </summary>
public sealed class NoteBoardTarget : BackupTarget
{
    public override string Kind => "NoteBoard";

    /// <summary>The board's name in <see cref="NoteBoards"/>.</summary>
    public string Board { get; set; } = "";

    public override string Location => $"board:{Board}";
}

/// <summary>The "servers" the kind backs up: boards of notes, in memory.</summary>
public static class NoteBoards
{
    public static ConcurrentDictionary<string, ConcurrentDictionary<string, string>> Boards { get; } = new();

    public static ConcurrentDictionary<string, string> Get(string board) => Boards.GetOrAdd(board, _ => new());
}

/// <summary>Restore-Backup's options of the kind: prepended to every restored note's name.</summary>
public sealed record NoteBoardRestoreOptions
{
    public string? NotePrefix { get; init; }
}

/// <summary>
/// A full backup writes every note ("notes"); an incremental writes the notes changed or added
/// since its base and the names deleted ("changes"). Restores replay the chain. (A real kind
/// would not keep its data in the state: this one is kept small.)
/// </summary>
public sealed class NoteBoardKind : EngineKind<NoteBoardTarget>, IIncrementalBackup, IHealthProbe
{
    public override Type RestoreOptionsType => typeof(NoteBoardRestoreOptions);

    /// <summary>-Destination is another board's name.</summary>
    public override bool IsPathDestination(string destination) => false;

    protected override void ValidateTarget(NoteBoardTarget target)
    {
        if (string.IsNullOrWhiteSpace(target.Board))
            throw new InvalidBackupRequestException("BoardRequired", $"Target '{target.Name}' names no board.");
    }

    public Task ProbeAsync(BackupTarget target, NetworkCredential? credential, CancellationToken ct) =>
        NoteBoards.Boards.ContainsKey(((NoteBoardTarget)target).Board)
            ? Task.CompletedTask
            : throw new TargetUnavailableException($"Board '{((NoteBoardTarget)target).Board}' does not exist.");

    public override async Task<JObject> BackupAsync(TargetBackupContext context, CancellationToken ct)
    {
        var target = (NoteBoardTarget)context.Target;
        await ProbeAsync(target, context.Credential, ct);
        var notes = new SortedDictionary<string, string>(NoteBoards.Get(target.Board), StringComparer.Ordinal);
        // The state lists every note, so the next incremental diffs against its base's state alone.
        var state = new JObject { ["all"] = JObject.FromObject(notes) };
        if (context.Base == null)
        {
            await context.WriteArtifactAsync("notes", stream => WriteJsonAsync(stream, notes), ct);
            return state;
        }
        var before = context.Base.Record.State!["all"]!.ToObject<Dictionary<string, string>>()!;
        var changes = new Changes(
            notes.Where(n => !before.TryGetValue(n.Key, out var old) || old != n.Value).ToDictionary(),
            before.Keys.Where(k => !notes.ContainsKey(k)).ToList());
        await context.WriteArtifactAsync("changes", stream => WriteJsonAsync(stream, changes), ct);
        return state;
    }

    public override async Task<RestoreResult> RestoreAsync(TargetRestoreContext context, CancellationToken ct)
    {
        var target = (NoteBoardTarget)context.Target;
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var backup in context.Chain)
        {
            var record = backup.Targets.Single(t => t.Name == target.Name);
            if (record.Artifacts.Exists(a => a.Name == "notes"))
            {
                notes = await ReadJsonAsync<Dictionary<string, string>>(await context.OpenArtifactAsync(backup.Id, "notes", ct), ct);
                continue;
            }
            var changes = await ReadJsonAsync<Changes>(await context.OpenArtifactAsync(backup.Id, "changes", ct), ct);
            foreach (var (name, text) in changes.Set) notes[name] = text;
            foreach (var name in changes.Deleted) notes.Remove(name);
        }
        var board = NoteBoards.Get(context.Destination ?? target.Board);
        var prefix = context.OptionsOr<NoteBoardRestoreOptions>().NotePrefix ?? "";
        if (!context.Force && notes.Keys.Any(name => board.ContainsKey(prefix + name)))
            throw new RestoreConflictException($"Board '{context.Destination ?? target.Board}' already holds notes of this backup; use -Force.");
        foreach (var (name, text) in notes) board[prefix + name] = text;
        return new RestoreResult
        {
            BackupId = context.Head.Id, Collection = context.Head.Collection, Target = target.Name,
            Destination = $"board:{context.Destination ?? target.Board}", ItemCount = notes.Count,
        };
    }

    private sealed record Changes(Dictionary<string, string> Set, List<string> Deleted);

    private static async Task WriteJsonAsync(Stream stream, object value)
    {
        var bytes = Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value));
        await stream.WriteAsync(bytes);
    }

    private static async Task<T> ReadJsonAsync<T>(Stream stream, CancellationToken ct)
    {
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            return JsonConvert.DeserializeObject<T>(Encoding.UTF8.GetString(buffer.ToArray()))!;
        }
    }
}
