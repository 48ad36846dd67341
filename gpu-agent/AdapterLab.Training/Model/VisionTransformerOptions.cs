using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Training.Model;

/// <summary>Everything that fixes a model's shape: preset, input size, classes, head kind and method extras.</summary>
/// <param name="NormalisedHead">BatchNorm1d(affine = false) before the Linear head (frozen-backbone methods).</param>
public sealed record VisionTransformerOptions(
    BackbonePreset Preset,
    int ImageSize,
    int Classes,
    bool NormalisedHead = false,
    AdaptMlpOptions? AdaptMlp = null,
    LoraOptions? Lora = null,
    PromptOptions? Prompts = null)
{
    public int PatchTokens => Preset.PatchTokens(ImageSize);
}
