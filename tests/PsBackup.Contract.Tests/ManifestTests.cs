namespace PsBackup.Contract.Tests;

/// <summary>PsBackup.psd1 as shipped in the module folder.</summary>
[Collection(ModuleCollection.Name)]
public sealed class ManifestTests(ModuleUnderTest module)
{
    private Psd1 Manifest => module.Manifest;

    [Fact]
    public void The_shipped_manifest_is_the_repository_manifest()
    {
        Assert.Equal(File.ReadAllText(module.ManifestSource), File.ReadAllText(Path.Combine(module.ModuleRoot, "PsBackup.psd1")));
    }

    [Fact]
    public void CmdletsToExport_is_exactly_the_cmdlets_compiled_into_PsBackup_dll()
    {
        var exported = Manifest.Array("CmdletsToExport");
        Assert.NotNull(exported);
        Assert.DoesNotContain(exported, e => e.Contains('*') || e.Contains('?'));
        Assert.Equal(exported.Count, exported.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(
            module.CmdletTypes.Select(c => c.Name).Order(StringComparer.Ordinal),
            exported.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("AliasesToExport")]
    [InlineData("VariablesToExport")]
    public void Other_exports_are_explicit_and_empty(string key)
    {
        // Absent or '*' makes PowerShell export (and auto-load-scan) everything.
        var values = Manifest.Array(key);
        Assert.NotNull(values);
        Assert.Empty(values);
    }

    [Fact]
    public void RootModule_is_PsBackup_dll()
    {
        Assert.Equal("PsBackup.dll", Manifest.Scalar("RootModule"));
        Assert.False(Manifest.Has("ModuleToProcess"), "ModuleToProcess is the obsolete name of RootModule.");
        // The one nested module is the guard that runs before PsBackup.dll loads (one version per session).
        Assert.Equal(["PsBackup.VersionGuard.ps1"], Manifest.Array("NestedModules")!);
    }

    [Fact]
    public void Requires_PowerShell_7_4_Core()
    {
        Assert.Equal("7.4", Manifest.Scalar("PowerShellVersion"));
        Assert.Equal(["Core"], Manifest.Array("CompatiblePSEditions"));
    }

    [Fact]
    public void ModuleVersion_matches_the_assembly_version_and_the_folder()
    {
        var version = System.Version.Parse(Manifest.Scalar("ModuleVersion")!);
        var assembly = module.Cmdlets.GetName().Version!;
        Assert.Equal($"{assembly.Major}.{assembly.Minor}.{assembly.Build}", $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}");
        Assert.Equal(Manifest.Scalar("ModuleVersion"), Path.GetFileName(module.ModuleRoot));
    }

    [Fact]
    public void Has_a_GUID_and_a_description()
    {
        Assert.True(Guid.TryParse(Manifest.Scalar("GUID"), out _), "GUID must be a GUID.");
        Assert.False(string.IsNullOrWhiteSpace(Manifest.Scalar("Description")));
    }

    [Fact]
    public void FormatsToProcess_files_exist_in_the_module_root()
    {
        var formats = Manifest.Array("FormatsToProcess");
        Assert.NotNull(formats);
        Assert.NotEmpty(formats);
        foreach (var file in formats)
        {
            Assert.False(Path.IsPathRooted(file), $"'{file}' must be relative to the module root.");
            Assert.True(File.Exists(Path.Combine(module.ModuleRoot, file)), $"FormatsToProcess names '{file}', which is not in {module.ModuleRoot}.");
        }
        Assert.False(Manifest.Has("TypesToProcess") && Manifest.Array("TypesToProcess")!.Any(f => !File.Exists(Path.Combine(module.ModuleRoot, f))));
    }

    [Fact]
    public void No_RequiredAssemblies()
    {
        // Listing the engine or its packages there would load them into the default context, defeating Dependencies/.
        var required = Manifest.Array("RequiredAssemblies");
        Assert.True(required == null || required.Count == 0, $"RequiredAssemblies must be absent; it lists {string.Join(", ", required ?? [])}.");
    }

    [Fact]
    public void The_parser_reads_comma_lists_comments_and_nested_tables()
    {
        var parsed = Psd1.Parse("""
            # comment
            @{
                A = 'x', "y" # trailing
                <# block
                   comment #>
                B = @(
                    'p'
                    'q', 'r'
                )
                C = @{ D = 'it''s'; E = @() }
                F = $true
            }
            """);
        Assert.Equal(["x", "y"], parsed.Array("A"));
        Assert.Equal(["p", "q", "r"], parsed.Array("B"));
        Assert.Equal("it's", parsed.Table("C")!["D"]);
        Assert.Equal("True", parsed.Scalar("F"));
        Assert.Throws<FormatException>(() => Psd1.Parse("@{ A = 'x' "));
    }
}
