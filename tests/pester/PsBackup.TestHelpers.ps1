# Helpers for the Pester tests of PsBackup. Dot-source from BeforeAll / BeforeDiscovery:
#     . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
# (This file does not end in .Tests.ps1, so Invoke-Pester does not run it as a test file.)

function Get-PsBackupRepoRoot {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    # tests/pester -> repository root
    (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '..' '..')).ProviderPath
}

function Get-PsBackupModuleManifest {
    # The manifest of the built module, out/PsBackup/<ModuleVersion>/PsBackup.psd1.
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $root = Get-PsBackupRepoRoot
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $root 'PsBackup.psd1')).ModuleVersion
    $manifest = Join-Path $root 'out' 'PsBackup' $version 'PsBackup.psd1'
    if (-not (Test-Path -LiteralPath $manifest -PathType Leaf)) {
        throw "The module is not built: '$manifest' is missing. Run 'dotnet build src/PsBackup' or './build.ps1 -Task Build' first."
    }
    $manifest
}

function New-TestTree {
    # Creates files (relative path -> content) and empty directories under $Path.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [hashtable] $File = @{},
        [string[]] $Directory = @()
    )
    $null = New-Item -ItemType Directory -Path $Path -Force
    foreach ($relative in $File.Keys) {
        $full = Join-Path $Path $relative
        $null = New-Item -ItemType Directory -Path (Split-Path -Parent $full) -Force
        Set-Content -LiteralPath $full -Value $File[$relative] -NoNewline
    }
    foreach ($relative in $Directory) {
        $null = New-Item -ItemType Directory -Path (Join-Path $Path $relative) -Force
    }
}

function Get-TreeSnapshot {
    # One line per item below $Path: "dir/" for directories, "path length SHA256" for files,
    # sorted and joined with newlines, so two trees compare with a single Should -Be.
    # -ExcludeLike drops items whose relative path (with '/') is -like one of the patterns.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string[]] $ExcludeLike = @()
    )
    $root = (Resolve-Path -LiteralPath $Path).ProviderPath
    $lines = foreach ($item in Get-ChildItem -LiteralPath $root -Recurse -Force) {
        $relative = [System.IO.Path]::GetRelativePath($root, $item.FullName).Replace('\', '/')
        $excluded = $false
        foreach ($pattern in $ExcludeLike) {
            if ($relative -like $pattern) { $excluded = $true }
        }
        if ($excluded) { continue }
        if ($item.PSIsContainer) {
            "$relative/"
        }
        else {
            '{0} {1} {2}' -f $relative, $item.Length, (Get-FileHash -LiteralPath $item.FullName -Algorithm SHA256).Hash
        }
    }
    (@($lines) | Sort-Object) -join "`n"
}

function Get-FreeTestPort {
    # A TCP port on 127.0.0.1 that binds now, from 30000-32767: below Linux's ephemeral range
    # (32768-60999), where any outgoing connection may hold a port. The scan starts at a random
    # point and moves up (wrapping), so test runs at the same time rarely try the same ports;
    # -Exclude skips ports this run already handed out to a server that is not listening yet.
    [CmdletBinding()]
    [OutputType([int])]
    param([int[]] $Exclude = @())
    $first = 30000; $count = 2768
    $start = Get-Random -Minimum 0 -Maximum $count
    for ($i = 0; $i -lt $count; $i++) {
        $port = $first + ($start + $i) % $count
        if ($port -in $Exclude) { continue }
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        try { $listener.Start(); return $port }
        catch [System.Net.Sockets.SocketException] { }
        finally { $listener.Stop() }
    }
    throw "No free TCP port on 127.0.0.1 in 30000-32767."
}

function Import-PinnedPester {
    # Imports Pester 5.9.1, the version the repository pins: restored by NuGet into the packages
    # folder (tests/PsBackup.Contract.Tests has <PackageDownload Include="Pester" Version="[5.9.1]" />),
    # else one installed as a module. Throws when neither exists: a test run without Pester must fail.
    [CmdletBinding()]
    param()
    $version = [version]'5.9.1'
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget' 'packages' }
    $manifest = Join-Path $packages 'pester' $version 'tools' 'Pester.psd1'
    if (-not (Test-Path -LiteralPath $manifest -PathType Leaf)) {
        $manifest = Get-Module -ListAvailable -Name Pester | Where-Object Version -eq $version | Select-Object -First 1 -ExpandProperty Path
    }
    if (-not $manifest) {
        throw "Pester $version is not installed, so the tests in tests/pester cannot run. Restore it with 'dotnet restore tests/PsBackup.Contract.Tests' (a PackageDownload into $packages/pester/$version) or 'Install-Module Pester -RequiredVersion $version'."
    }
    Import-Module -Name $manifest -Force -Global -ErrorAction Stop
}

function Get-PsBackupCli {
    # The built psbackup-cli.dll of the configuration the imported module was built with
    # (Debug or Release: the AssemblyConfiguration of PsBackup.dll), so the tests run against
    # whichever configuration build.ps1 or .ci/run built.
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $module = Get-Module -Name PsBackup
    if (-not $module) { throw 'Import the PsBackup module first.' }
    $assembly = $module.ImplementingAssembly
    $configuration = ($assembly.GetCustomAttributes([System.Reflection.AssemblyConfigurationAttribute], $false) | Select-Object -First 1).Configuration
    $cli = Join-Path (Get-PsBackupRepoRoot) 'tools' 'PsBackup.Cli' 'bin' $configuration 'net8.0' 'psbackup-cli.dll'
    if (-not (Test-Path -LiteralPath $cli -PathType Leaf)) {
        throw "psbackup-cli is not built for the module's configuration ($configuration): dotnet build tools/PsBackup.Cli -c $configuration"
    }
    $cli
}

function Invoke-WhatIf {
    # Runs a -WhatIf command and returns what it did: Output (objects), Errors (error records,
    # non-terminating included) and WhatIf (the "What if: ..." lines ShouldProcess wrote to the
    # host, read back from a transcript). A cmdlet that does nothing writes no such line, so a
    # test asserting the line fails against it.
    [CmdletBinding()]
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
    $transcript = Join-Path ([System.IO.Path]::GetTempPath()) "psbackup-whatif-$([guid]::NewGuid().ToString('N')).txt"
    $rendering = $PSStyle.OutputRendering
    $PSStyle.OutputRendering = 'PlainText'
    $null = Start-Transcript -LiteralPath $transcript -UseMinimalHeader
    try {
        $all = @(& $ScriptBlock 2>&1)
    }
    finally {
        $null = Stop-Transcript
        $PSStyle.OutputRendering = $rendering
    }
    $lines = @(Get-Content -LiteralPath $transcript | Where-Object { $_ -like 'What if: *' })
    Remove-Item -LiteralPath $transcript
    [pscustomobject]@{
        Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        WhatIf = $lines
    }
}

function Get-PesterTestInventory {
    # Every test of the Pester suite (found by Pester's discovery, nothing run) with the PsBackup
    # cmdlets it calls: Exercised (in its It block) and Setup (in the BeforeAll/BeforeEach blocks
    # around it). Data-driven tests are one entry (their template name), as -FullNameFilter sees them.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $Path,
        [Parameter(Mandatory)] [string[]] $CmdletName
    )
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $Path
    $configuration.Run.SkipRun = $true
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'None'
    $discovered = Invoke-Pester -Configuration $configuration
    # Commands called directly, and those a test runs in a shell of its own ($shell.AddCommand('Invoke-Backup'),
    # $shell.AddScript("Get-Backup … | Test-Backup")), whose names are in the strings it passes.
    $called = {
        param([scriptblock[]] $Blocks)
        @(foreach ($block in $Blocks) {
                if (-not $block) { continue }
                $block.Ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) |
                    ForEach-Object { $_.GetCommandName() } | Where-Object { $_ -in $CmdletName }
                $block.Ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -and
                        $node.Member.Extent.Text -in 'AddCommand', 'AddScript' }, $true) |
                    ForEach-Object { $_.Arguments.Extent.Text } |
                    ForEach-Object { foreach ($name in $CmdletName) { if ($_ -match "\b$([regex]::Escape($name))\b") { $name } } }
            }) | Sort-Object -Unique
    }
    foreach ($test in $discovered.Tests) {
        $setup = for ($block = $test.Block; $block; $block = $block.Parent) { $block.OneTimeTestSetup; $block.EachTestSetup }
        [pscustomobject]@{
            FullName  = $test.Path -join '.'
            File      = $test.ScriptBlock.File
            Exercised = @(& $called @($test.ScriptBlock))
            Setup     = @(& $called @($setup))
        }
    }
}

function New-PsBackupShell {
    # A PowerShell with a runspace of its own and the built module imported, for what a session
    # cannot observe of itself: its progress records (Streams.Progress) and Ctrl+C (Stop()).
    # Functions of this session that shadow PsBackup cmdlets (Test-PesterStubs.ps1 defines such
    # stubs) are defined there too, so it runs the same commands as its caller. Dispose it.
    [CmdletBinding()]
    [OutputType([powershell])]
    param()
    $shell = [powershell]::Create()
    $null = $shell.AddCommand('Import-Module').AddParameter('Name', (Get-PsBackupModuleManifest)).AddParameter('ErrorAction', 'Stop')
    $cmdlets = @((Get-Module -Name PsBackup).ExportedCmdlets.Keys)
    foreach ($function in Get-ChildItem -Path function: | Where-Object Name -in $cmdlets) {
        $null = $shell.AddStatement().AddScript("function global:$($function.Name) {`n$($function.ScriptBlock)`n}")
    }
    $null = $shell.Invoke()
    $shell.Commands.Clear()
    $shell
}

function Get-ViewLine {
    # What the console shows for objects at 80 columns: the lines of Out-String -Width 80, plain
    # text, trailing blanks trimmed, empty lines dropped.
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory, ValueFromPipeline)] [object] $InputObject)
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { $items.Add($InputObject) }
    end {
        $rendering = $PSStyle.OutputRendering
        $PSStyle.OutputRendering = 'PlainText'
        try { $text = $items | Out-String -Width 80 }
        finally { $PSStyle.OutputRendering = $rendering }
        $text -split "`r?`n" | ForEach-Object TrimEnd | Where-Object { $_ }
    }
}

# A real redis-server of the test's own on a free port of 127.0.0.1 (no persistence, diskless
# replication as the peers), added to -Servers so the test can stop it afterwards.
function Start-TestRedisServer {
    param([System.Collections.Generic.List[object]] $Servers, [string] $Folder, [string[]] $Arguments = @())
    $port = Get-FreeTestPort -Exclude $Servers.Port
    $dir = Join-Path $Folder "redis-$port"
    $null = New-Item -ItemType Directory -Path $dir
    $process = Start-Process -FilePath redis-server -PassThru -ArgumentList (@(
        '--bind', '127.0.0.1', '--port', $port, '--dir', $dir, '--save', '""', '--appendonly', 'no',
        '--repl-diskless-sync-delay', '0', '--logfile', (Join-Path $dir 'redis.log')) + $Arguments)
    $deadline = (Get-Date).AddSeconds(20)
    while (((redis-cli -p $port ping 2>&1) -join '') -notmatch 'PONG|NOAUTH') { # NOAUTH: up, with a password
        if ((Get-Date) -gt $deadline) { throw "redis-server on port $port did not start" }
        Start-Sleep -Milliseconds 100
    }
    $server = [pscustomobject]@{ Port = $port; Endpoint = "127.0.0.1:$port"; Process = $process }
    $Servers.Add($server)
    $server
}
