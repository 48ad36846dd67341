using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// What the submit form offers, derived from the contracts' vocabulary and the one <see cref="SpecValidator"/>: available
/// kinds, the methods of each kind, and which method options apply to which method. Option applicability is asked of the
/// validator itself (an option it rejects with "does not apply" is hidden), so a method that lands later — and the options
/// the validator starts accepting for it — shows up in the form without a change here.
/// </summary>
public static class SpecVocabulary
{
    /// <summary>Method option fields (JSON names under <c>method.</c>) with a sample value to probe the validator with.</summary>
    public static readonly IReadOnlyDictionary<string, Func<MethodSpec, MethodSpec>> Options = new Dictionary<string, Func<MethodSpec, MethodSpec>>
    {
        ["bottleneck"] = m => m with { Bottleneck = 8 },
        ["scale"] = m => m with { Scale = 0.1 },
        ["learnableScale"] = m => m with { LearnableScale = true },
        ["placement"] = m => m with { Placement = "parallel" },
        ["adapterNorm"] = m => m with { AdapterNorm = "none" },
        ["dropout"] = m => m with { Dropout = 0.1 },
        ["layers"] = m => m with { Layers = [0] },
        ["promptTokens"] = m => m with { PromptTokens = 5 },
        ["rank"] = m => m with { Rank = 4 },
        ["alpha"] = m => m with { Alpha = 8 },
        ["adapterBlocks"] = m => m with { AdapterBlocks = 1 },
        ["estimator"] = m => m with { Estimator = "troa" },
        ["measuredEstimators"] = m => m with { MeasuredEstimators = ["cosine"] },
        ["maskRatio"] = m => m with { MaskRatio = 0.75 },
    };

    private static readonly Dictionary<string, IReadOnlySet<string>> Cache = new();
    private static readonly Lock Gate = new();

    public static IReadOnlyList<string> AvailableKinds => Kinds.All.Where(SpecValidator.AvailableKinds.Contains).ToList();

    /// <summary>Methods a kind accepts that the platform runs today.</summary>
    public static IReadOnlyList<string> MethodsFor(string kind) => (kind switch
    {
        Kinds.Pretrain => [Methods.Supervised, Methods.Mae],
        Kinds.Adapt or Kinds.Evaluate => Methods.Classification,
        Kinds.Multitask => Methods.Dense,
        _ => (IReadOnlyList<string>)[],
    }).Where(SpecValidator.AvailableMethods.Contains).ToList();

    /// <summary>Method options that apply to <paramref name="method"/> (for <paramref name="kind"/>).</summary>
    public static IReadOnlySet<string> OptionsFor(string kind, string method)
    {
        var key = kind + "/" + method;
        lock (Gate)
            if (Cache.TryGetValue(key, out var cached)) return cached;
        var applies = new HashSet<string>(StringComparer.Ordinal);
        if (MethodsFor(kind).Contains(method))
        {
            var probe = new ExperimentSpec
            {
                Kind = kind,
                Backbone = new BackboneSpec { Preset = ModelCatalogue.Presets[0].Name },
                Tasks = kind == Kinds.Multitask ? [Tasks.Segmentation, Tasks.Depth] : [Tasks.Classification],
            };
            foreach (var (name, set) in Options)
            {
                var errors = SpecValidator.Validate(probe with { Method = set(new MethodSpec { Name = method }) });
                if (!(errors.TryGetValue("method." + name, out var messages) && messages.Any(m => m.StartsWith("does not apply", StringComparison.Ordinal))))
                    applies.Add(name);
            }
        }
        lock (Gate) Cache[key] = applies;
        return applies;
    }
}
