using System.Globalization;
using AdapterLab.Contracts.Messages;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// The trainer's lines in an attempt's log: every evaluation (its metrics) and about every twentieth of the run (the
/// training loss), e.g. <c>step 120/400 · train loss 0.913 · validation/shapes/clean accuracy 0.412</c>.
/// </summary>
public static class ProgressLines
{
    private const int MaxValues = 12;

    /// <summary>The line for this step's report, or null when the step gets none.</summary>
    public static string? Describe(long step, long totalSteps, IReadOnlyList<MetricPoint> points)
    {
        var evaluated = points.Where(p => p.Split is not ("train" or SystemMetrics.Split)).ToList();
        long every = Math.Max(1, totalSteps / 20);
        if (evaluated.Count == 0 && step % every != 0 && step != totalSteps) return null;
        var parts = new List<string> { $"step {step}/{totalSteps}" };
        var loss = points.Where(p => p.Split == "train" && p.Name == "loss").ToList();
        if (loss.Count > 0) parts.Add("train loss " + (loss.Count == 1 ? Value(loss[0].Value) : string.Join(", ", loss.Select(p => $"{p.Task} {Value(p.Value)}"))));
        foreach (var p in evaluated.Take(MaxValues))
            parts.Add($"{string.Join('/', new[] { p.Split, p.Task, p.Domain }.Where(s => s.Length > 0))} {p.Name} {Value(p.Value)}");
        if (evaluated.Count > MaxValues) parts.Add($"… {evaluated.Count - MaxValues} more");
        return string.Join(" · ", parts);
    }

    private static string Value(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
