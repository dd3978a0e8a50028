using System.Globalization;
using PsBackup.Engine.Repository;
using Xunit;

namespace PsBackup.Engine.Tests.Units;

/// <summary>The hand-written stamp parser gives what DateTimeOffset.TryParseExact gave, refusals included.</summary>
public class UtcStampTests
{
    [Theory]
    [InlineData("20261207T203219")]
    [InlineData("20240229T235959")]      // leap day
    [InlineData("20230229T000000")]      // no such day
    [InlineData("20261301T000000")]      // month 13
    [InlineData("20261200T000000")]      // day 0
    [InlineData("20261131T000000")]      // November 31st
    [InlineData("20261207T240000")]      // hour 24
    [InlineData("20261207T236000")]      // minute 60
    [InlineData("20261207T235960")]      // second 60
    [InlineData("00001207T000000")]      // year 0
    [InlineData("99991231T235959")]
    [InlineData("00010101T000000")]
    [InlineData("2026120TT000000")]
    [InlineData("20261207X000000")]
    [InlineData("20261207T203219.123")]
    [InlineData("20261207T203219.999")]
    [InlineData("20261207T203219,123")]
    [InlineData("20261207T203219.12x")]
    [InlineData("20261207T20321")]
    [InlineData("")]
    [InlineData("２０２６1207T203219")]   // non-ASCII digits
    public void Parses_as_the_exact_format_does(string text)
    {
        var format = text.Length > 15 ? "yyyyMMdd'T'HHmmss'.'fff" : "yyyyMMdd'T'HHmmss";
        var expectedOk = DateTimeOffset.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expected)
                         && !text.Any(c => c > 127);
        var ok = UtcStamp.TryParse(text, out var actual);
        Assert.Equal(expectedOk, ok);
        if (ok)
        {
            Assert.Equal(expected, actual);
            Assert.Equal(TimeSpan.Zero, actual.Offset);
        }
    }

    [Fact]
    public void Backup_ids_and_run_record_names_keep_their_times()
    {
        var time = new DateTimeOffset(2026, 2, 28, 23, 59, 58, 765, TimeSpan.Zero);
        var id = BackupId.New(time, BackupType.Incremental);
        Assert.True(BackupId.IsValid(id));
        Assert.Equal(time.AddMilliseconds(-765), BackupId.TimeOf(id));
        Assert.False(BackupId.IsValid("20260230T000000Z_full_0123abcd"));

        var name = RunRecordName.New(time, RunOperation.Backup, RunOutcome.Partial);
        var parsed = RunRecordName.Parse(name.Name);
        Assert.NotNull(parsed);
        Assert.Equal((time, RunOperation.Backup, RunOutcome.Partial), (parsed!.Ended, parsed.Operation, parsed.Outcome));
        Assert.Null(RunRecordName.Parse("20260230T000000.000Z_backup_failed_0123abcd"));
        Assert.Null(RunRecordName.Parse("20260228T000000.000Z_backup_exploded_0123abcd"));
        Assert.Null(RunRecordName.Parse("20260228T000000.000Z_backup_failed_0123abc"));
    }
}
