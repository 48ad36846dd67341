using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Story;

/// <summary>The example specs under <c>examples/specs/</c>, read as a newcomer submits them (the repo root from <c>ADAPTERLAB_REPO_ROOT</c>).</summary>
public static class ExampleSpecs
{
    public static string Folder =>
        Path.Combine(Environment.GetEnvironmentVariable("ADAPTERLAB_REPO_ROOT") ?? Directory.GetCurrentDirectory(), "examples", "specs");

    public static ExperimentSpec Load(string file)
    {
        var path = Path.Combine(Folder, file);
        if (!File.Exists(path)) throw new Runner.BenchException($"no example {path} (run from the repository root, or set ADAPTERLAB_REPO_ROOT)");
        return SpecJson.Deserialize(File.ReadAllText(path));
    }

    /// <summary>The quick start: the README's pretrain, its adaptation, and the same adaptation on a random backbone (the control).</summary>
    public const string QuickPretrain = "pretrain-vit-tiny-ci.json";
    public const string QuickProbe = "adapt-linear-probe.json";
    public const string QuickControl = "adapt-linear-probe-random-backbone.json";

    /// <summary>The classification story after the pretrain: every method on the quick start's task, the control last.</summary>
    public static readonly IReadOnlyList<string> ClassificationMethods =
    [
        "adapt-linear-probe.json", "adapt-full-finetune.json", "adapt-vpt-shallow.json", "adapt-vpt-deep.json",
        "adapt-adaptformer.json", "adapt-lora.json", "adapt-bitfit.json", QuickControl,
    ];
}
