using System.Diagnostics;
using PsBackup.Engine.Tests.Support;
using static PsBackup.Engine.Tests.Redis.RedisTestSupport;

namespace PsBackup.Engine.Tests.Redis;

/// <summary>
/// TLS against a redis-server with a self-signed certificate. In this process the certificate is
/// not trusted, which must fail clearly; psbackup-cli started with SSL_CERT_FILE naming it (how
/// OpenSSL, and so .NET on Linux, is pointed at another trust store) must back up through TLS.
/// </summary>
public class RedisTlsTests
{
    [Fact]
    public async Task Tls_UntrustedCertificateFails_TrustedOneBacksUp()
    {
        using var temp = new TempDirectory("tls");
        var cert = temp.Combine("cert.pem");
        var key = temp.Combine("key.pem");
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        var tlsPort = RedisServer.FreePort();
        using var server = RedisServer.Start(null, "--tls-port", tlsPort.ToString(), "--tls-cert-file", cert, "--tls-key-file", key,
            "--tls-ca-cert-file", cert, "--tls-auth-clients", "no");
        using (var redis = server.Connect())
            RedisData.FillEveryType(redis.GetDatabase(0), "tls:");

        // Untrusted here: a clear TargetUnavailable naming TLS.
        using var fx = new EngineFixture();
        await fx.NewCollectionAsync("tls-untrusted", targets: new RedisTarget { Name = "c", Endpoints = [$"rediss://localhost:{tlsPort}"], UseTls = true });
        var error = await BackupFailsAsync(fx, "tls-untrusted");
        Assert.Equal("TargetUnavailable", error.ErrorId);
        Assert.Contains("TLS", error.Message);

        // Trusted through SSL_CERT_FILE in psbackup-cli: a logical backup over TLS, restored and compared.
        var environment = new Dictionary<string, string> { ["SSL_CERT_FILE"] = cert };
        Cli(environment, "new-redis-collection", "tls", $"rediss://localhost:{tlsPort}", "--mode", "logical", "--repository", fx.Repository);
        var backup = Cli(environment, "backup", "tls", "--repository", fx.Repository);
        var id = Newtonsoft.Json.Linq.JObject.Parse(backup.Trim().Split('\n')[^1])["Id"]!.ToString();
        var dataDir = fx.Temp.Combine("data");
        Ok(await RestoreAsync(fx, id, dataDir));
        using var loaded = RedisServer.Start(dataDir);
        using var src = server.Connect();
        using var dst = loaded.Connect();
        RedisData.AssertSame(RedisData.Read(src, 0), RedisData.Read(dst, 0));
    }

    private static string Cli(Dictionary<string, string> environment, params string[] args)
    {
        using var process = CliProcess.Start(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"psbackup-cli {string.Join(' ', args)} failed: {error}");
        return output.Result;
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error.Result}");
    }
}
