using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;
using PsBackup.Engine.Tests.Support;
using Xunit.Abstractions;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// Issue 20, item 1: every decoder or decryption failure is a Corrupt finding for that artifact and
/// Test-Backup goes on with the others; Restore-Backup refuses it as ArtifactCorrupt. One byte is
/// flipped at 30 seeded random positions of a pack and of an index, for each compression and for an
/// encrypted collection.
/// </summary>
public sealed class FlippedByteTests(ITestOutputHelper output) : IDisposable
{
    private const int Flips = 30;
    private readonly EngineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Theory]
    [InlineData(CompressionKind.Zstd, "", "pack-0")]
    [InlineData(CompressionKind.Zstd, "", "index")]
    [InlineData(CompressionKind.Zstd, "flip passphrase", "pack-0")]
    [InlineData(CompressionKind.Brotli, "", "pack-0")]
    [InlineData(CompressionKind.Brotli, "", "index")]
    [InlineData(CompressionKind.Gzip, "", "pack-0")]
    [InlineData(CompressionKind.Gzip, "", "index")]
    [InlineData(CompressionKind.Brotli, "flip passphrase", "pack-0")]
    [InlineData(CompressionKind.Gzip, "flip passphrase", "index")]
    public async Task Each_flipped_byte_is_one_Corrupt_finding_and_a_refused_restore(CompressionKind compression, string passphrase, string artifact)
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 12; i++) tree.RandomFile($"d{i % 3}/text{i}.txt", 20_000, i, compressible: true);
        tree.RandomFile("random.bin", 60_000, 99).TouchDirectories();
        await _fx.NewCollectionAsync("flip", passphrase, compression: compression, targets: EngineFixture.Tree("src", tree.Root));
        var pass = passphrase.Length == 0 ? null : passphrase;
        var backup = await _fx.BackupAsync("flip", passphrase: pass);
        var path = Directory.EnumerateFiles(_fx.Repository, artifact + "*", SearchOption.AllDirectories).Single();
        var original = await File.ReadAllBytesAsync(path);
        var random = new Random(20 + (int)compression * 2 + passphrase.Length + artifact.Length);
        var kinds = new Dictionary<string, int>();

        for (var flip = 0; flip < Flips; flip++)
        {
            var damaged = (byte[])original.Clone();
            var at = random.Next(damaged.Length);
            damaged[at] ^= (byte)(1 << random.Next(8));
            await File.WriteAllBytesAsync(path, damaged);

            // No exception: every artifact gets its finding, the damaged one Corrupt, the others Ok.
            var findings = await _fx.VerifyAsync(backup.Id, pass);
            var bad = Assert.Single(findings, f => f.Status != VerificationStatus.Ok);
            Assert.Equal(VerificationStatus.Corrupt, bad.Status);
            Assert.StartsWith($"src/{artifact}", bad.Artifact);
            Assert.True(findings.Count >= 2, $"flip at {at}: the other artifacts were not verified");
            var kind = bad.Message!.Contains("SHA-256") ? "hash" : bad.Message.Contains("authentication") ? "authentication" : "decoder";
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;

            var outcome = Assert.Single(await _fx.RestoreAsync(backup.Id, _fx.Temp.Combine($"r{flip}"), passphrase: pass));
            Assert.Equal("ArtifactCorrupt", Assert.IsType<IntegrityException>(outcome.Error).ErrorId);
        }
        output.WriteLine($"{compression}{(pass != null ? "+aes" : "")} {artifact}: {Flips} flips, found by " + string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}")));

        await File.WriteAllBytesAsync(path, original);
        Assert.All(await _fx.VerifyAsync(backup.Id, pass), f => Assert.Equal(VerificationStatus.Ok, f.Status));
    }

    [Fact]
    public async Task Get_Backup_piped_to_Test_Backup_lists_damage_in_every_backup_without_stopping()
    {
        var tree = new TreeBuilder(_fx.Temp.Combine("src"));
        for (var i = 0; i < 8; i++) tree.RandomFile($"t{i}.txt", 30_000, i, compressible: true);
        tree.TouchDirectories();
        await _fx.NewCollectionAsync("many", targets: EngineFixture.Tree("src", tree.Root));
        var backups = new List<BackupInfo>();
        for (var i = 0; i < 3; i++) backups.Add(await _fx.BackupAsync("many"));
        // Damage the first two backups' packs (zstd, the default) in the middle (a decoder failure or a hash mismatch).
        foreach (var backup in backups.Take(2))
        {
            var pack = Directory.EnumerateFiles(Path.Combine(_fx.Repository, "collections", "many", "backups", backup.Id), "pack-0*", SearchOption.AllDirectories).Single();
            var bytes = await File.ReadAllBytesAsync(pack);
            for (var i = bytes.Length / 3; i < bytes.Length / 3 + 16; i++) bytes[i] ^= 0x5A;
            await File.WriteAllBytesAsync(pack, bytes);
        }

        var findings = new List<ArtifactVerification>();
        foreach (var backup in await _fx.Engine.GetBackupsAsync(new BackupQuery { Repository = _fx.Repository }))
            findings.AddRange(await _fx.VerifyAsync(backup.Id));
        Assert.Equal([backups[0].Id, backups[1].Id], findings.Where(f => f.Status != VerificationStatus.Ok).Select(f => f.BackupId));
        Assert.All(findings.Where(f => f.BackupId == backups[2].Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
    }
}
