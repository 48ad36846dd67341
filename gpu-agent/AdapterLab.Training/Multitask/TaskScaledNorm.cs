using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// TSN: LayerNorm whose weight is modulated per sample by a FiLM generator of the task vector ω:
/// weight_t = (1 + Δγ(ω)) ⊙ w + Δβ(ω), bias b unmodulated (CA-MTL / VTAGML code form). w and b start as the
/// pretrained LayerNorm's; the generator is zero-initialised, so at init TSN is exactly that LayerNorm.
/// </summary>
public sealed class TaskScaledNorm : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Linear film;
    private readonly int width;
    private readonly double eps;

    public TaskScaledNorm(int width, int conditioning, double eps = 1e-6) : base(nameof(TaskScaledNorm))
    {
        this.width = width;
        this.eps = eps;
        weight = nn.Parameter(torch.ones(width));
        bias = nn.Parameter(torch.zeros(width));
        film = nn.Linear(conditioning, 2 * width);
        RegisterComponents();
        Initialise();
    }

    /// <summary>(Re)initialises every parameter: the plain LayerNorm (w = 1, b = 0) with a zero FiLM generator. No randomness.</summary>
    public void Initialise()
    {
        using var _ = torch.no_grad();
        weight.fill_(1);
        bias.zero_();
        film.weight.zero_();
        film.bias!.zero_();
    }

    /// <summary>x [B, T, d], ω [B, E].</summary>
    public override Tensor forward(Tensor x, Tensor omega)
    {
        var gb = Autocast.Linear(film, omega);
        var dGamma = gb[.., ..width];
        var dBeta = gb[.., width..];
        var w = dGamma.add(Scalars.One).mul(weight).Plus(dBeta); // [B, d]
        var normalised = nn.functional.layer_norm(x, [width], eps: eps);
        return normalised.mul(w.unsqueeze(1)).Plus(bias);
    }
}
