using System.Text;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>One RESP2 reply: a status, error, integer, bulk string (null when absent) or array.</summary>
internal sealed class RespReply
{
    public enum ReplyKind { Status, Error, Integer, Bulk, Array }

    public ReplyKind Kind { get; private init; }
    public string? Text { get; private init; }
    public long Integer { get; private init; }
    public byte[]? Bulk { get; private init; }
    public RespReply[]? Items { get; private init; }

    public bool IsError => Kind == ReplyKind.Error;
    public bool IsNull => Kind == ReplyKind.Bulk && Bulk == null || Kind == ReplyKind.Array && Items == null;

    public static RespReply Status(string text) => new() { Kind = ReplyKind.Status, Text = text };
    public static RespReply Error(string text) => new() { Kind = ReplyKind.Error, Text = text };
    public static RespReply Int(long value) => new() { Kind = ReplyKind.Integer, Integer = value };
    public static RespReply BulkOf(byte[]? value) => new() { Kind = ReplyKind.Bulk, Bulk = value };
    public static RespReply ArrayOf(RespReply[]? items) => new() { Kind = ReplyKind.Array, Items = items };

    /// <summary>Status or bulk text.</summary>
    public string? AsString() => Kind switch
    {
        ReplyKind.Status or ReplyKind.Error => Text,
        ReplyKind.Bulk => Bulk == null ? null : Encoding.UTF8.GetString(Bulk),
        ReplyKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>Integer replies, and bulk strings holding a number.</summary>
    public long AsInt64() => Kind == ReplyKind.Integer ? Integer : long.Parse(AsString()!, System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => Kind == ReplyKind.Array ? $"[{Items?.Length}]" : AsString() ?? "(nil)";
}

/// <summary>An error reply of the server (the message begins with its code: ERR, WRONGPASS, NOPERM, BUSYKEY …).</summary>
internal sealed class RedisServerException(string command, string message) : Exception($"{command}: {message}")
{
    public string ServerMessage { get; } = message;
    public string Code => ServerMessage.Split(' ', 2)[0];
}
