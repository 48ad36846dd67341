using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>Succeeded experiments written straight into the database (no training), for read-side tests.</summary>
public static class PlantedExperiments
{
    /// <summary>
    /// Adds one succeeded linear-probe experiment of <paramref name="configuration"/> with the given seed, submission time and
    /// final results (test and validation split, per target domain → accuracy). Call SaveChangesAsync afterwards.
    /// </summary>
    public static Experiment Add(PlatformDbContext db, string configuration, int seed, DateTimeOffset submittedAt,
        IReadOnlyDictionary<string, double>? accuracyByDomain = null, string method = "linear-probe", string[]? tags = null, string? name = null)
    {
        var spec = new ExperimentSpec
        {
            Name = name ?? configuration,
            Kind = Kinds.Adapt,
            Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random },
            Method = new MethodSpec { Name = method },
            Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"] },
            Training = new TrainingSpec { Steps = 10, BatchSize = 16, Seed = seed },
            Tags = tags ?? [],
        };
        var e = new Experiment
        {
            Id = Guid.CreateVersion7(submittedAt), Name = name ?? configuration, Kind = Kinds.Adapt, Method = method, Preset = "vit-tiny-ci",
            Dataset = "shapesworld", LabelFamily = "object-count", SourceDomain = "textured", TargetDomains = ["fog"], Tasks = ["classification"],
            Setting = "supervised", Seed = seed, SpecJson = SpecJson.Serialize(spec), SpecHash = $"{configuration}-{seed}-{Guid.NewGuid():N}",
            ConfigurationHash = configuration, Status = ExperimentStatus.Succeeded, Tags = tags ?? [],
            SubmittedAt = submittedAt, UpdatedAt = submittedAt, StartedAt = submittedAt, FinishedAt = submittedAt.AddMinutes(1),
            TrainableParameters = 1000, TotalParameters = 100_000, Step = 10, TotalSteps = 10,
        };
        db.Experiments.Add(e);
        foreach (var (domain, accuracy) in accuracyByDomain ?? new Dictionary<string, double>())
            foreach (var split in new[] { "test", "validation" })
                db.FinalResults.Add(new FinalResultRow
                {
                    ExperimentId = e.Id, Split = split, Task = "classification", Domain = domain, Metric = "accuracy",
                    Value = split == "test" ? accuracy : accuracy - 0.01, AttemptNumber = 1,
                });
        return e;
    }

    /// <summary>
    /// Stores per-example predictions for a planted experiment on one test domain: <paramref name="examples"/> examples of
    /// 4 classes, the model right on exactly round(accuracy × examples) of them (which ones depends on the seed), and the
    /// majority-class floor (class 0, right on a quarter). A blob through the real blob store plus its checkpoint row.
    /// </summary>
    public static async Task PlantPredictionsAsync(PlatformDbContext db, AdapterLab.Data.Blobs.BlobStore blobs, Experiment e, string domain, double accuracy, int examples = 400)
    {
        var ids = Enumerable.Range(0, examples).Select(i => $"shapesworld/1/{200_000_000 + i}").ToArray();
        var labels = Enumerable.Range(0, examples).Select(i => i % 4).ToArray();
        var random = new Random(e.Seed * 7919 + examples);
        var right = Enumerable.Range(0, examples).OrderBy(_ => random.Next()).Take((int)Math.Round(accuracy * examples)).ToHashSet();
        var file = new AdapterLab.Contracts.Predictions.PredictionsFile
        {
            Step = 10,
            Sets =
            [
                new() { Split = "test", Task = "classification", Domain = domain, Predictor = "model", ExampleIds = ids, Labels = labels,
                    Predicted = labels.Select((l, i) => right.Contains(i) ? l : (l + 1) % 4).ToArray() },
                new() { Split = "test", Task = "classification", Domain = domain, Predictor = "floor:majority-class", ExampleIds = ids, Labels = labels,
                    Predicted = new int[examples] },
            ],
        };
        using var buffer = new MemoryStream();
        file.Write(buffer);
        buffer.Position = 0;
        var (hash, size, _) = await blobs.PutAsync(buffer, null, CancellationToken.None);
        db.Checkpoints.Add(new Checkpoint { ExperimentId = e.Id, AttemptNumber = 1, Step = 10, Kind = "predictions", BlobHash = hash, SizeBytes = size, CreatedAt = e.FinishedAt ?? e.SubmittedAt });
    }
}
