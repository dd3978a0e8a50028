using System.Collections.ObjectModel;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PsBackup.Contract.Tests;

/// <summary>
/// The built, importable module (out/PsBackup/&lt;version&gt;/) loaded for inspection only, with
/// System.Reflection.MetadataLoadContext. Nothing here is ever executed: cmdlet types come from
/// PowerShellStandard.Library stubs, and attributes are read as CustomAttributeData only.
/// </summary>
public sealed class ModuleUnderTest : IDisposable
{
    public const string SmaNamespace = "System.Management.Automation";

    private readonly MetadataLoadContext _context;

    public ModuleUnderTest()
    {
        RepoRoot = FindRepoRoot();
        ManifestSource = Path.Combine(RepoRoot, "PsBackup.psd1");
        Version = FindModuleVersion(RepoRoot, ManifestSource);
        ModuleRoot = Path.Combine(RepoRoot, "out", "PsBackup", Version);
        if (!File.Exists(Path.Combine(ModuleRoot, "PsBackup.dll")))
            throw new InvalidOperationException($"The module is not built at '{ModuleRoot}'. Run 'dotnet build src/PsBackup' first.");
        DependencyRoot = Path.Combine(ModuleRoot, "Dependencies");
        RuntimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();

        var paths = new List<string>();
        paths.AddRange(Directory.GetFiles(RuntimeDirectory, "*.dll"));
        paths.AddRange(Directory.GetFiles(ModuleRoot, "*.dll"));
        if (Directory.Exists(DependencyRoot))
            paths.AddRange(Directory.GetFiles(DependencyRoot, "*.dll"));
        paths.Add(SmaStubPath());
        _context = new MetadataLoadContext(new PathAssemblyResolver(paths));

        Cmdlets = _context.LoadFromAssemblyPath(Path.Combine(ModuleRoot, "PsBackup.dll"));
        Abstractions = _context.LoadFromAssemblyPath(Path.Combine(ModuleRoot, "PsBackup.Abstractions.dll"));
        var engine = Path.Combine(DependencyRoot, "PsBackup.Engine.dll");
        Engine = File.Exists(engine) ? _context.LoadFromAssemblyPath(engine) : null;
        Manifest = Psd1.Parse(File.ReadAllText(Path.Combine(ModuleRoot, "PsBackup.psd1")));
        CmdletTypes = Cmdlets.GetTypes()
            .Select(t => (Type: t, Data: Attributes(t, "CmdletAttribute").FirstOrDefault()))
            .Where(x => x.Data != null)
            .Select(x => new CmdletInfo(x.Type, x.Data!))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    public string RepoRoot { get; }
    public string ManifestSource { get; }
    public string Version { get; }
    public string ModuleRoot { get; }
    public string DependencyRoot { get; }
    public string RuntimeDirectory { get; }
    public Assembly Cmdlets { get; }
    public Assembly Abstractions { get; }
    public Assembly? Engine { get; }
    public Psd1 Manifest { get; }
    public IReadOnlyList<CmdletInfo> CmdletTypes { get; }

    public CmdletInfo Cmdlet(string name) =>
        CmdletTypes.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"PsBackup.dll has no cmdlet '{name}'.");

    /// <summary>True for assemblies of the shared framework (Microsoft.NETCore.App) PowerShell runs on.</summary>
    public bool IsFramework(AssemblyName name) =>
        name.Name is "mscorlib" or "netstandard" || File.Exists(Path.Combine(RuntimeDirectory, name.Name + ".dll"));

    public void Dispose() => _context.Dispose();

    /// <summary>Attributes of a member whose type is System.Management.Automation.&lt;name&gt;, as CustomAttributeData.</summary>
    public static IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string name) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.FullName == $"{SmaNamespace}.{name}");

    public static T? Named<T>(CustomAttributeData data, string name, T? fallback = default)
    {
        foreach (var argument in data.NamedArguments)
            if (argument.MemberName == name)
                return (T?)argument.TypedValue.Value;
        return fallback;
    }

    /// <summary>The name of an enum value carried by an attribute argument (MetadataLoadContext types cannot use Enum.GetName).</summary>
    public static string? EnumName(CustomAttributeData data, string name)
    {
        foreach (var argument in data.NamedArguments)
        {
            if (argument.MemberName != name) continue;
            var enumType = argument.TypedValue.ArgumentType;
            return enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
                .FirstOrDefault(f => Equals(Convert.ToInt64(f.GetRawConstantValue()), Convert.ToInt64(argument.TypedValue.Value)))?.Name;
        }
        return null;
    }

    /// <summary>The values of a params-array constructor argument ([Alias("a","b")], [OutputType(typeof(X))]).</summary>
    public static IEnumerable<object?> ArrayArgument(CustomAttributeData data, int index = 0)
    {
        var argument = data.ConstructorArguments[index];
        return argument.Value is ReadOnlyCollection<CustomAttributeTypedArgument> items
            ? items.Select(i => i.Value)
            : [argument.Value];
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PsBackup.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No PsBackup.sln above '{AppContext.BaseDirectory}'.");
    }

    private static string FindModuleVersion(string repoRoot, string manifest)
    {
        var version = File.Exists(manifest) ? Psd1.Parse(File.ReadAllText(manifest)).Scalar("ModuleVersion") : null;
        if (version != null) return version;
        var folders = Directory.Exists(Path.Combine(repoRoot, "out", "PsBackup"))
            ? Directory.GetDirectories(Path.Combine(repoRoot, "out", "PsBackup"))
            : [];
        return folders.Length == 1
            ? Path.GetFileName(folders[0])
            : throw new InvalidOperationException("Cannot tell the module version: no ModuleVersion in PsBackup.psd1 and not exactly one folder under out/PsBackup.");
    }

    private static string SmaStubPath()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "powershellstandard.library", "5.1.0-preview-06", "lib", "netstandard2.0", "System.Management.Automation.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"PowerShellStandard.Library is not restored: '{path}' is missing.");
    }
}

/// <summary>A [Cmdlet] type and its parameters, from metadata.</summary>
public sealed class CmdletInfo
{
    public CmdletInfo(Type type, CustomAttributeData cmdlet)
    {
        Type = type;
        Attribute = cmdlet;
        Verb = (string)cmdlet.ConstructorArguments[0].Value!;
        Noun = (string)cmdlet.ConstructorArguments[1].Value!;
        SupportsShouldProcess = ModuleUnderTest.Named(cmdlet, "SupportsShouldProcess", false);
        ConfirmImpact = ModuleUnderTest.EnumName(cmdlet, "ConfirmImpact") ?? "Medium";
        DefaultParameterSetName = ModuleUnderTest.Named<string>(cmdlet, "DefaultParameterSetName");
        Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Data: ModuleUnderTest.Attributes(p, "ParameterAttribute").ToList()))
            .Where(x => x.Data.Count > 0)
            .Select(x => new ParameterInfo(x.Property, x.Data))
            .ToList();
    }

    public Type Type { get; }
    public CustomAttributeData Attribute { get; }
    public string Verb { get; }
    public string Noun { get; }
    public string Name => $"{Verb}-{Noun}";
    public bool SupportsShouldProcess { get; }
    public string ConfirmImpact { get; }
    public string? DefaultParameterSetName { get; }
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    public ParameterInfo Parameter(string name) =>
        Parameters.SingleOrDefault(p => p.Name == name) ?? throw new Xunit.Sdk.XunitException($"{Name} has no parameter -{name}.");

    public IEnumerable<CustomAttributeData> Attributes(string name) => ModuleUnderTest.Attributes(Type, name);

    public override string ToString() => Name;
}

/// <summary>A [Parameter] property: one ParameterAttribute per parameter set it belongs to.</summary>
public sealed class ParameterInfo(PropertyInfo property, IReadOnlyList<CustomAttributeData> sets)
{
    public const string AllSets = "__AllParameterSets";

    public PropertyInfo Property { get; } = property;
    public string Name => Property.Name;
    public Type Type => Property.PropertyType;
    public IReadOnlyList<CustomAttributeData> Sets { get; } = sets;

    public IReadOnlyList<string> Aliases { get; } =
        ModuleUnderTest.Attributes(property, "AliasAttribute").SelectMany(a => ModuleUnderTest.ArrayArgument(a)).Cast<string>().ToList();

    public bool SupportsWildcards { get; } = ModuleUnderTest.Attributes(property, "SupportsWildcardsAttribute").Any();

    public bool IsSwitch => Type.FullName == "System.Management.Automation.SwitchParameter";

    public IEnumerable<string> NamesAndAliases => Aliases.Prepend(Name);

    public bool Mandatory(CustomAttributeData set) => ModuleUnderTest.Named(set, "Mandatory", false);
    public bool ByValue(CustomAttributeData set) => ModuleUnderTest.Named(set, "ValueFromPipeline", false);
    public bool ByPropertyName(CustomAttributeData set) => ModuleUnderTest.Named(set, "ValueFromPipelineByPropertyName", false);
    public int Position(CustomAttributeData set) => ModuleUnderTest.Named(set, "Position", int.MinValue);
    public string SetName(CustomAttributeData set) => ModuleUnderTest.Named<string>(set, "ParameterSetName") ?? AllSets;

    public bool IsMandatoryAnywhere => Sets.Any(Mandatory);
    public bool IsMandatoryEverywhere => Sets.All(Mandatory);
    public bool IsByValue => Sets.Any(ByValue);
    public bool IsByPropertyName => Sets.Any(ByPropertyName);

    /// <summary>The position shared by all its sets, or null when it is named (or differs between sets).</summary>
    public int? CommonPosition
    {
        get
        {
            var positions = Sets.Select(Position).Distinct().ToList();
            return positions.Count == 1 && positions[0] >= 0 ? positions[0] : null;
        }
    }

    public override string ToString() => Name;
}

[CollectionDefinition(Name)]
public sealed class ModuleCollection : ICollectionFixture<ModuleUnderTest>
{
    public const string Name = "built module";
}
