using System.IO.Compression;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Hostile;

/// <summary>
/// File indexes crafted by someone who can write the repository and reseal an unencrypted
/// manifest: every one is refused with a PsBackup error before anything lands outside the
/// destination, never a crash.
/// </summary>
public sealed class CraftedIndexTests : IDisposable
{
    private readonly HostileRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    public static TheoryData<string, string> Crafts() => new()
    {
        { "pack outside the backup", "ArtifactCorrupt" },
        { "backup outside the chain", "ArtifactCorrupt" },
        { "negative offset", "ArtifactCorrupt" },
        { "size past the pack", "ArtifactCorrupt" },
        { "wrong file hash", "ArtifactCorrupt" },
        { "not json", "ArtifactCorrupt" },
        { "unknown type", "ArtifactCorrupt" },
        { "path twice", "ArtifactCorrupt" },
        { "path with a NUL", "UnsafeRestorePath" },
        { "empty path", "UnsafeRestorePath" },
        { "newer index format", "RepositoryFormatUnsupported" },
    };

    [Theory]
    [MemberData(nameof(Crafts))]
    public async Task A_crafted_index_is_refused(string craft, string errorId)
    {
        var backup = await _repo.BackupAsync();
        await RewriteIndexAsync(backup.Id, craft);
        var destination = _repo.Fx.Temp.Combine("deep", "dest");

        var outcome = await _repo.RestoreAsync(backup.Id, destination);
        Assert.Equal(errorId, outcome.Error?.ErrorId);
        Assert.False(Directory.Exists(destination));
        var deep = _repo.Fx.Temp.Combine("deep");
        Assert.Empty(Directory.Exists(deep) ? Directory.EnumerateFileSystemEntries(deep, "*", SearchOption.AllDirectories) : []);
        // The index is a well-formed artifact (it was resealed): Test-Backup, which does not parse it, finds it intact.
        Assert.All(await _repo.VerifyAsync(backup.Id), f => Assert.Equal(VerificationStatus.Ok, f.Status));
    }

    /// <summary>Rewrites the (gzip) index of backup <paramref name="id"/> and reseals its manifest, as an attacker with write access could.</summary>
    private async Task RewriteIndexAsync(string id, string craft)
    {
        var indexPath = Path.Combine(_repo.Folder(id), "src", "index.gz");
        List<string> lines;
        await using (var gz = new GZipStream(File.OpenRead(indexPath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
            lines = [.. (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        var entries = lines.Skip(1).Select(JObject.Parse).ToList();
        var file = entries.First(e => (string?)e["type"] == "file" && (long)e["size"]! > 0);
        var header = JObject.Parse(lines[0]);
        var extra = new List<string>();
        switch (craft)
        {
            case "pack outside the backup": file["pack"] = "../../../../config.json"; break;
            case "backup outside the chain": file["backup"] = "20200101T000000Z_full_00000000"; break;
            case "negative offset": file["offset"] = -100; break;
            case "size past the pack": file["size"] = 1L << 40; break;
            case "wrong file hash": file["sha256"] = new string('0', 64); break;
            case "not json": extra.Add("{ this is not json"); break;
            case "unknown type": file["type"] = "device"; break;
            case "path twice": entries.Add((JObject)file.DeepClone()); break;
            case "path with a NUL": file["path"] = "a\u0000b"; break;
            case "empty path": file["path"] = ""; break;
            case "newer index format": header["version"] = 99; break;
            default: throw new ArgumentException(craft);
        }
        var plain = System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            new[] { header.ToString(Newtonsoft.Json.Formatting.None) }.Concat(entries.Select(e => e.ToString(Newtonsoft.Json.Formatting.None))).Concat(extra)) + "\n");
        await using (var output = new GZipStream(File.Create(indexPath), CompressionLevel.Fastest))
            await output.WriteAsync(plain);
        Tamper.Edit(_repo.Manifest(id), manifest =>
        {
            var artifact = manifest["targets"]![0]!["artifacts"]!.First(a => (string?)a["name"] == "index")!;
            artifact["size"] = plain.Length;
            artifact["storedSize"] = new FileInfo(indexPath).Length;
            artifact["sha256"] = Convert.ToHexString(SHA256.HashData(plain)).ToLowerInvariant();
            artifact["storedSha256"] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(indexPath))).ToLowerInvariant();
        });
    }
}
