using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// The geometry of one ShapesWorld image: objects in draw order (far to near) over a tilted ground plane.
/// Labels are functions of this geometry only, so every appearance domain keeps them meaningful.
/// </summary>
public sealed record Scene(IReadOnlyList<SceneObject> Objects, double Horizon, double GroundTilt, double GroundHue, double SkyHue)
{
    public SceneObject Largest => Objects.MaxBy(o => o.Area)!;

    /// <summary>The nearest object, drawn last.</summary>
    public SceneObject Topmost => Objects[^1];

    public SceneObject Smallest => Objects.MinBy(o => o.Area)!;

    public SceneObject Leftmost => Objects.MinBy(o => o.CenterX)!;

    /// <summary>Whether any two objects share a point (sampled on a 64 × 64 grid of the image plane): touching or overlapping.</summary>
    public bool AnyTouching
    {
        get
        {
            if (Objects.Count < 2) return false;
            const int grid = 64;
            for (int i = 0; i < grid; i++)
                for (int j = 0; j < grid; j++)
                {
                    double x = (j + 0.5) / grid, y = (i + 0.5) / grid;
                    int hits = 0;
                    foreach (var o in Objects)
                        if (o.Hit(x, y, out _, out _, out _, out _) && ++hits == 2) return true;
                }
            return false;
        }
    }

    /// <summary>
    /// Class index of this scene in a label family (order as in <see cref="ShapesWorldCatalogue.LabelFamilies"/>); for a
    /// composite <c>a+b</c>, the mixed-radix number of its parts' labels (<see cref="ShapesWorldCatalogue.Heads"/>).
    /// </summary>
    public int Label(string family)
    {
        if (!family.Contains(ShapesWorldCatalogue.HeadSeparator)) return Single(family);
        int label = 0, stride = 1;
        foreach (var head in ShapesWorldCatalogue.Heads(family))
        {
            label += Single(head.Name) * stride;
            stride *= head.Classes.Count;
        }
        return label;
    }

    private int Single(string family) => family switch
    {
        "largest-shape" => (int)Largest.Shape,
        "object-count" => Objects.Count - 1,
        "largest-quadrant" => (Largest.CenterY < 0.5 ? 0 : 2) + (Largest.CenterX < 0.5 ? 0 : 1),
        "topmost-shape" => (int)Topmost.Shape,
        "smallest-shape" => (int)Smallest.Shape,
        "leftmost-shape" => (int)Leftmost.Shape,
        "disc-count" => Objects.Count(o => o.Shape == ShapeKind.Disc),
        "touching" => AnyTouching ? 1 : 0,
        _ => throw new ArgumentException($"unknown ShapesWorld label family '{family}'", nameof(family)),
    };

    /// <summary>Depth of the ground (or sky, above the horizon) at image row y.</summary>
    public double GroundDepth(double y) => y <= Horizon + 0.01 ? SkyDepth : Math.Min(SkyDepth, 0.6 / (y - Horizon));

    public const double SkyDepth = 30;
}
