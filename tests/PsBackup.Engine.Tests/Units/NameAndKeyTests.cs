using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage;

namespace PsBackup.Engine.Tests.Units;

/// <summary>Names, ids and keys from outside: refused with a PsBackup ErrorId before they reach a store.</summary>
public sealed class NameAndKeyTests
{
    [Theory]
    [InlineData("..")]
    [InlineData("../../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/etc")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("name\n")]
    [InlineData("na\u0000me")]
    [InlineData("tab\tname")]
    public void Invalid_names_are_InvalidName(string name)
    {
        Assert.Equal("InvalidName", Assert.Throws<InvalidBackupRequestException>(() => Names.Validate(name, "Collection")).ErrorId);
        Assert.Equal("InvalidName", Assert.Throws<InvalidBackupRequestException>(() => RepositoryKeys.Definition(name)).ErrorId);
    }

    [Theory]
    [InlineData("../../../config")]
    [InlineData("../backups/20261121T200019Z_full_c7ccebd4")]
    [InlineData("20261121T200019Z_full_c7ccebd4\n")]
    [InlineData("20261321T200019Z_full_c7ccebd4")]
    [InlineData("20261121T200019Z_full_C7CCEBD4")]
    public void Invalid_ids_are_InvalidBackupId(string id)
    {
        Assert.Equal("InvalidBackupId", Assert.Throws<InvalidBackupRequestException>(() => BackupId.Validate(id)).ErrorId);
        Assert.Equal("InvalidBackupId", Assert.Throws<InvalidBackupRequestException>(() => RepositoryKeys.Manifest("c", id)).ErrorId);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("prod-*")]
    [InlineData("db?")]
    [InlineData("[ab]*")]
    public void Wildcard_patterns_of_names_are_accepted(string pattern) => Names.ValidatePattern(pattern, "Collection");

    [Theory]
    [InlineData("../*")]
    [InlineData("../collections/h")]
    [InlineData("*/x")]
    public void Patterns_that_are_paths_are_InvalidName(string pattern) =>
        Assert.Equal("InvalidName", Assert.Throws<InvalidBackupRequestException>(() => Names.ValidatePattern(pattern, "Collection")).ErrorId);

    [Theory]
    [InlineData("../x")]
    [InlineData("collections/../../x")]
    [InlineData("/etc/hostname")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a\\..\\b")]
    [InlineData("a/b\n")]
    [InlineData("")]
    public async Task Every_store_refuses_keys_that_leave_it(string key)
    {
        using var temp = new Support.TempDirectory("keys");
        var s3 = new PsBackup.Engine.Storage.S3.S3ObjectStore(PsBackup.Engine.Storage.S3.S3Location.Parse("s3://bucket/prefix/"),
            new PsBackup.Engine.Storage.S3.S3StoreOptions { Endpoint = "http://127.0.0.1:9", AccessKey = "S3RVER", SecretKey = "S3RVER", MaxRetries = 0 });
        foreach (IObjectStore store in new IObjectStore[] { new LocalObjectStore(temp.Path), s3 })
        {
            // Refused before any request: the S3 endpoint above does not even exist.
            Assert.Equal("InvalidRepositoryKey", (await Assert.ThrowsAsync<UnsafeRepositoryKeyException>(() => store.OpenReadAsync(key, default))).ErrorId);
            await Assert.ThrowsAsync<UnsafeRepositoryKeyException>(() => store.StatAsync(key, default));
            await Assert.ThrowsAsync<UnsafeRepositoryKeyException>(() => store.DeleteAsync(key, default));
            await Assert.ThrowsAsync<UnsafeRepositoryKeyException>(() => store.TryCreateAsync(key, new byte[1], default));
            await Assert.ThrowsAsync<UnsafeRepositoryKeyException>(() => store.OpenWriteAsync(key, default));
        }
    }
}
