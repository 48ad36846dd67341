using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Pretraining;

/// <summary>
/// A ViT encoder and its <see cref="MaeDecoder"/> trained by masked autoencoding (He et al. 2022): per image a random
/// <see cref="MaskRatio"/> of the patches is hidden, the encoder sees only the visible ones (plus CLS), the decoder
/// reconstructs every patch, and the loss is the mean squared error on the hidden patches only, against each patch's
/// pixels normalised by that patch's own mean and variance. Parameter names: <c>encoder.…</c> (the ViT's own names) and
/// <c>decoder.…</c>.
/// </summary>
public sealed class MaskedAutoencoder : nn.Module
{
    /// <summary>The normalised-pixel target's variance floor, held for good (Model/Scalars).</summary>
    private static readonly Scalar Epsilon = 1e-6.ToScalar();

    private readonly VisionTransformer encoder;
    private readonly MaeDecoder decoder;

    public MaskedAutoencoder(VisionTransformer encoder, MaeDecoder decoder, double maskRatio) : base(nameof(MaskedAutoencoder))
    {
        this.encoder = encoder;
        this.decoder = decoder;
        MaskRatio = maskRatio;
        RegisterComponents();
    }

    public VisionTransformer Encoder => encoder;
    public double MaskRatio { get; }
    public int PatchSize => encoder.Options.Preset.PatchSize;
    public int Patches => encoder.Options.PatchTokens;

    /// <summary>Visible patches per image: N·(1 − ratio), at least one.</summary>
    public int VisibleCount => Math.Max(1, (int)(Patches * (1 - MaskRatio)));

    /// <summary>One image's masking: which patches are visible (shuffled order) and where each grid position went.</summary>
    public sealed record Masking(Tensor Visible, Tensor Restore, Tensor Hidden);

    /// <summary>Random per-image masks ([B, N] noise from <paramref name="generator"/>, argsorted): the same noise gives the same masks.</summary>
    public Masking DrawMasks(long batch, Generator generator, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var noise = torch.rand(batch, Patches, generator: generator, device: generator.device).to(device);
        var shuffle = noise.argsort(1);
        var restore = shuffle.argsort(1);
        var visible = shuffle[.., ..VisibleCount];
        // 1 where hidden, in grid order: position j is hidden when its rank in the shuffle is ≥ K.
        var hidden = restore.ge(VisibleCount).to(ScalarType.Float32);
        return new Masking(visible.MoveToOuterDisposeScope(), restore.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope());
    }

    /// <summary>Reconstructed (normalised) pixels of every patch, [B, N, p²·3].</summary>
    public Tensor Reconstruct(Tensor pixels, Masking mask)
    {
        using var encoded = encoder.EncodeVisible(pixels, mask.Visible);
        return decoder.forward(encoded, mask.Restore);
    }

    /// <summary>Per-image sums of squared error over hidden patches and their counts: (loss sum [B], hidden patch count [B]).</summary>
    public static (Tensor ErrorSum, Tensor Count) HiddenError(Tensor prediction, Tensor target, Tensor hidden)
    {
        var perPatch = (prediction - target).square().mean([-1L]);
        return ((perPatch * hidden).sum(1), hidden.sum(1));
    }

    /// <summary>The training loss: mean squared error over the hidden patches of the batch.</summary>
    public Tensor Loss(Tensor pixels, Masking mask)
    {
        using var scope = torch.NewDisposeScope();
        var prediction = Reconstruct(pixels, mask);
        var target = NormalisedPatches(pixels, PatchSize);
        var (sum, count) = HiddenError(prediction, target, mask.Hidden);
        return (sum.sum() / count.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, 3, H, W] as patches [B, N, p²·3] in the patch embedding's row-major order (pixel-major, channel last).</summary>
    public static Tensor Patchify(Tensor pixels, int p)
    {
        long b = pixels.shape[0], h = pixels.shape[2] / p, w = pixels.shape[3] / p;
        return pixels.reshape(b, 3, h, p, w, p).permute(0, 2, 4, 3, 5, 1).reshape(b, h * w, p * p * 3);
    }

    /// <summary>The inverse of <see cref="Patchify"/>.</summary>
    public static Tensor Unpatchify(Tensor patches, int p, int imageSize)
    {
        long b = patches.shape[0], g = imageSize / p;
        return patches.reshape(b, g, g, p, p, 3).permute(0, 5, 1, 3, 2, 4).reshape(b, 3, imageSize, imageSize);
    }

    /// <summary>The reconstruction target: each patch's pixels minus their mean, over the square root of their (unbiased) variance + 1e-6.</summary>
    public static Tensor NormalisedPatches(Tensor pixels, int p)
    {
        using var scope = torch.NewDisposeScope();
        var patches = Patchify(pixels, p);
        var mean = patches.mean([-1L], keepdim: true);
        var variance = patches.var(-1, unbiased: true, keepdim: true);
        return (patches - mean).div(variance.add(Epsilon).sqrt()).MoveToOuterDisposeScope();
    }
}
