using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Scenarios.Multitask;

/// <summary>
/// The multitask report (<c>./platform bench multitask</c>, ml-spec "what must reproduce" 3–5) through the platform, every
/// method on the same gated backbone (the ShapesWorld stream backbone, <c>vit-tiny-ci</c>): per seed vtagml,
/// multitask-shared and multitask-finetune on segmentation, depth, normals and edges (trained on <c>synthetic</c>, also
/// tested on the unseen <c>fog</c>), single-task per task, the affinity's positive control (depth entered twice) and
/// negative control (targets permuted across images and scrambled), and adversarial domain adaptation to <c>fog</c>
/// against the same run without it. Every method trains its decoders at the one decoder rate; affinity updates every 50
/// steps from 4 batches. Judged in <see cref="MultitaskReport"/>; resumable through the ledger and, across checkouts, the committed archive
/// (<c>bench/results/archive/multitask/</c>).
/// <para><c>--quick</c> (≤ 10 minutes, a smoke run, not a result): 60 steps × 16, small splits, two seeds.</para>
/// </summary>
public sealed class MultitaskScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "multitask";

    public static readonly string[] AllTasks = [Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges];
    public const string Target = "fog";

    /// <summary>The priority of a <c>--quick</c> smoke run's experiments: ahead of full reports queued on the same platform.</summary>
    public const int SmokePriority = 100;

    public sealed record Protocol(int Steps, int BatchSize, int TrainSize, int ValidationSize, int TestSize, IReadOnlyList<int> Seeds, bool Quick);

    public async Task RunAsync(CancellationToken ct)
    {
        var protocol = quick ? new Protocol(60, 16, 256, 64, 64, [1, 2], true) : new Protocol(1000, 32, 2000, 200, 1000, [1, 2, 3], false);
        var backbone = ReportBackbones.All(quick).Single(b => b.Key == "stream-supervised");
        var archive = new RunArchive(RunArchive.Root(resultsDir, quick), quick ? "multitask-quick" : "multitask");
        var (pretrained, blobs) = await ReportBackbones.EnsureAsync(client, [backbone], archive, ct);
        var ledger = new RunLedger(Path.Combine(resultsDir, ".ledger", quick ? "multitask-quick.json" : "multitask.json"));
        var batch = new ExperimentBatch(client, ledger, archive, blobs, ["affinity"]);

        ExperimentSpec Dense(string label, string method, string[] tasks, string setting, int seed, string? adaptation = null, bool shuffled = false) => new()
        {
            Name = $"bench multitask: {label}, seed {seed}", Kind = Kinds.Multitask, Backbone = backbone.Named,
            Method = new MethodSpec { Name = method },
            Tasks = tasks,
            Data = new DataSpec
            {
                Setting = setting, SourceDomain = "synthetic", TargetDomains = setting == Settings.Multitask ? [] : [Target], Adaptation = adaptation,
                ShuffleTargets = shuffled ? true : null, TrainSize = protocol.TrainSize, ValidationSize = protocol.ValidationSize, TestSize = protocol.TestSize,
            },
            Training = new TrainingSpec { Steps = protocol.Steps, BatchSize = protocol.BatchSize, EvalInterval = protocol.Steps / 2, Seed = seed },
            Tags = ["bench", Name],
            // A smoke run jumps the queue of a full report's runs (priority is not part of a configuration).
            Priority = quick ? SmokePriority : 0,
        };
        var runs = new List<(string, ExperimentSpec)>();
        foreach (var seed in protocol.Seeds)
        {
            foreach (var m in new[] { Methods.Vtagml, Methods.MultitaskShared, Methods.MultitaskFinetune })
                runs.Add(($"{m}/{seed}", Dense(m, m, AllTasks, Settings.DomainGeneralization, seed)));
            foreach (var t in AllTasks) runs.Add(($"single-{t}/{seed}", Dense($"single-task {t}", Methods.SingleTask, [t], Settings.DomainGeneralization, seed)));
            runs.Add(($"positive/{seed}", Dense("positive control (depth twice)", Methods.Vtagml, [.. AllTasks, Tasks.Depth + Tasks.CopySuffix], Settings.Multitask, seed)));
            runs.Add(($"negative/{seed}", Dense("negative control (targets permuted and scrambled)", Methods.Vtagml, AllTasks, Settings.DomainGeneralization, seed, shuffled: true)));
            runs.Add(($"adapted/{seed}", Dense("adversarial adaptation to fog", Methods.Vtagml, [Tasks.Segmentation, Tasks.Depth], Settings.DomainAdaptation, seed, AdaptationModes.Adversarial)));
            runs.Add(($"source-only/{seed}", Dense("segmentation + depth, source only", Methods.Vtagml, [Tasks.Segmentation, Tasks.Depth], Settings.DomainGeneralization, seed)));
        }
        Console.WriteLine($"[{Name}] {runs.Count} runs ({protocol.Steps} steps × {protocol.BatchSize}, seeds {string.Join(", ", protocol.Seeds)})");
        var done = await batch.RunAsync(runs, ct);
        foreach (var (k, v) in done)
            if (v.GetProperty("status").GetString() != "Succeeded")
                throw new BenchException($"run {k} ended {v.GetProperty("status").GetString()}: {(v.TryGetProperty("failureReason", out var r) ? r.GetString() : "")}");

        var predictions = new Dictionary<string, PredictionsFile?>();
        foreach (var k in done.Keys) predictions[k] = batch.Predictions(k);
        var affinity = new Dictionary<string, Dictionary<string, List<(long Step, double[] Values)>>>();
        foreach (var k in done.Keys.Where(k => k.StartsWith(Methods.Vtagml + "/") || k.StartsWith("positive/") || k.StartsWith("negative/")))
            affinity[k] = AffinityMatrices.History(batch.Extra(k, "affinity") ?? throw new BenchException($"run {k}: no affinity matrices archived"));
        var report = new MultitaskReport(protocol, done, predictions, affinity, pretrained[backbone.Key], backbone, resultsDir);
        await report.WriteAsync(Name + (quick ? "-quick" : ""), ct);
    }
}
