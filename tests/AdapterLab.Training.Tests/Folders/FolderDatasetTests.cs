using System.Diagnostics;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Runs;
using StbImageSharp;
using TorchSharp;
using Xunit.Abstractions;

namespace AdapterLab.Training.Tests.Folders;

[Collection(TorchCollection.Name)]
public sealed class FolderDatasetTests(ITestOutputHelper output)
{
    private static ExperimentSpec FolderSpec(string path, string method = Methods.LinearProbe, int steps = 4, int batch = 16) => new()
    {
        Kind = Kinds.Adapt,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
        Method = new MethodSpec { Name = method },
        Data = new DataSpec { Dataset = AdapterLab.Contracts.Specs.Datasets.Folder, Path = path, SourceDomain = "synthetic" },
        Training = new TrainingSpec { Steps = steps, BatchSize = batch, Seed = 2 },
    };

    [Fact]
    public void Classes_come_from_sub_folders_and_splits_are_deterministic_by_path()
    {
        var root = FolderImages.CreateDataset(TestPaths.TempDirectory());
        var a = FolderDataset.Open(root, "colours");
        var b = FolderDataset.Open(root, "./colours/");
        Assert.Equal(["blue", "green", "red"], a.Classes);
        Assert.Equal(90, a.Images.Count);
        Assert.Equal(a.Images.Select(i => (i.RelativePath, i.Split, i.ClassIndex)), b.Images.Select(i => (i.RelativePath, i.Split, i.ClassIndex)));
        Assert.All(a.Images, i => Assert.Equal(FolderImages.Colours[i.ClassIndex].Name, i.RelativePath.Split('/')[0]));
        Assert.True(a.Count(DataSplit.Train) > a.Count(DataSplit.Validation));

        // The hash spreads paths 80/10/10.
        var splits = Enumerable.Range(0, 20_000).Select(i => FolderDataset.SplitOf($"class{i % 7}/image_{i}.png")).ToList();
        Assert.InRange(splits.Count(s => s == DataSplit.Train) / 20_000.0, 0.78, 0.82);
        Assert.InRange(splits.Count(s => s == DataSplit.Validation) / 20_000.0, 0.09, 0.11);
        Assert.Equal(FolderDataset.SplitOf("x/y.png"), FolderDataset.SplitOf("x\\y.png"));
    }

    [Fact]
    public void Png_and_jpeg_decode_to_normalised_pixels_with_class_labels()
    {
        var root = TestPaths.TempDirectory();
        foreach (var (name, r, g, bl) in FolderImages.Colours)
        {
            Directory.CreateDirectory(Path.Combine(root, "solid", name));
            for (int i = 0; i < 24; i++)
            {
                var pixels = FolderImages.Solid(20 + i, 10 + i, r, g, bl);
                if (i % 2 == 0) FolderImages.WritePng(Path.Combine(root, "solid", name, $"{i}.png"), pixels, 20 + i, 10 + i);
                else FolderImages.WriteJpg(Path.Combine(root, "solid", name, $"{i}.JPEG"), pixels, 20 + i, 10 + i);
            }
        }
        var data = FolderDataset.Open(root, "solid");
        var split = data.Split(DataSplit.Train, 32, null, "solid");
        Assert.Equal(data.Count(DataSplit.Train), split.Count);
        Assert.Same(split, data.Split(DataSplit.Train, 32, null, "solid"));
        int plane = 32 * 32;
        for (int n = 0; n < split.Count; n++)
        {
            var (_, r, g, b) = FolderImages.Colours[split.Labels[n]];
            var image = split.Pixels.AsSpan(n * 3 * plane, 3 * plane);
            // JPEG is lossy; a solid colour survives within a few levels.
            Assert.InRange(image[0], (r / 255f - 0.5f) / 0.5f - 0.05f, (r / 255f - 0.5f) / 0.5f + 0.05f);
            Assert.InRange(image[plane + 500], (g / 255f - 0.5f) / 0.5f - 0.05f, (g / 255f - 0.5f) / 0.5f + 0.05f);
            Assert.InRange(image[2 * plane + 1023], (b / 255f - 0.5f) / 0.5f - 0.05f, (b / 255f - 0.5f) / 0.5f + 0.05f);
        }
    }

    [Fact]
    public void Area_downscale_averages_and_bilinear_upscale_interpolates()
    {
        // A one-pixel checkerboard halved by area averaging is uniform grey (0.5 → 0 after normalisation).
        var checker = new byte[64 * 64 * 3];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                checker.AsSpan((y * 64 + x) * 3, 3).Fill((byte)((x + y) % 2 == 0 ? 255 : 0));
        var small = new float[3 * 32 * 32];
        ImageResize.ToNormalisedChw(checker, 64, 64, 32, small);
        Assert.All(small, v => Assert.InRange(v, -1e-5f, 1e-5f));

        // Two columns (black, white) upscaled to 4: bilinear with half-pixel centres gives 0, 0.25, 0.75, 1.
        var pair = new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255 }; // 2×2
        var big = new float[3 * 4 * 4];
        ImageResize.ToNormalisedChw(pair, 2, 2, 4, big);
        float[] expected = [0, 0.25f, 0.75f, 1];
        for (int x = 0; x < 4; x++) Assert.Equal((expected[x] - 0.5f) / 0.5f, big[x], 5);
    }

    [Fact]
    public void Unreadable_images_fail_the_dataset_and_are_listed()
    {
        var root = FolderImages.CreateDataset(TestPaths.TempDirectory(), perClass: 10);
        File.WriteAllBytes(Path.Combine(root, "colours", "red", "garbage.png"), [1, 2, 3, 4, 5, 6, 7, 8]);
        var good = File.ReadAllBytes(Path.Combine(root, "colours", "blue", "img001.png"));
        File.WriteAllBytes(Path.Combine(root, "colours", "blue", "truncated.png"), good[..(good.Length / 3)]);
        File.WriteAllText(Path.Combine(root, "colours", "blue", "notes.txt"), "ignored: not an image extension");

        var data = FolderDataset.Open(root, "colours");
        var ex = Assert.Throws<FolderDatasetException>(() => data.Split(DataSplit.Test, 32, null, "colours"));
        Assert.Contains("2 unreadable images", ex.Message);
        Assert.Contains("red/garbage.png", ex.Message);
        Assert.Contains("blue/truncated.png", ex.Message);
        Assert.DoesNotContain("notes.txt", ex.Message);
    }

    [Fact]
    public void Path_escapes_are_rejected()
    {
        var sandbox = TestPaths.TempDirectory();
        var root = FolderImages.CreateDataset(Path.Combine(sandbox, "root"), perClass: 10);
        FolderImages.CreateDataset(Path.Combine(sandbox, "outside"), perClass: 10);

        Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "../outside/colours"));
        Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "colours/../../outside/colours"));
        Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, Path.Combine(sandbox, "outside", "colours")));
        Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "missing"));
        Assert.Throws<PathEscapeException>(() => PathSafety.Resolve(root, "/etc"));

        // A symbolic link inside the root that points outside it: the folder itself, one class folder, one file.
        Directory.CreateSymbolicLink(Path.Combine(root, "linked"), Path.Combine(sandbox, "outside", "colours"));
        var ex = Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "linked"));
        Assert.Contains("outside the data root", ex.Message);

        Directory.CreateSymbolicLink(Path.Combine(root, "colours", "yellow"), Path.Combine(sandbox, "outside", "colours", "red"));
        ex = Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "colours"));
        Assert.Contains("yellow/", ex.Message);
        Directory.Delete(Path.Combine(root, "colours", "yellow"));

        File.CreateSymbolicLink(Path.Combine(root, "colours", "red", "stolen.png"), Path.Combine(sandbox, "outside", "colours", "red", "img001.png"));
        ex = Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(root, "colours"));
        Assert.Contains("red/stolen.png", ex.Message);
        File.Delete(Path.Combine(root, "colours", "red", "stolen.png"));

        // Links that stay inside the root are fine, and so is a data root reached through a link.
        Directory.CreateSymbolicLink(Path.Combine(root, "alias"), Path.Combine(root, "colours"));
        Assert.Equal(30, FolderDataset.Open(root, "alias").Images.Count);
        var linkedRoot = Path.Combine(sandbox, "root-link");
        Directory.CreateSymbolicLink(linkedRoot, root);
        Assert.Equal(30, FolderDataset.Open(linkedRoot, "colours").Images.Count);
        Assert.Throws<FolderDatasetException>(() => FolderDataset.Open(null, "colours"));
    }

    [Fact]
    public void A_folder_experiment_trains_end_to_end_with_its_own_classes()
    {
        var root = FolderImages.CreateDataset(TestPaths.TempDirectory());
        var spec = FolderSpec("colours", Methods.AdaptFormer, steps: 3);
        var observer = new RecordingObserver();
        var outcome = ExperimentTrainer.Run(new TrainingJob { Spec = spec, DataRoot = root, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, observer, CancellationToken.None);
        Assert.Equal(3, outcome.FinalStep);
        Assert.Equal(["test/colours", "validation/colours"], outcome.Results.Select(r => $"{r.Split}/{r.Domain}").Order());
        // Head over 3 classes: 96·3 + 3, plus 4 AdaptMLPs of 2·96·64 + 64 + 96.
        Assert.Equal(96 * 3 + 3 + 4 * (2 * 96 * 64 + 64 + 96), outcome.TrainableParameters);

        var noRoot = Assert.Throws<FolderDatasetException>(() => ExperimentTrainer.Run(
            new TrainingJob { Spec = FolderSpec("../colours"), DataRoot = root, WorkDirectory = TestPaths.TempDirectory() }, observer, CancellationToken.None));
        Assert.Contains("data.path", noRoot.Message);
    }

    /// <summary>
    /// The measurement behind "data loading must not dominate a step": a cached batch costs a memory copy, against a
    /// forward + backward step of the smallest preset; an uncached loader (decode + resize per batch) is shown for scale.
    /// </summary>
    [Fact]
    public void Cached_loading_is_a_small_fraction_of_a_training_step()
    {
        var root = FolderImages.CreateDataset(TestPaths.TempDirectory(), perClass: 60);
        var plan = ClassificationPlan.From(FolderSpec("colours", Methods.FullFinetune, batch: 32), root);
        var decode = Stopwatch.StartNew();
        var split = plan.Split(plan.SourceDomain, DataSplit.Train);
        decode.Stop();
        var rows = Enumerable.Range(0, 32).Select(i => i % split.Count).ToArray();

        using var prepared = PreparedModel.Build(plan, null, torch.CPU);
        var model = prepared.Model;
        model.train();
        var optimizer = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);
        const int n = 10;
        TimeSpan load = TimeSpan.Zero, step = TimeSpan.Zero;
        for (int i = 0; i < n + 2; i++)
        {
            using var scope = torch.NewDisposeScope();
            var t0 = Stopwatch.GetTimestamp();
            var images = split.ImagesTensor(rows, torch.CPU);
            var labels = split.LabelsTensor(rows, torch.CPU);
            var t1 = Stopwatch.GetTimestamp();
            var loss = torch.nn.functional.cross_entropy(model.forward(images), labels);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step(1e-4);
            var t2 = Stopwatch.GetTimestamp();
            if (i < 2) continue; // warm-up
            load += Stopwatch.GetElapsedTime(t0, t1);
            step += Stopwatch.GetElapsedTime(t1, t2);
        }

        // What an uncached loader would pay per batch: read, decode and resize 32 files.
        var files = FolderDataset.Open(root, "colours").Images.Take(32).ToList();
        var uncached = Stopwatch.StartNew();
        var buffer = new float[3 * 32 * 32];
        foreach (var f in files)
        {
            var img = ImageResult.FromMemory(File.ReadAllBytes(f.FullPath), ColorComponents.RedGreenBlue);
            ImageResize.ToNormalisedChw(img.Data, img.Width, img.Height, 32, buffer);
        }
        uncached.Stop();

        double loadMs = load.TotalMilliseconds / n, stepMs = step.TotalMilliseconds / n;
        output.WriteLine($"folder data, vit-tiny-ci, batch 32, 1 thread: one-off decode of {split.Count} train images (all splits decoded) {decode.Elapsed.TotalMilliseconds:F1} ms; " +
                         $"cached batch {loadMs:F3} ms; forward+backward+update {stepMs:F1} ms ({100 * loadMs / stepMs:F2} % of a step); " +
                         $"uncached decode+resize of a batch {uncached.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(loadMs < 0.1 * stepMs, $"a cached batch took {loadMs:F3} ms against a {stepMs:F1} ms step");
    }
}
