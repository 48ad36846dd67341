using System.Collections.Concurrent;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Serving;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace AdapterLab.Inference.Registry;

/// <summary>
/// A registered version ready to serve: its files on disk and its resolved plan — a classification adapter's (with the
/// names of its classes) or a dense multitask model's (<see cref="Dense"/>; its segmentation classes in <see cref="Classes"/>).
/// </summary>
public sealed record ReadyModel(string Key, ServedVersion Version, ClassificationPlan? Plan, MultitaskPlan? Dense, IReadOnlyList<string> Classes,
    string AdapterPath, string BackbonePath)
{
    public int ImageSize => Plan?.Model.ImageSize ?? Dense!.ImageSize;
}

/// <summary>A version that cannot be served here, and why (a 409 to the caller).</summary>
public sealed class UnservableModelException(string message) : Exception(message);

/// <summary>
/// Registered versions made ready for the batcher: blobs fetched and verified, the spec resolved to the plan it was
/// trained with (method options, head, image size) and its class names. The <see cref="IServingSource"/> the adapter
/// cache loads from: one backbone per hash, one adapter per version key (<c>model@vN</c>).
/// </summary>
public sealed class ServedModels(RegistryClient registry, IOptions<InferenceOptions> options) : IServingSource
{
    private readonly ConcurrentDictionary<string, ReadyModel> ready = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ReadyModel> byBackbone = new(StringComparer.OrdinalIgnoreCase);

    public static string KeyOf(string model, int version) => $"{model}@v{version}";

    /// <summary>The version ready to serve; null when the registry has no such version.</summary>
    public async Task<ReadyModel?> PrepareAsync(string model, int version, CancellationToken ct)
    {
        var key = KeyOf(model, version);
        if (ready.TryGetValue(key, out var known)) return known;
        var v = await registry.VersionAsync(model, version, ct);
        if (v is null) return null;
        if (!Methods.Registrable.Contains(v.Method)) throw new UnservableModelException($"'{v.Method}' is not served on a frozen backbone");
        ExperimentSpec spec = SpecJson.Deserialize(v.Spec.GetRawText());
        ClassificationPlan? plan = null;
        MultitaskPlan? dense = null;
        try
        {
            if (Methods.DenseServable.Contains(v.Method)) dense = MultitaskPlan.From(spec);
            else plan = ClassificationPlan.From(spec, options.Value.DataRoot);
        }
        catch (ArgumentException ex)
        {
            throw new UnservableModelException($"{key} cannot be rebuilt here: {ex.Message}");
        }
        if (plan?.Heads is not null) throw new UnservableModelException($"{key} has several label heads; serving one softmax per head is not supported yet");
        var classes = dense is not null ? DenseTargets.ClassNames
            : plan!.Folder?.Classes ?? ShapesWorldCatalogue.Heads(plan.LabelFamily)[0].Classes;
        var adapter = await registry.BlobAsync(v.AdapterBlob, ct);
        var backbone = await registry.BlobAsync(v.BackboneBlob, ct);
        var model_ = new ReadyModel(key, v, plan, dense, classes, adapter, backbone);
        if (plan is not null) byBackbone.TryAdd(v.BackboneBlob, model_);
        return ready.GetOrAdd(key, model_);
    }

    public ServedBackbone LoadBackbone(string sha256)
    {
        var m = byBackbone.TryGetValue(sha256, out var r) ? r : throw new InvalidOperationException($"no prepared model uses backbone {sha256}");
        return ServedBackbone.Load(m.Plan!.Model.Preset, m.Plan.Model.ImageSize, m.BackbonePath, sha256, CPU);
    }

    public ServedAdapter LoadAdapter(string key)
    {
        var m = Prepared(key);
        return ServedAdapter.Load(key, m.Plan ?? throw new InvalidOperationException($"model {key} is a dense model"), m.AdapterPath, m.Version.BackboneBlob, CPU);
    }

    public ServedDenseModel LoadDense(string key)
    {
        var m = Prepared(key);
        return ServedDenseModel.Load(key, m.Dense ?? throw new InvalidOperationException($"model {key} is a classification adapter"), m.BackbonePath, m.AdapterPath, m.Version.BackboneBlob, CPU);
    }

    private ReadyModel Prepared(string key) => ready.TryGetValue(key, out var r) ? r : throw new InvalidOperationException($"model {key} was not prepared");
}
