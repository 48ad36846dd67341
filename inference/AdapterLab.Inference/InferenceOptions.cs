namespace AdapterLab.Inference;

/// <summary>The inference host's settings (section <c>Inference</c>).</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>The web API it reads registered versions and their blobs from.</summary>
    public string ApiUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Its own API key: scope <c>models:serve</c> only (registered versions and the blobs they bind).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The token the web presents on every forwarded request; anything else is refused.</summary>
    public string CallerToken { get; set; } = "";

    /// <summary>Where downloaded blobs are cached by hash.</summary>
    public string WorkDirectory { get; set; } = "";

    /// <summary>Folder datasets and <c>paths</c> resolve inside it (the agents' data root); null: paths are refused.</summary>
    public string? DataRoot { get; set; }

    /// <summary>Memory for adapters held at once (least recently used out); the backbones they share are held besides.</summary>
    public int AdapterBudgetMiB { get; set; } = 256;

    /// <summary>How long the first request of a batch waits for others to join it.</summary>
    public double BatchWindowMilliseconds { get; set; } = 5;

    public int MaxBatchImages { get; set; } = 64;

    /// <summary>Torch threads of the serving worker (0: torch's default).</summary>
    public int Threads { get; set; }

    public string ResolvedWorkDirectory => string.IsNullOrWhiteSpace(WorkDirectory)
        ? Path.Combine(Path.GetTempPath(), "adapterlab-inference")
        : WorkDirectory;
}
