using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Training.Model;

/// <summary>Everything that fixes a model's shape: preset, input size, classes, head kind and method extras.</summary>
/// <param name="NormalisedHead">BatchNorm1d(affine = false) before the Linear head (frozen-backbone methods).</param>
/// <param name="FusedAttention">libtorch's fused scaled-dot-product kernel (default) or the composed matmul–softmax–matmul
/// form (outputs equal to ~1e-7). An option of each model, never a process-wide switch: two attempts in one agent may differ.</param>
public sealed record VisionTransformerOptions(
    BackbonePreset Preset,
    int ImageSize,
    int Classes,
    bool NormalisedHead = false,
    AdaptMlpOptions? AdaptMlp = null,
    LoraOptions? Lora = null,
    PromptOptions? Prompts = null,
    bool FusedAttention = true)
{
    public int PatchTokens => Preset.PatchTokens(ImageSize);
}
