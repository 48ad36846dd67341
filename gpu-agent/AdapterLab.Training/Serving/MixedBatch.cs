using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// One forward pass of a frozen backbone over a batch whose rows belong to different adapters (AdaptFormer's promise:
/// one backbone, many tasks). Rows come grouped (<see cref="RowGroup"/>, consecutive). The tokens of every row are
/// <b>packed</b> into one [tokens, d] tensor — a row with VPT prompts simply has more tokens, nothing is padded — so the
/// frozen per-token layers (norms, q/k/v, projection, MLP) run once for the whole batch as single matmuls, and only
/// attention, which mixes the tokens of one image, runs per bucket of rows of equal length (no mask needed). Each
/// method's part applies to its own rows' tokens, a contiguous slice of the packed tensor:
/// <list type="bullet">
/// <item>AdaptMLP and LoRA: the branch is computed on the group's tokens and added into them in place;</item>
/// <item>VPT: the group's prompts follow its CLS token; deep prompts overwrite them before every block;</item>
/// <item>BitFit: the backbone's bias for every token, plus the group's difference to it on its own tokens;</item>
/// <item>heads (with their normalisation statistics) per group, each with its own number of classes.</item>
/// </list>
/// Inference only (no gradients, eval mode: adapter dropout off). The result equals serving each adapter alone with its
/// <see cref="VisionTransformer"/> to float rounding (tested per method).
/// </summary>
public static class MixedBatch
{
    /// <summary>Logits per group ([rows, classes] each), in the order of <paramref name="groups"/>.</summary>
    public static IReadOnlyList<Tensor> Forward(ServedBackbone backbone, Tensor pixels, IReadOnlyList<RowGroup> groups)
    {
        Check(backbone, pixels, groups);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var pass = new Pass(backbone, groups);
        var features = pass.Features(pixels);
        var logits = new List<Tensor>(groups.Count);
        for (int g = 0; g < groups.Count; g++)
            logits.Add(Head(groups[g].Adapter, features.narrow(0, pass.RowStart[g], groups[g].Rows)).MoveToOuterDisposeScope());
        return logits;
    }

    private static void Check(ServedBackbone backbone, Tensor pixels, IReadOnlyList<RowGroup> groups)
    {
        if (groups.Count == 0) throw new ArgumentException("a mixed batch needs at least one group", nameof(groups));
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != backbone.ImageSize || pixels.shape[3] != backbone.ImageSize)
            throw new ArgumentException($"pixels must be [B, 3, {backbone.ImageSize}, {backbone.ImageSize}], got [{string.Join(", ", pixels.shape)}]", nameof(pixels));
        long rows = 0;
        foreach (var g in groups)
        {
            if (g.Rows <= 0) throw new ArgumentException($"group '{g.Adapter.Key}' has {g.Rows} rows", nameof(groups));
            if (g.Adapter.IncompatibilityWith(backbone) is { } why) throw new ArgumentException(why, nameof(groups));
            rows += g.Rows;
        }
        if (rows != pixels.shape[0]) throw new ArgumentException($"groups cover {rows} rows, the batch has {pixels.shape[0]}", nameof(groups));
    }

    private static Tensor Head(ServedAdapter adapter, Tensor features)
    {
        var f = adapter.Options.NormalisedHead
            ? nn.functional.batch_norm(features, adapter["head_norm.running_mean"], adapter["head_norm.running_var"], training: false, eps: 1e-5)
            : features;
        return nn.functional.linear(f, adapter["head.weight"], adapter["head.bias"]);
    }

    /// <summary>
    /// One forward pass: where each group's rows sit in the batch, where its tokens sit in the packed tensor (groups
    /// ordered by sequence length, so equal lengths are adjacent), and the buckets attention runs on.
    /// </summary>
    private sealed class Pass
    {
        private readonly ServedBackbone backbone;
        private readonly IReadOnlyList<RowGroup> groups;
        private readonly int width, heads;
        private readonly int[] packed;          // group indices in packed order
        private readonly long[] tokenStart;     // first packed token of each group
        private readonly int[] length;          // tokens per row of each group: CLS, prompts, patches
        private readonly (long Start, int Rows, int Length)[] buckets;
        private readonly int[] bitFit;          // groups whose biases differ from the backbone's
        private readonly bool deepPrompts;

        public Pass(ServedBackbone backbone, IReadOnlyList<RowGroup> groups)
        {
            this.backbone = backbone;
            this.groups = groups;
            width = backbone.Preset.Width;
            heads = backbone.Preset.Heads;
            RowStart = new long[groups.Count];
            for (int g = 1; g < groups.Count; g++) RowStart[g] = RowStart[g - 1] + groups[g - 1].Rows;
            length = groups.Select(g => 1 + g.Adapter.PromptTokens + backbone.PatchTokens).ToArray();
            packed = Enumerable.Range(0, groups.Count).OrderBy(g => length[g]).ToArray(); // stable: ties keep their order
            tokenStart = new long[groups.Count];
            var runs = new List<(long Start, int Rows, int Length)>();
            long next = 0;
            foreach (int g in packed)
            {
                tokenStart[g] = next;
                if (runs.Count > 0 && runs[^1].Length == length[g]) runs[^1] = runs[^1] with { Rows = runs[^1].Rows + groups[g].Rows };
                else runs.Add((next, groups[g].Rows, length[g]));
                next += (long)groups[g].Rows * length[g];
            }
            buckets = runs.ToArray();
            bitFit = Enumerable.Range(0, groups.Count).Where(g => groups[g].Adapter.Method == Contracts.Specs.Methods.BitFit).ToArray();
            deepPrompts = groups.Any(g => g.Adapter.Options.Prompts is { Deep: true });
        }

        /// <summary>First row of each group in the batch.</summary>
        public long[] RowStart { get; }

        private long Tokens(int g) => (long)groups[g].Rows * length[g];

        /// <summary>The CLS token after the final norm: [B, d], rows in batch order.</summary>
        public Tensor Features(Tensor pixels)
        {
            int p = backbone.Preset.PatchSize;
            var patches = nn.functional.conv2d(pixels, backbone["patch_embed.proj.weight"], backbone["patch_embed.proj.bias"], strides: [p, p])
                .flatten(2).transpose(1, 2);
            AddBitFit(patches, "patch_embed.proj.bias", byRows: true);
            var pos = backbone["pos_embed"];
            patches = patches.add(pos.narrow(1, 1, pos.shape[1] - 1));
            var cls = backbone["cls_token"].add(pos.narrow(1, 0, 1));
            var x = Pack(cls, patches);
            for (int i = 0; i < backbone.Preset.Depth; i++)
            {
                // A scope per block, as the training module has: a block's intermediates (and its input) are freed before
                // the next block runs, so the allocator hands the same warm memory back instead of mapping fresh pages
                // for every tensor of the pass (holding all of them to the end cost vit-lab-s about a fifth of its speed).
                using var blockScope = torch.NewDisposeScope();
                if (i > 0 && deepPrompts) RefreshDeepPrompts(x, i);
                var next = Block(x, i).MoveToOuterDisposeScope();
                x.Dispose();
                x = next;
            }
            var first = new long[pixels.shape[0]];
            for (int g = 0; g < groups.Count; g++)
                for (int r = 0; r < groups[g].Rows; r++) first[RowStart[g] + r] = tokenStart[g] + (long)r * length[g];
            using var index = torch.tensor(first, device: x.device);
            return LayerNorm(x.index_select(0, index), "norm", byRows: true);
        }

        /// <summary>Every row's tokens — CLS, its group's prompts for block 0, its patches — one after another: [tokens, d].</summary>
        private Tensor Pack(Tensor cls, Tensor patches)
        {
            var parts = new Tensor[groups.Count];
            for (int k = 0; k < packed.Length; k++)
            {
                int g = packed[k], n = groups[g].Rows;
                var a = groups[g].Adapter;
                var rows = patches.narrow(0, RowStart[g], n);
                var sequence = a.Options.Prompts is { } prompts
                    ? torch.cat([cls.expand(n, -1, -1), a["prompt_embeddings"][0].unsqueeze(0).expand(n, -1, -1), rows], 1)
                    : torch.cat([cls.expand(n, -1, -1), rows], 1);
                parts[k] = sequence.reshape(-1, width);
            }
            return parts.Length == 1 ? parts[0] : torch.cat(parts, 0);
        }

        /// <summary>Deep prompts: each such group's prompt tokens replaced by its own for block <paramref name="block"/>.</summary>
        private void RefreshDeepPrompts(Tensor x, int block)
        {
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                if (a.Options.Prompts is not { Deep: true } prompts) continue;
                var rows = x.narrow(0, tokenStart[g], Tokens(g)).view(groups[g].Rows, length[g], width);
                rows.narrow(1, 1, prompts.Tokens).copy_(a["prompt_embeddings"][block].unsqueeze(0).expand(groups[g].Rows, -1, -1));
            }
        }

        private Tensor Block(Tensor x, int i)
        {
            string prefix = $"blocks.{i}.";
            var h1 = LayerNorm(x, prefix + "norm1");
            var q = Projection(h1, i, "q");
            var k = Linear(h1, prefix + "attn.k");
            var v = Projection(h1, i, "v");
            var h = x.add(Linear(Attention(q, k, v), prefix + "attn.proj"));
            var m = Linear(nn.functional.gelu(Linear(LayerNorm(h, prefix + "norm2"), prefix + "mlp.fc1")), prefix + "mlp.fc2");
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                if (a.Options.AdaptMlp is not { } options || !options.Layers.Contains(i)) continue;
                var tokensOfM = m.narrow(0, tokenStart[g], Tokens(g));
                var input = options.Placement == "sequential" ? tokensOfM : h.narrow(0, tokenStart[g], Tokens(g));
                tokensOfM.add_(AdaptMlp(a, prefix + "adapter.", options, input));
            }
            return h.add(m);
        }

        /// <summary>Multi-head attention within each image: one unmasked call per bucket of equally long rows.</summary>
        private Tensor Attention(Tensor q, Tensor k, Tensor v)
        {
            var parts = new Tensor[buckets.Length];
            for (int b = 0; b < buckets.Length; b++)
            {
                var (start, rows, n) = buckets[b];
                Tensor Heads(Tensor t) => t.narrow(0, start, (long)rows * n).view(rows, n, heads, width / heads).transpose(1, 2);
                parts[b] = nn.functional.scaled_dot_product_attention(Heads(q), Heads(k), Heads(v)).transpose(1, 2).reshape(-1, width);
            }
            return parts.Length == 1 ? parts[0] : torch.cat(parts, 0);
        }

        /// <summary>q or v of block <paramref name="i"/>, with each LoRA group's low-rank update added into its tokens.</summary>
        private Tensor Projection(Tensor x, int i, string which)
        {
            var y = Linear(x, $"blocks.{i}.attn.{which}");
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                if (a.Options.Lora is not { } lora || !lora.Layers.Contains(i)) continue;
                string site = $"blocks.{i}.attn.lora_{which}.";
                var tokens = x.narrow(0, tokenStart[g], Tokens(g));
                var update = nn.functional.linear(nn.functional.linear(tokens, a[site + "a"]), a[site + "b"]).mul(lora.Alpha / lora.Rank);
                y.narrow(0, tokenStart[g], Tokens(g)).add_(update);
            }
            return y;
        }

        private static Tensor AdaptMlp(ServedAdapter a, string prefix, AdaptMlpOptions options, Tensor x)
        {
            var input = options.AdapterNorm == "in" ? AdapterNorm(a, prefix, x) : x;
            var h = nn.functional.relu(nn.functional.linear(input, a[prefix + "down.weight"], a[prefix + "down.bias"]));
            var y = nn.functional.linear(h, a[prefix + "up.weight"], a[prefix + "up.bias"]);
            y = a.Find(prefix + "scale") is { } scale ? y.mul(scale) : y.mul(options.Scale);
            return options.AdapterNorm == "out" ? AdapterNorm(a, prefix, y) : y;
        }

        private static Tensor AdapterNorm(ServedAdapter a, string prefix, Tensor x) =>
            nn.functional.layer_norm(x, [x.shape[^1]], a[prefix + "adapter_norm.weight"], a[prefix + "adapter_norm.bias"], 1e-6);

        private Tensor Linear(Tensor x, string layer)
        {
            var y = nn.functional.linear(x, backbone[layer + ".weight"], backbone[layer + ".bias"]);
            AddBitFit(y, layer + ".bias", byRows: false);
            return y;
        }

        private Tensor LayerNorm(Tensor x, string layer, bool byRows = false)
        {
            var y = nn.functional.layer_norm(x, [width], backbone[layer + ".weight"], backbone[layer + ".bias"], 1e-6);
            AddBitFit(y, layer + ".bias", byRows);
            return y;
        }

        /// <summary>
        /// BitFit groups: their own bias minus the backbone's added in place into their slice of <paramref name="y"/> — the
        /// tokens of their rows (packed), or their rows (<paramref name="byRows"/>: patch embedding, final CLS features).
        /// </summary>
        private void AddBitFit(Tensor y, string name, bool byRows)
        {
            foreach (int g in bitFit)
            {
                if (groups[g].Adapter.Find(name) is not { } own) continue;
                var slice = byRows ? y.narrow(0, RowStart[g], groups[g].Rows) : y.narrow(0, tokenStart[g], Tokens(g));
                slice.add_(own.sub(backbone[name]));
            }
        }
    }
}
