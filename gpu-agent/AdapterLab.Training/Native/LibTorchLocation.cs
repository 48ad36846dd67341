using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace AdapterLab.Training.Native;

/// <summary>
/// Loads libtorch from an existing installation (<c>ADAPTERLAB_LIBTORCH_DIR</c>, or the agent setting
/// <c>Agent:LibTorchDirectory</c>) instead of the copy the TorchSharp package brings: offline GPU hosts where the CUDA
/// package cannot be restored but a libtorch (the pytorch.org zip, or a Python wheel's <c>torch</c> folder) is
/// installed. The installation's version must be the release TorchSharp is built for (major.minor), or the agent
/// refuses to start with a message saying which it found and which it needs. Loading the libraries by path before
/// TorchSharp initialises makes the dynamic loader use them for TorchSharp's own library (same sonames).
/// </summary>
public static partial class LibTorchLocation
{
    public const string Variable = "ADAPTERLAB_LIBTORCH_DIR";

    /// <summary>The libtorch release TorchSharp binds (Directory.Packages.props, <c>LibTorchVersion</c>).</summary>
    public static string RequiredVersion { get; } = typeof(LibTorchLocation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LibTorchVersion").Value!;

    /// <summary>Loads libtorch from <paramref name="directory"/>; returns what was loaded, or null when no directory is set.</summary>
    public static string? Load(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) return null;
        if (!Directory.Exists(directory)) throw new LibTorchLocationException($"{Variable}={directory}: no such directory");
        var lib = new[] { Path.Combine(directory, "lib"), directory }.FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch.so")))
                  ?? throw new LibTorchLocationException($"{Variable}={directory}: no libtorch.so in it or in its lib/ folder");
        var found = ReadVersion(directory)
                    ?? throw new LibTorchLocationException($"{Variable}={directory}: no build-version (libtorch zip) or version.py (Python torch) to tell its version; libtorch {RequiredVersion} is needed");
        if (Release(found) != Release(RequiredVersion))
            throw new LibTorchLocationException($"{Variable}={directory} holds libtorch {found}, but this agent's TorchSharp is built for libtorch {Release(RequiredVersion)}.x: install libtorch {RequiredVersion} there, or unset {Variable} to use the packaged copy");
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so" })
        {
            var path = Path.Combine(lib, name);
            if (File.Exists(path)) NativeLibrary.Load(path);
        }
        return $"libtorch {found} from {lib}";
    }

    /// <summary>Where this process's libtorch_cpu.so was mapped from (Linux), once TorchSharp has initialised.</summary>
    public static string? LoadedFrom()
    {
        if (!File.Exists("/proc/self/maps")) return null;
        return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)).Select(f => Path.GetDirectoryName(f[5])).FirstOrDefault();
    }

    private static string? ReadVersion(string directory)
    {
        foreach (var file in new[] { "build-version", Path.Combine("..", "build-version") })
        {
            var path = Path.Combine(directory, file);
            if (File.Exists(path)) return File.ReadAllText(path).Trim();
        }
        var python = Path.Combine(directory, "version.py");
        if (File.Exists(python) && PythonVersion().Match(File.ReadAllText(python)) is { Success: true } m) return m.Groups[1].Value;
        return null;
    }

    /// <summary>major.minor of a version such as <c>2.10.0+cu128</c>.</summary>
    public static string Release(string version) => string.Join('.', version.Split('+')[0].Split('.').Take(2));

    [GeneratedRegex(@"__version__\s*=\s*['""]([^'""]+)['""]")]
    private static partial Regex PythonVersion();
}

/// <summary>The libtorch installation named by the settings cannot be used.</summary>
public sealed class LibTorchLocationException(string message) : Exception(message);
