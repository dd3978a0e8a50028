using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Kinds;

/// <summary>
/// A kind registered by the tests alone goes through every operation — collections, full and
/// incremental backups, listing, verification, restores with its own options — touching nothing
/// in the engine: the proof that a kind is one folder plus one registration.
/// </summary>
public sealed class NoteBoardKindTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    static NoteBoardKindTests() => EngineKinds.Register(new NoteBoardKind());

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task A_test_only_kind_backs_up_incrementally_verifies_and_restores_with_its_own_options()
    {
        var board = "board-" + Guid.NewGuid().ToString("N")[..8];
        var notes = NoteBoards.Get(board);
        notes["groceries"] = "milk, eggs";
        notes["todo"] = "write tests";
        var target = new NoteBoardTarget { Name = "notes", Board = board };
        await _fx.NewCollectionAsync("boards", targets: target);

        var full = await _fx.BackupAsync("boards");
        notes["todo"] = "write more tests";
        notes["ideas"] = "a kind is one folder";
        notes.TryRemove("groceries", out _);
        var incremental = await _fx.BackupAsync("boards", BackupType.Incremental);

        // The collection comes back with the test's own target type, read through the registration.
        var collection = Assert.Single(await _fx.Engine.GetCollectionsAsync(_fx.Repository, "boards"));
        var stored = Assert.IsType<NoteBoardTarget>(Assert.Single(collection.Targets));
        Assert.Equal(board, stored.Board);
        Assert.Equal(incremental.ParentId, full.Id);
        Assert.All(await _fx.VerifyAsync(incremental.Id), v => Assert.Equal(VerificationStatus.Ok, v.Status));

        // Restored into another board (an address, as the kind reads -Destination) with its own option.
        var copy = "copy-" + board;
        var plan = await _fx.Engine.PlanRestoreAsync(new RestoreRequest(incremental.Id) { Repository = _fx.Repository, Destination = copy });
        Assert.Equal(copy, Assert.Single(plan.Steps).Destination);
        await foreach (var outcome in _fx.Engine.RestoreAsync(new RestoreRequest(incremental.Id)
                       { Repository = _fx.Repository, Destination = copy, Options = [new NoteBoardRestoreOptions { NotePrefix = "r-" }] }))
            Assert.Null(outcome.Error);
        Assert.Equal(notes.ToDictionary(n => "r-" + n.Key, n => n.Value), NoteBoards.Get(copy).ToDictionary());

        // The full alone restores the first state; an existing note is refused without -Force.
        var first = "first-" + board;
        await _fx.RestoreAsync(full.Id, first);
        Assert.Equal(new Dictionary<string, string> { ["groceries"] = "milk, eggs", ["todo"] = "write tests" }, NoteBoards.Get(first).ToDictionary());
        var refused = Assert.Single(await _fx.RestoreAsync(full.Id, first));
        Assert.Equal("RestoreWouldOverwrite", refused.Error!.ErrorId);

        // Its validation runs when a collection stores a target.
        var invalid = await Assert.ThrowsAsync<InvalidBackupRequestException>(() =>
            _fx.NewCollectionAsync("invalid", targets: new NoteBoardTarget { Name = "empty" }));
        Assert.Equal("BoardRequired", invalid.ErrorId);
    }

    [Fact]
    public async Task A_kind_this_engine_does_not_know_is_a_clear_error_not_a_crash()
    {
        var board = "unknown-" + Guid.NewGuid().ToString("N")[..8];
        NoteBoards.Get(board)["a"] = "b";
        await _fx.NewCollectionAsync("future", targets: new NoteBoardTarget { Name = "notes", Board = board });
        // As if written by a newer PsBackup with a kind this one lacks.
        var definition = Path.Combine(_fx.Repository, "collections", "future", "collection.json");
        Tamper.EditText(definition, text => text.Replace("\"noteBoard\"", "\"hologram\"")); // kinds are stored camelCase
        var error = await Assert.ThrowsAsync<RepositoryFormatException>(() => _fx.Engine.GetCollectionsAsync(_fx.Repository, "future"));
        Assert.Contains("hologram", error.Message);
        Assert.Equal("RepositoryFormatUnsupported", error.ErrorId);
    }
}
