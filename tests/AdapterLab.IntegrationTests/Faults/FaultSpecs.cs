namespace AdapterLab.IntegrationTests.Faults;

/// <summary>Runs long enough to be interrupted (tens of steps, checkpoints every 5) yet small.</summary>
public static class FaultSpecs
{
    public static object Pretrain(int steps, string? registerAs = null, int seed = 1, string pool = "cpu", string retention = "latest", int checkpointInterval = 5, int maxAttempts = 5) => new
    {
        specVersion = 1,
        name = "fault pretrain",
        kind = "pretrain",
        backbone = new { preset = "vit-tiny-ci", source = "random", registerAs },
        method = new { name = "supervised" },
        tasks = new[] { "classification" },
        data = new { dataset = "shapesworld", labelFamily = "largest-shape", sourceDomain = "synthetic", trainSize = 128, validationSize = 32, testSize = 32 },
        training = new { steps, batchSize = 16, learningRate = 0.001, checkpointInterval, checkpointRetention = retention, evalInterval = 0, seed },
        retry = new { maxAttempts },
        resources = new { pool },
    };
}
