namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// Dense ground truth of one scene, derived from its <see cref="SceneGeometry"/> only (never from a domain's pixels), so
/// it is identical in every appearance domain:
/// <list type="bullet">
/// <item>segmentation: <see cref="Classes"/> = 6 classes — sky, ground, disc, square, triangle, ring;</item>
/// <item>depth: distance per pixel (sky at <see cref="Scene.SkyDepth"/>, masked out of depth losses and metrics);</item>
/// <item>normals: unit camera-frame normals [3, H, W]; on object surfaces the depth gradient and the normal agree
/// (∂depth/∂x = nx/nz, in image-side units); the ground is a perspective plane whose depth is camera distance;</item>
/// <item>edges: Sobel magnitude (÷ 2, clamped to [0, 1]) of the clean render — a grey level per segment (so every
/// segmentation boundary is an edge) with mild fixed-light Lambertian shading, before any domain effect.</item>
/// </list>
/// </summary>
public static class DenseTargets
{
    public const int Classes = 6;
    public const int SkyClass = 0;
    public const int GroundClass = 1;
    public static readonly IReadOnlyList<string> ClassNames = ["sky", "ground", "disc", "square", "triangle", "ring"];

    /// <summary>Class per pixel: sky 0, ground 1, objects 2 + shape.</summary>
    public static int[] Segmentation(Scene scene, SceneGeometry g)
    {
        var seg = new int[g.ObjectId.Length];
        for (int i = 0; i < seg.Length; i++)
        {
            int id = g.ObjectId[i];
            seg[i] = id == SceneGeometry.Sky ? SkyClass : id == SceneGeometry.Ground ? GroundClass : 2 + (int)scene.Objects[id - 1].Shape;
        }
        return seg;
    }

    /// <summary>The domain-free grey render the edge labels come from.</summary>
    public static float[] CleanRender(SceneGeometry g)
    {
        int size = g.Size, hw = size * size;
        var grey = new float[hw];
        // Fixed light from the upper left; grey levels 0.25 apart (objects cycle through three, nearest neighbours in
        // draw order always differ) and shading of ±0.05, so a segment boundary is always at least a 0.15 step.
        const double lx = -0.4, ly = -0.5, lz = 0.768;
        for (int i = 0; i < hw; i++)
        {
            int id = g.ObjectId[i];
            double level = id == SceneGeometry.Sky ? 0.95 : id == SceneGeometry.Ground ? 0.55 : (id - 1) % 3 switch { 0 => 0.05, 1 => 0.3, _ => 0.8 };
            double ndotl = Math.Max(0, g.Normals[i] * lx + g.Normals[hw + i] * ly + g.Normals[2 * hw + i] * lz);
            grey[i] = (float)(level + 0.1 * (ndotl - 0.5));
        }
        return grey;
    }

    /// <summary>Sobel edges of <see cref="CleanRender"/>, in [0, 1].</summary>
    public static float[] Edges(SceneGeometry g)
    {
        var grey = CleanRender(g);
        int size = g.Size;
        var edges = new float[size * size];
        float At(int y, int x) => grey[Math.Clamp(y, 0, size - 1) * size + Math.Clamp(x, 0, size - 1)];
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            float gx = At(y - 1, x + 1) + 2 * At(y, x + 1) + At(y + 1, x + 1) - At(y - 1, x - 1) - 2 * At(y, x - 1) - At(y + 1, x - 1);
            float gy = At(y + 1, x - 1) + 2 * At(y + 1, x) + At(y + 1, x + 1) - At(y - 1, x - 1) - 2 * At(y - 1, x) - At(y - 1, x + 1);
            edges[y * size + x] = Math.Clamp(MathF.Sqrt(gx * gx + gy * gy) / 2f, 0f, 1f);
        }
        return edges;
    }
}
