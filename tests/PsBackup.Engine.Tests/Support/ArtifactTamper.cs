using System.IO.Compression;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// Rewrites the plaintext of an artifact of an unencrypted zstd or brotli backup and reseals its manifest
/// (sizes, SHA-256s, digest) as someone with write access to the repository can: every check of the
/// repository then passes, and only a comparison with what the backup recorded elsewhere can tell.
/// </summary>
public static class ArtifactTamper
{
    public static void Rewrite(string repository, string collection, string backupId, string target, string artifact, Func<byte[], byte[]> edit)
    {
        var folder = Path.Combine(repository, "collections", collection, "backups", backupId);
        var manifestPath = Path.Combine(folder, "manifest.json");
        var manifest = Tamper.Read(manifestPath);
        var record = (JObject)manifest["targets"]!.Single(t => (string)t["name"]! == target)["artifacts"]!.Single(a => (string)a["name"]! == artifact);
        var path = Path.Combine(folder, (string)record["path"]!);
        var edited = edit(ReadPlain(path));
        WritePlain(path, edited);
        var stored = File.ReadAllBytes(path);
        record["size"] = edited.Length;
        record["sha256"] = Convert.ToHexString(SHA256.HashData(edited)).ToLowerInvariant();
        record["storedSize"] = stored.Length;
        record["storedSha256"] = Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant();
        Tamper.Write(manifestPath, manifest, reseal: true);
    }

    /// <summary>Removes an artifact from a backup, file and manifest record (resealed): a backup as made before the artifact existed.</summary>
    public static void Remove(string repository, string collection, string backupId, string target, string artifact)
    {
        var folder = Path.Combine(repository, "collections", collection, "backups", backupId);
        var manifestPath = Path.Combine(folder, "manifest.json");
        var manifest = Tamper.Read(manifestPath);
        var record = (JObject)manifest["targets"]!.Single(t => (string)t["name"]! == target)["artifacts"]!.Single(a => (string)a["name"]! == artifact);
        File.Delete(Path.Combine(folder, (string)record["path"]!));
        record.Remove();
        Tamper.Write(manifestPath, manifest, reseal: true);
    }

    /// <summary>The plaintext of an unencrypted zstd (.zst) or brotli (.br) object.</summary>
    public static byte[] ReadPlain(string path)
    {
        using var input = Codec(path) == ".zst"
            ? new PsBackup.Engine.Repository.ZstdFrameReadStream(File.OpenRead(path), 1)
            : (Stream)new BrotliStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Replaces the object with <paramref name="plain"/>, compressed as its name says.</summary>
    public static void WritePlain(string path, byte[] plain)
    {
        using var output = new MemoryStream();
        if (Codec(path) == ".zst")
        {
            using var frames = new PsBackup.Engine.Repository.ZstdFrameWriteStream(output, 1);
            frames.Write(plain);
            frames.Complete();
        }
        else
        {
            using var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true);
            brotli.Write(plain);
        }
        File.WriteAllBytes(path, output.ToArray());
    }

    private static string Codec(string path) => Path.GetExtension(path) is var codec && codec is ".zst" or ".br"
        ? codec
        : throw new InvalidOperationException($"{path}: only unencrypted zstd or brotli objects are rewritten here.");

    /// <summary>Removes the first line for which <paramref name="drop"/> holds (text artifacts: JSON lines, text COPY).</summary>
    public static byte[] DropLine(byte[] text, Func<string, bool> drop)
    {
        var lines = System.Text.Encoding.UTF8.GetString(text).Split('\n').ToList();
        var index = lines.FindIndex(l => drop(l));
        if (index < 0) throw new InvalidOperationException("No line to drop.");
        lines.RemoveAt(index);
        return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }
}
