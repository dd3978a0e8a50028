using System.Buffers.Binary;

namespace PsBackup.Engine.Providers.PostgreSql.Cluster;

/// <summary>
/// Finds the earliest and latest commit/abort timestamps in a WAL segment as its bytes stream
/// past (push: <see cref="Append"/>), because recovery_target_time can only stop at such a
/// record: the last one archived is the latest moment a point-in-time restore can reach.
/// Knows just enough of the WAL format (PostgreSQL 10+): page headers are stripped, records are
/// 8-byte aligned, a record continued from the previous segment is skipped, and for transaction
/// records (rmgr 1) the main data starts with the commit time (µs since 2000-01-01 UTC).
/// Anything unexpected (a page address out of sequence, a zero length) ends the scan: what was
/// found so far stands.
/// </summary>
public sealed class WalCommitScanner
{
    private const int LongHeaderSize = 40, ShortHeaderSize = 24, RecordHeaderSize = 24, MaxCollected = 1 << 16;
    private const ushort FirstIsContRecord = 0x0001, LongHeader = 0x0002;
    private static readonly DateTimeOffset PostgresEpoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private byte[] _page = new byte[LongHeaderSize];
    private int _pageFill;
    private int _pageSize;         // XLOG_BLCKSZ, from the first page's long header
    private ulong _nextPageAddress;
    private bool _firstPage = true;
    private bool _done;

    // The record stream without page headers.
    private long _skip;             // bytes to pass over (alignment, record bodies, a continued record)
    private readonly byte[] _record = new byte[MaxCollected];
    private int _recordFill;
    private int _recordNeed = RecordHeaderSize;

    public DateTimeOffset? FirstCommit { get; private set; }
    public DateTimeOffset? LastCommit { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!_done && data.Length > 0)
        {
            var want = (_pageSize == 0 ? LongHeaderSize : _pageSize) - _pageFill;
            var n = Math.Min(want, data.Length);
            data[..n].CopyTo(_page.AsSpan(_pageFill));
            _pageFill += n;
            data = data[n..];
            if (_pageSize == 0 && _pageFill == LongHeaderSize) StartFirstPage();
            else if (_pageSize != 0 && _pageFill == _pageSize) { ProcessPage(); _pageFill = 0; }
        }
    }

    private void StartFirstPage()
    {
        var info = BinaryPrimitives.ReadUInt16LittleEndian(_page.AsSpan(2));
        var blockSize = BinaryPrimitives.ReadInt32LittleEndian(_page.AsSpan(36));
        if ((info & LongHeader) == 0 || blockSize < 1024 || blockSize > 65536 || (blockSize & (blockSize - 1)) != 0)
        {
            _done = true; // not a WAL segment
            return;
        }
        _pageSize = blockSize;
        var header = _page;
        _page = new byte[blockSize];
        header.CopyTo(_page, 0);
        _nextPageAddress = BinaryPrimitives.ReadUInt64LittleEndian(_page.AsSpan(8));
    }

    private void ProcessPage()
    {
        var page = _page.AsSpan(0, _pageSize);
        var info = BinaryPrimitives.ReadUInt16LittleEndian(page[2..]);
        var address = BinaryPrimitives.ReadUInt64LittleEndian(page[8..]);
        if (address != _nextPageAddress) { _done = true; return; }
        _nextPageAddress += (ulong)_pageSize;
        var headerSize = (info & LongHeader) != 0 ? LongHeaderSize : ShortHeaderSize;
        if (_firstPage)
        {
            _firstPage = false;
            if ((info & FirstIsContRecord) != 0)
            {
                var remaining = BinaryPrimitives.ReadUInt32LittleEndian(page[16..]);
                _skip = Align(remaining);
            }
        }
        Records(page[headerSize..]);
    }

    /// <summary>Consumes header-free record bytes.</summary>
    private void Records(ReadOnlySpan<byte> data)
    {
        while (!_done && data.Length > 0)
        {
            if (_skip > 0)
            {
                var n = (int)Math.Min(_skip, data.Length);
                _skip -= n;
                data = data[n..];
                continue;
            }
            var take = Math.Min(_recordNeed - _recordFill, data.Length);
            data[..take].CopyTo(_record.AsSpan(_recordFill));
            _recordFill += take;
            data = data[take..];
            if (_recordFill == _recordNeed) Collected();
        }
    }

    private void Collected()
    {
        var totalLength = BinaryPrimitives.ReadUInt32LittleEndian(_record);
        if (totalLength < RecordHeaderSize) { _done = true; return; } // zeros: end of WAL (after a switch, or unused)
        var info = _record[16];
        var rmgr = _record[17];
        var isTransactionEnd = rmgr == 1 && (info & 0x70) is 0x00 or 0x20 or 0x30 or 0x40; // commit, abort, commit/abort prepared
        if (_recordNeed == RecordHeaderSize && isTransactionEnd && totalLength <= MaxCollected)
        {
            _recordNeed = (int)totalLength; // collect the whole (small) record
            return;
        }
        if (_recordNeed > RecordHeaderSize) Timestamp(_record.AsSpan(0, _recordNeed));
        _skip = Align(totalLength) - _recordNeed;
        _recordFill = 0;
        _recordNeed = RecordHeaderSize;
    }

    /// <summary>The main data follows the record's header fragments: origin (253), top-level xid (252), then the data length (255 short, 254 long).</summary>
    private void Timestamp(ReadOnlySpan<byte> record)
    {
        var pos = RecordHeaderSize;
        while (pos < record.Length)
        {
            switch (record[pos])
            {
                case 253: pos += 3; continue;
                case 252: pos += 5; continue;
                case 255: pos += 2; break;
                case 254: pos += 5; break;
                default: return; // a block reference: not a plain transaction record
            }
            break;
        }
        if (pos + 8 > record.Length) return;
        var micros = BinaryPrimitives.ReadInt64LittleEndian(record[pos..]);
        var time = PostgresEpoch.AddTicks(micros * 10);
        if (FirstCommit == null || time < FirstCommit) FirstCommit = time;
        if (LastCommit == null || time > LastCommit) LastCommit = time;
    }

    private static long Align(long n) => (n + 7) & ~7L;
}
