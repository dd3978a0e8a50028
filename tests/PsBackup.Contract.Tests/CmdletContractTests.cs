namespace PsBackup.Contract.Tests;

/// <summary>Names, output types, ShouldProcess and parameter metadata of every cmdlet in PsBackup.dll.</summary>
[Collection(ModuleCollection.Name)]
public sealed class CmdletContractTests(ModuleUnderTest module)
{
    /// <summary>Get-Verb of PowerShell 7.4 (System.Management.Automation's Verbs* classes): 100 verbs.</summary>
    public static readonly IReadOnlySet<string> ApprovedVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        // Common
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move",
        "New", "Open", "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select",
        "Set", "Show", "Skip", "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        // Communications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // Data
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit",
        "Expand", "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore",
        "Save", "Sync", "Unpublish", "Update",
        // Diagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // Lifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke",
        "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // Security
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        // Other
        "Use",
    };

    /// <summary>Common parameters (PowerShell 7.4, with ProgressAction) and ShouldProcess parameters, with their aliases.</summary>
    private static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "vb", "Debug", "db", "ErrorAction", "ea", "WarningAction", "wa", "InformationAction", "infa",
        "ProgressAction", "proga", "ErrorVariable", "ev", "WarningVariable", "wv", "InformationVariable", "iv",
        "OutVariable", "ov", "OutBuffer", "ob", "PipelineVariable", "pv", "WhatIf", "wi", "Confirm", "cf",
    };

    public static readonly string[] ExpectedCmdlets =
    [
        "New-BackupTarget", "New-BackupCollection", "Get-BackupCollection", "Remove-BackupCollection",
        "Invoke-Backup", "Get-Backup", "Restore-Backup", "Test-Backup", "Copy-Backup",
        "Get-BackupStorageLifecycle", "Set-BackupStorageLifecycle", "Remove-BackupStorageLifecycle",
        "Get-BackupTargetStatus",
        "Get-BackupRecoveryWindow", "Get-BackupArchiveCommand",
        "Invoke-RetentionPolicy", "Set-Backup", "Set-BackupCollection",
        "Get-BackupRun", "Export-BackupMetrics",
        "Invoke-RestoreDrill", "Get-RestoreDrill",
        "Test-DrEnvironment", "Start-Failover",
    ];

    /// <summary>Nouns without "Backup" that an issue named explicitly (issue 7: Invoke-RetentionPolicy; issue 15: Invoke-RestoreDrill, Get-RestoreDrill; issue 16: Test-DrEnvironment, Start-Failover).</summary>
    private static readonly IReadOnlySet<string> NamedNouns = new HashSet<string>(StringComparer.Ordinal) { "RetentionPolicy", "RestoreDrill", "DrEnvironment", "Failover" };

    [Fact]
    public void The_module_has_the_expected_cmdlets()
    {
        Assert.Equal(ExpectedCmdlets.Order(StringComparer.Ordinal), module.CmdletTypes.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb_and_a_Backup_noun()
    {
        Assert.Equal(100, ApprovedVerbs.Count);
        var wrong = module.CmdletTypes
            .Where(c => !ApprovedVerbs.Contains(c.Verb) || !(c.Noun.Contains("Backup", StringComparison.Ordinal) || NamedNouns.Contains(c.Noun)))
            .Select(c => c.Name).ToList();
        Assert.True(wrong.Count == 0, $"Unapproved verb or non-Backup noun: {string.Join(", ", wrong)}");
    }

    [Fact]
    public void Every_cmdlet_type_is_a_public_concrete_PSCmdlet()
    {
        foreach (var cmdlet in module.CmdletTypes)
        {
            Assert.True(cmdlet.Type.IsPublic && !cmdlet.Type.IsAbstract, $"{cmdlet.Type} must be public and concrete.");
            var chain = new List<string>();
            for (var t = cmdlet.Type.BaseType; t != null; t = t.BaseType) chain.Add(t.FullName!);
            Assert.Contains("System.Management.Automation.PSCmdlet", chain);
        }
    }

    [Fact]
    public void Every_cmdlet_declares_an_OutputType_from_PsBackup_Abstractions()
    {
        var abstractions = module.Abstractions.GetExportedTypes().Select(t => t.FullName).ToHashSet();
        foreach (var cmdlet in module.CmdletTypes)
        {
            var declared = cmdlet.Attributes("OutputTypeAttribute").SelectMany(a => ModuleUnderTest.ArrayArgument(a))
                .Select(v => v is Type t ? t.FullName : v as string).ToList();
            Assert.True(declared.Count > 0, $"{cmdlet} has no [OutputType].");
            foreach (var name in declared)
            {
                if (cmdlet.Verb == "Remove")
                    Assert.True(name == "System.Void", $"{cmdlet} writes nothing; its [OutputType] names {name}.");
                else if (name == "System.Boolean")
                    Assert.True(cmdlet.Type.GetProperty("Quiet") != null, $"{cmdlet} declares a bool output but has no -Quiet.");
                else if (cmdlet.Name == "Export-BackupMetrics")
                    Assert.True(name == "System.String", $"{cmdlet} writes Prometheus text (a string); its [OutputType] names {name}.");
                else
                    Assert.True(name != null && abstractions.Contains(name), $"{cmdlet}'s [OutputType] names {name}, which is not a public type of PsBackup.Abstractions.dll.");
            }
        }
    }

    [Theory]
    [InlineData("Remove-BackupCollection")]
    [InlineData("Restore-Backup")]
    public void Destructive_cmdlets_support_ShouldProcess_with_high_impact(string name)
    {
        var cmdlet = module.Cmdlet(name);
        Assert.True(cmdlet.SupportsShouldProcess, $"{name} must declare SupportsShouldProcess = true.");
        Assert.Equal("High", cmdlet.ConfirmImpact);
    }

    [Fact]
    public void Every_Remove_or_Restore_cmdlet_is_covered_by_the_destructive_check()
    {
        foreach (var cmdlet in module.CmdletTypes.Where(c => c.Verb is "Remove" or "Restore" or "Clear" or "Reset"))
        {
            Assert.True(cmdlet.SupportsShouldProcess, $"{cmdlet} must declare SupportsShouldProcess = true.");
            Assert.Equal("High", cmdlet.ConfirmImpact);
        }
    }

    [Fact]
    public void Copy_Backup_supports_ShouldProcess_with_medium_impact_and_takes_its_destination_by_name()
    {
        var cmdlet = module.Cmdlet("Copy-Backup");
        Assert.True(cmdlet.SupportsShouldProcess);
        Assert.Equal("Medium", cmdlet.ConfirmImpact);
        Assert.True(cmdlet.Parameter("DestinationRepository").IsMandatoryEverywhere);
        Assert.Equal("System.Management.Automation.PSCredential", cmdlet.Parameter("DestinationS3Credential").Type.FullName);
        Assert.Equal("System.Security.SecureString", cmdlet.Parameter("EncryptionPassphrase").Type.FullName);
    }

    [Fact]
    public void Retention_and_the_Set_cmdlets_support_ShouldProcess()
    {
        var retention = module.Cmdlet("Invoke-RetentionPolicy");
        Assert.True(retention.SupportsShouldProcess, "Invoke-RetentionPolicy deletes: it needs -WhatIf/-Confirm.");
        Assert.Equal("Medium", retention.ConfirmImpact); // a scheduled script runs it without prompts at the default $ConfirmPreference
        Assert.Equal("PsBackup.RetentionPolicy", retention.Parameter("RetentionPolicy").Type.FullName);
        Assert.Equal("System.TimeSpan", retention.Parameter("KeepWithin").Type.FullName);
        Assert.Equal("System.TimeSpan", retention.Parameter("UnfinishedGracePeriod").Type.FullName);
        foreach (var name in new[] { "KeepLast", "KeepHourly", "KeepDaily", "KeepWeekly", "KeepMonthly", "KeepYearly" })
            Assert.Equal("System.Int32", retention.Parameter(name).Type.FullName);
        Assert.True(module.Cmdlet("Set-Backup").SupportsShouldProcess);
        Assert.True(module.Cmdlet("Set-Backup").Parameter("Pinned").IsSwitch);
        Assert.True(module.Cmdlet("Set-BackupCollection").SupportsShouldProcess);
        Assert.Equal("PsBackup.RetentionPolicy", module.Cmdlet("Set-BackupCollection").Parameter("RetentionPolicy").Type.FullName);
        Assert.Equal("PsBackup.RetentionPolicy", module.Cmdlet("New-BackupCollection").Parameter("RetentionPolicy").Type.FullName);
    }

    [Fact]
    public void RetentionPolicy_is_constructible_from_a_hashtable_and_RetentionDecision_is_flat()
    {
        // [PsBackup.RetentionPolicy]@{ KeepDaily = 30 } needs a public parameterless constructor and public setters.
        var policy = module.Abstractions.GetType("PsBackup.RetentionPolicy", throwOnError: true)!;
        Assert.NotNull(policy.GetConstructor(Type.EmptyTypes));
        foreach (var name in new[] { "KeepLast", "KeepHourly", "KeepDaily", "KeepWeekly", "KeepMonthly", "KeepYearly", "KeepWithin", "KeepLogWithin", "KeepTags", "TimeZone" })
            Assert.True(policy.GetProperty(name)?.SetMethod is { IsPublic: true }, $"RetentionPolicy.{name} needs a public setter.");
        var decision = module.Abstractions.GetType("PsBackup.RetentionDecision", throwOnError: true)!;
        // Lists are StringList, whose ToString() joins them ("a, b"): Export-Csv writes a string[] as "System.String[]".
        var flat = new HashSet<string> { "System.String", "PsBackup.StringList", "System.Int32", "System.Int64", "System.Boolean", "System.DateTimeOffset", "PsBackup.BackupType", "PsBackup.RetentionAction" };
        foreach (var property in decision.GetProperties())
            Assert.True(flat.Contains(property.PropertyType.FullName!), $"RetentionDecision.{property.Name} is {property.PropertyType}; Export-Csv needs flat values.");
        var list = module.Abstractions.GetType("PsBackup.StringList", throwOnError: true)!;
        Assert.Equal(list, list.GetMethod("ToString", Type.EmptyTypes)!.DeclaringType);
        Assert.Equal("PsBackup.StringList", module.Abstractions.GetType("PsBackup.BackupInfo", throwOnError: true)!.GetProperty("Tags")!.PropertyType.FullName);
        Assert.Equal("System.String", decision.GetProperty("Reasons")!.PropertyType.FullName);
    }

    [Fact]
    public void RestoreDrillResult_is_flat_and_Invoke_RestoreDrill_supports_WhatIf()
    {
        // Export-Csv writes one useful row per drill: values, TimeSpans, and the checks as a summary (RestoreDrillCheckList.ToString()).
        var result = module.Abstractions.GetType("PsBackup.RestoreDrillResult", throwOnError: true)!;
        var flat = new HashSet<string> { "System.String", "System.Int32", "System.Boolean", "System.DateTimeOffset", "System.TimeSpan", "PsBackup.DrillStatus", "PsBackup.RestoreDrillCheckList" };
        foreach (var property in result.GetProperties())
        {
            Assert.True(flat.Contains(Underlying(property.PropertyType).FullName!), $"RestoreDrillResult.{property.Name} is {property.PropertyType}; Export-Csv needs flat values.");
        }
        var list = module.Abstractions.GetType("PsBackup.RestoreDrillCheckList", throwOnError: true)!;
        Assert.Equal(list, list.GetMethod("ToString", Type.EmptyTypes)!.DeclaringType);
        var drill = module.Cmdlet("Invoke-RestoreDrill");
        Assert.True(drill.SupportsShouldProcess, "Invoke-RestoreDrill creates scratch databases and servers: -WhatIf shows the plan.");
        Assert.Equal("Medium", drill.ConfirmImpact); // a scheduled drill runs without prompts at the default $ConfirmPreference
        Assert.True(drill.Parameter("Collection").IsMandatoryEverywhere);
        Assert.True(drill.Parameter("KeepRestored").IsSwitch);
        foreach (var name in new[] { "MaxRto", "MaxRpo" })
            Assert.Equal("System.TimeSpan", Underlying(drill.Parameter(name).Type).FullName);
        Assert.Equal("System.Security.SecureString", drill.Parameter("EncryptionPassphrase").Type.FullName);
        Assert.True(module.Cmdlet("Get-RestoreDrill").Parameter("Latest").IsSwitch);
    }

    /// <summary>T of a Nullable&lt;T&gt; (types here come from a metadata load context, so by name), else the type itself.</summary>
    private static Type Underlying(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? type.GetGenericArguments()[0] : type;

    [Fact]
    public void Restore_Backup_has_a_Force_switch()
    {
        Assert.True(module.Cmdlet("Restore-Backup").Parameter("Force").IsSwitch);
    }

    [Fact]
    public void Parameter_names_and_aliases_are_unique_and_do_not_shadow_common_parameters()
    {
        foreach (var cmdlet in module.CmdletTypes)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in cmdlet.Parameters.SelectMany(p => p.NamesAndAliases))
            {
                Assert.True(seen.Add(name), $"{cmdlet}: the name or alias '{name}' is used twice.");
                Assert.False(ReservedNames.Contains(name), $"{cmdlet}: '{name}' collides with a common parameter.");
            }
        }
    }

    [Fact]
    public void Positions_are_unique_and_pipeline_by_value_is_unambiguous_within_each_parameter_set()
    {
        foreach (var cmdlet in module.CmdletTypes)
        {
            var bySet = cmdlet.Parameters.SelectMany(p => p.Sets.Select(s => (Parameter: p, Set: s))).ToList();
            var named = bySet.Select(x => x.Parameter.SetName(x.Set)).Where(s => s != ParameterInfo.AllSets).Distinct().ToList();
            var sets = named.Count == 0 ? [ParameterInfo.AllSets] : named;
            foreach (var set in sets)
            {
                var members = bySet.Where(x => x.Parameter.SetName(x.Set) is var s && (s == set || s == ParameterInfo.AllSets)).ToList();
                var positions = members.Select(x => x.Parameter.Position(x.Set)).Where(p => p >= 0).ToList();
                Assert.True(positions.Count == positions.Distinct().Count(), $"{cmdlet}, set {set}: two parameters share a position.");
                var byValue = members.Where(x => x.Parameter.ByValue(x.Set)).Select(x => x.Parameter).ToList();
                Assert.True(byValue.Select(p => p.Type).Distinct().Count() == byValue.Count,
                    $"{cmdlet}, set {set}: several ValueFromPipeline parameters of one type ({string.Join(", ", byValue)}).");
            }
            if (cmdlet.DefaultParameterSetName is { } defaultSet && named.Count > 0)
                Assert.Contains(defaultSet, named);
        }
    }

    [Fact]
    public void Every_parameter_property_is_publicly_settable()
    {
        foreach (var parameter in module.CmdletTypes.SelectMany(c => c.Parameters))
            Assert.True(parameter.Property.SetMethod is { IsPublic: true } && parameter.Property.GetMethod is { IsPublic: true },
                $"-{parameter.Name} of {parameter.Property.DeclaringType} needs a public getter and setter.");
    }

    [Fact]
    public void Secrets_are_SecureStrings_named_EncryptionPassphrase()
    {
        var all = module.CmdletTypes.SelectMany(c => c.Parameters.Select(p => (Cmdlet: c, Parameter: p))).ToList();
        foreach (var (cmdlet, parameter) in all)
        {
            var secureString = parameter.Type.FullName == "System.Security.SecureString";
            if (secureString)
                Assert.True(parameter.Name == "EncryptionPassphrase", $"{cmdlet} -{parameter.Name}: a SecureString parameter is named EncryptionPassphrase.");
            // A path to a secret (Get-BackupArchiveCommand -PassphraseFile: a file on the database host) is not one.
            var sounds = parameter.NamesAndAliases.Any(n =>
                (n.Contains("Password", StringComparison.OrdinalIgnoreCase) || n.Contains("Passphrase", StringComparison.OrdinalIgnoreCase)
                 || n.Contains("Secret", StringComparison.OrdinalIgnoreCase))
                && !n.EndsWith("File", StringComparison.Ordinal) && !n.EndsWith("Path", StringComparison.Ordinal));
            if (sounds)
                Assert.True(parameter.Type.FullName is "System.Security.SecureString" or "System.Management.Automation.PSCredential",
                    $"{cmdlet} -{parameter.Name} is a secret typed {parameter.Type}; secrets are SecureString (or PSCredential), never plain strings.");
        }
        // The cmdlets that touch encrypted data take the passphrase.
        foreach (var name in new[] { "New-BackupCollection", "Invoke-Backup", "Restore-Backup", "Test-Backup" })
            Assert.Equal("System.Security.SecureString", module.Cmdlet(name).Parameter("EncryptionPassphrase").Type.FullName);
    }

    [Fact]
    public void Wildcard_parameters_are_marked_SupportsWildcards()
    {
        Assert.True(module.Cmdlet("Get-Backup").Parameter("Collection").SupportsWildcards);
        Assert.True(module.Cmdlet("Get-BackupCollection").Parameter("Name").SupportsWildcards);
        // Deleting by pattern is not supported: the engine takes literal names.
        Assert.False(module.Cmdlet("Remove-BackupCollection").Parameter("Name").SupportsWildcards);
    }

    [Fact]
    public void The_module_has_a_public_IModuleAssemblyInitializer()
    {
        var initializers = module.Cmdlets.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer"))
            .ToList();
        var initializer = Assert.Single(initializers);
        Assert.True(initializer.IsPublic && !initializer.IsAbstract, $"{initializer} must be public and concrete; PowerShell creates it on import.");
        Assert.NotNull(initializer.GetConstructor(Type.EmptyTypes));
    }
}
