using PsBackup.Engine.Errors;
using PsBackup.Engine.Providers.PostgreSql.Cluster;

namespace PsBackup.Engine.Tests.Units;

/// <summary>WAL file names, LSNs and timeline histories: the arithmetic recovery planning rests on.</summary>
public sealed class WalFormatTests
{
    private const long Mb16 = 16 << 20;

    [Theory]
    [InlineData("000000010000000000000003", true)]
    [InlineData("000000020000000A000000FF.partial", true)]
    [InlineData("000000010000000000000003.00000028.backup", true)]
    [InlineData("00000002.history", true)]
    [InlineData("00000001000000000000003", false)]
    [InlineData("000000010000000000000003.tmp", false)]
    [InlineData("../000000010000000000000003", false)]
    [InlineData("0000000100000000000000zz", false)]
    public void Recognises_the_names_PostgreSQL_archives(string name, bool valid) => Assert.Equal(valid, WalFileName.IsValid(name));

    [Fact]
    public void Segment_numbers_roll_over_from_seg_to_log()
    {
        Assert.Equal(0x1FFUL, WalFileName.SegmentNumber("0000000100000001000000FF", Mb16));
        Assert.Equal("000000020000000200000000", WalFileName.Segment(2, 0x200, Mb16));
        Assert.Equal(0x5UL, WalFileName.SegmentOf(Lsn.Parse("0/5000028"), Mb16));
        Assert.Equal("0/5000028", Lsn.Parse("0/5000028").ToString());
        Assert.Equal("InvalidLsn", Assert.Throws<InvalidBackupRequestException>(() => Lsn.Parse("5000028")).ErrorId);
    }

    [Fact]
    public void A_history_maps_each_segment_to_the_timeline_recovery_reads_it_from()
    {
        var history = TimelineHistory.Parse(3, "1\t0/50000A0\tno recovery target specified\n\n2\t0/7123456\tbefore 2026-11-21 22:00:00+00\n");
        Assert.Equal(3, history.Timeline);
        Assert.Equal([1, 2, 3], history.Timelines);
        Assert.Equal(1, history.TimelineOf(4, Mb16));
        Assert.Equal(2, history.TimelineOf(5, Mb16)); // the switch segment is read from the new timeline, which holds the old one's WAL up to the switch
        Assert.Equal(2, history.TimelineOf(6, Mb16));
        Assert.Equal(3, history.TimelineOf(7, Mb16));
        Assert.Equal(3, history.TimelineOf(100, Mb16));
        Assert.True(history.Contains(1));
        Assert.False(history.Contains(4));
        Assert.Equal("ArtifactCorrupt", Assert.Throws<IntegrityException>(() => TimelineHistory.Parse(2, "garbage")).ErrorId);
    }
}
