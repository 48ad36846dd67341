using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.IntegrationTests.Infrastructure;

namespace AdapterLab.IntegrationTests.Comparisons;

/// <summary>
/// Per-example predictions through the platform: the agent stores the final evaluation's predictions, the API serves
/// them aligned by example id across experiments, the compare API turns them into seeds × examples intervals with floor
/// rows, and a model that predicts one class is flagged collapsed and at its floor.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class PredictionsThroughThePlatform(SharedPlatform platform)
{
    private static object Spec(string method, int seed, int trainSize, int steps) => new
    {
        specVersion = 1,
        name = $"predictions {method} s{seed}",
        kind = "adapt",
        backbone = new { preset = "vit-tiny-ci", source = "random" },
        method = new { name = method },
        tasks = new[] { "classification" },
        data = new { dataset = "shapesworld", labelFamily = "object-count", sourceDomain = "textured", targetDomains = new[] { "fog" }, trainSize, validationSize = 16, testSize = 64 },
        training = new { steps, batchSize = 16, seed },
    };

    [Fact]
    public async Task Predictions_are_stored_aligned_compared_and_a_one_class_model_is_flagged()
    {
        var probe = await platform.SubmitAsync(Spec("linear-probe", 1, 48, 3));
        // One training image: full fine-tuning learns to answer its label for every image (a constant prediction).
        var constant = await platform.SubmitAsync(Spec("full-finetune", 2, 1, 30));
        await platform.WaitForStatusAsync(probe, "Succeeded", TimeSpan.FromMinutes(3));
        await platform.WaitForStatusAsync(constant, "Succeeded", TimeSpan.FromMinutes(3));

        var a = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{probe}/predictions");
        var b = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{constant}/predictions");
        JsonElement Set(JsonElement file, string predictor) => file.GetProperty("sets").EnumerateArray()
            .Single(s => s.GetProperty("split").GetString() == "test" && s.GetProperty("domain").GetString() == "fog" && s.GetProperty("predictor").GetString() == predictor);
        var (pa, pb) = (Set(a, "model"), Set(b, "model"));
        var idsA = pa.GetProperty("exampleIds").EnumerateArray().Select(x => x.GetString()).ToList();
        Assert.Equal(64, idsA.Count);
        Assert.Equal(idsA, pb.GetProperty("exampleIds").EnumerateArray().Select(x => x.GetString()).ToList());
        Assert.Equal(pa.GetProperty("labels").ToString(), pb.GetProperty("labels").ToString());
        Assert.Equal(4, pa.GetProperty("probabilities")[0].GetArrayLength());
        Assert.Single(Set(a, "floor:majority-class").GetProperty("predicted").EnumerateArray().Select(x => x.GetInt32()).Distinct());
        // The stored predictions are the reported result.
        var experiment = await platform.GetExperimentAsync(probe);
        double reported = experiment.GetProperty("results").EnumerateArray()
            .Single(r => r.GetProperty("split").GetString() == "test" && r.GetProperty("domain").GetString() == "fog").GetProperty("value").GetDouble();
        var labels = pa.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToList();
        var predicted = pa.GetProperty("predicted").EnumerateArray().Select(x => x.GetInt32()).ToList();
        Assert.Equal(reported, labels.Zip(predicted).Count(x => x.First == x.Second) / 64.0, 9);

        var confusion = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/experiments/{constant}/confusion");
        var fog = confusion.EnumerateArray().Single(c => c.GetProperty("split").GetString() == "test" && c.GetProperty("domain").GetString() == "fog");
        Assert.True(fog.GetProperty("collapsed").GetBoolean(), fog.ToString());
        Assert.True(fog.GetProperty("topPredictedShare").GetDouble() > 0.9);
        Assert.Equal(4, fog.GetProperty("counts").GetArrayLength());

        var compare = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/compare?ids={probe},{constant}&baseline={probe}");
        var rows = compare.GetProperty("statistics").GetProperty("rows").EnumerateArray().ToList();
        var row = rows.Single(r => r.GetProperty("domain").GetString() == "fog" && r.GetProperty("metric").GetString() == "accuracy");
        Assert.Equal("majority-class", row.GetProperty("floorName").GetString());
        var cells = row.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal("ExamplesOnly", cells[0].GetProperty("intervalMethod").GetString());
        Assert.Equal(64, cells[0].GetProperty("examples").GetInt32());
        Assert.True(cells[0].GetProperty("lower").GetDouble() < cells[0].GetProperty("upper").GetDouble());
        Assert.True(cells[1].GetProperty("collapsed").GetBoolean());
        Assert.True(cells[1].GetProperty("atFloor").GetBoolean(), cells[1].ToString());
        Assert.StartsWith("McNemar", cells[1].GetProperty("test").GetString());
        Assert.Empty(compare.GetProperty("statistics").GetProperty("notes").EnumerateArray());
    }

    [Fact]
    public async Task An_experiment_without_stored_predictions_is_a_404_that_says_why()
    {
        var missing = Guid.NewGuid();
        using var response = await platform.Api.GetAsync($"/api/experiments/{missing}/predictions");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>Configuration identity through the platform and the migrator's backfill of older rows.</summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class ConfigurationsThroughThePlatform(SharedPlatform platform)
{
    [Fact]
    public async Task Runs_that_differ_only_in_name_and_seed_form_one_configuration()
    {
        object Spec(string name, int seed) => new
        {
            specVersion = 1, name, kind = "adapt", tags = new[] { name },
            backbone = new { preset = "vit-tiny-ci", source = "named", name = platform.BackboneName },
            method = new { name = "linear-probe" }, tasks = new[] { "classification" },
            data = new { labelFamily = "object-count", sourceDomain = "textured", trainSize = 32, validationSize = 16, testSize = 32 },
            training = new { steps = 2, batchSize = 16, seed },
        };
        var a = await platform.SubmitAsync(Spec("config … s1", 1));
        var b = await platform.SubmitAsync(Spec("config … s2", 2));
        var ea = await platform.WaitForStatusAsync(a, "Succeeded", TimeSpan.FromMinutes(3));
        var eb = await platform.WaitForStatusAsync(b, "Succeeded", TimeSpan.FromMinutes(3));
        Assert.Equal(ea.GetProperty("configurationHash").GetString(), eb.GetProperty("configurationHash").GetString());
        var compare = await platform.Api.GetFromJsonAsync<JsonElement>($"/api/compare?ids={a},{b}");
        var column = Assert.Single(compare.GetProperty("matrix").GetProperty("columns").EnumerateArray());
        Assert.Equal([1, 2], column.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()).Order());
        var cell = compare.GetProperty("statistics").GetProperty("rows")[0].GetProperty("cells")[0];
        Assert.Equal("SeedsAndExamples", cell.GetProperty("intervalMethod").GetString());
        Assert.Equal(2, cell.GetProperty("seeds").GetInt32());

        // The orchestrator kept the configuration's leaderboard entry with its interval and floor (the predictions may land
        // just after the success: the entry is refreshed then).
        var configuration = ea.GetProperty("configurationHash").GetString();
        JsonElement? entry = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            var board = await platform.Api.GetFromJsonAsync<JsonElement>("/api/leaderboards/shapesworld.object-count.textured.classification.accuracy?limit=5000");
            entry = board.GetProperty("entries").EnumerateArray().FirstOrDefault(e => e.GetProperty("configurationHash").GetString() == configuration);
            if (entry is { } e && e.GetProperty("intervalMethod").GetString() == "SeedsAndExamples") break;
        }
        Assert.NotNull(entry);
        Assert.Equal("SeedsAndExamples", entry.Value.GetProperty("intervalMethod").GetString());
        Assert.True(entry.Value.GetProperty("lower").GetDouble() <= entry.Value.GetProperty("mean").GetDouble());
        Assert.True(entry.Value.GetProperty("upper").GetDouble() >= entry.Value.GetProperty("mean").GetDouble());
        Assert.Equal(2, entry.Value.GetProperty("seeds").GetInt32());
        Assert.True(entry.Value.GetProperty("floor").GetDouble() > 0);
        Assert.InRange(entry.Value.GetProperty("rankBest").GetInt32(), 1, entry.Value.GetProperty("rankWorst").GetInt32());
    }

    [Fact]
    public async Task The_migrator_backfill_recomputes_rows_of_an_older_identity()
    {
        await using var db = platform.Db();
        var spec = new AdapterLab.Contracts.Specs.ExperimentSpec
        {
            Name = "backfill", Kind = "adapt",
            Backbone = new AdapterLab.Contracts.Specs.BackboneSpec { Preset = "vit-tiny-ci" },
            Method = new AdapterLab.Contracts.Specs.MethodSpec { Name = "bitfit" },
            Data = new AdapterLab.Contracts.Specs.DataSpec { LabelFamily = "object-count", SourceDomain = "textured" },
            Training = new AdapterLab.Contracts.Specs.TrainingSpec { Steps = 3, Seed = 4 },
        };
        var planted = AdapterLab.IntegrationTests.Web.PlantedExperiments.Add(db, "old-identity-" + Guid.NewGuid().ToString("N")[..8], 4, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["fog"] = 0.5 });
        planted.SpecJson = AdapterLab.Contracts.Specs.SpecJson.Serialize(spec);
        planted.ConfigurationVersion = 0;
        await db.SaveChangesAsync();

        var changed = await AdapterLab.Data.Configurations.ConfigurationBackfill.RunAsync(db, CancellationToken.None);
        Assert.True(changed >= 1);
        await using var check = platform.Db();
        var row = await check.Experiments.FindAsync(planted.Id);
        Assert.Equal(AdapterLab.Contracts.Specs.ConfigurationIdentity.Hash(spec, null), row!.ConfigurationHash);
        Assert.Equal(AdapterLab.Contracts.Specs.ConfigurationIdentity.Version, row.ConfigurationVersion);
        Assert.Equal(0, await AdapterLab.Data.Configurations.ConfigurationBackfill.RunAsync(check, CancellationToken.None));
    }
}
