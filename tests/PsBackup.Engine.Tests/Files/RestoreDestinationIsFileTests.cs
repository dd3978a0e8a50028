using PsBackup.Engine.Errors;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Files;

/// <summary>A restore whose -Destination is a file (or lies below one) says so, and changes nothing.</summary>
public sealed class RestoreDestinationIsFileTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task A_file_as_destination_is_DestinationIsFile_for_one_target_and_for_several()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("etc")).File("hosts", "127.0.0.1 localhost");
        var app = new TreeBuilder(_fx.Temp.Combine("app")).File("run.sh", "#!/bin/sh");
        await _fx.NewCollectionAsync("one", targets: EngineFixture.Tree("etc", tree.Root));
        await _fx.NewCollectionAsync("two", targets: [EngineFixture.Tree("etc", tree.Root), EngineFixture.Tree("app", app.Root)]);
        var one = await _fx.BackupAsync("one");
        var two = await _fx.BackupAsync("two");
        var file = _fx.Temp.Combine("restore.txt");
        await File.WriteAllTextAsync(file, "not a directory");

        // One target: the destination itself is the file.
        var error = Assert.IsType<InvalidBackupRequestException>(Assert.Single(await _fx.RestoreAsync(one.Id, file)).Error);
        Assert.Equal("DestinationIsFile", error.ErrorId);
        Assert.Contains($"'{file}' is a file", error.Message);

        // Two targets: each would go to a folder inside the file (file/etc, file/app).
        var outcomes = await _fx.RestoreAsync(two.Id, file);
        Assert.Equal(2, outcomes.Count);
        foreach (var outcome in outcomes)
        {
            var failure = Assert.IsType<InvalidBackupRequestException>(outcome.Error);
            Assert.Equal("DestinationIsFile", failure.ErrorId);
            Assert.Contains($"inside '{file}', which is a file", failure.Message);
        }
        Assert.Equal("not a directory", await File.ReadAllTextAsync(file));
    }
}
