#Requires -Version 7.4
# Pester 5: the bucket lifecycle cmdlets against the S3-compatible test server of tests/peers
# (s3rver at $env:PSBACKUP_TEST_S3_ENDPOINT, default http://127.0.0.1:14569; start it with
# tests/peers/install.sh and start.sh). install.sh patches s3rver to store and return lifecycle
# configurations and to refuse GET of GLACIER objects as S3 does; s3rver never executes the
# rules, so these tests check the rules, not transitions or expirations.

Describe 'Bucket lifecycle of an S3 repository' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $endpoint = if ($env:PSBACKUP_TEST_S3_ENDPOINT) { $env:PSBACKUP_TEST_S3_ENDPOINT } else { 'http://127.0.0.1:14569' }
        $saved = @{}
        foreach ($name in 'PSBACKUP_S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION') {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        }
        # s3rver accepts the access key id S3RVER with any secret.
        $env:PSBACKUP_S3_ENDPOINT = $endpoint
        $env:AWS_ACCESS_KEY_ID = 'S3RVER'
        $env:AWS_SECRET_ACCESS_KEY = 'S3RVER'
        $env:AWS_REGION = 'us-east-1'

        # s3rver runs with --allow-mismatched-signatures: any SigV4-shaped header will do.
        function New-TestBucket {
            $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 16)
            $headers = @{
                Authorization          = 'AWS4-HMAC-SHA256 Credential=S3RVER/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0'
                'x-amz-content-sha256' = 'UNSIGNED-PAYLOAD'
                'x-amz-date'           = [DateTime]::UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'")
            }
            $null = Invoke-WebRequest -Method Put -Uri "$endpoint/$name" -Headers $headers -SkipHeaderValidation -ErrorAction Stop
            $name
        }
        $source = Join-Path $TestDrive 'src'
        New-TestTree -Path $source -File @{ 'a.txt' = 'alpha'; 'sub/b.txt' = 'bravo' }
        $seed = @{ TransitionToStandardIADays = 30; TransitionToGlacierDays = 90; TransitionToDeepArchiveDays = 365; ExpireAfterDays = 2555 }
        $seedTransitions = 'STANDARD_IA after 30 d, GLACIER after 90 d, DEEP_ARCHIVE after 365 d'
    }

    BeforeEach {
        # Each test has a bucket of its own, with one repository (prod/) holding a collection.
        $bucket = New-TestBucket
        $repository = "s3://$bucket/prod"
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name files -Repository $repository -ErrorAction Stop
    }

    AfterAll {
        foreach ($name in $saved.Keys) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }

    It 'a repository without PsBackup rules shows Enabled False and no days' {
        $lifecycle = Get-BackupStorageLifecycle -Repository $repository -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $lifecycle.Repository | Should -Be "s3://$bucket/prod/"
        $lifecycle.Enabled | Should -BeFalse
        $lifecycle.RuleIds | Should -Be ''
        $lifecycle.TransitionToGlacierDays | Should -BeNullOrEmpty
    }

    It 'Set-BackupStorageLifecycle -WhatIf says what it would set, and changes nothing' {
        $run = Invoke-WhatIf { Set-BackupStorageLifecycle -Repository $repository -TransitionToGlacierDays 90 -WhatIf }
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -BeNullOrEmpty
        $run.WhatIf | Should -Be "What if: Performing the operation ""Set lifecycle rules psbackup:prod/:data: GLACIER after 90 d; 0 other rule(s) of bucket '$bucket' kept unchanged"" on target ""s3://$bucket/prod/""."
        $lifecycle = Get-BackupStorageLifecycle -Repository $repository
        $lifecycle.Repository | Should -Be "s3://$bucket/prod/"
        $lifecycle.Enabled | Should -BeFalse
    }

    It 'sets the seed lifecycle and reads it back exactly' {
        $set = Set-BackupStorageLifecycle -Repository $repository @seed -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $set.Enabled | Should -BeTrue

        $lifecycle = Get-BackupStorageLifecycle -Repository $repository
        $lifecycle.Enabled | Should -BeTrue
        $lifecycle.TransitionToStandardIADays | Should -Be 30
        $lifecycle.TransitionToGlacierDays | Should -Be 90
        $lifecycle.TransitionToDeepArchiveDays | Should -Be 365
        $lifecycle.TransitionToGlacierIRDays | Should -BeNullOrEmpty
        $lifecycle.ExpireAfterDays | Should -Be 2555
        $lifecycle.Transitions | Should -Be $seedTransitions
        $lifecycle.RuleIds | Should -Be 'psbackup:prod/:data, psbackup:prod/:manifests'
    }

    It 'exports as one flat CSV row, and shows as a list that fits 80 columns' {
        $null = Set-BackupStorageLifecycle -Repository $repository @seed -ErrorAction Stop
        $lifecycle = @(Get-BackupStorageLifecycle -Repository $repository -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $lifecycle.Count | Should -Be 1
        $csv = Join-Path $TestDrive "$bucket.csv"
        $lifecycle | Export-Csv -LiteralPath $csv
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows.Count | Should -Be 1
        $rows[0].TransitionToGlacierDays | Should -Be '90'
        $rows[0].ExpireAfterDays | Should -Be '2555'
        $rows[0].Transitions | Should -Be $seedTransitions

        $lines = @($lifecycle | Get-ViewLine)
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[0] | Should -Be "Repository      : s3://$bucket/prod/"
        ($lines -join '') -replace '\s+', '' | Should -BeLike ('*Transitions:' + ($seedTransitions -replace '\s+', '') + '*')
    }

    It 'pipes a lifecycle to another repository of the same bucket, keeping the first one' {
        $null = Set-BackupStorageLifecycle -Repository $repository @seed -ErrorAction Stop
        $second = "s3://$bucket/dr"
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name files -Repository $second -ErrorAction Stop
        $copied = Get-BackupStorageLifecycle -Repository $repository | Set-BackupStorageLifecycle -Repository $second -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $copied.Repository | Should -Be "s3://$bucket/dr/"
        $copied.Transitions | Should -Be $seedTransitions
        $copied.ExpireAfterDays | Should -Be 2555
        (Get-BackupStorageLifecycle -Repository $repository).RuleIds | Should -Be 'psbackup:prod/:data, psbackup:prod/:manifests'
        (Get-BackupStorageLifecycle -Repository $second).RuleIds | Should -Be 'psbackup:dr/:data, psbackup:dr/:manifests'
    }

    It 'refuses rules S3 would refuse or charge for, with InvalidLifecycleRule, and changes nothing' {
        $null = Set-BackupStorageLifecycle -Repository $repository @seed -ErrorAction Stop
        $out = Set-BackupStorageLifecycle -Repository $repository -TransitionToStandardIADays 90 -TransitionToGlacierDays 60 `
            -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidLifecycleRule*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike '*GLACIER*STANDARD_IA*'
        (Get-BackupStorageLifecycle -Repository $repository).TransitionToGlacierDays | Should -Be 90
    }

    It 'refuses a local repository with LifecycleRequiresS3' {
        $local = Join-Path $TestDrive "local-$bucket"
        $created = New-BackupTarget -Path $source | New-BackupCollection -Name files -Repository $local -ErrorAction Stop
        $created.Repository | Should -Be $local
        $out = Get-BackupStorageLifecycle -Repository $local -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LifecycleRequiresS3*'
    }

    It 'Remove-BackupStorageLifecycle -WhatIf says what it would remove and keeps the rules; without it they go' {
        $null = Set-BackupStorageLifecycle -Repository $repository @seed -ErrorAction Stop
        $second = "s3://$bucket/dr"
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name files -Repository $second -ErrorAction Stop
        $null = Set-BackupStorageLifecycle -Repository $second -ExpireAfterDays 30 -ErrorAction Stop

        $run = Invoke-WhatIf { Remove-BackupStorageLifecycle -Repository $repository -WhatIf }
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -BeNullOrEmpty
        $run.WhatIf | Should -Be "What if: Performing the operation ""Remove PsBackup's lifecycle rules (psbackup:prod/:data, psbackup:prod/:manifests); 2 other rule(s) of bucket '$bucket' kept unchanged"" on target ""s3://$bucket/prod/""."
        (Get-BackupStorageLifecycle -Repository $repository).Enabled | Should -BeTrue

        Remove-BackupStorageLifecycle -Repository $repository -Confirm:$false -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $lifecycle = Get-BackupStorageLifecycle -Repository $repository
        $lifecycle.Repository | Should -Be "s3://$bucket/prod/"
        $lifecycle.Enabled | Should -BeFalse
        $lifecycle.RuleIds | Should -Be ''
        (Get-BackupStorageLifecycle -Repository $second).Enabled | Should -BeTrue
    }

    It 'restoring a backup stored in GLACIER fails at once with ArtifactArchived and writes nothing' {
        $cold = "s3://$bucket/cold"
        $null = New-BackupTarget -Path $source | New-BackupCollection -Name cold -Repository $cold -StorageClass GLACIER
        $backup = Invoke-Backup -Name cold -Repository $cold
        $backup.Status | Should -Be 'Complete'

        $destination = Join-Path $TestDrive 'thawed'
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $out = Get-Backup -Collection cold -Repository $cold -Latest |
            Restore-Backup -Destination $destination -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'a refusal is not retried'
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ArtifactArchived*'
        $err[0].Exception.Message | Should -BeLike '*restore-object*'
        Test-Path -LiteralPath $destination | Should -BeFalse
    }
}
