using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Tests.Support;

/// <summary>
/// Edits repository documents as someone with write access to the repository can: a naive edit
/// (the digest no longer matches) or an edit that recomputes the unkeyed digest as docs/design.md
/// describes (`jq -cjS 'del(.digest, .mac)' doc.json | sha256sum`; DocumentDigestTests checks the
/// engine computes exactly that). A MAC cannot be recomputed without the passphrase.
/// </summary>
public static class Tamper
{
    public static JObject Read(string path) => Parse(File.ReadAllText(path));

    /// <summary>Applies <paramref name="edit"/> and writes the document back; with <paramref name="reseal"/> its digest matches again.</summary>
    public static void Edit(string path, Action<JObject> edit, bool reseal = true)
    {
        var document = Read(path);
        edit(document);
        Write(path, document, reseal);
    }

    /// <summary>Replaces text in the document's file, then reseals it (the way an admin fixing a value by hand would have to).</summary>
    public static void EditText(string path, Func<string, string> edit, bool reseal = true)
    {
        File.WriteAllText(path, edit(File.ReadAllText(path)));
        if (reseal) Write(path, Read(path), reseal: true);
    }

    public static void Write(string path, JObject document, bool reseal = true)
    {
        if (reseal && document["digest"] != null)
            document["digest"] = DocumentDigest.Format(DocumentDigest.ContentHash(document));
        File.WriteAllText(path, document.ToString(Formatting.Indented) + "\n");
    }

    /// <summary>The same content, members reversed and compact: what another JSON tool might write.</summary>
    public static byte[] Reformat(byte[] bytes)
    {
        var document = Parse(System.Text.Encoding.UTF8.GetString(bytes));
        var reversed = new JObject(document.Properties().Reverse());
        return System.Text.Encoding.UTF8.GetBytes(reversed.ToString(Formatting.None));
    }

    private static JObject Parse(string text)
    {
        using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
        return JObject.Load(reader);
    }
}
