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
    A plain restore is checked by nothing but its own checksums; the drill additionally reads the
    restored data back and compares it with the backup's record. Writes a markdown table.

.EXAMPLE
    pwsh bench/drill.ps1 -SizeGB 1 -Rounds 3
#>
[CmdletBinding()]
param(
    [double] $SizeGB = 1,
    [int] $Rounds = 3,
    [ValidateSet('files', 'pg', 'redis')]
    [string[]] $Kind = @('files', 'pg', 'redis'),
    [string] $Work = (Join-Path ([System.IO.Path]::GetTempPath()) 'psbackup-bench-drill')
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module (Get-ChildItem (Join-Path $root 'out' 'PsBackup' '*' 'PsBackup.psd1')).FullName -Force
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory $Work
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

function Measure-Seconds([scriptblock] $Block) { $clock = [Diagnostics.Stopwatch]::StartNew(); & $Block | Out-Null; $clock.Elapsed.TotalSeconds }

function Invoke-Rounds([string] $Name, [scriptblock] $Plain, [scriptblock] $Cleanup) {
    $plainTimes = @(); $rto = @(); $whole = @() # not $plain: PowerShell names ignore case, and $Plain is the script block
    for ($i = 0; $i -lt $Rounds; $i++) {
        $drillFirst = $i % 2 -eq 1
        foreach ($step in @('plain', 'drill') | Sort-Object -Descending:$drillFirst) {
            if ($step -eq 'plain') { $plainTimes += Measure-Seconds $Plain; & $Cleanup }
            else {
                $d = Invoke-RestoreDrill -Collection "bench-$Name" -Repository $repository
                if ($d.Status -ne 'Passed') { throw "$Name drill failed: $($d.Reason)" }
                $rto += $d.RestoreDuration.TotalSeconds; $whole += $d.Duration.TotalSeconds
            }
        }
    }
    $median = { param($v) ($v | Sort-Object)[[int][math]::Floor($v.Count / 2)] }
    $p = & $median $plainTimes; $r = & $median $rto; $w = & $median $whole
    [pscustomobject]@{ Kind = $Name; PlainRestore = $p; DrillRto = $r; DrillTotal = $w; Overhead = $w / $p - 1 }
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

"| kind | data | plain restore (s) | drill RTO (s) | drill total (s) | drill overhead |"
"|---|---|---|---|---|---|"
foreach ($r in $rows) { '| {0} | {1} GB | {2:N1} | {3:N1} | {4:N1} | {5:P0} |' -f $r.Kind, $SizeGB, $r.PlainRestore, $r.DrillRto, $r.DrillTotal, $r.Overhead }
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
