using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Model;

/// <summary>
/// Pre-norm ViT with CLS pooling; parameter names follow the common ViT naming (patch_embed.proj, cls_token, pos_embed,
/// blocks.{i}.…, norm, head) so weights exported elsewhere load by name. Method extras (prompts, adapters, LoRA) live
/// under their own names and never rename a backbone tensor. Built with a <see cref="RunRandom"/>, every random draw
/// (initialisation, dropout) comes from that run's own generators; without one, from torch's global generator.
/// </summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly PatchEmbedding patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly Parameter? prompt_embeddings;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly BatchNorm1d? head_norm;
    private readonly Linear head;
    private readonly PromptOptions? prompts;

    public VisionTransformer(VisionTransformerOptions options, RunRandom? random = null) : base(nameof(VisionTransformer))
    {
        Options = options;
        Random = random;
        var p = options.Preset;
        int d = p.Width;
        patch_embed = new PatchEmbedding(p.PatchSize, d);
        cls_token = nn.Parameter(torch.zeros(1, 1, d));
        pos_embed = nn.Parameter(torch.zeros(1, options.PatchTokens + 1, d));
        blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < p.Depth; i++)
        {
            var adapt = options.AdaptMlp is { } a && a.Layers.Contains(i) ? a : null;
            var lora = options.Lora is { } l && l.Layers.Contains(i) ? l : null;
            blocks.Add(new TransformerBlock(d, p.Heads, p.MlpHidden, adapt, lora, random, options.FusedAttention));
        }
        norm = nn.LayerNorm([d], eps: 1e-6);
        if (options.NormalisedHead) head_norm = nn.BatchNorm1d(d, affine: false);
        head = nn.Linear(d, Math.Max(1, options.Classes));
        prompts = options.Prompts;
        if (prompts is not null)
        {
            prompt_embeddings = nn.Parameter(torch.zeros(prompts.Deep ? p.Depth : 1, prompts.Tokens, d));
        }
        RegisterComponents();
        InitialiseWeights(random?.Init);
    }

    public VisionTransformerOptions Options { get; }

    /// <summary>The run's random numbers (null: torch's global generator).</summary>
    public RunRandom? Random { get; }

    /// <summary>Logits [B, classes] for normalised pixels [B, 3, H, W].</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var features = Features(pixels);
        return Classify(features);
    }

    private BranchMeter? meter;

    /// <summary>
    /// The method's branch ratios (<see cref="BranchMeter"/>) on <paramref name="pixels"/>, in eval mode without
    /// gradients (the model is left in eval mode; every training step sets its own mode). Empty for methods without a branch (probe, full fine-tuning, BitFit).
    /// </summary>
    public IReadOnlyList<(string Site, double Ratio)> MeasureBranches(Tensor pixels)
    {
        var measured = new BranchMeter();
        try
        {
            meter = measured;
            for (int i = 0; i < blocks.Count; i++) blocks[i].AttachMeter(measured, $"blocks.{i}");
            eval();
            using var _ = torch.no_grad();
            using var features = Features(pixels);
        }
        finally
        {
            meter = null;
            for (int i = 0; i < blocks.Count; i++) blocks[i].AttachMeter(null, $"blocks.{i}");
        }
        return measured.Ratios();
    }

    /// <summary>The CLS token after the final norm: [B, d].</summary>
    public Tensor Features(Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        var x = patch_embed.forward(pixels);
        long b = x.shape[0];
        x = torch.cat([cls_token.expand(b, -1, -1), x], 1).Plus(pos_embed);
        int n = prompts?.Tokens ?? 0;
        for (int i = 0; i < blocks.Count; i++)
        {
            if (prompt_embeddings is not null && (i == 0 || prompts!.Deep))
            {
                // Shallow: prompts enter once after CLS. Deep: before every block the prompt slots are overwritten
                // with that layer's own prompts (the previous block's outputs at those positions are discarded).
                var layerPrompts = prompt_embeddings[prompts!.Deep ? i : 0].unsqueeze(0).expand(b, -1, -1);
                var rest = i == 0 ? x[.., 1..] : x[.., (1 + n)..];
                meter?.AddTokenNorms($"prompts.{(prompts.Deep ? i : 0)}", layerPrompts, i == 0 ? rest : x[.., (1 + n)..]);
                x = torch.cat([x[.., ..1], layerPrompts, rest], 1);
            }
            x = blocks[i].forward(x);
        }
        return norm.forward(x)[.., 0].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Masked autoencoding: encodes only the patches listed in <paramref name="visible"/> ([B, K] indices into the
    /// row-major patch grid), each with its position embedding, behind the CLS token: [B, 1 + K, d] after the final norm.
    /// The other patches never enter a block (their embeddings are dropped before the first one).
    /// </summary>
    public Tensor EncodeVisible(Tensor pixels, Tensor visible)
    {
        if (prompt_embeddings is not null) throw new InvalidOperationException("masked autoencoding encodes a plain backbone (no prompts)");
        using var scope = torch.NewDisposeScope();
        var x = patch_embed.forward(pixels).Plus(pos_embed[.., 1..]);
        long b = x.shape[0], d = x.shape[2];
        x = torch.gather(x, 1, visible.unsqueeze(-1).expand(-1, -1, d));
        x = torch.cat([cls_token.Plus(pos_embed[.., ..1]).expand(b, -1, -1), x], 1);
        foreach (var block in blocks) x = block.forward(x);
        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Head on pooled features (used directly on cached features by the linear probe).</summary>
    public Tensor Classify(Tensor features)
    {
        if (head_norm is null) return Autocast.Linear(head, features);
        using var normalised = head_norm.forward(features);
        return Autocast.Linear(head, normalised);
    }

    /// <summary>Puts the head's BatchNorm in train or eval mode without touching the rest (linear probe on cached features).</summary>
    public void SetHeadTraining(bool training) => head_norm?.train(training);

    private void InitialiseWeights(Generator? g)
    {
        // timm's ViT init: truncated normal (std 0.02) for Linear weights and the position embedding, zero biases,
        // a near-zero CLS token; the patch embedding keeps torch's Conv2d default. Adapters and LoRA keep their own
        // identity-preserving inits. Every draw comes from g, so the layers' own construction-time draws (from torch's
        // global generator) are all overwritten.
        using var _ = torch.no_grad();
        SeededInit.LayerDefaults(patch_embed, g);
        SeededInit.TruncatedNormal(pos_embed, 0.02, g);
        cls_token.normal_(0, 1e-6, g);
        foreach (var block in blocks)
        {
            foreach (var (name, module) in block.named_modules())
            {
                if (module is AdaptMlp adapter) adapter.Initialise(g);
                else if (module is LowRankUpdate lora) lora.Initialise(g);
                else if (name.Contains("adapter") || name.Contains("lora")) continue;
                else if (module is Linear linear)
                {
                    SeededInit.TruncatedNormal(linear.weight, 0.02, g);
                    linear.bias?.zero_();
                }
            }
        }
        SeededInit.TruncatedNormal(head.weight, 0.02, g);
        head.bias!.zero_();
        if (prompt_embeddings is not null)
        {
            // VPT's Xavier-uniform bound for prompts of a p×p patch embedding: √(6 / (3·p² + d)).
            int ps = Options.Preset.PatchSize;
            double bound = Math.Sqrt(6.0 / (3.0 * ps * ps + Options.Preset.Width));
            prompt_embeddings.uniform_(-bound, bound, g);
        }
    }
}
