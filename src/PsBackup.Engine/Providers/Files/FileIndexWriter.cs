using System.Text;
using Newtonsoft.Json;
using PsBackup.Engine.Repository;

namespace PsBackup.Engine.Providers.Files;

/// <summary>Writes an index one entry at a time: the header first, then each entry as it comes (nothing is held).</summary>
internal sealed class FileIndexWriter : IDisposable
{
    private readonly StreamWriter _text;
    private readonly JsonTextWriter _json;

    public FileIndexWriter(Stream stream, FileIndexHeader header)
    {
        _text = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        _text.WriteLine(JsonConvert.SerializeObject(header, new JsonSerializerSettings(Json.Settings) { Formatting = Formatting.None }));
        _json = new JsonTextWriter(_text) { Formatting = Formatting.None, CloseOutput = false };
    }

    public void Add(FileEntry entry) => FileIndex.WriteEntry(_json, entry);

    public void Dispose()
    {
        ((IDisposable)_json).Dispose();
        _text.Dispose();
    }
}
