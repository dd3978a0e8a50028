#Requires -Version 7.4
<#
.SYNOPSIS
    Restore drills against plain restores: per kind, the drill's measured RTO (RestoreDuration) and
    its whole run (Duration: scratch place, restore, start, checks, clean-up) next to Restore-Backup
    of the same backup into the same kind of place, N rounds, order alternated. The drill's own
    overhead is Duration / plain restore - 1 (issue 15: under 25 %).

.DESCRIPTION
    Needs the built module (dotnet build -c Release), the test peers (tests/peers/start.sh:
    PSBACKUP_TEST_PG_PORT, PostgreSQL binaries) and redis-server. Data, generated here, seeded:
      files  bench/gen-tree.py <SizeGB>
      pg     one table of SizeGB of rows (id bigint, a md5 text, a random 900-byte text)
      redis  bench/gen-redis.py (1,000,000 keys per ~1.1 GB)
      cluster  a throwaway PostgreSQL cluster (initdb, as the postgres user) archiving its WAL through
             psbackup-cli (tools/PsBackup.Cli, Release), one table of SizeGB of rows in the base
             backup and a little WAL after it; the plain counterpart is Restore-Backup -EndOfArchive
             plus pg_ctl start, until the server has promoted (pg_is_in_recovery() false)
    A plain restore is checked by nothing but its own checksums; the drill additionally reads the
    restored data back and compares it with the backup's record. Writes each round's times (host)
    and a markdown table of medians: wall times, the CPU time (user + sys) of this process — where
    the engine runs; servers' CPU is not in it — and the load average before and after each kind.

.EXAMPLE
    pwsh bench/drill.ps1 -SizeGB 1 -Rounds 3
#>
[CmdletBinding()]
param(
    [double] $SizeGB = 1,
    [int] $Rounds = 3,
    [ValidateSet('files', 'pg', 'redis', 'cluster')]
    [string[]] $Kind = @('files', 'pg', 'redis', 'cluster'),
    [string] $Work = (Join-Path ([System.IO.Path]::GetTempPath()) 'psbackup-bench-drill'),
    # Another build's PsBackup.psd1, to compare two builds on the same data and machine.
    [string] $Module = (Get-ChildItem (Join-Path (Split-Path $PSScriptRoot) 'out' 'PsBackup' '*' 'PsBackup.psd1')).FullName
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module $Module -Force
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory $Work
& chmod 755 $Work # the cluster's postgres user passes through
$repository = Join-Path $Work 'repository'
$pgPort = [int]($env:PSBACKUP_TEST_PG_PORT ?? '15432')
$psql = '/usr/lib/postgresql/15/bin/psql'
$rows = @()

function Get-FreePort {
    # A port of 127.0.0.1 free now, below the ephemeral range (as tests/pester's Get-FreeTestPort).
    for ($port = 30000 + (Get-Random -Maximum 2000); $port -lt 32768; $port++) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        try { $listener.Start(); return $port } catch [System.Net.Sockets.SocketException] { } finally { $listener.Stop() }
    }
    throw 'No free port.'
}

# CPU time (user + sys) of this process: the engine runs in it. Servers (PostgreSQL, redis-server) are not counted.
function Get-Cpu { $me = [Diagnostics.Process]::GetCurrentProcess(); $me.Refresh(); $me.TotalProcessorTime.TotalSeconds }
function Get-Load { ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ' }

function Invoke-Rounds([string] $Name, [scriptblock] $Plain, [scriptblock] $Cleanup) {
    $loadBefore = Get-Load
    $plainTimes = @(); $plainCpu = @(); $rto = @(); $whole = @(); $drillCpu = @() # not $plain: PowerShell names ignore case, and $Plain is the script block
    for ($i = 0; $i -lt $Rounds; $i++) {
        $drillFirst = $i % 2 -eq 1
        foreach ($step in @('plain', 'drill') | Sort-Object -Descending:$drillFirst) {
            $cpu = Get-Cpu
            if ($step -eq 'plain') {
                $clock = [Diagnostics.Stopwatch]::StartNew(); & $Plain | Out-Null
                $plainTimes += $clock.Elapsed.TotalSeconds; $plainCpu += (Get-Cpu) - $cpu
                & $Cleanup
            }
            else {
                # -Verbose: the drill's stages (where its time went) on the host beside the round's times.
                $out = Invoke-RestoreDrill -Collection "bench-$Name" -Repository $repository -Verbose 4>&1
                $d = $out | Where-Object { $_ -is [PsBackup.RestoreDrillResult] }
                $out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Restore drill of target*' } | ForEach-Object { Write-Host "  $($_.Message)" }
                $drillCpu += (Get-Cpu) - $cpu
                if ($d.Status -ne 'Passed') { throw "$Name drill failed: $($d.Reason)" }
                $rto += $d.RestoreDuration.TotalSeconds; $whole += $d.Duration.TotalSeconds
            }
        }
    }
    $median = { param($v) ($v | Sort-Object)[[int][math]::Floor($v.Count / 2)] }
    $p = & $median $plainTimes; $w = & $median $whole; $pc = & $median $plainCpu; $dc = & $median $drillCpu
    $each = { param($v) ($v | ForEach-Object { '{0:N1}' -f $_ }) -join '/' }
    Write-Host "${Name}: plain $(& $each $plainTimes) s (cpu $(& $each $plainCpu)); drill total $(& $each $whole) s (cpu $(& $each $drillCpu)); RTO $(& $each $rto) s"
    [pscustomobject]@{ Kind = $Name; PlainRestore = $p; DrillRto = (& $median $rto); DrillTotal = $w; Overhead = $w / $p - 1
        PlainCpu = $pc; DrillCpu = $dc; CpuOverhead = $dc / $pc - 1; Load = "$loadBefore → $(Get-Load)" }
}

if ('files' -in $Kind) {
    $tree = Join-Path $Work 'tree'
    python3 (Join-Path $PSScriptRoot 'gen-tree.py') $tree --size-gb $SizeGB | Out-Null
    $null = New-BackupTarget -Path $tree -Name tree | New-BackupCollection -Name bench-files -Repository $repository
    $null = Invoke-Backup -Name bench-files -Repository $repository
    $dest = Join-Path $Work 'restored'
    $rows += Invoke-Rounds files { Get-Backup -Collection bench-files -Repository $repository -Latest | Restore-Backup -Destination $dest -Confirm:$false } { Remove-Item -Recurse -Force $dest }
}

if ('pg' -in $Kind) {
    $db = 'psb_bench_drill'
    & $psql -X -q -h 127.0.0.1 -p $pgPort -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" | Out-Null
    $count = [long]($SizeGB * 1GB / 1000)
    & $psql -X -q -h 127.0.0.1 -p $pgPort -U postgres -d $db -c "CREATE TABLE t (id bigint PRIMARY KEY, h text, v text)" `
        -c "INSERT INTO t SELECT g, md5(g::text), repeat(md5(random()::text), 28) FROM generate_series(1, $count) g" | Out-Null
    $null = New-BackupTarget -PostgreSql -Server 127.0.0.1 -Port $pgPort -Database $db -UserName postgres -Table 'public.t' -Name t |
        New-BackupCollection -Name bench-pg -Repository $repository
    $null = Invoke-Backup -Name bench-pg -Repository $repository
    $scratch = 'psb_bench_plain'
    $rows += Invoke-Rounds pg {
        & $psql -X -q -h 127.0.0.1 -p $pgPort -U postgres -d postgres -c "CREATE DATABASE $scratch TEMPLATE template0" | Out-Null
        Get-Backup -Collection bench-pg -Repository $repository -Latest | Restore-Backup -Destination "Host=127.0.0.1;Port=$pgPort;Database=$scratch;Username=postgres" -Confirm:$false
    } { & $psql -X -q -h 127.0.0.1 -p $pgPort -U postgres -d postgres -c "DROP DATABASE $scratch WITH (FORCE)" | Out-Null }
    & $psql -X -q -h 127.0.0.1 -p $pgPort -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
}

if ('redis' -in $Kind) {
    $port = Get-FreePort
    $plainPort = Get-FreePort
    $dir = Join-Path $Work 'redis'; $null = New-Item -ItemType Directory $dir
    $server = Start-Process redis-server -PassThru -ArgumentList '--port', $port, '--bind', '127.0.0.1', '--dir', $dir, '--save', '""', '--appendonly', 'no', '--logfile', (Join-Path $dir 'log')
    try {
        Start-Sleep 1
        $keys = [int](1000000 * $SizeGB / 1.1)
        bash -c "python3 '$PSScriptRoot/gen-redis.py' $keys | redis-cli -p $port --pipe" | Out-Null
        $null = New-BackupTarget -RedisEndpoint "127.0.0.1:$port" -Name cache | New-BackupCollection -Name bench-redis -Repository $repository
        $null = Invoke-Backup -Name bench-redis -Repository $repository
        # The plain restore a person would do for the same result: dump.rdb into a folder, a redis-server loading it.
        $dest = Join-Path $Work 'redis-restored'
        $rows += Invoke-Rounds redis {
            $null = Get-Backup -Collection bench-redis -Repository $repository -Latest | Restore-Backup -Destination $dest -Confirm:$false
            $p = Start-Process redis-server -PassThru -ArgumentList '--port', $plainPort, '--bind', '127.0.0.1', '--dir', $dest, '--save', '""', '--appendonly', 'no', '--logfile', (Join-Path $Work 'plain-redis.log')
            while (((redis-cli -p $plainPort ping 2>&1) -join '') -notmatch 'PONG') { Start-Sleep -Milliseconds 20 }
            Stop-Process -Id $p.Id; $p.WaitForExit()
        } { Remove-Item -Recurse -Force $dest }
    }
    finally { Stop-Process -Id $server.Id -ErrorAction SilentlyContinue }
}

if ('cluster' -in $Kind) {
    $pgBin = '/usr/lib/postgresql/15/bin'
    $cw = Join-Path $Work 'cluster'; $null = New-Item -ItemType Directory $cw
    # archive_command runs as postgres: it gets its own copy of psbackup-cli, and the repository is postgres's.
    Copy-Item -LiteralPath (Join-Path $root 'tools/PsBackup.Cli/bin/Release/net8.0') -Destination (Join-Path $cw 'cli') -Recurse
    $cli = Join-Path $cw 'cli' 'psbackup-cli.dll'
    & chmod -R a+rX $cw; & chown postgres: $cw
    $data = Join-Path $cw 'data'
    $port = Get-FreePort
    function Invoke-ClusterSql([int] $Port, [string] $Sql) {
        $out = & $psql -X -h 127.0.0.1 -p $Port -U postgres -Atqc $Sql
        if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
        $out
    }
    function Wait-Archived {
        $segment = Invoke-ClusterSql $port 'SELECT pg_walfile_name(pg_switch_wal())'
        while ($true) {
            $archived, $failed = (Invoke-ClusterSql $port "SELECT coalesce(last_archived_wal, '') >= '$segment', failed_count FROM pg_stat_archiver") -split '\|'
            if ($archived -eq 't') { return }
            if ([int]$failed -gt 0) { throw "archive_command failed; see $cw/primary.log" }
            Start-Sleep -Milliseconds 200
        }
    }
    & runuser -u postgres -- (Join-Path $pgBin 'initdb') -D $data --auth=trust -U postgres --no-sync | Out-Null
    Add-Content -LiteralPath (Join-Path $data 'postgresql.conf') -Value "listen_addresses = '127.0.0.1'`nunix_socket_directories = ''`nwal_level = replica`narchive_mode = on`nmax_wal_size = 4GB"
    & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $data -o "-p $port" -l (Join-Path $cw 'primary.log') -w start | Out-Null
    try {
        $null = New-BackupTarget -PostgreSqlCluster -Server 127.0.0.1 -Port $port -Name db -UserName postgres | New-BackupCollection -Name bench-cluster -Repository $repository
        & chown -R postgres: $repository
        $line = (Get-BackupArchiveCommand -Collection bench-cluster -Repository $repository -Archiver dotnet, $cli).ConfigurationLine
        Invoke-ClusterSql $port "ALTER SYSTEM SET archive_command = $($line -replace '^archive_command = ', '')" | Out-Null
        Invoke-ClusterSql $port 'SELECT pg_reload_conf()' | Out-Null
        $count = [long]($SizeGB * 1GB / 1000)
        Invoke-ClusterSql $port "CREATE TABLE t (id bigint PRIMARY KEY, h text, v text); INSERT INTO t SELECT g, md5(g::text), repeat(md5(random()::text), 28) FROM generate_series(1, $count) g" | Out-Null
        Wait-Archived
        $null = Invoke-Backup -Name bench-cluster -Repository $repository
        Invoke-ClusterSql $port "INSERT INTO t SELECT g, md5(g::text), 'after the base backup' FROM generate_series($count + 1, $count + 10000) g" | Out-Null
        Wait-Archived
        $dest = Join-Path $cw 'restored'
        $plainPort = Get-FreePort
        $rows += Invoke-Rounds cluster {
            $null = Get-Backup -Collection bench-cluster -Repository $repository -Latest | Restore-Backup -Destination $dest -EndOfArchive -Confirm:$false
            & chown -R postgres: $dest
            & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $dest -o "-p $plainPort" -l (Join-Path $cw 'plain.log') start | Out-Null
            # Until it accepts connections and has promoted: the drill's RTO ends there too.
            while ((& $psql -X -h 127.0.0.1 -p $plainPort -U postgres -Atqc 'SELECT pg_is_in_recovery()' 2>$null) -ne 'f') { Start-Sleep -Milliseconds 20 }
        } {
            & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $dest -m fast -w stop | Out-Null
            Remove-Item -Recurse -Force $dest
        }
    }
    finally { & runuser -u postgres -- (Join-Path $pgBin 'pg_ctl') -D $data -m fast -w stop | Out-Null }
}

"| kind | data | plain restore (s) | drill RTO (s) | drill total (s) | overhead (wall) | plain CPU (s) | drill CPU (s) | overhead (CPU) | load average (1, 5, 15 min) before → after |"
"|---|---|---|---|---|---|---|---|---|---|"
foreach ($r in $rows) {
    '| {0} | {1} GB | {2:N1} | {3:N1} | {4:N1} | {5:P0} | {6:N1} | {7:N1} | {8:P0} | {9} |' -f $r.Kind, $SizeGB, $r.PlainRestore, $r.DrillRto, $r.DrillTotal, $r.Overhead,
        $r.PlainCpu, $r.DrillCpu, $r.CpuOverhead, $r.Load
}
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
