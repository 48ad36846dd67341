using System.Globalization;
using System.Text.Json.Nodes;
using AdapterLab.Contracts.Suites;

namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// A validated sweep: its maximum budget per trial, its rung ladder (steps at which successive halving decides) and, for
/// <c>hyperband</c>, its brackets (each an ASHA ladder starting one rung higher). Built by <see cref="From"/>, which
/// names every problem by its field (an HTTP 400's ProblemDetails), never half-accepts.
/// </summary>
public sealed record SweepPlan(SweepDefinition Definition, int MaxSteps, int WarmupSteps, IReadOnlyList<IReadOnlyList<int>> Brackets)
{
    /// <summary>The rung ladder of the first (most aggressive) bracket; grid and random sweeps have one rung, the full budget.</summary>
    public IReadOnlyList<int> Rungs => Brackets[0];

    /// <summary>Linear warm-up as the trainer defaults it: 10 % of the steps.</summary>
    public const double WarmupFraction = 0.1;

    public const int MaxTrialsLimit = 10_000;

    /// <summary>The most seeds a trial may be judged on at the last rung (<see cref="SweepDefinition.FinalRungSeeds"/>).</summary>
    public const int MaxFinalRungSeeds = 10;

    /// <summary>The most points a grid sweep may have (every one is checked as a submission when the sweep is created).</summary>
    public const int GridLimit = 2_000;

    public static SweepPlan From(SweepDefinition d)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];

        // JSON may set any object to null ("objective": null): each is named, never dereferenced.
        var missing = new (string Field, object? Value)[]
        {
            ("name", d.Name), ("template", d.Template), ("space", d.Space), ("objective", d.Objective), ("budget", d.Budget), ("algorithm", d.Algorithm),
            ("objective.metric", d.Objective?.Metric), ("objective.split", d.Objective?.Split), ("objective.direction", d.Objective?.Direction),
        }.Where(x => x.Value is null).ToList();
        foreach (var (field, _) in missing) Error(field, "required (not null)");
        foreach (var (path, dim) in d.Space ?? []) if (dim is null) Error($"space.{path}", "required (not null)");
        if (errors.Count > 0) throw new SweepDefinitionException(errors);

        if (!SuiteExpansion.IsValidName(d.Name)) Error("name", "must be lowercase letters, digits and dashes (at most 63)");
        if (!SweepAlgorithms.All.Contains(d.Algorithm)) Error("algorithm", $"must be one of {string.Join(", ", SweepAlgorithms.All)}");
        if (d.Eta is < 2 or > 10) Error("eta", "must be between 2 and 10");
        if (!double.IsFinite(d.PromotionTolerance) || d.PromotionTolerance < 0) Error("promotionTolerance", "must be a finite number, 0 or more (in the objective's units)");
        else if (d.PromotionTolerance > 0 && d.Algorithm is not (SweepAlgorithms.Asha or SweepAlgorithms.Hyperband))
            Error("promotionTolerance", "only asha and hyperband promote: a grid or random sweep trains every trial to the full budget");
        if (d.FinalRungSeeds is < 1 or > MaxFinalRungSeeds) Error("finalRungSeeds", $"must be between 1 and {MaxFinalRungSeeds}");
        if (d.ConfirmSeeds is < 0 or > 20) Error("confirmSeeds", "must be between 0 and 20");
        if (d.MaxConcurrent is < 1 or > 256) Error("maxConcurrent", "must be between 1 and 256");
        if (d.Objective!.Direction is not ("max" or "min")) Error("objective.direction", "must be 'max' or 'min'");
        if (string.IsNullOrWhiteSpace(d.Objective.Metric)) Error("objective.metric", "required");
        if (d.Objective.Split is not ("validation" or "test")) Error("objective.split", "must be 'validation' (the default) or 'test'");
        if (d.Budget.MaxTrials is null && d.Budget.TotalSteps is null && d.Budget.WallClock is null)
            Error("budget", "give at least one limit: maxTrials, totalSteps or wallClock");
        if (d.Budget.MaxTrials is { } mt && (mt < 1 || mt > MaxTrialsLimit)) Error("budget.maxTrials", $"must be between 1 and {MaxTrialsLimit:N0}");
        if (d.Budget.TotalSteps is { } ts && ts < 1) Error("budget.totalSteps", "must be positive");
        if (d.Budget.WallClock is { } wc && wc <= TimeSpan.Zero) Error("budget.wallClock", "must be positive");
        if (d.Space!.Count == 0) Error("space", "search at least one field");
        foreach (var (path, dim) in d.Space) CheckDimension(path, dim, d.Algorithm, Error);
        if (d.Algorithm == SweepAlgorithms.Grid && SearchSpace.GridSize(d) is var points && points > GridLimit)
            Error("space", $"the grid has {(points == long.MaxValue ? "too many" : points.ToString("N0"))} points; at most {GridLimit:N0}");

        int maxSteps = 0;
        if (d.Template["training"] is not JsonObject training || training["steps"] is not JsonValue stepsValue
            || !stepsValue.TryGetValue(out maxSteps) || maxSteps < 1)
            Error("template.training.steps", "required: a positive step count, each trial's maximum budget (epochs are not supported in sweeps)");
        if (d.Space.ContainsKey("training.steps")) Error("space.training.steps", "the budget is not searched: successive halving allocates steps");
        int warmup = (int)Math.Round(WarmupFraction * maxSteps);
        if (d.Template["training"] is JsonObject t && t["warmupSteps"] is JsonValue w && w.TryGetValue(out int explicitWarmup)) warmup = explicitWarmup;

        var brackets = new List<IReadOnlyList<int>>();
        if (errors.Count == 0)
        {
            if (d.Algorithm is SweepAlgorithms.Grid or SweepAlgorithms.Random) brackets.Add([maxSteps]);
            else
            {
                int min = d.MinSteps ?? Math.Max(warmup, (int)Math.Ceiling(maxSteps / Math.Pow(d.Eta, 2)));
                if (min < Math.Max(1, warmup))
                    Error("minSteps", $"the smallest rung ({min} steps) must be at least the warm-up ({warmup} steps): a trial judged inside its warm-up is judged on its learning-rate ramp");
                else if (min > maxSteps) Error("minSteps", $"must be at most the maximum budget ({maxSteps} steps)");
                else
                {
                    var ladder = Ladder(min, maxSteps, d.Eta);
                    if (d.Algorithm == SweepAlgorithms.Asha) brackets.Add(ladder);
                    else for (int s = 0; s < ladder.Count; s++) brackets.Add(ladder.Skip(s).ToList());
                }
            }
        }
        if (errors.Count > 0) throw new SweepDefinitionException(errors);
        return new SweepPlan(d, maxSteps, warmup, brackets);
    }

    /// <summary>min, min·η, min·η², … below the maximum, then the maximum itself (e.g. 60 / 180 / 540 / 600 for 600 steps, η 3, min 60).</summary>
    public static IReadOnlyList<int> Ladder(int min, int max, int eta)
    {
        var rungs = new List<int>();
        for (long r = min; r < max; r *= eta) rungs.Add((int)r);
        rungs.Add(max);
        return rungs;
    }

    private static void CheckDimension(string path, SearchDimension dim, string algorithm, Action<string, string> error)
    {
        string at = $"space.{path}";
        if (string.IsNullOrWhiteSpace(path) || path.Split('.').Any(p => p.Length == 0)) { error("space", $"'{path}' is not a dotted spec path"); return; }
        if (!SearchTypes.All.Contains(dim.Type)) { error($"{at}.type", $"must be one of {string.Join(", ", SearchTypes.All)}"); return; }
        if (dim.Type == SearchTypes.Choice)
        {
            if (dim.Values is not { Count: > 0 }) error($"{at}.values", "a choice needs at least one value");
            return;
        }
        if (algorithm == SweepAlgorithms.Grid) error($"{at}.type", "a grid sweep searches choices only (list the values)");
        if (dim.Low is not { } lo || dim.High is not { } hi || !double.IsFinite(lo) || !double.IsFinite(hi)) { error(at, "low and high are required finite numbers"); return; }
        if (lo > hi) error(at, $"low ({lo.ToString(CultureInfo.InvariantCulture)}) must not exceed high ({hi.ToString(CultureInfo.InvariantCulture)})");
        if (dim.Type == SearchTypes.LogUniform && lo <= 0) error($"{at}.low", "a log-uniform range must be positive");
        if (dim.Type == SearchTypes.Integer && (lo != Math.Floor(lo) || hi != Math.Floor(hi))) error(at, "integer bounds must be whole numbers");
    }
}

/// <summary>Raised when a sweep definition is invalid; <see cref="Errors"/> are keyed by field path.</summary>
public sealed class SweepDefinitionException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
