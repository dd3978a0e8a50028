// mongoraw: the raw reference of bench/mongo.sh, with the official driver as PsBackup uses it.
//
//   mongoraw read   URI [--parallel N] [--out DIR]   every collection of the URI's database (but system.*):
//                                                     find, batches of 1,000, each document's raw bytes to
//                                                     /dev/null (or DIR/<collection>.bson); N collections at once
//   mongoraw insert URI DIR [--parallel N]           each DIR/<collection>.bson into the URI's database:
//                                                     ordered insertMany of 1,000 raw documents, N collections at once
//
// The batch sizes are PsBackup's (MongoDbDump.BatchSize, MongoDbRestorer.BatchDocuments). Prints one
// line: documents, bytes, seconds (from the client's creation).
using System.Buffers.Binary;
using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

const int BatchSize = 1000;
if (args.Length < 2 || args[0] is not ("read" or "insert"))
{
    Console.Error.WriteLine("usage: mongoraw read URI [--parallel N] [--out DIR] | mongoraw insert URI DIR [--parallel N]");
    return 2;
}
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var parallel = int.Parse(Option("--parallel") ?? "2");
var clock = Stopwatch.StartNew(); // from the client's creation, as PsBackup's own duration
var url = new MongoUrl(args[1]);
using var client = new MongoClient(url);
var database = client.GetDatabase(url.DatabaseName);
long documents = 0, bytes = 0;

if (args[0] == "read")
{
    var output = Option("--out");
    var names = (await (await database.ListCollectionNamesAsync()).ToListAsync()).Where(n => !n.StartsWith("system.", StringComparison.Ordinal)).ToList();
    await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (name, ct) =>
    {
        await using var sink = output == null
            ? new FileStream("/dev/null", FileMode.Open, FileAccess.Write, FileShare.ReadWrite)
            : File.Create(Path.Combine(output, name + ".bson"));
        using var cursor = await database.GetCollection<RawBsonDocument>(name).FindAsync(FilterDefinition<RawBsonDocument>.Empty, new FindOptions<RawBsonDocument> { BatchSize = BatchSize }, ct);
        while (await cursor.MoveNextAsync(ct))
            foreach (var document in cursor.Current)
                using (document)
                {
                    var slice = document.Slice;
                    for (var position = 0; position < slice.Length;)
                    {
                        var segment = slice.AccessBackingBytes(position);
                        var count = Math.Min(segment.Count, slice.Length - position);
                        sink.Write(segment.Array!, segment.Offset, count);
                        position += count;
                    }
                    Interlocked.Increment(ref documents);
                    Interlocked.Add(ref bytes, slice.Length);
                }
    });
}
else
{
    var files = Directory.GetFiles(args[2], "*.bson");
    await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (file, ct) =>
    {
        var collection = database.GetCollection<RawBsonDocument>(Path.GetFileNameWithoutExtension(file));
        await using var input = new BufferedStream(File.OpenRead(file), 1 << 16);
        var length = new byte[4];
        var batch = new List<RawBsonDocument>(BatchSize);
        while (await input.ReadAtLeastAsync(length, 4, throwOnEndOfStream: false, ct) == 4)
        {
            var document = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
            length.CopyTo(document, 0);
            await input.ReadExactlyAsync(document.AsMemory(4), ct);
            batch.Add(new RawBsonDocument(document));
            Interlocked.Increment(ref documents);
            Interlocked.Add(ref bytes, document.Length);
            if (batch.Count < BatchSize) continue;
            await collection.InsertManyAsync(batch, new InsertManyOptions { IsOrdered = true }, ct);
            batch = new List<RawBsonDocument>(BatchSize);
        }
        if (batch.Count > 0) await collection.InsertManyAsync(batch, new InsertManyOptions { IsOrdered = true }, ct);
    });
}
Console.WriteLine($"{documents}\t{bytes}\t{clock.Elapsed.TotalSeconds:F2}");
return 0;
