#Requires -Version 7.4
# Pester 5: every script of docs/recipes run as a scheduler runs it (a child pwsh, -File), against
# a repository in $TestDrive: its exit code, what it did to the repository, its report and metrics.

Describe 'docs/recipes' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        $module = Get-PsBackupModuleManifest
        Import-Module $module -Force -ErrorAction Stop
        $recipes = Join-Path (Get-PsBackupRepoRoot) 'docs' 'recipes'
        $pwsh = Join-Path $PSHOME 'pwsh'
        $repository = Join-Path $TestDrive 'repository'
        foreach ($name in 'db', 'files') {
            $source = Join-Path $TestDrive "src-$name"
            New-TestTree -Path $source -File @{ 'data.txt' = "data of $name"; 'big.bin' = "$name " * 5000 }
            $null = New-BackupTarget -Path $source -Name files | New-BackupCollection -Name $name -Repository $repository -IncrementalBackupEnabled -ErrorAction Stop
        }
        $servers = [System.Collections.Generic.List[object]]::new()
        # A real redis-server on a free port of 127.0.0.1 (as PsBackup.Dr.Tests.ps1): the DR workflow fails one over.
        function Start-TestRedis([string[]] $Arguments = @()) { Start-TestRedisServer -Servers $servers -Folder $TestDrive -Arguments $Arguments }
        function Get-Role([int] $Port) { (redis-cli -p $Port role)[0] }
        function Invoke-Recipe([string] $Script, [string[]] $Arguments) {
            $output = & $pwsh -NoProfile -File (Join-Path $recipes $Script) @Arguments -ModulePath $module 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
    }

    AfterAll {
        foreach ($server in $servers) { Stop-Process -Id $server.Process.Id -ErrorAction SilentlyContinue }
    }

    It 'Invoke-NightlyBackup: a full first, then an incremental; exit 0; metrics written' {
        $prom = Join-Path $TestDrive 'nightly.prom'
        $day = ([DateTime]::Now.DayOfWeek + 1) % 7   # not today: the second run is an incremental
        $first = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-FullBackupDay', $day, '-MetricsPath', $prom)
        $first.ExitCode | Should -Be 0 -Because $first.Output
        $second = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'db', '-Repository', $repository, '-FullBackupDay', $day)
        $second.ExitCode | Should -Be 0 -Because $second.Output
        (@(Get-Backup -Collection db -Repository $repository -ErrorAction Stop).Type -join ',') | Should -Be 'Full,Incremental'
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 1
        Get-Content -LiteralPath $prom | Should -Contain "psbackup_backups{collection=`"files`",repository=`"$repository`"} 1"
    }

    It 'Invoke-NightlyBackup: a failing collection exits 1, the other is still backed up; exit 2 without the module' {
        $gone = Join-Path $TestDrive 'src-gone'
        New-TestTree -Path $gone -File @{ 'x.txt' = 'x' }
        $null = New-BackupTarget -Path $gone -Name files | New-BackupCollection -Name broken -Repository $repository -ErrorAction Stop
        Remove-Item -LiteralPath $gone -Recurse
        $run = Invoke-Recipe Invoke-NightlyBackup.ps1 @('-Collection', 'broken,files', '-Repository', $repository)
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $run.Output | Should -Match 'src-gone'
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 2
        (Get-BackupRun -Collection broken -Repository $repository -Last 1 -ErrorAction Stop).Outcome | Should -Be 'Failed'
        $output = & $pwsh -NoProfile -File (Join-Path $recipes 'Invoke-NightlyBackup.ps1') -Collection files -Repository $repository -ModulePath (Join-Path $TestDrive 'nothing.psd1') 2>&1
        $LASTEXITCODE | Should -Be 2 -Because ($output | Out-String)
    }

    It 'Invoke-GfsRetention: applies the policy, writes the report; exit 0' {
        $report = Join-Path $TestDrive 'retention.csv'
        $null = Invoke-Backup -Name files -Repository $repository -ErrorAction Stop   # files: full, incremental, full
        $run = Invoke-Recipe Invoke-GfsRetention.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-ReportPath', $report, '-KeepDaily', '1', '-KeepWeekly', '0', '-KeepMonthly', '0')
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $rows = @(Import-Csv -LiteralPath $report)
        $rows.Count | Should -Be 5   # db: full + incremental; files: full, incremental, full
        @($rows | Where-Object Deleted -eq 'True').Count | Should -Be 2   # files' older full and its incremental; db's chain is its newest day
        @(Get-Backup -Collection files -Repository $repository -ErrorAction Stop).Count | Should -Be 1
        (Get-BackupRun -Collection files -Operation Retention -Repository $repository -ErrorAction Stop).Outcome | Should -Be 'Succeeded'
    }

    It 'Export-BackupReport: one row per collection; exit 1 because broken''s last backup failed; metrics written' {
        $report = Join-Path $TestDrive 'dr-status.csv'
        $prom = Join-Path $TestDrive 'report.prom'
        $run = Invoke-Recipe Export-BackupReport.ps1 @('-Repository', $repository, '-ReportPath', $report, '-MetricsPath', $prom)
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $rows = @(Import-Csv -LiteralPath $report)
        ($rows.Collection | Sort-Object) -join ',' | Should -Be 'broken,db,files'
        ($rows | Where-Object Collection -eq broken).LastBackupOutcome | Should -Be 'Failed'
        ($rows | Where-Object Collection -eq broken).LastBackupErrorId | Should -Be 'TargetUnavailable'
        ($rows | Where-Object Collection -eq db).LastBackupOutcome | Should -Be 'Succeeded'
        Get-Content -LiteralPath $prom | Should -Contain "psbackup_last_run_success{collection=`"broken`",repository=`"$repository`",operation=`"backup`"} 0"
        Remove-BackupCollection -Name broken -Repository $repository -Confirm:$false -ErrorAction Stop
        $again = Invoke-Recipe Export-BackupReport.ps1 @('-Repository', $repository, '-ReportPath', $report)
        $again.ExitCode | Should -Be 0 -Because $again.Output
    }

    It 'Invoke-RegionalCopy: copies to the second repository and validates the copy there; exit 0; a corrupt copy exits 1' {
        $region2 = Join-Path $TestDrive 'region2'
        $null = Invoke-Backup -Name db, files -Repository $repository -ErrorAction Stop   # run alone too, each has a backup to copy
        $run = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-DestinationRepository', $region2)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'db: copy \S+ verified'
        foreach ($name in 'db', 'files') {
            $primaryIds = @(Get-Backup -Collection $name -Repository $repository -ErrorAction Stop).Id
            $primaryIds | Should -Not -BeNullOrEmpty
            (@(Get-Backup -Collection $name -Repository $region2 -ErrorAction Stop).Id -join ',') | Should -Be ($primaryIds -join ',')
            (Get-BackupRun -Collection $name -Operation Copy -Last 1 -Repository $repository -ErrorAction Stop).Outcome | Should -Be 'Succeeded'
        }
        $again = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'db', '-Repository', $repository, '-DestinationRepository', $region2)
        $again.ExitCode | Should -Be 0 -Because $again.Output
        $again.Output | Should -Match 'db: 0 backup\(s\) copied'
        # One artifact of the copy's newest backup damaged at rest (backups/<id>/<target>/<artifact>): the regional validation reads it.
        $copyLatest = Get-Backup -Collection db -Latest -Repository $region2 -ErrorAction Stop
        $artifact = Get-ChildItem -LiteralPath (Join-Path $region2 'collections' 'db' 'backups' $copyLatest.Id) -Recurse -File |
            Where-Object { $_.Directory.Parent.Name -eq $copyLatest.Id -and $_.Length -gt 16 } | Select-Object -First 1
        $artifact | Should -Not -BeNullOrEmpty
        $bytes = [System.IO.File]::ReadAllBytes($artifact.FullName)
        $bytes[8] = $bytes[8] -bxor 0xFF
        [System.IO.File]::WriteAllBytes($artifact.FullName, $bytes)
        $bad = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'db,files', '-Repository', $repository, '-DestinationRepository', $region2, '-ValidateOnly')
        $bad.ExitCode | Should -Be 1 -Because $bad.Output
        $bad.Output | Should -Match 'db: copy \S+ \S+ Corrupt'
        $bad.Output | Should -Match 'files: copy \S+ verified'
    }

    It 'Invoke-RegionalCopy -ValidateOnly: a copy behind the primary by more than -MaxLag exits 1, within -MaxLag it warns' {
        $region2 = Join-Path $TestDrive 'region2-lag'
        $null = Invoke-Backup -Name files -Repository $repository -ErrorAction Stop
        $run = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'files', '-Repository', $repository, '-DestinationRepository', $region2)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $null = Invoke-Backup -Name files -Repository $repository -ErrorAction Stop
        $lagging = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'files', '-Repository', $repository, '-DestinationRepository', $region2, '-ValidateOnly', '-MaxLag', '00:00:00')
        $lagging.ExitCode | Should -Be 1 -Because $lagging.Output
        $lagging.Output | Should -Match 'Fail DrCopyLag files: The DR copy is 1 backup\(s\) behind'
        $within = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'files', '-Repository', $repository, '-DestinationRepository', $region2, '-ValidateOnly', '-MaxLag', '1:00:00')
        $within.ExitCode | Should -Be 0 -Because $within.Output
        $within.Output | Should -Match 'Warn DrCopyLag files'
        $caughtUp = Invoke-Recipe Invoke-RegionalCopy.ps1 @('-Collection', 'files', '-Repository', $repository, '-DestinationRepository', $region2, '-MaxLag', '00:00:00')
        $caughtUp.ExitCode | Should -Be 0 -Because $caughtUp.Output
    }

    It 'Invoke-ShardedBackup: every shard in one run and consistent; exit 0; a failed shard or a skew beyond -MaxSkew exits 1' {
        $shards = Join-Path $TestDrive 'shards'
        foreach ($name in 'shard-a', 'shard-b', 'shard-c') {
            New-TestTree -Path (Join-Path $TestDrive "src-$name") -File @{ 'rows.txt' = "rows of $name" }
            $null = New-BackupTarget -Path (Join-Path $TestDrive "src-$name") -Name rows | New-BackupCollection -Name $name -Repository $shards -ErrorAction Stop
        }
        $run = Invoke-Recipe Invoke-ShardedBackup.ps1 @('-Collection', 'shard-*', '-Repository', $shards, '-CollectionThrottleLimit', '3')
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match '3 shard\(s\); newest backups started within'
        foreach ($name in 'shard-a', 'shard-b', 'shard-c') { @(Get-Backup -Collection $name -Repository $shards -ErrorAction Stop).Count | Should -Be 1 }

        Rename-Item -LiteralPath (Join-Path $TestDrive 'src-shard-c') -NewName 'src-shard-c.away'
        $failedShard = Invoke-Recipe Invoke-ShardedBackup.ps1 @('-Collection', 'shard-a,shard-b,shard-c', '-Repository', $shards, '-MaxSkew', '0:00:01')
        $failedShard.ExitCode | Should -Be 1 -Because $failedShard.Output
        $failedShard.Output | Should -Match 'src-shard-c'
        $failedShard.Output | Should -Match 'shard-c: inconsistent: its newest backup \S+ started'
        $failedShard.Output | Should -Not -Match 'shard-[ab]: inconsistent'
        foreach ($name in 'shard-a', 'shard-b') { @(Get-Backup -Collection $name -Repository $shards -ErrorAction Stop).Count | Should -Be 2 }
        (Get-BackupRun -Collection shard-c -Repository $shards -Last 1 -ErrorAction Stop).Outcome | Should -Be 'Failed'

        Rename-Item -LiteralPath (Join-Path $TestDrive 'src-shard-c.away') -NewName 'src-shard-c'
        $skewed = Invoke-Recipe Invoke-ShardedBackup.ps1 @('-Collection', 'shard-*', '-Repository', $shards, '-CollectionThrottleLimit', '1', '-MaxSkew', '00:00:00')
        $skewed.ExitCode | Should -Be 1 -Because $skewed.Output
        $skewed.Output | Should -Match 'inconsistent: its newest backup \S+ started .* before the newest shard'
        $nothing = Invoke-Recipe Invoke-ShardedBackup.ps1 @('-Collection', 'nothing-*', '-Repository', $shards)
        $nothing.ExitCode | Should -Be 2 -Because $nothing.Output
    }

    It 'Invoke-DrWorkflow: Validate fails before Setup; Backup, Setup, Validate pass; Emergency plans by default, fails over with -Execute' {
        $primary = Start-TestRedis
        $replica = Start-TestRedis -Arguments '--replicaof', '127.0.0.1', $primary.Port
        1..20 | ForEach-Object { $null = redis-cli -p $primary.Port set "k$_" "v$_" }
        $deadline = (Get-Date).AddSeconds(30)
        while ((redis-cli -p $replica.Port dbsize) -ne '20' -or ((redis-cli -p $replica.Port info replication) -join "`n") -notmatch 'master_link_status:up') {
            if ((Get-Date) -gt $deadline) { throw 'the replica did not catch up' }
            Start-Sleep -Milliseconds 50
        }
        $site = Join-Path $TestDrive 'dr-primary'
        $drSite = Join-Path $TestDrive 'dr-copy'
        $null = New-BackupTarget -RedisEndpoint $replica.Endpoint, $primary.Endpoint -Name cache | New-BackupCollection -Name cache -Repository $site -ErrorAction Stop
        $common = @('-Collection', 'cache', '-Repository', $site, '-DrRepository', $drSite)

        $early = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Validate') + $common)
        $early.ExitCode | Should -Be 1 -Because $early.Output
        $early.Output | Should -Match 'Fail RepositoryReachable +: The DR copy repository cannot be read'
        $early.Output | Should -Match 'Fail LastDrill cache'

        $backup = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Backup') + $common)
        $backup.ExitCode | Should -Be 0 -Because $backup.Output
        $backup.Output | Should -Match 'cache: 1 backup\(s\) copied'
        $setup = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Setup') + $common)
        $setup.ExitCode | Should -Be 0 -Because $setup.Output
        $setup.Output | Should -Match 'cache: drill of 1 target\(s\), 0 failed'
        (Get-BackupRun -Collection cache -Operation Drill -Last 1 -Repository $site -ErrorAction Stop).Outcome | Should -Be 'Succeeded'

        $report = Join-Path $TestDrive 'dr-checks.csv'
        $validate = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Validate', '-Rto', '0:05:00', '-ReportPath', $report) + $common)
        $validate.ExitCode | Should -Be 0 -Because $validate.Output
        $rows = @(Import-Csv -LiteralPath $report)
        @($rows | Where-Object Status -eq 'Fail') | Should -BeNullOrEmpty
        $rows.Check | Should -Contain 'DrCopyLag'
        $rows.Check | Should -Contain 'Replica'
        ($rows | Where-Object Check -eq 'LastDrill').Status | Should -Be 'Pass'

        $plan = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Emergency') + $common)
        $plan.ExitCode | Should -Be 0 -Because $plan.Output
        $plan.Output | Should -Match "promote $([regex]::Escape($replica.Endpoint)) of target 'cache'"
        Get-Role $primary.Port | Should -Be 'master'
        Get-Role $replica.Port | Should -Be 'slave'

        $failover = Invoke-Recipe Invoke-DrWorkflow.ps1 (@('-Phase', 'Emergency', '-Execute') + $common)
        $failover.ExitCode | Should -Be 0 -Because $failover.Output
        $failover.Output | Should -Match "Promote cache Done: promoted $([regex]::Escape($replica.Endpoint))"
        Get-Role $replica.Port | Should -Be 'master'
        @(Get-Backup -Collection cache -Repository $site -ErrorAction Stop).Count | Should -Be 2   # the new chain's full backup
        ((redis-cli -p $replica.Port get k20) -join '') | Should -Be 'v20'

        # A file tree has no replica to promote: the emergency plan fails.
        $null = New-BackupTarget -Path (Join-Path $TestDrive 'src-files') -Name files | New-BackupCollection -Name docs -Repository $site -ErrorAction Stop
        $noReplica = Invoke-Recipe Invoke-DrWorkflow.ps1 @('-Phase', 'Emergency', '-Collection', 'docs', '-Repository', $site, '-DrRepository', $drSite)
        $noReplica.ExitCode | Should -Be 1 -Because $noReplica.Output
        $noReplica.Output | Should -Match "Collection 'docs' has no target whose servers replicate"
    }
}
