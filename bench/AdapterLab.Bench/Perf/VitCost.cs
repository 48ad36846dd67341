using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// Analytic matmul FLOPs of one ViT training step (the floor a step cannot beat at a given matmul rate). Counts only
/// the matrix products (linears, attention scores and mixing, patch embedding); norms, activations, softmax and the
/// optimiser are the overhead the benchmark measures against it.
/// </summary>
public static class VitCost
{
    /// <summary>Forward FLOPs of the linears (q, k, v, proj, fc1, fc2) of one block.</summary>
    public static double BlockLinear(BackbonePreset p, int batch, int tokens) =>
        2.0 * batch * tokens * (4.0 * p.Width * p.Width + 2.0 * p.Width * p.MlpHidden);

    /// <summary>Forward FLOPs of the attention products (QKᵀ and A·V) of one block.</summary>
    public static double BlockAttention(BackbonePreset p, int batch, int tokens) => 4.0 * batch * tokens * tokens * p.Width;

    /// <summary>One block's forward + backward with weight gradients (what the block microbenchmark runs): 3× forward.</summary>
    public static double BlockTrainingFlops(BackbonePreset p, int batch, int tokens) => 3 * (BlockLinear(p, batch, tokens) + BlockAttention(p, batch, tokens));

    public static int Tokens(BackbonePreset p, string method, int prompts = ModelCatalogue.Defaults.PromptTokens) =>
        p.PatchTokens() + 1 + (method is Methods.VptShallow or Methods.VptDeep ? prompts : 0);

    /// <summary>
    /// A training step's matmul FLOPs. Full fine-tuning: forward F, backward 2F (input and weight gradients).
    /// Frozen-weight methods: backward needs input gradients through every linear (1×) but no weight gradients, while
    /// the attention products still cost 2× (both operands are activations); the patch embedding needs no backward.
    /// </summary>
    public static double StepFlops(BackbonePreset p, string method, int batch)
    {
        int n = Tokens(p, method);
        double lin = BlockLinear(p, batch, n), att = BlockAttention(p, batch, n);
        double patch = 2.0 * batch * p.PatchTokens() * 3 * p.PatchSize * p.PatchSize * p.Width;
        double adapter = method == Methods.AdaptFormer ? 2.0 * batch * n * 2 * p.Width * ModelCatalogue.Defaults.Bottleneck : 0;
        double lora = method == Methods.Lora ? 2.0 * batch * n * 2 * 2 * p.Width * ModelCatalogue.Defaults.Rank : 0;
        bool full = method is Methods.Supervised or Methods.FullFinetune;
        double blocks = full
            ? 3 * (lin + att)
            : (lin + att) + (lin + 2 * att) + 3 * (adapter + lora);
        return p.Depth * blocks + (full ? 2 : 1) * patch;
    }
}
