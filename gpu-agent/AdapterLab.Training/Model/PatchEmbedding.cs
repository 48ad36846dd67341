using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>Non-overlapping patches to tokens: a stride-p convolution, then flattened to [B, N, d].</summary>
public sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly int patchSize;

    public PatchEmbedding(int patchSize, int width) : base(nameof(PatchEmbedding))
    {
        this.patchSize = patchSize;
        proj = nn.Conv2d(3, width, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var grid = Autocast.Conv2d(proj, pixels, patchSize, 0);
        using var flat = grid.flatten(2);
        return flat.transpose(1, 2);
    }
}
