using System.Threading.Channels;
using MongoDB.Bson;
using MongoDB.Driver;

namespace PsBackup.Engine.Providers.MongoDb;

/// <summary>
/// Reads a cursor's batches on a task of its own, one batch ahead of their consumer: the server
/// already answers the next getMore while the previous batch is hashed, compressed and stored,
/// instead of waiting for it. Memory: at most <see cref="Depth"/> + 2 batches per cursor (one
/// queued, one arriving, one being written); a batch is at most 1,000 documents or 16 MB.
/// </summary>
internal static class CursorReadAhead
{
    /// <summary>Batches read but not yet taken by the consumer.</summary>
    public const int Depth = 1;

    /// <summary>
    /// Opens the cursor and hands every batch to <paramref name="consume"/> in order, which owns
    /// (and disposes) its documents. The reader's failure is rethrown here; when the consumer
    /// fails or the token is cancelled, the reader stops and undelivered documents are disposed.
    /// </summary>
    public static async Task ForEachBatchAsync(
        Func<CancellationToken, Task<IAsyncCursor<RawBsonDocument>>> open,
        Action<List<RawBsonDocument>> consume,
        CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var batches = Channel.CreateBounded<List<RawBsonDocument>>(
            new BoundedChannelOptions(Depth) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(() => ReadAsync(open, batches.Writer, stop.Token), CancellationToken.None);
        try
        {
            // Completed with the reader's exception when it fails: that exception surfaces here.
            while (await batches.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
                while (batches.Reader.TryRead(out var batch))
                {
                    try
                    {
                        consume(batch);
                    }
                    catch
                    {
                        Dispose(batch); // what the consumer did not get to (disposing twice is harmless)
                        throw;
                    }
                }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false); // never faults: its failure went into the channel
            while (batches.Reader.TryRead(out var left)) Dispose(left);
        }
    }

    private static async Task ReadAsync(
        Func<CancellationToken, Task<IAsyncCursor<RawBsonDocument>>> open,
        ChannelWriter<List<RawBsonDocument>> batches,
        CancellationToken ct)
    {
        try
        {
            using var cursor = await open(ct).ConfigureAwait(false);
            while (await cursor.MoveNextAsync(ct).ConfigureAwait(false))
            {
                var batch = cursor.Current.ToList();
                try
                {
                    await batches.WriteAsync(batch, ct).ConfigureAwait(false);
                }
                catch
                {
                    Dispose(batch);
                    throw;
                }
            }
            batches.TryComplete();
        }
        catch (Exception e)
        {
            batches.TryComplete(e);
        }
    }

    private static void Dispose(List<RawBsonDocument> batch)
    {
        foreach (var document in batch) document.Dispose();
    }
}
