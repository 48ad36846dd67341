using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// Initialisers that draw from an explicit generator (null: torch's global one). TorchSharp's layer constructors
/// initialise from the global generator; a model built for a run re-initialises every parameter through these with its
/// <see cref="RunRandom.Init"/>. Call under <c>torch.no_grad()</c>.
/// </summary>
public static class SeededInit
{
    /// <summary>Kaiming-uniform with negative slope <paramref name="a"/> over fan-in (torch's kaiming_uniform_ defaults).</summary>
    public static void KaimingUniform(Tensor t, double a, Generator? generator)
    {
        double bound = Math.Sqrt(6.0 / ((1 + a * a) * FanIn(t)));
        t.uniform_(-bound, bound, generator);
    }

    /// <summary>timm's trunc_normal_(std, a = −2, b = 2): the bounds are absolute, so at small std a clamped normal.</summary>
    public static void TruncatedNormal(Tensor t, double std, Generator? generator)
    {
        t.normal_(0, std, generator);
        t.clamp_(-2.0, 2.0);
    }

    /// <summary>What torch's Linear and Conv layers do on construction: Kaiming-uniform(a = √5) weight, bias U(±1/√fan_in).</summary>
    public static void LayerDefault(Tensor weight, Tensor? bias, Generator? generator)
    {
        KaimingUniform(weight, Math.Sqrt(5), generator);
        if (bias is null) return;
        double bound = 1.0 / Math.Sqrt(FanIn(weight));
        bias.uniform_(-bound, bound, generator);
    }

    /// <summary>Every Linear and Conv2d in <paramref name="module"/> (itself included) gets <see cref="LayerDefault"/>, in module order.</summary>
    public static void LayerDefaults(nn.Module module, Generator? generator)
    {
        foreach (var (_, m) in module.named_modules().Prepend((string.Empty, module)))
        {
            switch (m)
            {
                case Linear linear: LayerDefault(linear.weight, linear.bias, generator); break;
                case Conv2d conv: LayerDefault(conv.weight, conv.bias, generator); break;
            }
        }
    }

    private static long FanIn(Tensor t)
    {
        if (t.dim() < 2) throw new ArgumentException("fan-in needs a tensor of at least 2 dimensions");
        long receptive = 1;
        for (int i = 2; i < t.dim(); i++) receptive *= t.shape[i];
        return t.shape[1] * receptive;
    }
}
