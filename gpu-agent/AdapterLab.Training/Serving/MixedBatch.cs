using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// One forward pass of a frozen backbone over a batch whose rows belong to different adapters (AdaptFormer's promise:
/// one backbone, many tasks). Rows come grouped (<see cref="RowGroup"/>, consecutive); the frozen layers run once on
/// the whole batch and each method's part applies to its own rows only:
/// <list type="bullet">
/// <item>AdaptMLP and LoRA: the branch is computed on the group's rows and added into them in place (gather/scatter by
/// contiguous slices);</item>
/// <item>VPT: prompt slots sized for the longest prompt set in the batch; a group's unused slots (and every slot of a
/// group without prompts) are zero and masked out as attention keys, so they never reach a real token; deep prompts
/// overwrite their group's slots before every block;</item>
/// <item>BitFit: every bias is a per-row bias, the group's own or the backbone's;</item>
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
            logits.Add(Head(groups[g].Adapter, features.narrow(0, pass.Start[g], groups[g].Rows)).MoveToOuterDisposeScope());
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

    /// <summary>One forward pass: the groups' row offsets, their prompt slots and mask, and the per-row tensors they need.</summary>
    private sealed class Pass
    {
        private readonly ServedBackbone backbone;
        private readonly IReadOnlyList<RowGroup> groups;
        private readonly int width, heads, slots;
        private readonly bool perRowBiases;
        private readonly Tensor? keyMask;

        public Pass(ServedBackbone backbone, IReadOnlyList<RowGroup> groups)
        {
            this.backbone = backbone;
            this.groups = groups;
            width = backbone.Preset.Width;
            heads = backbone.Preset.Heads;
            Start = new long[groups.Count];
            for (int g = 1; g < groups.Count; g++) Start[g] = Start[g - 1] + groups[g - 1].Rows;
            slots = groups.Max(g => g.Adapter.PromptTokens);
            perRowBiases = groups.Any(g => g.Adapter.Method == Contracts.Specs.Methods.BitFit);
            keyMask = slots > 0 && groups.Any(g => g.Adapter.PromptTokens < slots) ? KeyMask(backbone.PatchTokens) : null;
        }

        /// <summary>First row of each group.</summary>
        public long[] Start { get; }

        /// <summary>The CLS token after the final norm: [B, d].</summary>
        public Tensor Features(Tensor pixels)
        {
            int p = backbone.Preset.PatchSize;
            var x = nn.functional.conv2d(pixels, backbone["patch_embed.proj.weight"], strides: [p, p]).flatten(2).transpose(1, 2);
            x = x.add(Bias("patch_embed.proj.bias"));
            long b = x.shape[0];
            x = torch.cat([backbone["cls_token"].expand(b, -1, -1), x], 1).add(backbone["pos_embed"]);
            for (int i = 0; i < backbone.Preset.Depth; i++)
            {
                if (slots > 0 && (i == 0 || groups.Any(g => g.Adapter.Options.Prompts is { Deep: true })))
                    x = WithPrompts(x, i);
                x = Block(x, i);
            }
            return LayerNorm(x, "norm").select(1, 0);
        }

        /// <summary>
        /// Inserts (block 0) or refreshes (deep prompts, later blocks) the prompt slots after CLS: each group's prompts
        /// for this block padded with zeros to <see cref="slots"/>; a group whose slots are not refreshed keeps them.
        /// </summary>
        private Tensor WithPrompts(Tensor x, int block)
        {
            var parts = new Tensor[groups.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                int n = groups[g].Rows;
                bool refresh = a.Options.Prompts is { } pr && (block == 0 || pr.Deep);
                if (refresh)
                {
                    var own = a["prompt_embeddings"][a.Options.Prompts!.Deep ? block : 0];
                    if (own.shape[0] < slots) own = torch.cat([own, torch.zeros(slots - own.shape[0], width, dtype: own.dtype, device: own.device)], 0);
                    parts[g] = own.unsqueeze(0).expand(n, -1, -1);
                }
                else if (block == 0) parts[g] = torch.zeros(n, slots, width, dtype: x.dtype, device: x.device);
                else parts[g] = x.narrow(0, Start[g], n).narrow(1, 1, slots);
            }
            var rest = block == 0 ? x.narrow(1, 1, x.shape[1] - 1) : x.narrow(1, 1 + slots, x.shape[1] - 1 - slots);
            return torch.cat([x.narrow(1, 0, 1), torch.cat(parts, 0), rest], 1);
        }

        /// <summary>Additive key mask [B, 1, 1, S]: −∞ on a group's unused prompt slots.</summary>
        private Tensor KeyMask(int patchTokens)
        {
            int length = 1 + slots + patchTokens;
            var parts = new Tensor[groups.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                var row = torch.zeros(length);
                int used = groups[g].Adapter.PromptTokens;
                if (used < slots) row.narrow(0, 1 + used, slots - used).fill_(double.NegativeInfinity);
                parts[g] = row.view(1, 1, 1, length).expand(groups[g].Rows, -1, -1, -1);
            }
            var device = backbone["cls_token"].device;
            return torch.cat(parts, 0).to(device);
        }

        private Tensor Block(Tensor x, int i)
        {
            string prefix = $"blocks.{i}.";
            long b = x.shape[0], n = x.shape[1];
            var h1 = LayerNorm(x, prefix + "norm1");
            var q = Projection(h1, i, "q");
            var k = Linear(h1, prefix + "attn.k");
            var v = Projection(h1, i, "v");
            var qh = q.view(b, n, heads, width / heads).transpose(1, 2);
            var kh = k.view(b, n, heads, width / heads).transpose(1, 2);
            var vh = v.view(b, n, heads, width / heads).transpose(1, 2);
            var attended = nn.functional.scaled_dot_product_attention(qh, kh, vh, attn_mask: keyMask);
            var h = x.add(Linear(attended.transpose(1, 2).reshape(b, n, width), prefix + "attn.proj"));
            var m = Linear(nn.functional.gelu(Linear(LayerNorm(h, prefix + "norm2"), prefix + "mlp.fc1")), prefix + "mlp.fc2");
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                if (a.Options.AdaptMlp is not { } options || !options.Layers.Contains(i)) continue;
                var rowsOfM = m.narrow(0, Start[g], groups[g].Rows);
                var input = options.Placement == "sequential" ? rowsOfM : h.narrow(0, Start[g], groups[g].Rows);
                rowsOfM.add_(AdaptMlp(a, prefix + "adapter.", options, input));
            }
            return h.add(m);
        }

        /// <summary>q or v of block <paramref name="i"/>, with each LoRA group's low-rank update added into its rows.</summary>
        private Tensor Projection(Tensor x, int i, string which)
        {
            var y = Linear(x, $"blocks.{i}.attn.{which}");
            for (int g = 0; g < groups.Count; g++)
            {
                var a = groups[g].Adapter;
                if (a.Options.Lora is not { } lora || !lora.Layers.Contains(i)) continue;
                string site = $"blocks.{i}.attn.lora_{which}.";
                var rows = x.narrow(0, Start[g], groups[g].Rows);
                var update = nn.functional.linear(nn.functional.linear(rows, a[site + "a"]), a[site + "b"]).mul(lora.Alpha / lora.Rank);
                y.narrow(0, Start[g], groups[g].Rows).add_(update);
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
            var weight = backbone[layer + ".weight"];
            return perRowBiases
                ? nn.functional.linear(x, weight).add(Bias(layer + ".bias"))
                : nn.functional.linear(x, weight, backbone[layer + ".bias"]);
        }

        private Tensor LayerNorm(Tensor x, string layer) =>
            perRowBiases
                ? nn.functional.layer_norm(x, [width], backbone[layer + ".weight"], null, 1e-6).add(Bias(layer + ".bias"))
                : nn.functional.layer_norm(x, [width], backbone[layer + ".weight"], backbone[layer + ".bias"], 1e-6);

        /// <summary>A bias for every row: the backbone's [d], or with BitFit groups present, [B, 1, d] of each group's own.</summary>
        private Tensor Bias(string name)
        {
            if (!perRowBiases) return backbone[name];
            var parts = new Tensor[groups.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                var bias = groups[g].Adapter.Find(name) ?? backbone[name];
                parts[g] = bias.view(1, 1, -1).expand(groups[g].Rows, 1, -1);
            }
            return torch.cat(parts, 0);
        }
    }
}
