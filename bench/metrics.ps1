# Export-BackupMetrics cost: 100 collections x 1,000 backups (and 1,000 run records each).
# One real backup per collection (the newest, whose manifest is read); 999 older backup folders and
# 999 older run records per collection are copies of the real ones under older names: the export
# lists them (counts, stored bytes, run counters) but reads only the newest documents, as it does
# for real. The copies are made behind PsBackup's back, so each collection then gets one more real
# backup, which rebuilds the committed backups index (collections/<c>/committed.json) from the folders.
# Usage: dotnet pwsh bench/metrics.ps1 [-Collections 100] [-Backups 1000] [-Rounds 5] [-Keep <folder>]
# -Keep: build the repository in that folder once and keep it; a later run with the same folder only times the export
# (after that one backup per collection without an index, when the data came from an older version).
param([int]$Collections = 100, [int]$Backups = 1000, [int]$Rounds = 5, [string]$Keep)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/PsBackup/0.1.0/PsBackup.psd1')
$work = if ($Keep) { $Keep } else { Join-Path ([IO.Path]::GetTempPath()) "psbackup-bench-metrics-$PID" }
$repository = Join-Path $work 'repo'
$reuse = $Keep -and (Test-Path (Join-Path $work 'complete'))
$source = New-Item -ItemType Directory -Force (Join-Path $work 'src')
Set-Content (Join-Path $source 'a.txt') ('x' * 4096)
try {
    if (-not $reuse) { foreach ($i in 1..$Collections) {
        $name = 'c{0:d3}' -f $i
        New-BackupCollection -Name $name -Target (New-BackupTarget -Path $source -Name files) -Repository $repository | Out-Null
        $backup = Invoke-Backup -Name $name -Repository $repository
        $folder = Join-Path $repository "collections/$name/backups"
        $real = Join-Path $folder $backup.Id
        $files = Get-ChildItem -Recurse -File $real | ForEach-Object { [IO.Path]::GetRelativePath($real, $_.FullName) }
        $runs = Join-Path $repository "collections/$name/runs"
        $record = Get-ChildItem $runs | Select-Object -First 1
        $start = [DateTimeOffset]::UtcNow.AddDays(-30)
        foreach ($n in 1..($Backups - 2)) {
            $time = $start.AddMinutes($n)
            $id = '{0}_incremental_{1:x8}' -f $time.UtcDateTime.ToString('yyyyMMddTHHmmssZ'), $n
            foreach ($file in $files) {
                $to = Join-Path $folder $id $file
                $null = [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($to))
                [IO.File]::Copy((Join-Path $real $file), $to)
            }
            $runName = '{0}_backup_succeeded_{1:x8}.json' -f $time.UtcDateTime.ToString('yyyyMMddTHHmmss.fffZ'), $n
            [IO.File]::Copy($record.FullName, (Join-Path $runs $runName))
        }
        # The copies were made behind PsBackup's back, so the committed backups index (written by the first
        # backup) does not name them; the next real backup rebuilds it from the folders, as after an upgrade.
        Invoke-Backup -Name $name -Repository $repository | Out-Null
    }
    if ($Keep) { Set-Content (Join-Path $work 'complete') 'generated' } }
    foreach ($collection in Get-ChildItem (Join-Path $repository 'collections') -Directory) {
        if (-not (Test-Path (Join-Path $collection.FullName 'committed.json'))) {
            Invoke-Backup -Name $collection.Name -Repository $repository | Out-Null
        }
    }
    $objects = (Get-ChildItem -Recurse -File $repository).Count
    # Elapsed time and the CPU time (all threads of this process) each export used: on a shared, loaded machine the second says what it costs.
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $cpu = [Collections.Generic.List[double]]::new()
    $times = foreach ($round in 1..$Rounds) {
        $self.Refresh(); $before = $self.TotalProcessorTime
        (Measure-Command { $script:text = Export-BackupMetrics -Repository $repository -ErrorAction Stop }).TotalSeconds
        $self.Refresh(); $cpu.Add(($self.TotalProcessorTime - $before).TotalSeconds)
    }
    $samples = ($text -split "`n" | Where-Object { $_ -and -not $_.StartsWith('#') }).Count
    $backupsSeen = ($text -split "`n" | Where-Object { $_ -like 'psbackup_backups{*' } | ForEach-Object { [double]($_ -split ' ')[-1] } | Measure-Object -Sum).Sum
    "collections=$Collections backups/collection=$Backups objects=$objects samples=$samples backups_in_metrics=$backupsSeen"
    "export seconds per round: $(($times | ForEach-Object { $_.ToString('0.000') }) -join ' ')"
    "median: $((($times | Sort-Object)[[int][math]::Floor($Rounds / 2)]).ToString('0.000')) s"
    "CPU seconds per round: $(($cpu | ForEach-Object { $_.ToString('0.000') }) -join ' ')"
}
finally {
    if (-not $Keep) { Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue }
}
