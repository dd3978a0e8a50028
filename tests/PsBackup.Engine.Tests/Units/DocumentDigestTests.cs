using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Errors;
using PsBackup.Engine.Repository;
using PsBackup.Engine.Tests.Support;

namespace PsBackup.Engine.Tests.Units;

/// <summary>The documents' digest is what docs/design.md says a third party recomputes with jq.</summary>
public sealed class DocumentDigestTests
{
    [Fact]
    public void The_digest_is_the_sha256_of_jq_canonical_output()
    {
        // `jq -cjS 'del(.digest, .mac)' doc.json | sha256sum` (jq 1.6) printed this hash for this document.
        const string text = """{"b":1,"a":"x\u0001\n\u007f\u00e9/","c":[true,null,{"z":2,"y":"2026-12-07T11:10:10.1603926+00:00"}],"digest":"sha256:00","mac":"m"}""";
        using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
        var hash = DocumentDigest.ContentHash(JObject.Load(reader));
        Assert.Equal("sha256:c5e13c15a33d5fc57e58865b250f7dd02f4f7a787c25cff9eb3e0fc4cdd487a2", DocumentDigest.Format(hash));
    }

    [Fact]
    public void A_sealed_document_reads_back_and_any_edit_is_detected()
    {
        var bytes = RepositoryDocuments.ToBytes(new BackupLabels { Pinned = true, Tags = ["a"], Modified = DateTimeOffset.UnixEpoch }, DocumentType.Labels);
        var read = RepositoryDocuments.Read<BackupLabels>(bytes, DocumentType.Labels, "Labels", "test");
        Assert.True(read.Value.Pinned);
        Assert.Equal(2, read.Value.Version);
        Assert.Contains("\"digest\": \"sha256:", System.Text.Encoding.UTF8.GetString(bytes));

        var edited = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace("\"pinned\": true", "\"pinned\": false"));
        var error = Assert.Throws<DocumentCorruptException>(() => RepositoryDocuments.Read<BackupLabels>(edited, DocumentType.Labels, "Labels", "test"));
        Assert.Equal("DocumentCorrupt", error.ErrorId);
        Assert.Contains("digest does not match", error.Message);

        // Whitespace and member order are not content: a reformatted document still verifies.
        var reformatted = Tamper.Reformat(bytes);
        Assert.True(RepositoryDocuments.Read<BackupLabels>(reformatted, DocumentType.Labels, "Labels", "test").Value.Pinned);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"format":"psbackup-labels","version":2,"pinned":true,"pinned":false}""")]
    [InlineData("""{"format":"psbackup-labels","version":"2"}""")]
    [InlineData("""{"format":"psbackup-labels","version":2}""")]
    [InlineData("""{"format":"psbackup-labels","version":1,"tags":{"x":1}}""")]
    [InlineData("""{"format":"psbackup-labels","version":99999999999999999999999}""")]
    [InlineData("""{"format":"psbackup-labels","version":1} {}""")]
    public void Malformed_documents_are_corrupt_or_unsupported_never_a_raw_exception(string text)
    {
        var error = Assert.ThrowsAny<PsBackupException>(() => RepositoryDocuments.Read<BackupLabels>(System.Text.Encoding.UTF8.GetBytes(text), DocumentType.Labels, "Labels", "test"));
        Assert.Contains(error.ErrorId, new[] { "DocumentCorrupt", "RepositoryFormatUnsupported" });
    }

    [Fact]
    public void Deeply_nested_documents_are_refused()
    {
        var text = """{"format":"psbackup-labels","version":1,"x":""" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Throws<DocumentCorruptException>(() => RepositoryDocuments.Read<BackupLabels>(System.Text.Encoding.UTF8.GetBytes(text), DocumentType.Labels, "Labels", "test"));
    }
}
