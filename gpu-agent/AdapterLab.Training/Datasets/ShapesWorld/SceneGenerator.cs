namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>Samples scene geometry deterministically from (seed, index).</summary>
public static class SceneGenerator
{
    public static Scene Generate(int seed, long index)
    {
        var rng = SplitMix64.For((ulong)seed, (ulong)index, 0x5CE4EUL);
        double horizon = rng.Uniform(0.12, 0.3);
        double tilt = rng.Uniform(0.5, 0.9);
        int count = 1 + rng.Next(4);
        var shapes = new ShapeKind[count];
        for (int i = 0; i < count; i++) shapes[i] = (ShapeKind)rng.Next(4);
        var radii = SampleRadii(ref rng, shapes);
        var objects = new List<SceneObject>(count);
        for (int i = 0; i < count; i++)
        {
            var shape = shapes[i];
            double r = radii[i];
            double cx = rng.Uniform(0.12, 0.88);
            double cy = rng.Uniform(Math.Max(horizon + 0.05, 0.12), 0.88);
            // Objects stand on the ground: their base row sets their distance, so lower objects are nearer.
            double baseRow = Math.Min(cy + r, 0.999);
            double depth = 0.6 / Math.Max(baseRow - horizon, 0.02) + 0.01 * rng.NextDouble();
            objects.Add(new SceneObject(shape, cx, cy, r, rng.Uniform(0, 2 * Math.PI), depth, rng.NextDouble(), rng.NextDouble()));
        }
        objects.Sort((a, b) => b.Depth.CompareTo(a.Depth)); // painter's order: far first
        return new Scene(objects, horizon, tilt, rng.NextDouble(), rng.NextDouble());
    }

    private static double[] SampleRadii(ref SplitMix64 rng, ShapeKind[] shapes)
    {
        // The largest object must be clearly largest by area (shapes differ in area per radius), else the
        // largest-* labels would hinge on sub-pixel differences. Re-draw until a 1.4× area margin holds.
        int count = shapes.Length;
        while (true)
        {
            var radii = new double[count];
            var areas = new double[count];
            for (int i = 0; i < count; i++)
            {
                radii[i] = rng.Uniform(0.08, 0.24);
                areas[i] = new SceneObject(shapes[i], 0, 0, radii[i], 0, 0, 0, 0).Area;
            }
            if (count == 1) return radii;
            var sorted = areas.OrderDescending().ToArray();
            if (sorted[0] >= sorted[1] * 1.4) return radii;
        }
    }
}
