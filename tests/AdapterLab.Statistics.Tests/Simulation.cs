namespace AdapterLab.Statistics.Tests;

/// <summary>
/// A fixed generative regime for the simulation tests, shaped like an adapter comparison: test examples of varying
/// difficulty shared by every run (b_i ~ N(0, 1.5²) on the logit scale, a fresh test set per simulated study), a seed
/// effect per run (a ~ N(0, 0.05²): about 0.85 accuracy points of seed spread), and a correct/incorrect outcome per
/// example, y ~ Bernoulli(σ(θ + a + b_i)). The truth a configuration's interval must cover is the population accuracy
/// E[σ(θ + a + b)] over seeds and test images.
/// </summary>
public sealed class Simulation(int seed)
{
    public const double ExampleSd = 1.5, SeedSd = 0.05;

    private readonly Random random = new(seed);

    public double[] Difficulties(int examples)
    {
        var b = new double[examples];
        for (int i = 0; i < examples; i++) b[i] = ExampleSd * Normal();
        return b;
    }

    /// <summary>One configuration's seeds × examples table of 1/0 outcomes on the given test set.</summary>
    public SeedExampleTable Runs(double theta, int seeds, double[] difficulties)
    {
        var rows = new List<double[]>(seeds);
        for (int s = 0; s < seeds; s++)
        {
            double a = SeedSd * Normal();
            var row = new double[difficulties.Length];
            for (int i = 0; i < row.Length; i++) row[i] = random.NextDouble() < Sigmoid(theta + a + difficulties[i]) ? 1 : 0;
            rows.Add(row);
        }
        return new SeedExampleTable(rows);
    }

    /// <summary>E[σ(θ + Z·√(SeedSd² + ExampleSd²))] by the trapezoid rule on a fine grid (error far below 1e-6).</summary>
    public static double PopulationAccuracy(double theta)
    {
        double sd = Math.Sqrt(SeedSd * SeedSd + ExampleSd * ExampleSd), sum = 0, h = 0.001;
        for (double z = -10; z <= 10; z += h) sum += Sigmoid(theta + sd * z) * Math.Exp(-z * z / 2);
        return sum * h / Math.Sqrt(2 * Math.PI);
    }

    /// <summary>The θ whose population accuracy is <paramref name="accuracy"/> (bisection).</summary>
    public static double ThetaFor(double accuracy)
    {
        double lo = -5, hi = 5;
        for (int i = 0; i < 60; i++)
        {
            double mid = (lo + hi) / 2;
            if (PopulationAccuracy(mid) < accuracy) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private double Normal()
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
