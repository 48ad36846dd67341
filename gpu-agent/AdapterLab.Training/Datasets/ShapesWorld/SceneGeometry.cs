namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// Per-pixel ground truth of a scene at one resolution, independent of any domain: which object covers each pixel
/// (-1 sky, 0 ground, k+1 for <c>Objects[k]</c>), its depth and unit normal (camera frame, z towards the viewer).
/// Dense tasks (segmentation, depth, normals, edges) derive their targets from this.
/// </summary>
public sealed class SceneGeometry
{
    public const int Sky = -1;
    public const int Ground = 0;

    public SceneGeometry(int size)
    {
        Size = size;
        ObjectId = new int[size * size];
        Depth = new float[size * size];
        Normals = new float[3 * size * size];
    }

    public int Size { get; }
    public int[] ObjectId { get; }
    public float[] Depth { get; }

    /// <summary>Channel-major [3, H, W].</summary>
    public float[] Normals { get; }
}
