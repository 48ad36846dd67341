namespace AdapterLab.Contracts.Sweeps;

/// <summary>
/// The seeds a sweep's winner is confirmed with: the lowest positive seeds no trial trained with (1, 2, 3, … skipping the
/// trials'). Fresh, so the confirmation is free of the search's selection; and the same whatever the trials' seed, so the
/// confirmations of two sweeps over one template — or a sweep's and a grid winner's seeds 1 … N — are paired by seed.
/// </summary>
public static class ConfirmationSeeds
{
    public static IReadOnlyList<int> For(IEnumerable<int> trialSeeds, int count)
    {
        var used = trialSeeds.ToHashSet();
        var seeds = new List<int>(count);
        for (int seed = 1; seeds.Count < count; seed++)
            if (!used.Contains(seed)) seeds.Add(seed);
        return seeds;
    }
}
