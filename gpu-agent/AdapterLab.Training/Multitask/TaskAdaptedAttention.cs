using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// TAA: multi-head self-attention (pretrained q, k, v, proj) whose logits get a task-dependent block-diagonal bias over
/// the patch tokens: A′(ω) = blockdiag((1 + γ(ω)) ⊙ A + β(ω)), A ∈ ℝ^{N×b} zero-initialised (b = N / K tokens per
/// block), (γ, β) ∈ ℝ^b from a FiLM Linear(E → 2b) (weight trunc-normal 0.02, bias 0). The bias is shared by every
/// head; the CLS row and column get none.
/// </summary>
public sealed class TaskAdaptedAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear proj;
    private readonly Parameter taa_matrix;
    private readonly Linear taa_film;
    private readonly int heads;
    private readonly Scalar scale;

    public TaskAdaptedAttention(int width, int heads, int patchTokens, int blocks, int conditioning) : base(nameof(TaskAdaptedAttention))
    {
        if (patchTokens % blocks != 0) throw new ArgumentException($"{patchTokens} patch tokens do not split into {blocks} diagonal blocks");
        this.heads = heads;
        scale = (1.0 / Math.Sqrt(width / heads)).ToScalar();
        Tokens = patchTokens;
        Blocks = blocks;
        BlockSize = patchTokens / blocks;
        q = nn.Linear(width, width);
        k = nn.Linear(width, width);
        v = nn.Linear(width, width);
        proj = nn.Linear(width, width);
        taa_matrix = nn.Parameter(torch.zeros(patchTokens, BlockSize));
        taa_film = nn.Linear(conditioning, 2 * BlockSize);
        RegisterComponents();
        Initialise(null);
    }

    /// <summary>(Re)initialises every parameter from <paramref name="generator"/>: q, k, v, proj torch's Linear default, A zero, FiLM trunc-normal 0.02 with zero bias.</summary>
    public void Initialise(Generator? generator)
    {
        using var _ = torch.no_grad();
        foreach (var l in new[] { q, k, v, proj }) SeededInit.LayerDefault(l.weight, l.bias, generator);
        taa_matrix.zero_();
        SeededInit.TruncatedNormal(taa_film.weight, 0.02, generator);
        taa_film.bias!.zero_();
    }

    public int Tokens { get; }
    public int Blocks { get; }
    public int BlockSize { get; }

    /// <summary>The learnable A (for tests).</summary>
    public Parameter Matrix => taa_matrix;

    /// <summary>(γ, β) ∈ [B, b] each.</summary>
    public (Tensor Gamma, Tensor Beta) Film(Tensor omega)
    {
        var gb = Autocast.Linear(taa_film, omega);
        return (gb[.., ..BlockSize], gb[.., BlockSize..]);
    }

    /// <summary>The additive logit bias [B, 1 + N, 1 + N]: block-diagonal over patch tokens, zero on the CLS row and column.</summary>
    public Tensor Bias(Tensor omega)
    {
        var (gamma, beta) = Film(omega);
        long batch = omega.shape[0];
        int n = Tokens, b = BlockSize, kb = Blocks;
        var modulated = gamma.unsqueeze(1).add(Scalars.One).mul(taa_matrix.unsqueeze(0)).Plus(beta.unsqueeze(1)); // [B, N, b]
        var chunks = modulated.view(batch, kb, b, 1, b);
        var eye = torch.eye(kb, dtype: omega.dtype, device: omega.device).view(1, kb, 1, kb, 1);
        var patch = (chunks * eye).reshape(batch, n, n);
        return nn.functional.pad(patch, [1, 0, 1, 0]);
    }

    /// <summary>x [B, 1 + N, d] (normalised), ω [B, E].</summary>
    public override Tensor forward(Tensor x, Tensor omega)
    {
        long bsz = x.shape[0], n = x.shape[1], d = x.shape[2];
        var qh = Autocast.Linear(q, x).view(bsz, n, heads, d / heads).transpose(1, 2);
        var kh = Autocast.Linear(k, x).view(bsz, n, heads, d / heads).transpose(1, 2);
        var vh = Autocast.Linear(v, x).view(bsz, n, heads, d / heads).transpose(1, 2);
        var logits = Autocast.Matmul(qh, kh.transpose(-2, -1)).mul(scale).Plus(Bias(omega).unsqueeze(1));
        var mixed = Autocast.Matmul(logits.softmax(-1), vh).transpose(1, 2).reshape(bsz, n, d);
        return Autocast.Linear(proj, mixed);
    }
}
