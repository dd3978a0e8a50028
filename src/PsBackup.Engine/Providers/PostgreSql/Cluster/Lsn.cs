using System.Globalization;
using PsBackup.Engine.Errors;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>A WAL position, written as PostgreSQL does: high/low 32 bits in hex ("0/3000028").</summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    public static Lsn Parse(string text)
    {
        var parts = text.Trim().Split('/');
        if (parts.Length != 2
            || !uint.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
            throw new InvalidBackupRequestException("InvalidLsn", $"'{text}' is not a WAL location (LSN); expected the form 0/3000028.");
        return new Lsn(((ulong)high << 32) | low);
    }

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    public override string ToString() => $"{Value >> 32:X}/{Value & 0xFFFFFFFF:X}";
}
