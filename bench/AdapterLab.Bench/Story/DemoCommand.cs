using System.Text.Json;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Bench.Story;

/// <summary>
/// <c>./platform demo</c>: the classification story through the platform, from the examples alone — the pretrain (reused
/// when the platform already has its backbone), then every method on the same task and the random-backbone control — and
/// the compare page's URL with the linear probe as baseline. Prints progress and a one-line result per run.
/// </summary>
public static class DemoCommand
{
    public static async Task<int> RunAsync(PlatformClient client, string dashboardUrl, CancellationToken ct)
    {
        var pretrain = ExampleSpecs.Load(ExampleSpecs.QuickPretrain);
        var backbone = pretrain.Backbone.RegisterAs!;
        var pretrainId = await BenchBackbone.ReuseOrSubmitAsync(client, pretrain, ct);
        var pre = await client.WaitAsync(pretrainId, "pretrain", ct, pollMilliseconds: 3000);
        if (pre.GetProperty("status").GetString() != "Succeeded")
            throw new BenchException($"the pretrain {pretrainId} ended {pre.GetProperty("status").GetString()}: {Reason(pre)}");
        Console.WriteLine($"demo: backbone '{backbone}' ready (pretrain test accuracy {Accuracy(pre, "synthetic")})");

        var ids = new List<(string File, Guid Id)>();
        foreach (var file in ExampleSpecs.ClassificationMethods)
        {
            var spec = ExampleSpecs.Load(file);
            var id = await client.SubmitAsync(spec, ct);
            ids.Add((file, id));
            Console.WriteLine($"demo: submitted {file} as {id}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"example",-44} {"status",-10} {"test accuracy",13} {"took",8}");
        foreach (var (file, id) in ids)
        {
            var e = await client.WaitAsync(id, file, ct, pollMilliseconds: 3000);
            var spec = ExampleSpecs.Load(file);
            Console.WriteLine($"{file,-44} {e.GetProperty("status").GetString(),-10} {Accuracy(e, spec.Data.SourceDomain ?? "synthetic"),13} {Took(e),8}");
        }
        var baseline = ids[0].Id;
        Console.WriteLine();
        Console.WriteLine($"Compare (intervals, paired tests against the linear probe, floors, verdicts):");
        Console.WriteLine($"  {dashboardUrl.TrimEnd('/')}/compare?ids={string.Join(",", ids.Select(i => i.Id))}&baseline={baseline}");
        return 0;
    }

    internal static string Accuracy(JsonElement e, string domain) =>
        ExperimentBatch.Result(e, "test", domain, "accuracy") is { } a ? a.ToString("0.000") : "—";

    internal static string Took(JsonElement e) =>
        e.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String && e.TryGetProperty("finishedAt", out var f) && f.ValueKind == JsonValueKind.String
            ? $"{(f.GetDateTimeOffset() - s.GetDateTimeOffset()).TotalSeconds:0} s"
            : "—";

    private static string Reason(JsonElement e) => e.TryGetProperty("failureReason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
}
