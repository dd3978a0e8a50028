using System.Reflection;

namespace PsBackup.Contract.Tests;

/// <summary>
/// Dependency isolation: only PsBackup.dll and PsBackup.Abstractions.dll sit in the module root;
/// the engine and its packages load from Dependencies/ into their own AssemblyLoadContext.
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed class LayoutTests(ModuleUnderTest module)
{
    private static readonly string[] RootAssemblies = ["PsBackup.Abstractions.dll", "PsBackup.dll"];

    private static IEnumerable<string> Dlls(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, "*.dll").Select(f => Path.GetFileName(f)!) : [];

    [Fact]
    public void The_module_root_holds_only_our_two_assemblies()
    {
        Assert.Equal(RootAssemblies, Dlls(module.ModuleRoot).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_engine_and_its_packages_are_in_Dependencies()
    {
        var dependencies = Dlls(module.DependencyRoot).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("PsBackup.Engine.dll", dependencies);
        Assert.Contains("Newtonsoft.Json.dll", dependencies);
        // A second copy of the shared types would split type identity between the cmdlets and the engine.
        Assert.DoesNotContain("PsBackup.Abstractions.dll", dependencies);
        Assert.DoesNotContain("PsBackup.dll", dependencies);
        Assert.DoesNotContain("System.Management.Automation.dll", dependencies);
    }

    [Fact]
    public void Nothing_but_Dependencies_archiver_and_en_US_below_the_module_root()
    {
        // archiver/: psbackup-cli, the WAL archiver PostgreSQL runs (a separate program with its own engine copy).
        var folders = Directory.GetDirectories(module.ModuleRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["Dependencies", "archiver", "en-US"], folders);
    }

    [Fact]
    public void PsBackup_dll_references_the_engine_but_no_third_party_assembly()
    {
        var references = module.Cmdlets.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.Contains("PsBackup.Engine", references);
        Assert.Contains("PsBackup.Abstractions", references);
        var thirdParty = references.Where(r => !(r.StartsWith("System.", StringComparison.Ordinal) || r.StartsWith("Microsoft.", StringComparison.Ordinal)
                                                  || r is "System" or "netstandard" or "mscorlib" || r.StartsWith("PsBackup.", StringComparison.Ordinal))).ToList();
        Assert.True(thirdParty.Count == 0, $"PsBackup.dll references third-party assemblies: {string.Join(", ", thirdParty)}. Only the engine may.");
    }

    [Fact]
    public void PsBackup_Abstractions_references_only_the_framework()
    {
        var foreign = module.Abstractions.GetReferencedAssemblies().Where(r => !module.IsFramework(r)).Select(r => r.Name).ToList();
        Assert.True(foreign.Count == 0, $"PsBackup.Abstractions.dll must reference only the .NET framework; it references {string.Join(", ", foreign)}.");
    }

    [Fact]
    public void The_engine_does_not_reference_PowerShell()
    {
        Assert.NotNull(module.Engine);
        var references = module.Engine!.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.DoesNotContain("System.Management.Automation", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.PowerShell", StringComparison.Ordinal));
        Assert.DoesNotContain("PsBackup", references);
    }

    [Fact]
    public void Every_non_framework_reference_is_shipped_where_its_load_context_finds_it()
    {
        var root = Dlls(module.ModuleRoot).Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var dependencies = Dlls(module.DependencyRoot).Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);

        // PsBackup.dll loads in PowerShell's context: the host provides PowerShell itself, the module root
        // provides Abstractions, and the engine is handed over from Dependencies/ by the resolving handler.
        foreach (var reference in module.Cmdlets.GetReferencedAssemblies().Where(r => !module.IsFramework(r)))
            Assert.True(reference.Name == "System.Management.Automation" || root.Contains(reference.Name!) || reference.Name == "PsBackup.Engine" && dependencies.Contains(reference.Name),
                $"PsBackup.dll needs {reference.Name}, which the module does not ship.");

        // Everything loaded from Dependencies/ must find its own references there (or Abstractions in the root).
        foreach (var file in Directory.GetFiles(module.DependencyRoot, "*.dll"))
        {
            var name = AssemblyName.GetAssemblyName(file);
            var assembly = module.Engine != null && name.Name == module.Engine.GetName().Name ? module.Engine : null;
            var references = assembly?.GetReferencedAssemblies() ?? ReferencesOf(file);
            foreach (var reference in references.Where(r => !module.IsFramework(r)))
                Assert.True(dependencies.Contains(reference.Name!) || reference.Name == "PsBackup.Abstractions",
                    $"{Path.GetFileName(file)} needs {reference.Name}, which is not in Dependencies/.");
        }
    }

    private static AssemblyName[] ReferencesOf(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h).GetAssemblyName()).ToArray();
    }
}
