using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// A light per-task decoder: patch tokens (CLS dropped) as a [d, g, g] map, a 1×1 projection, then log₂(patch) stages of
/// ×2 bilinear upsampling + 3×3 conv + GELU back to the input resolution, and a 1×1 head to the task's channels.
/// </summary>
public sealed class DenseDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d project;
    private readonly ModuleList<Conv2d> stages;
    private readonly Conv2d head;
    private readonly int grid;

    public DenseDecoder(int width, int grid, int patchSize, int outputChannels, int channels = 32) : base(nameof(DenseDecoder))
    {
        if ((patchSize & (patchSize - 1)) != 0) throw new ArgumentException($"dense decoders need a power-of-two patch size (got {patchSize})");
        this.grid = grid;
        project = nn.Conv2d(width, channels, kernel_size: 1);
        stages = new ModuleList<Conv2d>();
        for (int s = 1; s < patchSize; s *= 2) stages.Add(nn.Conv2d(channels, channels, kernel_size: 3, padding: 1));
        head = nn.Conv2d(channels, outputChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>tokens [B, 1 + g², d] → raw outputs [B, C, g·p, g·p].</summary>
    public override Tensor forward(Tensor tokens)
    {
        long b = tokens.shape[0], d = tokens.shape[2];
        var map = tokens[.., 1..].transpose(1, 2).reshape(b, d, grid, grid);
        var x = nn.functional.gelu(project.forward(map));
        long size = grid;
        foreach (var conv in stages)
        {
            size *= 2;
            x = nn.functional.interpolate(x, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
            x = nn.functional.gelu(conv.forward(x));
        }
        return head.forward(x);
    }
}
