using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Suites;

/// <summary>Observed training throughput (images per second) per backbone preset and method, from finished experiments.</summary>
public sealed record Throughput(string Preset, string Method, double ImagesPerSecond, int Samples);

/// <summary>One experiment's estimated duration and where its throughput came from (<c>history</c> or <c>default</c>).</summary>
public sealed record ExperimentCost(int Index, string Preset, string Method, double ImagesPerSecond, string Source, TimeSpan Duration);

/// <summary>A suite's estimated wall time on the available slots, and whether it fits its window.</summary>
public sealed record SuiteCostEstimate(
    TimeSpan Makespan, TimeSpan TotalWork, int Slots, TimeSpan? Window, IReadOnlyList<ExperimentCost> Experiments)
{
    /// <summary>True when there is no window, or the makespan fits it (on at least one slot).</summary>
    public bool Fits => Slots > 0 && (Window is not { } w || Makespan <= w);
}

/// <summary>
/// Estimates a suite's cost before it runs. Per experiment: training images (steps × batch) and evaluation images at the
/// observed throughput of its preset+method (falling back to the preset, then to a deliberately slow default), plus a
/// fixed start-up overhead. The makespan comes from greedy list scheduling on the available slots, adaptations starting
/// only after the suite's own pretrain that registers their backbone.
/// </summary>
public static class SuiteCostEstimator
{
    /// <summary>Start-up, data generation, checkpoint upload: per experiment, independent of its size.</summary>
    public static readonly TimeSpan Overhead = TimeSpan.FromSeconds(20);

    /// <summary>Evaluation runs forward only: about this many times faster than a training step per image.</summary>
    public const double EvaluationSpeedup = 3;

    /// <summary>Conservative images/s per preset when nothing like it has run yet (CPU, one slot).</summary>
    public static double DefaultImagesPerSecond(string preset) => preset switch
    {
        "vit-tiny-ci" => 50,
        "vit-lab-s" => 10,
        "vit-ti16" => 2,
        "vit-s16" => 1,
        _ => 0.5,
    };

    /// <summary>Train split size assumed when a spec leaves it to the kind's default.</summary>
    public const int DefaultTrainSize = 1024;
    public const int DefaultEvaluationSize = 256;

    public static SuiteCostEstimate Estimate(IReadOnlyList<ExperimentSpec> specs, IReadOnlyList<Throughput> history, int slots, TimeSpan? window)
    {
        var costs = specs.Select((s, i) => Cost(i, s, history)).ToList();
        var total = TimeSpan.FromSeconds(costs.Sum(c => c.Duration.TotalSeconds));
        var makespan = slots > 0 ? Schedule(specs, costs, slots) : TimeSpan.MaxValue;
        return new SuiteCostEstimate(makespan, total, slots, window, costs);
    }

    /// <summary>
    /// Drops experiments from the end (never a pretrain another kept experiment needs) until the estimate fits the window;
    /// returns the indices kept. Empty when even the pretrains alone do not fit.
    /// </summary>
    /// <param name="fixedCount">The first specs are never dropped (a suite's sweeps, counted whole).</param>
    public static IReadOnlyList<int> Trim(IReadOnlyList<ExperimentSpec> specs, IReadOnlyList<Throughput> history, int slots, TimeSpan window, int fixedCount = 0)
    {
        var kept = Enumerable.Range(0, specs.Count).ToList();
        while (kept.Count > 0)
        {
            var subset = kept.Select(i => specs[i]).ToList();
            if (Estimate(subset, history, slots, window).Fits) return kept;
            var needed = subset.Where(s => s.Backbone.Source == BackboneSources.Named).Select(s => s.Backbone.Name).ToHashSet();
            int drop = kept.FindLastIndex(i => i >= fixedCount && (specs[i].Backbone.RegisterAs is not { } r || !needed.Contains(r)));
            if (drop < 0) return [];
            kept.RemoveAt(drop);
        }
        return kept;
    }

    public static ExperimentCost Cost(int index, ExperimentSpec spec, IReadOnlyList<Throughput> history)
    {
        var preset = spec.Backbone.Preset;
        var method = spec.Method.Name;
        var (ips, source) = Rate(preset, method, history);
        int batch = Math.Max(1, spec.Training.BatchSize);
        int train = spec.Data.TrainSize ?? DefaultTrainSize;
        long steps = spec.Training.Steps ?? (long)Math.Ceiling((spec.Training.Epochs ?? 1) * (double)train / batch);
        int validation = spec.Data.ValidationSize ?? DefaultEvaluationSize, test = spec.Data.TestSize ?? DefaultEvaluationSize;
        int domains = 1 + spec.Data.TargetDomains.Count;
        long evaluations = spec.Training.EvalInterval > 0 ? steps / spec.Training.EvalInterval : 0;
        double trainImages = steps * (double)batch;
        double evalImages = domains * ((evaluations + 1.0) * validation + test);
        var seconds = trainImages / ips + evalImages / (ips * EvaluationSpeedup);
        return new ExperimentCost(index, preset, method, ips, source, TimeSpan.FromSeconds(seconds) + Overhead);
    }

    private static (double, string) Rate(string preset, string method, IReadOnlyList<Throughput> history)
    {
        var exact = history.Where(h => h.Preset == preset && h.Method == method && h.ImagesPerSecond > 0).ToList();
        if (exact.Count > 0) return (Weighted(exact), "history");
        var samePreset = history.Where(h => h.Preset == preset && h.ImagesPerSecond > 0).ToList();
        // Another method on the same backbone: take the slowest seen, not the average (err on the long side).
        if (samePreset.Count > 0) return (samePreset.Min(h => h.ImagesPerSecond), "history (preset)");
        return (DefaultImagesPerSecond(preset), "default");
    }

    private static double Weighted(List<Throughput> rows) =>
        rows.Sum(r => r.ImagesPerSecond * Math.Max(1, r.Samples)) / rows.Sum(r => Math.Max(1, r.Samples));

    /// <summary>Longest-first list scheduling; an experiment needing a suite pretrain's backbone starts after it ends.</summary>
    private static TimeSpan Schedule(IReadOnlyList<ExperimentSpec> specs, IReadOnlyList<ExperimentCost> costs, int slots)
    {
        var free = new double[slots];
        var ready = new Dictionary<string, double>();
        var order = Enumerable.Range(0, specs.Count)
            .OrderBy(i => specs[i].Backbone.RegisterAs is null ? 1 : 0)
            .ThenByDescending(i => costs[i].Duration)
            .ToList();
        double end = 0;
        foreach (var i in order)
        {
            int slot = Array.IndexOf(free, free.Min());
            double start = free[slot];
            if (specs[i].Backbone is { Source: BackboneSources.Named, Name: { } needs } && ready.TryGetValue(needs, out var at))
                start = Math.Max(start, at);
            double finish = start + costs[i].Duration.TotalSeconds;
            free[slot] = finish;
            if (specs[i].Backbone.RegisterAs is { } registers) ready[registers] = finish;
            end = Math.Max(end, finish);
        }
        return TimeSpan.FromSeconds(end);
    }
}
