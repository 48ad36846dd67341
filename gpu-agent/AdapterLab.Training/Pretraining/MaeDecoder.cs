using AdapterLab.Contracts.Catalogue;
using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Pretraining;

/// <summary>
/// The light MAE decoder (He et al. 2022, ml-spec): the encoded visible tokens are embedded to width d/2, a shared
/// learned mask token fills every hidden position, the sequence is put back in patch order, a fixed 2-D sin-cos
/// position embedding of its own is added, and 2 transformer blocks, a LayerNorm and a Linear predict the p²·3 pixels
/// of every patch. It exists only during pretraining: the registered backbone is the encoder alone.
/// </summary>
public sealed class MaeDecoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear decoder_embed;
    private readonly Parameter mask_token;
    // A fixed table, not a module tensor: it is neither trained nor stored in checkpoints.
    private readonly float[] positions;
    private readonly long[] positionsShape;
    private readonly ModuleList<TransformerBlock> decoder_blocks;
    private readonly LayerNorm decoder_norm;
    private readonly Linear decoder_pred;

    public MaeDecoder(BackbonePreset preset, int imageSize, RunRandom random, bool fusedAttention) : base(nameof(MaeDecoder))
    {
        int d = preset.Width, w = ModelCatalogue.MaeDecoderWidth(preset), p = preset.PatchSize;
        int grid = imageSize / p;
        decoder_embed = nn.Linear(d, w);
        mask_token = nn.Parameter(torch.zeros(1, 1, w));
        positions = SinCosTable(w, grid);
        positionsShape = [1, 1 + grid * grid, w];
        decoder_blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < ModelCatalogue.MaeDecoderDepth; i++)
            decoder_blocks.Add(new TransformerBlock(w, preset.Heads, 4 * w, null, null, random, fusedAttention));
        decoder_norm = nn.LayerNorm([w], eps: 1e-6);
        decoder_pred = nn.Linear(w, 3 * p * p);
        RegisterComponents();

        // As the encoder: truncated normal (0.02) Linear weights, zero biases, unit LayerNorms; the mask token ~ N(0, 0.02).
        using var _ = torch.no_grad();
        foreach (var (_, module) in named_modules())
            if (module is Linear linear)
            {
                SeededInit.TruncatedNormal(linear.weight, 0.02, random.Init);
                linear.bias?.zero_();
            }
        mask_token.normal_(0, 0.02, random.Init);
    }

    /// <summary>
    /// Pixels of every patch [B, N, p²·3] from the encoded sequence <paramref name="encoded"/> [B, 1 + K, d] (CLS then
    /// the visible patches in shuffled order) and <paramref name="restore"/> [B, N] (for each grid position, its index in
    /// the shuffled order, where positions ≥ K are hidden).
    /// </summary>
    public override Tensor forward(Tensor encoded, Tensor restore)
    {
        using var scope = torch.NewDisposeScope();
        var x = Autocast.Linear(decoder_embed, encoded);
        long b = x.shape[0], visible = x.shape[1] - 1, n = restore.shape[1], w = x.shape[2];
        var tokens = torch.cat([x[.., 1..], mask_token.expand(b, n - visible, w)], 1);
        tokens = torch.gather(tokens, 1, restore.unsqueeze(-1).expand(-1, -1, w));
        x = torch.cat([x[.., ..1], tokens], 1) + torch.tensor(positions, positionsShape).to(x.device);
        foreach (var block in decoder_blocks) x = block.forward(x);
        return Autocast.Linear(decoder_pred, decoder_norm.forward(x))[.., 1..].MoveToOuterDisposeScope();
    }

    /// <summary>MAE's fixed 2-D sin-cos embedding, row-major [1 + grid², width]: half the channels encode the row, half the column; CLS gets zeros.</summary>
    public static float[] SinCosTable(int width, int grid)
    {
        if (width % 4 != 0) throw new ArgumentException($"the decoder width {width} must be a multiple of 4 for a 2-D sin-cos embedding");
        var table = new float[(1 + grid * grid) * width];
        int quarter = width / 4;
        for (int row = 0; row < grid; row++)
            for (int col = 0; col < grid; col++)
            {
                int o = (1 + row * grid + col) * width;
                for (int k = 0; k < quarter; k++)
                {
                    double omega = 1.0 / Math.Pow(10000, k / (double)quarter);
                    // First half: the column (MAE's grid[0] is w), second half: the row; sin then cos within each half.
                    table[o + k] = (float)Math.Sin(col * omega);
                    table[o + quarter + k] = (float)Math.Cos(col * omega);
                    table[o + 2 * quarter + k] = (float)Math.Sin(row * omega);
                    table[o + 3 * quarter + k] = (float)Math.Cos(row * omega);
                }
            }
        return table;
    }
}
