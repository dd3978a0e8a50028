using System.Diagnostics;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Operations;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// Issue 20, item 4: encryption parameters are checked before any KDF or cipher runs; and what the
/// repository key adds: manifests of encrypted collections carry a MAC that an attacker without
/// the passphrase cannot recompute.
/// </summary>
public sealed class EncryptionTests : IDisposable
{
    private const string Passphrase = "hostile passphrase";
    private readonly HostileRepository _repo = new(Passphrase);

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData("iterations", "2147483647")]
    [InlineData("iterations", "10000001")]
    [InlineData("iterations", "0")]
    [InlineData("iterations", "-5")]
    [InlineData("wrappedKey", "\"AAAA\"")]            // 3 bytes
    [InlineData("wrappedKey", "\"not base64 at all!\"")]
    [InlineData("nonce", "\"AAAAAA==\"")]             // 4 bytes
    [InlineData("salt", "\"%%%\"")]
    [InlineData("salt", "null")]
    [InlineData("keyFormat", "7")]
    public async Task Tampered_encryption_parameters_are_refused_before_any_KDF_runs(string field, string json)
    {
        var backup = await _repo.BackupAsync();
        Support.Tamper.Edit(_repo.CollectionJson, c => c["encryption"]![field] = Newtonsoft.Json.Linq.JToken.Parse(json)); // resealed: past the digest
        var clock = Stopwatch.StartNew();

        foreach (var attempt in new Func<Task>[]
                 {
                     () => _repo.VerifyAsync(backup.Id),
                     () => _repo.RestoreAsync(backup.Id),
                     () => _repo.BackupAsync(),
                     () => _repo.Engine.GetCollectionsAsync(_repo.Repository, "c"),
                     _repo.ListAsync,
                 })
        {
            var error = await HostileRepository.ErrorOf(attempt);
            Assert.Equal("EncryptionParametersInvalid", error.ErrorId);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}: a KDF ran");
    }

    [Fact]
    public async Task A_naive_edit_of_the_parameters_is_a_damaged_document()
    {
        await _repo.BackupAsync();
        Support.Tamper.Edit(_repo.CollectionJson, c => c["encryption"]!["iterations"] = int.MaxValue, reseal: false);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync())).ErrorId);
    }

    [Fact]
    public async Task A_resealed_manifest_edit_fails_its_MAC_once_the_key_is_unlocked()
    {
        var full = await _repo.BackupAsync();
        var incremental = await _repo.ChangeAndBackupAsync(BackupType.Incremental);
        Assert.StartsWith("hmac-sha256:", (string?)Support.Tamper.Read(_repo.Manifest(full.Id))["mac"]);

        Support.Tamper.Edit(_repo.Manifest(full.Id), m => m["host"] = "elsewhere");
        // Without the key only the digest can be checked, and it was recomputed: listed as it claims to be.
        Assert.Equal(BackupStatus.Complete, (await _repo.ListAsync())[0].Status);
        // With the key: not trusted, for the backup and for every backup that builds on it.
        foreach (var id in new[] { full.Id, incremental.Id })
        {
            var finding = Assert.Single(await _repo.VerifyAsync(id));
            Assert.Equal(VerificationStatus.Corrupt, finding.Status);
            Assert.Contains("fails its MAC", finding.Message);
            Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(id))).ErrorId);
        }
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.BackupAsync(BackupType.Incremental))).ErrorId);

        // Removing the MAC, or claiming plaintext artifacts, is no way around it.
        Support.Tamper.Edit(_repo.Manifest(full.Id), m => { m["host"] = "vm"; m.Remove("mac"); });
        Assert.Contains("has no MAC", Assert.Single(await _repo.VerifyAsync(full.Id)).Message);
        Support.Tamper.Edit(_repo.Manifest(incremental.Id), m => m["encrypted"] = false);
        Assert.Equal("DocumentCorrupt", (await HostileRepository.ErrorOf(() => _repo.RestoreAsync(incremental.Id))).ErrorId);
    }

    [Fact]
    public async Task Downgrading_the_key_format_to_skip_MACs_does_not_unlock()
    {
        var backup = await _repo.BackupAsync();
        Support.Tamper.Edit(_repo.CollectionJson, c => c["encryption"]!["keyFormat"] = 1);
        Assert.Equal("WrongPassphrase", (await HostileRepository.ErrorOf(() => _repo.VerifyAsync(backup.Id))).ErrorId);
    }
}
