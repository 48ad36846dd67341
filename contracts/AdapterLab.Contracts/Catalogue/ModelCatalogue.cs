using AdapterLab.Contracts.Specs;

namespace AdapterLab.Contracts.Catalogue;

/// <summary>Backbone presets and the exact trainable/total parameter formulas of every method.</summary>
public static class ModelCatalogue
{
    public static readonly IReadOnlyList<BackbonePreset> Presets =
    [
        new("vit-tiny-ci", 32, 4, 96, 4, 3, 384),
        new("vit-lab-s", 32, 4, 192, 6, 3, 768),
        new("vit-ti16", 224, 16, 192, 12, 3, 768),
        new("vit-s16", 224, 16, 384, 12, 6, 1536),
        new("vit-b16", 224, 16, 768, 12, 12, 3072),
    ];

    public static BackbonePreset? Find(string? name) => Presets.FirstOrDefault(p => p.Name == name);

    public static BackbonePreset Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown backbone preset '{name}'", nameof(name));

    /// <summary>Method defaults from ml-spec.md.</summary>
    public static class Defaults
    {
        public const int Bottleneck = 64;
        public const double Scale = 0.1;
        public const string Placement = "parallel";
        public const string AdapterNorm = "none";
        public const double Dropout = 0.1;
        public const int PromptTokens = 5;
        public const int Rank = 8;
        public const double Alpha = 16;
    }

    /// <summary>Number of classes the spec's classification head predicts.</summary>
    public static int Classes(ExperimentSpec spec) =>
        spec.Data.Dataset != Datasets.ShapesWorld ? 0
        : spec.Data.LabelFamilies is { } heads ? heads.Sum(h => ShapesWorldCatalogue.FindLabelFamily(h)?.Classes.Count ?? 0)
        : spec.Data.LabelFamily is { } f && ShapesWorldCatalogue.FindLabelFamily(f) is { } fam ? fam.Classes.Count
        : 0;

    /// <summary>
    /// The MAE decoder of a preset (ml-spec: 2 blocks of width d/2 with the preset's heads and MLP ratio 4, its own
    /// fixed sin-cos position embedding, a mask token, an embedding Linear d → d/2, a final LayerNorm and a Linear to the
    /// p²·3 pixels of a patch).
    /// </summary>
    public static long MaeDecoderParameters(BackbonePreset preset)
    {
        long d = preset.Width, w = MaeDecoderWidth(preset), pixels = 3L * preset.PatchSize * preset.PatchSize;
        long block = 2 * w + (3 * w * w + 3 * w) + (w * w + w) + 2 * w + (w * 4 * w + 4 * w) + (4 * w * w + w);
        return (d * w + w) + w + MaeDecoderDepth * block + 2 * w + (w * pixels + pixels);
    }

    public const int MaeDecoderDepth = 2;

    public static int MaeDecoderWidth(BackbonePreset preset) => preset.Width / 2;

    /// <summary>Parameter counts of a classification spec (pretrain, adapt, evaluate).</summary>
    public static ParameterCount Count(ExperimentSpec spec)
    {
        var preset = Get(spec.Backbone.Preset);
        long d = preset.Width;
        long backbone = preset.BackboneParameters(spec.Backbone.ImageSize);
        long classes = Classes(spec);
        long head = d * classes + classes;
        var m = spec.Method;
        int adaptedLayers = m.Layers?.Count ?? preset.Depth;
        long extra, trainable;
        switch (m.Name)
        {
            case Methods.Mae:
                // No head: the encoder and the decoder train; the decoder is dropped when the backbone is registered.
                extra = MaeDecoderParameters(preset); head = 0; trainable = backbone + extra; break;
            case Methods.Supervised:
            case Methods.FullFinetune:
                extra = 0; trainable = backbone + head; break;
            case Methods.LinearProbe:
                extra = 0; trainable = head; break;
            case Methods.VptShallow:
                extra = (m.PromptTokens ?? Defaults.PromptTokens) * d; trainable = extra + head; break;
            case Methods.VptDeep:
                extra = (m.PromptTokens ?? Defaults.PromptTokens) * d * preset.Depth; trainable = extra + head; break;
            case Methods.AdaptFormer:
            {
                long b = m.Bottleneck ?? Defaults.Bottleneck;
                long perLayer = 2 * d * b + b + d
                    + (m.LearnableScale == true ? 1 : 0)
                    + ((m.AdapterNorm ?? Defaults.AdapterNorm) == "none" ? 0 : 2 * d);
                extra = perLayer * adaptedLayers; trainable = extra + head; break;
            }
            case Methods.Lora:
                extra = 4L * (m.Rank ?? Defaults.Rank) * d * adaptedLayers; trainable = extra + head; break;
            case Methods.BitFit:
                extra = 0; trainable = preset.BiasParameters + head; break;
            default:
                extra = 0; trainable = 0; break;
        }
        return new ParameterCount(trainable, backbone + extra + head, backbone);
    }

    /// <summary>AdaptMLP parameters for one layer: 2·d·d̂ + d̂ + d.</summary>
    public static long AdaptMlpParameters(int width, int bottleneck) => 2L * width * bottleneck + bottleneck + width;
}

/// <summary>Exact parameter counts of an experiment's model.</summary>
/// <param name="Trainable">Parameters that receive gradients.</param>
/// <param name="Total">All parameters, frozen included (head and method extras counted once).</param>
/// <param name="Backbone">Backbone parameters without a head.</param>
public sealed record ParameterCount(long Trainable, long Total, long Backbone)
{
    /// <summary>Trainable parameters as a percentage of the backbone.</summary>
    public double TrainablePercentOfBackbone => Backbone == 0 ? 0 : 100.0 * Trainable / Backbone;
}
