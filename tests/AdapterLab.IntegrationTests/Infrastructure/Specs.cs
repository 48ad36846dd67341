namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>Small specs for platform-level tests: vit-tiny-ci, a few hundred images, at most ~20 steps.</summary>
public static class Specs
{
    public static object Pretrain(string registerAs, int steps = 20, int seed = 1) => new
    {
        specVersion = 1,
        name = "test pretrain",
        kind = "pretrain",
        backbone = new { preset = "vit-tiny-ci", source = "random", registerAs },
        method = new { name = "supervised" },
        tasks = new[] { "classification" },
        data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 256, validationSize = 64, testSize = 128 },
        training = new { steps, batchSize = 32, learningRate = 0.001, evalInterval = 10, checkpointInterval = 10, seed },
    };

    public static object Adapt(string backboneName, string method = "linear-probe", int steps = 10, int seed = 1, object? methodOptions = null, string? precision = null) => new
    {
        specVersion = 1,
        name = $"test {method}",
        kind = "adapt",
        backbone = new { preset = "vit-tiny-ci", source = "named", name = backboneName },
        method = methodOptions ?? new { name = method },
        tasks = new[] { "classification" },
        data = new
        {
            dataset = "shapesworld", labelFamily = "object-count", sourceDomain = "textured", targetDomains = new[] { "fog" },
            trainSize = 128, validationSize = 64, testSize = 64,
        },
        training = new { steps, batchSize = 32, evalInterval = 5, seed, precision },
    };
}
