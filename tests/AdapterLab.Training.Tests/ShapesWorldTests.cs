using AdapterLab.Contracts.Catalogue;
using AdapterLab.Training.Datasets.ShapesWorld;

namespace AdapterLab.Training.Tests;

public sealed class ShapesWorldTests
{
    [Fact]
    public void Scenes_and_images_are_deterministic_given_seed_and_index()
    {
        var a = SceneGenerator.Generate(7, 123);
        var b = SceneGenerator.Generate(7, 123);
        Assert.Equal(a.Objects, b.Objects);
        var c = SceneGenerator.Generate(8, 123);
        Assert.NotEqual(a.Objects, c.Objects);
        foreach (var domain in AppearanceDomain.All)
        {
            var x = SceneRenderer.Image(a, SceneRenderer.Geometry(a, 32), domain, 99);
            var y = SceneRenderer.Image(b, SceneRenderer.Geometry(b, 32), domain, 99);
            Assert.Equal(x, y);
        }
    }

    [Fact]
    public void Labels_follow_the_scene_geometry()
    {
        var seenCounts = new HashSet<int>();
        for (int i = 0; i < 300; i++)
        {
            var scene = SceneGenerator.Generate(3, i);
            int n = scene.Objects.Count;
            Assert.InRange(n, 1, 4);
            seenCounts.Add(n);
            Assert.Equal(n - 1, scene.Label("object-count"));
            var largest = scene.Objects.OrderByDescending(o => o.Area).First();
            Assert.Equal((int)largest.Shape, scene.Label("largest-shape"));
            int quadrant = (largest.CenterY >= 0.5 ? 2 : 0) + (largest.CenterX >= 0.5 ? 1 : 0);
            Assert.Equal(quadrant, scene.Label("largest-quadrant"));
            var nearest = scene.Objects.MinBy(o => o.Depth)!;
            Assert.Equal((int)nearest.Shape, scene.Label("topmost-shape"));
            // The nearest object is drawn last, so it covers its own centre pixel in the id map.
            var g = SceneRenderer.Geometry(scene, 64);
            int px = Math.Clamp((int)(nearest.CenterX * 64), 0, 63), py = Math.Clamp((int)(nearest.CenterY * 64), 0, 63);
            if (nearest.Shape != ShapeKind.Ring) Assert.Equal(n, g.ObjectId[py * 64 + px]);
        }
        Assert.Equal(4, seenCounts.Count);
    }

    [Fact]
    public void Class_names_line_up_with_shape_kinds()
    {
        var shapes = ShapesWorldCatalogue.FindLabelFamily("largest-shape")!.Classes;
        foreach (var kind in Enum.GetValues<ShapeKind>()) Assert.Equal(kind.ToString().ToLowerInvariant(), shapes[(int)kind]);
    }

    [Fact]
    public void Domains_change_appearance_but_not_labels()
    {
        var synthetic = ShapesWorldDataset.Classification(5, "synthetic", "largest-shape", DataSplit.Validation, 64, 32);
        foreach (var name in new[] { "textured", "noisy-photo", "fog" })
        {
            var other = ShapesWorldDataset.Classification(5, name, "largest-shape", DataSplit.Validation, 64, 32);
            Assert.Equal(synthetic.Labels, other.Labels);
            double diff = synthetic.Pixels.Zip(other.Pixels, (a, b) => Math.Abs(a - b)).Average();
            Assert.True(diff > 0.05, $"{name} looks like synthetic (mean |Δ| {diff})");
        }
        Assert.All(synthetic.Pixels, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Splits_use_disjoint_scenes_and_every_class_occurs()
    {
        var train = Enumerable.Range(0, 50).Select(i => ShapesWorldDataset.Scene(1, DataSplit.Train, i)).ToList();
        var test = Enumerable.Range(0, 50).Select(i => ShapesWorldDataset.Scene(1, DataSplit.Test, i)).ToList();
        Assert.Empty(train.Select(s => s.Objects[0]).Intersect(test.Select(s => s.Objects[0])));
        var split = ShapesWorldDataset.Classification(1, "synthetic", "largest-quadrant", DataSplit.Train, 200, 32);
        Assert.Equal(4, split.Labels.Distinct().Count());
        Assert.Same(split, ShapesWorldDataset.Classification(1, "synthetic", "largest-quadrant", DataSplit.Train, 200, 32));
    }
}
