namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// Small deterministic generator (SplitMix64). Used instead of System.Random so scenes stay identical across
/// .NET versions and platforms: a dataset is defined by (seed, index), forever.
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong state = seed;

    public static SplitMix64 For(params ReadOnlySpan<ulong> keys)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var k in keys) h = Mix(h ^ Mix(k + 0x632BE59BD9B4E019UL));
        return new SplitMix64(h);
    }

    /// <summary>Stable string hash (FNV-1a); string.GetHashCode is randomised per process.</summary>
    public static ulong Hash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    public int Next(int exclusiveMax) => (int)(NextUInt64() % (ulong)exclusiveMax);

    /// <summary>Standard normal (Box–Muller).</summary>
    public double Gaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
