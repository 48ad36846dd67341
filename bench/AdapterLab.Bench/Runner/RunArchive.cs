using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// The committed results of a long report's finished runs (<c>bench/results/archive/</c>), so a report
/// that needs more hours than one sitting resumes on a fresh checkout, against a fresh platform, without training again
/// what already ran. The id ledger (<see cref="RunLedger"/>) only finds runs in the platform that ran them; the archive
/// keeps what the report reads from each run:
/// <list type="bullet">
/// <item><c>&lt;report&gt;/&lt;hash of key&gt;.json.gz</c>: the run key, the spec exactly as submitted, the experiment document
/// (results, parameters, times, the backbone blob it ran on), its test-split predictions (labels, predicted classes,
/// floors and dense per-image parts; class probabilities dropped), its final branch ratio and the other endpoints the
/// report reads (e.g. affinity matrices). Written once, when the
/// run succeeded.</item>
/// <item><c>backbones/&lt;name&gt;.safetensors</c> and <c>.json</c>, shared by the reports: a pretrained backbone's weights and its pretraining
/// document, imported into a platform that lacks the name (same bytes, so the same content hash).</item>
/// </list>
/// A record is reused only for the same key, the same spec (byte-equal JSON) and — for a named backbone — the same
/// backbone weights (sha256): change the protocol or the backbone and the run trains again. Safe to use from concurrent
/// tasks (one file per key, written to a temporary name and moved).
/// </summary>
public sealed class RunArchive(string root, string report)
{
    public sealed record Record
    {
        public required string Key { get; init; }
        public required string Spec { get; init; }
        public required JsonElement Experiment { get; init; }
        public PredictionsFile? Predictions { get; init; }
        public double? BranchRatio { get; init; }
        /// <summary>Other endpoints of the experiment a report reads (e.g. <c>affinity</c>), as the API answered.</summary>
        public Dictionary<string, JsonElement>? Extras { get; init; }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Record?> _cache = new();

    public string Directory => Path.Combine(root, report);

    /// <summary>
    /// Where reports archive: <c>bench/results/archive/</c>, committed; a <c>--quick</c> smoke run (minutes, not a
    /// result) archives beside the ledger, not committed, so its backbones never reach the repository.
    /// </summary>
    public static string Root(string resultsDir, bool quick) =>
        quick ? Path.Combine(resultsDir, ".ledger", "archive") : Path.Combine(resultsDir, "archive");

    /// <summary>The file a run key is archived in: a hash of the key (keys hold spaces, '|' and non-ASCII).</summary>
    public string RunPath(string key) =>
        Path.Combine(root, report, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20] + ".json.gz");

    /// <summary>The archived record of <paramref name="key"/>, or null.</summary>
    public Record? Find(string key)
    {
        if (_cache.TryGetValue(key, out var cached)) return cached;
        var path = RunPath(key);
        Record? record = null;
        if (File.Exists(path))
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            record = JsonSerializer.Deserialize<Record>(gzip, Json);
            if (record is not null && record.Key != key) record = null; // a hash collision reads as absent
        }
        return _cache[key] = record;
    }

    /// <summary>Archives a succeeded run: its test-split predictions only, without probabilities.</summary>
    public Record Save(string key, string spec, JsonElement experiment, PredictionsFile? predictions, double? branchRatio, Dictionary<string, JsonElement>? extras = null)
    {
        var record = new Record
        {
            Key = key, Spec = spec, Experiment = experiment.Clone(), BranchRatio = branchRatio, Extras = extras is { Count: > 0 } ? extras : null,
            Predictions = predictions is null ? null : predictions with
            {
                Sets = predictions.Sets.Where(s => s.Split == "test").Select(s => s with { Probabilities = null, ProbabilityClasses = null }).ToList(),
            },
        };
        var path = RunPath(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
            JsonSerializer.Serialize(gzip, record, Json);
        File.Move(temp, path, overwrite: true);
        return _cache[key] = record;
    }

    /// <summary>
    /// Whether an archived record stands for this run: it succeeded, its spec is byte-equal to <paramref name="specJson"/>,
    /// and a named backbone's weights are the ones the platform now holds under that name.
    /// </summary>
    public static bool Reusable(Record record, ExperimentSpec spec, string specJson, IReadOnlyDictionary<string, string> backboneBlobs)
    {
        if (!SameRun(record.Spec, spec, specJson) || !record.Experiment.TryGetProperty("status", out var status) || status.GetString() != "Succeeded") return false;
        if (spec.Backbone.Source != BackboneSources.Named) return true;
        return spec.Backbone.Name is { } name && backboneBlobs.TryGetValue(name, out var blob) && RanOn(record.Experiment) == blob;
    }

    /// <summary>The same spec, up to its queue priority (when a run is scheduled changes nothing it trains).</summary>
    private static bool SameRun(string archivedJson, ExperimentSpec spec, string specJson)
    {
        if (archivedJson == specJson) return true;
        try
        {
            return SpecJson.Serialize(SpecJson.Deserialize(archivedJson) with { Priority = spec.Priority }) == specJson;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The backbone weights (sha256) the succeeded attempt of an experiment document was pinned to at dispatch.</summary>
    public static string? RanOn(JsonElement experiment)
    {
        if (!experiment.TryGetProperty("attempts", out var attempts) || attempts.ValueKind != JsonValueKind.Array) return null;
        foreach (var a in attempts.EnumerateArray())
            if (a.TryGetProperty("status", out var s) && s.GetString() == "Succeeded" && a.TryGetProperty("backboneBlob", out var b) && b.ValueKind == JsonValueKind.String)
                return b.GetString();
        return null;
    }

    public string BackboneWeightsPath(string name) => Path.Combine(root, "backbones", name + ".safetensors");

    private string BackboneDocumentPath(string name) => Path.Combine(root, "backbones", name + ".json");

    /// <summary>An archived backbone's pretraining document and the sha256 of its weights file, or null.</summary>
    public (JsonElement Pretraining, string Sha256)? FindBackbone(string name)
    {
        string weights = BackboneWeightsPath(name), doc = BackboneDocumentPath(name);
        if (!File.Exists(weights) || !File.Exists(doc)) return null;
        using var stream = File.OpenRead(weights);
        return (JsonDocument.Parse(File.ReadAllText(doc)).RootElement.Clone(), Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>Archives a pretrained backbone: its weights (as the platform stores them) and its pretraining document.</summary>
    public async Task SaveBackboneAsync(string name, JsonElement pretraining, Stream weights, CancellationToken ct)
    {
        var path = BackboneWeightsPath(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var file = File.Create(path + ".tmp")) await weights.CopyToAsync(file, ct);
        File.Move(path + ".tmp", path, overwrite: true);
        await File.WriteAllTextAsync(BackboneDocumentPath(name), JsonSerializer.Serialize(pretraining, new JsonSerializerOptions { WriteIndented = true }), ct);
    }
}
