using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Predictions;

/// <summary>
/// Per-example outcomes of one predictor (the model, or a floor such as <c>floor:majority-class</c>) on one
/// split × task × domain, aligned by <see cref="ExampleIds"/> across experiments on the same split.
/// </summary>
public sealed record PredictionSet
{
    public required string Split { get; init; }
    public required string Task { get; init; }
    public required string Domain { get; init; }

    /// <summary><c>model</c>, or <c>floor:&lt;name&gt;</c>.</summary>
    public required string Predictor { get; init; }

    public required IReadOnlyList<string> ExampleIds { get; init; }

    /// <summary>Classification: the true class per example.</summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>Classification: the predicted class per example.</summary>
    public IReadOnlyList<int>? Predicted { get; init; }

    /// <summary>Classification: class probabilities per example (every class up to 20, else the top 20 with <see cref="ProbabilityClasses"/>).</summary>
    public IReadOnlyList<float[]>? Probabilities { get; init; }

    public IReadOnlyList<int[]>? ProbabilityClasses { get; init; }

    /// <summary>Dense tasks: per-image values of each metric (null where an image had no valid pixel).</summary>
    public IReadOnlyDictionary<string, double?[]>? Metrics { get; init; }

    /// <summary>
    /// Dense tasks: per metric, each image's additive parts (<see cref="DenseMetricParts"/> gives the layout), so the
    /// dataset-level metric of any set of images can be recomputed — what test-set intervals resample. Absent in files
    /// written before they were recorded.
    /// </summary>
    public IReadOnlyDictionary<string, double[][]>? MetricParts { get; init; }

    public const string ModelPredictor = "model";

    public bool IsFloor => Predictor.StartsWith("floor:", StringComparison.Ordinal);

    /// <summary>
    /// Classification: 1 where the prediction is right, 0 where wrong (the per-example accuracy). Computed once per
    /// labels/predictions pair (a <c>with</c> copy that replaces either recomputes it); callers must not modify it.
    /// </summary>
    public double[]? Correct
    {
        get
        {
            if (Labels is not { } labels || Predicted is not { } predicted) return null;
            var cached = correct;
            if (cached is not null && ReferenceEquals(cached.Labels, labels) && ReferenceEquals(cached.Predicted, predicted)) return cached.Values;
            var values = new double[Math.Min(labels.Count, predicted.Count)];
            for (int i = 0; i < values.Length; i++) values[i] = labels[i] == predicted[i] ? 1.0 : 0.0;
            correct = new CorrectCache(labels, predicted, values);
            return values;
        }
    }

    private sealed record CorrectCache(IReadOnlyList<int> Labels, IReadOnlyList<int> Predicted, double[] Values);
    private CorrectCache? correct;
}

/// <summary>
/// An experiment's per-example predictions from its final evaluation, stored as a content-addressed blob (checkpoint kind
/// <c>predictions</c>): gzip-compressed JSON, format <c>adapterlab-predictions-1</c>. Written by the agent, read by the
/// web for comparisons. Reading is bounded: a file larger than <see cref="MaxUncompressedBytes"/> is refused.
/// </summary>
public sealed record PredictionsFile
{
    public const string CurrentFormat = "adapterlab-predictions-1";
    public const string CheckpointKind = "predictions";
    public const long MaxUncompressedBytes = 512L * 1024 * 1024;

    public string Format { get; init; } = CurrentFormat;
    public long Step { get; init; }
    public IReadOnlyList<PredictionSet> Sets { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Write(Stream destination)
    {
        using var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
        JsonSerializer.Serialize(gzip, this, Json);
    }

    public void Write(string path)
    {
        using var file = File.Create(path);
        Write(file);
    }

    /// <param name="withProbabilities">False: <see cref="PredictionSet.Probabilities"/> comes back null (what the statistics need is labels and predictions).</param>
    public static PredictionsFile Read(Stream source, bool withProbabilities = true)
    {
        // Decompressed whole (bounded), then parsed from memory: one pass, no re-reads of partially buffered values.
        using var gzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
        using var bounded = new BoundedStream(gzip, MaxUncompressedBytes);
        using var json = new MemoryStream();
        bounded.CopyTo(json);
        var bytes = json.GetBuffer().AsSpan(0, (int)json.Length);
        var file = withProbabilities
            ? JsonSerializer.Deserialize<PredictionsFile>(bytes, Json) ?? throw new InvalidDataException("empty predictions file")
            : PredictionsLeanReader.Read(bytes);
        if (file.Format != CurrentFormat) throw new InvalidDataException($"predictions format '{file.Format}', expected '{CurrentFormat}'");
        foreach (var s in file.Sets)
        {
            int n = s.ExampleIds.Count;
            if (s.Labels is { } l && l.Count != n || s.Predicted is { } p && p.Count != n || s.Metrics?.Values.Any(v => v.Length != n) == true
                || s.MetricParts?.Values.Any(v => v.Length != n || v.Any(r => r is null || r.Length != v[0].Length)) == true)
                throw new InvalidDataException($"predictions {s.Split}/{s.Task}/{s.Domain}/{s.Predictor}: lists of different lengths");
        }
        return file;
    }

    /// <summary>A read-only stream that fails once more than <paramref name="limit"/> bytes were read (a gzip bomb stops there).</summary>
    private sealed class BoundedStream(Stream inner, long limit) : Stream
    {
        private long read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            read += n;
            if (read > limit) throw new InvalidDataException($"predictions file larger than {limit:N0} bytes uncompressed");
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
