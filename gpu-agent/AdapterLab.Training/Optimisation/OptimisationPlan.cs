using AdapterLab.Contracts.Specs;
using TorchSharp.Modules;

namespace AdapterLab.Training.Optimisation;

/// <summary>
/// How a run optimises, every default resolved: the optimiser, its peak learning rate, weight decay and momentum, the
/// schedule, and per parameter group overrides (<c>training.parameterGroups</c>). Which group a parameter belongs to is
/// the kind's knowledge (its plan's <c>GroupOf</c>); the groups' rates follow the schedule as multiples of the peak.
/// </summary>
public sealed record OptimisationPlan
{
    public required string Optimizer { get; init; }
    public required double LearningRate { get; init; }
    public required double WeightDecay { get; init; }
    public required double Momentum { get; init; }
    /// <summary>Linear warm-up steps; null: <see cref="DefaultWarmupFraction"/> of the run.</summary>
    public required int? WarmupSteps { get; init; }
    public required bool CosineSchedule { get; init; }
    public IReadOnlyDictionary<string, ParameterGroupSpec> GroupOverrides { get; init; } = new Dictionary<string, ParameterGroupSpec>();

    /// <summary>The recipe's warm-up when the spec names none (ml-spec: 10 %).</summary>
    public const double DefaultWarmupFraction = 0.1;

    public LearningRateSchedule Schedule(long totalSteps) =>
        new(LearningRate, totalSteps, WarmupSteps ?? (long)Math.Round(DefaultWarmupFraction * totalSteps), CosineSchedule);

    /// <summary>
    /// Groups whose parameters are not decayed unless the spec's group override says otherwise (the kind's recipe;
    /// classification: adapter, prompt and bias parameters — decay pulls zero-initialised adapters back towards doing nothing).
    /// </summary>
    public IReadOnlySet<string> UndecayedGroups { get; init; } = new HashSet<string>();

    /// <summary>
    /// Groups whose default peak rate differs from the run's (the kind's recipe; multitask: every method trains its fresh
    /// decoders at the one decoder rate, while an encoder that trains uses the encoder rate). Applies only when the spec
    /// gives no <c>training.learningRate</c>; a group override always wins.
    /// </summary>
    public IReadOnlyDictionary<string, double> GroupDefaultRates { get; init; } = new Dictionary<string, double>();

    /// <summary>A group's peak learning rate and weight decay: its override where given, else the recipe's group default, else the run's (decay 0 for <see cref="UndecayedGroups"/>).</summary>
    public (double LearningRate, double WeightDecay) For(string group)
    {
        var o = GroupOverrides.GetValueOrDefault(group);
        return (o?.LearningRate ?? GroupDefaultRates.GetValueOrDefault(group, LearningRate), o?.WeightDecay ?? (UndecayedGroups.Contains(group) ? 0.0 : WeightDecay));
    }

    /// <summary>The groups of <paramref name="trainable"/> under <paramref name="groupOf"/>, in order of first appearance.</summary>
    public IReadOnlyList<ParameterGroup> Groups(IReadOnlyList<(string Name, Parameter Parameter)> trainable, Func<string, string> groupOf) =>
        trainable.GroupBy(p => groupOf(p.Name)).Select(g =>
        {
            var (lr, wd) = For(g.Key);
            return new ParameterGroup(g.Key, g.ToList(), lr / LearningRate, wd);
        }).ToList();

    /// <summary>The plan's optimiser over exactly <paramref name="trainable"/> (frozen parameters are never handed to it).</summary>
    public IParameterOptimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> trainable, Func<string, string> groupOf)
    {
        var groups = Groups(trainable, groupOf);
        return Optimizer switch
        {
            "adamw" => new AdamW(groups),
            "sgd" => new SgdMomentum(groups, Momentum),
            _ => throw new ArgumentException($"unknown optimizer '{Optimizer}' (sgd, adamw)"),
        };
    }

    public static OptimisationPlan From(TrainingSpec t, string defaultOptimizer, double defaultLearningRate, Func<string, double> defaultWeightDecay,
        IReadOnlySet<string>? undecayedGroups = null, IReadOnlyDictionary<string, double>? groupDefaultRates = null)
    {
        string optimizer = t.Optimizer ?? defaultOptimizer;
        return new OptimisationPlan
        {
            Optimizer = optimizer,
            LearningRate = t.LearningRate ?? defaultLearningRate,
            WeightDecay = t.WeightDecay ?? defaultWeightDecay(optimizer),
            Momentum = t.Momentum ?? 0.9,
            WarmupSteps = t.WarmupSteps,
            CosineSchedule = t.Schedule != "constant",
            GroupOverrides = t.ParameterGroups ?? new Dictionary<string, ParameterGroupSpec>(),
            UndecayedGroups = undecayedGroups ?? new HashSet<string>(),
            GroupDefaultRates = t.LearningRate is null && groupDefaultRates is not null ? groupDefaultRates : new Dictionary<string, double>(),
        };
    }
}
