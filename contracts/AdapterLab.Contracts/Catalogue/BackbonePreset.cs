namespace AdapterLab.Contracts.Catalogue;

/// <summary>A pre-norm ViT shape: the single source of truth for model sizes (web, orchestrator and agent agree).</summary>
/// <param name="Name">Catalogue name, e.g. <c>vit-tiny-ci</c>.</param>
/// <param name="ImageSize">Square input side in pixels.</param>
/// <param name="PatchSize">Patch side in pixels.</param>
/// <param name="Width">Embedding width d.</param>
/// <param name="Depth">Number of transformer blocks L.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="MlpHidden">MLP hidden width.</param>
public sealed record BackbonePreset(string Name, int ImageSize, int PatchSize, int Width, int Depth, int Heads, int MlpHidden)
{
    /// <summary>Patch tokens for an input of <paramref name="imageSize"/> (default: the preset's).</summary>
    public int PatchTokens(int? imageSize = null) => (imageSize ?? ImageSize) / PatchSize * ((imageSize ?? ImageSize) / PatchSize);

    /// <summary>Parameters of one transformer block (norms, q/k/v, projection, MLP).</summary>
    public long BlockParameters
    {
        get
        {
            long d = Width, m = MlpHidden;
            return 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * m + m) + (m * d + d);
        }
    }

    /// <summary>Backbone parameters without a head: patch embedding, CLS token, position embedding, blocks, final norm.</summary>
    public long BackboneParameters(int? imageSize = null)
    {
        long d = Width;
        long patch = 3L * PatchSize * PatchSize * d + d;
        long pos = (PatchTokens(imageSize) + 1L) * d;
        return patch + d + pos + Depth * BlockParameters + 2 * d;
    }

    /// <summary>Bias parameters of the backbone (BitFit): patch embedding, every block's biases and norm shifts, final norm shift.</summary>
    public long BiasParameters => Width + Depth * (7L * Width + MlpHidden) + Width;
}
