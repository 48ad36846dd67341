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
}
