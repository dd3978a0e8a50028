#Requires -Version 7.4
# Pester 5: what a newcomer tripped over in the first hour, each with its test: Ctrl+C, progress,
# Export-Csv of lists, argument completion, a file as restore destination, the console views at
# 80 columns, Invoke-Backup -Verbose, and what the manifest and README promise. Every repository
# and tree lives in $TestDrive and every cmdlet names its -Repository.

Describe 'A newcomer''s first hour' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop
        $savedRepository = $env:PSBACKUP_REPOSITORY
        $env:PSBACKUP_REPOSITORY = $null
    }

    AfterAll {
        $env:PSBACKUP_REPOSITORY = $savedRepository
    }

    Context 'Ctrl+C during Invoke-Backup' {
        BeforeAll {
            $repository = Join-Path $TestDrive 'stopped-repository'
            $source = Join-Path $TestDrive 'stopped-source'
            New-TestTree -Path $source -File @{ 'a.txt' = 'alpha'; 'sub/b.txt' = 'bravo' }
            # 512 MB of random bytes: seconds to compress, so the backup is surely running when stopped
            # (a sparse file would not do: its holes are skipped, not read).
            $big = [System.IO.File]::Create((Join-Path $source 'big.bin'))
            $chunk = [byte[]]::new(1MB)
            foreach ($i in 1..512) { [System.Random]::Shared.NextBytes($chunk); $big.Write($chunk, 0, $chunk.Length) }
            $big.Dispose()
            $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name stopped -Repository $repository -ErrorAction Stop
            $backups = Join-Path $repository 'collections' 'stopped' 'backups'
        }

        It 'leaves no backup folder behind, and the next Invoke-Backup removes the empty folders an interrupted run left' {
            $shell = New-PsBackupShell
            try {
                $null = $shell.AddCommand('Invoke-Backup').AddParameter('Name', 'stopped').AddParameter('Repository', $repository)
                $running = $shell.BeginInvoke()
                $deadline = (Get-Date).AddSeconds(60)
                while (-not (Test-Path -LiteralPath $backups) -or -not (Get-ChildItem -LiteralPath $backups -Directory)) {
                    if ($running.IsCompleted) { throw "Invoke-Backup ended before it could be stopped: $($shell.Streams.Error)" }
                    if ((Get-Date) -gt $deadline) { throw 'Invoke-Backup never started to write the backup.' }
                    Start-Sleep -Milliseconds 20
                }
                $shell.Stop() # what Ctrl+C does: StopProcessing
                $shell.InvocationStateInfo.State | Should -Be 'Stopped'
            }
            finally {
                $shell.Dispose()
            }
            @(Get-ChildItem -LiteralPath $backups -Recurse -Force -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty

            # Empty folders of a backup that never finished (earlier versions left them on Ctrl+C).
            $null = New-Item -ItemType Directory -Path (Join-Path $backups '20200101T000000Z_full_0badcafe' 'src')
            Remove-Item -LiteralPath (Join-Path $source 'big.bin')
            $next = @(Invoke-Backup -Name stopped -Repository $repository -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $next.Count | Should -Be 1
            $next[0].Status | Should -Be 'Complete'
            @(Get-ChildItem -LiteralPath $backups -Directory).Name | Should -Be $next[0].Id
        }
    }

    Context 'Progress' {
        BeforeAll {
            $repository = Join-Path $TestDrive 'progress-repository'
            $source = Join-Path $TestDrive 'progress-source'
            $files = @{}
            foreach ($i in 1..20) { $files["dir$($i % 4)/file$i.txt"] = "$i " * 40000 }
            New-TestTree -Path $source -File $files
            $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name progress -Repository $repository -ErrorAction Stop
        }

        It 'Get-Backup | Test-Backup | Select-Object -First 1 removes its progress bar, which showed items, bytes, percent and the artifact' {
            $null = Invoke-Backup -Name progress -Repository $repository -ErrorAction Stop
            $null = Invoke-Backup -Name progress -Repository $repository -ErrorAction Stop
            $shell = New-PsBackupShell
            try {
                $null = $shell.AddScript("Get-Backup -Collection progress -Repository '$repository' | Test-Backup | Select-Object -First 1")
                $out = @($shell.Invoke())
                $errors = @($shell.Streams.Error)
                $records = @($shell.Streams.Progress)
            }
            finally {
                $shell.Dispose()
            }
            $errors | Should -BeNullOrEmpty
            $out.Count | Should -Be 1
            $out[0].Status | Should -Be 'Ok'
            $records.Count | Should -BeGreaterThan 1
            $records[-1].RecordType | Should -Be 'Completed' -Because 'the bar must not stay on screen after the pipeline stopped early'
            $shown = $records | Where-Object RecordType -eq 'Processing' | Select-Object -Last 1
            $shown.Activity | Should -BeLike "Verifying backup '*'"
            $shown.StatusDescription | Should -Match '^\d+ of \d+ items, [\d.]+ (B|KB|MB) of [\d.]+ (KB|MB)$'
            $shown.PercentComplete | Should -BeIn (0..100)
            $shown.CurrentOperation | Should -Match '^\d{8}T\d{6}Z_full_[0-9a-f]{8}/src/'
        }

        It 'Invoke-Backup shows the target, the items and bytes done, and completes its bar' {
            $shell = New-PsBackupShell
            try {
                $null = $shell.AddCommand('Invoke-Backup').AddParameter('Name', 'progress').AddParameter('Repository', $repository)
                $out = @($shell.Invoke())
                $errors = @($shell.Streams.Error)
                $records = @($shell.Streams.Progress)
            }
            finally {
                $shell.Dispose()
            }
            $errors | Should -BeNullOrEmpty
            $out.Count | Should -Be 1
            $records[-1].RecordType | Should -Be 'Completed'
            $shown = @($records | Where-Object RecordType -eq 'Processing')
            $shown.Activity | Should -Contain "Backing up 'src'"
            $shown.StatusDescription | Should -Contain 'target 1 of 1'
            # The last report of the target: every file read. The walk streams (no scan of the whole
            # tree first), so a file tree's totals are unknown: counts without a percentage.
            $shown[-1].StatusDescription | Should -BeLike '20 items, *'
            @($shown.StatusDescription) -like '* of * items*' | Should -BeNullOrEmpty
        }
    }

    Context 'Export-Csv of lists' {
        BeforeAll {
            $repository = Join-Path $TestDrive 'csv-repository'
            $source = Join-Path $TestDrive 'csv-source'
            New-TestTree -Path $source -File @{ 'a.txt' = 'alpha' }
            $policy = [PsBackup.RetentionPolicy]@{ KeepLast = 1; TimeZone = 'UTC' }
            $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name csv -Repository $repository -RetentionPolicy $policy -ErrorAction Stop
            $first = Invoke-Backup -Name csv -Repository $repository -ErrorAction Stop
            $null = Invoke-Backup -Name csv -Repository $repository -ErrorAction Stop
            $csv = Join-Path $TestDrive 'export.csv'
        }

        It 'Set-Backup -Tag, then Get-Backup | Export-Csv: the tags are one clean column, and -contains still works' {
            $tagged = Set-Backup -Id $first.Id -Collection csv -Repository $repository -Pinned -Tag before-migration, weekly -PassThru -ErrorVariable err
            $err | Should -BeNullOrEmpty
            @($tagged.Tags).Count | Should -Be 2
            $tagged.Tags -contains 'weekly' | Should -BeTrue
            ($tagged.Tags -join '|') | Should -Be 'before-migration|weekly'

            $backups = @(Get-Backup -Collection csv -Repository $repository)
            $backups.Count | Should -Be 2
            $backups | Export-Csv -LiteralPath $csv
            $rows = @(Import-Csv -LiteralPath $csv)
            ($rows | Where-Object Id -eq $first.Id).Tags | Should -Be 'before-migration, weekly'
            ($rows | Where-Object Id -ne $first.Id).Tags | Should -Be ''
            Get-Content -LiteralPath $csv -Raw | Should -Not -Match 'System\.'
        }

        It 'Invoke-RetentionPolicy | Export-Csv: the reasons and tags are clean columns' {
            $null = Set-Backup -Id $first.Id -Collection csv -Repository $repository -Pinned:$false -Tag monthly -ErrorAction Stop
            $plan = @(Invoke-RetentionPolicy -Collection csv -Repository $repository -WhatIf -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $plan.Count | Should -Be 2
            $plan | Export-Csv -LiteralPath $csv
            $rows = @(Import-Csv -LiteralPath $csv)
            $rows[0].Tags | Should -Be 'monthly'
            $rows[0].ReasonList | Should -Be 'no rule keeps it'
            $rows[1].ReasonList | Should -Be 'last 1, newest full'
            Get-Content -LiteralPath $csv -Raw | Should -Not -Match 'System\.'
        }
    }

    Context 'Argument completion' {
        BeforeAll {
            $named = Join-Path $TestDrive 'completion-named'
            $default = Join-Path $TestDrive 'completion-default'
            $source = Join-Path $TestDrive 'completion-source'
            New-TestTree -Path $source -File @{ 'a.txt' = 'alpha' }
            foreach ($name in 'alpha-files', 'alpha-db', 'other') {
                $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name $name -Repository $named -ErrorAction Stop
            }
            $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name 'in-default' -Repository $default -ErrorAction Stop
            function Complete([string] $Line) {
                @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText)
            }
            $savedDefault = $env:PSBACKUP_REPOSITORY
            $env:PSBACKUP_REPOSITORY = $default
        }

        AfterAll {
            $env:PSBACKUP_REPOSITORY = $savedDefault
        }

        It 'Invoke-Backup -Name completes from the repository the command line names' {
            $first = Invoke-Backup -Name alpha-db -Repository $named -ErrorVariable err
            $err | Should -BeNullOrEmpty
            $first.Collection | Should -Be 'alpha-db'
            (Complete "Invoke-Backup -Repository '$named' -Name al") | Should -Be @('alpha-db', 'alpha-files')
            (Complete "Remove-BackupCollection -Repository '$named' -Name o") | Should -Be @('other')
        }

        It 'Get-Backup -Collection completes from the default repository when none is named' {
            $backup = Invoke-Backup -Name in-default -ErrorVariable err
            $err | Should -BeNullOrEmpty
            $backup.Repository | Should -Be $default
            (Complete 'Get-Backup -Collection ') | Should -Be @('in-default')
        }

        It 'Restore-Backup -Id completes the backup ids of -Collection, newest first' {
            $older = Invoke-Backup -Name alpha-files -Repository $named -ErrorVariable err1
            $newer = Invoke-Backup -Name alpha-files -Repository $named -ErrorVariable err2
            @($err1) + @($err2) | Should -BeNullOrEmpty
            $older.Id | Should -Not -BeNullOrEmpty
            (Complete "Restore-Backup -Repository '$named' -Collection alpha-files -Id 2") | Should -Be @($newer.Id, $older.Id)
        }
    }

    Context 'A file as restore destination' {
        BeforeAll {
            $repository = Join-Path $TestDrive 'file-destination-repository'
            $etc = Join-Path $TestDrive 'fd-etc'
            $app = Join-Path $TestDrive 'fd-app'
            New-TestTree -Path $etc -File @{ 'hosts' = '127.0.0.1 localhost' }
            New-TestTree -Path $app -File @{ 'run.sh' = 'exec app' }
            $null = @(New-BackupTarget -Path $etc -Name etc; New-BackupTarget -Path $app -Name app) |
                New-BackupCollection -Name two -Repository $repository -ErrorAction Stop
            $backup = Invoke-Backup -Name two -Repository $repository -ErrorAction Stop
            $file = Join-Path $TestDrive 'restore-here.txt'
        }

        It 'Restore-Backup with a file as -Destination says the destination is a file (DestinationIsFile) and changes nothing' {
            Set-Content -LiteralPath $file -Value 'keep me'
            $out = Get-Backup -Collection two -Repository $repository -Latest |
                Restore-Backup -Destination $file -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 2 -Because 'each of the two targets would go to a folder inside the file'
            foreach ($record in $err) {
                $record.FullyQualifiedErrorId | Should -BeLike 'DestinationIsFile,*'
                $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
                $record.Exception.Message | Should -BeLike "*inside '$file', which is a file*"
            }
            Get-Content -LiteralPath $file | Should -Be 'keep me'
        }
    }

    Context 'Invoke-Backup -Verbose' {
        BeforeAll {
            $repository = Join-Path $TestDrive 'verbose-repository'
            $source = Join-Path $TestDrive 'verbose-source'
            New-TestTree -Path $source -File @{ 'a.txt' = 'alpha'; 'b/c.txt' = 'charlie' }
            $null = New-BackupTarget -Path $source -Name src | New-BackupCollection -Name verbose -Repository $repository -ErrorAction Stop
        }

        It 'says what it does: the lock, each target, each artifact, the commit' {
            $all = @(Invoke-Backup -Name verbose -Repository $repository -Verbose -ErrorVariable err 4>&1)
            $err | Should -BeNullOrEmpty
            $backup = @($all | Where-Object { $_ -is [PsBackup.BackupInfo] })
            $backup.Count | Should -Be 1
            $said = (@($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message) -join "`n"
            $said | Should -Match "Locked collection 'verbose'"
            $said | Should -Match "Backup $($backup[0].Id): full, 1 target\(s\): src"
            $said | Should -Match "Target 'src' \(FileTree\): backing up"
            $said | Should -Match "Target 'src': wrote artifact 'src/index"
            $said | Should -Match "Target 'src': complete, \d+ artifact\(s\)"
            $said | Should -Match "Committed backup $($backup[0].Id)"
        }
    }

    Context 'What the module and README promise' {
        BeforeAll {
            $root = Get-PsBackupRepoRoot
        }

        It 'the module manifest advertises exactly the engines New-BackupTarget describes' {
            $manifest = Import-PowerShellDataFile -LiteralPath (Get-PsBackupModuleManifest)
            $parameters = (Get-Command New-BackupTarget -ErrorAction Stop).Parameters.Keys
            $engines = @{ PostgreSQL = 'PostgreSql'; Redis = 'RedisEndpoint'; MongoDB = 'MongoDb' }
            foreach ($engine in $engines.Keys) {
                $parameters | Should -Contain $engines[$engine]
                $manifest.Description | Should -Match $engine
                $manifest.PrivateData.PSData.Tags | Should -Contain $engine
            }
            $manifest.PrivateData.PSData.Tags | Should -Not -Contain 'MySQL'
            $manifest.Description | Should -Not -Match 'MySQL|SQL Server|Oracle'
        }

        It 'README warns, before the retention command that deletes, that it deletes' {
            $lines = Get-Content -LiteralPath (Join-Path $root 'README.md')
            $whatIf = [array]::FindIndex([string[]]$lines, [Predicate[string]] { param($l) $l -like 'Invoke-RetentionPolicy -Collection prod-files -WhatIf*' })
            $deleting = [array]::FindIndex([string[]]$lines, [Predicate[string]] { param($l) $l -like 'Invoke-RetentionPolicy -Collection prod-files |*' })
            $whatIf | Should -BeGreaterOrEqual 0
            $deleting | Should -BeGreaterThan $whatIf
            ($lines[($whatIf + 1)..($deleting - 1)] -join "`n") | Should -Match '#.*(deletes|DELETES)'
        }
    }
}
