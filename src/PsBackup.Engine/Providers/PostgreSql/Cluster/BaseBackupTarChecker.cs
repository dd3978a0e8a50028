using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Watches pg_basebackup's tar stream go by (push: <see cref="Append"/>) and checks it against the
/// backup manifest PostgreSQL puts at its end: every file the manifest lists is in the tar with
/// its size and CRC-32C (<see cref="Crc32C"/>; SHA-256 for manifests that use it is not
/// computed: it cost a second full SHA-256 pass on each side), and the manifest's own checksum holds. It keeps backup_label and the
/// manifest, whose WAL range says where the backup starts and where it becomes consistent.
/// </summary>
internal sealed class BaseBackupTarChecker : IDisposable
{
    private const int Block = 512;
    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private bool _ended;

    // The entry whose content is streaming past.
    private string _name = "";
    private long _remaining, _padding, _size;
    private Crc32C? _hash;
    private MemoryStream? _keep;

    public void Dispose() => _keep?.Dispose();

    /// <summary>The manifest checksum pg_basebackup is asked for (its --manifest-checksums).</summary>
    public const string ManifestChecksum = "CRC32C";

    private readonly Dictionary<string, (long Size, string Checksum)> _files = new(StringComparer.Ordinal);
    private byte[]? _manifest;
    private string? _label;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0 && !_ended)
        {
            if (_remaining > 0)
            {
                var n = (int)Math.Min(_remaining, data.Length);
                _hash?.Append(data[..n]);
                _keep?.Write(data[..n]);
                _remaining -= n;
                data = data[n..];
                if (_remaining == 0) EndEntry();
            }
            else if (_padding > 0)
            {
                var n = (int)Math.Min(_padding, data.Length);
                _padding -= n;
                data = data[n..];
            }
            else
            {
                var n = Math.Min(Block - _headerFill, data.Length);
                data[..n].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += n;
                data = data[n..];
                if (_headerFill == Block) { _headerFill = 0; StartEntry(); }
            }
        }
    }

    private void StartEntry()
    {
        if (_header.All(b => b == 0)) { _ended = true; return; }
        var name = Text(345, 155) is { Length: > 0 } prefix ? $"{prefix}/{Text(0, 100)}" : Text(0, 100);
        _name = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        _size = Size();
        _padding = (Block - _size % Block) % Block;
        _remaining = _size;
        var type = (char)_header[156];
        if (type is '0' or '\0')
        {
            _hash = new Crc32C();
            if (_name is "backup_manifest" or "backup_label") _keep = new MemoryStream();
        }
        if (_remaining == 0) EndEntry();
    }

    private void EndEntry()
    {
        if (_hash != null)
            _files[_name] = (_size, _hash.ToManifestHex());
        if (_keep != null && _name == "backup_manifest") _manifest = _keep.ToArray();
        if (_keep != null && _name == "backup_label") _label = Encoding.UTF8.GetString(_keep.ToArray());
        _hash = null;
        _keep = null;
    }

    private string Text(int offset, int length)
    {
        var field = _header.AsSpan(offset, length);
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private long Size()
    {
        var field = _header.AsSpan(124, 12);
        if ((field[0] & 0x80) != 0) // base-256, for files of 8 GiB and more
        {
            long value = 0;
            for (var i = 4; i < 12; i++) value = (value << 8) | field[i];
            return value;
        }
        var text = Encoding.ASCII.GetString(field).Trim('\0', ' ');
        return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
    }

    /// <summary>Checks the whole tar against its manifest; returns what the manifest and label say.</summary>
    public BaseBackupFacts Finish()
    {
        if (!_ended) throw new IntegrityException("pg_basebackup's tar stream ended early (no end-of-archive blocks).");
        if (_manifest == null) throw new IntegrityException("pg_basebackup's tar holds no backup_manifest (PostgreSQL 13 or later is needed, without --no-manifest).");
        if (_label == null) throw new IntegrityException("pg_basebackup's tar holds no backup_label.");
        var text = Encoding.UTF8.GetString(_manifest);
        var checksumAt = text.IndexOf("\"Manifest-Checksum\"", StringComparison.Ordinal);
        var manifest = JObject.Parse(text);
        if (checksumAt > 0)
        {
            var expected = (string?)manifest["Manifest-Checksum"];
            var actual = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text[..checksumAt]))).ToLowerInvariant();
            if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
                throw new IntegrityException($"The base backup's manifest is damaged: its checksum is {expected}, its content hashes to {actual}.");
        }
        var count = 0;
        foreach (var file in manifest["Files"]?.Children<JObject>() ?? [])
        {
            var path = (string?)file["Path"] ?? Encoding.UTF8.GetString(Convert.FromHexString((string)file["Encoded-Path"]!));
            var size = (long)file["Size"]!;
            if (!_files.TryGetValue(path, out var got))
                throw new IntegrityException($"The base backup misses '{path}', which its manifest lists.");
            if (got.Size != size)
                throw new IntegrityException($"The base backup's '{path}' has {got.Size} bytes; its manifest says {size}.");
            if (!string.Equals((string?)file["Checksum-Algorithm"], ManifestChecksum, StringComparison.OrdinalIgnoreCase))
                throw new IntegrityException($"The base backup's manifest checksums '{path}' with {(string?)file["Checksum-Algorithm"] ?? "nothing"}, not {ManifestChecksum}.");
            if (!string.Equals((string?)file["Checksum"], got.Checksum, StringComparison.OrdinalIgnoreCase))
                throw new IntegrityException($"The base backup's '{path}' does not match its manifest's {ManifestChecksum}.");
            count++;
        }
        var ranges = manifest["WAL-Ranges"]?.Children<JObject>().ToList() ?? [];
        if (ranges.Count == 0) throw new IntegrityException("The base backup's manifest has no WAL range.");
        var start = Label("START WAL LOCATION").Split(' ')[0];
        return new BaseBackupFacts(
            StartLsn: Lsn.Parse(start), StartTimeline: int.Parse(Label("START TIMELINE"), CultureInfo.InvariantCulture),
            StopLsn: Lsn.Parse((string)ranges[^1]["End-LSN"]!), StopTimeline: (int)ranges[^1]["Timeline"]!,
            FileCount: count);
    }

    private string Label(string field) =>
        _label!.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..].Trim()
        ?? throw new IntegrityException($"The base backup's backup_label has no '{field}' line.");
}

/// <summary>Where a base backup's WAL starts and where the cluster it holds becomes consistent.</summary>
internal sealed record BaseBackupFacts(Lsn StartLsn, int StartTimeline, Lsn StopLsn, int StopTimeline, int FileCount);
