using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Dense multitask model over a pre-norm ViT encoder (common ViT names under <c>encoder.</c>). <c>vtagml</c>: the first
/// L − k blocks are frozen and give the shared representation φ; the last k blocks are replaced by
/// <see cref="VisionAdapterBlock"/>s (initialised from them) conditioned per task by ω̂_t = Σᵢ W[i→t]·θᵢ, the
/// affinity-weighted mix of learned task embeddings θ (W a detached buffer). Other methods run the whole encoder
/// once per image. Every task has its own <see cref="DenseDecoder"/>. Affinity state lives in buffers so checkpoints
/// and exported weights carry it. Built with a <see cref="RunRandom"/>, every parameter is initialised from the run's
/// own generator (torch's global one is process-wide and shared with concurrent runs).
/// </summary>
public sealed class MultitaskModel : nn.Module
{
    private readonly VisionTransformer encoder;
    private readonly ModuleList<VisionAdapterBlock> adapters;
    private readonly Parameter? task_embeddings;
    private readonly ModuleDict<DenseDecoder> decoders;
    private readonly ModuleList<OutputDiscriminator> discriminators;
    private readonly Parts parts;

    private sealed class Parts
    {
        public required nn.Module<Tensor, Tensor> PatchEmbed;
        public required Parameter Cls;
        public required Parameter Pos;
        public required List<nn.Module<Tensor, Tensor>> Blocks;
        public required nn.Module<Tensor, Tensor> Norm;
        public Tensor Conditioning = null!;
        public Tensor TroaWeights = null!;
        public Tensor CosineMean = null!;
        public Tensor TagMean = null!;
        public Tensor Updates = null!;
    }

    public MultitaskModel(MultitaskPlan plan, RunRandom? random = null) : base(nameof(MultitaskModel))
    {
        Plan = plan;
        var p = plan.Preset;
        int grid = plan.ImageSize / p.PatchSize;
        encoder = new VisionTransformer(new VisionTransformerOptions(p, plan.ImageSize, 1, false, FusedAttention: plan.Run.FusedAttention), random);
        var modules = encoder.named_modules().ToDictionary(m => m.name, m => m.module);
        var parameters = encoder.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        parts = new Parts
        {
            PatchEmbed = (nn.Module<Tensor, Tensor>)modules["patch_embed"],
            Cls = parameters["cls_token"],
            Pos = parameters["pos_embed"],
            Blocks = Enumerable.Range(0, p.Depth).Select(i => (nn.Module<Tensor, Tensor>)modules[$"blocks.{i}"]).ToList(),
            Norm = (nn.Module<Tensor, Tensor>)modules["norm"],
        };
        adapters = new ModuleList<VisionAdapterBlock>();
        if (plan.Method == Methods.Vtagml)
        {
            int tokens = grid * grid;
            int diagonal = DiagonalBlocks(tokens);
            for (int i = 0; i < plan.AdapterBlocks; i++)
            {
                var block = new VisionAdapterBlock(p.Width, p.Heads, p.MlpHidden, tokens, diagonal, MultitaskPlan.Conditioning, Math.Max(8, p.Width / 3));
                block.Initialise(random?.Init);
                adapters.Add(block);
            }
            task_embeddings = nn.Parameter(torch.randn(plan.Tasks.Count, MultitaskPlan.Conditioning, generator: random?.Init));
        }
        decoders = new ModuleDict<DenseDecoder>();
        foreach (var task in plan.Tasks)
        {
            var decoder = new DenseDecoder(p.Width, grid, p.PatchSize, DenseOutputs.Channels(task));
            using (torch.no_grad()) SeededInit.LayerDefaults(decoder, random?.Init);
            decoders.Add(task, decoder);
        }
        // The positive control's repeated task starts as its original's exact twin (the same decoder weights): only its
        // task embedding tells them apart, so a working estimator must find them each other's strongest source.
        using (torch.no_grad())
            foreach (var copy in plan.Tasks.Where(Tasks.IsCopy))
            {
                var original = decoders[Tasks.KindOf(copy)].named_parameters().ToDictionary(x => x.name, x => x.parameter);
                foreach (var (name, parameter) in decoders[copy].named_parameters()) parameter.copy_(original[name]);
            }
        discriminators = new ModuleList<OutputDiscriminator>();
        if (plan.Spec.Kind == Kinds.Multitask && plan.Setting == Settings.DomainAdaptation && plan.Adaptation == AdaptationModes.Adversarial)
            foreach (var task in AdversarialTasks)
            {
                var discriminator = new OutputDiscriminator(DenseOutputs.Channels(task));
                using (torch.no_grad()) SeededInit.LayerDefaults(discriminator, random?.Init);
                discriminators.Add(discriminator);
            }
        RegisterComponents();

        // TROA starts uniform (ml-spec): every target weighs every source alike until the directional statistic moves it.
        int n = plan.Tasks.Count;
        var troa = torch.full(n, n, 1.0 / n);
        register_buffer("affinity_troa", troa);
        register_buffer("affinity_cosine", torch.eye(n));
        register_buffer("affinity_tag", torch.zeros(n, n));
        register_buffer("affinity_updates", torch.zeros(1));
        register_buffer("affinity_conditioning", plan.Estimator == Estimators.Troa ? troa.clone() : torch.eye(n));
        RefreshBufferReferences();
    }

    public MultitaskPlan Plan { get; }
    public VisionTransformer Encoder => encoder;
    public IReadOnlyList<VisionAdapterBlock> Adapters => adapters.ToList();
    public IReadOnlyList<OutputDiscriminator> Discriminators => discriminators.ToList();
    public IEnumerable<string> AdversarialTasks => Plan.Tasks.Where(t => t is Tasks.Segmentation or Tasks.Depth);

    public Tensor Conditioning => parts.Conditioning;
    public Tensor TroaWeights => parts.TroaWeights;
    public Tensor CosineMean => parts.CosineMean;
    public Tensor TagMean => parts.TagMean;
    public Tensor AffinityUpdates => parts.Updates;

    /// <summary>Re-reads the buffer tensors after a move to another device (buffers are replaced there).</summary>
    public void RefreshBufferReferences()
    {
        var b = named_buffers().ToDictionary(x => x.name, x => x.buffer);
        parts.TroaWeights = b["affinity_troa"];
        parts.CosineMean = b["affinity_cosine"];
        parts.TagMean = b["affinity_tag"];
        parts.Updates = b["affinity_updates"];
        parts.Conditioning = b["affinity_conditioning"];
    }

    /// <summary>Largest divisor of the token count that is at most √N (64 tokens → 8 blocks of 8).</summary>
    public static int DiagonalBlocks(int tokens)
    {
        int best = 1;
        for (int k = 1; k * k <= tokens; k++) if (tokens % k == 0) best = k;
        return best;
    }

    /// <summary>After the backbone is loaded: copy the pretrained blocks into the adapter blocks.</summary>
    public void InitialiseAdaptersFromEncoder()
    {
        int first = Plan.Preset.Depth - adapters.Count;
        for (int i = 0; i < adapters.Count; i++) adapters[i].LoadPretrained(parts.Blocks[first + i]);
    }

    /// <summary>Which parameters the method trains (discriminators train with their own optimiser).</summary>
    public bool IsTrainable(string name) => Plan.Method switch
    {
        Methods.Vtagml => name.StartsWith("adapters.") || name.StartsWith("task_embeddings") || name.StartsWith("decoders.") || name.StartsWith("discriminators."),
        Methods.MultitaskShared => name.StartsWith("decoders.") || name.StartsWith("discriminators."),
        _ => (name.StartsWith("encoder.") && !name.StartsWith("encoder.head.")) || name.StartsWith("decoders.") || name.StartsWith("discriminators."),
    };

    /// <summary>
    /// The parameters a run exports as its weights (and an evaluation or a served model loads over the backbone file):
    /// what the method trains, without the training-only discriminators.
    /// </summary>
    public bool IsExported(string name) => IsTrainable(name) && !name.StartsWith("discriminators.", StringComparison.Ordinal);

    /// <summary>Parameters that are part of the model as used (the encoder's unused head and replaced blocks, and the training-only discriminators, are not).</summary>
    public bool IsCounted(string name)
    {
        if (name.StartsWith("encoder.head.") || name.StartsWith("discriminators.")) return false;
        for (int i = Plan.Preset.Depth - adapters.Count; i < Plan.Preset.Depth; i++)
            if (name.StartsWith($"encoder.blocks.{i}.")) return false;
        return true;
    }

    /// <summary>φ: the tokens entering the adapters (vtagml) or the encoder's last block output (others), [B, 1 + N, d].</summary>
    public Tensor Shared(Tensor pixels)
    {
        var x = parts.PatchEmbed.forward(pixels);
        long b = x.shape[0];
        x = torch.cat([parts.Cls.expand(b, -1, -1), x], 1).Plus(parts.Pos);
        int depth = Plan.Preset.Depth - adapters.Count;
        for (int i = 0; i < depth; i++) x = parts.Blocks[i].forward(x);
        return x;
    }

    /// <summary>The conditioning vector ω̂_t [B, E] of task <paramref name="task"/>: column t of the (detached) affinity weights mixing the task embeddings.</summary>
    public Tensor Omega(int task, long batch)
    {
        var mix = parts.Conditioning[.., task].detach().to(task_embeddings!.dtype);
        return mix.matmul(task_embeddings).unsqueeze(0).expand(batch, -1);
    }

    /// <summary>Task tokens after the adapters (vtagml) and the final norm.</summary>
    public Tensor Tokens(Tensor phi, int task)
    {
        if (adapters.Count == 0) return parts.Norm.forward(phi);
        var omega = Omega(task, phi.shape[0]);
        Tensor x = phi;
        Tensor? skip = null;
        foreach (var adapter in adapters) (x, skip) = adapter.Forward(x, omega, skip);
        return parts.Norm.forward(x);
    }

    /// <summary>True when every task sees the same tokens (no per-task conditioning).</summary>
    public bool SharesTokens => adapters.Count == 0;

    public Tensor Decode(string task, Tensor tokens) => decoders[task].forward(tokens);

    /// <summary>Raw outputs of <paramref name="tasks"/> (by plan index) for one batch.</summary>
    public Dictionary<string, Tensor> Forward(Tensor pixels, IEnumerable<string> tasks)
    {
        var phi = Shared(pixels);
        var outputs = new Dictionary<string, Tensor>();
        Tensor? common = SharesTokens ? Tokens(phi, 0) : null;
        foreach (var task in tasks)
            outputs[task] = Decode(task, common ?? Tokens(phi, Plan.Tasks.ToList().IndexOf(task)));
        return outputs;
    }
}

/// <summary>Output-space discriminator (AdaptSegNet-style, small): strided convs to a patch map of source/target logits.</summary>
public sealed class OutputDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;

    public OutputDiscriminator(int channels) : base(nameof(OutputDiscriminator))
    {
        conv1 = nn.Conv2d(channels, 16, kernel_size: 4, stride: 2, padding: 1);
        conv2 = nn.Conv2d(16, 32, kernel_size: 4, stride: 2, padding: 1);
        conv3 = nn.Conv2d(32, 1, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        SingleChannelConv(nn.functional.leaky_relu(conv2.forward(nn.functional.leaky_relu(conv1.forward(x), 0.2)), 0.2), conv3);

    /// <summary>
    /// A 3×3 (padding 1) convolution to one output channel as unfold + matmul, with the layer's own weight and bias. The
    /// same through libtorch's CPU convolution intermittently gave NaN input gradients (a one-channel output's backward
    /// reading uninitialised memory: 1 in a few hundred backward passes in <c>DiscriminatorGradientTests</c>, and vtagml
    /// domain-adaptation runs failing with "loss became NaN" a step later); unfold + matmul computes the same values.
    /// </summary>
    public static Tensor SingleChannelConv(Tensor x, Conv2d conv)
    {
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var columns = nn.functional.unfold(x, kernel_size: 3, padding: 1); // [B, C·9, H·W]
        var weight = conv.weight.reshape(1, -1);                               // [1, C·9]
        return weight.matmul(columns).add(conv.bias!.view(1, 1, 1)).view(b, 1, h, w);
    }
}
