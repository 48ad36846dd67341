using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AdapterLab.IntegrationTests.Web;

/// <summary><c>GET /api/compare</c> on planted results: columns per configuration, mean ± std over seeds, paired deltas, spec diff, 400s.</summary>
public sealed class CompareApiTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Baseline configuration (two seeds) and a candidate (two seeds, the same ones) with known accuracies.</summary>
    private async Task<(Guid B1, Guid B2, Guid C1, Guid C2, string Baseline, string Candidate)> PlantAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        string baseline = $"cmp-base-{tag}", candidate = $"cmp-cand-{tag}";
        await using var db = web.Db();
        var b1 = PlantedExperiments.Add(db, baseline, 1, T0, new Dictionary<string, double> { ["fog"] = 0.50, ["textured"] = 0.70 });
        var b2 = PlantedExperiments.Add(db, baseline, 2, T0.AddMinutes(1), new Dictionary<string, double> { ["fog"] = 0.60, ["textured"] = 0.72 });
        var c1 = PlantedExperiments.Add(db, candidate, 1, T0.AddMinutes(2), new Dictionary<string, double> { ["fog"] = 0.70, ["textured"] = 0.71 }, method: "bitfit");
        var c2 = PlantedExperiments.Add(db, candidate, 2, T0.AddMinutes(3), new Dictionary<string, double> { ["fog"] = 0.76, ["textured"] = 0.75 }, method: "bitfit");
        await db.SaveChangesAsync();
        return (b1.Id, b2.Id, c1.Id, c2.Id, baseline, candidate);
    }

    [Fact]
    public async Task Runs_of_one_configuration_share_a_column_with_mean_and_std_and_deltas_are_paired_by_seed()
    {
        var p = await PlantAsync();
        using var client = web.WithApiKey();
        var body = await client.GetFromJsonAsync<JsonElement>($"/api/compare?ids={p.C1},{p.B1},{p.C2},{p.B2}&baseline={p.B2}");

        Assert.Equal("test", body.GetProperty("split").GetString());
        Assert.Equal(p.Baseline, body.GetProperty("baselineConfigurationHash").GetString());
        Assert.Equal(4, body.GetProperty("experiments").GetArrayLength());
        var matrix = body.GetProperty("matrix");
        var columns = matrix.GetProperty("columns").EnumerateArray().ToList();
        // Columns in order of first appearance: the candidate, then the baseline.
        Assert.Equal([p.Candidate, p.Baseline], columns.Select(c => c.GetProperty("key").GetString()));
        Assert.Equal([1, 2], columns[0].GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(1, matrix.GetProperty("baselineIndex").GetInt32());

        var rows = matrix.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["fog", "textured"], rows.Select(r => r.GetProperty("domain").GetString()));
        Assert.All(rows, r => Assert.Equal("test", r.GetProperty("split").GetString()));
        var fog = rows[0].GetProperty("cells");
        var candidate = fog[0];
        Assert.Equal(0.73, candidate.GetProperty("mean").GetDouble(), 9);
        Assert.Equal(Math.Sqrt(0.0018), candidate.GetProperty("std").GetDouble(), 9);
        Assert.Equal(2, candidate.GetProperty("n").GetInt32());
        // Paired over seeds 1 and 2: (0.70 − 0.50, 0.76 − 0.60) → mean 0.18.
        Assert.Equal(0.18, candidate.GetProperty("delta").GetDouble(), 9);
        Assert.Equal(2, candidate.GetProperty("pairedSeeds").GetInt32());
        Assert.True(candidate.GetProperty("best").GetBoolean());
        Assert.Equal(JsonValueKind.Null, fog[1].GetProperty("delta").ValueKind);

        // The spec diff names the fields that differ, values in the order of the ids.
        var diff = body.GetProperty("specDiff").EnumerateArray().ToDictionary(r => r.GetProperty("path").GetString()!, r => r.GetProperty("values"));
        Assert.Equal(["bitfit", "linear-probe", "bitfit", "linear-probe"], diff["method.name"].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["1", "1", "2", "2"], diff["training.seed"].EnumerateArray().Select(v => v.GetString()));
        Assert.DoesNotContain("kind", diff.Keys);

        // Planted results have no per-example predictions: the statistics fall back to the seed spread, say so, and
        // give a paired-by-seed difference with a verdict.
        var statistics = body.GetProperty("statistics");
        Assert.Contains(statistics.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("seed spread only"));
        var fogStats = statistics.GetProperty("rows")[0].GetProperty("cells");
        Assert.Equal("SeedsOnly", fogStats[0].GetProperty("intervalMethod").GetString());
        Assert.Equal(0.18, fogStats[0].GetProperty("difference").GetDouble(), 9);
        Assert.StartsWith("paired t over seeds", fogStats[0].GetProperty("test").GetString());
        Assert.Equal("baseline", fogStats[1].GetProperty("verdictWords").GetString());
    }

    [Fact]
    public async Task The_first_id_is_the_default_baseline_and_another_split_can_be_asked_for()
    {
        var p = await PlantAsync();
        using var client = web.WithApiKey();
        var body = await client.GetFromJsonAsync<JsonElement>($"/api/compare?ids={p.B1},{p.C1}&split=validation");
        Assert.Equal(p.Baseline, body.GetProperty("baselineConfigurationHash").GetString());
        var rows = body.GetProperty("matrix").GetProperty("rows").EnumerateArray().ToList();
        Assert.All(rows, r => Assert.Equal("validation", r.GetProperty("split").GetString()));
        // Unpaired seeds would give a difference of means; here both ran seed 1: 0.69 − 0.49.
        Assert.Equal(0.20, rows[0].GetProperty("cells")[1].GetProperty("delta").GetDouble(), 9);
    }

    [Fact]
    public async Task Other_seeds_of_the_selected_configurations_are_folded_in_when_asked()
    {
        var p = await PlantAsync();
        using var client = web.WithApiKey();
        var body = await client.GetFromJsonAsync<JsonElement>($"/api/compare?ids={p.B1},{p.C1}&seeds=true");
        var experiments = body.GetProperty("experiments").EnumerateArray().ToList();
        Assert.Equal(4, experiments.Count);
        Assert.Equal(2, experiments.Count(e => e.GetProperty("selected").GetBoolean()));
        Assert.Equal(2, body.GetProperty("matrix").GetProperty("rows")[0].GetProperty("cells")[0].GetProperty("n").GetInt32());
        // The spec diff compares the selected experiments only.
        var diff = body.GetProperty("specDiff").EnumerateArray().First(r => r.GetProperty("path").GetString() == "method.name");
        Assert.Equal(2, diff.GetProperty("values").GetArrayLength());
    }

    [Theory]
    [InlineData("", "ids")]
    [InlineData("ids=not-a-guid", "ids")]
    [InlineData("ids={unknown}", "ids")]
    [InlineData("ids={b1}&baseline={unknown}", "baseline")]
    [InlineData("ids={b1}&baseline=x", "baseline")]
    [InlineData("ids={b1}&split=holdout", "split")]
    [InlineData("ids={many}", "ids")]
    public async Task A_bad_request_is_a_400_naming_the_field(string query, string field)
    {
        var p = await PlantAsync();
        var many = string.Join(",", Enumerable.Range(0, 21).Select(_ => Guid.NewGuid()));
        query = query.Replace("{b1}", p.B1.ToString()).Replace("{unknown}", Guid.NewGuid().ToString()).Replace("{many}", many);
        using var client = web.WithApiKey();
        using var response = await client.GetAsync($"/api/compare?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected errors.{field} in {problem}");
    }

    [Fact]
    public async Task Without_a_key_it_is_401()
    {
        using var client = web.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/compare?ids={Guid.NewGuid()}")).StatusCode);
    }
}
