using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>Transformer MLP: Linear, exact (erf) GELU, Linear — the exact GELU is what the golden fixtures assume.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public Mlp(int width, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(width, hidden);
        fc2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var h = Autocast.Linear(fc1, x);
        using var g = nn.functional.gelu(h);
        return Autocast.Linear(fc2, g);
    }
}
