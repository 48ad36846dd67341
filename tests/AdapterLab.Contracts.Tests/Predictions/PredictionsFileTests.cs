using AdapterLab.Contracts.Predictions;

namespace AdapterLab.Contracts.Tests.Predictions;

/// <summary>The predictions file: a round trip, the lean read for statistics, and hostile files refused.</summary>
public sealed class PredictionsFileTests
{
    private static PredictionsFile Sample()
    {
        var ids = Enumerable.Range(0, 50).Select(i => $"shapesworld/3/{i}").ToArray();
        var labels = Enumerable.Range(0, 50).Select(i => i % 4).ToArray();
        return new PredictionsFile
        {
            Step = 42,
            Sets =
            [
                new() { Split = "test", Task = "classification", Domain = "fog", Predictor = "model", ExampleIds = ids, Labels = labels,
                    Predicted = labels.Select(l => (l * 3) % 4).ToArray(), Probabilities = labels.Select(l => new[] { 0.1f, 0.2f, 0.3f, 0.4f }).ToArray() },
                new() { Split = "test", Task = "classification", Domain = "fog", Predictor = "floor:majority-class", ExampleIds = ids.ToArray(), Labels = labels, Predicted = new int[50] },
                new() { Split = "test", Task = "depth", Domain = "fog", Predictor = "model", ExampleIds = ids.Take(3).Append("other/1").ToArray(),
                    Metrics = new Dictionary<string, double?[]> { ["rmse"] = [0.5, null, double.NaN, 1.25] },
                    MetricParts = new Dictionary<string, double[][]> { ["rmse"] = [[25, 100], [0, 0], [double.NaN, 0], [156.25, 100]] } },
            ],
        };
    }

    private static byte[] Bytes(PredictionsFile file)
    {
        using var buffer = new MemoryStream();
        file.Write(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void The_lean_read_equals_the_full_read_without_probabilities_and_shares_repeated_ids()
    {
        var bytes = Bytes(Sample());
        var full = PredictionsFile.Read(new MemoryStream(bytes));
        var lean = PredictionsFile.Read(new MemoryStream(bytes), withProbabilities: false);
        Assert.Equal(full.Step, lean.Step);
        Assert.Equal(full.Sets.Count, lean.Sets.Count);
        for (int i = 0; i < full.Sets.Count; i++)
        {
            var (f, l) = (full.Sets[i], lean.Sets[i]);
            Assert.Equal((f.Split, f.Task, f.Domain, f.Predictor), (l.Split, l.Task, l.Domain, l.Predictor));
            Assert.Equal(f.ExampleIds, l.ExampleIds);
            Assert.Equal(f.Labels ?? [], l.Labels ?? []);
            Assert.Equal(f.Predicted ?? [], l.Predicted ?? []);
            Assert.Null(l.Probabilities);
            Assert.Equal(f.Metrics?.Keys ?? [], l.Metrics?.Keys ?? []);
            if (f.Metrics is not null) Assert.Equal(f.Metrics["rmse"], l.Metrics!["rmse"]);
            Assert.Equal(f.MetricParts?.Keys ?? [], l.MetricParts?.Keys ?? []);
            if (f.MetricParts is not null) Assert.Equal(f.MetricParts["rmse"], l.MetricParts!["rmse"]);
        }
        Assert.Equal([25.0, 100], full.Sets[2].MetricParts!["rmse"][0]);
        Assert.NotNull(full.Sets[0].Probabilities);
        Assert.Same(lean.Sets[0].ExampleIds, lean.Sets[1].ExampleIds);
        Assert.NotSame(lean.Sets[0].ExampleIds, lean.Sets[2].ExampleIds);
    }

    [Theory]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test"}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":["a","b"],"labels":[1]}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":["a"],"labels":[1.5]}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":[1]}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":["a","b"],"metricParts":{"rmse":[[1,2]]}}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":["a","b"],"metricParts":{"rmse":[[1,2],[1]]}}]}""")]
    [InlineData("""{"format":"adapterlab-predictions-1","sets":[{"split":"test","task":"c","domain":"d","predictor":"model","exampleIds":["a"],"metricParts":{"rmse":[["x",2]]}}]}""")]
    [InlineData("""{"format":"other","sets":[]}""")]
    public void Malformed_files_are_refused_by_both_reads(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(json));
        var bytes = buffer.ToArray();
        foreach (var lean in new[] { false, true })
        {
            var ex = Record.Exception(() => PredictionsFile.Read(new MemoryStream(bytes), withProbabilities: !lean));
            Assert.True(ex is InvalidDataException or System.Text.Json.JsonException, $"{(lean ? "lean" : "full")}: {ex?.GetType().Name ?? "no exception"}");
        }
    }
}
