using System.Buffers.Binary;
using System.Net.Sockets;
using Newtonsoft.Json;
using Newtonsoft.Json.Bson;
using Newtonsoft.Json.Linq;

namespace PsBackup.Engine.Tests.Peers;

/// <summary>
/// A minimal MongoDB wire-protocol client (OP_MSG, one command at a time) for talking to the
/// test peer: MongoDB.Driver cannot be restored here. Documents are Newtonsoft JObjects written
/// and read as BSON. Limits of that mapping: JSON integers are written as BSON int64; BSON
/// ObjectIds are read as 12-byte binary values (JTokenType.Bytes) and cannot be written.
/// </summary>
public sealed class MongoWireClient : IDisposable
{
    private const int OpMsg = 2013;
    private const int HeaderLength = 16;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private int _requestId;

    private MongoWireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static MongoWireClient Connect(string host, int port, int timeoutMs = 10_000)
    {
        var tcp = new TcpClient { NoDelay = true, ReceiveTimeout = timeoutMs, SendTimeout = timeoutMs };
        try
        {
            tcp.Connect(host, port);
            return new MongoWireClient(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a command (its name must be the first key, e.g. { "find": "coll" }) against a
    /// database and returns the reply document. Throws when the reply's "ok" is not 1.
    /// </summary>
    public JObject RunCommand(string database, JObject command)
    {
        var body = (JObject)command.DeepClone();
        body["$db"] = database;

        // OP_MSG: header (length, requestID, responseTo, opCode), flagBits, section kind 0 + BSON document.
        var doc = ToBson(body);
        var message = new byte[HeaderLength + 4 + 1 + doc.Length];
        var requestId = Interlocked.Increment(ref _requestId);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(0), message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(8), 0);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(12), OpMsg);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), 0);
        message[20] = 0;
        doc.CopyTo(message, 21);
        _stream.Write(message);

        var header = ReadExactly(HeaderLength);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var responseTo = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        var opCode = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        var payload = ReadExactly(length - HeaderLength);
        if (opCode != OpMsg)
            throw new InvalidDataException($"Expected an OP_MSG reply, got opCode {opCode}.");
        if (responseTo != requestId)
            throw new InvalidDataException($"Reply is for request {responseTo}, expected {requestId}.");
        // payload: flagBits (4 bytes), then sections; the reply's body is the kind-0 section.
        if (payload[4] != 0)
            throw new InvalidDataException($"Expected a kind-0 section first, got kind {payload[4]}.");
        var reply = FromBson(payload.AsSpan(5).ToArray());

        if (reply.Value<double?>("ok") != 1)
            throw new InvalidOperationException(
                $"Command {command.Properties().First().Name} failed: {reply.ToString(Formatting.None)}");
        return reply;
    }

    private byte[] ReadExactly(int count)
    {
        var buffer = new byte[count];
        _stream.ReadExactly(buffer);
        return buffer;
    }

    private static byte[] ToBson(JObject document)
    {
        using var ms = new MemoryStream();
        using (var writer = new BsonDataWriter(ms))
            document.WriteTo(writer);
        return ms.ToArray();
    }

    private static JObject FromBson(byte[] bson)
    {
        using var reader = new BsonDataReader(new MemoryStream(bson)) { DateTimeKindHandling = DateTimeKind.Utc };
        return JObject.Load(reader);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
