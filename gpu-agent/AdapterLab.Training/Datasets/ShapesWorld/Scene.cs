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

    /// <summary>Class index of this scene in a label family (order as in <see cref="ShapesWorldCatalogue.LabelFamilies"/>).</summary>
    public int Label(string family) => family switch
    {
        "largest-shape" => (int)Largest.Shape,
        "object-count" => Objects.Count - 1,
        "largest-quadrant" => (Largest.CenterY < 0.5 ? 0 : 2) + (Largest.CenterX < 0.5 ? 0 : 1),
        "topmost-shape" => (int)Topmost.Shape,
        _ => throw new ArgumentException($"unknown ShapesWorld label family '{family}'", nameof(family)),
    };

    /// <summary>Depth of the ground (or sky, above the horizon) at image row y.</summary>
    public double GroundDepth(double y) => y <= Horizon + 0.01 ? SkyDepth : Math.Min(SkyDepth, 0.6 / (y - Horizon));

    public const double SkyDepth = 30;
}
