using System.Buffers.Text;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace PsBackup.Engine.Providers.Redis;

/// <summary>
/// A small synchronous RESP2 client over TCP (optionally TLS): commands are buffered and sent on
/// <see cref="Flush"/>, so callers pipeline by writing many commands and then reading as many
/// replies. It also exposes the raw byte stream, which the replication handshake (SYNC) needs.
/// Not thread-safe: one connection per worker. Cancellation closes the socket.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    private const int BufferSize = 1 << 16;
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly BufferedStream _output;
    private readonly byte[] _input = new byte[BufferSize];
    private readonly byte[] _number = new byte[24]; // headers
    private readonly byte[] _argument = new byte[24]; // integer arguments
    private int _inputStart, _inputEnd;

    private RespConnection(TcpClient tcp, Stream stream, RedisEndpoint endpoint)
    {
        _tcp = tcp;
        _stream = stream;
        _output = new BufferedStream(stream, BufferSize);
        Endpoint = endpoint;
    }

    public RedisEndpoint Endpoint { get; }

    /// <summary>Connects (and completes TLS). Socket errors propagate as they are; <see cref="RedisConnections"/> translates them.</summary>
    public static RespConnection Open(RedisEndpoint endpoint, bool tls, TimeSpan timeout, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true, ReceiveTimeout = (int)timeout.TotalMilliseconds, SendTimeout = (int)timeout.TotalMilliseconds };
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
                try { tcp.ConnectAsync(endpoint.Host, endpoint.Port, connectTimeout.Token).AsTask().GetAwaiter().GetResult(); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException("no answer within 10 s");
                }
            }
            Stream stream = tcp.GetStream();
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                ssl.AuthenticateAsClient(endpoint.Host);
                stream = ssl;
            }
            return new RespConnection(tcp, stream, endpoint);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Closes the socket when <paramref name="ct"/> fires, so a blocked read ends.</summary>
    public CancellationTokenRegistration CloseOn(CancellationToken ct) => ct.Register(Dispose);

    public void SetReadTimeout(TimeSpan timeout) => _tcp.ReceiveTimeout = timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds;

    // --- writing (buffered until Flush)

    public void Write(params object[] args)
    {
        WriteHeader('*', args.Length);
        foreach (var arg in args)
        {
            switch (arg)
            {
                case byte[] bytes: WriteBulk(bytes); break;
                case string text: WriteBulk(Encoding.UTF8.GetBytes(text)); break;
                case long or int:
                    var n = Convert.ToInt64(arg, System.Globalization.CultureInfo.InvariantCulture);
                    Utf8Formatter.TryFormat(n, _argument, out var written);
                    WriteBulk(_argument.AsSpan(0, written));
                    break;
                case BulkParts parts: WriteBulk(parts); break;
                default: throw new ArgumentException($"Unsupported RESP argument {arg.GetType()}.");
            }
        }
    }

    /// <summary>One bulk argument written from several pieces (RESTORE payloads assembled on the fly).</summary>
    public sealed record BulkParts(params ReadOnlyMemory<byte>[] Parts);

    private void WriteBulk(ReadOnlySpan<byte> bytes)
    {
        WriteHeader('$', bytes.Length);
        _output.Write(bytes);
        _output.Write("\r\n"u8);
    }

    private void WriteBulk(BulkParts parts)
    {
        WriteHeader('$', parts.Parts.Sum(p => (long)p.Length));
        foreach (var part in parts.Parts) _output.Write(part.Span);
        _output.Write("\r\n"u8);
    }

    private void WriteHeader(char kind, long length)
    {
        _number[0] = (byte)kind;
        Utf8Formatter.TryFormat(length, _number.AsSpan(1), out var written);
        _number[written + 1] = (byte)'\r';
        _number[written + 2] = (byte)'\n';
        _output.Write(_number, 0, written + 3);
    }

    public void Flush() => _output.Flush();

    /// <summary>Sends one command and reads its reply; an error reply throws <see cref="RedisServerException"/>.</summary>
    public RespReply Call(params object[] args)
    {
        Write(args);
        Flush();
        return Expect(ReadReply(), args[0] as string ?? "command");
    }

    public static RespReply Expect(RespReply reply, string command) =>
        reply.IsError ? throw new RedisServerException(command, reply.Text!) : reply;

    // --- reading

    public RespReply ReadReply()
    {
        var line = ReadLine();
        if (line.Length == 0) throw new IOException($"Redis {Endpoint} sent an empty reply line.");
        var rest = line[1..];
        switch (line[0])
        {
            case '+': return RespReply.Status(rest);
            case '-': return RespReply.Error(rest);
            case ':': return RespReply.Int(long.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
            case '$':
            {
                var length = long.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0) return RespReply.BulkOf(null);
                var value = new byte[length];
                ReadExactly(value);
                ReadExactly(_number.AsSpan(0, 2)); // CRLF
                return RespReply.BulkOf(value);
            }
            case '*':
            {
                var count = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                if (count < 0) return RespReply.ArrayOf(null);
                var items = new RespReply[count];
                for (var i = 0; i < count; i++) items[i] = ReadReply();
                return RespReply.ArrayOf(items);
            }
            default:
                throw new IOException($"Redis {Endpoint} sent an unexpected reply line '{Truncate(line)}'.");
        }
    }

    /// <summary>Reads up to '\n' and returns the line without its line end.</summary>
    public string ReadLine()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_inputStart == _inputEnd) Fill();
            var span = _input.AsSpan(_inputStart, _inputEnd - _inputStart);
            var newline = span.IndexOf((byte)'\n');
            var take = newline < 0 ? span : span[..newline];
            line.Append(Encoding.UTF8.GetString(take));
            _inputStart += take.Length;
            if (newline >= 0)
            {
                _inputStart++;
                if (line.Length > 0 && line[^1] == '\r') line.Length--;
                return line.ToString();
            }
            if (line.Length > 1 << 20) throw new IOException($"Redis {Endpoint} sent a reply line over 1 MiB.");
        }
    }

    public void ReadExactly(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            var n = Read(destination);
            if (n == 0) throw new EndOfStreamException($"Redis {Endpoint} closed the connection.");
            destination = destination[n..];
        }
    }

    /// <summary>Reads what is buffered, else what the socket gives; 0 at end of stream.</summary>
    public int Read(Span<byte> destination)
    {
        if (_inputStart == _inputEnd)
        {
            if (destination.Length >= BufferSize) return _stream.Read(destination);
            if (!TryFill()) return 0;
        }
        var n = Math.Min(destination.Length, _inputEnd - _inputStart);
        _input.AsSpan(_inputStart, n).CopyTo(destination);
        _inputStart += n;
        return n;
    }

    private void Fill()
    {
        if (!TryFill()) throw new EndOfStreamException($"Redis {Endpoint} closed the connection.");
    }

    private bool TryFill()
    {
        _inputStart = 0;
        _inputEnd = _stream.Read(_input, 0, _input.Length);
        return _inputEnd > 0;
    }

    private static string Truncate(string s) => s.Length > 80 ? s[..80] + "…" : s;

    public void Dispose()
    {
        try { _stream.Dispose(); } catch (IOException) { } // unflushed output on a dead socket
        _tcp.Dispose();
    }
}
