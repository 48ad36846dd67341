namespace AdapterLab.Training.Model;

/// <summary>AdaptFormer options resolved from the spec (defaults from <c>ModelCatalogue.Defaults</c>).</summary>
public sealed record AdaptMlpOptions(int Bottleneck, double Scale, bool LearnableScale, string Placement, string AdapterNorm, double Dropout, IReadOnlySet<int> Layers);

/// <summary>LoRA options: rank r and alpha on the q and v projections of the chosen blocks.</summary>
public sealed record LoraOptions(int Rank, double Alpha, IReadOnlySet<int> Layers);

/// <summary>VPT options: prompt tokens per layer; deep prompts are re-inserted before every block.</summary>
public sealed record PromptOptions(int Tokens, bool Deep);
