#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
<#
.SYNOPSIS
    The weekly restore test and the monthly DR exercise as Pester tests, with the objectives
    (RTO < 4 hours, RPO < 15 minutes, data integrity 100 %) as assertions.

.DESCRIPTION
    Schedule it (cron, a systemd timer, Task Scheduler) and let the test result be the report:

        # weekly: every production collection, from the primary repository
        Invoke-Pester -Path ./restore-drills.Tests.ps1 -Output Detailed -CI -TagFilter Weekly
        # monthly: the same from the DR copy (Copy-Backup's destination), as a real disaster would
        Invoke-Pester -Path ./restore-drills.Tests.ps1 -Output Detailed -CI -TagFilter Monthly

    -CI writes testResults.xml (NUnit) and makes the exit code the number of failed tests, which a
    scheduler or monitoring picks up. Every drill is also recorded in the repository it restored
    from: Get-RestoreDrill lists the history, Get-Backup shows when each backup was last proven.

    Settings come from the environment, so the file itself stays unchanged:
      PSBACKUP_REPOSITORY          the primary repository (Invoke-RestoreDrill's default too)
      PSBACKUP_DR_REPOSITORY       the DR copy (for -TagFilter Monthly); s3:// URIs work
      PSBACKUP_DRILL_COLLECTIONS   collection names or wildcards, comma-separated (default: *)
      PSBACKUP_DRILL_MAX_RTO       default 04:00:00
      PSBACKUP_DRILL_MAX_RPO       default 00:15:00 (the weekly test; the DR copy is judged by
                                   PSBACKUP_DR_MAX_RPO, default 01:00:00: it lags by its copy interval)
      PSBACKUP_PASSPHRASE          for encrypted collections
    Database logins come from the engines' own defaults (PGPASSWORD or ~/.pgpass,
    REDISCLI_AUTH) of the account the schedule runs as; nothing secret is in this file.
#>

BeforeDiscovery {
    $collections = @(($env:PSBACKUP_DRILL_COLLECTIONS ?? '*') -split ',' | ForEach-Object Trim | Where-Object { $_ })
}

BeforeAll {
    if (-not (Get-Module PsBackup)) { Import-Module PsBackup -ErrorAction Stop } # a scheduler's profile (or a test) may have imported it already
    $maxRto = [TimeSpan]::Parse($env:PSBACKUP_DRILL_MAX_RTO ?? '04:00:00')
    $maxRpo = [TimeSpan]::Parse($env:PSBACKUP_DRILL_MAX_RPO ?? '00:15:00')
    $drMaxRpo = [TimeSpan]::Parse($env:PSBACKUP_DR_MAX_RPO ?? '01:00:00')
}

Describe 'Weekly restore test: <_>' -Tag Weekly -ForEach $collections {
    BeforeAll {
        # One drill per collection; each It below asserts one objective on its results.
        $drills = @(Invoke-RestoreDrill -Collection $_ -MaxRto $maxRto -MaxRpo $maxRpo -ErrorVariable drillErrors -ErrorAction SilentlyContinue)
    }

    It 'drills every target' {
        $drills.Count | Should -BeGreaterThan 0 -Because 'a collection without a drillable backup is not protected'
        @($drills | Where-Object { -not $_.BackupId }).Target | Should -BeNullOrEmpty -Because 'every target needs a complete backup'
    }

    It 'restores data identical to the backup (integrity 100 %)' {
        foreach ($d in $drills) {
            $d.ChecksFailed | Should -Be 0 -Because "$($d.Target): $($d.Reason)"
            $d.ChecksPassed | Should -BeGreaterThan 0 -Because "$($d.Target) must have been compared"
        }
    }

    It 'recovers within the RTO' {
        foreach ($d in $drills) { $d.RestoreDuration | Should -BeLessOrEqual $maxRto -Because "$($d.Target) took $($d.RestoreDuration)" }
    }

    It 'loses no more than the RPO' {
        foreach ($d in $drills) {
            $d.DataLoss | Should -Not -BeNullOrEmpty -Because "$($d.Target) recovered nothing: $($d.Reason)"
            $d.DataLoss | Should -BeLessOrEqual $maxRpo -Because "$($d.Target)'s newest data is $($d.DataLoss) old"
        }
    }

    It 'passes, with no error' {
        $drills.Status | Should -Not -Contain 'Failed'
        $drillErrors | Should -BeNullOrEmpty
    }
}

Describe 'Monthly DR exercise: <_>' -Tag Monthly -ForEach $collections {
    BeforeAll {
        if (-not $env:PSBACKUP_DR_REPOSITORY) { throw 'Set PSBACKUP_DR_REPOSITORY to the DR copy (Copy-Backup''s destination).' }
        $started = [DateTimeOffset]::UtcNow
        # From the DR copy, as after losing the primary site: nothing read from the primary repository.
        $drills = @(Invoke-RestoreDrill -Collection $_ -Repository $env:PSBACKUP_DR_REPOSITORY -MaxRto $maxRto -MaxRpo $drMaxRpo `
                -ErrorVariable drillErrors -ErrorAction SilentlyContinue)
    }

    It 'the DR copy restores every target, identical to its backup' {
        $drills.Count | Should -BeGreaterThan 0
        foreach ($d in $drills) {
            $d.Status | Should -Be 'Passed' -Because "$($d.Target): $($d.Reason)"
            $d.ChecksFailed | Should -Be 0
        }
        $drillErrors | Should -BeNullOrEmpty
    }

    It 'the whole exercise fits the RTO (targets restored one after another)' {
        ([DateTimeOffset]::UtcNow - $started) | Should -BeLessOrEqual $maxRto
    }

    It 'the evidence is in the DR repository' {
        $recorded = @(Get-RestoreDrill -Collection $_ -Repository $env:PSBACKUP_DR_REPOSITORY -Latest)
        $recorded.DrillId | Select-Object -Unique | Should -Be ($drills.DrillId | Select-Object -Unique)
    }

    It 'the primary was proven within the last 8 days (the weekly test ran)' {
        $recent = @(Get-RestoreDrill -Collection $_ -Since ([DateTimeOffset]::UtcNow.AddDays(-8)) | Where-Object Status -eq Passed)
        $recent.Count | Should -BeGreaterThan 0
    }
}
