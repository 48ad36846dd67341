using AdapterLab.Contracts.Catalogue;
using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Bench.Perf;

/// <summary>In-process references for the training figures: peak float32 matmul rate and one transformer block's fwd + bwd.</summary>
public static class TorchMicro
{
    /// <summary>Seconds per n×n float32 matmul (median of repeats); FLOPs are 2n³.</summary>
    public static Distribution Matmul(int n, int repeats)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(n, n);
        var b = torch.randn(n, n);
        return Measure.Seconds(() => torch.matmul(a, b).Dispose(), repeats, warmup: 2);
    }

    /// <summary>
    /// One pre-norm transformer block of the preset's shape (the training library's own block): forward, then backward
    /// with weight gradients, no optimiser. Seconds per iteration.
    /// </summary>
    public static Distribution Block(BackbonePreset p, int batch, int tokens, int repeats)
    {
        torch.random.manual_seed(1);
        using var block = new TransformerBlock(p.Width, p.Heads, p.MlpHidden, null, null);
        block.train();
        using var x = torch.randn(batch, tokens, p.Width).requires_grad_(true);
        return Measure.Seconds(() =>
        {
            using var scope = torch.NewDisposeScope();
            foreach (var param in block.parameters()) param.grad = null;
            x.grad = null;
            var y = block.forward(x);
            y.sum().backward();
        }, repeats, warmup: 2);
    }
}
