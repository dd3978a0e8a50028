using System.Text.RegularExpressions;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Storage.S3;

namespace PsBackup.Engine.Operations;

/// <summary>
/// The shell command that runs the archiver (psbackup-cli archive-log) for a collection, and the
/// environment variables it will read there. Secrets never go on the line: a passphrase comes
/// from a file on the server's host or from the server's environment, S3 keys from the AWS chain
/// of the server's user.
/// </summary>
internal static partial class ArchiveCommandLine
{
    public sealed record Line(string Command, string Repository, string[] Environment);

    public static Line Build(ArchiveCommandRequest request, CollectionDefinition definition)
    {
        if (request.Archiver.Count == 0 || request.Archiver.Any(string.IsNullOrWhiteSpace))
            throw new Errors.InvalidBackupRequestException("ArchiverNotFound", "No archiver program was given to start.");
        var repository = Location(request.Repository);
        var copies = request.Copies.Select(Location).ToList();
        var words = new List<string>(request.Archiver) { "archive-log", "--repository", repository };
        foreach (var copy in copies) words.AddRange(["--repository", copy]);
        words.AddRange(["--collection", definition.Name]);
        if (request.PassphraseFile != null) words.AddRange(["--passphrase-file", request.PassphraseFile]);

        var environment = new List<string>();
        if (definition.Encryption != null && request.PassphraseFile == null) environment.Add(EngineOptions.PassphraseVariable);
        var s3 = new[] { request.Repository }.Concat(request.Copies).Where(a => S3Location.IsS3(RepositoryLocation.Resolve(a?.Location))).ToList();
        if (s3.Count > 0)
        {
            // The AWS chain of the server's user: these variables, or its ~/.aws profile or an instance role.
            environment.AddRange(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]);
            if (s3.Any(a => (a?.S3 ?? S3StoreOptions.FromEnvironment()).Endpoint != null)) environment.Add(S3StoreOptions.EndpointVariable);
        }
        return new Line(string.Join(' ', words.Select(Quote)), repository, [.. environment]);
    }

    /// <summary>The repository as the archiver must name it, wherever it runs: an absolute path or the URI.</summary>
    private static string Location(RepositoryAddress? address)
    {
        var location = RepositoryLocation.Resolve(address?.Location);
        return location.Contains("://", StringComparison.Ordinal) ? location : Path.GetFullPath(location);
    }

    /// <summary>POSIX shell quoting (archive commands run through /bin/sh): plain words stay as they are.</summary>
    internal static string Quote(string word) =>
        PlainWord().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./:@+=,-]+$")]
    private static partial Regex PlainWord();
}
