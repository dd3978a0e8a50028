using PsBackup.Engine.IO;
using PsBackup.Engine.Providers.Capabilities;

namespace PsBackup.Engine.Tests.Units;

/// <summary>The server kinds' scratch folders go whole, files unlinked on several threads; drill stages read as one line.</summary>
public sealed class ScratchFolderTests
{
    [Fact]
    public async Task A_folder_with_nested_files_and_folders_is_removed_and_a_missing_one_is_fine()
    {
        var root = Path.Combine(Path.GetTempPath(), $"psbackup-scratchfolder-test-{Guid.NewGuid():N}");
        for (var d = 0; d < 5; d++)
        {
            var folder = Path.Combine(root, $"d{d}", "pg_wal", "staging");
            Directory.CreateDirectory(folder);
            for (var f = 0; f < 40; f++) await File.WriteAllBytesAsync(Path.Combine(folder, $"f{f}"), new byte[f * 100]);
            await File.WriteAllTextAsync(Path.Combine(root, $"d{d}", "top"), "x");
        }
        Directory.CreateDirectory(Path.Combine(root, "empty", "deeper"));

        await ScratchFolder.DeleteAsync(root);
        Assert.False(Directory.Exists(root));
        ScratchFolder.Delete(root); // already gone: nothing to do, no error
    }

    [Fact]
    public void Stages_are_listed_in_the_order_they_ended_with_their_seconds()
    {
        var stages = new DrillStages();
        stages.Add("scratch", TimeSpan.FromMilliseconds(20));
        using (stages.Time("checks")) { }
        stages.Add("clean-up", TimeSpan.FromSeconds(1.5));
        Assert.Matches(@"^scratch 0\.02 s, checks 0\.\d\d s, clean-up 1\.50 s$", stages.ToString());
    }
}
