using PsBackup.Engine.Operations;
using PsBackup.Engine.Providers;
using PsBackup.Engine.Providers.PostgreSql.Cluster;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.PostgreSqlCluster;

/// <summary>
/// Test-Backup checks the WAL a backup needs (one finding per stretch), and the recovery window
/// reports a gap: a segment deleted, one whose stored object changed size, and one with a byte
/// flipped in place (which only Test-Backup's hashing can see).
/// </summary>
public sealed class WalVerificationTests : IDisposable
{
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static List<ArtifactVerification> Wal(List<ArtifactVerification> findings) =>
        [.. findings.Where(f => f.Artifact.StartsWith("wal/", StringComparison.Ordinal))];

    [Fact]
    public async Task A_missing_and_a_tampered_segment_are_reported_by_Test_Backup_and_by_the_recovery_window()
    {
        using var s = await ClusterScenario.StartAsync(_fx, "tamper", walSegmentMegabytes: 1);
        var full = await _fx.BackupAsync("tamper");
        for (var id = 1; id <= 8; id++)
        {
            await s.InsertAsync(id);
            await s.Primary.SwitchWalAndWaitArchivedAsync();
        }
        var start = (await s.StateAsync(full.Id)).StartSegment;
        var segments = s.ArchivedNames().Where(n => WalFileName.IsSegment(n) && string.CompareOrdinal(n, start) >= 0).ToList();

        // Intact: the base backup's artifact, then one WAL finding from the backup's start to the end of the archive.
        var intact = await s.VerifyAsync(full.Id);
        Assert.All(intact, f => Assert.Equal(VerificationStatus.Ok, f.Status));
        var range = Assert.Single(Wal(intact));
        Assert.Equal($"wal/{segments[0]}..{segments[^1]}", range.Artifact);
        Assert.Equal("pg", range.Target);
        Assert.Equal(full.Id, range.BackupId);
        Assert.Equal(segments.Count * (1L << 20), range.SizeBytes);
        Assert.Contains($"{segments.Count} WAL file(s): size and SHA-256 verified", range.Message);
        Assert.Null((await s.WindowAsync()).MissingSegment);

        string DataObject(string name) => Directory.GetFiles(Path.Combine(s.WalFolder(), "00000001"), name + ".*").Single(f => !f.EndsWith(".json", StringComparison.Ordinal));
        var (flipped, resized, deleted) = (segments[2], segments[4], segments[6]);

        // A byte flipped in place: same size, so the window (which reads no WAL) cannot see it; Test-Backup's hashing does.
        var data = DataObject(flipped);
        var original = await File.ReadAllBytesAsync(data);
        var damaged = (byte[])original.Clone();
        damaged[damaged.Length / 2] ^= 0x5A;
        await File.WriteAllBytesAsync(data, damaged);
        var findings = Wal(await s.VerifyAsync(full.Id));
        Assert.Equal([VerificationStatus.Ok, VerificationStatus.Corrupt, VerificationStatus.Ok], findings.Select(f => f.Status));
        Assert.Equal($"wal/{flipped}", findings[1].Artifact);
        Assert.Equal($"wal/{segments[0]}..{segments[1]}", findings[0].Artifact);
        Assert.Equal($"wal/{segments[3]}..{segments[^1]}", findings[2].Artifact);
        Assert.Contains(flipped, findings[1].Message);
        Assert.NotEmpty(findings[1].ExpectedSha256);
        await File.WriteAllBytesAsync(data, original);

        // A stored object of another size: the window reports it (one small read per segment), Test-Backup too.
        await File.AppendAllTextAsync(DataObject(resized), "junk");
        Assert.Equal(resized, (await s.WindowAsync()).MissingSegment);
        findings = Wal(await s.VerifyAsync(full.Id));
        Assert.Equal(VerificationStatus.Corrupt, findings.Single(f => f.Artifact == $"wal/{resized}").Status);
        await File.WriteAllBytesAsync(DataObject(resized), (await File.ReadAllBytesAsync(DataObject(resized)))[..^4]);
        Assert.Null((await s.WindowAsync()).MissingSegment);

        // A segment gone: the window's MissingSegment, Test-Backup's Missing finding, and the restore past it refuses naming it.
        foreach (var file in Directory.GetFiles(Path.Combine(s.WalFolder(), "00000001"), deleted + ".*")) File.Delete(file);
        var window = await s.WindowAsync();
        Assert.Equal(deleted, window.MissingSegment);
        findings = Wal(await s.VerifyAsync(full.Id));
        Assert.Equal([VerificationStatus.Ok, VerificationStatus.Missing, VerificationStatus.Ok], findings.Select(f => f.Status));
        Assert.Equal($"wal/{deleted}", findings[1].Artifact);
        Assert.Contains("missing", findings[1].Message);
        var refused = await s.RestoreAsync(_fx.Repository, full.Id, _fx.Temp.Combine("past-the-gap"), new RecoveryTarget { EndOfArchive = true });
        Assert.Equal("WalSegmentMissing", refused.Error?.ErrorId);
        Assert.Contains(deleted, refused.Error!.Message);
    }

    [Fact]
    public async Task The_WAL_of_an_incremental_taken_last_verifies_up_to_its_closing_switch()
    {
        // An incremental's stop LSN is the first byte of the segment after the one its switch closed:
        // that segment is still being written, and is not part of what the backup needs.
        using var s = await ClusterScenario.StartAsync(_fx, "last", walSegmentMegabytes: 1);
        await _fx.BackupAsync("last");
        await s.InsertAsync(1);
        var incremental = await _fx.BackupAsync("last", BackupType.Incremental);
        var findings = await s.VerifyAsync(incremental.Id);
        Assert.All(findings, f => Assert.True(f.Status == VerificationStatus.Ok, $"{f.Artifact}: {f.Status} {f.Message}"));
        var wal = Assert.Single(Wal(findings));
        Assert.EndsWith((await s.StateAsync(incremental.Id)).StopSegment, wal.Artifact);
    }
}
