using System.Globalization;
using System.Text.Json.Nodes;
using AdapterLab.Bench.Runner;
using AdapterLab.Bench.Scenarios.Adapters;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Sweeps;

namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// What the sweep benchmark (the sweeps issue's target) compares, on the classification report's protocol
/// (<see cref="AdaptersProtocol"/>): AdaptFormer on task B (<see cref="Cell"/>), searching the learning rate over the span of
/// the report's grid (multipliers 0.1 … 3 of the default) and the bottleneck d̂ ∈ {2, 8, 32}.
/// <list type="bullet">
/// <item><b>Grid</b>: every multiplier × d̂ at the full budget with the report's two grid seeds, chosen on validation —
/// the report's own runs where it has them (same keys, same specs: one archive); the winner's test over seeds 1–5.</item>
/// <item><b>ASHA</b> (the platform's sweep, η = 3, rungs 44 / 133 / 400 steps): 27 trials at most, capped at 35 % of
/// the grid's steps, search seed = the repetition; the trials train with seed 0 (no grid seed), and the winner is confirmed
/// with 5 fresh seeds — seeds 1–5, those of the grid winner's test runs, so the two are paired by seed and image.</item>
/// <item><b>Target</b>: in each of 3 repetitions the ASHA winner's test accuracy is equivalent to the grid winner's within
/// ±1 point (TOST, paired), at ≤ 35 % of the grid's training steps.</item>
/// </list>
/// <c>--quick</c>: task A, 60 steps, a 2 × 2 grid with one seed, one repetition of 6 trials, 2 confirmation seeds.
/// <para>
/// <b>Registration 2</b> (this one, registered before any of its runs): the space extends to ×10 and the repetitions are
/// fresh (search seeds 4–6). Registration 1 (commit df17acf: ×0.1 … ×3, repetitions 1–3) missed the target in one
/// repetition of three, and its grid winner sat at the space's edge (×3, the largest d̂) with accuracy still rising toward
/// it — the report's own grid rule extends a grid whose edge point wins, and an optimum at the edge of a log-uniform space
/// has little of the space near it. Its result stays in <see cref="History"/>; nothing of it is reused but its grid runs.
/// </para>
/// </summary>
public sealed class SweepBenchProtocol(bool quick)
{
    public AdaptersProtocol Report { get; } = new(quick);
    public bool Quick => quick;
    public IReadOnlyList<double> Multipliers => quick ? [0.3, 3] : [0.1, 0.3, 1, 3, 10];
    public IReadOnlyList<int> Bottlenecks => quick ? [2, 8] : [2, 8, 32];
    public IReadOnlyList<int> Repetitions => quick ? [1] : [4, 5, 6];

    /// <summary>Earlier registrations of this bench and what they found, printed with the report (from their committed results).</summary>
    public IReadOnlyList<string> History => quick ? [] :
    [
        "Registration 1 (commit df17acf, `bench/results/sweeps.md` there): space ×0.1 … ×3, repetitions 1–3. Grid winner d̂ = 32, lr ×3 " +
        "(test 0.801 [0.790, 0.812]), at the space's edge. ASHA at 34.0 / 34.0 / 32.1 % of the grid's steps chose ×1.12, ×2.02, ×2.25 (all d̂ = 32): " +
        "−0.016 [−0.027, −0.006] (not equivalent, TOST p = 0.91), −0.004 (p = 0.044), −0.001 (p = 0.006) — **met in 2 of 3: missed**.",
    ];

    /// <summary>
    /// The queue priority of this bench's runs and trials: a scheduling detail (never part of a run's identity or of its
    /// reuse), so the searches, which wait on each rung, are not queued behind a classification report sharing the agents.
    /// </summary>
    public const int Priority = 10;
    public int MaxTrials => quick ? 6 : 27;
    public const int Eta = 3;
    /// <summary>The search's share of the grid's training steps it may spend (the target).</summary>
    public const double StepShare = 0.35;
    /// <summary>"Equivalent": within ±1 point (TOST).</summary>
    public const double Margin = 0.01;
    /// <summary>The trials' training seed: none of the grid's, so the confirmation seeds (the next ones up) are 1, 2, …</summary>
    public const int TrialSeed = 0;

    /// <summary>
    /// Task B (a smoke run: A). It was the report's sweep cell when this bench was registered and stays this bench's
    /// cell although the report's sweeps moved to task C: the bench compares two ways of choosing, which needs a cell where
    /// the learning rate and d̂ matter (full fine-tuning leads the probe by 35 points on B), not one that passed the
    /// report's backbone gate.
    /// </summary>
    public AdaptersProtocol.Cell Cell => Report.Cells.Single(c => c.Key == (quick ? "A" : "B"));
    public IReadOnlyList<int> ConfirmSeeds => Report.Seeds;

    public static MethodSpec Variant(int bottleneck) => AdaptersProtocol.MainVariant(Methods.AdaptFormer) with { Bottleneck = bottleneck };

    /// <summary>The grid's configurations: learning-rate multiplier X and bottleneck D.</summary>
    public IReadOnlyList<(double X, int D)> Grid =>
        Multipliers.SelectMany(x => Bottlenecks.Select(d => (x, d))).ToList();

    /// <summary>Training steps the grid spends choosing (every configuration × the grid's seeds, at the full budget).</summary>
    public long GridSteps => (long)Grid.Count * Report.GridSeeds.Count * Report.Steps;

    public long StepBudget => (long)Math.Floor(StepShare * GridSteps);

    /// <summary>The platform sweep of one repetition, as <c>POST /api/sweeps</c> takes it.</summary>
    public JsonObject Definition(BackboneSpec backbone, string backboneLabel, int repetition)
    {
        var template = JsonNode.Parse(SpecJson.Serialize(Report.Spec(Cell, backbone, backboneLabel, Variant(8), 1, TrialSeed)))!.AsObject();
        template["name"] = $"bench sweeps: adaptformer on {Cell.Key}, ASHA repetition {repetition}";
        template["tags"] = new JsonArray("bench", "sweeps");
        template["priority"] = Priority;
        double Lr(double x) => Report.LearningRate(Variant(8), x);
        return new JsonObject
        {
            ["name"] = $"bench-sweeps-{(quick ? "quick-" : "")}asha-r{repetition}",
            ["description"] = $"AdaptFormer's learning rate (×{Multipliers[0]} … ×{Multipliers[^1]} of its default) and bottleneck on {Cell.Key}, by ASHA, against the grid of the same space",
            ["template"] = template,
            ["space"] = new JsonObject
            {
                ["training.learningRate"] = new JsonObject { ["type"] = SearchTypes.LogUniform, ["low"] = Lr(Multipliers[0]), ["high"] = Lr(Multipliers[^1]) },
                ["method.bottleneck"] = new JsonObject { ["type"] = SearchTypes.Choice, ["values"] = new JsonArray(Bottlenecks.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()) },
            },
            ["objective"] = new JsonObject { ["metric"] = "accuracy", ["split"] = "validation", ["direction"] = "max", ["domain"] = Cell.Domain },
            ["budget"] = new JsonObject { ["maxTrials"] = MaxTrials, ["totalSteps"] = StepBudget },
            ["algorithm"] = SweepAlgorithms.Asha,
            ["eta"] = Eta,
            ["maxConcurrent"] = 2,
            ["confirmSeeds"] = ConfirmSeeds.Count,
            ["seed"] = repetition,
        };
    }

    public static string Describe(double multiplier, int bottleneck) =>
        $"d̂ = {bottleneck}, lr ×{multiplier.ToString("0.###", CultureInfo.InvariantCulture)}";
}
