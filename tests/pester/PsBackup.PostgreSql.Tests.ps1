#Requires -Version 7.4
# Pester 5: PostgreSQL table targets through the cmdlets, against the test primary started by
# tests/peers/start.sh (PSBACKUP_TEST_PG_* variables, as in tests/peers/env.sh). psql runs the
# setup and the checks; every test works in a database of its own.

Describe 'PostgreSQL tables' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'PsBackup.TestHelpers.ps1')
        Import-Module (Get-PsBackupModuleManifest) -Force -ErrorAction Stop

        $pgHost = $env:PSBACKUP_TEST_PG_HOST ?? '127.0.0.1'
        $pgPort = [int]($env:PSBACKUP_TEST_PG_PORT ?? '15432')
        $pgUser = $env:PSBACKUP_TEST_PG_USER ?? 'postgres'
        $psql = Join-Path ($env:PSBACKUP_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin') 'psql'
        function Invoke-Sql([string] $Database, [string] $Sql) {
            $output = & $psql -X -q -At -v ON_ERROR_STOP=1 -h $pgHost -p $pgPort -U $pgUser -d $Database -c $Sql
            if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
            $output
        }
        $database = 'psb_pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-Sql postgres "CREATE DATABASE $database"
        Invoke-Sql $database @'
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, qty int CHECK (qty >= 0));
INSERT INTO items (name, qty) SELECT 'item ' || g, g FROM generate_series(1, 500) g;
'@
        $repository = Join-Path $TestDrive 'repository'
    }

    AfterAll {
        Invoke-Sql postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$database' AND NOT active" | Out-Null
        Invoke-Sql postgres "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
    }

    It 'New-BackupTarget -PostgreSql describes tables without a password' {
        $target = New-BackupTarget -PostgreSql -ConnectionString "Host=$pgHost;Port=$pgPort;Database=$database;Username=$pgUser;Password=secret" `
            -Table 'public.items' -WarningVariable warnings -WarningAction SilentlyContinue
        $target | Should -BeOfType PsBackup.PostgreSqlTarget
        $target.Kind | Should -Be 'PostgreSql'
        $target.Database | Should -Be $database
        $target.Tables | Should -Be 'public.items'
        $warnings | Should -Match 'password'
        ($target | ConvertTo-Json) | Should -Not -Match 'secret'
    }

    Context 'A full and an incremental, restored next to the originals' {
        BeforeAll {
            New-BackupTarget -PostgreSql -Server $pgHost -Port $pgPort -Database $database -UserName $pgUser -Table 'public.items' -Name items |
                New-BackupCollection -Name pg -Repository $repository -IncrementalBackupEnabled | Out-Null
            $full = Invoke-Backup -Name pg -Repository $repository
            Invoke-Sql $database "UPDATE items SET qty = qty + 1 WHERE id % 5 = 0; DELETE FROM items WHERE id > 450; INSERT INTO items (name, qty) VALUES ('new', 1);"
            $incremental = Invoke-Backup -Name pg -Repository $repository -Incremental
            $restored = Get-Backup -Collection pg -Repository $repository -Latest |
                Restore-Backup -Repository $repository -TablePrefix drill_ -Confirm:$false
        }

        It 'backs up and restores row for row' {
            $full.Status | Should -Be 'Complete'
            $incremental.Type | Should -Be 'Incremental'
            $restored.ItemCount | Should -Be 1
            $restored.Destination | Should -Match 'drill_'
            $original = Invoke-Sql $database "SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i"
            Invoke-Sql $database "SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM drill_items i" | Should -Be $original
        }

        It 'refuses to restore over tables with rows without -Force' {
            Get-Backup -Collection pg -Repository $repository -Latest |
                Restore-Backup -Repository $repository -TablePrefix drill_ -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'RestoreWouldOverwrite,*'
        }

        It 'Get-BackupTargetStatus shows the replication slot, in a view that fits 80 columns' {
            $status = @(Get-BackupTargetStatus -Name pg -Repository $repository -ErrorVariable err)
            $err | Should -BeNullOrEmpty
            $status.Count | Should -Be 1
            $status[0].ReplicationSlot | Should -BeLike 'psbackup_*'
            $status[0].RetainedWalBytes | Should -BeGreaterOrEqual 0
            $lines = @($status | Get-ViewLine)
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
            $lines[0] -split '\s+' | Should -Be @('Collection', 'Target', 'Reachable', 'Lag', 'Details')
            ($lines -join '') -replace '\s+', '' | Should -BeLike "*$($status[0].ReplicationSlot)*"
        }
    }

    It 'Remove-BackupCollection drops the replication slot of the collection' {
        New-BackupTarget -PostgreSql -Server $pgHost -Port $pgPort -Database $database -UserName $pgUser -Table 'public.items' -Name items |
            New-BackupCollection -Name pg-removed -Repository $repository -IncrementalBackupEnabled -ErrorAction Stop | Out-Null
        $null = Invoke-Backup -Name pg-removed -Repository $repository -ErrorAction Stop
        $slot = (Get-BackupTargetStatus -Name pg-removed -Repository $repository -ErrorAction Stop).ReplicationSlot
        Invoke-Sql postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'" | Should -Be '1'

        Remove-BackupCollection -Name pg-removed -Repository $repository -Confirm:$false -ErrorVariable err
        $err | Should -BeNullOrEmpty
        Invoke-Sql postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'" | Should -Be '0'
        Test-Path -LiteralPath (Join-Path $repository 'collections' 'pg-removed') | Should -BeFalse
    }

    Context 'A schema with an enum, a foreign key and a partitioned table, restored into an empty database' {
        BeforeAll {
            $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
            $schemaDb = "psb_pester_schema_$suffix"
            $restoreDb = "psb_pester_schemadst_$suffix"
            Invoke-Sql postgres "CREATE DATABASE $schemaDb" | Out-Null
            Invoke-Sql postgres "CREATE DATABASE $restoreDb" | Out-Null
            Invoke-Sql $schemaDb @'
CREATE TYPE status AS ENUM ('new', 'paid', 'void');
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int NOT NULL, customer_id int NOT NULL REFERENCES customers, status status NOT NULL DEFAULT 'new',
    placed date NOT NULL, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
INSERT INTO orders SELECT g, 1 + g % 20, (enum_range(NULL::status))[1 + g % 3], date '2025-06-01' + g FROM generate_series(1, 400) g;
'@ | Out-Null
            New-BackupTarget -PostgreSql -Server $pgHost -Port $pgPort -Database $schemaDb -UserName $pgUser -Table 'public.customers', 'public.orders' -Name shop |
                New-BackupCollection -Name schema -Repository $repository | Out-Null
            $backup = Invoke-Backup -Name schema -Repository $repository -ErrorVariable backupErrors
            $restored = $backup | Restore-Backup -Repository $repository -Destination $restoreDb -Confirm:$false -ErrorVariable restoreErrors
        }

        AfterAll {
            Invoke-Sql postgres "DROP DATABASE IF EXISTS $schemaDb WITH (FORCE)" | Out-Null
            Invoke-Sql postgres "DROP DATABASE IF EXISTS $restoreDb WITH (FORCE)" | Out-Null
        }

        It 'recreates the enum, the foreign key and the attached partitions with every row in its partition' {
            $backupErrors.Count | Should -Be 0
            $restoreErrors.Count | Should -Be 0
            $restored | Should -HaveCount 1
            $restored.ItemCount | Should -Be 4     # customers, orders and its two partitions
            Invoke-Sql $restoreDb "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'public.status'::regtype" |
                Should -Be 'new,paid,void'
            Invoke-Sql $restoreDb "SELECT string_agg(i.inhrelid::regclass::text, ',' ORDER BY 1) FROM pg_inherits i WHERE i.inhparent = 'public.orders'::regclass" |
                Should -Be 'orders_2025,orders_2026'
            foreach ($table in 'customers', 'orders_2025', 'orders_2026') {
                $sql = "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM $table t"
                Invoke-Sql $restoreDb $sql | Should -Be (Invoke-Sql $schemaDb $sql)
            }
            Invoke-Sql $restoreDb "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'public.orders'::regclass" |
                Should -Be 'FOREIGN KEY (customer_id) REFERENCES customers(id)'
        }
    }

    It 'a wrong password is a TargetAuthenticationFailed error' {
        Invoke-Sql postgres "DO `$`$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'psbackup_secure') THEN CREATE ROLE psbackup_secure LOGIN SUPERUSER; END IF; END `$`$; ALTER ROLE psbackup_secure PASSWORD 'right'" | Out-Null
        New-BackupTarget -PostgreSql -Server $pgHost -Port $pgPort -Database $database -UserName psbackup_secure |
            New-BackupCollection -Name secure -Repository $repository | Out-Null
        $wrong = [pscredential]::new('psbackup_secure', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        Invoke-Backup -Name secure -Repository $repository -Credential $wrong -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'TargetAuthenticationFailed,*'
    }
}
