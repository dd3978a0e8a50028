using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace PsBackup.LoadContext;

/// <summary>
/// Runs when the module is imported: the default load context cannot find PsBackup.Engine (it is
/// not in the module root), so its Resolving event hands it over from the isolated context. This
/// is the pattern of the PowerShell docs' "Resolving PowerShell module assembly dependency conflicts".
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssembly = "PsBackup.Engine";

    private static readonly DependencyLoadContext Dependencies = new(
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies"));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineAssembly ? Dependencies.LoadFromAssemblyName(name) : null;
}
