using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PsBackup.Engine.Tests.Support;

/// <summary>What the proxy does to one request.</summary>
public enum ProxyFault
{
    None,
    /// <summary>Answers 503 SlowDown (an S3 XML error) without forwarding.</summary>
    SlowDown,
    /// <summary>Reads the request, then resets the connection without a response.</summary>
    Reset,
    /// <summary>Forwards, relays the response headers and part of the body, then resets the connection.</summary>
    MidResponseReset,
    /// <summary>Reads the request and never answers (until the client gives up or the proxy is disposed).</summary>
    Stall,
}

/// <summary>One request as the proxy saw it.</summary>
public sealed record ProxyRequest(int Number, string Method, string Target, IReadOnlyDictionary<string, string> Headers, ProxyFault Fault);

/// <summary>
/// A fault-injecting HTTP/1.1 proxy in front of an S3 endpoint, on 127.0.0.1 at a free port (<see cref="TestPorts"/>). It
/// serves one request per connection (it answers with Connection: close) and fails a fraction of
/// them, chosen by a seeded Random, with a 503 SlowDown, a connection reset, or (GET) a reset in
/// the middle of the response body. <see cref="Decide"/> overrides the choice per request.
/// Stops accepting, and drops every connection, when disposed.
/// </summary>
public sealed class FaultyProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _upstream;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<ProxyRequest> _requests = [];
    private readonly object _gate = new();

    public FaultyProxy(string upstream, double failureRate = 0, int seed = 1)
    {
        _upstream = new Uri(upstream);
        FailureRate = failureRate;
        _random = new Random(seed);
        _listener = TestPorts.Listen();
        _accepting = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The fraction of requests that fail (0 … 1).</summary>
    public double FailureRate { get; set; }

    /// <summary>When set and it returns a fault, that fault instead of the random choice.</summary>
    public Func<ProxyRequest, ProxyFault?>? Decide { get; set; }

    public IReadOnlyList<ProxyRequest> Requests { get { lock (_gate) return [.. _requests]; } }

    public int Count(ProxyFault fault) => Requests.Count(r => r.Fault == fault);

    public int Faults => Requests.Count(r => r.Fault != ProxyFault.None);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            client.NoDelay = true;
            var stream = client.GetStream();
            var reader = new HeadReader(stream);
            var head = await reader.ReadHeadAsync(_stop.Token);
            if (head == null) return;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            var headers = new List<(string Name, string Value)>();
            foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
            {
                var colon = line.IndexOf(':');
                headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
            var map = headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);
            if (map.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException("FaultyProxy does not relay chunked request bodies.");
            if (map.TryGetValue("Expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token);
            var length = map.TryGetValue("Content-Length", out var cl) ? long.Parse(cl) : 0;
            var body = new MemoryStream();
            await reader.CopyBodyAsync(body, length, _stop.Token);

            ProxyRequest request;
            lock (_gate)
            {
                var probe = new ProxyRequest(_requests.Count + 1, parts[0], parts[1], map, ProxyFault.None);
                var fault = Decide?.Invoke(probe) ?? RandomFault(parts[0]);
                request = probe with { Fault = fault };
                _requests.Add(request);
            }

            switch (request.Fault)
            {
                case ProxyFault.SlowDown:
                    await SlowDownAsync(stream, request);
                    return;
                case ProxyFault.Reset:
                    Reset(client);
                    return;
                case ProxyFault.Stall:
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
            }

            using var upstream = new TcpClient { NoDelay = true };
            await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
            var up = upstream.GetStream();
            var forwarded = new StringBuilder().Append(lines[0]).Append("\r\n");
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
                    continue;
                forwarded.Append(name).Append(": ").Append(value).Append("\r\n");
            }
            forwarded.Append("Connection: close\r\n\r\n");
            await up.WriteAsync(Encoding.Latin1.GetBytes(forwarded.ToString()), _stop.Token);
            body.Position = 0;
            await body.CopyToAsync(up, _stop.Token);
            await up.FlushAsync(_stop.Token);

            // The response: headers rewritten to Connection: close, then the body as it comes.
            var upReader = new HeadReader(up);
            var responseHead = await upReader.ReadHeadAsync(_stop.Token) ?? throw new IOException("upstream sent no response");
            var responseLines = responseHead.Split("\r\n").Where(l => l.Length > 0
                && !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase)).ToList();
            long? responseLength = responseLines.Skip(1).Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => (long?)long.Parse(l[15..].Trim())).FirstOrDefault();
            var toClient = string.Join("\r\n", responseLines) + "\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.Latin1.GetBytes(toClient), _stop.Token);
            var isHead = request.Method == "HEAD";
            if (request.Fault == ProxyFault.MidResponseReset && !isHead && responseLength is > 1)
            {
                await upReader.CopyBodyAsync(stream, responseLength.Value / 2, _stop.Token);
                await stream.FlushAsync(_stop.Token);
                await Task.Delay(100, _stop.Token); // let the client take in what it got, then cut it off
                Reset(client);
                return;
            }
            if (isHead) return;
            if (responseLength is { } n) await upReader.CopyBodyAsync(stream, n, _stop.Token);
            else await upReader.CopyToEndAsync(stream, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        catch (Exception)
        {
            // The client or the upstream went away, or the proxy is stopping: drop the connection.
        }
    }

    private ProxyFault RandomFault(string method)
    {
        if (_random.NextDouble() >= FailureRate) return ProxyFault.None;
        return _random.Next(3) switch
        {
            0 => ProxyFault.SlowDown,
            1 => ProxyFault.Reset,
            _ => method == "GET" ? ProxyFault.MidResponseReset : ProxyFault.Reset,
        };
    }

    private async Task SlowDownAsync(NetworkStream stream, ProxyRequest request)
    {
        var xml = Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>" +
            $"<RequestId>faulty-{request.Number}</RequestId></Error>");
        var head = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n" +
                   $"Content-Length: {xml.Length}\r\nx-amz-request-id: faulty-{request.Number}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head), _stop.Token);
        if (request.Method != "HEAD") await stream.WriteAsync(xml, _stop.Token);
        await stream.FlushAsync(_stop.Token);
    }

    /// <summary>An abrupt close: RST instead of FIN.</summary>
    private static void Reset(TcpClient client)
    {
        client.LingerState = new LingerOption(true, 0);
        client.Client.Close(0);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _accepting.Wait(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }

    /// <summary>Reads an HTTP head (up to the blank line) and then body bytes, from one buffer.</summary>
    private sealed class HeadReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start, _end;

        public async Task<string?> ReadHeadAsync(CancellationToken ct)
        {
            var head = new MemoryStream();
            var matched = 0; // of "\r\n\r\n"
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, ct);
                    if (_end == 0) return head.Length == 0 ? null : throw new IOException("connection closed inside a head");
                }
                var b = _buffer[_start++];
                head.WriteByte(b);
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
                if (matched == 4) return Encoding.Latin1.GetString(head.GetBuffer(), 0, (int)head.Length - 4);
                if (head.Length > 64 * 1024) throw new IOException("head too long");
            }
        }

        public async Task CopyBodyAsync(Stream destination, long count, CancellationToken ct)
        {
            while (count > 0)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, ct);
                    if (_end == 0) throw new IOException("connection closed inside a body");
                }
                var n = (int)Math.Min(count, _end - _start);
                await destination.WriteAsync(_buffer.AsMemory(_start, n), ct);
                _start += n;
                count -= n;
            }
        }

        public async Task CopyToEndAsync(Stream destination, CancellationToken ct)
        {
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, ct);
                    if (_end == 0) return;
                }
                await destination.WriteAsync(_buffer.AsMemory(_start, _end - _start), ct);
                _start = _end;
            }
        }
    }
}
