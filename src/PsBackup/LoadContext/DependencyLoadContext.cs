using System.Reflection;
using System.Runtime.Loader;

namespace PsBackup.LoadContext;

/// <summary>
/// Loads PsBackup.Engine and its third-party assemblies (Newtonsoft.Json …) from the module's
/// Dependencies/ folder, isolated from whatever versions PowerShell or other modules loaded.
/// PsBackup.Abstractions is not in that folder, so it resolves to the module root's copy and
/// the cmdlets and the engine share its types.
/// </summary>
internal sealed class DependencyLoadContext(string dependencyDirectory) : AssemblyLoadContext("PsBackup.Dependencies", isCollectible: false)
{
    public string DependencyDirectory => dependencyDirectory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(dependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
