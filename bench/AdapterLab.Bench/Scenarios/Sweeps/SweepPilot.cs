namespace AdapterLab.Bench.Scenarios.Sweeps;

/// <summary>
/// A pilot of the sweep bench (<c>./platform bench sweeps-pilot</c>), not a registration: does a first rung at half the
/// budget judge this task's configurations reliably enough to be worth registering?
/// <para>
/// Why: four registrations of single-seed ASHA with its first rung at a third of the budget (134 of 400 steps) each met
/// the target in 2 of 3 repetitions. Each miss was the first rung: the grid's winner (d̂ = 32, lr ×3 — the highest
/// learning rate that does not diverge) scored 0.494 … 0.726 there across trial seeds, because at 134 steps its cosine
/// schedule is still near its peak learning rate; at 400 steps it led every search it reached. At 200 steps the schedule
/// has halved the learning rate. A first rung at 200 steps (rungs 200 / 400) costs 15 × 200 + 5 × 200 = 4,000 steps,
/// 33 % of the grid's 12,000, inside the 35 % cap (the promotion tolerance's one more trial reaches it exactly).
/// </para>
/// <para>
/// What: that search (registration 4's otherwise: the grid's 15 configurations each once, η = 3, promotion tolerance 0.02,
/// cap 4,200 steps) on three pilot seeds no earlier search or grid run used (trials on 201, 202, 203; order seeded alike),
/// without confirmations. Decision rule, fixed before its runs: a registration of rungs 200 / 400 (registration 5, fresh
/// repetitions) follows only if in each of the three the grid's winner is promoted from the first rung and leads at 400
/// steps — three of three. Otherwise there is no fifth registration of this design, and the pilot says where the winner went.
/// Three of three does not make the target likely (it would at best be a rate near 1 shown on three draws); it only keeps
/// a registration from being a re-roll of a design already seen to fail.
/// </para>
/// </summary>
public static class SweepPilot
{
    public static IReadOnlyList<int> Pilots => [1, 2, 3];

    /// <summary>Pilot <paramref name="n"/>'s trial seed and search seed: none the grid, the confirmations or registrations 1–4 used (1–5, 101–112).</summary>
    public static int Seed(int n) => 200 + n;

    /// <summary>The first rung under test: half the budget (200 of 400 steps), where the cosine schedule has halved the learning rate.</summary>
    public static int FirstRung(SweepBenchProtocol p) => p.Report.Steps / 2;

    public static string Name(int n) => $"bench-sweeps-pilot-{n}";

    /// <summary>The pilot's η (registrations 1–5's), its promotion tolerance and its seeds per finalist (one).</summary>
    public const int Eta = 3;

    public const double PromotionTolerance = SweepBenchProtocol.EarlierPromotionTolerance;

    public const int FinalRungSeeds = 1;
}
