using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>Pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)), with an optional AdaptMLP beside or after the MLP.</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly MultiHeadAttention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly AdaptMlp? adapter;
    private readonly bool sequential;

    /// <summary>While set, the block records its adapter branch against its MLP (and its attention its LoRA branches) under <see cref="Site"/>.</summary>
    internal BranchMeter? Meter { get; private set; }
    internal string Site { get; private set; } = "";

    internal void AttachMeter(BranchMeter? meter, string site)
    {
        Meter = meter;
        Site = site;
        attn.AttachMeter(meter, site + ".attn");
    }

    public TransformerBlock(int width, int heads, int mlpHidden, AdaptMlpOptions? adaptMlp, LoraOptions? lora, RunRandom? random = null, bool fusedAttention = true) : base(nameof(TransformerBlock))
    {
        norm1 = nn.LayerNorm([width], eps: 1e-6);
        attn = new MultiHeadAttention(width, heads, lora, fusedAttention);
        norm2 = nn.LayerNorm([width], eps: 1e-6);
        mlp = new Mlp(width, mlpHidden);
        if (adaptMlp is not null)
        {
            adapter = new AdaptMlp(width, adaptMlp, random);
            sequential = adaptMlp.Placement == "sequential";
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x.Plus(attn.forward(norm1.forward(x)));
        var m = mlp.forward(norm2.forward(h));
        if (adapter is not null)
        {
            // Parallel (AdaptFormer's default): the adapter reads the block's residual stream beside the MLP.
            // Sequential: it refines the MLP output, with its own skip connection.
            var branch = adapter.forward(sequential ? m : h);
            Meter?.Add(Site + ".adapter", branch, m);
            m = m.Plus(branch);
        }
        return h.Plus(m).MoveToOuterDisposeScope();
    }
}
